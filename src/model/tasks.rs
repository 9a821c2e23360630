//! How every task-running strategy hands out work and gathers results, in one place. Each
//! strategy's rules become a [`Plan`] ([`plan`]), and one [`TaskRun`], shared by the worker
//! threads, carries it out for real: the queue the workers take from, the pickling of process
//! strategies, the GIL of thread strategies, and the result handler that releases results to
//! the caller as CPython's result objects do. (rayon's work stealing is rayon's own, in the
//! runtime; the fetch strategies are in `gather`.)

use crate::model::config::RunConfig;
use crate::model::gil::{self, Gil};
use crate::model::pickle;
use crate::model::pool_map::{split, Chunk};
use crate::model::run_control::RunControl;
use crate::model::strategy::{Chunking, Strategy};
use crate::model::trace::{
    checksum, BaselineSource, ChunkRecord, DepthSample, Derived, GilSlice, Trace,
    MAX_LISTED_RESULTS,
};
use crate::model::words::group_digits;
use crate::model::words::{count, ms};
use crate::model::workload::WorkloadKind;
use crate::model::workload::{item_value, Io, Workload};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Which worker takes which task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOut {
    /// One shared FIFO queue: whichever worker is idle takes the next task. With a
    /// `call_queue` bound, tasks wait as pending work items and move into a call queue of at
    /// most that many (`ProcessPoolExecutor`: `max_workers + 1`).
    Fifo {
        /// Bound of the call queue the workers take from, if any.
        call_queue: Option<usize>,
    },
    /// Worker `w` runs task `w` and nothing else (a thread per task; a static split).
    OwnTask,
}

/// When results reach the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The whole list at once, when every task is back (`MapResult`, `q.join()`, collect).
    AllAtEnd,
    /// Each result as soon as it and every earlier one are back (`IMapIterator`, futures
    /// awaited in order, threads joined in order).
    InOrder,
    /// Each result as it arrives (`IMapUnorderedIterator`).
    AsCompleted,
}

/// A strategy's rules for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tasks, in input order.
    pub chunks: Vec<Chunk>,
    /// How many workers (threads or processes) run them.
    pub workers: usize,
    /// Which worker takes which task.
    pub hand_out: HandOut,
    /// When results reach the caller.
    pub delivery: Delivery,
    /// Whether arguments and results are pickled across a process boundary.
    pub pickled: bool,
    /// Whether the arguments are `(x, 2)` tuples (`starmap(pow, …)`).
    pub pairs: bool,
    /// Whether a GIL is held while tasks compute.
    pub gil: bool,
}

/// The rules of `config.strategy` for this run. The CPython source each follows is named.
pub fn plan(config: &RunConfig) -> Plan {
    Plan {
        workers: plan_workers(config),
        chunks: split(config.items, config.resolved_chunksize()),
        hand_out: hand_out(config),
        delivery: plan_delivery(config.strategy),
        pickled: config.strategy.pickles(),
        pairs: config.strategy == Strategy::PoolStarmap,
        gil: config.strategy.is_threaded() && config.gil,
    }
}

/// How many workers a run of `config` uses, without cutting its tasks: every worker of a
/// shared queue; one per task, at most `workers`, where each has its own task.
pub fn plan_workers(config: &RunConfig) -> usize {
    match hand_out(config) {
        HandOut::OwnTask => {
            let tasks = config.items.div_ceil(config.resolved_chunksize().max(1));
            tasks.min(config.workers).max(1)
        }
        HandOut::Fifo { .. } => config.workers,
    }
}

/// Which worker takes which task, by the strategy's CPython source.
fn hand_out(config: &RunConfig) -> HandOut {
    use Strategy::*;
    let fifo = HandOut::Fifo { call_queue: None };
    match config.strategy {
        // pool.py: all chunks go in order into one task queue (delivery in plan_delivery).
        PoolMap | PoolMapAsync | PoolStarmap | PoolImap | PoolImapUnordered | PoolApplyAsync => {
            fifo
        }
        // process.py: _process_worker takes call items from a call queue of max_workers + 1
        // (EXTRA_QUEUED_CALLS = 1).
        ProcessPoolMap => HandOut::Fifo {
            call_queue: Some(config.workers + 1),
        },
        // thread.py: one work item per input in one unbounded queue.
        ThreadPoolMap | QueueQueue | AsyncioGather | Sequential => fifo,
        // One thread per task; one contiguous block per worker.
        ThreadingThread | Static | RayonParIter => HandOut::OwnTask,
    }
}

/// The queue the workers take tasks from.
#[derive(Debug)]
struct TaskQueue {
    pending: VecDeque<Chunk>,
    ready: VecDeque<Chunk>,
    call_queue: Option<usize>,
    own: Vec<Option<Chunk>>,
}

impl TaskQueue {
    fn new(plan: &Plan) -> Self {
        let mut queue = Self {
            pending: plan.chunks.iter().copied().collect(),
            ready: VecDeque::new(),
            call_queue: None,
            own: Vec::new(),
        };
        match plan.hand_out {
            HandOut::Fifo { call_queue } => {
                queue.call_queue = call_queue;
                queue.refill();
            }
            HandOut::OwnTask => queue.own = queue.pending.drain(..).map(Some).collect(),
        }
        queue
    }

    /// Moves pending tasks into the call queue while it has room.
    fn refill(&mut self) {
        let room = self.call_queue.unwrap_or(usize::MAX);
        while self.ready.len() < room {
            match self.pending.pop_front() {
                Some(chunk) => self.ready.push_back(chunk),
                None => break,
            }
        }
    }

    fn take(&mut self, worker: usize) -> Option<Chunk> {
        if !self.own.is_empty() {
            return self.own.get_mut(worker).and_then(Option::take);
        }
        let chunk = self.ready.pop_front();
        self.refill();
        chunk
    }

