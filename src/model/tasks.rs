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
use crate::model::workload::{Io, Workload};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
        Self {
            gil: plan.gil.then(Gil::default),
            handled: Mutex::new(Handled {
                handler: ResultHandler::new(plan.delivery, workload.items, plan.chunks.len())
                    .raising(plan.on_raise),
                last_arrival_ms: 0.0,
                records: Vec::with_capacity(records_capacity),
                worker_started_ms: vec![0.0; plan.workers],
                cancelled: Vec::new(),
                unsubmitted: Vec::new(),
            }),
            queue: Mutex::new((queue, vec![sample])),
            workers_running: AtomicUsize::new(plan.workers),
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
            let (next, start_ms, cancelled) = {
                let mut guard = lock(&self.queue);
                let (queue, samples) = &mut *guard;
                let next = queue.take(worker);
                let cancelled = if std::mem::take(&mut cancel_after_take) {
                    queue.cancel_not_started()
                } else {
                    Vec::new()
                };
                let now = now_ms().max(samples.last().map_or(0.0, |s| s.t_ms));
                if next.is_some() && queue.is_shared() {
                    samples.push(queue.depth(now));
                }
                (next, now, cancelled)
            };
            self.signal_started(worker, &mut signalled);
            if !cancelled.is_empty() {
                let indices = cancelled.iter().map(|c| c.index);
                lock(&self.handled).cancelled.extend(indices);
            }
            let Some(chunk) = next else { break };
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
            if raised && self.plan.on_raise == OnRaise::WorkerDies {
                // The exception leaves the worker's loop: its thread ends.
                break;
            }
        }
        // Stopped before its first take: the runtime still hears that it started.
        self.signal_started(worker, &mut signalled);
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
            worker_started_ms,
            mut cancelled,
            unsubmitted,
            ..
        } = handled;
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
