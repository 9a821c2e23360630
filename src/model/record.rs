//! What a run recorded, in the form every strategy records it: each task as it ran
//! ([`ChunkRecord`]), the task queue's depth ([`DepthSample`]), the facts only the runtime
//! knows ([`RunFacts`]), and the whole [`Recording`] that `Trace::new` turns into a trace.
//!
//! Times are milliseconds since the run started, measured on one clock across workers.

use crate::model::errors::TaskError;
use crate::model::gil::GilSlice;
use serde::{Deserialize, Serialize};

/// One chunk as it really ran: which worker took it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkRecord {
    /// Position of the chunk in input order.
    pub index: usize,
    /// Input position of its first item.
    pub first_item: usize,
    /// Number of items.
    pub len: usize,
    /// The pool worker (0-based) that ran it.
    pub worker: usize,
    /// The real thread (rayon's thread index, one Web Worker each) that ran it.
    pub thread: usize,
    /// When the worker took it, ms since the run started.
    pub start_ms: f64,
    /// When its results were handed back, ms since the run started.
    pub end_ms: f64,
    /// Of that span, the time spent pickling arguments and results to bytes and back and in
    /// the messages (process strategies only), ms: the part of it within the chunk's box on
    /// its lane, which ends where its process began its next chunk, if that was before the
    /// results were back ([`crate::model::layout::lane_ends`]; the rest of the way back is
    /// in `return_ms`).
    pub transfer_ms: f64,
    /// Of that span, the time spent waiting for the GIL (thread strategies with the GIL on), ms.
    pub gil_wait_ms: f64,
    /// Why the task failed (fetch strategies: HTTP status, network error, timeout …), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
    /// Whether the run was stopped while this task ran: it ended part-way at `end_ms`, and its
    /// results never reached the caller.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// Where the time went when a separate process ran the chunk (process strategies).
    #[serde(flatten)]
    pub process: Option<ProcessChunkTimes>,
}

/// A chunk's time on a process pool, as measured on both sides of the message: how long it
/// waited in the parent's queue, then in its process's pipe (written ahead while the process
/// ran the chunk before), crossed over (pickling and the message, both ways) and computed.
/// `start_ms..end_ms` spans the crossing and the computing; the pipe wait ends at `start_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessChunkTimes {
    /// From the call (every chunk queued) until it was written to a process, ms.
    pub queue_ms: f64,
    /// Then in that process's pipe until the process was free to read it (0 when it was
    /// written to an idle process), ms.
    pub pipe_ms: f64,
    /// Pickling the arguments, the message to the process and unpickling them there, ms.
    pub send_ms: f64,
    /// Computing the items in the process, ms.
    pub compute_ms: f64,
    /// Pickling the results, the message back and unpickling them in the parent, ms.
    pub return_ms: f64,
}

/// The processes a process run used: how long each took to start, and whether this run
/// started it or reused it from an earlier run (a `with Pool()` block reused across maps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessStartup {
    /// Per process (lane): from `new Worker` until its module was instantiated and it said
    /// it was ready, ms (`None` if it was not ready when the run ended).
    pub startup_ms: Vec<Option<f64>>,
    /// Per process (lane): whether this run started it (`false`: reused, already running).
    pub started_by_run: Vec<bool>,
    /// Pool processes that died during the run, each replaced by a new one on its lane.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<ProcessReplacement>,
}

/// A pool process that died and the new one started in its place (`Pool._maintain_pool`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessReplacement {
    /// The lane of the dead process, and of its replacement.
    pub process: usize,
    /// When the process died and its replacement was asked for, ms since the run started.
    pub died_ms: f64,
    /// When the replacement was ready, ms since the run started (`None`: not by the end).
    pub ready_ms: Option<f64>,
}

/// A stretch of a lane during which its process was starting (drawn grey and hatched).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StartupSpan {
    /// The lane.
    pub process: usize,
    /// From when its process was asked for, ms since the run started.
    pub from_ms: f64,
    /// Until it was ready, ms since the run started.
    pub to_ms: f64,
}

impl ProcessStartup {
    /// Every process start this run paid for, as stretches of lanes: each process it started,
    /// from when it was asked for (`ready - start-up`, later than the call for processes whose
    /// start waited for earlier ones) until it was ready at `worker_started_ms[lane]`; and
    /// each replacement, from its predecessor's death until it was ready (or `end_ms`).
    pub fn spans(&self, worker_started_ms: &[f64], end_ms: f64) -> Vec<StartupSpan> {
        let started = self
            .started_by_run
            .iter()
            .enumerate()
            .filter_map(|(lane, &started)| {
                let to_ms = worker_started_ms.get(lane).copied().unwrap_or(0.0);
                let startup_ms = self
                    .startup_ms
                    .get(lane)
                    .copied()
                    .flatten()
                    .unwrap_or(to_ms);
                (started && to_ms > 0.0).then_some(StartupSpan {
                    process: lane,
                    from_ms: (to_ms - startup_ms).clamp(0.0, to_ms),
                    to_ms,
                })
            });
        let replaced = self.replacements.iter().map(|r| StartupSpan {
            process: r.process,
            from_ms: r.died_ms,
            to_ms: r.ready_ms.unwrap_or(end_ms).max(r.died_ms),
        });
        started.chain(replaced).collect()
    }
}

impl ChunkRecord {
    /// How long the chunk ran.
    pub fn duration_ms(&self) -> f64 {
        self.end_ms - self.start_ms
    }

