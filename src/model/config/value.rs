//! How one value of a setting is read: a number, a choice, a flag or the URL list, each
//! strictly, with the message that names what is wrong; how a bad value is quoted back; and
//! the cost slider's scale.

use crate::model::field::{Field, FieldKind};
use crate::model::words::group_digits;

/// How one value of a setting is parsed and written back.
impl Field {
    fn out_of_range(self) -> String {
        let (low, high) = self.range();
        format!(
            "{} must be a whole number from {} to {}",
            self.label(),
            group_digits(low),
            group_digits(high)
        )
    }

    fn required(self, text: &str) -> Result<&str, String> {
        let text = text.trim();
        if text.is_empty() {
            Err(format!("{} is required", self.label()))
        } else {
            Ok(text)
        }
    }

    /// Parses a number field strictly: decimal digits only, surrounding spaces ignored (no
    /// sign, digit separator or decimal point, so `1,2,3`, `+5` and `5_` are refused, never
    /// read as 123 or 5). `None` for an empty optional field.
    pub fn parse_number(self, text: &str) -> Result<Option<u64>, String> {
        if text.trim().is_empty() && self.optional() {
            return Ok(None);
        }
        let text = self.required(text)?;
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            let hint = if text.bytes().any(|b| b.is_ascii_digit()) {
                " (digits only: no sign, separator or decimal point)"
            } else {
                ""
            };
            return Err(format!(
                "{} is not a whole number{hint}. {}",
                quote(text),
                self.out_of_range()
            ));
        }
        let (low, high) = self.range();
        match text.parse::<u64>() {
            Ok(value) if (low..=high).contains(&value) => Ok(Some(value)),
            _ => Err(self.out_of_range()),
        }
    }

    /// The text of a JS number for a number field (the JS API reads JS numbers as numbers):
    /// `-0` is `0`; `NaN`, the infinities and fractions are refused, named as JS names them.
    pub fn number_text(self, value: f64) -> Result<String, String> {
        let named = js_number_name(value);
        let whole = value.is_finite() && value.fract() == 0.0;
        if !whole || value < 0.0 {
            return Err(format!(
                "{named} is not a whole number. {}",
                self.out_of_range()
            ));
        }
        let (low, high) = self.range();
        if value < low as f64 || value > high as f64 {
            return Err(format!("{} (not {named})", self.out_of_range()));
        }
        Ok((value as u64).to_string())
    }

    /// Parses a choice field to its index in the list of names; spaces around it and letter
    /// case are ignored (` Random ` is `random`).
    pub fn parse_choice(self, text: &str) -> Result<usize, String> {
        let text = self.required(text)?;
        let FieldKind::Choice(names) = self.kind() else {
            return Err(format!("{} is not a choice", self.label()));
        };
        names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!(
                    "{} must be one of {}, not {}",
                    self.label(),
                    names.join(", "),
                    quote(text)
                )
            })
    }

    /// Parses a flag: `true`/`false` in any letter case (Python's `True`), also `1`/`0`,
    /// `yes`/`no`, `on`/`off`.
    pub fn parse_flag(self, text: &str) -> Result<bool, String> {
        match self.required(text)?.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!(
                "{} must be true or false, not {}",
                self.label(),
                quote(text.trim())
            )),
        }
    }

    /// The canonical text of a value that parses (`' 007 '` → `7`, `TRUE` → `true`,
    /// ` Random ` → `random`), so the controls show exactly what will run; `None` when it
    /// does not parse (the text is then kept, to be shown with its message).
    pub fn normalise(self, text: &str) -> Option<String> {
        match self.kind() {
            FieldKind::Number { .. } => self
                .parse_number(text)
                .ok()
                .map(|n| n.map(|n| n.to_string()).unwrap_or_default()),
            FieldKind::Choice(names) => self.parse_choice(text).ok().map(|i| names[i].to_owned()),
            FieldKind::Flag => self.parse_flag(text).ok().map(|b| b.to_string()),
            FieldKind::Text => Some(text.trim().to_owned()),
        }
    }
}