    fn depth(&self, t_ms: f64) -> DepthSample {
        DepthSample {
            t_ms,
            queued: self.ready.len() + self.own.iter().flatten().count(),
            pending: self.pending.len(),
        }
    }
}

/// The result handler: places results by position and releases them to the caller by the
/// plan's [`Delivery`].
#[derive(Debug)]
pub struct ResultHandler {
    delivery: Delivery,
    slots: Vec<Option<u64>>,
    arrived: Vec<usize>,
    back: Vec<bool>,
    next_in_order: usize,
    delivered: Vec<usize>,
    delivered_ms: Vec<f64>,
}

impl ResultHandler {
    /// A handler for `items` results in `chunks` tasks.
    pub fn new(delivery: Delivery, items: usize, chunks: usize) -> Self {
        Self {
            delivery,
            slots: vec![None; items],
            arrived: Vec::with_capacity(chunks),
            back: vec![false; chunks],
            next_in_order: 0,
            delivered: Vec::with_capacity(chunks),
            delivered_ms: Vec::with_capacity(chunks),
        }
    }

    /// Task `chunk`'s results arrived at `at_ms`.
    pub fn arrive(&mut self, chunk: Chunk, results: Vec<u64>, at_ms: f64) {
        for (slot, result) in self.slots[chunk.items()].iter_mut().zip(results) {
            *slot = Some(result);
        }
        self.arrived.push(chunk.index);
        self.back[chunk.index] = true;
        match self.delivery {
            Delivery::AsCompleted => self.deliver(chunk.index, at_ms),
            Delivery::InOrder => {
                while self.back.get(self.next_in_order) == Some(&true) {
                    self.deliver(self.next_in_order, at_ms);
                    self.next_in_order += 1;
                }
            }
            Delivery::AllAtEnd => {
                if self.arrived.len() == self.back.len() {
                    (0..self.back.len()).for_each(|i| self.deliver(i, at_ms));
                }
            }
        }
    }

    /// Task indices in the order their results reached the caller.
    pub fn delivered(&self) -> &[usize] {
        &self.delivered
    }

    fn deliver(&mut self, index: usize, at_ms: f64) {
        self.delivered.push(index);
        self.delivered_ms.push(at_ms);
    }
}

/// What the workers hand back once the last task is done.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutcome {
    /// Every task as it ran, in input order.
    pub records: Vec<ChunkRecord>,
    /// Task indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Task indices in the order their results reached the caller, and when.
    pub delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub delivered_ms: Vec<f64>,
    /// The result list in input order (`None` if a task never came back).
    pub results: Option<Vec<u64>>,
    /// When each worker began, ms.
    pub worker_started_ms: Vec<f64>,
    /// The queue's depth after every hand-out (FIFO strategies).
    pub queue_depth: Vec<DepthSample>,
    /// Whether the run was stopped before every task was done.
    pub stopped: bool,
    /// Who held the GIL, slice by slice (GIL runs).
    pub gil_slices: Vec<GilSlice>,
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

impl TaskOutcome {
    /// The trace of this outcome, for `config`.
    pub fn into_trace(self, config: &RunConfig, facts: RunFacts) -> Result<Trace, String> {
        if self.results.is_none() && !self.stopped {
            return Err("some tasks never came back from the workers".to_owned());
        }
        let stopped = self.stopped;
        let results = self.results.unwrap_or_default();
        // Each place holds its own item's result, or 0 where its task failed (a request).
        let mut failed = vec![false; results.len()];
        for record in self.records.iter().filter(|r| r.error.is_some()) {
            let items = record.first_item..record.first_item + record.len;
            failed
                .get_mut(items)
                .into_iter()
                .flatten()
                .for_each(|f| *f = true);
        }
        let results_in_order = !stopped
            && results.len() == config.items
            && results.iter().enumerate().all(|(position, &r)| {
                r == if failed[position] {
                    0
                } else {
                    config.workload.expected_result(position)
                }
            });
        Ok(Trace {
            strategy: config.strategy.name().to_owned(),
            workers: self.worker_started_ms.len(),
            chunksize: config.resolved_chunksize(),
            items: config.items,
            cost: config.workload.cost,
            workload: config.workload.kind.name().to_owned(),
            shape: config.workload.shape.name().to_owned(),
            seed: config.workload.seed,
            gil: config.strategy.is_threaded() && config.gil,
            query: config.to_query(),
            isolated: facts.isolated,
            pool_threads: facts.pool_threads,
            started_at_ms: facts.started_at_ms,
            wall_ms: facts.wall_ms,
            chunks: self.records,
            worker_started_ms: self.worker_started_ms,
            arrived: self.arrived,
            delivered: self.delivered,
            delivered_ms: self.delivered_ms,
            queue_depth: self.queue_depth,
            gil_slices: self.gil_slices,
            raised: None,
            notes: notes(config),
            results_in_order,
            checksum: checksum(&results),
            results: (!stopped && results.len() <= MAX_LISTED_RESULTS).then_some(results),
            baseline_wall_ms: None,
            baseline: None,
            stopped,
            derived: Derived::default(),
        })
    }
}

