//! The URL codec of the settings: a page URL's query read into key/value pairs, and a value
//! escaped for a link, by the percent-encoding crate's rules.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Splits a URL query (with or without the leading `?`) into decoded key/value pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_query_part(key), decode_query_part(value))
        })
        .collect()
}

/// Decodes `%XX` escapes (malformed ones are kept as written, as the percent-encoding crate
/// does). A `+` stays a plus: a hand-written `items=+5` is refused as written rather than read
/// as ` 5`, and a `+` in a URL's path is kept (the page's own links write a space as `%20`).
fn decode_query_part(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// What a query value holds as is: RFC 3986's unreserved characters; the rest is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Escapes what a query value cannot hold as is.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn query_parts_are_percent_decoded_and_encoded_by_the_crate_rules() {
        assert_eq!(
            decode_query_part("a%20b%2"),
            "a b%2",
            "a malformed escape is kept"
        );
        assert_eq!(decode_query_part("%E2%9C%93"), "✓");
        assert_eq!(decode_query_part("+5"), "+5", "a plus stays a plus");
        for value in [" static ", "a&b=c", "https://host/x?y=1", "✓ 100%"] {
            let encoded = encode_query_value(value);
            assert!(!encoded.contains(['&', '=', ' ', '?']), "{encoded}");
            assert_eq!(decode_query_part(&encoded), value);
        }
        assert_eq!(encode_query_value("Pool.map_async-1~"), "Pool.map_async-1~");
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            parse_query("?strategy=Pool%2Emap&items=1%2C000&x=%zz%20y+z&y=%E2%9C%93"),
            [
                ("strategy".to_owned(), "Pool.map".to_owned()),
                ("items".to_owned(), "1,000".to_owned()),
                ("x".to_owned(), "%zz y+z".to_owned()),
                ("y".to_owned(), "✓".to_owned()),
            ]
        );
        assert!(
            inputs("items=1%2C000").validate().is_err(),
            "1,000 means 1 in half the world: digits only"
        );
    }
}
