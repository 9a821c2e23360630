//! The run of every task-running strategy. Each strategy's rules become a [`Plan`]
//! (`model::plan`), and one [`TaskRun`], shared by the worker threads, carries it out for
//! real: the `TaskQueue` the workers take from, the pickling of process strategies, the GIL
//! of thread strategies, and the [`ResultHandler`] that releases results to the caller as
//! CPython's result objects do. (rayon's work stealing is rayon's own, in the
//! runtime; the fetch strategies are in `gather`.)

use crate::model::errors::TaskError;
use crate::model::gil::{self, Gil};
use crate::model::item_work::item_value;
use crate::model::pickle;
use crate::model::plan::{Plan, TaskQueue};
use crate::model::pool_map::Chunk;
use crate::model::raising::OnRaise;
use crate::model::record::{ChunkRecord, DepthSample};
use crate::model::result_handler::ResultHandler;
use crate::model::run_control::RunControl;
use crate::model::strategy::{Delivery, HandOut};
use crate::model::task_outcome::TaskOutcome;
use crate::model::thread_starts::{OnSubmit, ThreadStarts};
use crate::model::workload::{Io, Workload};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How often a thread waiting for the caller (a submit, a thread's start) looks at Stop.
const STOP_POLL: Duration = Duration::from_millis(20);

struct Handled {
    handler: ResultHandler,
    last_arrival_ms: f64,
    records: Vec<ChunkRecord>,
    worker_started_ms: Vec<f64>,
    /// Tasks cancelled before they started (`Executor.map`, once the caller got the exception).
    cancelled: Vec<usize>,
    /// Tasks the caller never submitted (`Pool.apply`: its loop ended at the exception).
    unsubmitted: Vec<usize>,
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
    started: Option<StartedSignal>,
    /// The executor's threads as its submits see them, where the caller submits the tasks
    /// one by one and starts a thread per submit while none is idle
    /// ([`TaskRun::caller_loop`], `ThreadPoolExecutor`).
    thread_starts: Option<Mutex<ThreadStarts>>,
    /// Woken when the caller submits a task, or has submitted them all.
    submits: Condvar,
    /// How many workers have said they started; woken at each.
    started_count: Mutex<usize>,
    started_count_changed: Condvar,
}

/// Told, by each worker, that it has started: once it has taken its first task (or found
/// none). `threading.Thread.start()` returns only then, so the next thread starts after it.
pub type StartedSignal = Arc<dyn Fn(usize) + Send + Sync>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TaskRun {
    /// A run of `workload` by the rules of `plan`.
    pub fn new(plan: Plan, workload: Workload) -> Self {
        let queue = TaskQueue::new(&plan);
        let sample = queue.depth(0.0);
        let records_capacity = plan.chunks.len();
        let handler = ResultHandler::new(plan.delivery, workload.items, plan.chunks.len())
            .raising(plan.on_raise);
        Self {
            gil: plan.gil.then(Gil::default),
            handled: Mutex::new(Handled {
                handler: if plan.threads_per_submit {
                    handler.after_submitting()
                } else {
                    handler
                },
                last_arrival_ms: 0.0,
                records: Vec::with_capacity(records_capacity),
                worker_started_ms: vec![0.0; plan.workers],
                cancelled: Vec::new(),
                unsubmitted: Vec::new(),
            }),
            queue: Mutex::new((queue, vec![sample])),
            // Threads started per submit count in as they start; the caller counts as one
            // until it has submitted every task.
            workers_running: AtomicUsize::new(if plan.threads_per_submit {
                1
            } else {
                plan.workers
            }),
            thread_starts: plan
                .threads_per_submit
                .then(|| Mutex::new(ThreadStarts::new(plan.workers))),
            submits: Condvar::new(),
            started_count: Mutex::new(0),
            started_count_changed: Condvar::new(),
            plan,
            workload,
            io: None,
            control: Arc::default(),
            started: None,
        }
    }

    /// The same run, each worker calling `started` with its index once it has taken its first
    /// task (or found none), so that the runtime can start the next thread only then, as
    /// `Thread.start()` waits for the thread's `started` event.
    pub fn with_started_signal(self, started: StartedSignal) -> Self {
        Self {
            started: Some(started),
            ..self
        }
    }

    /// Tells the runtime, once, that `worker` has started.
    fn signal_started(&self, worker: usize, signalled: &mut bool) {
        if !*signalled {
            *signalled = true;
            if let Some(started) = &self.started {
                started(worker);
            }
            *lock(&self.started_count) += 1;
            self.started_count_changed.notify_all();
        }
    }

    /// Waits (the caller, in `Thread.start()`) until `workers` workers have said they started,
    /// or Stop.
    fn wait_until_started(&self, workers: usize) {
        let mut started = lock(&self.started_count);
        while *started < workers && !self.control.stop_requested() {
            started = self
                .started_count_changed
                .wait_timeout(started, STOP_POLL)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits, without the GIL (a blocking `get` on the work queue), until the caller submits
    /// a task or has submitted them all, or Stop.
    fn wait_for_submit(&self, now_ms: &dyn Fn() -> f64) {
        let wait = || {
            let mut guard = lock(&self.queue);
            while guard.0.awaits_submits() && !self.control.stop_requested() {
                guard = self
                    .submits
                    .wait_timeout(guard, STOP_POLL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        };
        match &self.gil {
            Some(gil) => gil.blocking(now_ms, wait),
            None => wait(),
        }
    }

    /// The caller of `Executor.map` on a `ThreadPoolExecutor`: submits the tasks one by one,
    /// in input order; each submit starts a thread only if none is idle and fewer than
    /// `max_workers` exist ([`ThreadStarts`]). `start_thread(w)` starts worker `w`, which
    /// must then run [`TaskRun::worker_loop`]; the caller waits until it has said it started,
    /// as `Thread.start()` does. With the GIL on, the caller holds it while it submits, as
    /// Python's main thread does: it releases it while a thread starts, and every switch
    /// interval when another thread asks for it. Having submitted every task, it receives
    /// the results in order (nothing before: `map` submits them all first). Returns the
    /// run's outcome if it is the last to finish. A run whose plan does not start threads per
    /// submit has no caller loop: it returns `None` at once.
    pub fn caller_loop(
        &self,
        start_thread: &dyn Fn(usize),
        now_ms: &dyn Fn() -> f64,
    ) -> Option<TaskOutcome> {
        let starts = self.thread_starts.as_ref()?;
        gil::set_holder(gil::CALLER);
        let held = self.gil.as_ref().map(|gil| gil.acquire(now_ms));
        while !self.control.stop_requested() {
            let submitted = {
                let mut guard = lock(&self.queue);
                let (queue, samples) = &mut *guard;
                let submitted = queue.submit_next();
                if submitted.is_some() {
                    let now = now_ms().max(samples.last().map_or(0.0, |s| s.t_ms));
                    samples.push(queue.depth(now));
                }
                submitted
            };
            if submitted.is_none() {
                break;
            }
            self.submits.notify_all();
            let on_submit = lock(starts).submitted();
            match on_submit {
                OnSubmit::Start(worker) => {
                    self.workers_running.fetch_add(1, Ordering::AcqRel);
                    let start = || {
                        start_thread(worker);
                        self.wait_until_started(worker + 1);
                    };
                    match &self.gil {
                        Some(gil) => gil.blocking(now_ms, start),
                        None => start(),
                    }
                }
                OnSubmit::FoundIdle | OnSubmit::AllStarted => {}
            }
            if let Some(held) = &held {
                held.switch_if_due(now_ms);
            }
        }
        lock(&self.queue).0.submitted_all();
        self.submits.notify_all();
        drop(held);
        // map's generator: the caller now waits for each result in turn.
        let cancel = {
            let mut handled = lock(&self.handled);
            let now = now_ms().max(handled.last_arrival_ms);
            handled.handler.submitted_all(now);
            handled.handler.take_cancel()
        };
        if cancel {
            let cancelled = lock(&self.queue).0.cancel_not_started();
            let indices = cancelled.iter().map(|c| c.index);
            lock(&self.handled).cancelled.extend(indices);
        }
        self.finish()
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
    /// An item that raises ends the task there: the items after it never run.
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
            let result = self.workload.run_item(position, gil, now_ms, io, control);
            if control.stop_requested() {
                return None;
            }
            control.item_done(worker);
            match result {
                Ok(result) => results.push(result),
                Err(raised @ TaskError::Raised { .. }) => {
                    error = Some(raised);
                    break;
                }
                Err(why) => {
                    error.get_or_insert(why);
                    results.push(0);
                }
            }
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
    /// a worker takes no new task and leaves the one it runs part-way. A task that raised is
    /// handed to the result handler as its exception; then, by the strategy's [`OnRaise`],
    /// the tasks not yet started are cancelled (`Executor.map`) or the worker dies
    /// (`queue.Queue`).
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
        let mut signalled = false;
        // A thread started by a submit runs Python from its start: it takes the GIL before it
        // says it started (`Thread._bootstrap_inner`) and keeps it while it takes a task,
        // runs it and sets its result, releasing it only to wait (an empty queue, I/O) or
        // every switch interval when another thread asks for it.
        let own_hold = match (&self.gil, self.plan.threads_per_submit) {
            (Some(gil), true) => Some(gil.acquire(now_ms)),
            (Some(_) | None, _) => None,
        };
        if self.plan.threads_per_submit {
            self.signal_started(worker, &mut signalled);
        }
        // Set when this worker's result let the caller reach an exception that cancels the
        // tasks not yet started (`Executor.map`): the caller's thread wakes only after this
        // worker, already running, has taken its next task, so the cancel follows that take.
        let mut cancel_after_take = false;
        loop {
            // The time is read while the queue is held, so take times follow queue order.
            // Each Web Worker's clock may sit a few µs off another's; a take is never dated
            // before the take it followed (the lock orders them).
            if self.control.stop_requested() {
                break;
            }
            let (next, start_ms, cancelled, awaits_submits) = {
                let mut guard = lock(&self.queue);
                let (queue, samples) = &mut *guard;
                let next = queue.take(worker);
                let awaits_submits = next.is_none() && queue.awaits_submits();
                let cancelled = if std::mem::take(&mut cancel_after_take) {
                    queue.cancel_not_started()
                } else {
                    Vec::new()
                };
                let now = now_ms().max(samples.last().map_or(0.0, |s| s.t_ms));
                if next.is_some() && queue.is_shared() {
                    samples.push(queue.depth(now));
                }
                (next, now, cancelled, awaits_submits)
            };
            self.signal_started(worker, &mut signalled);
            if !cancelled.is_empty() {
                let indices = cancelled.iter().map(|c| c.index);
                lock(&self.handled).cancelled.extend(indices);
            }
            let Some(chunk) = next else {
                if awaits_submits {
                    self.wait_for_submit(now_ms);
                    continue;
                }
                break;
            };
            gil::take_waited_ms();
            let (results, transfer_ms, error) = self.run_task(worker, chunk, now_ms);
            let gil_wait_ms = gil::take_waited_ms();
            let mut handled = lock(&self.handled);
            // Likewise an arrival is never dated before the one the handler took before it.
            let end_ms = now_ms().max(handled.last_arrival_ms).max(start_ms);
            handled.last_arrival_ms = end_ms;
            let stopped = results.is_none();
            let raised = error.as_ref().and_then(TaskError::raised_item).is_some();
            match (results, &error) {
                (Some(_), Some(error)) if raised => {
                    handled.handler.arrive_raised(chunk, error.clone(), end_ms);
                }
                (Some(results), _) => handled.handler.arrive(chunk, results, end_ms),
                (None, _) => {}
            }
            // One task at a time (`Pool.apply`): the caller submits the next once this one
            // is back, and this worker, idle again, takes it; unless the call raised in the
            // caller, whose loop then ends: the rest are never submitted.
            {
                let mut queue = lock(&self.queue);
                queue.0.task_done();
                if handled.handler.caller_stopped() && handled.unsubmitted.is_empty() {
                    let never_submitted = queue.0.drain();
                    handled.unsubmitted = never_submitted.iter().map(|c| c.index).collect();
                }
            }
            // The caller got the exception: Executor.map's generator cancels the rest.
            cancel_after_take = handled.handler.take_cancel();
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
                process: None,
            });
            drop(handled);
            // Back from its work item, the thread is idle (`_idle_semaphore.release()`).
            if let Some(starts) = &self.thread_starts {
                lock(starts).item_finished();
            }
            if let Some(held) = &own_hold {
                held.switch_if_due(now_ms);
            }
            if raised && self.plan.on_raise == OnRaise::WorkerDies {
                // The exception leaves the worker's loop: its thread ends.
                break;
            }
        }
        drop(own_hold);
        // Stopped before its first take: the runtime still hears that it started.
        self.signal_started(worker, &mut signalled);
        self.finish()
    }

    /// Runs the whole run on real `std` threads, as the page runs it on Web Workers: one
    /// thread per worker, or, where the caller submits the tasks one by one, a caller thread
    /// that starts each worker's thread when a submit says so. `now_ms(w)` reads worker `w`'s
    /// clock (the caller reads worker 0's). The outcome, from whichever finished last (`None`
    /// only if none did, which a run never does). Native only: tests and the CPython
    /// cross-check.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run_on_std_threads(
        &self,
        now_ms: &(dyn Fn(usize) -> f64 + Sync),
    ) -> Option<TaskOutcome> {
        let last = Mutex::new(None);
        std::thread::scope(|scope| {
            let worker_thread = |worker: usize| {
                let last = &last;
                scope.spawn(move || {
                    if let Some(outcome) = self.worker_loop(worker, worker, &|| now_ms(worker)) {
                        *lock(last) = Some(outcome);
                    }
                });
            };
            if self.plan.threads_per_submit {
                if let Some(outcome) = self.caller_loop(&worker_thread, &|| now_ms(0)) {
                    *lock(&last) = Some(outcome);
                }
            } else {
                (0..self.plan.workers).for_each(worker_thread);
            }
        });
        last.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    /// A worker (or the caller) is done: the last one returns the run's outcome.
    fn finish(&self) -> Option<TaskOutcome> {
        if self.workers_running.fetch_sub(1, Ordering::AcqRel) != 1 {
            return None;
        }
        // Tasks still queued with no worker left to take them (every queue.Queue worker died).
        let stranded: Vec<usize> = if self.control.stop_requested() {
            Vec::new()
        } else {
            lock(&self.queue)
                .0
                .drain()
                .iter()
                .map(|c| c.index)
                .collect()
        };
        let handled = std::mem::replace(
            &mut *lock(&self.handled),
            Handled {
                handler: ResultHandler::new(Delivery::AllAtEnd, 0, 0),
                last_arrival_ms: 0.0,
                records: Vec::new(),
                worker_started_ms: Vec::new(),
                cancelled: Vec::new(),
                unsubmitted: Vec::new(),
            },
        );
        let queue_depth = std::mem::take(&mut lock(&self.queue).1);
        let Handled {
            handler,
            mut records,
            mut worker_started_ms,
            mut cancelled,
            unsubmitted,
            ..
        } = handled;
        // Lanes for the threads that started, and only those.
        if let Some(starts) = &self.thread_starts {
            worker_started_ms.truncate(lock(starts).started());
        }
        records.sort_by_key(|r| r.index);
        cancelled.sort_unstable();
        // Every task came back, or raised, or was cancelled, or was left with no worker.
        let settled = handler.arrived.len() + cancelled.len() + stranded.len() + unsubmitted.len()
            == self.plan.chunks.len();
        let raised = handler.raised().cloned();
        Some(TaskOutcome {
            records,
            results: settled.then(|| {
                handler
                    .slots
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect()
            }),
            raised,
            cancelled,
            stranded,
            unsubmitted,
            arrived: handler.arrived,
            delivered: handler.delivered,
            delivered_ms: handler.delivered_ms,
            worker_started_ms,
            queue_depth: if matches!(self.plan.hand_out, HandOut::Fifo { .. }) {
                queue_depth
            } else {
                Vec::new()
            },
            stopped: !settled && self.control.stop_requested(),
            gil_slices: self.gil.as_ref().map(Gil::take_slices).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::config::{Inputs, RunConfig};
    use crate::model::errors::Fault;
    use crate::model::plan::plan;
    use crate::model::record::RunFacts;
    use crate::model::sentences::{lanes_caption, results_check, run_heading, split_caption};
    use crate::model::workload::WorkloadKind;

    /// Runs `config` on its plan's workers, each a real thread, with `io` for fetch tasks.
    pub(crate) fn run_with_io(config: &RunConfig, io: Arc<Io>) -> TaskOutcome {
        let run = TaskRun::new(plan(config), config.workload).with_io(io);
        let clock = std::time::Instant::now();
        run.run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3)
            .expect("the last thread returns the outcome")
    }

    pub(crate) const FACTS: RunFacts = RunFacts {
        isolated: true,
        pool_threads: 4,
        started_at_ms: 0.0,
        wall_ms: 1.0,
    };

    #[test]
    fn threads_started_one_after_another_begin_and_take_their_tasks_in_order() {
        // As the runtime starts threading.Thread's threads: thread k only once thread k-1
        // has said it started (Thread.start() waits for the thread's `started` event).
        let config = Inputs::from_query("strategy=threading.Thread&items=8&cost=2000")
            .validate()
            .unwrap();
        let (sender, receiver) = std::sync::mpsc::channel::<usize>();
        let sender = Mutex::new(sender);
        let run = TaskRun::new(plan(&config), config.workload).with_started_signal(Arc::new(
            move |worker| {
                let _ = lock(&sender).send(worker);
            },
        ));
        let clock = std::time::Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let outcome = std::thread::scope(|scope| {
            let run = &run;
            let mut handles = Vec::new();
            for worker in 0..run.plan().workers {
                handles.push(scope.spawn(move || run.worker_loop(worker, worker, &now)));
                assert_eq!(
                    receiver.recv().unwrap(),
                    worker,
                    "thread {worker} said it started"
                );
            }
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .next()
                .unwrap()
        });
        assert!(receiver.try_recv().is_err(), "each thread says so once");
        for pair in outcome.records.windows(2) {
            assert!(
                pair[1].start_ms >= pair[0].start_ms,
                "thread {} began its task before thread {}",
                pair[1].worker,
                pair[0].worker
            );
        }
        assert!(outcome
            .worker_started_ms
            .windows(2)
            .all(|pair| pair[1] >= pair[0]));
    }

    /// Runs `query` (a `ThreadPoolExecutor.map`) for real on std threads: its outcome.
    fn submitted_run(query: &str) -> TaskOutcome {
        let config = Inputs::from_query(query).validate().unwrap();
        let run = TaskRun::new(plan(&config), config.workload);
        let clock = std::time::Instant::now();
        run.run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3)
            .expect("the last thread returns the outcome")
    }

    /// When the caller submitted its last task: the last sample where the queue grew.
    fn last_submit_ms(outcome: &TaskOutcome) -> f64 {
        outcome
            .queue_depth
            .windows(2)
            .filter(|pair| pair[1].queued > pair[0].queued)
            .map(|pair| pair[1].t_ms)
            .next_back()
            .unwrap()
    }

    #[test]
    fn with_the_gil_two_trivial_items_start_one_thread_as_in_cpython() {
        // The thread started by submit 1 holds the GIL from its start: it runs item 1 and is
        // idle before the caller gets the GIL back to submit item 2, which finds it idle.
        for _ in 0..20 {
            let outcome =
                submitted_run("strategy=ThreadPoolExecutor.map&workers=16&items=2&cost=0");
            assert_eq!(outcome.worker_started_ms.len(), 1, "threads started");
            assert!(outcome.records.iter().all(|r| r.worker == 0));
            assert_eq!(outcome.results, Some(vec![1, 4]));
        }
    }

    #[test]
    fn items_that_outlast_the_switch_interval_start_a_thread_per_submit_up_to_max_workers() {
        // Each item computes (holding the GIL) far longer than 5 ms: the caller gets the GIL
        // back at the switch interval and submits the next item while no thread is idle.
        let cpu = submitted_run("strategy=ThreadPoolExecutor.map&workers=16&items=3&cost=1000000");
        assert!(
            cpu.records.iter().all(|r| r.end_ms - r.start_ms > 10.0),
            "the items are slow: {:?}",
            cpu.records
                .iter()
                .map(|r| r.end_ms - r.start_ms)
                .collect::<Vec<_>>()
        );
        assert_eq!(cpu.worker_started_ms.len(), 3, "one thread per item");
        // Items that wait (I/O releases the GIL): none is idle at the next submit either.
        let io = submitted_run(
            "strategy=ThreadPoolExecutor.map&workers=4&items=12&workload=io&cost=20000",
        );
        assert_eq!(io.worker_started_ms.len(), 4, "max_workers threads");
        assert!(io.results.is_some() && io.records.iter().all(|r| r.worker < 4));
    }

    #[test]
    fn the_page_says_how_many_threads_started_and_that_results_wait_for_the_last_submit() {
        let config =
            Inputs::from_query("strategy=ThreadPoolExecutor.map&workers=16&items=2&cost=0")
                .validate()
                .unwrap();
        let outcome = submitted_run(&config.to_query());
        let trace = outcome.into_trace(&config, FACTS).unwrap();
        assert_eq!(
            (trace.workers, trace.threads_started, trace.lanes()),
            (16, Some(1), 1)
        );
        assert!(run_heading(&trace).starts_with(
            "ThreadPoolExecutor.map (max_workers=16) started 1 thread, one per submit while none was idle"
        ));
        assert!(crate::model::sentences::gather_caption(&trace)
            .contains("not before the caller has submitted every item"));
        assert!(
            trace.queue_depth.iter().all(|s| s.pending == 0),
            "nothing is pending before its submit"
        );
    }

    #[test]
    fn many_trivial_items_start_only_the_threads_their_submits_needed() {
        for gil in [true, false] {
            let outcome = submitted_run(&format!(
                "strategy=ThreadPoolExecutor.map&workers=16&items=200&cost=0&gil={gil}"
            ));
            let started = outcome.worker_started_ms.len();
            assert!((1..=16).contains(&started), "{started} threads");
            assert!(outcome.records.iter().all(|r| r.worker < started));
            let squares: Vec<u64> = (1..=200).map(|x| x * x).collect();
            assert_eq!(outcome.results, Some(squares));
            assert!(
                outcome
                    .delivered_ms
                    .iter()
                    .all(|&t| t >= last_submit_ms(&outcome)),
                "nothing reaches the caller before its last submit"
            );
        }
    }

    #[test]
    fn a_raising_item_cancels_the_submitted_items_not_started() {
        // Item 1 raises at once; the others are slow. The caller receives the exception only
        // once it has submitted all 6 (map submits first); the items then not started are
        // cancelled.
        let outcome = submitted_run(
            "strategy=ThreadPoolExecutor.map&workers=2&items=6&workload=io&cost=30000&raise_at=1&raise_cost=fast",
        );
        let (error, at) = outcome
            .raised
            .clone()
            .expect("the caller got the exception");
        assert_eq!(error.raised_item(), Some(1));
        let last_submit = last_submit_ms(&outcome);
        assert!(
            at >= last_submit,
            "received at {at}, last submit at {last_submit}"
        );
        assert!(!outcome.cancelled.is_empty(), "some items were cancelled");
        let ran: Vec<usize> = outcome.records.iter().map(|r| r.index).collect();
        assert!(outcome.cancelled.iter().all(|c| !ran.contains(c)));
        assert_eq!(ran.len() + outcome.cancelled.len(), 6);
    }

    #[test]
    fn a_stopped_submitting_run_ends() {
        let config =
            Inputs::from_query("strategy=ThreadPoolExecutor.map&workers=2&items=40&cost=1000000")
                .validate()
                .unwrap();
        let control = Arc::new(RunControl::default());
        let run = TaskRun::new(plan(&config), config.workload).with_control(Arc::clone(&control));
        let clock = std::time::Instant::now();
        let outcome = std::thread::scope(|scope| {
            let running =
                scope.spawn(|| run.run_on_std_threads(&|_| clock.elapsed().as_secs_f64() * 1e3));
            while control.items_done() < 1 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            control.request_stop();
            running.join().unwrap().unwrap()
        });
        assert!(outcome.stopped && outcome.results.is_none());
    }

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
}
