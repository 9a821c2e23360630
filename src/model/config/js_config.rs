//! The settings of a `window.playground.run(config)` object, read as JS values.

use super::inputs::Inputs;
use super::invalid::Invalid;
use super::settings::{after_cpython_words, what_cpython_does};
use super::value::{js_number_name, quote, shorten};
use crate::model::field::{Field, FieldKind};
use crate::model::strategy::Strategy;

impl Inputs {
    /// The settings of a `window.playground.run(config)` object, read as JS values: numbers
    /// as numbers, booleans as booleans, `undefined` and `null` as "not given". Every
    /// problem (an unknown key, a value of the wrong type, a getter that threw) is refused
    /// with a short message.
    pub fn from_config(
        entries: impl IntoIterator<Item = (String, ConfigValue)>,
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let mut pairs = Vec::new();
        let entries: Vec<(String, ConfigValue)> = entries.into_iter().collect();
        // The strategy the run would use (`Pool.map` when none is given), for CPython's words.
        let strategy = match entries.iter().find(|(key, _)| key == "strategy") {
            None => Some(Strategy::PoolMap),
            Some((_, ConfigValue::Text(name))) => Strategy::from_name(name),
            Some(_) => None,
        };
        for (key, value) in entries {
            let field = Field::ALL.into_iter().find(|f| f.key() == key);
            if field.is_none() && key != "strategy" {
                // Named by `from_pairs`, whatever its value (which is not read).
                pairs.push((key, String::new()));
                continue;
            }
            let kind = field.map(Field::kind);
            let text = match (field, value) {
                (_, ConfigValue::Missing) => continue,
                (_, ConfigValue::Unreadable(why)) => {
                    Err(format!("reading it threw {}", quote(&why)))
                }
                (_, ConfigValue::Text(text)) => Ok(text),
                (Some(field), ConfigValue::Number(n))
                    if matches!(kind, Some(FieldKind::Number { .. })) =>
                {
                    field.number_text(n).map_err(|message| {
                        // A whole number CPython would take or refuse in its own words.
                        let whole = n.is_finite() && n.fract() == 0.0;
                        match strategy.filter(|_| whole) {
                            Some(strategy) => match what_cpython_does(strategy, field, n as i64) {
                                Some(cpython) => after_cpython_words(&cpython, &message),
                                None => message,
                            },
                            None => message,
                        }
                    })
                }
                (_, ConfigValue::Flag(flag)) if kind == Some(FieldKind::Flag) => {
                    Ok(flag.to_string())
                }
                (_, other) => Err(format!(
                    "expected {}, not {}",
                    match kind {
                        None => "a string such as 'Pool.map'",
                        Some(FieldKind::Number { .. }) => "a number",
                        Some(FieldKind::Flag) => "true or false",
                        Some(FieldKind::Choice(_) | FieldKind::Text) => "a string",
                    },
                    other.describe()
                )),
            };
            match text {
                Ok(text) => pairs.push((key, text)),
                Err(message) => invalid.add(&key, message),
            }
        }
        match Self::from_pairs(pairs, true) {
            Ok(inputs) if invalid.messages.is_empty() => Ok(inputs),
            Ok(_) => Err(invalid),
            Err(unknown) => {
                invalid.messages.extend(unknown.messages);
                Err(invalid)
            }
        }
    }
}

/// One value of a JS config object, as `window.playground.run` read it: its JS type, with
/// no JS left in it (the reading, which may throw, is done by the caller).
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    /// `undefined` or `null`: not given, the default applies.
    Missing,
    /// A string.
    Text(String),
    /// A number (`-0`, `NaN` and the infinities included).
    Number(f64),
    /// A boolean.
    Flag(bool),
    /// Anything else, described as JS would (`an object`, `a function`, `a bigint`).
    Other(String),
    /// Reading the value threw (a getter or a Proxy trap): what was thrown.
    Unreadable(String),
}

impl ConfigValue {
    /// The value described in a message: `the number 5`, `true`, `'abc'`, `an object`.
    pub fn describe(&self) -> String {
        match self {
            ConfigValue::Missing => "undefined".to_owned(),
            ConfigValue::Text(text) => format!("the string {}", quote(text)),
            ConfigValue::Number(n) => format!("the number {}", js_number_name(*n)),
            ConfigValue::Flag(flag) => flag.to_string(),
            ConfigValue::Other(what) | ConfigValue::Unreadable(what) => shorten(what),
        }
    }
}

