//! The parent side of a process pool, without a browser. A process is a Web Worker with its
//! own instance of the module and its own memory; the parent and the process share nothing
//! and talk only by messages of bytes, as CPython's pipes do (what a message carries, and
//! what a process does with it: [`crate::model::process_task`]). This module decides
//! everything the parent does when something happens; the runtime (`runtime::process`) only
//! posts and receives the messages.
//!
//! The parent ([`ProcessPoolRun`]) is driven by events and never waits: a process is ready,
//! a result arrived, a process died, Stop. Its hand-out is CPython's (`Pool._handle_tasks`
//! feeding one FIFO task queue; `ProcessPoolExecutor`'s call queue of `max_workers + 1`; a
//! task of its own per `multiprocessing.Process`), the queue of [`crate::model::plan`]; its
//! result handler is [`crate::model::result_handler`] (`map`, `imap`, `imap_unordered`
//! release rules). An idle process is sent the next chunk; each chunk records its time in the
//! queue, in transfer (pickling and the message, both ways) and in compute.

use crate::model::errors::TaskError;
use crate::model::pickle;
use crate::model::plan::{Plan, TaskQueue};
use crate::model::pool_map::Chunk;
use crate::model::process_task::{encode_task, ProcessReply};
use crate::model::record::{ChunkRecord, DepthSample, ProcessChunkTimes};
use crate::model::result_handler::ResultHandler;
use crate::model::strategy::HandOut;
use crate::model::task_outcome::TaskOutcome;
use crate::model::workload::Workload;
use std::collections::VecDeque;

/// A task to post: `message` to process `process`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// The process (lane) to send it to.
    pub process: usize,
    /// The task message ([`encode_task`]).
    pub message: Vec<u8>,
}

/// What a process of the run is doing, as the parent knows it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    /// Not ready yet (its module is loading).
    Starting,
    /// Ready, with no task.
    Idle,
    /// Running `chunk`, taken from the queue at `taken_ms`.
    Busy { chunk: Chunk, taken_ms: f64 },
    /// Died, or terminated by Stop.
    Gone,
}

/// The parent side of one process-pool run, driven by events: each method is called when
/// something happens and returns at once with what to send next. Times are ms since the
/// run started (the call): every chunk is queued at 0.
#[derive(Debug)]
pub struct ProcessPoolRun {
    plan: Plan,
    workload: Workload,
    queue: TaskQueue,
    depth: Vec<DepthSample>,
    handler: ResultHandler,
    slots: Vec<Slot>,
    worker_started_ms: Vec<f64>,
    records: Vec<ChunkRecord>,
    last_arrival_ms: f64,
    stopped: bool,
    failure: Option<String>,
    /// One task at a time: the idle processes, longest idle first. They wait in turn on the
    /// task queue's read lock, so the next task goes to the one that has waited longest.
    waiting: VecDeque<usize>,
    /// Chunks cancelled before they started (`ProcessPoolExecutor.map`, once its caller got
    /// the exception).
    cancelled: Vec<usize>,
}

impl ProcessPoolRun {
    /// A run of `workload` by `plan` (a process strategy's plan) on `plan.workers` processes,
    /// none ready yet.
    pub fn new(plan: Plan, workload: Workload) -> Self {
        let queue = TaskQueue::new(&plan);
        let depth = vec![queue.depth(0.0)];
        Self {
            handler: ResultHandler::new(plan.delivery, workload.items, plan.chunks.len())
                .raising(plan.on_raise),
            slots: vec![Slot::Starting; plan.workers],
            worker_started_ms: vec![0.0; plan.workers],
            records: Vec::with_capacity(plan.chunks.len()),
            queue,
            depth,
            plan,
            workload,
            last_arrival_ms: 0.0,
            stopped: false,
            failure: None,
            waiting: VecDeque::new(),
            cancelled: Vec::new(),
        }
    }

    /// The number of processes the run uses.
    pub fn processes(&self) -> usize {
        self.slots.len()
    }