/// A JS number as JS writes it, kept short: `NaN`, `Infinity`, `0` for `-0`, `2.5`, `1e300`.
pub(super) fn js_number_name(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if value != 0.0 && (value.abs() >= 1e16 || value.abs() < 1e-6) {
        format!("{value:e}")
    } else {
        // `-0` is 0, as JS prints it.
        (value + 0.0).to_string()
    }
}

/// The longest part of a value that a message quotes.
const QUOTED_CHARS: usize = 40;

/// A value quoted in a message: `'abc'`, or its first `QUOTED_CHARS` characters and its
/// length when it is longer (a message never repeats a 100 KB value).
pub fn quote(text: &str) -> String {
    let short = shorten(text);
    if short.len() == text.len() {
        format!("'{text}'")
    } else {
        format!(
            "'{short}' ({} characters)",
            group_digits(text.chars().count() as u64)
        )
    }
}

/// `text`, or its first `QUOTED_CHARS` characters and `…` when it is longer.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Positions of the cost slider: 0 to 600, a hundred per power of ten of the cost.
pub const COST_SLIDER_MAX: u32 = 600;

/// The slider position for a cost (logarithmic: 0 → 0, 1,000,000 → 600).
pub fn cost_slider_position(cost: u64) -> u32 {
    ((cost as f64 + 1.0).log10() * 100.0)
        .round()
        .min(f64::from(COST_SLIDER_MAX)) as u32
}

/// The cost for a slider position, rounded to two significant digits (20,000, not 19,953).
pub fn cost_from_slider(position: u32) -> u64 {
    let raw = 10f64.powf(f64::from(position.min(COST_SLIDER_MAX)) / 100.0) - 1.0;
    if raw < 1.0 {
        return 0;
    }
    let step = 10f64.powf((raw.log10().floor() - 1.0).max(0.0));
    ((raw / step).round() * step) as u64
}

