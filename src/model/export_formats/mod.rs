//! A trace written in the formats other tools open, each a pure function of the [`Trace`]:
//! - [`chrome`]: the Chrome Trace Event JSON that Perfetto and `chrome://tracing` open (one
//!   process for the run, one thread per worker, one complete event per task);
//! - [`csv`]: one row per task, RFC 4180;
//! - [`svg`]: the lanes as a self-contained SVG picture, bounded by its pixels (a million
//!   tasks make a picture of a few hundred kilobytes at most).
//!
//! The page's buttons and `playground.export(trace, format)` both come here.

pub mod chrome;
pub mod csv;
pub mod svg;

#[cfg(test)]
pub(crate) mod chrome_tests;

use crate::model::trace::Trace;
use std::io;

/// A format a trace can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Chrome Trace Event JSON (Perfetto, `chrome://tracing`).
    Chrome,
    /// One row per task, comma-separated.
    Csv,
    /// The lanes as an SVG picture.
    Svg,
}

impl ExportFormat {
    /// Every format, in the order the page offers them.
    pub const ALL: [ExportFormat; 3] = [ExportFormat::Chrome, ExportFormat::Csv, ExportFormat::Svg];

    /// The name `playground.export` takes.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Chrome => "chrome",
            ExportFormat::Csv => "csv",
            ExportFormat::Svg => "svg",
        }
    }

    /// The format named `name`, or a message naming the formats there are.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| {
                let names = Self::ALL
                    .iter()
                    .map(|f| format!("\"{}\"", f.name()))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "unknown export format {}: the formats are {names}",
                    crate::model::config::quote(name)
                )
            })
    }

    /// The name a download of this format gets.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Chrome => "trace.chrome.json",
            ExportFormat::Csv => "trace.csv",
            ExportFormat::Svg => "lanes.svg",
        }
    }

    /// The media type of the text.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Chrome => "application/json",
            ExportFormat::Csv => "text/csv",
            ExportFormat::Svg => "image/svg+xml",
        }
    }

    /// Writes `trace` in this format to `out`, piece by piece: a large trace's export is
    /// never whole in memory unless `out` keeps it (its only errors are `out`'s).
    pub fn write(self, trace: &Trace, out: &mut dyn io::Write) -> io::Result<()> {
        match self {
            ExportFormat::Chrome => chrome::write_chrome_trace(trace, out),
            ExportFormat::Csv => csv::write_csv(trace, out),
            ExportFormat::Svg => out.write_all(svg::svg(trace).as_bytes()),
        }
    }

    /// `trace` in this format, as one text.
    pub fn text(self, trace: &Trace) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and every format writes UTF-8.
        let _ = self.write(trace, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_name_and_a_wrong_name_is_told_the_formats() {
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(format.name()), Ok(format));
        }
        let refused = ExportFormat::parse("pdf").unwrap_err();
        assert!(refused.contains("pdf"), "{refused}");
        assert!(
            refused.contains("\"chrome\", \"csv\", \"svg\""),
            "{refused}"
        );
    }
}
