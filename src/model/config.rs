//! A run's settings and their one parser. The controls, the page URL and
//! `window.playground.run(config)` all hand [`Inputs`] (raw text per key) to
//! [`Inputs::validate`], so the three can never disagree about what is valid.

use crate::model::pool_map::{default_chunksize, default_chunksize_formula};
use crate::model::workload::{Shape, Workload, WorkloadKind};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A parallel strategy, named as Python users write it (plus Rust's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// `threading.Thread(target=f, args=(x,))` per item, started then joined in order.
    ThreadingThread,
    /// `ThreadPoolExecutor(max_workers).map(f, items)`.
    ThreadPoolMap,
    /// `multiprocessing.Pool.map(f, items, chunksize)`.
    PoolMap,
    /// `Pool.map_async(f, items, chunksize).get()`.
    PoolMapAsync,
    /// `Pool.imap(f, items, chunksize=1)`: results in input order, as they become available.
    PoolImap,
    /// `Pool.imap_unordered(f, items, chunksize=1)`: results in completion order.
    PoolImapUnordered,
    /// `Pool.starmap(f, [(x, 2), …], chunksize)`: argument tuples.
    PoolStarmap,
    /// `[pool.apply_async(f, (x,)) for x in items]`, then each `.get()` in order.
    PoolApplyAsync,
    /// `ProcessPoolExecutor(max_workers).map(f, items, chunksize=1)`.
    ProcessPoolMap,
    /// A `queue.Queue` drained by N worker threads.
    QueueQueue,
    /// rayon's `par_iter().map()`: recursive splitting and work stealing.
    RayonParIter,
    /// A static split into equal contiguous blocks, one per worker.
    Static,
    /// `asyncio.gather(*fetches)` on one event loop.
    AsyncioGather,
    /// Awaiting the fetches one after another.
    Sequential,
}

/// How a strategy cuts its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// `Pool.map`'s default rule when no chunk size is given.
    DefaultRule,
    /// Chunk size 1 unless given (`imap`, `ProcessPoolExecutor.map`).
    DefaultOne,
    /// One item per task, no chunk size (threads, `ThreadPoolExecutor`, `apply_async`, queue).
    PerItem,
    /// No chunk size: rayon splits adaptively, `static` in one block per worker.
    Adaptive,
}

impl Strategy {
    /// Every strategy, in the order the picker lists them.
    pub const ALL: [Strategy; 14] = [
        Strategy::PoolMap,
        Strategy::PoolMapAsync,
        Strategy::PoolImap,
        Strategy::PoolImapUnordered,
        Strategy::PoolStarmap,
        Strategy::PoolApplyAsync,
        Strategy::ProcessPoolMap,
        Strategy::ThreadPoolMap,
        Strategy::ThreadingThread,
        Strategy::QueueQueue,
        Strategy::RayonParIter,
        Strategy::Static,
        Strategy::AsyncioGather,
        Strategy::Sequential,
    ];

    /// The Python spelling used in URLs, the JS API and the trace.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::ThreadingThread => "threading.Thread",
            Strategy::ThreadPoolMap => "ThreadPoolExecutor.map",
            Strategy::PoolMap => "Pool.map",
            Strategy::PoolMapAsync => "Pool.map_async",
            Strategy::PoolImap => "Pool.imap",
            Strategy::PoolImapUnordered => "Pool.imap_unordered",
            Strategy::PoolStarmap => "Pool.starmap",
            Strategy::PoolApplyAsync => "Pool.apply_async",
            Strategy::ProcessPoolMap => "ProcessPoolExecutor.map",
            Strategy::QueueQueue => "queue.Queue",
            Strategy::RayonParIter => "rayon.par_iter",
            Strategy::Static => "static",
            Strategy::AsyncioGather => "asyncio.gather",
            Strategy::Sequential => "sequential",
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

