//! A run's settings and their one parser. The controls, the page URL and
//! `window.playground.run(config)` all hand [`Inputs`] (raw text per key) to
//! [`Inputs::validate`], so the three can never disagree about what is valid.

use crate::model::pool_map::{default_chunksize, default_chunksize_formula, split};
use crate::model::workload::Workload;
use std::collections::BTreeMap;
use std::fmt;

/// A parallel strategy, named as Python users write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `multiprocessing.Pool.map(f, items, chunksize)`.
    PoolMap,
}

impl Strategy {
    /// Every strategy, in the order the picker lists them.
    pub const ALL: [Strategy; 1] = [Strategy::PoolMap];

    /// The Python spelling used in URLs, the JS API and the trace.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::PoolMap => "Pool.map",
        }
    }

    /// Parses a Python spelling such as `Pool.map`.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == text.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown strategy '{}': use one of {}",
                    text.trim(),
                    known.join(", ")
                )
            })
    }
}

/// A numeric setting: its URL key, label and accepted range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// Number of pool workers (threads that really do the work).
    Workers,
    /// Items per chunk; empty means CPython's default rule.
    Chunksize,
    /// Number of input items.
    Items,
    /// Work per item: the `k` in "count the primes below k".
    Cost,
}

impl Field {
    /// Every numeric field, in the order the controls show them.
    pub const ALL: [Field; 4] = [Field::Workers, Field::Chunksize, Field::Items, Field::Cost];

    /// The key in the URL and in the JS API's config object.
    pub fn key(self) -> &'static str {
        match self {
            Field::Workers => "workers",
            Field::Chunksize => "chunksize",
            Field::Items => "items",
            Field::Cost => "cost",
        }
    }

    /// The label next to the control.
    pub fn label(self) -> &'static str {
        match self {
            Field::Workers => "Workers",
            Field::Chunksize => "Chunk size",
            Field::Items => "Items",
            Field::Cost => "Work per item (primes below k)",
        }
    }

    /// The smallest and largest accepted values.
    pub const fn range(self) -> (u64, u64) {
        match self {
            Field::Workers => (1, 16),
            Field::Chunksize => (1, 1_000_000),
            Field::Items => (1, 1_000_000),
            Field::Cost => (0, 1_000_000),
        }
    }

    /// Whether the field may be left empty (only the chunk size: CPython's default rule).
    pub fn optional(self) -> bool {
        self == Field::Chunksize
    }

    /// The value a new page starts with.
    pub fn default_text(self) -> &'static str {
        match self {
            Field::Workers => "4",
            Field::Chunksize => "",
            Field::Items => "100",
            Field::Cost => "20000",
        }
    }

    fn parse(self, text: &str) -> Result<Option<u64>, String> {
        let text = text.trim();
        if text.is_empty() {
            return if self.optional() {
                Ok(None)
            } else {
                Err(format!("{} is required", self.label()))
            };
        }
        let (low, high) = self.range();
        let out_of_range = || {
            format!(
                "{} must be a whole number from {} to {}",
                self.label(),
                group_digits(low),
                group_digits(high)
            )
        };
        let digits: String = text.chars().filter(|c| *c != '_' && *c != ',').collect();
        let value: u64 = digits
            .parse()
            .map_err(|_| format!("'{text}' is not a whole number. {}", out_of_range()))?;
        if value < low || value > high {
            return Err(out_of_range());
        }
        Ok(Some(value))
    }
}

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

/// The most chunks one run may have: every chunk is recorded and drawn.
pub const MAX_CHUNKS: usize = 200_000;

/// The longest run accepted: its estimated time on one worker, ms. Longer runs are refused
/// with a message, never started.
pub const MAX_ESTIMATED_MS: f64 = 120_000.0;

/// A validated run: every value in range and consistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// The strategy to run.
    pub strategy: Strategy,
    /// Number of workers that really do the work.
    pub workers: usize,
    /// The chunk size the user gave, or `None` for CPython's default rule.
    pub chunksize: Option<usize>,
    /// Number of input items (`1..=items`).
    pub items: usize,
    /// Work per item: the `k` in "count the primes below k".
    pub cost: u32,
}

impl RunConfig {
    /// The chunk size the run uses: the one given, or CPython's default rule.
    pub fn resolved_chunksize(&self) -> usize {
        self.chunksize
            .unwrap_or_else(|| default_chunksize(self.items, self.workers))
    }

    /// How the chunk size was chosen, for the page: `7 (default: ceil(100 / (4 × 4)))`.
    pub fn chunksize_explanation(&self) -> String {
        match self.chunksize {
            Some(given) => format!("{given} (given)"),
            None => format!(
                "{} (default: {})",
                self.resolved_chunksize(),
                default_chunksize_formula(self.items, self.workers)
            ),
        }
    }

