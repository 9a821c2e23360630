//! The raw text of every setting ([`Inputs`]), as the controls, a link or the JS API give it,
//! and the settings a strategy does not read, refused with why.

use super::invalid::Invalid;
use super::query::parse_query;
use super::value::quote;
use crate::model::field::Field;
use crate::model::strategy::Strategy;
use crate::model::words::group_digits;
use std::collections::{BTreeMap, BTreeSet};

/// The raw text of every setting, as typed in the controls or found in a URL or a JS
/// config object. Kept as text so a bad value can be shown back with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// The strategy's Python spelling.
    pub strategy: String,
    /// Text per setting (read it with [`Inputs::get`], which applies the strategy's
    /// defaults).
    pub values: BTreeMap<Field, String>,
    /// The settings given explicitly by a URL or a JS config (not defaults).
    pub given: BTreeSet<Field>,
}

impl Default for Inputs {
    fn default() -> Self {
        Self {
            strategy: Strategy::PoolMap.name().to_owned(),
            values: Field::ALL
                .into_iter()
                .map(|f| (f, f.default_text().to_owned()))
                .collect(),
            given: BTreeSet::new(),
        }
    }
}

impl Inputs {
    /// The text of one field: what was given or typed, else the chosen strategy's default.
    pub fn get(&self, field: Field) -> &str {
        let text = self.values.get(&field).map(String::as_str).unwrap_or("");
        if !self.given.contains(&field) && text == field.default_text() {
            if let Some(strategy) = Strategy::from_name(&self.strategy) {
                return strategy.default_text(field);
            }
        }
        text
    }

    /// A copy with one field's text replaced (an edit in the controls).
    pub fn with(mut self, field: Field, text: impl Into<String>) -> Self {
        self.values.insert(field, text.into());
        self.given.insert(field);
        self
    }

    /// A copy with another strategy picked in the controls: settings the new strategy does
    /// not read are no longer counted as given.
    pub fn with_strategy(mut self, name: impl Into<String>) -> Self {
        self.strategy = name.into();
        if let Some(strategy) = Strategy::from_name(&self.strategy) {
            let fields = strategy.fields();
            self.given.retain(|f| fields.contains(f));
            // A workload the new strategy does not run is not kept: the picker offers only
            // what runs.
            if !strategy
                .workload_choices()
                .contains(&self.get(Field::Workload))
            {
                self.values
                    .insert(Field::Workload, Field::Workload.default_text().to_owned());
            }
        }
        self
    }

    /// A copy without one setting: back to the strategy's default, and no longer given (the
    /// one-click fix for a setting the strategy does not read).
    pub fn without(mut self, field: Field) -> Self {
        self.values.insert(field, field.default_text().to_owned());
        self.given.remove(&field);
        self
    }

    /// The settings given (by a link or the JS API) that the chosen strategy does not read,
    /// each with why: they are refused, never silently ignored.
    pub fn refused(&self) -> Vec<(Field, String)> {
        let Some(strategy) = Strategy::from_name(&self.strategy) else {
            return Vec::new();
        };
        let fields = strategy.fields();
        self.given
            .iter()
            .filter(|field| !fields.contains(field))
            .map(|&field| (field, unused_field_message(strategy, field)))
            .collect()
    }

    /// The defaults overridden by `pairs` (URL parameters or a JS config object), each value
    /// stored in its canonical form when it parses (so the controls show what will run).
    /// Unknown keys are refused when `strict` (the JS API) and ignored otherwise (a page URL
    /// may carry other parameters).
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        strict: bool,
    ) -> Result<Self, Invalid> {
        let mut inputs = Self::default();
        let mut unknown = Vec::new();
        for (key, value) in pairs {
            // A link's keys are matched as loosely as its values (`?Workers=3` sets workers);
            // the JS API takes its keys exactly, as JS does.
            let key = if strict {
                key.as_ref()
            } else {
                key.as_ref().trim()
            };
            let is = |name: &str| name == key || (!strict && name.eq_ignore_ascii_case(key));
            let value: String = value.into();
            if is("strategy") {
                inputs.strategy = Strategy::from_name(&value)
                    .map(|s| s.name().to_owned())
                    .unwrap_or(value);
            } else if let Some(field) = Field::ALL.into_iter().find(|f| is(f.key())) {
                let text = field.normalise(&value).unwrap_or(value);
                inputs.values.insert(field, text);
                inputs.given.insert(field);
            } else if strict {
                unknown.push(key.to_owned());
            }
        }
        if unknown.is_empty() {
            Ok(inputs)
        } else {
            let mut invalid = Invalid::default();
            invalid.add("options", unknown_options_message(&unknown));
            Err(invalid)
        }
    }

    /// The settings of a page URL's query string (`?strategy=Pool.map&workers=5`).
    pub fn from_query(query: &str) -> Self {
        let pairs = parse_query(query);
        Self::from_pairs(pairs, false).unwrap_or_default()
    }
}

