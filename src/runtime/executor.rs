//! Runs a strategy for real and records its trace.
//!
//! Task strategies (pools, executors, threads, queue, static split): the model's [`TaskRun`]
//! is built by the first of exactly as many resident Web Workers as the plan has workers; the
//! last worker to finish builds the trace and sends it to the page on a oneshot channel,
//! which the page awaits. What grows with the tasks is built and dropped on the workers. With
//! the `fetch` workload each task's request is a blocking one made in its Web Worker
//! ([`crate::runtime::fetch::blocking_requests`]). rayon runs on the global rayon pool, to
//! which exactly the chosen number of resident Web Workers are lent for the run.
//! The fetch strategies run on the page's own event loop ([`crate::runtime::fetch`]).
//!
//! Every run is stopped through its [`RunControl`]: workers check it between items and inside
//! long items, and a stopped run still returns the trace of what ran.

use crate::model::config::RunConfig;
use crate::model::errors::TaskError;
use crate::model::plan::{plan, plan_workers};
use crate::model::record::{ChunkRecord, RunFacts};
use crate::model::run_control::RunControl;
use crate::model::short_circuit::ItemLog;
use crate::model::strategy::Runner;
use crate::model::task_outcome::TaskOutcome;
use crate::model::tasks::TaskRun;
use crate::model::trace::Trace;
use crate::model::workload::WorkloadKind;
use crate::runtime::clock::now_ms;
use crate::runtime::pool::{self, is_cross_origin_isolated};
use crate::runtime::rayon_trace::{Piece, PieceLog};
use futures::channel::mpsc::unbounded;
use futures::channel::oneshot;
use std::sync::{Arc, Mutex, OnceLock};

/// Runs `config` for real and returns its trace (without a baseline). `control` stops it and
/// counts its items.
pub async fn run(config: &RunConfig, control: &Arc<RunControl>) -> Result<Trace, String> {
    if config.strategy.is_fetch() {
        return crate::runtime::fetch::run(config).await;
    }
    // Process strategies run on processes of their own, which need no isolation.
    if config.strategy.rule().runner == Runner::Processes {
        return crate::runtime::process::run(config, control).await;
    }
    let pool = pool::ready().await?;
    let (sender, receiver) = oneshot::channel::<Result<Trace, String>>();
    let sender = Arc::new(Mutex::new(Some(sender)));
    let started_at_ms = now_ms();
    let facts = RunFacts {
        isolated: is_cross_origin_isolated(),
        pool_threads: pool.threads,
        started_at_ms,
        wall_ms: 0.0,
    };
    if config.strategy.rule().runner == Runner::Rayon {
        start_rayon(config.clone(), facts, sender, Arc::clone(control)).await?;
    } else {
        // The requests of a fetch workload are made on the page's event loop, set up here.
        let io = match config.workload.kind {
            WorkloadKind::Fetch => Some(crate::runtime::fetch::blocking_requests(
                config.items,
                Arc::clone(control),
            )?),
            WorkloadKind::Cpu | WorkloadKind::Io => None,
        };
        // The run's tasks, queue and trace grow with the items: they are built, and dropped,
        // on the workers, so that a run of a million tasks costs the page nothing.
        let shared = Arc::new(OnceLock::<TaskRun>::new());
        let (config, control) = (config.clone(), Arc::clone(control));
        let workers = plan_workers(&config);
        // ThreadPoolExecutor: the caller submits the tasks on a thread of its own, which
        // starts the workers' threads as its submits decide, and waits for each start.
        let per_submit = config.strategy.rule().workers_per_submit;
        // Other Python threads start one after another from the page: Thread.start()
        // returns only once the new thread has started, and each worker says so when it has
        // taken its first task.
        let in_order = config.strategy.is_threaded() && !per_submit;
        let (started, started_signals) = unbounded::<usize>();
        let job = move |role: Role<'_>| {
            let run = shared.get_or_init(|| {
                let run =
                    TaskRun::new(plan(&config), config.workload).with_control(Arc::clone(&control));
                let run = match &io {
                    Some(io) => run.with_io(Arc::clone(io)),
                    None => run,
                };
                if in_order {
                    let started = started.clone();
                    // Fails only when the page has gone; then nobody waits for it.
                    run.with_started_signal(Arc::new(move |worker| {
                        let _ = started.unbounded_send(worker);
                    }))
                } else {
                    run
                }
            });
            let since_start = || now_ms() - started_at_ms;
            let outcome = match role {
                Role::Worker(worker) => {
                    let thread = rayon::current_thread_index().unwrap_or(worker);
                    run.worker_loop(worker, thread, &since_start)
                }
                Role::Caller(start_thread) => run.caller_loop(start_thread, &since_start),
            };
            if let Some(outcome) = outcome {
                let facts = RunFacts {
                    wall_ms: since_start(),
                    ..facts
                };
                send(&sender, trace_of(outcome, &config, facts));
            }
        };
        // Worker w runs on resident thread w: exactly the plan's workers do the work (those
        // the caller's submits start, where they start per submit).
        let job = Arc::new(job);
        let worker_job = {
            let job = Arc::clone(&job);
            move |worker| job(Role::Worker(worker))
        };
        if per_submit {
            pool::run_with_caller(workers, worker_job, move |start_thread| {
                job(Role::Caller(start_thread))
            })
            .await?;
        } else {
            let started = in_order.then_some(started_signals);
            pool::run_on_threads(workers, worker_job, started).await?;
        }
    }
    receiver
        .await
        .map_err(|_| "the workers stopped before the run finished".to_owned())?
}

