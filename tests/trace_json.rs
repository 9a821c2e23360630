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
use parallel_playground::model::recorded::{
    decode_link, encode_for_link, load_trace, share_link, LoadError, Shared, MAX_RECORDING_BYTES,
};
use parallel_playground::model::task_outcome::TaskOutcome;
use parallel_playground::model::tasks::TaskRun;
use parallel_playground::model::trace::{RecordedOn, Trace};
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
    let run = TaskRun::new(plan(config), config.workload);
    let clock = Instant::now();
    run.run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3)
        .unwrap()
}

/// A fetch run whose requests end as given (position, time, outcome), in time order.
fn fetch_run(query: &str, ends: &[(usize, f64, Outcome)]) -> Trace {
    let config = config(query);
    let mut run = FetchRun::for_config(&config);
    run.start(0.0);
    for (position, at, outcome) in ends {
        run.finished(*position, outcome.clone(), *at);
    }
    run.into_trace(&config, FACTS)
}

/// The JSON of [`fetch_run`].
fn fetch_trace(query: &str, ends: &[(usize, f64, Outcome)]) -> Value {
    serde_json::to_value(fetch_run(query, ends)).unwrap()
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
    // How many threads a ThreadPoolExecutor started follows from the times (null elsewhere).
    if let Some(started @ Value::Number(_)) = object.get_mut("threads_started") {
        *started = json!("(timed)");
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

/// How a fetch run's requests end: (position, time, outcome), in time order.
type Ends = Vec<(usize, f64, Outcome)>;

/// The fetch runs of the fixture: each query with how its requests ended.
fn fetch_runs() -> Vec<(&'static str, Ends)> {
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
    fetches.to_vec()
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
    for (query, ends) in fetch_runs() {
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

/// A trace of every kind in the fixture: the task strategies run for real, the fetch runs.
fn every_kind_of_trace() -> Vec<Trace> {
    let tasks = TASK_RUNS.into_iter().map(|query| {
        let config = config(query);
        run_tasks(&config).into_trace(&config, FACTS).unwrap()
    });
    let fetches = fetch_runs()
        .into_iter()
        .map(|(query, ends)| fetch_run(query, &ends));
    tasks.chain(fetches).collect()
}

/// A recording loads back into the very trace that was saved, for every strategy family, as
/// a file and in a link; the processor count, date and browser come back with it.
#[test]
fn a_recording_loads_back_into_the_same_trace() {
    for mut trace in every_kind_of_trace() {
        trace.cpu_count = 12;
        trace.recorded_on = Some(RecordedOn {
            date: "2026-11-30T01:30:00.000Z".to_owned(),
            browser: "Chrome 131".to_owned(),
        });
        let json = serde_json::to_string(&trace).unwrap();
        let loaded = load_trace(&json).unwrap_or_else(|e| panic!("{}: {e}", trace.query()));
        assert_eq!(loaded, trace, "{}", trace.query());
        assert_eq!(serde_json::to_string(&loaded).unwrap(), json);
        let from_link = load_trace(&decode_link(&encode_for_link(&trace)).unwrap()).unwrap();
        assert_eq!(from_link, trace, "{}", trace.query());
    }
    // A native run says nothing of date or browser, and so does its recording.
    let plain = every_kind_of_trace().remove(0);
    assert_eq!(plain.recorded_on, None);
    let json = serde_json::to_value(&plain).unwrap();
    assert!(json.get("recorded_on").is_none());
    assert_eq!(json["cpu_count"], json!(plain.cpu_count));
    assert_eq!(load_trace(&json.to_string()).unwrap(), plain);
}

/// A small run's link holds its recording; a large one's is refused with its length.
#[test]
fn share_gives_a_link_or_says_it_is_too_long() {
    let small = every_kind_of_trace().remove(0);
    let Shared::Link(link) = share_link("https://example.org/play/", &small) else {
        panic!("a run of 20 items fits in a link");
    };
    let (page, query) = link.split_once('?').unwrap();
    assert_eq!(page, "https://example.org/play/");
    assert!(query.starts_with(&small.query()));
    let encoded = query.split("&trace=").nth(1).unwrap();
    assert_eq!(load_trace(&decode_link(encoded).unwrap()).unwrap(), small);

    let big_config = config("strategy=Pool.map&workers=4&items=3000&chunksize=1&cost=10");
    let big = run_tasks(&big_config)
        .into_trace(&big_config, FACTS)
        .unwrap();
    assert!(matches!(share_link("https://example.org/", &big), Shared::TooLong(n) if n > 8_000));
}

fn error_of(json: &str) -> LoadError {
    load_trace(json).expect_err(json.get(..200).unwrap_or(json))
}

/// Every kind of bad recording gets its own clear message, and none panics.
#[test]
fn a_bad_recording_is_refused_with_a_message() {
    let trace = every_kind_of_trace().remove(0);
    let good: Value = serde_json::to_value(&trace).unwrap();
    let text = good.to_string();

    assert_eq!(error_of(""), LoadError::Empty);
    assert_eq!(error_of("  \n"), LoadError::Empty);
    assert_eq!(error_of(&text[..text.len() / 2]), LoadError::Truncated);
    assert!(matches!(
        error_of("<!doctype html><title>404</title>"),
        LoadError::NotJson(_)
    ));
    let huge = format!("{}{}", " ".repeat(MAX_RECORDING_BYTES), text);
    assert!(matches!(error_of(&huge), LoadError::TooLarge { .. }));
    assert!(error_of(&huge).to_string().contains("too large"));

    // Foreign files: another JSON, an array, the Chrome Trace Event export.
    assert!(matches!(error_of("[1, 2, 3]"), LoadError::Foreign(_)));
    assert!(matches!(
        error_of(r#"{"name": "package", "version": "1.0"}"#),
        LoadError::Foreign(_)
    ));
    let chrome = error_of(r#"{"traceEvents": [], "displayTimeUnit": "ms"}"#);
    assert!(
        chrome.to_string().contains("Chrome Trace Event"),
        "{chrome}"
    );

    // An older trace, without the processor count.
    let mut old = good.clone();
    old.as_object_mut().unwrap().remove("cpu_count");
    assert_eq!(error_of(&old.to_string()), LoadError::NoProcessorCount);

    let with = |change: &dyn Fn(&mut Value)| {
        let mut edited = good.clone();
        change(&mut edited);
        error_of(&edited.to_string()).to_string()
    };
    type Edit<'a> = &'a dyn Fn(&mut Value);
    let cases: [(Edit, &str); 13] = [
        (&|t| t["workers"] = json!("three"), "workers"),
        (&|t| t["chunks"][0]["worker"] = json!(-1), "worker"),
        (
            &|t| t["chunks"][0]["worker"] = json!(99),
            "task 0 ran on worker 99",
        ),
        (&|t| t["chunks"][1]["index"] = json!(0), "index order"),
        (
            &|t| t["chunks"][2]["len"] = json!(1000),
            "task 2 holds items",
        ),
        (
            &|t| t["chunks"][0]["end_ms"] = json!(-5.0),
            "task 0 runs from",
        ),
        (
            &|t| t["arrived"] = json!([0, 77]),
            "'arrived' names task 77",
        ),
        (&|t| t["delivered_ms"] = json!([]), "delivered_ms"),
        (&|t| t["checksum"] = json!(12345), "checksum"),
        (
            &|t| t["query"] = json!("strategy=Pool.map&workers=0"),
            "settings are not valid",
        ),
        (
            &|t| t["strategy"] = json!("ThreadPoolExecutor.map"),
            "is not the one its query names",
        ),
        (&|t| t["cost"] = json!(7), "'cost' does not agree"),
        (&|t| t["surprise"] = json!(true), "'surprise'"),
    ];
    for (change, expected) in cases {
        let message = with(change);
        assert!(
            message.contains(expected),
            "{message} (expected: {expected})"
        );
        assert!(
            message.starts_with("the recording is not a valid trace"),
            "{message}"
        );
    }
    assert!(with(&|t| t["cpu_count"] = json!(0)).contains("logical processors"));
}
