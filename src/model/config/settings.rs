//! Every setting a strategy reads, parsed to its type ([`Settings`]), each value that does
//! not parse named on its own control; the settings a strategy does not read hold their
//! defaults.

use super::inputs::Inputs;
use super::invalid::Invalid;
use super::run_config::{FetchConfig, RunConfig};
use super::value::parse_urls;
use crate::model::field::Field;
use crate::model::machine::cpu_count;
use crate::model::raising::{parse_raise_at, RaiseCost, Raises};
use crate::model::strategy::{Chunking, Family, Runner, Strategy, WorkerCount};
use crate::model::workload::{Shape, Workload, WorkloadKind};

/// Every setting parsed to its type, before the settings are checked together. A setting
/// the strategy does not read holds its default.
pub(super) struct Settings {
    workers: Option<u64>,
    chunksize: Option<u64>,
    items: u64,
    kind: WorkloadKind,
    cost: u64,
    shape: Shape,
    seed: u64,
    gil: bool,
    requests: u64,
    latency_ms: u64,
    limit: Option<u64>,
    timeout_ms: Option<u64>,
    return_exceptions: bool,
    urls: Vec<String>,
    raise_at: Vec<u32>,
    raise_cost: RaiseCost,
}

/// Reads the text of the settings a strategy reads, noting each value that does not parse.
struct Reader<'a> {
    inputs: &'a Inputs,
    strategy: Strategy,
    reads: &'static [Field],
    invalid: &'a mut Invalid,
}

impl Reader<'_> {
    /// A setting parsed by `parse`: its text if the strategy reads it, else its default;
    /// `None` (and a message on its control) when it does not parse.
    fn read<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = if self.reads.contains(&field) {
            self.inputs.get(field)
        } else {
            field.default_text()
        };
        let cpython = text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|value| what_cpython_does(self.strategy, field, value));
        parse(text)
            .map_err(|message| {
                let message = match &cpython {
                    Some(cpython) => after_cpython_words(cpython, &message),
                    None => message,
                };
                self.invalid.add(field.key(), message);
            })
            .ok()
    }

    /// A number that may be left empty (`Some(None)` when it is).
    fn optional_number(&mut self, field: Field) -> Option<Option<u64>> {
        self.read(field, |text| field.parse_number(text))
    }

    /// A number that must be given.
    fn number(&mut self, field: Field) -> Option<u64> {
        self.optional_number(field).flatten()
    }

    /// One of a list of names, as the item of `all` at its place.
    fn choice<T: Copy>(&mut self, field: Field, all: &[T]) -> Option<T> {
        self.read(field, |text| field.parse_choice(text).map(|i| all[i]))
    }

    /// `true` or `false`.
    fn flag(&mut self, field: Field) -> Option<bool> {
        self.read(field, |text| field.parse_flag(text))
    }
}

/// The page's own message after CPython's words, as one sentence each (CPython's own text may
/// end with a full stop: `chunksize must be >= 1.`).
pub(super) fn after_cpython_words(cpython: &str, message: &str) -> String {
    format!("{}. {message}", cpython.trim_end_matches('.'))
}

/// What CPython does with a worker count or chunk size the page does not run: in CPython's
/// own words where it refuses the value too (the `ValueError` it raises), or what it would do
/// where it accepts it. `None` where the page's own message says it all.
pub(super) fn what_cpython_does(strategy: Strategy, field: Field, value: i64) -> Option<String> {
    let rule = strategy.rule();
    let (_, most) = field.range();
    let (workers, chunksize) = (field == Field::Workers, field == Field::Chunksize);
    match () {
        () if workers && value < 1 => match (rule.family, rule.runner) {
            (Family::MultiprocessingPool, _) => Some(format!(
                "CPython refuses it: multiprocessing.Pool({value}) raises ValueError: Number of processes must be at least 1"
            )),
            (Family::ConcurrentFutures, _) => Some(format!(
                "CPython refuses it: {}(max_workers={value}) raises ValueError: max_workers must be greater than 0",
                strategy.name().trim_end_matches(".map")
            )),
            (Family::Threading, _) => Some(format!(
                "CPython would start no worker thread (range({value}) is empty) and q.join() would wait forever"
            )),
            (_, Runner::Rayon) if value == 0 => Some(
                "rayon takes num_threads(0) as its default: one thread per logical processor".to_owned(),
            ),
            _ => None,
        },
        () if workers && value > most as i64 => match rule.runner {
            Runner::Processes => Some(format!("CPython would start {value} processes")),
            Runner::Tasks if rule.workers_per_submit => Some(format!(
                "CPython would start up to {value} threads (one per submitted item while none is idle)"
            )),
            Runner::Tasks if rule.python_threads => {
                Some(format!("CPython would start {value} threads"))
            }
            Runner::Rayon => Some(format!("rayon would run {value} threads")),
            Runner::Tasks | Runner::EventLoop => None,
        }
        .map(|cpython| {
            format!("{cpython}; the page runs at most {most} workers at once (its pool of Web Workers)")
        }),
        () if chunksize && value < 1 => match (strategy, rule.chunking) {
            (Strategy::PoolImap | Strategy::PoolImapUnordered, _) => Some(format!(
                "CPython refuses it: pool.{}(…, chunksize={value}) raises ValueError: Chunksize must be 1+, not {value}",
                strategy.name().trim_start_matches("Pool.")
            )),
            (Strategy::ProcessPoolMap, _) => Some(format!(
                "CPython refuses it: ProcessPoolExecutor.map(…, chunksize={value}) raises ValueError: chunksize must be >= 1."
            )),
            (_, Chunking::DefaultRule) => Some(format!(
                "CPython accepts chunksize={value} here and runs no task at all: pool.{}(…) gives a list of None, one per item",
                strategy.name().trim_start_matches("Pool.")
            )),
            (_, Chunking::PerItemChunksizeIgnored) => Some(format!(
                "CPython accepts chunksize={value} here and ignores it ({} ignores chunksize): leave it out, or give one the page takes",
                strategy.name()
            )),
            _ => None,
        },
        () => None,
    }
}