/// One short message for any number of unknown keys: the first few named, the rest counted.
fn unknown_options_message(unknown: &[String]) -> String {
    const NAMED: usize = 3;
    let keys: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
    let named: Vec<String> = unknown.iter().take(NAMED).map(|k| quote(k)).collect();
    let more = unknown.len().saturating_sub(NAMED);
    format!(
        "unknown option{} {}{}: use strategy, {}",
        if unknown.len() == 1 { "" } else { "s" },
        named.join(", "),
        if more > 0 {
            format!(" and {} more", group_digits(more as u64))
        } else {
            String::new()
        },
        keys.join(", ")
    )
}

/// Why a given setting does not apply to a strategy, in CPython's terms where it has them.
fn unused_field_message(strategy: Strategy, field: Field) -> String {
    let refusals = strategy.rule().refusals;
    if let Some((_, why)) = refusals.iter().find(|(refused, _)| *refused == field) {
        return (*why).to_owned();
    }
    match (strategy, field) {
        (strategy, Field::Requests | Field::LatencyMs | Field::Limit | Field::TimeoutMs | Field::ReturnExceptions | Field::Urls) if !strategy.is_fetch() => format!(
            "'{}' is a setting of the fetch strategies (asyncio.gather, sequential): {} does not read it",
            field.key(),
            strategy.name()
        ),
        (strategy, _) if strategy.is_fetch() => format!(
            "{} fetches files on the page's event loop: it does not read '{}' (it reads {})",
            strategy.name(),
            field.key(),
            strategy.fields().iter().map(|f| f.key()).collect::<Vec<_>>().join(", ")
        ),
        (strategy, Field::RaiseAt | Field::RaiseCost) => format!(
            "{} is not taught with tasks that raise here: '{}' is a setting of the Pool strategies, ProcessPoolExecutor.map, ThreadPoolExecutor.map, multiprocessing.Process, threading.Thread, queue.Queue and rayon.par_iter",
            strategy.name(),
            field.key()
        ),
        (_, Field::Gil) => format!(
            "{} runs in worker processes (or Rust threads), each with its own interpreter: the GIL setting applies only to thread strategies",
            strategy.name()
        ),
        _ => format!("{} does not use '{}': leave it out", strategy.name(), field.key()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field::FieldKind;
    use crate::model::workload::Shape;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn settings_a_strategy_does_not_read_are_refused_when_given() {
        let apply = inputs("strategy=Pool.apply&chunksize=3")
            .validate()
            .unwrap_err();
        assert_eq!(
            apply.for_key("chunksize"),
            Some("apply sends one task per call: it takes no chunksize")
        );
        let pool_gil = inputs("strategy=Pool.map&gil=true").validate().unwrap_err();
        assert!(pool_gil
            .for_key("gil")
            .unwrap()
            .contains("applies only to thread strategies"));
        let gather = inputs("strategy=asyncio.gather&workers=3")
            .validate()
            .unwrap_err();
        assert!(gather
            .for_key("workers")
            .unwrap()
            .contains("does not read 'workers'"));
        let static_split = inputs("strategy=static&raise_at=3").validate().unwrap_err();
        assert!(static_split
            .for_key("raise_at")
            .unwrap()
            .contains("static is not taught with tasks that raise here"));
        let out_of_range = inputs("strategy=Pool.map&items=10&raise_at=3,11&raise_cost=soon")
            .validate()
            .unwrap_err();
        assert!(out_of_range
            .for_key("raise_at")
            .unwrap()
            .contains("item 11 does not exist: the items are numbered 1 to 10"));
        assert!(out_of_range
            .for_key("raise_cost")
            .unwrap()
            .contains("must be one of same, slow, fast, not 'soon'"));
        let fetch = inputs("strategy=queue.Queue&items=4&workload=fetch&raise_at=1")
            .validate()
            .unwrap_err();
        assert!(fetch
            .for_key("raise_at")
            .unwrap()
            .contains("fail as requests do"));
        // Picking another strategy in the controls forgets what it does not read.
        let picked = inputs("chunksize=3").with_strategy("ThreadPoolExecutor.map");
        assert!(picked.validate().is_ok());
    }

    #[test]
    fn the_js_api_refuses_unknown_options_but_urls_ignore_them() {
        let strict = Inputs::from_pairs([("wrokers", "2")], true).unwrap_err();
        assert!(strict
            .for_key("options")
            .unwrap()
            .starts_with("unknown option 'wrokers': use strategy, workers"));
        assert!(inputs("utm_source=blog&workers=2").validate().is_ok());
        let loose = inputs("Strategy=queue.Queue&%20WORKERS%20=3");
        assert_eq!(
            (loose.strategy.as_str(), loose.get(Field::Workers)),
            ("queue.Queue", "3")
        );
        let exact = Inputs::from_pairs([("Workers", "3")], true).unwrap_err();
        assert!(exact.for_key("options").unwrap().contains("'Workers'"));
    }

    #[test]
    fn links_are_read_as_the_controls_show_them() {
        let canonical = |query: &str| {
            let inputs = inputs(query);
            let config = inputs.validate().unwrap();
            (inputs, config)
        };
        let (shown, run) = canonical("strategy=%20static%20");
        assert_eq!(
            (shown.strategy.as_str(), run.strategy),
            ("static", Strategy::Static)
        );
        let (shown, run) = canonical("strategy=POOL.MAP");
        assert_eq!(
            (shown.strategy.as_str(), run.strategy),
            ("Pool.map", Strategy::PoolMap)
        );
        let (shown, run) =
            canonical("strategy=queue.Queue&gil=TRUE&shape=%20Random%20&workers=%2002");
        assert_eq!(
            (
                shown.get(Field::Gil),
                shown.get(Field::Shape),
                shown.get(Field::Workers)
            ),
            ("true", "random", "2")
        );
        assert_eq!(
            (run.gil, run.workload.shape, run.workers),
            (true, Shape::Random, 2)
        );
        let (shown, run) = canonical("strategy=asyncio.gather&return_exceptions=True");
        assert_eq!(shown.get(Field::ReturnExceptions), "true");
        assert!(run.fetch.return_exceptions);
        // What does not parse is kept as written, to be shown with its message.
        let bad = inputs("shape=wavy&items=1,2,3");
        assert_eq!(
            (bad.get(Field::Shape), bad.get(Field::Items)),
            ("wavy", "1,2,3")
        );
        for field in Field::ALL {
            if let Some(text) = field.normalise(field.default_text()) {
                assert_eq!(text, field.default_text(), "defaults are canonical");
            }
        }
    }

    #[test]
    fn a_setting_the_strategy_does_not_read_is_named_and_can_be_dropped() {
        let mut links = 0;
        for strategy in Strategy::ALL {
            let reads = strategy.fields();
            for field in Field::ALL.into_iter().filter(|f| !reads.contains(f)) {
                let value = match field.kind() {
                    FieldKind::Number { min, .. } => min.max(1).to_string(),
                    FieldKind::Choice(names) => names[1].to_owned(),
                    FieldKind::Flag => "true".to_owned(),
                    FieldKind::Text => "https://example.com/a".to_owned(),
                };
                let link = inputs(&format!(
                    "strategy={}&{}={value}",
                    strategy.name(),
                    field.key()
                ));
                let refused = link.refused();
                assert_eq!(refused.len(), 1, "{link:?}");
                assert_eq!(refused[0].0, field);
                assert!(
                    refused[0].1.contains(field.key()) || refused[0].1.contains("GIL"),
                    "the message names the setting: {}",
                    refused[0].1
                );
                let invalid = link.validate().unwrap_err();
                assert_eq!(invalid.for_key(field.key()), Some(refused[0].1.as_str()));
                let dropped = link.without(field);
                assert!(dropped.refused().is_empty());
                assert!(
                    dropped.validate().is_ok(),
                    "{} without {}",
                    strategy.name(),
                    field.key()
                );
                links += 1;
            }
        }
        assert!(links >= 15, "{links} links");
    }

    #[test]
    fn every_strategy_runs_with_its_defaults() {
        for strategy in Strategy::ALL {
            let bare = inputs(&format!("strategy={}", strategy.name()));
            let config = bare
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", strategy.name()));
            let picked = Inputs::default().with_strategy(strategy.name());
            assert_eq!(picked.validate().unwrap(), config, "{}", strategy.name());
        }
        let thread = inputs("strategy=threading.Thread").validate().unwrap();
        assert_eq!((thread.items, thread.workers), (16, 16));
        assert_eq!(
            inputs(&thread.to_query()).validate().unwrap().items,
            16,
            "the link of the default run reproduces it"
        );
        // An edit is kept when the strategy changes; a default follows the strategy.
        let edited = Inputs::default()
            .with(Field::Items, "10")
            .with_strategy("threading.Thread");
        assert_eq!(edited.validate().unwrap().items, 10);
        let back = inputs("strategy=threading.Thread").with_strategy("Pool.map");
        assert_eq!(back.validate().unwrap().items, 100);
    }
}
