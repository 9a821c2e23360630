#![cfg(not(target_arch = "wasm32"))]
//! How many threads `ThreadPoolExecutor.map` starts, the playground's real run against
//! CPython's, on cases whose outcome CPython decides the same way every time:
//! - trivial items: the thread started by the first submit holds the GIL from its start and
//!   finishes item 1 before the caller gets the GIL back to submit item 2, which finds it
//!   idle: one thread for two items. With more trivial items the hand-overs of the GIL
//!   between the caller and the threads decide it, the same way every time: 3 threads for 8
//!   items, 13 for 100;
//! - items that compute (holding the GIL) far longer than the 5 ms switch interval, or that
//!   sleep: no thread is idle at any submit, so each starts one, up to `max_workers`.
//!
//! CPython runs each case in `python3` (3.11 or later on `PATH`; without it this fails, it
//! does not skip) and reports `len(executor._threads)`; the playground runs its own
//! `TaskRun` on real threads, with its caller submitting and its real GIL.

use parallel_playground::model::config::Inputs;
use parallel_playground::model::plan::plan;
use parallel_playground::model::tasks::TaskRun;
use std::process::Command;
use std::time::Instant;

/// What CPython runs: `map(fn, range(1, items + 1))` on `ThreadPoolExecutor(workers)`, where
/// `fn` is trivial, computes in pure Python for `ms` (holding the GIL), or sleeps `ms`.
const CPYTHON: &str = r#"
import json, sys, time
from concurrent.futures import ThreadPoolExecutor

def run(kind, ms, items, workers):
    def trivial(x):
        return x * x
    def compute(x):
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            pass
        return x * x
    def sleep(x):
        time.sleep(ms / 1000)
        return x * x
    fn = {"trivial": trivial, "compute": compute, "sleep": sleep}[kind]
    with ThreadPoolExecutor(workers) as executor:
        assert list(executor.map(fn, range(1, items + 1))) == [x * x for x in range(1, items + 1)]
        return len(executor._threads)

print(json.dumps([run(*case) for case in json.loads(sys.argv[1])]))
"#;

/// One case: CPython's task, and the playground's settings for the same task.
struct Case {
    /// `trivial`, `compute` or `sleep`.
    kind: &'static str,
    /// How long CPython's task computes or sleeps, ms.
    ms: u32,
    items: usize,
    workers: usize,
    /// The playground's workload for the same task (its `cost` and `workload`).
    workload: &'static str,
}

const CASES: &[Case] = &[
    Case {
        kind: "trivial",
        ms: 0,
        items: 2,
        workers: 16,
        workload: "cost=0",
    },
    Case {
        kind: "trivial",
        ms: 0,
        items: 8,
        workers: 16,
        workload: "cost=0",
    },
    Case {
        kind: "trivial",
        ms: 0,
        items: 100,
        workers: 16,
        workload: "cost=0",
    },
    Case {
        kind: "compute",
        ms: 50,
        items: 2,
        workers: 16,
        workload: "cost=1000000",
    },
    Case {
        kind: "compute",
        ms: 200,
        items: 3,
        workers: 16,
        workload: "cost=1000000",
    },
    Case {
        kind: "sleep",
        ms: 20,
        items: 3,
        workers: 16,
        workload: "workload=io&cost=20000",
    },
    Case {
        kind: "sleep",
        ms: 20,
        items: 12,
        workers: 4,
        workload: "workload=io&cost=20000",
    },
];

/// The threads CPython started in each case.
fn cpython_started() -> Vec<usize> {
    let cases: Vec<(&str, u32, usize, usize)> = CASES
        .iter()
        .map(|c| (c.kind, c.ms, c.items, c.workers))
        .collect();
    let output = Command::new("python3")
        .args(["-c", CPYTHON, &serde_json::to_string(&cases).unwrap()])
        .output()
        .expect("this check runs CPython 3.11 or later as `python3` on PATH");
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python3 printed a JSON list")
}

/// How long one item of `case` takes the playground alone (no GIL, no other thread), ms.
fn playground_item_ms(case: &Case) -> f64 {
    let query = format!("strategy=ThreadPoolExecutor.map&items=1&{}", case.workload);
    let config = Inputs::from_query(&query).validate().unwrap();
    let clock = Instant::now();
    let control = parallel_playground::model::run_control::RunControl::default();
    let now = || clock.elapsed().as_secs_f64() * 1e3;
    config
        .workload
        .run_item(0, None, &now, None, &control)
        .unwrap();
    now()
}

/// The threads the playground's run started in `case`.
fn playground_started(case: &Case) -> usize {
    let query = format!(
        "strategy=ThreadPoolExecutor.map&workers={}&items={}&{}",
        case.workers, case.items, case.workload
    );
    let config = Inputs::from_query(&query).validate().unwrap();
    let run = TaskRun::new(plan(&config), config.workload);
    let clock = Instant::now();
    let outcome = run
        .run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3)
        .expect("the run finishes");
    let squares: Vec<u64> = (1..=case.items as u64).map(|x| x * x).collect();
    assert_eq!(outcome.results.as_ref(), Some(&squares), "{query}");
    outcome.worker_started_ms.len()
}

#[test]
fn thread_pool_executor_starts_as_many_threads_as_cpython_does() {
    let cpython = cpython_started();
    assert_eq!(
        cpython,
        [1, 3, 13, 2, 3, 3, 4],
        "CPython itself: 1 thread for 2 trivial items; one per item, up to max_workers, for slow ones"
    );
    for (case, &expected) in CASES.iter().zip(&cpython) {
        if case.kind != "trivial" {
            let item_ms = playground_item_ms(case);
            assert!(
                item_ms > 15.0,
                "{} items must outlast a few switch intervals: {item_ms} ms",
                case.kind
            );
        }
        let started = playground_started(case);
        assert_eq!(
            started, expected,
            "{} items={} max_workers={}: threads started (CPython: {expected})",
            case.kind, case.items, case.workers
        );
    }
}