/// What differs in the browser from the runtime the strategy names, said plainly.
pub fn notes(config: &RunConfig) -> Vec<String> {
    use Strategy::*;
    let mut notes = Vec::new();
    if config.strategy.pickles() {
        notes.push("Workers are Web Workers (threads sharing one wasm memory), not processes. As in a process pool, each task's arguments are really pickled to bytes (protocol 4) and unpickled in the worker, and its results pickled back; that time is the darker part of each box. No pipe is crossed, so a real pool's per-message cost is higher.".to_owned());
    }
    if config.strategy.is_threaded() {
        notes.push(if config.gil {
            "GIL on: a real global lock is held while a task computes and handed to a waiting thread every 5 ms (CPython's switch interval); it is released while a task waits.".to_owned()
        } else {
            "GIL off, as in free-threaded Python (3.13t): threads compute in parallel.".to_owned()
        });
    }
    match config.strategy {
        ThreadingThread => notes.push("A browser cannot start an OS thread per task: each task runs on its own resident Web Worker, woken by a message. The start cost shown (thread start) is that hand-off, smaller than starting an OS thread.".to_owned()),
        ThreadPoolMap => notes.push("CPython starts the executor's threads lazily, one per submit while fewer than max_workers exist (default min(32, os.cpu_count() + 4)); here the max_workers threads are resident Web Workers woken as the run starts.".to_owned()),
        RayonParIter => notes.push("rayon's own pool of exactly this many threads, built for the run on resident Web Workers: it splits the range in halves recursively and idle threads steal halves. Each box is one of the pieces rayon ran sequentially on a thread after splitting.".to_owned()),
        _ => {}
    }
    match config.workload.kind {
        WorkloadKind::Io => notes.push("I/O is a timer wait: the thread blocks (Atomics.wait) without using the CPU, as a thread waiting on a socket does.".to_owned()),
        WorkloadKind::Fetch => {
            notes.push("Each thread blocks until its request is back, as requests.get blocks a Python thread; the request itself is the browser's fetch(), made for the thread by the page (a Web Worker that blocks cannot run one of its own), as a socket read is done by the OS. With the GIL on, the lock is released while the request is in flight.".to_owned());
            if config.workload.cost > 0 {
                notes.push(format!("Added latency: each request then waits {} µs on a timer (the cost), as asyncio.gather's latency_ms; it is not network time. Served from this machine a request has no network wait, only CPU shared with the threads: without latency there is nothing for threads to overlap.", group_digits(u64::from(config.workload.cost))));
            }
        }
        WorkloadKind::Cpu => {}
    }
    notes
}

/// What the run's items are called: `requests` for the fetch workload, else `items`.
fn items_noun(trace: &Trace) -> &'static str {
    if trace.workload == WorkloadKind::Fetch.name() {
        "requests"
    } else {
        "items"
    }
}

/// The heading of a finished run: what ran, on how many workers, cut into what.
pub fn run_heading(trace: &Trace) -> String {
    let heading = plain_heading(trace);
    if trace.stopped {
        format!("{heading} (stopped)")
    } else {
        heading
    }
}

fn plain_heading(trace: &Trace) -> String {
    let name = trace.strategy.as_str();
    let noun = if items_noun(trace) == "requests" {
        "request"
    } else {
        "item"
    };
    let items = count(trace.items, noun);
    let workers = count(trace.workers, "worker");
    let Ok(strategy) = Strategy::parse(name) else {
        return name.to_owned();
    };
    // A stopped run recorded only the tasks that started; the chunks were all cut.
    let n = match strategy.chunking() {
        Chunking::DefaultRule | Chunking::DefaultOne if trace.stopped => {
            trace.items.div_ceil(trace.chunksize.max(1))
        }
        _ => trace.chunks.len(),
    };
    match strategy.chunking() {
        _ if strategy.is_fetch() => format!(
            "{name}: {} on one event loop",
            count(trace.items, "request")
        ),
        Chunking::DefaultRule | Chunking::DefaultOne => format!(
            "{name} on {workers}: {items} in {} of {}",
            count(n, "chunk"),
            group_digits(trace.chunksize as u64)
        ),
        Chunking::Adaptive if strategy == Strategy::RayonParIter => {
            format!("{name} on {workers}: {items} in {}", count(n, "piece"))
        }
        Chunking::Adaptive => format!("{name} on {workers}: {items} in {}", count(n, "block")),
        Chunking::PerItem if strategy == Strategy::ThreadingThread => {
            format!("{name}: {items}, one thread each")
        }
        Chunking::PerItem => format!("{name} on {workers}: {items}, one task each"),
    }
}

/// What the page says of a stopped run: how far it got.
pub fn stopped_summary(trace: &Trace) -> Option<String> {
    if !trace.stopped {
        return None;
    }
    let tasks = trace.chunks.len();
    let finished = trace.chunks.iter().filter(|c| !c.stopped).count();
    let items_finished: usize = trace
        .chunks
        .iter()
        .filter(|c| !c.stopped)
        .map(|c| c.len)
        .sum();
    Some(format!(
        "Stopped after {}: {finished} of {} finished ({} of {}); the caller got no result list.",
        ms(trace.wall_ms, 1),
        count(tasks, "started task"),
        group_digits(items_finished as u64),
        count(trace.items, "item")
    ))
}

/// The speed-up figure: over which 1-worker run, and where its time came from.
pub fn speedup_summary(trace: &Trace) -> String {
    let speedup = trace.speedup();
    match (speedup, trace.baseline_wall_ms, trace.baseline) {
        (Some(_), Some(_), Some(BaselineSource::ThisRun)) => {
            "1.00×: this run is the sequential run on 1 worker".to_owned()
        }
        (Some(s), Some(base), Some(source)) => {
            let when = match source {
                BaselineSource::Stored => "measured earlier on this page for the same workload",
                _ => "measured right after this run",
            };
            format!(
                "{s:.2}× over the sequential run on 1 worker ({}, {when})",
                ms(base, 1)
            )
        }
        _ if trace.stopped => "not measured: the run was stopped".to_owned(),
        _ if trace.workload == WorkloadKind::Fetch.name()
            && trace.chunks.iter().any(|c| c.error.is_some()) =>
        {
            "not measured: a request failed, and timing the requests again on 1 worker would re-send it".to_owned()
        }
        _ => "not measured (the 1-worker run was skipped)".to_owned(),
    }
}