    /// The Python a user would write for this run, shown above the Run button.
    pub fn python_code(&self) -> String {
        let chunksize = self
            .chunksize
            .map(|c| format!(", chunksize={c}"))
            .unwrap_or_default();
        match self.strategy {
            Strategy::PoolMap => format!(
                "with multiprocessing.Pool({}) as pool:\n    results = pool.map(square, range(1, {}){chunksize})",
                self.workers,
                self.items + 1
            ),
        }
    }

    /// The workload every task runs.
    pub fn workload(&self) -> Workload {
        Workload { cost: self.cost }
    }

    /// The same run with another worker count (for the 1-worker baseline).
    pub fn with_workers(self, workers: usize) -> Self {
        Self { workers, ..self }
    }

    /// The settings as URL query pairs, in a stable order; a missing chunk size is left out.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("strategy", self.strategy.name().to_owned()),
            (Field::Workers.key(), self.workers.to_string()),
            (Field::Items.key(), self.items.to_string()),
        ];
        if let Some(chunksize) = self.chunksize {
            pairs.push((Field::Chunksize.key(), chunksize.to_string()));
        }
        pairs.push((Field::Cost.key(), self.cost.to_string()));
        pairs
    }

    /// The settings as a URL query string (without `?`).
    pub fn to_query(&self) -> String {
        self.to_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode_query_value(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Why a run was refused: messages keyed by the control they belong to (`strategy`,
/// `workers`, …, or `run` for the run as a whole).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid {
    /// Message per key.
    pub messages: BTreeMap<String, String>,
}

impl Invalid {
    fn add(&mut self, key: &str, message: String) {
        self.messages.entry(key.to_owned()).or_insert(message);
    }

    /// The message for one control, if any.
    pub fn for_key(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self
            .messages
            .iter()
            .map(|(key, message)| format!("{key}: {message}"))
            .collect();
        f.write_str(&all.join("; "))
    }
}

/// The raw text of every setting, as typed in the controls or found in a URL or a JS
/// config object. Kept as text so a bad value can be shown back with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The strategy's Python spelling.
    pub strategy: String,
    /// Text per numeric field.
    pub values: BTreeMap<Field, String>,
}

impl Default for Inputs {
    fn default() -> Self {
        Self {
            strategy: Strategy::PoolMap.name().to_owned(),
            values: Field::ALL
                .into_iter()
                .map(|f| (f, f.default_text().to_owned()))
                .collect(),
        }
    }
}

impl Inputs {
    /// The text of one field.
    pub fn get(&self, field: Field) -> &str {
        self.values.get(&field).map(String::as_str).unwrap_or("")
    }

    /// A copy with one field's text replaced.
    pub fn with(mut self, field: Field, text: impl Into<String>) -> Self {
        self.values.insert(field, text.into());
        self
    }

    /// The defaults overridden by `pairs` (URL parameters or a JS config object).
    /// Unknown keys are refused when `strict` (the JS API) and ignored otherwise (a page URL
    /// may carry other parameters).
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        strict: bool,
    ) -> Result<Self, Invalid> {
        let mut inputs = Self::default();
        let mut invalid = Invalid::default();
        for (key, value) in pairs {
            let key = key.as_ref();
            if key == "strategy" {
                inputs.strategy = value.into();
            } else if let Some(field) = Field::ALL.into_iter().find(|f| f.key() == key) {
                inputs.values.insert(field, value.into());
            } else if strict {
                invalid.add(
                    key,
                    format!(
                        "unknown option '{key}': use strategy, workers, chunksize, items, cost"
                    ),
                );
            }
        }
        if invalid.messages.is_empty() {
            Ok(inputs)
        } else {
            Err(invalid)
        }
    }

    /// The settings of a page URL's query string (`?strategy=Pool.map&workers=5`).
    pub fn from_query(query: &str) -> Self {
        let pairs = parse_query(query);
        Self::from_pairs(pairs, false).unwrap_or_default()
    }

    /// Checks every value and their combination; on success the run is safe to start.
    pub fn validate(&self) -> Result<RunConfig, Invalid> {
        let mut invalid = Invalid::default();
        let strategy = Strategy::parse(&self.strategy)
            .map_err(|m| invalid.add("strategy", m))
            .ok();
        let mut number = |field: Field| match field.parse(self.get(field)) {
            Ok(value) => Some(value),
            Err(message) => {
                invalid.add(field.key(), message);
                None
            }
        };
        let workers = number(Field::Workers);
        let chunksize = number(Field::Chunksize);
        let items = number(Field::Items);
        let cost = number(Field::Cost);
        let (
            Some(strategy),
            Some(Some(workers)),
            Some(chunksize),
            Some(Some(items)),
            Some(Some(cost)),
        ) = (strategy, workers, chunksize, items, cost)
        else {
            return Err(invalid);
        };
        let config = RunConfig {
            strategy,
            workers: workers as usize,
            chunksize: chunksize.map(|c| c as usize),
            items: items as usize,
            cost: cost as u32,
        };
        let chunks = split(config.items, config.resolved_chunksize()).len();
        if chunks > MAX_CHUNKS {
            invalid.add(
                Field::Chunksize.key(),
                format!(
                    "{} chunks is more than one run can record and draw (at most {}): raise the chunk size",
                    group_digits(chunks as u64),
                    group_digits(MAX_CHUNKS as u64)
                ),
            );
        }
        let estimated_ms = config.workload().estimated_ms_per_item() * config.items as f64;
        if estimated_ms > MAX_ESTIMATED_MS {
            invalid.add(
                "run",
                format!(
                    "this run is too big: {} items × primes below {} would take about {} minutes on one worker (at most 2 are allowed). Lower the items or the work per item",
                    group_digits(config.items as u64),
                    group_digits(u64::from(config.cost)),
                    (estimated_ms / 60_000.0).ceil()
                ),
            );
        }
        if invalid.messages.is_empty() {
            Ok(config)
        } else {
            Err(invalid)
        }
    }
}

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