    /// The chunk's own work, ms: its computing in its process, or, on threads, its time
    /// without the wait for the GIL.
    pub fn own_work_ms(&self) -> f64 {
        match self.process {
            Some(times) => times.compute_ms,
            None => (self.duration_ms() - self.transfer_ms - self.gil_wait_ms).max(0.0),
        }
    }

    /// How long its box on its lane lasts, ms: its duration, except on a process, whose box
    /// holds only the chunk's crossings and its computing (it ends where the process began
    /// its next chunk, [`crate::model::layout::lane_ends`]).
    pub fn box_ms(&self) -> f64 {
        match self.process {
            Some(times) => self.transfer_ms + times.compute_ms,
            None => self.duration_ms(),
        }
    }

    /// The share of its box on its lane spent crossing to and from its process (pickling and
    /// the messages), 0..=1.
    pub fn crossing_share(&self) -> f64 {
        let box_ms = self.box_ms();
        if box_ms > 0.0 {
            (self.transfer_ms / box_ms).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// The depth of a task queue at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DepthSample {
    /// When, ms since the run started.
    pub t_ms: f64,
    /// Tasks waiting in the queue the workers take from.
    pub queued: usize,
    /// Tasks submitted but not yet in that queue (ProcessPoolExecutor's pending work items).
    pub pending: usize,
}

/// Facts of a run that only the runtime knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFacts {
    /// Whether the page was cross-origin isolated.
    pub isolated: bool,
    /// Threads in the page's pool.
    pub pool_threads: usize,
    /// The run's start on the shared clock, ms since the epoch.
    pub started_at_ms: f64,
    /// From the call until the caller had every result, ms.
    pub wall_ms: f64,
}

/// What a strategy's run recorded, in the form every strategy has: handed to
/// [`Trace::new`](crate::model::trace::Trace::new).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// Number of workers used (`ThreadPoolExecutor`: its `max_workers`).
    pub workers: usize,
    /// How many threads started, where they start one per submit only while none is idle
    /// (`ThreadPoolExecutor`); `None` where every worker starts.
    pub threads_started: Option<usize>,
    /// The chunk size used.
    pub chunksize: usize,
    /// Number of input items (requests).
    pub items: usize,
    /// Every task as it ran, in input order.
    pub chunks: Vec<ChunkRecord>,
    /// When each worker began, ms.
    pub worker_started_ms: Vec<f64>,
    /// Task indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Task indices in the order their results reached the caller.
    pub delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub delivered_ms: Vec<f64>,
    /// The queue's depth after every hand-out (queue-based strategies).
    pub queue_depth: Vec<DepthSample>,
    /// Who held the GIL, slice by slice (GIL runs).
    pub gil_slices: Vec<GilSlice>,
    /// The exception the caller got instead of the results, if any.
    pub raised: Option<TaskError>,
    /// When the caller got it, ms (a task's own exception; `None` for the fetch strategies,
    /// whose `delivered_ms` says it).
    pub raised_at_ms: Option<f64>,
    /// Tasks cancelled before they started (`Executor.map`, once its caller got the
    /// exception), in input order.
    pub cancelled: Vec<usize>,
    /// Tasks left in the queue with no worker alive to take them (`queue.Queue` whose
    /// workers all raised): `q.join()` would wait forever.
    pub stranded: Vec<usize>,
    /// Tasks the caller never submitted: its loop of blocking calls ended at an exception
    /// (`Pool.apply`), in input order.
    pub unsubmitted: Vec<usize>,
    /// What differs in the browser from the runtime named.
    pub notes: Vec<String>,
    /// The result list in input order (0 where a task failed).
    pub results: Vec<u64>,
    /// Whether `results` may be listed (a stopped task run's partial list is not).
    pub results_listed: bool,
    /// Whether each place of `results` holds what it should.
    pub results_in_order: bool,
    /// Whether the run was stopped before it finished.
    pub stopped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_spans_run_from_when_each_process_was_asked_for_and_from_each_death() {
        let startup = ProcessStartup {
            // Lane 2 waited for lanes 0 and 1 to be ready before it was started; lane 3 was
            // reused; lane 1 died at 50 and its replacement was ready at 130.
            startup_ms: vec![Some(100.0), Some(110.0), Some(90.0), Some(80.0)],
            started_by_run: vec![true, true, true, false],
            replacements: vec![ProcessReplacement {
                process: 1,
                died_ms: 50.0,
                ready_ms: Some(130.0),
            }],
        };
        let spans = startup.spans(&[100.0, 110.0, 190.0, 0.0], 300.0);
        let spans: Vec<(usize, f64, f64)> = spans
            .iter()
            .map(|s| (s.process, s.from_ms, s.to_ms))
            .collect();
        assert_eq!(
            spans,
            [
                (0, 0.0, 100.0),
                (1, 0.0, 110.0),
                (2, 100.0, 190.0),
                (1, 50.0, 130.0)
            ]
        );
        let unfinished = ProcessStartup {
            startup_ms: vec![None],
            started_by_run: vec![true],
            replacements: vec![ProcessReplacement {
                process: 0,
                died_ms: 20.0,
                ready_ms: None,
            }],
        };
        let spans = unfinished.spans(&[5.0], 40.0);
        assert_eq!(
            (spans[0].from_ms, spans[0].to_ms, spans[1].to_ms),
            (0.0, 5.0, 40.0),
            "not ready by the end: drawn until the run ended"
        );
    }
}