/// The split strip's caption for a finished run: how this strategy cut its input.
pub fn split_caption(trace: &Trace) -> String {
    let n = trace.chunks.len();
    let size = group_digits(trace.chunksize as u64);
    let noun = if items_noun(trace) == "requests" {
        "request"
    } else {
        "item"
    };
    let items = count(trace.items, noun);
    match Strategy::parse(&trace.strategy) {
        Ok(Strategy::ProcessPoolMap) => format!("{items} cut into {} of {size}, all submitted at once; a call queue of max_workers + 1 = {} feeds the workers", count(n, "batch"), trace.workers + 1),
        Ok(s) if s.pickles() && s != Strategy::PoolApplyAsync => format!("{items} cut into {} of {size} consecutive items, put in this order into one shared FIFO queue", count(n, "chunk")),
        Ok(Strategy::ThreadingThread) => format!("{items}, one thread each, started in this order"),
        Ok(Strategy::Static) => format!("{items} in {} of {size}, block w for worker w", count(n, "contiguous block")),
        Ok(Strategy::RayonParIter) => format!("{items} as rayon split them: each cell is a piece one worker (thread) ran sequentially ({})", count(n, "piece")),
        _ => format!("{items}, one task each, put in this order into one shared FIFO queue"),
    }
}

/// The number the split shows for the item at `position`: its value (`1..=n`), or for the
/// fetch workload its request's index, as the lanes and the errors number requests.
pub fn item_number(trace: &Trace, position: usize) -> u64 {
    if trace.workload == WorkloadKind::Fetch.name() {
        position as u64
    } else {
        item_value(position)
    }
}

/// The check of the gathered list shown after it: whether each place holds what it should.
pub fn results_check(trace: &Trace) -> &'static str {
    if trace.stopped {
        return "";
    }
    let as_completed =
        Strategy::parse(&trace.strategy).map(plan_delivery) == Ok(Delivery::AsCompleted);
    match (
        trace.workload == WorkloadKind::Fetch.name(),
        trace.results_in_order,
    ) {
        (false, true) if as_completed => {
            " ✓ every item's result, as a sequential map gives them, received in completion order"
        }
        (true, true) => {
            " ✓ each request's bytes in its place (0 where it failed), as the shipped files' sizes"
        }
        (true, false) => " ✗ differs from the shipped files' sizes",
        (false, true) => " ✓ equals a sequential map, item by item",
        (false, false) => " ✗ differs from a sequential map",
    }
}

/// The lanes' caption for a finished run: what a box is.
pub fn lanes_caption(trace: &Trace) -> String {
    let boxes = if trace.workload == WorkloadKind::Fetch.name() {
        "each box is a request, from the moment an idle thread took it to the moment its bytes were back (the thread blocked meanwhile); numbers are request indices"
    } else {
        "each box is a chunk, from the moment an idle worker took it from the queue to the moment it handed its results back; numbers are chunk indices"
    };
    let mut caption = boxes.to_owned();
    if trace.chunks.len() > 200 {
        caption.push_str("; a finely striped box stands for many chunks too short to draw apart");
    }
    if trace.chunks.iter().any(|c| c.transfer_ms > 0.0) {
        caption.push_str("; the dark band is the share spent pickling");
    }
    if trace.gil {
        let metrics = trace.metrics();
        let (waited, busy) = (metrics.gil_wait_ms, metrics.sum_task_ms);
        caption.push_str(&format!(
            "; a box is solid only where its thread held the GIL (one thread at a time, from the recorded hand-overs) and hatched while waiting for the GIL ({} of {}, {:.0}%)",
            ms(waited, 1),
            ms(busy, 1),
            if busy > 0.0 {
                waited / busy * 100.0
            } else {
                0.0
            }
        ));
    }
    caption
}

/// What the Result line lists: the results in the order the caller received them.
pub fn results_order_label(trace: &Trace) -> &'static str {
    match Strategy::parse(&trace.strategy).map(plan_delivery) {
        Ok(Delivery::AsCompleted) => "Result, in the order received (completion order): ",
        _ => "Result, in the order received (input order): ",
    }
}

/// The gather strip's caption for a finished run: when results reached the caller.
pub fn gather_caption(trace: &Trace) -> String {
    if trace.stopped {
        return format!(
            "the run was stopped: the results of {} reached the result handler (numbers: arrival order), and the caller got no list",
            count(trace.arrived.len(), "task")
        );
    }
    let waited = trace.waited_count();
    let n = trace.chunks.len();
    let end = trace.delivered_ms.iter().copied().fold(0.0, f64::max);
    let strategy = Strategy::parse(&trace.strategy);
    match strategy.map(plan_delivery) {
        Ok(Delivery::AsCompleted) => format!("results reach the caller in the order they complete (numbers: completion order); none waits for another, the last arrives at {}", ms(end, 1)),
        Ok(Delivery::InOrder) => format!("each result reaches the caller once it and every earlier one are back; {} of {} arrived early and waited for an earlier one (striped)", group_digits(waited as u64), group_digits(n as u64)),
        _ => format!("results land at their place in input order (numbers: arrival order); the caller gets the whole list at {}, once every task is back, so {} of {} waited (striped)", ms(end, 1), group_digits(waited as u64), group_digits(n as u64)),
    }
}