/// The message for a JS config that is not a plain object (`what` says what it is: `an
/// Array`, `a Date`, `a string`).
pub fn not_a_config_message(what: &str) -> String {
    format!(
        "config must be an object such as {{ strategy: 'Pool.map', workers: 2 }} (a plain object, or nothing for the defaults), not {}",
        shorten(what)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entries: &[(&str, ConfigValue)]) -> Result<Inputs, Invalid> {
        Inputs::from_config(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
    }

    #[test]
    fn the_js_config_takes_js_types_and_refuses_the_wrong_ones() {
        use ConfigValue::*;
        let run = config(&[
            ("strategy", Text("queue.Queue".into())),
            ("workers", Number(-0.0 + 2.0)),
            ("items", Text("10".into())),
            ("cost", Number(-0.0)),
            ("gil", Flag(false)),
            ("chunksize", Missing),
        ])
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(
            (run.workers, run.items, run.cost(), run.gil),
            (2, 10, 0, false)
        );
        assert!(
            config(&[("workers", Missing)]).unwrap().given.is_empty(),
            "undefined means not given"
        );
        let gather = config(&[
            ("strategy", Text("asyncio.gather".into())),
            ("return_exceptions", Flag(true)),
        ])
        .unwrap()
        .validate()
        .unwrap();
        assert!(gather.fetch.return_exceptions);
        let refused = config(&[
            ("strategy", Number(5.0)),
            ("workers", Flag(true)),
            ("items", Other("an object".into())),
            ("gil", Number(1.0)),
            ("shape", Number(3.0)),
            ("cost", Number(f64::NAN)),
        ])
        .unwrap_err();
        assert_eq!(
            refused.for_key("strategy"),
            Some("expected a string such as 'Pool.map', not the number 5")
        );
        assert_eq!(
            refused.for_key("workers"),
            Some("expected a number, not true")
        );
        assert_eq!(
            refused.for_key("items"),
            Some("expected a number, not an object")
        );
        assert_eq!(
            refused.for_key("gil"),
            Some("expected true or false, not the number 1")
        );
        assert_eq!(
            refused.for_key("shape"),
            Some("expected a string, not the number 3")
        );
        assert!(refused.for_key("cost").unwrap().starts_with("NaN is not"));
    }

    #[test]
    fn js_numbers_get_cpython_s_words_as_typed_ones_do() {
        use ConfigValue::*;
        let many = config(&[("workers", Number(99.0))]).unwrap_err();
        assert_eq!(
            many.for_key("workers"),
            Some("CPython would start 99 processes; the page runs at most 16 workers at once (its pool of Web Workers). Workers must be a whole number from 1 to 16 (not 99)")
        );
        let none = config(&[
            ("strategy", Text("ThreadPoolExecutor.map".into())),
            ("workers", Number(0.0)),
        ])
        .unwrap_err();
        assert!(none.for_key("workers").unwrap().starts_with(
            "CPython refuses it: ThreadPoolExecutor(max_workers=0) raises ValueError: max_workers must be greater than 0. "
        ));
        let imap = config(&[
            ("strategy", Text("Pool.imap".into())),
            ("chunksize", Number(-1.0)),
        ])
        .unwrap_err();
        assert!(imap
            .for_key("chunksize")
            .unwrap()
            .contains("ValueError: Chunksize must be 1+, not -1. "));
        let fraction = config(&[("workers", Number(0.5))]).unwrap_err();
        assert!(fraction
            .for_key("workers")
            .unwrap()
            .starts_with("0.5 is not"));
    }

    #[test]
    fn a_getter_that_throws_is_refused_with_what_it_threw() {
        let refused =
            config(&[("workers", ConfigValue::Unreadable("Error: boom".into()))]).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "workers: reading it threw 'Error: boom'"
        );
    }

    #[test]
    fn messages_quote_at_most_a_short_prefix_of_a_bad_value() {
        let long = "x".repeat(100_000);
        for (key, value) in [
            ("strategy", ConfigValue::Text(long.clone())),
            ("workers", ConfigValue::Text(long.clone())),
            ("shape", ConfigValue::Text(long.clone())),
            ("gil", ConfigValue::Text(long.clone())),
            ("urls", ConfigValue::Text(long.clone())),
            ("items", ConfigValue::Other(long.clone())),
            ("cost", ConfigValue::Unreadable(long.clone())),
        ] {
            let strategy = if matches!(key, "urls") {
                "asyncio.gather"
            } else {
                "queue.Queue"
            };
            let mut entries = vec![("strategy".to_owned(), ConfigValue::Text(strategy.into()))];
            entries.push((key.to_owned(), value));
            let message = Inputs::from_config(entries)
                .and_then(|i| i.validate())
                .unwrap_err()
                .to_string();
            assert!(message.len() < 400, "{key}: {} characters", message.len());
            if key != "items" {
                assert!(message.contains("100,000 characters"), "{key}: {message}");
            }
        }
        let many: Vec<(String, ConfigValue)> = (0..10_000)
            .map(|i| (format!("unknown{i}"), ConfigValue::Number(1.0)))
            .collect();
        let message = Inputs::from_config(many).unwrap_err().to_string();
        assert!(message.len() < 400, "{} characters", message.len());
        assert!(message.starts_with(
            "options: unknown options 'unknown0', 'unknown1', 'unknown2' and 9,997 more: use strategy"
        ));
        assert_eq!(
            quote(&"é".repeat(50)),
            format!("'{}…' (50 characters)", "é".repeat(40)),
            "cut on a character boundary"
        );
        assert_eq!(quote(&"é".repeat(40)), format!("'{}'", "é".repeat(40)));
    }
}