/// What a thread of a task run does: work as worker `w`, or submit the tasks as the caller
/// (starting worker `w`'s thread with the function given).
enum Role<'a> {
    Worker(usize),
    Caller(&'a dyn Fn(usize)),
}

/// The trace of `outcome`, with its figures, verdict and (for a large one) drawings already
/// derived (on the worker that calls this), so that the page only reads them.
fn trace_of(outcome: TaskOutcome, config: &RunConfig, facts: RunFacts) -> Result<Trace, String> {
    let trace = outcome.into_trace(config, facts)?;
    trace.derive_figures();
    trace.verdict();
    trace.reduce_for_drawing();
    Ok(trace)
}

type OutcomeSender = Arc<Mutex<Option<oneshot::Sender<Result<Trace, String>>>>>;

/// Sends the run's trace to the page (from a worker thread).
fn send(sender: &OutcomeSender, outcome: Result<Trace, String>) {
    let taken = sender.lock().ok().and_then(|mut s| s.take());
    // The page may have gone away; then nobody waits for the outcome.
    if let Some(sender) = taken {
        let _ = sender.send(outcome);
    }
}

/// `par_iter().map()` on exactly `config.workers` threads: that many resident threads are
/// lent to rayon's global pool for the run (the rest stay parked and take no part), and
/// rayon splits and steals among them as it always does.
async fn start_rayon(
    config: RunConfig,
    facts: RunFacts,
    sender: OutcomeSender,
    control: Arc<RunControl>,
) -> Result<(), String> {
    let threads = config.workers;
    let workload = config.workload;
    let items = config.items;
    pool::lend_to_rayon(threads, move || {
        use rayon::prelude::*;
        let started_at_ms = facts.started_at_ms;
        let now = move || now_ms() - started_at_ms;
        let stop_requested = || control.stop_requested();
        let worker_started_ms = vec![now(); threads];
        let log = PieceLog::new(&now, &stop_requested);
        let outcome = if workload.raises.is_empty() {
            let results: Vec<u64> = log
                .range(items)
                .map(|position| {
                    if control.stop_requested() {
                        return 0;
                    }
                    // rayon runs only `cpu` and `io` (fetch is refused for it), which never
                    // fail unless made to (`raise_at`).
                    let result = workload
                        .run_item(position, None, &now, None, &control)
                        .unwrap_or(0);
                    control.item_done(rayon::current_thread_index().unwrap_or(0));
                    result
                })
                .collect();
            let done_ms = now();
            let stopped = control.stop_requested();
            rayon_outcome(
                (!stopped).then_some(results),
                log.into_pieces(),
                worker_started_ms,
                done_ms,
            )
        } else {
            // Rust has no exceptions: each item returns a Result, and collecting them into a
            // Result short-circuits (rayon skips the items not yet started once an Err is
            // seen). The items log what really ran.
            let items_ran = ItemLog::new(items);
            let collected: Result<Vec<u64>, TaskError> = log
                .range(items)
                .map(|position| {
                    if control.stop_requested() {
                        return Ok(0);
                    }
                    items_ran.started(position);
                    let result = workload
                        .run_item(position, None, &now, None, &control)
                        .map_err(|error| match error.raised_item() {
                            Some(item) => TaskError::Returned { item },
                            None => error,
                        });
                    items_ran.returned(position, &result);
                    control.item_done(rayon::current_thread_index().unwrap_or(0));
                    result
                })
                .collect();
            let done_ms = now();
            let stopped = control.stop_requested();
            returned_err_outcome(
                collected.err().filter(|_| !stopped),
                &items_ran,
                stopped,
                log.into_pieces(),
                worker_started_ms,
                done_ms,
            )
        };
        let facts = RunFacts {
            wall_ms: now(),
            ..facts
        };
        send(&sender, trace_of(outcome, &config, facts));
    })
    .await
}

