#![cfg(not(target_arch = "wasm32"))]
//! The trace's JSON (what `window.playground.run` resolves with, and every export) keeps its
//! documented keys and values: traces of the same configs are compared, timings and the
//! run-to-run choice of worker aside, with `tests/fixtures/trace_json.json`, recorded from the
//! code before the trace was typed (when its strategy, workload and shape were strings).
//! `RECORD_TRACE_JSON=1 cargo test --test trace_json` records the fixture anew.

use parallel_playground::model::config::{Inputs, RunConfig};
use parallel_playground::model::errors::Fault;
use parallel_playground::model::gather::{FetchRun, Outcome};
use parallel_playground::model::plan::plan;
use parallel_playground::model::record::RunFacts;
use parallel_playground::model::task_outcome::TaskOutcome;
use parallel_playground::model::tasks::TaskRun;
use serde_json::{json, Value};
use std::time::Instant;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/trace_json.json"
);

const FACTS: RunFacts = RunFacts {
    isolated: true,
    pool_threads: 16,
    started_at_ms: 1_000.0,
    wall_ms: 321.0,
};

/// Task strategies, each run for real on its plan's threads.
const TASK_RUNS: [&str; 10] = [
    "strategy=Pool.map&workers=3&items=20&cost=500",
    "strategy=Pool.map_async&workers=2&items=9&chunksize=4&cost=100&shape=random&seed=7",
    "strategy=Pool.imap_unordered&workers=2&items=6&cost=100",
    "strategy=Pool.starmap&workers=2&items=5&cost=10",
    "strategy=Pool.apply_async&workers=2&items=4&cost=10",
    "strategy=ProcessPoolExecutor.map&workers=2&items=7&chunksize=2&cost=10",
    "strategy=ThreadPoolExecutor.map&workers=3&items=6&cost=100&gil=true",
    "strategy=threading.Thread&items=4&cost=100&gil=false",
    "strategy=queue.Queue&workers=2&items=5&workload=io&cost=200&shape=increasing",
    "strategy=static&workers=3&items=10&cost=50",
];

fn config(query: &str) -> RunConfig {
    Inputs::from_query(query).validate().unwrap()
}

fn run_tasks(config: &RunConfig) -> TaskOutcome {
    let plan = plan(config);
    let workers = plan.workers;
    let run = TaskRun::new(plan, config.workload);
    let clock = Instant::now();
    let outcomes: Vec<Option<TaskOutcome>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let run = &run;
                scope.spawn(move || {
                    run.worker_loop(worker, worker, &|| clock.elapsed().as_secs_f64() * 1e3)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    outcomes.into_iter().flatten().next().unwrap()
}

/// A fetch run whose requests end as given (position, time, outcome), in time order.
fn fetch_trace(query: &str, ends: &[(usize, f64, Outcome)]) -> Value {
    let config = config(query);
    let mut run = FetchRun::for_config(&config);
    run.start(0.0);
    for (position, at, outcome) in ends {
        run.finished(*position, outcome.clone(), *at);
    }
    serde_json::to_value(run.into_trace(&config, FACTS)).unwrap()
}

/// What does not depend on timing: every key, and every value but times, worker choices
/// and orders that follow from times.
fn timeless(mut trace: Value) -> Value {
    const TIMED: [&str; 7] = [
        "started_at_ms",
        "wall_ms",
        "worker_started_ms",
        "arrived",
        "delivered",
        "delivered_ms",
        "gil_slices",
    ];
    let object = trace.as_object_mut().unwrap();
    for key in TIMED {
        if let Some(value) = object.get_mut(key) {
            *value = json!("(timed)");
        }
    }
    if let Some(Value::Array(samples)) = object.get_mut("queue_depth") {
        let count = samples.len();
        *object.get_mut("queue_depth").unwrap() =
            json!(format!("(timed: {} samples)", count.min(1)));
    }
    // The verdict follows from the times: its keys are kept, and the parts of its account.
    if let Some(Value::Object(verdict)) = object.get_mut("verdict") {
        for (key, value) in verdict.iter_mut() {
            *value = match (key.as_str(), &*value) {
                ("breakdown", Value::Object(parts)) => {
                    json!(parts.keys().cloned().collect::<Vec<_>>())
                }
                _ => json!("(timed)"),
            };
        }
    }
    if let Some(Value::Array(chunks)) = object.get_mut("chunks") {
        for chunk in chunks {
            for key in [
                "worker",
                "thread",
                "start_ms",
                "end_ms",
                "transfer_ms",
                "gil_wait_ms",
            ] {
                if let Some(value) = chunk.get_mut(key) {
                    *value = json!("(timed)");
                }
            }
        }
    }
    trace
}

fn traces() -> Value {
    let mut all = serde_json::Map::new();
    for query in TASK_RUNS {
        let config = config(query);
        let trace = run_tasks(&config).into_trace(&config, FACTS).unwrap();
        all.insert(
            query.to_owned(),
            timeless(serde_json::to_value(trace).unwrap()),
        );
    }
    let not_found = Outcome::Failed(Fault::Http {
        status: 404,
        reason: String::new(),
    });
    let fetches = [
        (
            "strategy=asyncio.gather&requests=3&latency_ms=50",
            vec![
                (1, 20.0, Outcome::Bytes(16_384)),
                (0, 30.0, Outcome::Bytes(1024)),
                (2, 60.0, Outcome::Bytes(65_536)),
            ],
        ),
        (
            "strategy=asyncio.gather&requests=3&return_exceptions=true&timeout_ms=100",
            vec![
                (2, 10.0, not_found.clone()),
                (0, 30.0, Outcome::Bytes(1024)),
                (1, 100.0, Outcome::Failed(Fault::Timeout { after_ms: 100 })),
            ],
        ),
        (
            "strategy=sequential&requests=2&latency_ms=0&urls=/data/a.bin%20https://example.com/x",
            vec![(0, 10.0, not_found)],
        ),
    ];
    for (query, ends) in fetches {
        all.insert(query.to_owned(), fetch_trace(query, &ends));
    }
    Value::Object(all)
}

#[test]
fn the_trace_json_keeps_its_keys_and_values() {
    let now = traces();
    if std::env::var_os("RECORD_TRACE_JSON").is_some() {
        std::fs::write(FIXTURE, serde_json::to_string_pretty(&now).unwrap()).unwrap();
        return;
    }
    let before: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    for (query, expected) in before.as_object().unwrap() {
        assert_eq!(&now[query], expected, "the JSON of {query} changed");
    }
    assert_eq!(
        now.as_object().unwrap().len(),
        before.as_object().unwrap().len()
    );
}

/// The fixture holds a trace of each kind: process pool, thread pool, fetch strategies, static.
#[test]
fn the_fixture_covers_every_kind_of_trace() {
    let before: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let strategies: Vec<&str> = before
        .as_object()
        .unwrap()
        .values()
        .map(|t| t["strategy"].as_str().unwrap())
        .collect();
    for name in [
        "Pool.map",
        "ThreadPoolExecutor.map",
        "asyncio.gather",
        "sequential",
        "static",
    ] {
        assert!(strategies.contains(&name), "{name}");
    }
}
