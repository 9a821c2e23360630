//! A run's settings and their one parser. The controls, the page URL and
//! `window.playground.run(config)` all hand [`Inputs`] (raw text per key) to
//! [`Inputs::validate`], so the three can never disagree about what is valid.

use crate::model::field::{Field, FieldKind};
use crate::model::pool_map::{default_chunksize, default_chunksize_formula};
use crate::model::strategy::{Chunking, Strategy, WorkerCount};
use crate::model::words::group_digits;
use crate::model::workload::{Shape, Workload, WorkloadKind};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
fn js_number_name(value: f64) -> String {
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

/// The longest run accepted: its estimated time on one worker, ms. Longer runs are refused
/// with a message, never started.
pub const MAX_ESTIMATED_MS: f64 = 120_000.0;

/// The most threads `threading.Thread` may start: the browser cannot start an OS thread per
/// task, so each runs on one of the page's 16 Web Workers.
pub const MAX_THREADS: usize = 16;

/// Most processes `multiprocessing.Process` starts in one run (one per item).
pub const MAX_PROCESSES: usize = 64;

/// The most requests a `fetch` workload makes (one per item), as for `asyncio.gather`.
pub const MAX_FETCH_REQUESTS: usize = Field::Requests.range().1 as usize;

/// Settings of the fetch strategies (`asyncio.gather`, `sequential`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// Number of fetches.
    pub requests: usize,
    /// Latency added before each response is read, ms.
    pub latency_ms: u32,
    /// Most fetches in flight at once (`asyncio.Semaphore`), if limited.
    pub limit: Option<usize>,
    /// Per-request timeout, ms, if any.
    pub timeout_ms: Option<u32>,
    /// Whether errors are placed in the results instead of raised.
    pub return_exceptions: bool,
    /// URLs typed by the user (http and https only); empty for the shipped files.
    pub urls: Vec<String>,
}

/// A validated run: every value in range and consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// The strategy to run.
    pub strategy: Strategy,
    /// Number of workers that really do the work (the items for `threading.Thread`).
    pub workers: usize,
    /// The chunk size the user gave, or `None` for the strategy's default rule.
    pub chunksize: Option<usize>,
    /// Number of input items (`1..=items`).
    pub items: usize,
    /// The work each task does.
    pub workload: Workload,
    /// Whether a GIL is held while threads compute (thread strategies only).
    pub gil: bool,
    /// Settings of the fetch strategies.
    pub fetch: FetchConfig,
    /// The settings that were given (the rest are defaults), for links.
    given: BTreeSet<Field>,
}

impl RunConfig {
    /// The chunk size the run uses: the one given, or the strategy's default rule.
    pub fn resolved_chunksize(&self) -> usize {
        match self.strategy.chunking() {
            Chunking::DefaultRule => self
                .chunksize
                .unwrap_or_else(|| default_chunksize(self.items, self.workers)),
            Chunking::DefaultOne => self.chunksize.unwrap_or(1),
            Chunking::PerItem => 1,
            Chunking::Adaptive => self.items.div_ceil(self.workers.max(1)).max(1),
        }
    }

    /// How the chunk size was chosen, for the page: `7 (default: ceil(100 / (4 × 4)))`.
    pub fn chunksize_explanation(&self) -> String {
        match (self.chunksize, self.strategy.chunking()) {
            (Some(given), _) => format!("{given} (given)"),
            (None, Chunking::DefaultRule) => format!(
                "{} (default: {})",
                self.resolved_chunksize(),
                default_chunksize_formula(self.items, self.workers)
            ),
            (None, Chunking::DefaultOne) => format!("1 (default for {})", self.strategy.name()),
            (None, Chunking::PerItem) => "1 (one item per task)".to_owned(),
            (None, Chunking::Adaptive) => "no chunk size".to_owned(),
        }
    }

    /// The base cost per item.
    pub fn cost(&self) -> u32 {
        self.workload.cost
    }

    /// The same run with another worker count (for the 1-worker baseline).
    pub fn with_workers(&self, workers: usize) -> Self {
        Self {
            workers,
            ..self.clone()
        }
    }