/// The outcome of a rayon run whose items return `Result`s (`raise_at`), once `collect`
/// returned `error` (the first `Err` stored, if one was; `None` when stopped): each piece
/// drawn only as far as rayon ran it (a piece it skipped entirely is not drawn), the `Err` of
/// the piece that returned one marked; the caller got the `Err` and no `Vec`.
fn returned_err_outcome(
    error: Option<TaskError>,
    items_ran: &ItemLog,
    stopped: bool,
    pieces: Vec<Piece>,
    worker_started_ms: Vec<f64>,
    done_ms: f64,
) -> TaskOutcome {
    let ranges: Vec<std::ops::Range<usize>> = pieces.iter().map(|p| p.items.clone()).collect();
    let results = (!stopped).then(|| items_ran.values(&ranges));
    let cut = error.is_some();
    let mut errors = Vec::new();
    let pieces: Vec<Piece> = pieces
        .into_iter()
        .filter_map(|mut piece| {
            let (started, error) = items_ran.piece(piece.items.clone());
            if cut {
                piece.items = piece.items.start..piece.items.start + started;
            }
            (!piece.items.is_empty()).then(|| {
                errors.push(error);
                piece
            })
        })
        .collect();
    let mut outcome = rayon_outcome(results, pieces, worker_started_ms, done_ms);
    for (record, error) in outcome.records.iter_mut().zip(errors) {
        record.error = error;
    }
    if let Some(error) = error {
        outcome.raised = Some((error, done_ms));
        outcome.delivered.clear();
        outcome.delivered_ms.clear();
    }
    outcome
}

/// The outcome of a rayon run: one record per leaf piece rayon ran, in input order. `results`
/// is `None` when the run was stopped.
fn rayon_outcome(
    results: Option<Vec<u64>>,
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
                stopped: piece.stopped,
                process: None,
            }
        })
        .collect();
    let stopped = results.is_none();
    let finished: Vec<usize> = (0..records.len())
        .filter(|&i| !records[i].stopped)
        .collect();
    let mut arrived = finished.clone();
    arrived.sort_by(|&a, &b| records[a].end_ms.total_cmp(&records[b].end_ms));
    // The caller gets the collected list at the end, or nothing when the run was stopped.
    let delivered = if stopped { Vec::new() } else { finished };
    TaskOutcome {
        results,
        delivered_ms: vec![done_ms; delivered.len()],
        delivered,
        records,
        arrived,
        worker_started_ms,
        queue_depth: Vec::new(),
        stopped,
        gil_slices: Vec::new(),
        raised: None,
        cancelled: Vec::new(),
        stranded: Vec::new(),
        unsubmitted: Vec::new(),
    }
}