    /// Process `process` is ready (its module instantiated) at `at_ms`: it gets the next
    /// chunk, if there is one.
    pub fn process_ready(
        &mut self,
        process: usize,
        at_ms: f64,
        now_ms: &dyn Fn() -> f64,
    ) -> Option<Dispatch> {
        if self.slots.get(process) != Some(&Slot::Starting) {
            return None;
        }
        self.worker_started_ms[process] = at_ms.max(0.0);
        self.slots[process] = Slot::Idle;
        self.next_for(process, now_ms)
    }

    /// The next task now that `process` is idle: its own next task, or, one task at a time,
    /// the next task for the process that has waited longest.
    fn next_for(&mut self, process: usize, now_ms: &dyn Fn() -> f64) -> Option<Dispatch> {
        if self.plan.hand_out != HandOut::OneAtATime {
            return self.hand_out(process, now_ms);
        }
        self.waiting.push_back(process);
        let longest_waiting = *self.waiting.front()?;
        let dispatch = self.hand_out(longest_waiting, now_ms);
        if dispatch.is_some() {
            self.waiting.pop_front();
        }
        dispatch
    }

    /// Gives idle `process` the next chunk from the queue, unless the run is over.
    fn hand_out(&mut self, process: usize, now_ms: &dyn Fn() -> f64) -> Option<Dispatch> {
        if self.stopped || self.failure.is_some() {
            return None;
        }
        let chunk = self.queue.take(process)?;
        // Never before the process was ready, nor before the take it followed (a process's
        // clock may sit a little off the page's).
        let taken_ms = now_ms()
            .max(self.depth.last().map_or(0.0, |s| s.t_ms))
            .max(self.worker_started_ms[process]);
        if matches!(self.plan.hand_out, HandOut::Fifo { .. }) {
            self.depth.push(self.queue.depth(taken_ms));
        }
        self.slots[process] = Slot::Busy { chunk, taken_ms };
        Some(Dispatch {
            process,
            message: encode_task(&self.workload, self.plan.pairs, chunk),
        })
    }

    /// Process `process` sent `reply` for its chunk; `compute_*` times are already on the
    /// run's clock. The parent unpickles the results, hands them to the result handler, and
    /// the process gets the next chunk. Returns the number of items that came back and what
    /// to send next.
    pub fn result_arrived(
        &mut self,
        process: usize,
        reply: ProcessReply,
        now_ms: &dyn Fn() -> f64,
    ) -> (usize, Option<Dispatch>) {
        let Some(&Slot::Busy { chunk, taken_ms }) = self.slots.get(process) else {
            return (0, None);
        };
        let unpickled = pickle::loads_ints(&reply.results);
        let end_ms = now_ms().max(self.last_arrival_ms).max(taken_ms);
        self.last_arrival_ms = end_ms;
        let raised = reply.raised.map(|item| TaskError::Raised { item });
        let error = reply.error.or_else(|| match &unpickled {
            Ok(results) if results.len() == chunk.len => None,
            // The items before the one that raised.
            Ok(results) if raised.is_some() && results.len() < chunk.len => None,
            Ok(results) => Some(format!(
                "{} results came back for {} items",
                results.len(),
                chunk.len
            )),
            Err(why) => Some(why.clone()),
        });
        let compute_start = reply.compute_start_ms.clamp(taken_ms, end_ms);
        let compute_end = reply.compute_end_ms.clamp(compute_start, end_ms);
        let times = ProcessChunkTimes {
            queue_ms: taken_ms,
            send_ms: compute_start - taken_ms,
            compute_ms: compute_end - compute_start,
            return_ms: end_ms - compute_end,
        };
        let returned = match (&error, unpickled) {
            (None, Ok(results)) => {
                let returned = results.len() + usize::from(raised.is_some());
                match &raised {
                    Some(raised) => self.handler.arrive_raised(chunk, raised.clone(), end_ms),
                    None => self.handler.arrive(chunk, results, end_ms),
                }
                returned
            }
            // A task that fails breaks the run: CPython's pool never gives back part of a
            // chunk.
            (Some(why), _) => {
                self.failure.get_or_insert_with(|| {
                    format!("chunk {} failed in its process: {why}", chunk.index)
                });
                0
            }
            (None, Err(_)) => 0,
        };
        self.records.push(ChunkRecord {
            index: chunk.index,
            first_item: chunk.first_item,
            len: chunk.len,
            worker: process,
            thread: process,
            start_ms: taken_ms,
            end_ms,
            transfer_ms: times.send_ms + times.return_ms,
            gil_wait_ms: 0.0,
            // A failed chunk breaks the run (`failure`): no trace shows it; an item that
            // raised is the chunk's exception.
            error: raised,
            stopped: false,
            process: Some(times),
        });
        self.slots[process] = Slot::Idle;
        self.queue.task_done();
        let next = self.next_for(process, now_ms);
        if self.handler.take_cancel() {
            // The caller got the exception: Executor.map cancels the futures still pending
            // (the process that sent the result has already taken its next one).
            let cancelled = self.queue.cancel_not_started();
            self.cancelled.extend(cancelled.iter().map(|c| c.index));
        }
        (returned, next)
    }