    /// The module or library the strategy comes from, as the picker groups them.
    pub fn family(self) -> &'static str {
        match self {
            Strategy::PoolMap
            | Strategy::PoolMapAsync
            | Strategy::PoolImap
            | Strategy::PoolImapUnordered
            | Strategy::PoolStarmap
            | Strategy::PoolApplyAsync => "multiprocessing.Pool",
            Strategy::ProcessPoolMap | Strategy::ThreadPoolMap => "concurrent.futures",
            Strategy::ThreadingThread | Strategy::QueueQueue => "threading",
            Strategy::RayonParIter | Strategy::Static => "Rust",
            Strategy::AsyncioGather | Strategy::Sequential => "asyncio",
        }
    }

    /// How the strategy cuts its input.
    pub fn chunking(self) -> Chunking {
        match self {
            Strategy::PoolMap | Strategy::PoolMapAsync | Strategy::PoolStarmap => {
                Chunking::DefaultRule
            }
            Strategy::PoolImap | Strategy::PoolImapUnordered | Strategy::ProcessPoolMap => {
                Chunking::DefaultOne
            }
            Strategy::ThreadingThread
            | Strategy::ThreadPoolMap
            | Strategy::PoolApplyAsync
            | Strategy::QueueQueue
            | Strategy::AsyncioGather
            | Strategy::Sequential => Chunking::PerItem,
            Strategy::RayonParIter | Strategy::Static => Chunking::Adaptive,
        }
    }

    /// Whether tasks cross a process boundary (arguments and results pickled to bytes).
    pub fn is_process_pool(self) -> bool {
        matches!(
            self,
            Strategy::PoolMap
                | Strategy::PoolMapAsync
                | Strategy::PoolImap
                | Strategy::PoolImapUnordered
                | Strategy::PoolStarmap
                | Strategy::PoolApplyAsync
                | Strategy::ProcessPoolMap
        )
    }

    /// Whether the strategy runs Python threads in one process (so the GIL applies).
    pub fn is_threaded(self) -> bool {
        matches!(
            self,
            Strategy::ThreadingThread | Strategy::ThreadPoolMap | Strategy::QueueQueue
        )
    }

    /// Whether the strategy fetches resources on one event loop instead of running tasks.
    pub fn is_fetch(self) -> bool {
        matches!(self, Strategy::AsyncioGather | Strategy::Sequential)
    }

    /// The settings this strategy reads.
    pub fn fields(self) -> Vec<Field> {
        use Field::*;
        if self.is_fetch() {
            let mut fields = vec![Requests, LatencyMs, TimeoutMs, ReturnExceptions, Urls];
            if self == Strategy::AsyncioGather {
                fields.insert(2, Limit);
            }
            return fields;
        }
        let mut fields = Vec::new();
        if self != Strategy::ThreadingThread {
            fields.push(Workers);
        }
        if matches!(
            self.chunking(),
            Chunking::DefaultRule | Chunking::DefaultOne
        ) {
            fields.push(Chunksize);
        }
        fields.extend([Items, Workload, Cost, Shape, Seed]);
        if self.is_threaded() {
            fields.push(Gil);
        }
        fields
    }
}

/// What kind of value a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A whole number in a range.
    Number {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// One of a list of names.
    Choice(&'static [&'static str]),
    /// `true` or `false`.
    Flag,
    /// Free text (a list of URLs).
    Text,
}

/// A setting: its URL key, label, kind and default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// Number of pool workers (threads that really do the work).
    Workers,
    /// Items per chunk; empty means the strategy's default rule.
    Chunksize,
    /// Number of input items.
    Items,
    /// `cpu`, `io` or `fetch` (thread strategies only).
    Workload,
    /// Base cost per item: `k` of "primes below k" (cpu) or µs of waiting (io).
    Cost,
    /// How the cost is spread over the items.
    Shape,
    /// Seed of the random shapes.
    Seed,
    /// Whether the thread strategies hold a global interpreter lock while computing.
    Gil,
    /// Number of fetches (asyncio.gather, sequential).
    Requests,
    /// Latency added before each response is read, ms.
    LatencyMs,
    /// Most fetches in flight at once (a semaphore); empty for no limit.
    Limit,
    /// Per-request timeout, ms; empty for none.
    TimeoutMs,
    /// `asyncio.gather(..., return_exceptions=…)`.
    ReturnExceptions,
    /// URLs to fetch instead of the shipped files, separated by spaces or new lines.
    Urls,
}

