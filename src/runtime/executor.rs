//! Runs a strategy for real and records its trace.
//!
//! Task strategies (pools, executors, threads, queue, static split): the model's [`TaskRun`]
//! is started on exactly as many resident Web Workers as the plan has workers; the last worker
//! to finish sends the outcome to the page on a oneshot channel, which the page awaits. With
//! the `fetch` workload each task's request is a blocking one made in its Web Worker
//! ([`crate::runtime::fetch::blocking_requests`]). rayon runs in a rayon pool of exactly the
//! chosen size, built on resident Web Workers for the run.
//! The fetch strategies run on the page's own event loop ([`crate::runtime::fetch`]).

use crate::model::config::{RunConfig, Strategy};
use crate::model::tasks::{plan, RunFacts, TaskOutcome, TaskRun};
use crate::model::trace::{ChunkRecord, Trace};
use crate::model::workload::WorkloadKind;
use crate::runtime::clock::now_ms;
use crate::runtime::pool::{self, is_cross_origin_isolated};
use crate::runtime::rayon_trace::{Piece, PieceLog};
use futures::channel::oneshot;
use std::sync::{Arc, Mutex};

/// Runs `config` for real and returns its trace (without a baseline).
pub async fn run(config: &RunConfig) -> Result<Trace, String> {
    if config.strategy.is_fetch() {
        return crate::runtime::fetch::run(config).await;
    }
    let pool = pool::ready().await?;
    let (sender, receiver) = oneshot::channel::<TaskOutcome>();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let started_at_ms = now_ms();
    if config.strategy == Strategy::RayonParIter {
        start_rayon(config, started_at_ms, sender)?;
    } else {
        let mut run = TaskRun::new(plan(config), config.workload);
        if config.workload.kind == WorkloadKind::Fetch {
            run = run.with_io(crate::runtime::fetch::blocking_requests(config.items)?);
        }
        let run = Arc::new(run);
        let workers = run.plan().workers;
        // Worker w runs on resident thread w: exactly the plan's workers do the work.
        pool::run_on_threads(workers, move |worker| {
            let thread = rayon::current_thread_index().unwrap_or(worker);
            let outcome = run.worker_loop(worker, thread, &|| now_ms() - started_at_ms);
            if let Some(outcome) = outcome {
                send(&sender, outcome);
            }
        })?;
    }
    let outcome = receiver.await;
    if config.strategy == Strategy::RayonParIter {
        pool::repark(config.workers);
    }
    let outcome = outcome.map_err(|_| "the workers stopped before the run finished".to_owned())?;
    let facts = RunFacts {
        isolated: is_cross_origin_isolated(),
        pool_threads: pool.threads,
        started_at_ms,
        wall_ms: now_ms() - started_at_ms,
    };
    outcome.into_trace(config, facts)
}

type OutcomeSender = Arc<Mutex<Option<oneshot::Sender<TaskOutcome>>>>;

fn send(sender: &OutcomeSender, outcome: TaskOutcome) {
    let taken = sender.lock().ok().and_then(|mut s| s.take());
    // The page may have gone away; then nobody waits for the outcome.
    if let Some(sender) = taken {
        let _ = sender.send(outcome);
    }
}

/// `par_iter().map()` on exactly `config.workers` threads: that many resident threads are
/// handed back to rayon's global pool for the run (the rest stay parked and take no part),
/// and rayon splits and steals among them as it always does.
fn start_rayon(
    config: &RunConfig,
    started_at_ms: f64,
    sender: OutcomeSender,
) -> Result<(), String> {
    let threads = config.workers;
    pool::release_to_rayon(threads)?;
    let workload = config.workload;
    let items = config.items;
    rayon::spawn(move || {
        use rayon::prelude::*;
        let now = move || now_ms() - started_at_ms;
        let worker_started_ms = vec![now(); threads];
        let log = PieceLog::new(&now);
        let results: Vec<u64> = log
            .range(items)
            // rayon runs only `cpu` and `io` (fetch is refused for it), which never fail.
            .map(|position| workload.run_item(position, None, &now, None).unwrap_or(0))
            .collect();
        let done_ms = now();
        send(
            &sender,
            rayon_outcome(results, log.into_pieces(), worker_started_ms, done_ms),
        );
    });
    Ok(())
}

/// The outcome of a rayon run: one record per leaf piece rayon ran, in input order.
fn rayon_outcome(
    results: Vec<u64>,
    pieces: Vec<Piece>,
    worker_started_ms: Vec<f64>,
    done_ms: f64,
) -> TaskOutcome {
    // rayon numbers threads in the global pool; lanes are numbered 0.. in order of first use.
    let mut lanes: Vec<usize> = Vec::new();
    let records: Vec<ChunkRecord> = pieces
        .into_iter()
        .enumerate()
        .map(|(index, piece)| {
            let worker = lanes
                .iter()
                .position(|&t| t == piece.thread)
                .unwrap_or_else(|| {
                    lanes.push(piece.thread);
                    lanes.len() - 1
                });
            ChunkRecord {
                index,
                first_item: piece.items.start,
                len: piece.items.len(),
                worker,
                thread: piece.thread,
                start_ms: piece.start_ms,
                end_ms: piece.end_ms,
                transfer_ms: 0.0,
                gil_wait_ms: 0.0,
                error: None,
            }
        })
        .collect();
    let mut arrived: Vec<usize> = (0..records.len()).collect();
    arrived.sort_by(|&a, &b| records[a].end_ms.total_cmp(&records[b].end_ms));
    let count = records.len();
    TaskOutcome {
        results: Some(results),
        records,
        arrived,
        delivered: (0..count).collect(),
        delivered_ms: vec![done_ms; count],
        worker_started_ms,
        queue_depth: Vec::new(),
        gil_slices: Vec::new(),
    }
}