    /// Process `process` died (a crash, an out-of-memory: the worker's `error` event) at
    /// `at_ms`, saying `why`. A process that held a chunk breaks the run: a
    /// `ProcessPoolExecutor` raises `BrokenProcessPool`; a `Pool` would start a replacement
    /// but the chunk's result never comes and the caller waits forever, so the run ends here
    /// with that said. A process that dies idle only leaves the pool; if none is left the
    /// run ends too. Returns the busy processes to terminate when the run ends.
    pub fn process_died(&mut self, process: usize, why: &str, at_ms: f64) -> Vec<usize> {
        let Some(slot) = self.slots.get(process).copied() else {
            return Vec::new();
        };
        self.slots[process] = Slot::Gone;
        self.waiting.retain(|&waiting| waiting != process);
        if let Slot::Busy { chunk, taken_ms } = slot {
            self.record_cut_short(process, chunk, taken_ms, at_ms);
            self.failure.get_or_insert_with(|| match self.plan.hand_out {
                HandOut::Fifo { call_queue: Some(_) } => format!("BrokenProcessPool: A process in the process pool was terminated abruptly while the future was running or pending (process {process} died: {why})."),
                HandOut::Fifo { call_queue: None } | HandOut::OneAtATime => format!("Process {process} died while running chunk {} ({why}). CPython's Pool starts a replacement, but that chunk's result never comes and the call waits forever: the run ends here instead.", chunk.index),
                HandOut::OwnTask => format!("Process {process} died ({why}). In CPython its join() returns with a non-zero exitcode and its result never arrives (queue.get() would wait forever): the run ends here instead."),
            });
        } else if self.slots.iter().all(|s| *s == Slot::Gone) && !self.is_complete() {
            self.failure
                .get_or_insert_with(|| format!("every process died (the last: {why})"));
        }
        if self.failure.is_some() {
            self.end_busy(at_ms)
        } else {
            Vec::new()
        }
    }

    /// Stop at `at_ms`: no chunk is handed out any more, and the chunks in flight are cut
    /// short. Returns the busy processes, which the runtime terminates (`Pool.terminate()`).
    pub fn stop(&mut self, at_ms: f64) -> Vec<usize> {
        if self.is_over() {
            return Vec::new();
        }
        self.stopped = true;
        self.end_busy(at_ms)
    }

    /// Records every busy process's chunk as cut short at `at_ms`, and returns those processes.
    fn end_busy(&mut self, at_ms: f64) -> Vec<usize> {
        let busy: Vec<(usize, Chunk, f64)> = (0..self.slots.len())
            .filter_map(|process| match self.slots[process] {
                Slot::Busy { chunk, taken_ms } => Some((process, chunk, taken_ms)),
                Slot::Starting | Slot::Idle | Slot::Gone => None,
            })
            .collect();
        for &(process, chunk, taken_ms) in &busy {
            self.slots[process] = Slot::Gone;
            self.record_cut_short(process, chunk, taken_ms, at_ms);
        }
        busy.into_iter().map(|(process, ..)| process).collect()
    }