    /// The same workload run sequentially on one worker, for the speed-up: one block on one
    /// worker (`static`), no pickling, no GIL. The `fetch` workload runs only on threads: its
    /// requests one after another on one thread of `ThreadPoolExecutor.map`.
    pub fn sequential_baseline(&self) -> Self {
        let strategy = if self.workload.kind == WorkloadKind::Fetch {
            Strategy::ThreadPoolMap
        } else {
            Strategy::Static
        };
        Self {
            strategy,
            workers: 1,
            chunksize: None,
            gil: false,
            ..self.clone()
        }
    }

    /// The settings as URL query pairs, in a stable order: the strategy, then every setting
    /// it reads that is set (empty optional settings are left out).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("strategy", self.strategy.name().to_owned())];
        for &field in self.strategy.fields() {
            let value = match field {
                Field::Workers => Some(self.workers.to_string()),
                Field::Chunksize => self.chunksize.map(|c| c.to_string()),
                Field::Items => Some(self.items.to_string()),
                Field::Workload => Some(self.workload.kind.name().to_owned()),
                Field::Cost => Some(self.workload.cost.to_string()),
                Field::Shape => Some(self.workload.shape.name().to_owned()),
                Field::Seed => Some(self.workload.seed.to_string()),
                Field::Gil => Some(self.gil.to_string()),
                Field::Requests => Some(self.fetch.requests.to_string()),
                Field::LatencyMs => Some(self.fetch.latency_ms.to_string()),
                Field::Limit => self.fetch.limit.map(|l| l.to_string()),
                Field::TimeoutMs => self.fetch.timeout_ms.map(|t| t.to_string()),
                Field::ReturnExceptions => Some(self.fetch.return_exceptions.to_string()),
                Field::Urls => (!self.fetch.urls.is_empty()).then(|| self.fetch.urls.join(" ")),
            };
            // Settings left at their default stay out of the link unless they were given.
            let is_default = value.as_deref() == Some(self.strategy.default_text(field));
            if let Some(value) = value.filter(|_| {
                !is_default
                    || self.given.contains(&field)
                    || matches!(field, Field::Workers | Field::Items | Field::Cost)
            }) {
                pairs.push((field.key(), value));
            }
        }
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

