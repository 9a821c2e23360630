//! Runs a strategy for real on the pool and records its trace.
//!
//! `Pool.map`: exactly `workers` worker loops of the model's [`MapRun`] are started on the
//! pool, each on its own Web Worker. The last loop to finish sends the outcome to the page on
//! a oneshot channel, which the page awaits: the page itself never waits on a lock.

use crate::model::config::RunConfig;
use crate::model::pool_map::{split, MapRun};
use crate::model::trace::{checksum, Trace, MAX_LISTED_RESULTS};
use crate::model::workload::Workload;
use crate::runtime::clock::now_ms;
use crate::runtime::pool::{self, is_cross_origin_isolated};
use futures::channel::oneshot;
use std::sync::{Arc, Mutex};

/// Runs `config` for real on the pool and returns its trace (without a baseline).
pub async fn run(config: RunConfig) -> Result<Trace, String> {
    let pool = pool::ready().await?;
    let chunksize = config.resolved_chunksize();
    let chunk_count = split(config.items, chunksize).len();
    let (sender, receiver) = oneshot::channel();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let run = Arc::new(MapRun::new(
        config.workload(),
        config.items,
        chunksize,
        config.workers,
    ));
    let started_at_ms = now_ms();
    // Worker w of the pool runs on resident thread w: exactly `workers` threads do the work.
    pool::run_on_threads(config.workers, move |worker| {
        let thread = rayon::current_thread_index().unwrap_or(worker);
        let outcome = run.worker_loop(worker, thread, || now_ms() - started_at_ms);
        if let Some(outcome) = outcome {
            let taken = sender.lock().ok().and_then(|mut s| s.take());
            // The page may have gone away; then nobody waits for the outcome.
            if let Some(sender) = taken {
                let _ = sender.send(outcome);
            }
        }
    })?;
    let finished = receiver
        .await
        .map_err(|_| "the workers stopped before the run finished".to_owned())?;
    let wall_ms = now_ms() - started_at_ms;
    let results = finished
        .results
        .ok_or("some chunks never came back from the workers")?;
    let results_in_order = results
        .iter()
        .enumerate()
        .all(|(position, &r)| r == Workload::expected_result(position));
    Ok(Trace {
        strategy: config.strategy.name().to_owned(),
        workers: config.workers,
        chunksize,
        items: config.items,
        cost: config.cost,
        isolated: is_cross_origin_isolated(),
        pool_threads: pool.threads,
        started_at_ms,
        wall_ms,
        chunks: finished.records,
        delivered: (0..chunk_count).collect(),
        arrived: finished.arrived,
        results_in_order,
        checksum: checksum(&results),
        results: (results.len() <= MAX_LISTED_RESULTS).then_some(results),
        baseline_wall_ms: None,
    })
}