/// Decodes `+` and `%XX` escapes; malformed escapes are kept as written.
fn decode_query_part(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
            {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// Escapes what a query value cannot hold as is.
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn the_seed_url_sets_every_control() {
        let config = inputs("?strategy=Pool.map&workers=5&items=14&chunksize=3")
            .validate()
            .unwrap();
        assert_eq!(config.strategy, Strategy::PoolMap);
        assert_eq!(
            (config.workers, config.items, config.chunksize),
            (5, 14, Some(3))
        );
        assert_eq!(config.chunksize_explanation(), "3 (given)");
        assert_eq!(
            config.python_code(),
            "with multiprocessing.Pool(5) as pool:\n    results = pool.map(square, range(1, 15), chunksize=3)"
        );
    }

    #[test]
    fn empty_chunksize_shows_the_default_rule_with_its_numbers() {
        let config = inputs("workers=4&items=100&chunksize=").validate().unwrap();
        assert_eq!(
            config.chunksize_explanation(),
            "7 (default: ceil(100 / (4 × 4)))"
        );
    }

    #[test]
    fn a_config_round_trips_through_its_query() {
        let config = inputs("workers=3&items=1000&chunksize=9&cost=77")
            .validate()
            .unwrap();
        assert_eq!(inputs(&config.to_query()).validate().unwrap(), config);
        let default_chunks = inputs("workers=3&items=10").validate().unwrap();
        assert_eq!(
            inputs(&default_chunks.to_query()).validate().unwrap(),
            default_chunks
        );
    }

    #[test]
    fn bad_values_get_a_message_on_their_own_control() {
        let invalid = inputs("workers=0&chunksize=abc&items=2000000&cost=-1&strategy=Pool.zap")
            .validate()
            .unwrap_err();
        assert_eq!(
            invalid.for_key("workers"),
            Some("Workers must be a whole number from 1 to 16")
        );
        assert!(invalid
            .for_key("chunksize")
            .unwrap()
            .contains("'abc' is not a whole number"));
        assert_eq!(
            invalid.for_key("items"),
            Some("Items must be a whole number from 1 to 1,000,000")
        );
        assert!(invalid
            .for_key("cost")
            .unwrap()
            .contains("'-1' is not a whole number"));
        assert!(invalid
            .for_key("strategy")
            .unwrap()
            .contains("unknown strategy 'Pool.zap'"));
    }

    #[test]
    fn chunksize_zero_is_refused_and_empty_items_is_required() {
        let invalid = inputs("chunksize=0&items=").validate().unwrap_err();
        assert!(invalid.for_key("chunksize").unwrap().contains("from 1 to"));
        assert_eq!(invalid.for_key("items"), Some("Items is required"));
    }

    #[test]
    fn huge_runs_are_refused_before_they_start() {
        let too_many_chunks = inputs("items=1000000&chunksize=1&cost=0")
            .validate()
            .unwrap_err();
        assert!(too_many_chunks
            .for_key("chunksize")
            .unwrap()
            .contains("raise the chunk size"));
        let too_long = inputs("items=1000000&cost=1000000").validate().unwrap_err();
        assert!(too_long.for_key("run").unwrap().contains("too big"));
        assert!(inputs("items=1000000&cost=0").validate().is_ok());
    }

    #[test]
    fn the_js_api_refuses_unknown_options_but_urls_ignore_them() {
        let strict = Inputs::from_pairs([("wrokers", "2")], true).unwrap_err();
        assert!(strict
            .for_key("wrokers")
            .unwrap()
            .contains("unknown option"));
        assert!(inputs("utm_source=blog&workers=2").validate().is_ok());
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            parse_query("?strategy=Pool%2Emap&items=1%2C000&x=%zz+y"),
            [
                ("strategy".to_owned(), "Pool.map".to_owned()),
                ("items".to_owned(), "1,000".to_owned()),
                ("x".to_owned(), "%zz y".to_owned()),
            ]
        );
        assert_eq!(inputs("items=1%2C000").validate().unwrap().items, 1000);
    }
}
