//! The settings' catalogue: every setting's URL key, label, kind of value and default.
//! How one value is parsed is in [`crate::model::config`]; which strategy reads which setting
//! is in the strategy table ([`crate::model::strategy`]).

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
    /// Items (numbered `1..=n`) whose task raises `ValueError`; empty for none.
    RaiseAt,
    /// How long a failing item works before it raises: `same`, `slow` or `fast`.
    RaiseCost,
}

pub(crate) const WORKLOAD_NAMES: [&str; 3] = ["cpu", "io", "fetch"];
const SHAPE_NAMES: [&str; 5] = ["uniform", "increasing", "random", "heavy", "straggler"];
const RAISE_COST_NAMES: [&str; 3] = ["same", "slow", "fast"];

impl Field {
    /// Every setting, in the order the controls show them.
    pub const ALL: [Field; 16] = [
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
        Field::RaiseAt,
        Field::RaiseCost,
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
            Field::RaiseAt => "raise_at",
            Field::RaiseCost => "raise_cost",
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
            Field::RaiseAt => "Raise at",
            Field::RaiseCost => "A failing item works",
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
            Field::Urls | Field::RaiseAt => FieldKind::Text,
            Field::RaiseCost => FieldKind::Choice(&RAISE_COST_NAMES),
        }
    }

    /// The smallest and largest accepted values of a number (0, 0 for other kinds).
    pub const fn range(self) -> (u64, u64) {
        match self.kind() {
            FieldKind::Number { min, max } => (min, max),
            FieldKind::Choice(_) | FieldKind::Flag | FieldKind::Text => (0, 0),
        }
    }

    /// Whether the field may be left empty (its default rule then applies).
    pub fn optional(self) -> bool {
        matches!(
            self,
            Field::Workers
                | Field::Chunksize
                | Field::Limit
                | Field::TimeoutMs
                | Field::Urls
                | Field::RaiseAt
        )
    }

    /// The value a new page starts with.
    pub fn default_text(self) -> &'static str {
        match self {
            Field::Items => "100",
            Field::Workload => "cpu",
            Field::Cost => "200000",
            Field::Shape => "uniform",
            Field::Seed => "1",
            Field::Gil => "true",
            Field::Requests => "6",
            Field::LatencyMs => "200",
            Field::ReturnExceptions => "false",
            Field::RaiseCost => "same",
            Field::Workers
            | Field::Chunksize
            | Field::Limit
            | Field::TimeoutMs
            | Field::Urls
            | Field::RaiseAt => "",
        }
    }
}