/// When a strategy's results reach the caller:
/// - pool.py `MapResult` (map, map_async, starmap) is ready only when every chunk is back;
///   `q.join()` and collecting a parallel iterator also give the whole list at the end;
/// - pool.py `IMapIterator._set` releases index i once 0..i are in; so do futures awaited in
///   order (`ProcessPoolExecutor.map`, `ThreadPoolExecutor.map`, `apply_async(...).get()`)
///   and threads joined in order;
/// - pool.py `IMapUnorderedIterator._set` releases each as it comes.
pub fn plan_delivery(strategy: Strategy) -> Delivery {
    use Strategy::*;
    match strategy {
        PoolImap | PoolApplyAsync | ProcessPoolMap | ThreadPoolMap | ThreadingThread => {
            Delivery::InOrder
        }
        PoolImapUnordered => Delivery::AsCompleted,
        _ => Delivery::AllAtEnd,
    }
}

struct Handled {
    handler: ResultHandler,
    last_arrival_ms: f64,
    records: Vec<ChunkRecord>,
    worker_started_ms: Vec<f64>,
}

/// One run shared by its worker threads. Each worker thread calls [`TaskRun::worker_loop`];
/// only worker threads take its locks (the page's thread must never block on them).
pub struct TaskRun {
    plan: Plan,
    workload: Workload,
    io: Option<Arc<Io>>,
    gil: Option<Gil>,
    queue: Mutex<(TaskQueue, Vec<DepthSample>)>,
    handled: Mutex<Handled>,
    workers_running: AtomicUsize,
    control: Arc<RunControl>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TaskRun {
    /// A run of `workload` by the rules of `plan`.
    pub fn new(plan: Plan, workload: Workload) -> Self {
        let queue = TaskQueue::new(&plan);
        let sample = queue.depth(0.0);
        let records_capacity = plan.chunks.len();
        Self {
            gil: plan.gil.then(Gil::default),
            handled: Mutex::new(Handled {
                handler: ResultHandler::new(plan.delivery, workload.items, plan.chunks.len()),
                last_arrival_ms: 0.0,
                records: Vec::with_capacity(records_capacity),
                worker_started_ms: vec![0.0; plan.workers],
            }),
            queue: Mutex::new((queue, vec![sample])),
            workers_running: AtomicUsize::new(plan.workers),
            plan,
            workload,
            io: None,
            control: Arc::default(),
        }
    }

    /// The same run, stopped and counted through `control` (shared with the page).
    pub fn with_control(self, control: Arc<RunControl>) -> Self {
        Self { control, ..self }
    }

    /// The same run, with the blocking request `fetch` tasks make (supplied by the runtime).
    pub fn with_io(self, io: Arc<Io>) -> Self {
        Self {
            io: Some(io),
            ..self
        }
    }

    /// The plan this run follows.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Runs the items at `positions` on `worker`: their results (0 where an item failed) and
    /// the first error, if one failed; `None` if the run was stopped before they were all done.
    fn run_items(
        &self,
        worker: usize,
        positions: impl Iterator<Item = usize>,
        now_ms: &dyn Fn() -> f64,
    ) -> Option<(Vec<u64>, Option<String>)> {
        let (gil, io, control) = (self.gil.as_ref(), self.io.as_deref(), &*self.control);
        let mut error = None;
        let mut results = Vec::new();
        for position in positions {
            if control.stop_requested() {
                return None;
            }
            let result = self
                .workload
                .run_item(position, gil, now_ms, io, control)
                .unwrap_or_else(|why| {
                    error.get_or_insert(why);
                    0
                });
            if control.stop_requested() {
                return None;
            }
            control.item_done(worker);
            results.push(result);
        }
        Some((results, error))
    }

    /// Runs one task whole: unpickles its arguments (process strategies), computes, pickles
    /// the results back. Returns the results (`None` if the run was stopped part-way), the
    /// time spent pickling, ms, and why the task failed, if it did.
    fn run_task(
        &self,
        worker: usize,
        chunk: Chunk,
        now_ms: &dyn Fn() -> f64,
    ) -> (Option<Vec<u64>>, f64, Option<String>) {
        if !self.plan.pickled {
            return match self.run_items(worker, chunk.items(), now_ms) {
                Some((results, error)) => (Some(results), 0.0, error),
                None => (None, 0.0, None),
            };
        }
        // The parent pickles the arguments; the worker unpickles them, computes, and pickles
        // its results; the result handler unpickles them.
        let t0 = now_ms();
        let positions: Vec<usize> = if self.plan.pairs {
            let args: Vec<(u64, u64)> = chunk.items().map(|p| (item_value(p), 2)).collect();
            let received = pickle::loads_pairs(&pickle::dumps_pairs(&args)).unwrap_or_default();
            received.iter().map(|&(x, _)| (x - 1) as usize).collect()
        } else {
            let args: Vec<u64> = chunk.items().map(item_value).collect();
            let received = pickle::loads_ints(&pickle::dumps_ints(&args)).unwrap_or_default();
            received.iter().map(|&x| (x - 1) as usize).collect()
        };
        let t1 = now_ms();
        let Some((results, error)) = self.run_items(worker, positions.into_iter(), now_ms) else {
            return (None, t1 - t0, None);
        };
        let t2 = now_ms();
        let results = pickle::loads_ints(&pickle::dumps_ints(&results)).unwrap_or_default();
        let t3 = now_ms();
        (Some(results), (t1 - t0) + (t3 - t2), error)
    }

    /// One worker: while there is a task for it, take it, run it whole and hand its results
    /// to the result handler. `now_ms` reads the run's shared clock; `thread` names the real
    /// thread. The worker that finishes last returns the run's outcome. Once Stop is asked for,
    /// a worker takes no new task and leaves the one it runs part-way.
    pub fn worker_loop(
        &self,
        worker: usize,
        thread: usize,
        now_ms: &dyn Fn() -> f64,
    ) -> Option<TaskOutcome> {
        let began = now_ms();
        gil::set_holder(worker);
        if let Some(slot) = lock(&self.handled).worker_started_ms.get_mut(worker) {
            *slot = began;
        }
        loop {
            // The time is read while the queue is held, so take times follow queue order.
            // Each Web Worker's clock may sit a few µs off another's; a take is never dated
            // before the take it followed (the lock orders them).
            if self.control.stop_requested() {
                break;
            }
            let (next, start_ms) = {
                let mut guard = lock(&self.queue);
                let (queue, samples) = &mut *guard;
                let next = queue.take(worker);
                let now = now_ms().max(samples.last().map_or(0.0, |s| s.t_ms));
                if next.is_some() && queue.own.is_empty() {
                    samples.push(queue.depth(now));
                }
                (next, now)
            };
            let Some(chunk) = next else { break };
            gil::take_waited_ms();
            let (results, transfer_ms, error) = self.run_task(worker, chunk, now_ms);
            let gil_wait_ms = gil::take_waited_ms();
            let mut handled = lock(&self.handled);
            // Likewise an arrival is never dated before the one the handler took before it.
            let end_ms = now_ms().max(handled.last_arrival_ms).max(start_ms);
            handled.last_arrival_ms = end_ms;
            let stopped = results.is_none();
            if let Some(results) = results {
                handled.handler.arrive(chunk, results, end_ms);
            }
            handled.records.push(ChunkRecord {
                index: chunk.index,
                first_item: chunk.first_item,
                len: chunk.len,
                worker,
                thread,
                start_ms,
                end_ms,
                transfer_ms,
                gil_wait_ms,
                error,
                stopped,
            });
        }
        if self.workers_running.fetch_sub(1, Ordering::AcqRel) != 1 {
            return None;
        }
        let handled = std::mem::replace(
            &mut *lock(&self.handled),
            Handled {
                handler: ResultHandler::new(Delivery::AllAtEnd, 0, 0),
                last_arrival_ms: 0.0,
                records: Vec::new(),
                worker_started_ms: Vec::new(),
            },
        );
        let queue_depth = std::mem::take(&mut lock(&self.queue).1);
        let Handled {
            handler,
            mut records,
            worker_started_ms,
            ..
        } = handled;
        records.sort_by_key(|r| r.index);
        let complete = handler.arrived.len() == self.plan.chunks.len();
        Some(TaskOutcome {
            records,
            results: complete
                .then(|| handler.slots.into_iter().collect())
                .flatten(),
            arrived: handler.arrived,
            delivered: handler.delivered,
            delivered_ms: handler.delivered_ms,
            worker_started_ms,
            queue_depth: if matches!(self.plan.hand_out, HandOut::Fifo { .. }) {
                queue_depth
            } else {
                Vec::new()
            },
            stopped: !complete && self.control.stop_requested(),
            gil_slices: self.gil.as_ref().map(Gil::take_slices).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;

    fn plan_of(query: &str) -> Plan {
        plan(&Inputs::from_query(query).validate().unwrap())
    }

    fn handler_run(delivery: Delivery, arrivals: &[(usize, f64)]) -> (Vec<usize>, Vec<f64>) {
        let chunks = split(arrivals.len(), 1);
        let mut handler = ResultHandler::new(delivery, arrivals.len(), arrivals.len());
        for &(index, at) in arrivals {
            handler.arrive(chunks[index], vec![0], at);
        }
        (handler.delivered, handler.delivered_ms)
    }

    #[test]
    fn imap_releases_a_result_once_every_earlier_one_is_in() {
        let (order, at) = handler_run(Delivery::InOrder, &[(1, 1.0), (2, 2.0), (0, 5.0), (3, 6.0)]);
        assert_eq!(order, [0, 1, 2, 3]);
        assert_eq!(at, [5.0, 5.0, 5.0, 6.0]);
    }

    #[test]
    fn imap_unordered_releases_in_completion_order() {
        let (order, at) = handler_run(Delivery::AsCompleted, &[(1, 1.0), (2, 2.0), (0, 5.0)]);
        assert_eq!((order, at), (vec![1, 2, 0], vec![1.0, 2.0, 5.0]));
    }

    #[test]
    fn map_releases_the_whole_list_when_the_last_chunk_is_back() {
        let (order, at) = handler_run(Delivery::AllAtEnd, &[(2, 1.0), (0, 2.0), (1, 7.0)]);
        assert_eq!((order, at), (vec![0, 1, 2], vec![7.0; 3]));
    }

    #[test]
    fn each_strategy_follows_its_cpython_rules() {
        let map = plan_of("strategy=Pool.map&workers=4&items=100");
        assert_eq!(
            (map.chunks.len(), map.delivery, map.pickled),
            (15, Delivery::AllAtEnd, true)
        );
        let imap = plan_of("strategy=Pool.imap&workers=4&items=100");
        assert_eq!((imap.chunks.len(), imap.delivery), (100, Delivery::InOrder));
        let unordered = plan_of("strategy=Pool.imap_unordered&workers=4&items=100&chunksize=10");
        assert_eq!(
            (unordered.chunks.len(), unordered.delivery),
            (10, Delivery::AsCompleted)
        );
        let star = plan_of("strategy=Pool.starmap&workers=4&items=100");
        assert!(star.pairs && star.chunks.len() == 15);
        let apply = plan_of("strategy=Pool.apply_async&workers=4&items=10");
        assert_eq!(
            (apply.chunks.len(), apply.delivery),
            (10, Delivery::InOrder)
        );
        let ppe = plan_of("strategy=ProcessPoolExecutor.map&workers=3&items=10");
        assert_eq!(
            ppe.hand_out,
            HandOut::Fifo {
                call_queue: Some(4)
            }
        );
        assert_eq!(ppe.chunks.len(), 10);
        let tpe = plan_of("strategy=ThreadPoolExecutor.map&workers=3&items=10");
        assert_eq!((tpe.chunks.len(), tpe.pickled, tpe.gil), (10, false, true));
        let threads = plan_of("strategy=threading.Thread&items=5&gil=false");
        assert_eq!(
            (threads.workers, threads.hand_out, threads.gil),
            (5, HandOut::OwnTask, false)
        );
        let queue = plan_of("strategy=queue.Queue&workers=2&items=7");
        assert_eq!(
            (queue.chunks.len(), queue.delivery),
            (7, Delivery::AllAtEnd)
        );
        let blocks = plan_of("strategy=static&workers=3&items=10");
        assert_eq!(
            blocks.chunks.iter().map(|c| c.len).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        assert_eq!(blocks.hand_out, HandOut::OwnTask);
    }

    #[test]
    fn the_worker_count_is_known_without_cutting_the_tasks() {
        let mut checked = 0;
        for strategy in Strategy::ALL {
            for (items, workers, chunksize) in [
                (0, 3, None),
                (1, 4, None),
                (5, 8, Some(2)),
                (100, 3, None),
                (16, 16, Some(1)),
            ] {
                let mut inputs = Inputs::default()
                    .with_strategy(strategy.name())
                    .with(crate::model::field::Field::Items, items.to_string())
                    .with(crate::model::field::Field::Workers, workers.to_string());
                if let Some(size) = chunksize {
                    inputs = inputs.with(crate::model::field::Field::Chunksize, size.to_string());
                }
                let Ok(config) = inputs.validate() else {
                    continue;
                };
                assert_eq!(
                    plan_workers(&config),
                    plan(&config).workers,
                    "{}",
                    config.to_query()
                );
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} configs were valid");
    }

    #[test]
    fn headings_name_what_the_run_was_cut_into() {
        let mut trace =
            crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.0, 1.0)], &[0, 1]);
        trace.items = 14;
        trace.chunksize = 7;
        assert_eq!(
            run_heading(&trace),
            "Pool.map on 2 workers: 14 items in 2 chunks of 7"
        );
        trace.strategy = "rayon.par_iter".into();
        assert_eq!(
            run_heading(&trace),
            "rayon.par_iter on 2 workers: 14 items in 2 pieces",
            "rayon's threads are the run's workers, named as in every other strategy"
        );
        trace.strategy = "queue.Queue".into();
        assert_eq!(
            run_heading(&trace),
            "queue.Queue on 2 workers: 14 items, one task each"
        );
        trace.strategy = "asyncio.gather".into();
        assert_eq!(
            run_heading(&trace),
            "asyncio.gather: 14 requests on one event loop"
        );
        // One of anything is singular; thousands are grouped.
        let mut one = crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 1.0)], &[0]);
        (one.workers, one.items, one.chunksize) = (1, 1, 1);
        assert_eq!(
            run_heading(&one),
            "Pool.map on 1 worker: 1 item in 1 chunk of 1"
        );
        one.strategy = "ProcessPoolExecutor.map".into();
        assert!(split_caption(&one).starts_with("1 item cut into 1 batch of 1"));
        one.items = 12_000;
        one.strategy = "queue.Queue".into();
        assert_eq!(
            run_heading(&one),
            "queue.Queue on 1 worker: 12,000 items, one task each"
        );
    }