impl Settings {
    /// Parses every setting (all of them, so that each problem is named at once); `None`
    /// when one does not parse, its message then in `invalid`.
    pub(super) fn read(inputs: &Inputs, strategy: Strategy, invalid: &mut Invalid) -> Option<Self> {
        let mut reader = Reader {
            inputs,
            strategy,
            reads: strategy.fields(),
            invalid,
        };
        let workers = reader.optional_number(Field::Workers);
        let chunksize = reader.optional_number(Field::Chunksize);
        let items = reader.number(Field::Items);
        let cost = reader.number(Field::Cost);
        let seed = reader.number(Field::Seed);
        let requests = reader.number(Field::Requests);
        let latency_ms = reader.number(Field::LatencyMs);
        let limit = reader.optional_number(Field::Limit);
        let timeout_ms = reader.optional_number(Field::TimeoutMs);
        let kind = reader.choice(Field::Workload, &WorkloadKind::ALL);
        let shape = reader.choice(Field::Shape, &Shape::ALL);
        let gil = reader.flag(Field::Gil);
        let return_exceptions = reader.flag(Field::ReturnExceptions);
        let urls = reader.read(Field::Urls, parse_urls);
        let raise_cost = reader.choice(Field::RaiseCost, &RaiseCost::ALL);
        // Item numbers are checked against the items (all of them when Items is bad).
        let item_count = items.map_or(usize::MAX, |n| n as usize);
        let raise_at = reader.read(Field::RaiseAt, |text| parse_raise_at(text, item_count));
        Some(Self {
            workers: workers?,
            chunksize: chunksize?,
            items: items?,
            kind: kind?,
            cost: cost?,
            shape: shape?,
            seed: seed?,
            gil: gil?,
            requests: requests?,
            latency_ms: latency_ms?,
            limit: limit?,
            timeout_ms: timeout_ms?,
            return_exceptions: return_exceptions?,
            urls: urls?,
            raise_at: raise_at?,
            raise_cost: raise_cost?,
        })
    }