    fn record_cut_short(&mut self, process: usize, chunk: Chunk, taken_ms: f64, at_ms: f64) {
        self.records.push(ChunkRecord {
            index: chunk.index,
            first_item: chunk.first_item,
            len: chunk.len,
            worker: process,
            thread: process,
            start_ms: taken_ms,
            end_ms: at_ms.max(taken_ms),
            transfer_ms: 0.0,
            gil_wait_ms: 0.0,
            error: None,
            stopped: true,
            process: None,
        });
    }

    fn is_complete(&self) -> bool {
        self.failure.is_none()
            && self.records.len() + self.cancelled.len() == self.plan.chunks.len()
            && self.records.iter().all(|r| !r.stopped)
    }

    /// Whether the run is over: every chunk is back or cancelled, or it was stopped or broken.
    pub fn is_over(&self) -> bool {
        self.stopped
            || self.failure.is_some()
            || self.records.len() + self.cancelled.len() == self.plan.chunks.len()
    }

    /// The processes that are running a chunk now.
    pub fn busy(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&p| matches!(self.slots[p], Slot::Busy { .. }))
            .collect()
    }

    /// The outcome once the run is over, or why it broke.
    pub fn into_outcome(self) -> Result<TaskOutcome, String> {
        if let Some(why) = self.failure {
            return Err(why);
        }
        let mut records = self.records;
        records.sort_by_key(|r| r.index);
        let handler = self.handler;
        let mut cancelled = self.cancelled;
        cancelled.sort_unstable();
        let complete = handler.arrived.len() + cancelled.len() == self.plan.chunks.len();
        let raised = handler.raised().cloned();
        let results = complete.then(|| {
            handler
                .slots
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect()
        });
        let (arrived, delivered, delivered_ms) =
            (handler.arrived, handler.delivered, handler.delivered_ms);
        Ok(TaskOutcome {
            raised,
            cancelled,
            stranded: Vec::new(),
            stopped: self.stopped && results.is_none(),
            records,
            results,
            arrived,
            delivered,
            delivered_ms,
            worker_started_ms: self.worker_started_ms,
            // Only a shared queue has a depth worth drawing: one task at a time, none ever
            // waits in it (the next call is made only once the one before is back).
            queue_depth: match self.plan.hand_out {
                HandOut::Fifo { .. } => self.depth,
                HandOut::OneAtATime | HandOut::OwnTask => Vec::new(),
            },
            gil_slices: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::plan::plan;
    use crate::model::process_task::{serve_task, HEADER};
    use crate::model::strategy::Delivery;
    use std::cell::Cell;

    fn run_of(query: &str) -> (ProcessPoolRun, crate::model::config::RunConfig) {
        let config = Inputs::from_query(query).validate().unwrap();
        (ProcessPoolRun::new(plan(&config), config.workload), config)
    }

    /// The number of items a task message carries.
    fn dispatch_items(dispatch: &Dispatch) -> usize {
        pickle::loads_ints(&dispatch.message[HEADER..])
            .map(|v| v.len())
            .or_else(|_| pickle::loads_pairs(&dispatch.message[HEADER..]).map(|v| v.len()))
            .unwrap()
    }

    /// The process side: computing starts at `start` and ends at `end`.
    fn answer(dispatch: &Dispatch, start: f64, end: f64) -> ProcessReply {
        let clock = Cell::new(start);
        let mut done = 0;
        let reply = serve_task(
            &dispatch.message,
            &|| {
                let t = clock.get();
                clock.set(end);
                t
            },
            &mut |n| done = n,
        );
        assert_eq!(done, dispatch_items(dispatch), "told of every item done");
        assert_eq!(reply.error, None);
        reply
    }

    #[test]
    fn pool_apply_runs_one_task_at_a_time_on_the_processes_in_turn() {
        // [pool.apply(square, (x,)) for x in range(1, 7)] on Pool(3): each call blocks, so
        // the next task is queued only once the one before it is back, and the process that
        // has waited longest on the task queue takes it.
        let (mut run, _) = run_of("strategy=Pool.apply&workers=3&items=6&cost=10");
        let first = run.process_ready(1, 0.5, &|| 1.0).unwrap();
        assert_eq!(first.process, 1);
        assert!(run.process_ready(2, 0.6, &|| 1.0).is_none(), "task 1 waits");
        assert!(run.process_ready(0, 0.7, &|| 1.0).is_none(), "for task 0");
        let mut dispatch = first;
        let mut ran_on = vec![dispatch.process];
        for t in 0..5 {
            let at = 2.0 + 2.0 * f64::from(t);
            let (returned, next) =
                run.result_arrived(dispatch.process, answer(&dispatch, at, at + 1.0), &|| {
                    at + 1.5
                });
            assert_eq!(returned, 1);
            assert_eq!(run.busy().len(), 1, "never two tasks out at once");
            dispatch = next.expect("the next call submits the next task");
            ran_on.push(dispatch.process);
        }
        assert_eq!(ran_on, [1, 2, 0, 1, 2, 0], "the processes in turn");
        let (_, last) =
            run.result_arrived(dispatch.process, answer(&dispatch, 12.0, 13.0), &|| 13.5);
        assert!(last.is_none());
        let outcome = run.into_outcome().unwrap();
        assert_eq!(outcome.results, Some(vec![1, 4, 9, 16, 25, 36]));
        assert!(
            outcome.queue_depth.is_empty(),
            "no task ever waits in the queue: no depth to draw"
        );
        for pair in outcome.records.windows(2) {
            assert!(
                pair[1].start_ms >= pair[0].end_ms,
                "task {} starts after task {} is back",
                pair[1].index,
                pair[0].index
            );
        }
    }

    #[test]
    fn an_idle_process_takes_the_next_chunk_from_one_fifo_queue() {
        // The seed tutorial: 14 items, Pool(processes=5), chunksize=3, 2 of the 5 ready first.
        let (mut run, config) = run_of("strategy=Pool.map&workers=5&items=14&chunksize=3&cost=10");
        let now = || 1.0;
        let first = run.process_ready(3, 0.5, &now).unwrap();
        let second = run.process_ready(0, 0.7, &now).unwrap();
        assert_eq!((first.process, second.process), (3, 0));
        let (_, next) = run.result_arrived(3, answer(&first, 2.0, 4.0), &|| 5.0);
        let third = next.expect("the process that is free again takes chunk 2");
        assert_eq!(&third.message[HEADER..], pickle::dumps_ints(&[7, 8, 9]));
        let mut pending = vec![second, third];
        for p in [1, 2, 4] {
            pending.extend(run.process_ready(p, 6.0, &|| 6.0));
        }
        assert_eq!(
            pending.len(),
            4,
            "one chunk back and four in flight: the fifth process found the queue empty"
        );
        assert!(
            run.process_ready(4, 7.0, &|| 7.0).is_none(),
            "ready only once"
        );
        while let Some(dispatch) = pending.pop() {
            let (_, next) =
                run.result_arrived(dispatch.process, answer(&dispatch, 8.0, 9.0), &|| 10.0);
            assert!(next.is_none());
        }
        assert!(run.is_over());
        let outcome = run.into_outcome().unwrap();
        let workers: Vec<usize> = outcome.records.iter().map(|r| r.worker).collect();
        assert_eq!(workers, [3, 0, 3, 1, 2]);
        assert_eq!(outcome.worker_started_ms, [0.7, 6.0, 6.0, 0.5, 6.0]);
        let trace = outcome
            .into_trace(
                &config,
                crate::model::record::RunFacts {
                    isolated: false,
                    pool_threads: 5,
                    started_at_ms: 0.0,
                    wall_ms: 10.0,
                },
            )
            .unwrap();
        assert!(trace.results_in_order);
        assert_eq!(trace.results.unwrap()[13], 196);
    }

    #[test]
    fn each_chunk_records_its_queue_transfer_and_compute_time() {
        let (mut run, _) = run_of("strategy=Pool.imap&workers=1&items=2&cost=10");
        let first = run.process_ready(0, 3.0, &|| 4.0).unwrap();
        // Taken at 4, computed from 6 to 16, back and unpickled at 19.
        let (returned, second) = run.result_arrived(0, answer(&first, 6.0, 16.0), &|| 19.0);
        assert_eq!(returned, 1);
        let second = second.unwrap();
        run.result_arrived(0, answer(&second, 20.0, 21.0), &|| 23.0);
        let outcome = run.into_outcome().unwrap();
        let chunk = &outcome.records[0];
        assert_eq!(
            chunk.process,
            Some(ProcessChunkTimes {
                queue_ms: 4.0,
                send_ms: 2.0,
                compute_ms: 10.0,
                return_ms: 3.0
            })
        );
        assert_eq!(
            (chunk.start_ms, chunk.end_ms, chunk.transfer_ms),
            (4.0, 19.0, 5.0)
        );
        assert_eq!(
            outcome.records[1].process.unwrap().queue_ms,
            19.0,
            "the second chunk waited for the only process"
        );
        assert_eq!(
            outcome.delivered_ms,
            [19.0, 23.0],
            "imap releases each in order as it comes"
        );
    }

    #[test]
    fn a_process_clock_off_by_a_little_never_gives_negative_times() {
        let (mut run, _) = run_of("strategy=Pool.map&workers=1&items=1&cost=10");
        let dispatch = run.process_ready(0, 0.0, &|| 5.0).unwrap();
        run.result_arrived(0, answer(&dispatch, 4.9, 7.5), &|| 7.0);
        let times = run.into_outcome().unwrap().records[0].process.unwrap();
        assert!(times.send_ms >= 0.0 && times.compute_ms >= 0.0 && times.return_ms >= 0.0);
    }

    #[test]
    fn the_executor_call_queue_holds_at_most_max_workers_plus_one() {
        let (mut run, _) = run_of("strategy=ProcessPoolExecutor.map&workers=2&items=10&cost=10");
        let mut in_flight: Vec<Dispatch> = (0..2)
            .filter_map(|p| run.process_ready(p, 0.0, &|| 0.0))
            .collect();
        let mut t = 1.0;
        while let Some(dispatch) = in_flight.pop() {
            t += 1.0;
            let (_, next) = run.result_arrived(dispatch.process, answer(&dispatch, t, t), &|| t);
            in_flight.extend(next);
        }
        let outcome = run.into_outcome().unwrap();
        assert!(outcome.queue_depth.iter().all(|s| s.queued <= 3));
        assert_eq!(
            outcome.queue_depth[0].queued + outcome.queue_depth[0].pending,
            10
        );
        let indices: Vec<usize> = {
            let mut by_start = outcome.records.clone();
            by_start.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
            by_start.iter().map(|r| r.index).collect()
        };
        assert_eq!(indices, (0..10).collect::<Vec<_>>(), "taken in FIFO order");
        assert_eq!(outcome.delivered, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn imap_unordered_releases_in_completion_order() {
        let (mut run, config) = run_of("strategy=Pool.imap_unordered&workers=2&items=2&cost=10");
        assert_eq!(plan(&config).delivery, Delivery::AsCompleted);
        let a = run.process_ready(0, 0.0, &|| 0.0).unwrap();
        let b = run.process_ready(1, 0.0, &|| 0.0).unwrap();
        run.result_arrived(1, answer(&b, 1.0, 2.0), &|| 3.0);
        run.result_arrived(0, answer(&a, 1.0, 4.0), &|| 5.0);
        assert_eq!(run.into_outcome().unwrap().delivered, [1, 0]);
    }

    #[test]
    fn stop_cuts_the_chunks_in_flight_and_names_their_processes() {
        let (mut run, config) = run_of("strategy=Pool.map&workers=2&items=8&chunksize=2&cost=10");
        let a = run.process_ready(0, 0.0, &|| 0.0).unwrap();
        run.process_ready(1, 0.0, &|| 0.0).unwrap();
        run.result_arrived(0, answer(&a, 1.0, 2.0), &|| 3.0);
        let mut busy = run.stop(4.0);
        busy.sort_unstable();
        assert_eq!(busy, [0, 1]);
        assert!(run.is_over() && run.busy().is_empty());
        assert_eq!(
            run.stop(5.0),
            Vec::<usize>::new(),
            "stopping twice stops nothing more"
        );
        let outcome = run.into_outcome().unwrap();
        assert!(outcome.stopped && outcome.results.is_none());
        assert_eq!(outcome.records.iter().filter(|r| r.stopped).count(), 2);
        let trace = outcome
            .into_trace(
                &config,
                crate::model::record::RunFacts {
                    isolated: false,
                    pool_threads: 2,
                    started_at_ms: 0.0,
                    wall_ms: 4.0,
                },
            )
            .unwrap();
        assert!(trace.stopped);
    }

    #[test]
    fn a_dead_process_ends_the_run_with_cpythons_outcome_never_a_hang() {
        let (mut run, _) = run_of("strategy=ProcessPoolExecutor.map&workers=2&items=4&cost=10");
        run.process_ready(0, 0.0, &|| 0.0).unwrap();
        run.process_ready(1, 0.0, &|| 0.0).unwrap();
        let to_terminate = run.process_died(1, "out of memory", 3.0);
        assert_eq!(
            to_terminate,
            [0],
            "the other busy process is ended with the run"
        );
        assert!(run.is_over());
        let why = run.into_outcome().unwrap_err();
        assert!(why.starts_with("BrokenProcessPool"), "{why}");

        let (mut pool, _) = run_of("strategy=Pool.map&workers=2&items=4&cost=10");
        pool.process_ready(0, 0.0, &|| 0.0).unwrap();
        assert!(
            pool.process_died(1, "failed to load", 1.0).is_empty(),
            "a process that dies starting only leaves the pool"
        );
        assert!(!pool.is_over());
        pool.process_died(0, "crashed", 2.0);
        let why = pool.into_outcome().unwrap_err();
        assert!(why.contains("waits forever"), "{why}");
    }

    #[test]
    fn a_failed_reply_breaks_the_run() {
        let (mut run, _) = run_of("strategy=Pool.map&workers=1&items=2&chunksize=1&cost=10");
        run.process_ready(0, 0.0, &|| 0.0).unwrap();
        let reply = serve_task(b"garbage", &|| 1.0, &mut |_| {});
        let (returned, next) = run.result_arrived(0, reply, &|| 2.0);
        assert_eq!((returned, next), (0, None));
        assert!(run.is_over());
        assert!(run
            .into_outcome()
            .unwrap_err()
            .contains("shorter than its header"));
    }

    #[test]
    fn multiprocessing_process_gives_each_item_a_process_of_its_own_joined_in_order() {
        let (mut run, config) = run_of("strategy=multiprocessing.Process&items=3&cost=10");
        assert_eq!(run.processes(), 3, "one process per item");
        // Started together, ready in any order: each takes its own item, and only that.
        let third = run.process_ready(2, 9.0, &|| 9.0).unwrap();
        let first = run.process_ready(0, 10.0, &|| 10.0).unwrap();
        assert_eq!(&third.message[HEADER..], pickle::dumps_ints(&[3]));
        let (_, next) = run.result_arrived(2, answer(&third, 11.0, 12.0), &|| 13.0);
        assert!(
            next.is_none(),
            "a process runs its own item and nothing else"
        );
        run.result_arrived(0, answer(&first, 11.0, 14.0), &|| 15.0);
        let second = run.process_ready(1, 16.0, &|| 16.0).unwrap();
        run.result_arrived(1, answer(&second, 17.0, 18.0), &|| 19.0);
        let outcome = run.into_outcome().unwrap();
        assert_eq!(outcome.delivered, [0, 1, 2], "joined in order");
        assert_eq!(outcome.delivered_ms, [15.0, 19.0, 19.0]);
        assert!(outcome.queue_depth.is_empty(), "no shared queue to sample");
        assert_eq!(outcome.worker_started_ms, [10.0, 16.0, 9.0]);
        let trace = outcome
            .into_trace(
                &config,
                crate::model::record::RunFacts {
                    isolated: false,
                    pool_threads: 0,
                    started_at_ms: 0.0,
                    wall_ms: 19.0,
                },
            )
            .unwrap();
        assert_eq!(trace.results.as_deref(), Some(&[1, 4, 9][..]));

        let (mut crashed, _) = run_of("strategy=multiprocessing.Process&items=2&cost=10");
        crashed.process_ready(0, 0.0, &|| 0.0).unwrap();
        crashed.process_died(0, "out of memory", 1.0);
        let why = crashed.into_outcome().unwrap_err();
        assert!(why.contains("non-zero exitcode"), "{why}");
    }

    #[test]
    fn multiprocessing_process_starts_at_most_64_processes_and_reads_no_workers() {
        let too_many = Inputs::from_query("strategy=multiprocessing.Process&items=65")
            .validate()
            .unwrap_err();
        assert!(
            too_many.to_string().contains("at most 64 items"),
            "{too_many}"
        );
        let workers = Inputs::from_query("strategy=multiprocessing.Process&items=4&workers=2")
            .validate()
            .unwrap_err();
        assert!(
            workers.to_string().contains("reads no 'workers'"),
            "{workers}"
        );
        let plan = plan(
            &Inputs::from_query("strategy=multiprocessing.Process&items=64&cost=10")
                .validate()
                .unwrap(),
        );
        assert_eq!(
            (
                plan.workers,
                plan.chunks.len(),
                plan.hand_out,
                plan.delivery,
                plan.pickled
            ),
            (64, 64, HandOut::OwnTask, Delivery::InOrder, true)
        );
    }

    #[test]
    fn a_chunk_that_raises_sends_back_its_exception_and_the_caller_gets_it_by_the_rule() {
        // Pool.map: item 3 raises in chunk [3, 4]; item 4 never runs; the pool waits for
        // every chunk, then get() raises.
        let (mut run, config) =
            run_of("strategy=Pool.map&workers=1&items=6&chunksize=2&cost=10&raise_at=3");
        let mut next = run.process_ready(0, 0.0, &|| 0.0);
        let mut t = 1.0;
        while let Some(dispatch) = next {
            let reply = serve_task(&dispatch.message, &|| t, &mut |_| {});
            t += 1.0;
            next = run.result_arrived(0, reply, &|| t).1;
        }
        assert!(run.is_over());
        let trace = run
            .into_outcome()
            .unwrap()
            .into_trace(&config, crate::model::tasks::tests::FACTS)
            .unwrap();
        assert_eq!(trace.raised, Some(TaskError::Raised { item: 3 }));
        assert_eq!(
            (trace.raised_item, trace.never_ran.clone()),
            (Some(3), vec![4])
        );
        assert!(trace.delivered.is_empty(), "map gives the caller no list");
        assert_eq!(trace.results, Some(vec![1, 4, 0, 0, 25, 36]));

        // ProcessPoolExecutor.map: the exception at item 1 reaches the caller at once; the
        // process has taken item 2, items 3 and 4 sit in the call queue (of 2) marked
        // running, and the futures still pending, items 5 to 8, are cancelled.
        let (mut run, config) = run_of(
            "strategy=ProcessPoolExecutor.map&workers=1&items=8&cost=10&raise_at=1&raise_cost=fast",
        );
        let mut next = run.process_ready(0, 0.0, &|| 0.0);
        let mut t = 1.0;
        while let Some(dispatch) = next {
            let reply = serve_task(&dispatch.message, &|| t, &mut |_| {});
            t += 1.0;
            next = run.result_arrived(0, reply, &|| t).1;
        }
        assert!(run.is_over(), "every chunk is back or cancelled");
        let trace = run
            .into_outcome()
            .unwrap()
            .into_trace(&config, crate::model::tasks::tests::FACTS)
            .unwrap();
        assert_eq!(trace.raised_item, Some(1));
        assert_eq!(trace.cancelled, [4, 5, 6, 7]);
        assert_eq!(trace.never_ran, [5, 6, 7, 8]);
    }
}
