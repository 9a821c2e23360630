//! [`Inputs::validate`]: the settings parsed to their types ([`super::settings`]), then the
//! checks across settings, each a small rule of its own.

use super::inputs::Inputs;
use super::invalid::Invalid;
use super::run_config::RunConfig;
use super::settings::Settings;
use super::value::quote;
use crate::model::field::Field;
use crate::model::strategy::{Runner, Strategy, WorkerCount};
use crate::model::words::group_digits;
use crate::model::workload::WorkloadKind;

/// The longest run accepted: its estimated time on one worker, ms. Longer runs are refused
/// with a message, never started.
pub const MAX_ESTIMATED_MS: f64 = 120_000.0;

/// The most threads `threading.Thread` may start: the browser cannot start an OS thread per
/// task, so each runs on one of the page's 16 Web Workers.
pub const MAX_THREADS: usize = 16;

/// The most processes `multiprocessing.Process` starts in one run (one per item).
pub const MAX_PROCESSES: usize = 64;

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
        for (field, message) in self.refused() {
            invalid.add(field.key(), message);
        }
        let settings = Settings::read(self, strategy, &mut invalid);
        let Some(settings) = settings.filter(|_| invalid.messages.is_empty()) else {
            return Err(invalid);
        };
        let config = settings.into_config(strategy, self);
        if !strategy.is_fetch() {
            for check in CROSS_CHECKS {
                if let Some((key, message)) = check(&config) {
                    invalid.add(key, message);
                }
            }
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

/// A check across settings: the key of the control it names and why, if the run breaks it.
type CrossCheck = fn(&RunConfig) -> Option<(&'static str, String)>;

/// The checks across settings of the strategies that run tasks, in order (the first message
/// on a control is the one shown).
const CROSS_CHECKS: [CrossCheck; 5] = [
    fetch_runs_on_threads,
    fetch_items_do_not_raise,
    fetch_requests_at_most,
    threads_at_most,
    estimated_time_at_most,
];

/// The `fetch` workload runs only on Python threads (threads blocked on I/O).
fn fetch_runs_on_threads(config: &RunConfig) -> Option<(&'static str, String)> {
    if config.workload.kind != WorkloadKind::Fetch || config.strategy.is_threaded() {
        return None;
    }
    Some((
        Field::Workload.key(),
        format!("{} does not run fetch: fetch runs only on thread strategies (threading.Thread, ThreadPoolExecutor.map, queue.Queue: threads blocked on I/O); for one event loop use asyncio.gather", config.strategy.name()),
    ))
}

/// The `fetch` workload's requests fail as requests do (HTTP status, timeout): its items are
/// not made to raise.
fn fetch_items_do_not_raise(config: &RunConfig) -> Option<(&'static str, String)> {
    if config.workload.kind != WorkloadKind::Fetch || config.workload.raises.is_empty() {
        return None;
    }
    Some((
        Field::RaiseAt.key(),
        "fetch requests fail as requests do (an HTTP error, a timeout): Raise at is for the cpu and io workloads".to_owned(),
    ))
}

/// The `fetch` workload makes one request per item: at most as many as `asyncio.gather`.
fn fetch_requests_at_most(config: &RunConfig) -> Option<(&'static str, String)> {
    if config.workload.kind != WorkloadKind::Fetch
        || !config.strategy.is_threaded()
        || config.items <= MAX_FETCH_REQUESTS
    {
        return None;
    }
    Some((
        Field::Items.key(),
        format!("fetch makes one request per item: use at most {MAX_FETCH_REQUESTS} items (as many requests as asyncio.gather takes)"),
    ))
}

/// A strategy that starts a thread per item starts at most [`MAX_THREADS`]; one that starts
/// a process per item, at most [`MAX_PROCESSES`].
fn threads_at_most(config: &RunConfig) -> Option<(&'static str, String)> {
    let rule = config.strategy.rule();
    if rule.workers != WorkerCount::OnePerItem {
        return None;
    }
    if rule.runner == Runner::Processes {
        return (config.items > MAX_PROCESSES).then(|| (
            Field::Items.key(),
            format!(
                "{} starts one process per item: use at most {MAX_PROCESSES} items here (each process is a Web Worker with its own memory), or a pool",
                config.strategy.name()
            ),
        ));
    }
    if config.items <= MAX_THREADS {
        return None;
    }
    Some((
        Field::Items.key(),
        format!(
            "{} starts one thread per item, and the browser can run at most {MAX_THREADS} at once (CPython would start all {}): use at most {MAX_THREADS} items, or a pool",
            config.strategy.name(),
            group_digits(config.items as u64)
        ),
    ))
}

/// A run takes at most [`MAX_ESTIMATED_MS`] on one worker.
fn estimated_time_at_most(config: &RunConfig) -> Option<(&'static str, String)> {
    let estimated_ms = config.workload.estimated_total_ms();
    if estimated_ms <= MAX_ESTIMATED_MS {
        return None;
    }
    Some((
        "run",
        format!(
            "This run is too big: {} items at this cost would take about {} minutes on one worker (the limit is 2). Lower the items or the cost per item",
            group_digits(config.items as u64),
            (estimated_ms / 60_000.0).ceil()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(query: &str) -> Inputs {
        Inputs::from_query(query)
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
