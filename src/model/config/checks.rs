//! [`Inputs::validate`]: every setting the strategy reads, and their combination.

use super::inputs::Inputs;
use super::invalid::Invalid;
use super::run_config::{FetchConfig, RunConfig};
use super::value::{parse_urls, quote};
use crate::model::field::Field;
use crate::model::strategy::{Strategy, WorkerCount};
use crate::model::words::group_digits;
use crate::model::workload::{Shape, Workload, WorkloadKind};

/// The longest run accepted: its estimated time on one worker, ms. Longer runs are refused
/// with a message, never started.
pub const MAX_ESTIMATED_MS: f64 = 120_000.0;

/// The most threads `threading.Thread` may start: the browser cannot start an OS thread per
/// task, so each runs on one of the page's 16 Web Workers.
pub const MAX_THREADS: usize = 16;

/// The most requests a `fetch` workload makes (one per item), as for `asyncio.gather`.
pub const MAX_FETCH_REQUESTS: usize = Field::Requests.range().1 as usize;

impl Inputs {
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

/// Why a strategy's name is refused, with the names that work.
fn unknown_strategy_message(text: &str) -> String {
    let known: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
    format!(
        "unknown strategy {}: use one of {}",
        quote(text.trim()),
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field::Field;
    use crate::model::strategy::Strategy;
    use crate::model::workload::WorkloadKind;

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
}
