//! How every task-running strategy hands out work and gathers results, in one place. Each
//! strategy's rules become a [`Plan`] ([`plan`]), and one [`TaskRun`], shared by the worker
//! threads, carries it out for real: the queue the workers take from, the pickling of process
//! strategies, the GIL of thread strategies, and the result handler that releases results to
//! the caller as CPython's result objects do. (rayon's work stealing is rayon's own, in the
//! runtime; the fetch strategies are in `gather`.)

use crate::model::config::RunConfig;
use crate::model::errors::TaskError;
use crate::model::gil::GilSlice;
use crate::model::gil::{self, Gil};
use crate::model::item_work::item_value;
use crate::model::pickle;
use crate::model::pool_map::{split, Chunk};
use crate::model::run_control::RunControl;
use crate::model::sentences::notes;
use crate::model::strategy::{Delivery, HandOut, HandOutRule};
use crate::model::trace::{ChunkRecord, DepthSample, Recording, RunFacts, Trace};
use crate::model::workload::{Io, Workload};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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

/// The rules of `config.strategy` for this run, read from the strategy table.
pub fn plan(config: &RunConfig) -> Plan {
    let rule = config.strategy.rule();
    Plan {
        workers: plan_workers(config),
        chunks: split(config.items, config.resolved_chunksize()),
        hand_out: hand_out(config),
        delivery: rule.delivery,
        pickled: rule.pickles,
        pairs: rule.star_args,
        gil: rule.python_threads && config.gil,
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

/// The strategy's hand-out rule for this run's worker count. rayon's pieces and the event
/// loop's requests are not handed out by the task runner: their plans are only the cut.
fn hand_out(config: &RunConfig) -> HandOut {
    match config.strategy.rule().hand_out {
        HandOutRule::SharedQueue | HandOutRule::EventLoop { .. } => {
            HandOut::Fifo { call_queue: None }
        }
        HandOutRule::CallQueue { extra_queued_calls } => HandOut::Fifo {
            call_queue: Some(config.workers + extra_queued_calls),
        },
        HandOutRule::OwnTask | HandOutRule::WorkStealing => HandOut::OwnTask,
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
        let recording = Recording {
            workers: self.worker_started_ms.len(),
            chunksize: config.resolved_chunksize(),
            items: config.items,
            chunks: self.records,
            worker_started_ms: self.worker_started_ms,
            arrived: self.arrived,
            delivered: self.delivered,
            delivered_ms: self.delivered_ms,
            queue_depth: self.queue_depth,
            gil_slices: self.gil_slices,
            raised: None,
            notes: notes(config),
            results,
            results_listed: !stopped,
            results_in_order,
            stopped,
        };
        Ok(Trace::new(config, facts, recording))
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
    ) -> Option<(Vec<u64>, Option<TaskError>)> {
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
    ) -> (Option<Vec<u64>>, f64, Option<TaskError>) {
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
    use crate::model::errors::Fault;
    use crate::model::sentences::{lanes_caption, results_check, run_heading, split_caption};
    use crate::model::strategy::Strategy;
    use crate::model::workload::WorkloadKind;

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
                    Err(TaskError::Request(Fault::Http {
                        status: 404,
                        reason: String::new(),
                    }))
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
        let errors: Vec<Option<String>> = outcome
            .records
            .iter()
            .map(|r| r.error.as_ref().map(ToString::to_string))
            .collect();
        let mut expected = vec![None; 8];
        expected[5] = Some("HTTP 404 Not Found".to_owned());
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
        assert_eq!(trace.workload(), WorkloadKind::Fetch);
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
        assert_eq!((trace.item_number(0), trace.item_number(7)), (0, 7));
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
        let unused: Arc<Io> = Arc::new(|_| Err(TaskError::Unavailable("never called")));
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
