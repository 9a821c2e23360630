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
    /// Of that span, the time spent pickling arguments and results to bytes and back (process
    /// strategies only), ms.
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
/// waited in the parent's queue, crossed over (pickling and the message, both ways) and
/// computed. `start_ms..end_ms` spans the crossing and the computing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProcessChunkTimes {
    /// From the call (every chunk queued) until a process was free to take it, ms.
    pub queue_ms: f64,
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
}

impl ChunkRecord {
    /// How long the chunk ran.
    pub fn duration_ms(&self) -> f64 {
        self.end_ms - self.start_ms
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
    /// Number of workers used.
    pub workers: usize,
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
