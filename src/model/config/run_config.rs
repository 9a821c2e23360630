//! A validated run ([`RunConfig`]) and what is derived from it: the chunk size it uses, its
//! sequential baseline, and its link.

use super::query::encode_query_value;
use crate::model::field::Field;
use crate::model::machine::cpu_count;
use crate::model::pool_map::{default_chunksize, default_chunksize_formula};
use crate::model::raising::Raises;
use crate::model::strategy::{Chunking, DefaultWorkers, Strategy, WorkerCount};
use crate::model::words::count;
use crate::model::workload::{Workload, WorkloadKind};
use std::collections::BTreeSet;

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
    pub(super) given: BTreeSet<Field>,
}

impl RunConfig {
    /// The chunk size the run uses: the one given, or the strategy's default rule.
    pub fn resolved_chunksize(&self) -> usize {
        match self.strategy.chunking() {
            Chunking::DefaultRule => self
                .chunksize
                .unwrap_or_else(|| default_chunksize(self.items, self.workers)),
            Chunking::DefaultOne => self.chunksize.unwrap_or(1),
            Chunking::PerItem | Chunking::PerItemChunksizeIgnored => 1,
            Chunking::Adaptive => self.items.div_ceil(self.workers.max(1)).max(1),
        }
    }

    /// How the chunk size was chosen, for the page: `7 (default: ceil(100 / (4 × 4)))`.
    pub fn chunksize_explanation(&self) -> String {
        match (self.chunksize, self.strategy.chunking()) {
            (Some(given), Chunking::PerItemChunksizeIgnored) => format!(
                "1 (one item per task: {} ignores chunksize={given}, as CPython does)",
                self.strategy.name()
            ),
            (Some(given), _) => format!("{given} (given)"),
            (None, Chunking::DefaultRule) => format!(
                "{} (default: {})",
                self.resolved_chunksize(),
                default_chunksize_formula(self.items, self.workers)
            ),
            (None, Chunking::DefaultOne) => format!("1 (default for {})", self.strategy.name()),
            (None, Chunking::PerItem) => "1 (one item per task)".to_owned(),
            (None, Chunking::PerItemChunksizeIgnored) => format!(
                "1 (one item per task: {} ignores chunksize, as CPython does)",
                self.strategy.name()
            ),
            (None, Chunking::Adaptive) => "no chunk size".to_owned(),
        }
    }

    /// Whether the worker count was given; if not, it is the library's default on this machine.
    pub fn workers_given(&self) -> bool {
        self.given.contains(&Field::Workers)
    }

    /// How the worker count was chosen, for the page: `2 (default: os.cpu_count(), this
    /// machine's 2 logical processors)`; `None` when it was given or the strategy reads none.
    pub fn workers_explanation(&self) -> Option<String> {
        let rule = self.strategy.rule();
        if self.workers_given() || rule.workers != WorkerCount::Setting {
            return None;
        }
        let cpus = cpu_count();
        let wanted = rule.default_workers.resolve(cpus);
        let processors = count(cpus, "logical processor");
        let why = match rule.default_workers {
            DefaultWorkers::CpuCount => format!("os.cpu_count(), this machine's {processors}"),
            DefaultWorkers::CpuCountPlusFour => {
                format!("min(32, os.cpu_count() + 4) = min(32, {cpus} + 4)")
            }
            DefaultWorkers::RayonThreads => {
                format!("rayon's, one thread per logical processor: {processors}")
            }
            DefaultWorkers::PageDefault(_) => format!(
                "the page's: {} takes the number your program names",
                self.strategy.name()
            ),
            DefaultWorkers::NotRead => return None,
        };
        Some(if wanted > self.workers {
            format!(
                "{} (default: {why}, that is {wanted}; the page runs at most {})",
                self.workers, self.workers
            )
        } else {
            format!("{} (default: {why})", self.workers)
        })
    }

