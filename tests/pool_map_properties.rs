#![cfg(not(target_arch = "wasm32"))]
//! Properties of `Pool.map` as the playground runs it, checked natively with real threads:
//! the same `MapRun` the Web Workers run, driven here by `std::thread`.

use parallel_playground::model::config::Inputs;
use parallel_playground::model::plan::plan;
use parallel_playground::model::pool_map::{default_chunksize, split};
use parallel_playground::model::task_outcome::TaskOutcome;
use parallel_playground::model::tasks::TaskRun;
use parallel_playground::model::workload::Workload;
use proptest::prelude::*;
use std::time::Instant;

/// Runs `Pool.map` on `workers` real threads and returns the outcome of the last one to
/// finish. The page accepts at least one item; the model also runs an empty input (chunk
/// size 0, as CPython resolves it), so the chunks are cut here from `items` and `chunksize`.
fn run_on_threads(items: usize, chunksize: usize, workers: usize, cost: u32) -> TaskOutcome {
    let config = Inputs::from_query(&format!(
        "strategy=Pool.map&workers={workers}&items={}&chunksize={}&cost={cost}",
        items.max(1),
        chunksize.max(1)
    ))
    .validate()
    .unwrap();
    let mut plan = plan(&config);
    plan.chunks = split(items, chunksize);
    run_plan(plan, Workload::cpu(cost, items))
}

/// Runs a plan on its workers, each a real thread.
fn run_plan(plan: parallel_playground::model::plan::Plan, workload: Workload) -> TaskOutcome {
    let run = TaskRun::new(plan, workload);
    let clock = Instant::now();
    run.run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3)
        .expect("the last worker returns the outcome")
}

fn sequential_map(items: usize) -> Vec<u64> {
    (0..items)
        .map(|p| Workload::cpu(0, items).expected_result(p))
        .collect()
}

#[test]
fn seed_example_14_items_5_workers_chunksize_3() {
    let outcome = run_on_threads(14, 3, 5, 100);
    let lens: Vec<usize> = outcome.records.iter().map(|r| r.len).collect();
    assert_eq!(lens, [3, 3, 3, 3, 2]);
    assert_eq!(
        outcome.results.unwrap(),
        [1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196]
    );
}

#[test]
fn default_rule_100_items_4_workers() {
    let config = Inputs::from_query("workers=4&items=100")
        .validate()
        .unwrap();
    assert_eq!(config.resolved_chunksize(), 7);
    let outcome = run_on_threads(100, config.resolved_chunksize(), 4, 0);
    assert_eq!(outcome.records.len(), 15);
    assert_eq!(outcome.results.unwrap(), sequential_map(100));
}

#[test]
fn an_empty_input_gives_an_empty_result() {
    let outcome = run_on_threads(0, default_chunksize(0, 4), 4, 0);
    assert!(outcome.records.is_empty());
    assert_eq!(outcome.results, Some(vec![]));
}

#[test]
fn each_worker_takes_chunks_in_queue_order() {
    let outcome = run_on_threads(200, 3, 4, 500);
    for worker in 0..4 {
        let mine: Vec<_> = outcome
            .records
            .iter()
            .filter(|r| r.worker == worker)
            .collect();
        assert!(
            mine.windows(2)
                .all(|w| w[0].index < w[1].index && w[0].end_ms <= w[1].start_ms),
            "worker {worker} took its chunks one at a time, in queue order"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_item_once_and_results_equal_a_sequential_map(
        items in 0usize..400,
        workers in 1usize..=8,
        chunksize in proptest::option::of(1usize..50),
    ) {
        let chunksize = chunksize.unwrap_or_else(|| default_chunksize(items, workers));
        let outcome = run_on_threads(items, chunksize, workers, 0);
        let mut covered = vec![0u8; items];
        for record in &outcome.records {
            for count in &mut covered[record.first_item..record.first_item + record.len] {
                *count += 1;
            }
        }
        prop_assert!(covered.iter().all(|&n| n == 1), "every item processed exactly once");
        prop_assert_eq!(outcome.records.len(), split(items, chunksize).len());
        let mut arrived = outcome.arrived.clone();
        arrived.sort_unstable();
        prop_assert_eq!(arrived, (0..outcome.records.len()).collect::<Vec<_>>());
        prop_assert_eq!(outcome.results.unwrap(), sequential_map(items));
    }

    #[test]
    fn chunks_are_consecutive_and_only_the_last_is_short(items in 1usize..5000, chunksize in 1usize..600) {
        let chunks = split(items, chunksize);
        prop_assert_eq!(chunks.len(), items.div_ceil(chunksize));
        for (i, chunk) in chunks.iter().enumerate() {
            prop_assert_eq!(chunk.index, i);
            prop_assert_eq!(chunk.first_item, i * chunksize);
            if i + 1 < chunks.len() {
                prop_assert_eq!(chunk.len, chunksize);
            }
        }
        prop_assert_eq!(chunks.iter().map(|c| c.len).sum::<usize>(), items);
    }

    #[test]
    fn default_rule_matches_cpython_divmod(items in 0usize..1_000_000, workers in 1usize..=16) {
        // CPython: chunksize, extra = divmod(len(iterable), len(self._pool) * 4); if extra: chunksize += 1
        let (chunksize, extra) = (items / (workers * 4), items % (workers * 4));
        let expected = if items == 0 { 0 } else { chunksize + usize::from(extra > 0) };
        prop_assert_eq!(default_chunksize(items, workers), expected);
    }
}