    /// The settings of a `window.playground.run(config)` object, read as JS values: numbers
    /// as numbers, booleans as booleans, `undefined` and `null` as "not given". Every
    /// problem (an unknown key, a value of the wrong type, a getter that threw) is refused
    /// with a short message.
    pub fn from_config(
        entries: impl IntoIterator<Item = (String, ConfigValue)>,
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let mut pairs = Vec::new();
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
                    field.number_text(n)
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

    /// The settings of a page URL's query string (`?strategy=Pool.map&workers=5`).
    pub fn from_query(query: &str) -> Self {
        let pairs = parse_query(query);
        Self::from_pairs(pairs, false).unwrap_or_default()
    }

    /// Checks every setting the strategy reads, and their combination; on success the run
    /// is safe to start. A setting the strategy does not read is refused if it was given.
    pub fn validate(&self) -> Result<RunConfig, Invalid> {
        let mut invalid = Invalid::default();
        let Some(strategy) = Strategy::from_name(&self.strategy) else {
            invalid.add("strategy", unknown_strategy_message(&self.strategy));
            return Err(invalid);
        };
        let fields = strategy.fields();
        for (field, message) in self.refused() {
            invalid.add(field.key(), message);
        }
        let reads = |field: Field| fields.contains(&field);
        let mut number = |field: Field| -> Option<u64> {
            let text = if reads(field) {
                self.get(field)
            } else {
                field.default_text()
            };
            match field.parse_number(text) {
                Ok(value) => value,
                Err(message) => {
                    invalid.add(field.key(), message);
                    None
                }
            }
        };
        let workers = number(Field::Workers);
        let chunksize = number(Field::Chunksize);
        let items = number(Field::Items);
        let cost = number(Field::Cost);
        let seed = number(Field::Seed);
        let requests = number(Field::Requests);
        let latency_ms = number(Field::LatencyMs);
        let limit = number(Field::Limit);
        let timeout_ms = number(Field::TimeoutMs);
        let text = |field: Field| {
            if reads(field) {
                self.get(field)
            } else {
                field.default_text()
            }
        };
        let mut note = |field: Field, result: Result<usize, String>| {
            result.map_err(|m| invalid.add(field.key(), m)).ok()
        };
        let workload_kind = note(
            Field::Workload,
            Field::Workload.parse_choice(text(Field::Workload)),
        );
        let shape = note(Field::Shape, Field::Shape.parse_choice(text(Field::Shape)));
        let gil = note(
            Field::Gil,
            Field::Gil.parse_flag(text(Field::Gil)).map(usize::from),
        );
        let return_exceptions = note(
            Field::ReturnExceptions,
            Field::ReturnExceptions
                .parse_flag(text(Field::ReturnExceptions))
                .map(usize::from),
        );
        let urls = note(Field::Urls, Ok(0)).map(|_| parse_urls(text(Field::Urls)));
        let urls = match urls {
            Some(Ok(urls)) => Some(urls),
            Some(Err(message)) => {
                invalid.add(Field::Urls.key(), message);
                None
            }
            None => None,
        };
        let (
            Some(items),
            Some(cost),
            Some(seed),
            Some(requests),
            Some(latency_ms),
            Some(kind),
            Some(shape),
            Some(gil),
            Some(return_exceptions),
            Some(urls),
        ) = (
            items,
            cost,
            seed,
            requests,
            latency_ms,
            workload_kind,
            shape,
            gil,
            return_exceptions,
            urls,
        )
        else {
            return Err(invalid);
        };
        if !invalid.messages.is_empty() {
            return Err(invalid);
        }
        let items = items as usize;
        let workers = match strategy.rule().workers {
            WorkerCount::OnePerItem => items,
            WorkerCount::Setting | WorkerCount::EventLoop => workers.unwrap_or(1) as usize,
        };
        let config = RunConfig {
            strategy,
            workers,
            chunksize: chunksize.map(|c| c as usize),
            items,
            workload: Workload {
                kind: WorkloadKind::ALL[kind],
                cost: cost as u32,
                shape: Shape::ALL[shape],
                seed,
                items,
            },
            gil: gil == 1,
            fetch: FetchConfig {
                requests: if urls.is_empty() {
                    requests as usize
                } else {
                    urls.len()
                },
                latency_ms: latency_ms as u32,
                limit: limit.map(|l| l as usize),
                timeout_ms: timeout_ms.map(|t| t as u32),
                return_exceptions: return_exceptions == 1,
                urls,
            },
            given: self.given.clone(),
        };
        if strategy.is_fetch() {
            return Ok(config);
        }
        if config.workload.kind == WorkloadKind::Fetch {
            if !strategy.is_threaded() {
                invalid.add(
                    Field::Workload.key(),
                    format!("{} does not run fetch: fetch runs only on thread strategies (threading.Thread, ThreadPoolExecutor.map, queue.Queue: threads blocked on I/O); for one event loop use asyncio.gather", strategy.name()),
                );
            } else if items > MAX_FETCH_REQUESTS {
                invalid.add(
                    Field::Items.key(),
                    format!("fetch makes one request per item: use at most {MAX_FETCH_REQUESTS} items (as many requests as asyncio.gather takes)"),
                );
            }
        }
        if strategy == Strategy::MultiprocessingProcess && items > MAX_PROCESSES {
            invalid.add(
                Field::Items.key(),
                format!(
                    "multiprocessing.Process starts one process per item: use at most {MAX_PROCESSES} items here (each process is a Web Worker with its own memory), or a pool"
                ),
            );
        }
        if strategy == Strategy::ThreadingThread && items > MAX_THREADS {
            invalid.add(
                Field::Items.key(),
                format!(
                    "threading.Thread starts one thread per item, and the browser can run at most {MAX_THREADS} at once (CPython would start all {}): use at most {MAX_THREADS} items, or a pool",
                    group_digits(items as u64)
                ),
            );
        }
        let estimated_ms = config.workload.estimated_total_ms();
        if estimated_ms > MAX_ESTIMATED_MS {
            invalid.add(
                "run",
                format!(
                    "This run is too big: {} items at this cost would take about {} minutes on one worker (the limit is 2). Lower the items or the cost per item",
                    group_digits(config.items as u64),
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

/// Why a strategy's name is refused, with the names that work.
fn unknown_strategy_message(text: &str) -> String {
    let known: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
    format!(
        "unknown strategy {}: use one of {}",
        quote(text.trim()),
        known.join(", ")
    )
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
        (_, Field::Gil) => format!(
            "{} runs in worker processes (or Rust threads), each with its own interpreter: the GIL setting applies only to thread strategies",
            strategy.name()
        ),
        _ => format!("{} does not use '{}': leave it out", strategy.name(), field.key()),
    }
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
fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(
            crate::model::program::program(&config, "http://127.0.0.1:8080/")
                .contains("results = pool.map(square, range(1, 15), chunksize=3)")
        );
    }

    #[test]
    fn empty_chunksize_shows_the_strategy_default() {
        let map = inputs("workers=4&items=100&chunksize=").validate().unwrap();
        assert_eq!(
            map.chunksize_explanation(),
            "7 (default: ceil(100 / (4 × 4)))"
        );
        let imap = inputs("strategy=Pool.imap&workers=4&items=100")
            .validate()
            .unwrap();
        assert_eq!(
            (
                imap.resolved_chunksize(),
                imap.chunksize_explanation().as_str()
            ),
            (1, "1 (default for Pool.imap)")
        );
        let ppe = inputs("strategy=ProcessPoolExecutor.map&items=100")
            .validate()
            .unwrap();
        assert_eq!(ppe.resolved_chunksize(), 1);
        let tpe = inputs("strategy=ThreadPoolExecutor.map&items=100")
            .validate()
            .unwrap();
        assert_eq!(tpe.resolved_chunksize(), 1);
    }

    #[test]
    fn a_config_round_trips_through_its_query() {
        for query in [
            "workers=3&items=1000&chunksize=9&cost=77",
            "workers=3&items=10",
            "strategy=queue.Queue&workers=2&items=50&workload=io&cost=500&shape=random&seed=9&gil=false",
            "strategy=threading.Thread&items=5&gil=true",
            "strategy=asyncio.gather&requests=4&latency_ms=100&limit=2&timeout_ms=900&return_exceptions=true",
            "strategy=sequential&urls=/a.bin%20https://example.com/x",
        ] {
            let config = inputs(query).validate().unwrap();
            assert_eq!(inputs(&config.to_query()).validate().unwrap().to_query(), config.to_query(), "{query}");
            let again = inputs(&config.to_query()).validate().unwrap();
            assert_eq!((again.strategy, again.items, again.workload, again.gil), (config.strategy, config.items, config.workload, config.gil));
            assert_eq!(again.fetch, config.fetch, "{query}");
        }
    }

    #[test]
    fn bad_values_get_a_message_on_their_own_control() {
        let invalid =
            inputs("workers=0&chunksize=abc&items=2000000&cost=-1&shape=wavy&workload=disk")
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
        assert_eq!(
            invalid.for_key("shape"),
            Some("Cost shape must be one of uniform, increasing, random, heavy, straggler, not 'wavy'")
        );
        assert!(invalid
            .for_key("workload")
            .unwrap()
            .contains("one of cpu, io"));
        let strategy = inputs("strategy=Pool.zap").validate().unwrap_err();
        assert!(strategy
            .for_key("strategy")
            .unwrap()
            .contains("unknown strategy 'Pool.zap'"));
        let flag = inputs("strategy=queue.Queue&gil=maybe")
            .validate()
            .unwrap_err();
        assert_eq!(
            flag.for_key("gil"),
            Some("GIL must be true or false, not 'maybe'")
        );
    }

    #[test]
    fn chunksize_zero_is_refused_and_empty_items_is_required() {
        let invalid = inputs("chunksize=0&items=").validate().unwrap_err();
        assert!(invalid.for_key("chunksize").unwrap().contains("from 1 to"));
        assert_eq!(invalid.for_key("items"), Some("Items is required"));
        let imap = inputs("strategy=Pool.imap&chunksize=0")
            .validate()
            .unwrap_err();
        assert!(imap.for_key("chunksize").unwrap().contains("from 1 to"));
    }

    #[test]
    fn settings_a_strategy_does_not_read_are_refused_when_given() {
        let tpe = inputs("strategy=ThreadPoolExecutor.map&chunksize=3")
            .validate()
            .unwrap_err();
        assert!(tpe
            .for_key("chunksize")
            .unwrap()
            .contains("ThreadPoolExecutor.map ignores chunksize"));
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
        // Picking another strategy in the controls forgets what it does not read.
        let picked = inputs("chunksize=3").with_strategy("ThreadPoolExecutor.map");
        assert!(picked.validate().is_ok());
    }

    #[test]
    fn fetch_runs_only_on_thread_strategies() {
        let pool = inputs("strategy=Pool.map&workload=fetch")
            .validate()
            .unwrap_err();
        assert_eq!(
            pool.for_key("workload"),
            Some("Pool.map does not run fetch: fetch runs only on thread strategies (threading.Thread, ThreadPoolExecutor.map, queue.Queue: threads blocked on I/O); for one event loop use asyncio.gather")
        );
        for strategy in ["rayon.par_iter", "static", "ProcessPoolExecutor.map"] {
            let refused = inputs(&format!("strategy={strategy}&workload=fetch"))
                .validate()
                .unwrap_err();
            assert!(
                refused
                    .for_key("workload")
                    .unwrap()
                    .contains("only on thread strategies"),
                "{strategy}"
            );
        }
        let tpe = inputs("strategy=ThreadPoolExecutor.map&workers=4&items=8&workload=fetch")
            .validate()
            .unwrap();
        assert_eq!(tpe.workload.kind, WorkloadKind::Fetch);
        assert!(tpe.to_query().contains("workload=fetch"));
        assert!(
            crate::model::program::program(&tpe, "http://127.0.0.1:8080/")
                .contains("results = list(executor.map(get_size, URLS))")
        );
        for strategy in ["threading.Thread", "queue.Queue"] {
            let config = inputs(&format!("strategy={strategy}&items=8&workload=fetch"))
                .validate()
                .unwrap();
            assert!(
                crate::model::program::program(&config, "http://127.0.0.1:8080/")
                    .contains("results[i] = get_size(x)"),
                "{strategy}"
            );
        }
        let too_many = inputs("strategy=queue.Queue&items=65&workload=fetch")
            .validate()
            .unwrap_err();
        assert!(too_many
            .for_key("items")
            .unwrap()
            .contains("at most 64 items"));
        assert!(
            inputs("strategy=queue.Queue&items=64&workload=fetch&cost=1000000")
                .validate()
                .is_ok(),
            "64 requests of 1 s added latency stay within the guard"
        );
    }

    #[test]
    fn the_workload_picker_offers_fetch_only_where_it_runs() {
        for strategy in Strategy::ALL.into_iter().filter(|s| !s.is_fetch()) {
            let offers_fetch = strategy.workload_choices().contains(&"fetch");
            let runs_fetch = inputs(&format!(
                "strategy={}&items=8&workload=fetch",
                strategy.name()
            ))
            .validate()
            .is_ok();
            assert_eq!(offers_fetch, runs_fetch, "{}", strategy.name());
            assert!(strategy.workload_choices().starts_with(&["cpu", "io"]));
        }
        // Picking a strategy that does not run fetch goes back to the default workload.
        let picked =
            inputs("strategy=queue.Queue&items=8&workload=fetch").with_strategy("Pool.map");
        assert_eq!(picked.get(Field::Workload), "cpu");
        assert!(picked.validate().is_ok());
        let kept = inputs("strategy=queue.Queue&items=8&workload=fetch")
            .with_strategy("ThreadPoolExecutor.map");
        assert_eq!(kept.get(Field::Workload), "fetch");
    }

    #[test]
    fn threading_thread_starts_at_most_sixteen_threads() {
        let ok = inputs("strategy=threading.Thread&items=16")
            .validate()
            .unwrap();
        assert_eq!(ok.workers, 16, "one thread per item");
        let too_many = inputs("strategy=threading.Thread&items=17")
            .validate()
            .unwrap_err();
        assert!(too_many
            .for_key("items")
            .unwrap()
            .contains("at most 16 at once"));
    }

    #[test]
    fn huge_runs_are_refused_before_they_start() {
        // A task per item is allowed, up to a million: drawing is aggregated to the pixels.
        assert!(inputs("items=1000000&chunksize=1&cost=0")
            .validate()
            .is_ok());
        assert!(inputs("strategy=queue.Queue&items=1000000&cost=0")
            .validate()
            .is_ok());
        let too_long = inputs("items=1000000&cost=1000000").validate().unwrap_err();
        assert!(too_long.for_key("run").unwrap().contains("too big"));
        let long_waits = inputs("strategy=queue.Queue&items=100000&workload=io&cost=1000000")
            .validate()
            .unwrap_err();
        assert!(long_waits.for_key("run").unwrap().contains("too big"));
        assert!(inputs("items=1000000&cost=0").validate().is_ok());
        assert!(inputs("strategy=rayon.par_iter&items=1000000&cost=0")
            .validate()
            .is_ok());
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
