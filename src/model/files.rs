//! The files shipped with the page for requests to fetch, and the URL each request fetches:
//! shared by `asyncio.gather`, the thread strategies' `fetch` workload and the programs shown.

/// A file shipped with the page (in `www/data/`, served at `data/…`) for the requests to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippedFile {
    /// Its path relative to the page.
    pub path: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
}

/// The shipped files, smallest first. Request `i` fetches file `i mod 4`.
pub const SHIPPED_FILES: [ShippedFile; 4] = [
    ShippedFile {
        path: "data/1kb.txt",
        bytes: 1024,
    },
    ShippedFile {
        path: "data/16kb.txt",
        bytes: 16 * 1024,
    },
    ShippedFile {
        path: "data/64kb.txt",
        bytes: 64 * 1024,
    },
    ShippedFile {
        path: "data/256kb.txt",
        bytes: 256 * 1024,
    },
];

/// The URL request `position` fetches: the typed URL at that position when URLs were given,
/// otherwise a shipped file (cycling through them), made distinct with `?r=position`.
pub fn request_url(position: usize, urls: &[String]) -> String {
    match urls.get(position) {
        Some(url) => url.clone(),
        None => format!(
            "{}?r={position}",
            SHIPPED_FILES[position % SHIPPED_FILES.len()].path
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_cycle_through_the_shipped_files_unless_urls_are_given() {
        assert_eq!(request_url(0, &[]), "data/1kb.txt?r=0");
        assert_eq!(request_url(5, &[]), "data/16kb.txt?r=5");
        let urls = vec!["https://example.com/a".to_owned()];
        assert_eq!(request_url(0, &urls), "https://example.com/a");
    }

    #[test]
    fn the_shipped_files_have_the_sizes_the_model_says() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
        for file in SHIPPED_FILES {
            let meta = std::fs::metadata(root.join(file.path)).expect(file.path);
            assert_eq!(meta.len(), file.bytes, "{}", file.path);
        }
    }
}