    /// The base cost per item.
    pub fn cost(&self) -> u32 {
        self.workload.cost
    }

    /// The same run with another worker count (for the 1-worker baseline).
    pub fn with_workers(&self, workers: usize) -> Self {
        let mut given = self.given.clone();
        given.insert(Field::Workers);
        Self {
            workers,
            given,
            ..self.clone()
        }
    }

    /// The same workload run sequentially on one worker, for the speed-up: one block on one
    /// worker (`static`), no pickling, no GIL. The `fetch` workload runs only on threads: its
    /// requests one after another on one thread of `ThreadPoolExecutor.map`. No item raises
    /// in it.
    pub fn sequential_baseline(&self) -> Self {
        let strategy = if self.workload.kind == WorkloadKind::Fetch {
            Strategy::ThreadPoolMap
        } else {
            Strategy::Static
        };
        Self {
            strategy,
            chunksize: None,
            gil: false,
            workload: Workload {
                raises: Raises::NONE,
                ..self.workload
            },
            ..self.with_workers(1)
        }
    }

    /// The settings as URL query pairs, in a stable order: the strategy, then every setting
    /// it reads that is set (empty optional settings are left out).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("strategy", self.strategy.name().to_owned())];
        for &field in self.strategy.fields() {
            let value = match field {
                // Left out, the worker count is the library's default on the reader's machine.
                Field::Workers => self.workers_given().then(|| self.workers.to_string()),
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
                Field::RaiseAt => {
                    (!self.workload.raises.is_empty()).then(|| self.workload.raises.text())
                }
                Field::RaiseCost => Some(self.workload.raises.cost.name().to_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
    }

    #[test]
    fn workers_left_out_are_the_librarys_default_on_this_machine() {
        // Native tests run with the default processor count (the page sets the real one).
        let cpus = cpu_count();
        let pool = inputs("strategy=Pool.map&items=10").validate().unwrap();
        assert_eq!(pool.workers, cpus, "Pool(): os.cpu_count()");
        assert_eq!(
            pool.workers_explanation().unwrap(),
            format!("{cpus} (default: os.cpu_count(), this machine's {cpus} logical processors)")
        );
        assert!(!pool.to_query().contains("workers"), "left out of the link");
        let tpe = inputs("strategy=ThreadPoolExecutor.map&items=10")
            .validate()
            .unwrap();
        assert_eq!(
            tpe.workers,
            (cpus + 4).min(16),
            "ThreadPoolExecutor(): min(32, cpus + 4)"
        );
        assert!(tpe.workers_explanation().unwrap().contains(&format!(
            "min(32, os.cpu_count() + 4) = min(32, {cpus} + 4)"
        )));
        let given = inputs("strategy=Pool.map&workers=3&items=10")
            .validate()
            .unwrap();
        assert_eq!((given.workers, given.workers_explanation()), (3, None));
        assert!(given.to_query().contains("workers=3"));
        let queue = inputs("strategy=queue.Queue&items=10").validate().unwrap();
        assert_eq!(queue.workers, 4, "queue.Queue has no default: the page's 4");
        let baseline = pool.sequential_baseline();
        assert_eq!(baseline.workers, 1);
        assert!(
            baseline.to_query().contains("workers=1"),
            "the baseline names its one worker"
        );
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
            "strategy=Pool.map&workers=2&items=10&raise_at=8,3&raise_cost=slow",
            "strategy=queue.Queue&workers=2&items=10&raise_at=1",
        ] {
            let config = inputs(query).validate().unwrap();
            assert_eq!(inputs(&config.to_query()).validate().unwrap().to_query(), config.to_query(), "{query}");
            let again = inputs(&config.to_query()).validate().unwrap();
            assert_eq!((again.strategy, again.items, again.workload, again.gil), (config.strategy, config.items, config.workload, config.gil));
            assert_eq!(again.fetch, config.fetch, "{query}");
        }
    }
}
