//! How the page writes counts and times: `1 worker`, `2 workers`; `1,234.5 ms`; `812.0 µs`
//! below a millisecond and ms above. Every figure, heading and caption goes through here, so
//! the page never says "1 workers" or "49121.3 µs".

/// Writes `1000000` as `1,000,000`.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun, singular for one: `1 worker`, `3 workers`, `1,000 items`, `2 batches`.
pub fn count(n: usize, noun: &str) -> String {
    let plural = if n == 1 {
        noun.to_owned()
    } else if noun.ends_with("ch") || noun.ends_with('s') {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    };
    format!("{} {plural}", group_digits(n as u64))
}

/// A number with `decimals` decimals and its thousands grouped: `49,121.3`.
pub fn number(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group_digits(whole.parse().unwrap_or(0));
    let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// Milliseconds with `decimals` decimals, grouped: `1,234.5 ms`.
pub fn ms(value: f64, decimals: usize) -> String {
    format!("{} ms", number(value, decimals))
}

/// A short duration given in ms: µs below one millisecond (`812.0 µs`), ms from there on
/// (`49.12 ms`, `1,234.5 ms`).
pub fn duration(value_ms: f64) -> String {
    if value_ms.abs() < 1.0 {
        format!("{} µs", number(value_ms * 1e3, 1))
    } else if value_ms.abs() < 100.0 {
        ms(value_ms, 2)
    } else {
        ms(value_ms, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(count(1, "worker"), "1 worker");
        assert_eq!(count(0, "worker"), "0 workers");
        assert_eq!(count(16, "worker"), "16 workers");
        assert_eq!(count(1, "batch"), "1 batch");
        assert_eq!(count(2, "batch"), "2 batches");
        assert_eq!(count(1_000_000, "item"), "1,000,000 items");
    }

    #[test]
    fn times_are_grouped_and_in_ms_above_a_millisecond() {
        assert_eq!(duration(49.1213), "49.12 ms");
        assert_eq!(duration(0.8123), "812.3 µs");
        assert_eq!(duration(49_121.3), "49,121.3 ms");
        assert_eq!(ms(1234.56, 1), "1,234.6 ms");
        assert_eq!(ms(0.04, 1), "0.0 ms");
        assert_eq!(number(-1234.5, 1), "-1,234.5");
        assert_eq!(number(999.96, 1), "1,000.0");
        assert_eq!(number(12.0, 0), "12");
    }
}