    /// Runs `config` on its plan's workers, each a real thread, with `io` for fetch tasks.
    fn run_with_io(config: &RunConfig, io: Arc<Io>) -> TaskOutcome {
        let run = TaskRun::new(plan(config), config.workload).with_io(io);
        let clock = std::time::Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let outcomes: Vec<TaskOutcome> = std::thread::scope(|scope| {
            let run = &run;
            let handles: Vec<_> = (0..run.plan().workers)
                .map(|worker| scope.spawn(move || run.worker_loop(worker, worker, &now)))
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(outcomes.len(), 1, "exactly one worker finishes the run");
        outcomes.into_iter().next().unwrap()
    }

    const FACTS: RunFacts = RunFacts {
        isolated: true,
        pool_threads: 4,
        started_at_ms: 0.0,
        wall_ms: 1.0,
    };

    #[test]
    fn fetch_tasks_overlap_their_requests_and_a_failed_one_loses_nothing_else() {
        let config =
            Inputs::from_query("strategy=ThreadPoolExecutor.map&workers=4&items=8&workload=fetch")
                .validate()
                .unwrap();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let io: Arc<Io> = {
            let (in_flight, peak) = (Arc::clone(&in_flight), Arc::clone(&peak));
            Arc::new(move |position| {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(30));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                if position == 5 {
                    Err("HTTP 404 Not Found".to_owned())
                } else {
                    Ok(crate::model::files::SHIPPED_FILES[position % 4].bytes)
                }
            })
        };
        let outcome = run_with_io(&config, io);
        assert!(
            peak.load(Ordering::SeqCst) >= 2,
            "with the GIL on, requests still overlap: the GIL is not held while one is in flight"
        );
        let errors: Vec<Option<&str>> =
            outcome.records.iter().map(|r| r.error.as_deref()).collect();
        let mut expected = vec![None; 8];
        expected[5] = Some("HTTP 404 Not Found");
        assert_eq!(errors, expected);
        let trace = outcome.into_trace(&config, FACTS).unwrap();
        assert_eq!(
            trace.results.as_deref(),
            Some(&[1024, 16_384, 65_536, 262_144, 1024, 0, 65_536, 262_144][..])
        );
        assert!(
            trace.results_in_order,
            "each place holds its own request's bytes, 0 where it failed"
        );
        assert_eq!(trace.workload, "fetch");
        assert!(trace
            .notes
            .iter()
            .any(|n| n.starts_with("Each thread blocks until its request is back")));
        assert_eq!(
            run_heading(&trace),
            "ThreadPoolExecutor.map on 4 workers: 8 requests, one task each"
        );
        assert!(split_caption(&trace).starts_with("8 requests, one task each"));
        assert!(lanes_caption(&trace).starts_with("each box is a request"));
        assert!(results_check(&trace).contains("each request's bytes in its place"));
        assert_eq!((item_number(&trace, 0), item_number(&trace, 7)), (0, 7));
    }

    #[test]
    fn fetch_results_are_checked_against_the_shipped_file_sizes() {
        let config = Inputs::from_query("strategy=queue.Queue&workers=2&items=4&workload=fetch")
            .validate()
            .unwrap();
        let squares: Arc<Io> = Arc::new(|position| Ok(((position + 1) * (position + 1)) as u64));
        let wrong = run_with_io(&config, squares)
            .into_trace(&config, FACTS)
            .unwrap();
        assert!(
            !wrong.results_in_order,
            "x * x is not what a request receives"
        );
        let sizes: Arc<Io> =
            Arc::new(|position| Ok(crate::model::files::SHIPPED_FILES[position].bytes));
        let right = run_with_io(&config, sizes)
            .into_trace(&config, FACTS)
            .unwrap();
        assert!(right.results_in_order);
        let cpu = Inputs::from_query("strategy=queue.Queue&workers=2&items=4&cost=10")
            .validate()
            .unwrap();
        let unused: Arc<Io> = Arc::new(|_| Err("never called".to_owned()));
        let squared = run_with_io(&cpu, unused).into_trace(&cpu, FACTS).unwrap();
        assert!(squared.results_in_order && squared.chunks.iter().all(|c| c.error.is_none()));
        assert_eq!(squared.results.as_deref(), Some(&[1, 4, 9, 16][..]));
    }

    #[test]
    fn a_stopped_run_ends_at_once_and_keeps_what_ran() {
        // 40 long items on 2 workers: seconds if it were not stopped.
        let config =
            Inputs::from_query("strategy=Pool.map&workers=2&items=40&chunksize=2&cost=1000000")
                .validate()
                .unwrap();
        let control = Arc::new(RunControl::default());
        let run = TaskRun::new(plan(&config), config.workload).with_control(Arc::clone(&control));
        let clock = std::time::Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let outcome = std::thread::scope(|scope| {
            let run = &run;
            let workers: Vec<_> = (0..2)
                .map(|worker| scope.spawn(move || run.worker_loop(worker, worker, &now)))
                .collect();
            while control.items_done() < 2 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            control.request_stop();
            let stopped_at = clock.elapsed();
            let outcome = workers.into_iter().find_map(|w| w.join().unwrap()).unwrap();
            assert!(
                clock.elapsed() - stopped_at < std::time::Duration::from_millis(200),
                "the workers left within 200 ms of Stop"
            );
            outcome
        });
        assert!(outcome.stopped && outcome.results.is_none());
        assert!(control.items_done() < 40, "stopped before the end");
        let cut_short = outcome.records.iter().filter(|r| r.stopped).count();
        assert!(
            (1..=2).contains(&cut_short),
            "each busy worker's task was cut short"
        );
        assert_eq!(
            outcome.arrived.len(),
            outcome.records.len() - cut_short,
            "a task cut short never reaches the result handler"
        );
        let trace = outcome.into_trace(&config, FACTS).unwrap();
        assert!(trace.stopped && trace.results.is_none() && !trace.results_in_order);
    }

    #[test]
    fn the_speed_up_says_where_its_baseline_came_from() {
        let mut trace =
            crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 10.0), (1, 1, 0.0, 10.0)], &[0, 1]);
        assert_eq!(
            speedup_summary(&trace),
            "2.00× over the sequential run on 1 worker (20.0 ms, measured right after this run)"
        );
        trace.baseline = Some(BaselineSource::Stored);
        assert!(speedup_summary(&trace)
            .ends_with("measured earlier on this page for the same workload)"));
        trace.baseline = None;
        trace.baseline_wall_ms = None;
        assert_eq!(
            speedup_summary(&trace),
            "not measured (the 1-worker run was skipped)"
        );
        assert_eq!(stopped_summary(&trace), None);
        trace.stopped = true;
        trace.chunks[1].stopped = true;
        assert_eq!(speedup_summary(&trace), "not measured: the run was stopped");
        assert_eq!(
            run_heading(&trace),
            "Pool.map on 2 workers: 2 items in 2 chunks of 1 (stopped)"
        );
        assert!(gather_caption(&trace).starts_with("the run was stopped"));
        assert_eq!(results_check(&trace), "");
        assert_eq!(
            stopped_summary(&trace).unwrap(),
            "Stopped after 10.0 ms: 1 of 2 started tasks finished (1 of 2 items); the caller got no result list."
        );
    }

    #[test]
    fn the_call_queue_holds_at_most_max_workers_plus_one() {
        let ppe = plan_of("strategy=ProcessPoolExecutor.map&workers=2&items=10");
        let mut queue = TaskQueue::new(&ppe);
        assert_eq!((queue.ready.len(), queue.pending.len()), (3, 7));
        assert_eq!(queue.take(0).map(|c| c.index), Some(0));
        assert_eq!((queue.ready.len(), queue.pending.len()), (3, 6));
        let taken: Vec<usize> = std::iter::from_fn(|| queue.take(1))
            .map(|c| c.index)
            .collect();
        assert_eq!(
            taken,
            (1..10).collect::<Vec<_>>(),
            "FIFO through the call queue"
        );
    }
}