/// Splits the URL list (spaces, commas or new lines) and checks each is an http or https
/// URL with a host, or a path on this site. A path must start with exactly one `/`: the
/// browser reads `//host/x` and `/\\host/x` as another site's address, so they are refused
/// with what they would really fetch.
pub fn parse_urls(text: &str) -> Result<Vec<String>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|part| !part.is_empty())
        .map(|url| {
            let lower = url.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            let starts_like_a_host = |rest: &str| rest.starts_with(['/', '\\']);
            match rest {
                Some(host) if !host.is_empty() && !starts_like_a_host(host) => Ok(url.to_owned()),
                Some(_) => Err(format!("{} has no host", quote(url))),
                None if url.starts_with('/') && starts_like_a_host(&url[1..]) => {
                    let host = url[2..]
                        .split(['/', '\\', '?', '#'])
                        .next()
                        .unwrap_or_default();
                    Err(format!(
                        "{} is not a path on this site: the browser would fetch it from another site ({}). Write https://{} for that site, or a path starting with a single /",
                        quote(url),
                        quote(host),
                        shorten(&url[2..].replace('\\', "/"))
                    ))
                }
                None if url.starts_with('/') => Ok(url.to_owned()),
                None => Err(format!(
                    "{} is not an http or https URL (or a path on this site starting with /)",
                    quote(url)
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|urls| {
            if urls.len() > 64 {
                Err(format!("{} URLs: at most 64", group_digits(urls.len() as u64)))
            } else {
                Ok(urls)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn urls_must_be_http_or_https() {
        assert_eq!(
            parse_urls("https://a.example/x, http://b.example\n/data/1.bin")
                .unwrap()
                .len(),
            3
        );
        assert!(parse_urls("ftp://a.example")
            .unwrap_err()
            .contains("not an http or https URL"));
        assert!(parse_urls("javascript:alert(1)")
            .unwrap_err()
            .contains("not an http or https URL"));
        assert!(parse_urls("https://").unwrap_err().contains("no host"));
        let invalid = inputs("strategy=asyncio.gather&urls=file:///etc/passwd")
            .validate()
            .unwrap_err();
        assert!(invalid.for_key("urls").is_some());
    }

    #[test]
    fn the_cost_slider_is_logarithmic_with_round_values() {
        assert_eq!((cost_from_slider(0), cost_from_slider(600)), (0, 1_000_000));
        assert_eq!(cost_slider_position(0), 0);
        assert_eq!(cost_slider_position(1_000_000), 600);
        assert_eq!(cost_from_slider(cost_slider_position(20_000)), 20_000);
        assert_eq!(cost_from_slider(430), 20_000, "two significant digits");
        let costs: Vec<u64> = (0..=600).map(cost_from_slider).collect();
        assert!(costs.windows(2).all(|w| w[0] <= w[1]), "never goes down");
    }

    #[test]
    fn numbers_are_digits_only_never_silently_rewritten() {
        for (text, expected) in [("5", Some(5)), (" 5 ", Some(5)), ("007", Some(7))] {
            assert_eq!(Field::Items.parse_number(text), Ok(expected), "{text:?}");
        }
        for text in [
            "1,2,3", "+5", "5_", "1_000", "5.0", "0x10", "1e3", "-0", "٣", "five",
        ] {
            let message = Field::Items.parse_number(text).unwrap_err();
            assert!(
                message.contains("is not a whole number"),
                "{text}: {message}"
            );
        }
        assert!(Field::Items
            .parse_number("1,2,3")
            .unwrap_err()
            .contains("digits only"));
        let refused = inputs("items=1,2,3&workers=+2&cost=5_")
            .validate()
            .unwrap_err();
        for key in ["items", "workers", "cost"] {
            assert!(refused.for_key(key).is_some(), "{key}");
        }
        assert_eq!(
            Field::Seed.parse_number("99999999999999999999999"),
            Err("Seed must be a whole number from 0 to 4,294,967,295".to_owned()),
            "too many digits for u64 is out of range, not a crash"
        );
    }

    #[test]
    fn js_numbers_are_read_as_js_numbers() {
        assert_eq!(Field::Cost.number_text(-0.0), Ok("0".to_owned()));
        assert_eq!(Field::Workers.number_text(3.0), Ok("3".to_owned()));
        let named = |field: Field, value: f64| field.number_text(value).unwrap_err();
        assert_eq!(
            named(Field::Workers, f64::INFINITY),
            "Infinity is not a whole number. Workers must be a whole number from 1 to 16"
        );
        assert!(named(Field::Workers, f64::NEG_INFINITY).starts_with("-Infinity is not"));
        assert!(named(Field::Workers, f64::NAN).starts_with("NaN is not a whole number"));
        assert!(named(Field::Workers, 2.5).starts_with("2.5 is not a whole number"));
        assert!(named(Field::Workers, -3.0).starts_with("-3 is not a whole number"));
        assert_eq!(
            named(Field::Workers, 99.0),
            "Workers must be a whole number from 1 to 16 (not 99)"
        );
        assert_eq!(
            named(Field::Workers, 0.0),
            "Workers must be a whole number from 1 to 16 (not 0)"
        );
        let huge = named(Field::Items, 1e300);
        assert!(huge.contains("(not 1e300)") && huge.len() < 80, "{huge}");
        assert!(named(Field::Items, 1e-300).starts_with("1e-300 is not"));
    }

    #[test]
    fn a_path_that_the_browser_reads_as_another_site_is_refused() {
        assert_eq!(
            parse_urls("/data/1.bin"),
            Ok(vec!["/data/1.bin".to_owned()])
        );
        for url in [
            "//evil.example/x",
            "/\\evil.example/x",
            "https:///x",
            "https://\\evil",
        ] {
            assert!(parse_urls(url).is_err(), "{url}");
        }
        let message = parse_urls("//evil.example/x").unwrap_err();
        assert!(
            message.contains("from another site ('evil.example')"),
            "{message}"
        );
        assert!(message.contains("https://evil.example/x"), "{message}");
        let backslash = parse_urls("/\\evil.example/x").unwrap_err();
        assert!(backslash.contains("('evil.example')"), "{backslash}");
        let link = inputs("strategy=sequential&urls=%2F%5Cevil.example%2Fx").validate();
        assert!(link
            .unwrap_err()
            .for_key("urls")
            .unwrap()
            .contains("another site"));
    }
}
