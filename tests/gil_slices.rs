#![cfg(not(target_arch = "wasm32"))]
//! The GIL's record of who held it, from real thread-strategy runs on `std::thread`s: the
//! slices never overlap, each lies inside a task of its own worker (or, for a thread started
//! by a submit, within its life), and every thread that computed held the lock for what it
//! computed.

use parallel_playground::model::config::Inputs;
use parallel_playground::model::plan::plan;
use parallel_playground::model::task_outcome::TaskOutcome;
use parallel_playground::model::tasks::TaskRun;
use std::time::Instant;

/// Runs `query` on its plan's workers, each a real thread whose clock reads `skew_ms` × its
/// worker number off the others' (as Web Workers' clocks may).
fn run(query: &str, skew_ms: f64) -> TaskOutcome {
    let config = Inputs::from_query(query).validate().unwrap();
    let run = TaskRun::new(plan(&config), config.workload);
    let clock = Instant::now();
    run.run_on_std_threads(&|worker| clock.elapsed().as_secs_f64() * 1e3 + worker as f64 * skew_ms)
        .unwrap()
}

#[test]
fn with_the_gil_no_two_threads_ever_hold_it_at_once() {
    for (query, skew_ms) in [
        (
            "strategy=ThreadPoolExecutor.map&workers=3&items=12&cost=300000",
            0.0,
        ),
        ("strategy=queue.Queue&workers=4&items=16&cost=200000", -0.2),
        ("strategy=threading.Thread&items=4&cost=400000", 0.2),
    ] {
        let outcome = run(query, skew_ms);
        let slices = &outcome.gil_slices;
        assert!(slices.len() >= 2, "{query}: {} slices", slices.len());
        for pair in slices.windows(2) {
            assert!(
                pair[1].start_ms >= pair[0].end_ms,
                "{query}: {:?} overlaps {:?}",
                pair[0],
                pair[1]
            );
        }
        // A hand-over is dated no earlier than the release before it, read on the releasing
        // thread's clock: a slice may start up to the clocks' spread after its task's end.
        let spread_ms = skew_ms.abs() * outcome.worker_started_ms.len() as f64;
        let threads_per_submit = query.starts_with("strategy=ThreadPoolExecutor");
        for slice in slices {
            if threads_per_submit {
                // A thread started by a submit holds the GIL from its start, between its
                // tasks too (taking the next, setting a result), as a Python thread does.
                assert!(
                    slice.start_ms >= outcome.worker_started_ms[slice.worker] - spread_ms,
                    "{query}: {slice:?} before its worker started"
                );
                continue;
            }
            // Inside a task of its own worker (a slice may span two of its tasks when the
            // thread took the lock back at once between them).
            assert!(
                outcome.records.iter().any(|r| r.worker == slice.worker
                    && r.start_ms <= slice.start_ms
                    && slice.start_ms <= r.end_ms + spread_ms),
                "{query}: {slice:?} outside its worker's tasks"
            );
        }
        let workers = outcome.worker_started_ms.len();
        for worker in 0..workers {
            let held: f64 = slices
                .iter()
                .filter(|s| s.worker == worker)
                .map(|s| s.end_ms - s.start_ms)
                .sum();
            assert!(
                held > 0.0,
                "{query}: worker {worker} computed without the GIL"
            );
        }
    }
}

#[test]
fn without_the_gil_nothing_is_recorded() {
    let outcome = run(
        "strategy=ThreadPoolExecutor.map&workers=2&items=4&cost=1000&gil=false",
        0.0,
    );
    assert!(outcome.gil_slices.is_empty());
}