    /// The run these settings describe (not yet checked together).
    pub(super) fn into_config(self, strategy: Strategy, inputs: &Inputs) -> RunConfig {
        let items = self.items as usize;
        let rule = strategy.rule();
        let workers = match (rule.workers, self.workers) {
            (WorkerCount::OnePerItem, _) => items,
            (WorkerCount::Setting | WorkerCount::EventLoop, Some(given)) => given as usize,
            // Left out: the library's default on this machine, within what the page runs.
            (WorkerCount::Setting | WorkerCount::EventLoop, None) => rule
                .default_workers
                .resolve(cpu_count())
                .min(Field::Workers.range().1 as usize),
        };
        RunConfig {
            strategy,
            workers,
            chunksize: self.chunksize.map(|c| c as usize),
            items,
            workload: Workload {
                kind: self.kind,
                cost: self.cost as u32,
                shape: self.shape,
                seed: self.seed,
                items,
                raises: Raises::new(&self.raise_at, self.raise_cost),
            },
            gil: self.gil,
            fetch: FetchConfig {
                requests: if self.urls.is_empty() {
                    self.requests as usize
                } else {
                    self.urls.len()
                },
                latency_ms: self.latency_ms as u32,
                limit: self.limit.map(|l| l as usize),
                timeout_ms: self.timeout_ms.map(|t| t as u32),
                return_exceptions: self.return_exceptions,
                urls: self.urls,
            },
            given: inputs.given.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::config::Inputs;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn bad_values_get_a_message_on_their_own_control() {
        let invalid =
            inputs("workers=0&chunksize=abc&items=2000000&cost=-1&shape=wavy&workload=disk")
                .validate()
                .unwrap_err();
        assert_eq!(
            invalid.for_key("workers"),
            Some("CPython refuses it: multiprocessing.Pool(0) raises ValueError: Number of processes must be at least 1. Workers must be a whole number from 1 to 16")
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

    /// The message on `key` when `query` is refused.
    fn message(query: &str, key: &str) -> String {
        let invalid = inputs(query).validate().unwrap_err();
        invalid
            .for_key(key)
            .unwrap_or_else(|| panic!("{query}: no message on {key}: {invalid}"))
            .to_owned()
    }

    #[test]
    fn where_cpython_refuses_too_its_words_come_first() {
        let workers = "Workers must be a whole number from 1 to 16";
        assert_eq!(
            message("strategy=Pool.map&workers=0", "workers"),
            format!("CPython refuses it: multiprocessing.Pool(0) raises ValueError: Number of processes must be at least 1. {workers}")
        );
        assert!(message("strategy=Pool.apply&workers=-1", "workers").starts_with(
            "CPython refuses it: multiprocessing.Pool(-1) raises ValueError: Number of processes must be at least 1. '-1' is not a whole number"
        ));
        assert_eq!(
            message("strategy=ProcessPoolExecutor.map&workers=0", "workers"),
            format!("CPython refuses it: ProcessPoolExecutor(max_workers=0) raises ValueError: max_workers must be greater than 0. {workers}")
        );
        assert_eq!(
            message("strategy=ThreadPoolExecutor.map&workers=0", "workers"),
            format!("CPython refuses it: ThreadPoolExecutor(max_workers=0) raises ValueError: max_workers must be greater than 0. {workers}")
        );
        let chunksize = "Chunk size must be a whole number from 1 to 1,000,000";
        assert_eq!(
            message("strategy=Pool.imap&chunksize=0", "chunksize"),
            format!("CPython refuses it: pool.imap(…, chunksize=0) raises ValueError: Chunksize must be 1+, not 0. {chunksize}")
        );
        assert!(message("strategy=Pool.imap_unordered&chunksize=-2", "chunksize").starts_with(
            "CPython refuses it: pool.imap_unordered(…, chunksize=-2) raises ValueError: Chunksize must be 1+, not -2. "
        ));
        assert_eq!(
            message("strategy=ProcessPoolExecutor.map&chunksize=0", "chunksize"),
            format!("CPython refuses it: ProcessPoolExecutor.map(…, chunksize=0) raises ValueError: chunksize must be >= 1. {chunksize}")
        );
    }

    #[test]
    fn where_cpython_accepts_what_the_page_cannot_run_it_says_what_cpython_would_do() {
        let workers = "Workers must be a whole number from 1 to 16";
        assert_eq!(
            message("strategy=Pool.map&workers=17", "workers"),
            format!("CPython would start 17 processes; the page runs at most 16 workers at once (its pool of Web Workers). {workers}")
        );
        assert!(message("strategy=ThreadPoolExecutor.map&workers=32", "workers")
            .starts_with("CPython would start up to 32 threads (one per submitted item while none is idle); the page runs at most 16"));
        assert!(message("strategy=queue.Queue&workers=20", "workers")
            .starts_with("CPython would start 20 threads; the page runs at most 16"));
        assert!(message("strategy=queue.Queue&workers=0", "workers")
            .starts_with("CPython would start no worker thread (range(0) is empty) and q.join() would wait forever. "));
        assert!(message("strategy=rayon.par_iter&workers=0", "workers")
            .starts_with("rayon takes num_threads(0) as its default"));
        // Pool.map(…, chunksize=0) runs nothing in CPython 3.11 and returns [None] * n.
        for strategy in [
            "Pool.map",
            "Pool.map_async",
            "Pool.starmap",
            "Pool.starmap_async",
        ] {
            let said = message(&format!("strategy={strategy}&chunksize=0"), "chunksize");
            assert!(
                said.starts_with("CPython accepts chunksize=0 here and runs no task at all: pool."),
                "{strategy}: {said}"
            );
        }
        // Where nothing of CPython's needs saying, the page's message stands alone.
        assert_eq!(message("strategy=static&workers=0", "workers"), workers);
    }

    #[test]
    fn thread_pool_executor_map_takes_a_chunksize_and_ignores_it_as_cpython_does() {
        let config = inputs("strategy=ThreadPoolExecutor.map&workers=2&items=6&chunksize=4")
            .validate()
            .unwrap();
        assert_eq!(config.resolved_chunksize(), 1, "one item per task still");
        assert_eq!(
            config.chunksize_explanation(),
            "1 (one item per task: ThreadPoolExecutor.map ignores chunksize=4, as CPython does)"
        );
        assert_eq!(crate::model::plan::plan(&config).chunks.len(), 6);
        assert!(crate::model::program::program(&config, "http://127.0.0.1:8080/").contains(
            "results = list(executor.map(square, range(1, 7), chunksize=4))  # ignored: only ProcessPoolExecutor uses chunksize"
        ));
        assert!(message("strategy=ThreadPoolExecutor.map&chunksize=0", "chunksize")
            .starts_with("CPython accepts chunksize=0 here and ignores it (ThreadPoolExecutor.map ignores chunksize)"));
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
}