const WORKLOAD_NAMES: [&str; 3] = ["cpu", "io", "fetch"];
const SHAPE_NAMES: [&str; 5] = ["uniform", "increasing", "random", "heavy", "straggler"];

impl Field {
    /// Every setting, in the order the controls show them.
    pub const ALL: [Field; 14] = [
        Field::Workers,
        Field::Chunksize,
        Field::Items,
        Field::Workload,
        Field::Cost,
        Field::Shape,
        Field::Seed,
        Field::Gil,
        Field::Requests,
        Field::LatencyMs,
        Field::Limit,
        Field::TimeoutMs,
        Field::ReturnExceptions,
        Field::Urls,
    ];

    /// The key in the URL and in the JS API's config object.
    pub fn key(self) -> &'static str {
        match self {
            Field::Workers => "workers",
            Field::Chunksize => "chunksize",
            Field::Items => "items",
            Field::Workload => "workload",
            Field::Cost => "cost",
            Field::Shape => "shape",
            Field::Seed => "seed",
            Field::Gil => "gil",
            Field::Requests => "requests",
            Field::LatencyMs => "latency_ms",
            Field::Limit => "limit",
            Field::TimeoutMs => "timeout_ms",
            Field::ReturnExceptions => "return_exceptions",
            Field::Urls => "urls",
        }
    }

    /// The label next to the control.
    pub fn label(self) -> &'static str {
        match self {
            Field::Workers => "Workers",
            Field::Chunksize => "Chunk size",
            Field::Items => "Items",
            Field::Workload => "Workload",
            Field::Cost => "Cost per item",
            Field::Shape => "Cost shape",
            Field::Seed => "Seed",
            Field::Gil => "GIL",
            Field::Requests => "Requests",
            Field::LatencyMs => "Added latency (ms)",
            Field::Limit => "In flight at most",
            Field::TimeoutMs => "Timeout (ms)",
            Field::ReturnExceptions => "return_exceptions",
            Field::Urls => "URLs",
        }
    }

    /// What the setting takes.
    pub const fn kind(self) -> FieldKind {
        match self {
            Field::Workers => FieldKind::Number { min: 1, max: 16 },
            Field::Chunksize | Field::Items => FieldKind::Number {
                min: 1,
                max: 1_000_000,
            },
            Field::Cost => FieldKind::Number {
                min: 0,
                max: 1_000_000,
            },
            Field::Seed => FieldKind::Number {
                min: 0,
                max: u32::MAX as u64,
            },
            Field::Requests | Field::Limit => FieldKind::Number { min: 1, max: 64 },
            Field::LatencyMs => FieldKind::Number {
                min: 0,
                max: 10_000,
            },
            Field::TimeoutMs => FieldKind::Number {
                min: 1,
                max: 60_000,
            },
            Field::Workload => FieldKind::Choice(&WORKLOAD_NAMES),
            Field::Shape => FieldKind::Choice(&SHAPE_NAMES),
            Field::Gil | Field::ReturnExceptions => FieldKind::Flag,
            Field::Urls => FieldKind::Text,
        }
    }

    /// The smallest and largest accepted values of a number (0, 0 for other kinds).
    pub const fn range(self) -> (u64, u64) {
        match self.kind() {
            FieldKind::Number { min, max } => (min, max),
            _ => (0, 0),
        }
    }

    /// Whether the field may be left empty (its default rule then applies).
    pub fn optional(self) -> bool {
        matches!(
            self,
            Field::Chunksize | Field::Limit | Field::TimeoutMs | Field::Urls
        )
    }

    /// The value a new page starts with.
    pub fn default_text(self) -> &'static str {
        match self {
            Field::Workers => "4",
            Field::Items => "100",
            Field::Workload => "cpu",
            Field::Cost => "20000",
            Field::Shape => "uniform",
            Field::Seed => "1",
            Field::Gil => "true",
            Field::Requests => "6",
            Field::LatencyMs => "200",
            Field::ReturnExceptions => "false",
            Field::Chunksize | Field::Limit | Field::TimeoutMs | Field::Urls => "",
        }
    }

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

    /// Parses a number field; `None` for an empty optional field.
    fn number(self, text: &str) -> Result<Option<u64>, String> {
        if text.trim().is_empty() && self.optional() {
            return Ok(None);
        }
        let text = self.required(text)?;
        let digits: String = text.chars().filter(|c| *c != '_' && *c != ',').collect();
        let value: u64 = digits
            .parse()
            .map_err(|_| format!("'{text}' is not a whole number. {}", self.out_of_range()))?;
        let (low, high) = self.range();
        if value < low || value > high {
            return Err(self.out_of_range());
        }
        Ok(Some(value))
    }

    /// Parses a choice field to its index in the list of names.
    fn choice(self, text: &str) -> Result<usize, String> {
        let text = self.required(text)?;
        let FieldKind::Choice(names) = self.kind() else {
            return Err(format!("{} is not a choice", self.label()));
        };
        names.iter().position(|name| *name == text).ok_or_else(|| {
            format!(
                "{} must be one of {}, not '{text}'",
                self.label(),
                names.join(", ")
            )
        })
    }

    /// Parses a flag: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    fn flag(self, text: &str) -> Result<bool, String> {
        match self.required(text)?.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            other => Err(format!(
                "{} must be true or false, not '{other}'",
                self.label()
            )),
        }
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

/// The longest run accepted: its estimated time on one worker, ms. Longer runs are refused
/// with a message, never started.
pub const MAX_ESTIMATED_MS: f64 = 120_000.0;

/// The most threads `threading.Thread` may start: the browser cannot start an OS thread per
/// task, so each runs on one of the page's 16 Web Workers.
pub const MAX_THREADS: usize = 16;

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

    /// The Python a user would write for this run, shown above the Run button.
    pub fn python_code(&self) -> String {
        let n = self.items + 1;
        let chunksize = self
            .chunksize
            .map(|c| format!(", chunksize={c}"))
            .unwrap_or_default();
        let w = self.workers;
        if self.workload.kind == WorkloadKind::Fetch {
            let urls = format!(
                "urls = [...]  # {} shipped files, as asyncio.gather fetches them\n",
                self.items
            );
            let get = "def get_size(url):\n    return len(requests.get(url).content)\n";
            match self.strategy {
                Strategy::ThreadPoolMap => return format!(
                    "{urls}with ThreadPoolExecutor(max_workers={w}) as executor:\n    sizes = list(executor.map(lambda url: len(requests.get(url).content), urls))"
                ),
                Strategy::ThreadingThread => return format!(
                    "{urls}{get}threads = [threading.Thread(target=get_size, args=(url,)) for url in urls]\nfor t in threads: t.start()\nfor t in threads: t.join()"
                ),
                Strategy::QueueQueue => return format!(
                    "{urls}{get}q = queue.Queue()\nfor url in urls: q.put(url)\n# {w} threads: while True: url = q.get(); get_size(url); q.task_done()\nq.join()"
                ),
                _ => {}
            }
        }
        match self.strategy {
            Strategy::PoolMap => format!(
                "with multiprocessing.Pool({w}) as pool:\n    results = pool.map(square, range(1, {n}){chunksize})"
            ),
            Strategy::PoolMapAsync => format!(
                "with multiprocessing.Pool({w}) as pool:\n    results = pool.map_async(square, range(1, {n}){chunksize}).get()"
            ),
            Strategy::PoolImap => format!(
                "with multiprocessing.Pool({w}) as pool:\n    for result in pool.imap(square, range(1, {n}){chunksize}):\n        ..."
            ),
            Strategy::PoolImapUnordered => format!(
                "with multiprocessing.Pool({w}) as pool:\n    for result in pool.imap_unordered(square, range(1, {n}){chunksize}):\n        ..."
            ),
            Strategy::PoolStarmap => format!(
                "with multiprocessing.Pool({w}) as pool:\n    results = pool.starmap(pow, zip(range(1, {n}), repeat(2)){chunksize})"
            ),
            Strategy::PoolApplyAsync => format!(
                "with multiprocessing.Pool({w}) as pool:\n    pending = [pool.apply_async(square, (x,)) for x in range(1, {n})]\n    results = [p.get() for p in pending]"
            ),
            Strategy::ProcessPoolMap => format!(
                "with ProcessPoolExecutor(max_workers={w}) as executor:\n    results = list(executor.map(square, range(1, {n}){chunksize}))"
            ),
            Strategy::ThreadPoolMap => format!(
                "with ThreadPoolExecutor(max_workers={w}) as executor:\n    results = list(executor.map(square, range(1, {n})))"
            ),
            Strategy::ThreadingThread => format!(
                "threads = [threading.Thread(target=square, args=(x,)) for x in range(1, {n})]\nfor t in threads: t.start()\nfor t in threads: t.join()"
            ),
            Strategy::QueueQueue => format!(
                "q = queue.Queue()\nfor x in range(1, {n}): q.put(x)\n# {w} threads: while True: x = q.get(); square(x); q.task_done()\nq.join()"
            ),
            Strategy::RayonParIter => format!(
                "// {w} threads\nlet results: Vec<u64> = (1..{n}u64).into_par_iter().map(square).collect();"
            ),
            Strategy::Static => format!(
                "// {w} threads, one contiguous block of {} items each\nthread::scope(|s| for block in items.chunks({}) {{ s.spawn(|| block.iter().map(square)); }})",
                self.resolved_chunksize(),
                self.resolved_chunksize()
            ),
            Strategy::AsyncioGather => {
                let limit = self
                    .fetch
                    .limit
                    .map(|l| format!("sem = asyncio.Semaphore({l})  # each fetch: async with sem\n"))
                    .unwrap_or_default();
                format!(
                    "{limit}results = await asyncio.gather(*(fetch(url) for url in urls), return_exceptions={})",
                    if self.fetch.return_exceptions { "True" } else { "False" }
                )
            }
            Strategy::Sequential if self.fetch.return_exceptions => "results = []\nfor url in urls:  # one after another; errors kept in place\n    try:\n        results.append(await fetch(url))\n    except Exception as error:\n        results.append(error)".to_owned(),
            Strategy::Sequential => "results = [await fetch(url) for url in urls]".to_owned(),
        }
    }

    /// The settings as URL query pairs, in a stable order: the strategy, then every setting
    /// it reads that is set (empty optional settings are left out).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("strategy", self.strategy.name().to_owned())];
        for field in self.strategy.fields() {
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
            let is_default = value.as_deref() == Some(field.default_text());
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
    /// Text per setting.
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
    /// The text of one field.
    pub fn get(&self, field: Field) -> &str {
        self.values.get(&field).map(String::as_str).unwrap_or("")
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
        if let Ok(strategy) = Strategy::parse(&self.strategy) {
            let fields = strategy.fields();
            self.given.retain(|f| fields.contains(f));
        }
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
                inputs.given.insert(field);
            } else if strict {
                let keys: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
                invalid.add(
                    key,
                    format!("unknown option '{key}': use strategy, {}", keys.join(", ")),
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

    /// Checks every setting the strategy reads, and their combination; on success the run
    /// is safe to start. A setting the strategy does not read is refused if it was given.
    pub fn validate(&self) -> Result<RunConfig, Invalid> {
        let mut invalid = Invalid::default();
        let strategy = match Strategy::parse(&self.strategy) {
            Ok(strategy) => strategy,
            Err(message) => {
                invalid.add("strategy", message);
                return Err(invalid);
            }
        };
        let fields = strategy.fields();
        for field in &self.given {
            if !fields.contains(field) {
                invalid.add(field.key(), unused_field_message(strategy, *field));
            }
        }
        let reads = |field: Field| fields.contains(&field);
        let mut number = |field: Field| -> Option<u64> {
            let text = if reads(field) {
                self.get(field)
            } else {
                field.default_text()
            };
            match field.number(text) {
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
            Field::Workload.choice(text(Field::Workload)),
        );
        let shape = note(Field::Shape, Field::Shape.choice(text(Field::Shape)));
        let gil = note(
            Field::Gil,
            Field::Gil.flag(text(Field::Gil)).map(usize::from),
        );
        let return_exceptions = note(
            Field::ReturnExceptions,
            Field::ReturnExceptions
                .flag(text(Field::ReturnExceptions))
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
        let workers = if strategy == Strategy::ThreadingThread {
            items
        } else {
            workers.unwrap_or(1) as usize
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

/// Why a given setting does not apply to a strategy, in CPython's terms where it has them.
fn unused_field_message(strategy: Strategy, field: Field) -> String {
    match (strategy, field) {
        (Strategy::ThreadPoolMap, Field::Chunksize) => {
            "ThreadPoolExecutor.map ignores chunksize (CPython accepts it and does nothing with it): leave it out".to_owned()
        }
        (Strategy::PoolApplyAsync, Field::Chunksize) => {
            "apply_async sends one task per call: it takes no chunksize".to_owned()
        }
        (_, Field::Gil) => format!(
            "{} runs in worker processes (or Rust threads), each with its own interpreter: the GIL setting applies only to thread strategies",
            strategy.name()
        ),
        _ => format!("{} does not use '{}': leave it out", strategy.name(), field.key()),
    }
}

/// Splits the URL list (spaces, commas or new lines) and checks each is http or https.
pub fn parse_urls(text: &str) -> Result<Vec<String>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|part| !part.is_empty())
        .map(|url| {
            let lower = url.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(url.to_owned()),
                Some(_) => Err(format!("'{url}' has no host")),
                None if url.starts_with('/') => Ok(url.to_owned()),
                None => Err(format!(
                    "'{url}' is not an http or https URL (or a path on this site starting with /)"
                )),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|urls| {
            if urls.len() > 64 {
                Err(format!("{} URLs: at most 64", urls.len()))
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
            .contains("does not use 'workers'"));
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
        assert_eq!(
            tpe.python_code(),
            "urls = [...]  # 8 shipped files, as asyncio.gather fetches them\nwith ThreadPoolExecutor(max_workers=4) as executor:\n    sizes = list(executor.map(lambda url: len(requests.get(url).content), urls))"
        );
        for strategy in ["threading.Thread", "queue.Queue"] {
            let config = inputs(&format!("strategy={strategy}&items=8&workload=fetch"))
                .validate()
                .unwrap();
            assert!(
                config.python_code().contains("requests.get(url)"),
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
            "the cost is not used, so it cannot make a fetch run too big"
        );
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
            .for_key("wrokers")
            .unwrap()
            .contains("unknown option"));
        assert!(inputs("utm_source=blog&workers=2").validate().is_ok());
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
            parse_query("?strategy=Pool%2Emap&items=1%2C000&x=%zz+y&y=%E2%9C%93"),
            [
                ("strategy".to_owned(), "Pool.map".to_owned()),
                ("items".to_owned(), "1,000".to_owned()),
                ("x".to_owned(), "%zz y".to_owned()),
                ("y".to_owned(), "✓".to_owned()),
            ]
        );
        assert_eq!(inputs("items=1%2C000").validate().unwrap().items, 1000);
    }
}
