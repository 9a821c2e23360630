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
//! release rules).
//!
//! CPython's task handler pickles tasks and writes them into the pipe ahead of time, so an
//! idle worker just reads the next one. Here a process of a shared queue holds, besides the
//! chunk it runs, chunks written ahead into its pipe (taken in FIFO order), so that no round
//! trip of messages stands between two chunks: one at first, and as many as cover a round
//! trip once the run has measured its messages and chunks ([`WriteAhead`]). Fewer are written
//! ahead as the queue runs low, and none once fewer chunks are unsent than there are
//! processes: a chunk bound to a busy process's pipe while another process is idle is a wait
//! CPython's shared pipe would not have. Each chunk records its time in the queue, in its
//! process's pipe, in transfer (pickling and the message, both ways) and in compute.

use crate::model::errors::TaskError;
use crate::model::pickle;
use crate::model::plan::{Plan, TaskQueue};
use crate::model::pool_map::Chunk;
use crate::model::process_task::{encode_task, ProcessReply};
use crate::model::record::{ChunkRecord, DepthSample, ProcessChunkTimes, ProcessReplacement};
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

/// A chunk written to a process, and when (ms since the run started).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Posted {
    chunk: Chunk,
    posted_ms: f64,
}

/// How many chunks a busy process holds written ahead into its pipe: enough that the next
/// arrives before the process has run out, measured on the run's own chunks. After a result
/// is sent the process's next chunk is written only once that result is back (a message one
/// way) and the write has crossed (one more): it needs `2 × return / chunk` chunks in its
/// pipe meanwhile. One until the run has [`WriteAhead::SAMPLES`] results to go by.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WriteAhead {
    /// Results that have arrived.
    samples: usize,
    /// Mean time from a process sending its results to the parent reading them, ms.
    return_ms: f64,
    /// Mean time a process spends on a chunk, from reading its message to sending its
    /// results, ms.
    chunk_ms: f64,
}

impl WriteAhead {
    /// Results measured before the depth follows the measurements (the clock of a page that
    /// is not cross-origin isolated ticks in 0.1 ms, so a few chunks say little).
    pub const SAMPLES: usize = 16;
    /// The most chunks written ahead into one pipe.
    pub const MAX_DEPTH: usize = 16;

    /// Takes in one chunk's times: its results took `return_ms` to come back, and the process
    /// spent `chunk_ms` on it.
    fn measure(&mut self, return_ms: f64, chunk_ms: f64) {
        self.samples += 1;
        // A running mean over the run's first results, then an exponential one that follows
        // the run as it goes.
        let weight = 1.0 / self.samples.min(Self::SAMPLES) as f64;
        self.return_ms += (return_ms.max(0.0) - self.return_ms) * weight;
        self.chunk_ms += (chunk_ms.max(0.0) - self.chunk_ms) * weight;
    }

    /// A pipe `depth` deep is topped up once it holds fewer than this: at once for a shallow
    /// one, at half for a deep one (4 or more), so that its writes go out several at a time.
    pub fn refill_below(depth: usize) -> usize {
        if depth >= 4 {
            depth / 2
        } else {
            depth
        }
    }

    /// The chunks a busy process holds written ahead now.
    pub fn depth(&self) -> usize {
        if self.samples < Self::SAMPLES {
            return 1;
        }
        // A chunk faster than a microsecond is taken as one (its time rounds to nothing).
        let needed = 2.0 * self.return_ms / self.chunk_ms.max(0.001);
        (needed.ceil() as usize).clamp(1, Self::MAX_DEPTH)
    }
}

/// What a process of the run is doing, as the parent knows it.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    /// Not ready yet (its module is loading; a replacement's too).
    Starting,
    /// Ready, with no task.
    Idle,
    /// Running `running`; `piped` wait in its pipe, written ahead, first to be read first.
    Busy {
        running: Posted,
        piped: VecDeque<Posted>,
    },
    /// Died while starting, or terminated by Stop.
    Gone,
}

/// What the runtime does when a process died ([`ProcessPoolRun::process_died`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AfterDeath {
    /// Start a new process on the dead one's lane (a `Pool` keeps its number of workers).
    pub replace: bool,
    /// Busy processes to terminate, the run being over.
    pub terminate: Vec<usize>,
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
    /// Per process: when it was last free to read its pipe (ready, or its last results sent).
    free_ms: Vec<f64>,
    records: Vec<ChunkRecord>,
    last_arrival_ms: f64,
    stopped: bool,
    failure: Option<String>,
    replacements: Vec<ProcessReplacement>,
    /// Chunks lost with a dead `Pool` process: their results never come.
    lost: Vec<String>,
    /// One task at a time: the idle processes, longest idle first. They wait in turn on the
    /// task queue's read lock, so the next task goes to the one that has waited longest.
    waiting: VecDeque<usize>,
    /// Chunks cancelled before they started (`ProcessPoolExecutor.map`, once its caller got
    /// the exception).
    cancelled: Vec<usize>,
    /// How many chunks to write ahead into a busy process's pipe.
    write_ahead: WriteAhead,
    /// Tasks the caller never submitted (`Pool.apply`: its loop ended at the exception).
    unsubmitted: Vec<usize>,
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
            free_ms: vec![0.0; plan.workers],
            records: Vec::with_capacity(plan.chunks.len()),
            queue,
            depth,
            plan,
            workload,
            last_arrival_ms: 0.0,
            stopped: false,
            failure: None,
            replacements: Vec::new(),
            lost: Vec::new(),
            waiting: VecDeque::new(),
            cancelled: Vec::new(),
            write_ahead: WriteAhead::default(),
            unsubmitted: Vec::new(),
        }
    }

    /// The number of processes the run uses.
    pub fn processes(&self) -> usize {
        self.slots.len()
    }

    /// Process `process` is ready (its module instantiated) at `at_ms`: it gets the next
    /// chunk, and one more written ahead into its pipe, if there are.
    pub fn process_ready(
        &mut self,
        process: usize,
        at_ms: f64,
        now_ms: &dyn Fn() -> f64,
    ) -> Vec<Dispatch> {
        if self.slots.get(process) != Some(&Slot::Starting) {
            return Vec::new();
        }
        let at_ms = at_ms.max(0.0);
        match self
            .replacements
            .iter_mut()
            .find(|r| r.process == process && r.ready_ms.is_none())
        {
            Some(replacement) => replacement.ready_ms = Some(at_ms.max(replacement.died_ms)),
            None => self.worker_started_ms[process] = at_ms,
        }
        self.free_ms[process] = at_ms;
        self.slots[process] = Slot::Idle;
        self.next_for(process, now_ms)
    }

    /// What to send now that `process` is idle: its own next chunks, or, one task at a time
    /// (`Pool.apply`), the next task for the process that has waited longest.
    fn next_for(&mut self, process: usize, now_ms: &dyn Fn() -> f64) -> Vec<Dispatch> {
        if self.plan.hand_out != HandOut::OneAtATime {
            return self.hand_out(process, now_ms);
        }
        if self.slots[process] == Slot::Idle {
            self.waiting.push_back(process);
        }
        let Some(&longest_waiting) = self.waiting.front() else {
            return Vec::new();
        };
        let dispatches = self.hand_out(longest_waiting, now_ms);
        if !dispatches.is_empty() {
            self.waiting.pop_front();
        }
        dispatches
    }

    /// Fills `process`'s hands from the queue, unless the run is over: an idle process gets
    /// the next chunk; a busy one of a FIFO queue, more written ahead into its pipe up to the
    /// [`WriteAhead`] depth, while at least as many chunks are unsent as there are processes
    /// times the chunks it would then hold.
    fn hand_out(&mut self, process: usize, now_ms: &dyn Fn() -> f64) -> Vec<Dispatch> {
        let mut dispatches = Vec::new();
        if self.stopped || self.failure.is_some() {
            return dispatches;
        }
        if self.slots[process] == Slot::Idle {
            let Some(chunk) = self.queue.take(process) else {
                return dispatches;
            };
            let running = self.post(process, chunk, now_ms, &mut dispatches);
            self.slots[process] = Slot::Busy {
                running,
                piped: VecDeque::new(),
            };
        }
        let fifo = matches!(self.plan.hand_out, HandOut::Fifo { .. });
        if !fifo || !self.queue.is_shared() {
            return dispatches;
        }
        let live = self.slots.iter().filter(|s| **s != Slot::Gone).count();
        let depth = self.write_ahead.depth();
        // A deep pipe is topped up once it has drained to half: the chunks written then go out
        // together, in one message.
        if matches!(&self.slots[process], Slot::Busy { piped, .. } if piped.len() >= WriteAhead::refill_below(depth))
        {
            return dispatches;
        }
        while let Slot::Busy { piped, .. } = &self.slots[process] {
            let held = piped.len();
            if held >= depth || self.queue.unsent() < live * (held + 1) {
                break;
            }
            let Some(chunk) = self.queue.take_ahead() else {
                break;
            };
            let posted = self.post(process, chunk, now_ms, &mut dispatches);
            if let Slot::Busy { piped, .. } = &mut self.slots[process] {
                piped.push_back(posted);
            }
        }
        dispatches
    }

    /// Writes `chunk`, just taken from the queue, to `process`; samples the queue.
    fn post(
        &mut self,
        process: usize,
        chunk: Chunk,
        now_ms: &dyn Fn() -> f64,
        dispatches: &mut Vec<Dispatch>,
    ) -> Posted {
        // Never before the process was ready, nor before the take it followed (a process's
        // clock may sit a little off the page's).
        let posted_ms = now_ms()
            .max(self.depth.last().map_or(0.0, |s| s.t_ms))
            .max(self.free_ms[process]);
        self.sample_depth(posted_ms);
        dispatches.push(Dispatch {
            process,
            message: encode_task(&self.workload, self.plan.pairs, chunk),
        });
        Posted { chunk, posted_ms }
    }

    /// Samples the shared queue's depth at `t_ms` (only a shared queue has one worth drawing).
    fn sample_depth(&mut self, t_ms: f64) {
        if matches!(self.plan.hand_out, HandOut::Fifo { .. }) {
            let t_ms = t_ms.max(self.depth.last().map_or(0.0, |s| s.t_ms));
            self.depth.push(self.queue.depth(t_ms));
        }
    }

    /// Process `process` sent `reply` for the chunk it ran; its times are already on the
    /// run's clock. The parent unpickles the results and hands them to the result handler;
    /// the process starts on the chunk in its pipe, if any, and is given more. Returns the
    /// number of items that came back and what to send next.
    pub fn result_arrived(
        &mut self,
        process: usize,
        reply: ProcessReply,
        now_ms: &dyn Fn() -> f64,
    ) -> (usize, Vec<Dispatch>) {
        let Some(Slot::Busy { running, piped }) = self.slots.get_mut(process) else {
            return (0, Vec::new());
        };
        let (running, next_piped) = (*running, piped.pop_front());
        let chunk = running.chunk;
        let unpickled = pickle::loads_ints(&reply.results);
        let end_ms = now_ms().max(self.last_arrival_ms).max(running.posted_ms);
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
        // The process started on it once it was written and the process was free.
        let start_ms = running.posted_ms.max(self.free_ms[process]).min(end_ms);
        let compute_start = reply.compute_start_ms.clamp(start_ms, end_ms);
        let compute_end = reply.compute_end_ms.clamp(compute_start, end_ms);
        self.free_ms[process] = reply.sent_ms.clamp(compute_end, end_ms);
        self.write_ahead.measure(
            end_ms - self.free_ms[process],
            self.free_ms[process] - compute_start,
        );
        let times = ProcessChunkTimes {
            queue_ms: running.posted_ms,
            pipe_ms: start_ms - running.posted_ms,
            send_ms: compute_start - start_ms,
            compute_ms: compute_end - compute_start,
            return_ms: end_ms - compute_end,
        };
        // The process began its next chunk, written ahead, once it had sent these results:
        // the rest of their way back is that chunk's time on the lane, not this one's.
        let box_end = match &next_piped {
            Some(next) => next
                .posted_ms
                .max(self.free_ms[process])
                .clamp(start_ms, end_ms),
            None => end_ms,
        };
        let crossing =
            (box_end - start_ms - times.compute_ms).clamp(0.0, times.send_ms + times.return_ms);
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
        self.record(
            process,
            chunk,
            (start_ms, end_ms),
            Some((times, crossing)),
            raised,
        );
        if let Some(next) = next_piped {
            self.queue.pipe_read();
            self.sample_depth(end_ms);
            if let Slot::Busy { running, .. } = &mut self.slots[process] {
                *running = next;
            }
        } else {
            self.slots[process] = Slot::Idle;
        }
        self.queue.task_done();
        if self.handler.caller_stopped() {
            // The call raised in the caller (`Pool.apply`): its loop ends, and the tasks not
            // yet submitted never will be.
            let never_submitted = self.queue.drain();
            self.unsubmitted
                .extend(never_submitted.iter().map(|c| c.index));
        }
        let next = self.next_for(process, now_ms);
        if self.handler.take_cancel() {
            // The caller got the exception: Executor.map cancels the futures still pending
            // (the process that sent the result has already taken its next ones).
            let cancelled = self.queue.cancel_not_started();
            self.cancelled.extend(cancelled.iter().map(|c| c.index));
        }
        (returned, next)
    }

    /// Records `chunk`, run by `process` over `(start_ms, end_ms)`: finished with its
    /// `times` and the crossing within its box on the lane (and the exception an item
    /// `raised`, if one did), or (`None`) cut short.
    fn record(
        &mut self,
        process: usize,
        chunk: Chunk,
        (start_ms, end_ms): (f64, f64),
        times: Option<(ProcessChunkTimes, f64)>,
        raised: Option<TaskError>,
    ) {
        self.records.push(ChunkRecord {
            index: chunk.index,
            first_item: chunk.first_item,
            len: chunk.len,
            worker: process,
            thread: process,
            start_ms,
            end_ms: end_ms.max(start_ms),
            transfer_ms: times.map_or(0.0, |(_, crossing)| crossing),
            gil_wait_ms: 0.0,
            // A failed chunk breaks the run (`failure`): no trace shows it; an item that
            // raised is the chunk's exception.
            error: raised,
            stopped: times.is_none(),
            process: times.map(|(times, _)| times),
        });
    }

    /// Process `process` died (a crash, an out-of-memory: the worker's `error` event) at
    /// `at_ms`, saying `why`. CPython's outcome follows:
    /// - `ProcessPoolExecutor`: the pool is broken, every pending future fails with
    ///   `BrokenProcessPool`, and the run ends.
    /// - `Pool`: `_maintain_pool` starts a replacement and the other chunks go on; a chunk
    ///   the process was running is lost (its result never comes, so the caller would wait
    ///   forever): the run ends once nothing else can arrive. The chunks written ahead into its
    ///   pipe go back to the head of the queue. A process that dies while starting is not
    ///   replaced (it would die again); if none is left the run ends.
    /// - `multiprocessing.Process`: its result never arrives; the run ends.
    pub fn process_died(&mut self, process: usize, why: &str, at_ms: f64) -> AfterDeath {
        let Some(slot) = self.slots.get(process).cloned() else {
            return AfterDeath::default();
        };
        if slot == Slot::Gone || self.is_over() {
            return AfterDeath::default();
        }
        let running = match slot {
            Slot::Busy { running, ref piped } => {
                // Back to the head of the queue in their order.
                for posted in piped.iter().rev() {
                    self.queue.put_back(posted.chunk);
                }
                let start_ms = running.posted_ms.max(self.free_ms[process]).min(at_ms);
                self.record(process, running.chunk, (start_ms, at_ms), None, None);
                Some(running.chunk)
            }
            Slot::Starting | Slot::Idle | Slot::Gone => None,
        };
        self.waiting.retain(|&waiting| waiting != process);
        let mut replace = false;
        match (self.plan.hand_out, running) {
            (
                HandOut::Fifo {
                    call_queue: Some(_),
                },
                _,
            ) => {
                self.failure = Some(format!("BrokenProcessPool: A process in the process pool was terminated abruptly while the future was running or pending (process {process} died: {why}). CPython marks every pending future failed with this error; map() raises it."));
            }
            (HandOut::OwnTask, _) => {
                self.failure = Some(format!("Process {process} died ({why}). In CPython its join() returns with a non-zero exitcode and its result never arrives (queue.get() would wait forever): the run ends here instead."));
            }
            (HandOut::Fifo { call_queue: None } | HandOut::OneAtATime, _)
                if slot == Slot::Starting => {}
            (HandOut::Fifo { call_queue: None } | HandOut::OneAtATime, lost) => {
                if let Some(chunk) = lost {
                    self.lost.push(format!("Process {process} died while running chunk {} ({why}). CPython's Pool started a replacement and the other chunks went on, but chunk {}'s result never comes: the caller would wait forever for it. The run ends here instead, once nothing else could arrive.", chunk.index, chunk.index));
                }
                replace = true;
                self.replacements.push(ProcessReplacement {
                    process,
                    died_ms: at_ms,
                    ready_ms: None,
                });
            }
        }
        self.slots[process] = if replace { Slot::Starting } else { Slot::Gone };
        if self.failure.is_none() && self.slots.iter().all(|s| *s == Slot::Gone) && !self.is_over()
        {
            self.failure = Some(format!("every process died (the last: {why})"));
        }
        AfterDeath {
            replace,
            terminate: if self.failure.is_some() {
                self.end_busy(at_ms)
            } else {
                Vec::new()
            },
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
        let busy: Vec<(usize, Posted)> = (0..self.slots.len())
            .filter_map(|process| match &self.slots[process] {
                Slot::Busy { running, .. } => Some((process, *running)),
                Slot::Starting | Slot::Idle | Slot::Gone => None,
            })
            .collect();
        for &(process, running) in &busy {
            self.slots[process] = Slot::Gone;
            let start_ms = running.posted_ms.max(self.free_ms[process]).min(at_ms);
            self.record(process, running.chunk, (start_ms, at_ms), None, None);
        }
        busy.into_iter().map(|(process, _)| process).collect()
    }

    /// Whether the run is over: every chunk is back (or lost with its process), cancelled or
    /// never submitted, or it was stopped or broken.
    pub fn is_over(&self) -> bool {
        self.stopped
            || self.failure.is_some()
            || self.records.len() + self.cancelled.len() + self.unsubmitted.len()
                == self.plan.chunks.len()
    }

    /// The processes that are running a chunk now.
    pub fn busy(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&p| matches!(self.slots[p], Slot::Busy { .. }))
            .collect()
    }

    /// The pool processes that died during the run and were replaced.
    pub fn replacements(&self) -> &[ProcessReplacement] {
        &self.replacements
    }

    /// Why the caller never got its results, when chunks were lost with dead processes: what
    /// CPython would do (wait forever), said per lost chunk, for the trace's notes.
    pub fn lost(&self) -> &[String] {
        &self.lost
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
        let complete = handler.arrived.len() + cancelled.len() + self.unsubmitted.len()
            == self.plan.chunks.len();
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
            unsubmitted: self.unsubmitted,
            stopped: (self.stopped || !self.lost.is_empty()) && results.is_none(),
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

    /// The chunk index a task message carries (its first argument is item index + 1).
    fn chunk_of(dispatch: &Dispatch, chunksize: usize) -> usize {
        let args = pickle::loads_ints(&dispatch.message[HEADER..]).unwrap();
        (args[0] as usize - 1) / chunksize
    }

    fn facts(wall_ms: f64) -> crate::model::record::RunFacts {
        crate::model::record::RunFacts {
            isolated: false,
            pool_threads: 2,
            started_at_ms: 0.0,
            wall_ms,
        }
    }

    #[test]
    fn a_busy_process_holds_one_chunk_written_ahead_in_fifo_order_while_enough_are_unsent() {
        let (mut run, config) = run_of("strategy=Pool.map&workers=2&items=6&chunksize=1&cost=10");
        let mut sent = Vec::new();
        let log = |sent: &mut Vec<Dispatch>, dispatches: Vec<Dispatch>| -> Vec<usize> {
            let chunks: Vec<usize> = dispatches.iter().map(|d| chunk_of(d, 1)).collect();
            sent.extend(dispatches);
            chunks
        };
        assert_eq!(
            log(&mut sent, run.process_ready(0, 1.0, &|| 1.0)),
            [0, 1],
            "the next chunk, and one written ahead"
        );
        assert_eq!(log(&mut sent, run.process_ready(1, 1.0, &|| 1.0)), [2, 3]);
        let reply = |sent: &[Dispatch], chunk: usize, t: f64| {
            answer(
                &sent
                    .iter()
                    .find(|d| chunk_of(d, 1) == chunk)
                    .unwrap()
                    .clone(),
                t,
                t + 1.0,
            )
        };
        let r = reply(&sent, 0, 2.0);
        let (_, next) = run.result_arrived(0, r, &|| 4.0);
        assert_eq!(
            log(&mut sent, next),
            [4],
            "process 0 reads chunk 1 from its pipe and is written chunk 4"
        );
        let r = reply(&sent, 2, 2.0);
        let (_, next) = run.result_arrived(1, r, &|| 5.0);
        assert!(
            next.is_empty(),
            "1 chunk unsent, 2 processes: none written ahead (it would wait behind a busy one)"
        );
        let r = reply(&sent, 1, 4.0);
        assert!(run.result_arrived(0, r, &|| 6.0).1.is_empty());
        let r = reply(&sent, 3, 5.0);
        let (_, next) = run.result_arrived(1, r, &|| 7.0);
        assert_eq!(
            log(&mut sent, next),
            [5],
            "the first process free takes the last chunk"
        );
        for (process, chunk) in [(0, 4), (1, 5)] {
            let r = reply(&sent, chunk, 8.0);
            run.result_arrived(process, r, &|| 10.0);
        }
        assert!(run.is_over());
        let outcome = run.into_outcome().unwrap();
        let workers: Vec<usize> = outcome.records.iter().map(|r| r.worker).collect();
        assert_eq!(workers, [0, 0, 1, 1, 0, 1]);
        assert!(
            outcome
                .queue_depth
                .iter()
                .all(|s| s.queued + s.pending <= 6),
            "a chunk in a pipe is still queued"
        );
        assert_eq!(
            outcome.queue_depth[4].queued, 4,
            "two running; of the four queued, two in pipes"
        );
        let trace = outcome.into_trace(&config, facts(10.0)).unwrap();
        assert!(trace.results_in_order);
    }

    #[test]
    fn the_chunks_written_ahead_cover_a_round_trip_once_measured() {
        let mut write_ahead = WriteAhead::default();
        // Chunks of 0.02 ms whose results take 0.1 ms to come back: a write crosses in
        // about as long, so 0.2 ms of chunks must wait in the pipe, 10 of them.
        for _ in 1..WriteAhead::SAMPLES {
            write_ahead.measure(0.1, 0.02);
            assert_eq!(write_ahead.depth(), 1, "one until measured");
        }
        write_ahead.measure(0.1, 0.02);
        assert_eq!(write_ahead.depth(), 10);
        // Chunks of 1 ms need no more than one; chunks that take no time, the most.
        let measured = |return_ms: f64, chunk_ms: f64| {
            let mut write_ahead = WriteAhead::default();
            (0..WriteAhead::SAMPLES).for_each(|_| write_ahead.measure(return_ms, chunk_ms));
            write_ahead.depth()
        };
        assert_eq!(measured(0.1, 1.0), 1);
        assert_eq!(measured(0.1, 0.0), WriteAhead::MAX_DEPTH);
        assert_eq!(measured(0.0, 0.0), 1, "no round trip to cover");
    }

    /// 200 trivial chunks on 2 processes, both ready at 0: the run and what it sent them.
    fn trivial_chunks_on_two_processes() -> (ProcessPoolRun, VecDeque<Dispatch>) {
        let (mut run, _) = run_of("strategy=Pool.map&workers=2&items=200&chunksize=1&cost=0");
        let mut sent: VecDeque<Dispatch> = run.process_ready(0, 0.0, &|| 0.0).into();
        sent.extend(run.process_ready(1, 0.0, &|| 0.0));
        (run, sent)
    }

    /// The process computes `dispatch` at `t` in no time; its results take 0.1 ms to come
    /// back. Returns what the parent sends next.
    fn answer_at_once(run: &mut ProcessPoolRun, dispatch: &Dispatch, t: f64) -> Vec<Dispatch> {
        let reply = answer(dispatch, t, t);
        run.result_arrived(dispatch.process, reply, &|| t + 0.1).1
    }

    #[test]
    fn short_chunks_fill_the_pipes_and_their_crossings_never_overlap_on_a_lane() {
        let (mut run, mut pending) = trivial_chunks_on_two_processes();
        assert_eq!(pending.len(), 4, "one running and one written ahead each");
        // Each process takes 0.01 ms a chunk, and its results take 0.1 ms to come back.
        let mut t = 0.0;
        let mut most_in_flight = 0;
        let mut most_written_at_once = 0;
        let mut order = Vec::new();
        while let Some(dispatch) = pending.pop_front() {
            t += 0.01;
            order.push(chunk_of(&dispatch, 1));
            let next = answer_at_once(&mut run, &dispatch, t);
            most_written_at_once = most_written_at_once.max(next.len());
            pending.extend(next);
            most_in_flight = most_in_flight.max(pending.len());
        }
        assert!(run.is_over());
        assert!(
            most_in_flight > 4,
            "once measured, more than one chunk waits in each pipe ({most_in_flight} in flight)"
        );
        assert!(
            most_written_at_once > 2,
            "a deep pipe is topped up several chunks at a time ({most_written_at_once})"
        );
        assert!(
            most_in_flight <= 2 * (WriteAhead::MAX_DEPTH + 1),
            "{most_in_flight} in flight"
        );
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..200).collect::<Vec<_>>(), "every chunk ran once");
        let outcome = run.into_outcome().unwrap();
        assert!(outcome.results.is_some());
        let crossing: f64 = outcome.records.iter().map(|r| r.transfer_ms).sum();
        assert!(
            crossing <= 2.0 * (t + 0.1),
            "the crossings on the lanes ({crossing} ms) fit in 2 lanes × the wall time, \
             though each chunk's results took 0.1 ms to come back"
        );
        let queue_times: Vec<f64> = outcome
            .records
            .iter()
            .map(|r| r.process.unwrap().queue_ms)
            .collect();
        assert!(
            queue_times.windows(2).all(|w| w[0] <= w[1]),
            "the chunks left the queue in FIFO order"
        );
    }

    #[test]
    fn the_chunks_in_a_dead_processs_pipe_go_back_to_the_head_of_the_queue_in_order() {
        let (mut run, mut pending) = trivial_chunks_on_two_processes();
        let mut t = 0.0;
        // Both processes answer until their pipes are deep.
        for _ in 0..40 {
            let dispatch = pending.pop_front().unwrap();
            t += 0.01;
            pending.extend(answer_at_once(&mut run, &dispatch, t));
        }
        let held: Vec<usize> = pending
            .iter()
            .filter(|d| d.process == 1)
            .map(|d| chunk_of(d, 1))
            .collect();
        assert!(held.len() > 2, "process 1 holds {held:?}");
        let lost = held[0];
        run.process_died(1, "crashed", t);
        pending.retain(|d| d.process == 0);
        let mut next_taken = Vec::new();
        while next_taken.len() < held.len() - 1 {
            let dispatch = pending.pop_front().unwrap();
            t += 0.01;
            let next = answer_at_once(&mut run, &dispatch, t);
            next_taken.extend(next.iter().map(|d| chunk_of(d, 1)));
            pending.extend(next);
        }
        assert_eq!(
            next_taken[..held.len() - 1],
            held[1..],
            "chunk {lost} was lost with its process; those written ahead behind it are handed out next, in order"
        );
    }

    #[test]
    fn the_seed_tutorial_hands_chunks_out_fifo_across_five_processes() {
        // 14 items, Pool(processes=5), chunksize=3: 5 chunks, 2 of the 5 processes ready first.
        let (mut run, config) = run_of("strategy=Pool.map&workers=5&items=14&chunksize=3&cost=10");
        let now = || 1.0;
        let first = run.process_ready(3, 0.5, &now);
        let second = run.process_ready(0, 0.7, &now);
        let chunks = |d: &[Dispatch]| d.iter().map(|d| chunk_of(d, 3)).collect::<Vec<_>>();
        assert_eq!(
            (chunks(&first), chunks(&second)),
            (vec![0], vec![1]),
            "fewer chunks unsent than processes: none written ahead"
        );
        let (_, next) = run.result_arrived(3, answer(&first[0], 2.0, 4.0), &|| 5.0);
        assert_eq!(chunks(&next), [2], "the process free again takes chunk 2");
        assert_eq!(&next[0].message[HEADER..], pickle::dumps_ints(&[7, 8, 9]));
        let mut pending = second;
        pending.extend(next);
        for p in [1, 2, 4] {
            pending.extend(run.process_ready(p, 6.0, &|| 6.0));
        }
        assert_eq!(
            pending.len(),
            4,
            "one chunk back and four in flight: the fifth process found the queue empty"
        );
        assert!(
            run.process_ready(4, 7.0, &|| 7.0).is_empty(),
            "ready only once"
        );
        while let Some(dispatch) = pending.pop() {
            let (_, next) =
                run.result_arrived(dispatch.process, answer(&dispatch, 8.0, 9.0), &|| 10.0);
            assert!(next.is_empty());
        }
        assert!(run.is_over());
        let outcome = run.into_outcome().unwrap();
        let workers: Vec<usize> = outcome.records.iter().map(|r| r.worker).collect();
        assert_eq!(workers, [3, 0, 3, 1, 2]);
        assert_eq!(outcome.worker_started_ms, [0.7, 6.0, 6.0, 0.5, 6.0]);
        let trace = outcome.into_trace(&config, facts(10.0)).unwrap();
        assert!(trace.results_in_order);
        assert_eq!(trace.results.unwrap()[13], 196);
    }

    #[test]
    fn each_chunk_records_its_queue_pipe_transfer_and_compute_time() {
        let (mut run, config) = run_of("strategy=Pool.imap&workers=1&items=2&cost=10");
        let sent = run.process_ready(0, 3.0, &|| 4.0);
        assert_eq!(sent.len(), 2, "the second written ahead into the only pipe");
        // Taken at 4, computed from 6 to 16, results sent at 16, back and unpickled at 19.
        let (returned, next) = run.result_arrived(0, answer(&sent[0], 6.0, 16.0), &|| 19.0);
        assert_eq!((returned, next.len()), (1, 0));
        // The process read the second from its pipe once free at 16 and computed 17 to 18.
        run.result_arrived(0, answer(&sent[1], 17.0, 18.0), &|| 20.0);
        let outcome = run.into_outcome().unwrap();
        let (first, second) = (&outcome.records[0], &outcome.records[1]);
        assert_eq!(
            first.process,
            Some(ProcessChunkTimes {
                queue_ms: 4.0,
                pipe_ms: 0.0,
                send_ms: 2.0,
                compute_ms: 10.0,
                return_ms: 3.0
            })
        );
        assert_eq!(
            (first.start_ms, first.end_ms, first.transfer_ms),
            (4.0, 19.0, 2.0),
            "its box on the lane ends at 16, where the process began the second: 2 ms of it \
             crossing; the rest of the way back is the second's time"
        );
        assert_eq!(second.transfer_ms, 3.0, "the last box runs to its results");
        assert_eq!(
            second.process,
            Some(ProcessChunkTimes {
                queue_ms: 4.0,
                pipe_ms: 12.0,
                send_ms: 1.0,
                compute_ms: 1.0,
                return_ms: 2.0
            }),
            "it waited in the pipe while the process computed the first"
        );
        assert_eq!((second.start_ms, second.end_ms), (16.0, 20.0));
        assert_eq!(
            outcome.delivered_ms,
            [19.0, 20.0],
            "imap releases each in order as it comes"
        );
        let mut trace = outcome.into_trace(&config, facts(20.0)).unwrap();
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(3.0)],
            started_by_run: vec![true],
            replacements: Vec::new(),
        });
        assert_eq!(
            crate::model::layout::lane_ends(&trace),
            [16.0, 20.0],
            "the boxes the transfer is measured in are the boxes drawn"
        );
    }

    #[test]
    fn a_process_clock_off_by_a_little_never_gives_negative_times() {
        let (mut run, _) = run_of("strategy=Pool.map&workers=1&items=1&cost=10");
        let dispatch = run.process_ready(0, 0.0, &|| 5.0).remove(0);
        run.result_arrived(0, answer(&dispatch, 4.9, 7.5), &|| 7.0);
        let times = run.into_outcome().unwrap().records[0].process.unwrap();
        assert!(
            times.pipe_ms >= 0.0
                && times.send_ms >= 0.0
                && times.compute_ms >= 0.0
                && times.return_ms >= 0.0
        );
    }

    #[test]
    fn the_executor_call_queue_holds_at_most_max_workers_plus_one() {
        let (mut run, _) = run_of("strategy=ProcessPoolExecutor.map&workers=2&items=10&cost=10");
        let mut in_flight: Vec<Dispatch> = (0..2)
            .flat_map(|p| run.process_ready(p, 0.0, &|| 0.0))
            .collect();
        let mut order: Vec<usize> = in_flight.iter().map(|d| chunk_of(d, 1)).collect();
        let mut t = 1.0;
        while !in_flight.is_empty() {
            let dispatch = in_flight.remove(0);
            t += 1.0;
            let (_, next) = run.result_arrived(dispatch.process, answer(&dispatch, t, t), &|| t);
            order.extend(next.iter().map(|d| chunk_of(d, 1)));
            in_flight.extend(next);
        }
        let outcome = run.into_outcome().unwrap();
        assert!(outcome.queue_depth.iter().all(|s| s.queued <= 3));
        assert_eq!(
            outcome.queue_depth[0].queued + outcome.queue_depth[0].pending,
            10
        );
        assert_eq!(order, (0..10).collect::<Vec<_>>(), "written in FIFO order");
        assert_eq!(outcome.delivered, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn imap_unordered_releases_in_completion_order() {
        let (mut run, config) = run_of("strategy=Pool.imap_unordered&workers=2&items=2&cost=10");
        assert_eq!(plan(&config).delivery, Delivery::AsCompleted);
        let a = run.process_ready(0, 0.0, &|| 0.0).remove(0);
        let b = run.process_ready(1, 0.0, &|| 0.0).remove(0);
        run.result_arrived(1, answer(&b, 1.0, 2.0), &|| 3.0);
        run.result_arrived(0, answer(&a, 1.0, 4.0), &|| 5.0);
        assert_eq!(run.into_outcome().unwrap().delivered, [1, 0]);
    }

    #[test]
    fn stop_cuts_the_chunks_in_flight_and_names_their_processes() {
        let (mut run, config) = run_of("strategy=Pool.map&workers=2&items=8&chunksize=2&cost=10");
        let a = run.process_ready(0, 0.0, &|| 0.0).remove(0);
        run.process_ready(1, 0.0, &|| 0.0);
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
        assert_eq!(
            outcome.records.iter().filter(|r| r.stopped).count(),
            2,
            "the chunks running were cut; those in pipes never started"
        );
        let trace = outcome.into_trace(&config, facts(4.0)).unwrap();
        assert!(trace.stopped);
    }

    #[test]
    fn a_dead_executor_process_breaks_the_pool_for_every_pending_future() {
        let (mut run, _) = run_of("strategy=ProcessPoolExecutor.map&workers=2&items=4&cost=10");
        run.process_ready(0, 0.0, &|| 0.0);
        run.process_ready(1, 0.0, &|| 0.0);
        let after = run.process_died(1, "out of memory", 3.0);
        assert_eq!(
            after,
            AfterDeath {
                replace: false,
                terminate: vec![0]
            },
            "no replacement; the other busy process is ended with the run"
        );
        assert!(run.is_over());
        let why = run.into_outcome().unwrap_err();
        assert!(why.starts_with("BrokenProcessPool: A process in the process pool was terminated abruptly while the future was running or pending"), "{why}");
        assert!(why.contains("every pending future"), "{why}");

        let (mut starting, _) =
            run_of("strategy=ProcessPoolExecutor.map&workers=2&items=4&cost=10");
        starting.process_died(0, "failed to load", 1.0);
        assert!(
            starting
                .into_outcome()
                .unwrap_err()
                .starts_with("BrokenProcessPool"),
            "a worker that exits while starting breaks the executor too"
        );
    }

    #[test]
    fn a_dead_pool_process_is_replaced_the_others_go_on_and_its_chunk_is_lost() {
        let (mut run, config) = run_of("strategy=Pool.map&workers=2&items=6&chunksize=1&cost=10");
        let mut sent = run.process_ready(0, 1.0, &|| 1.0);
        sent.extend(run.process_ready(1, 1.0, &|| 1.0));
        // Process 1 runs chunk 2 with chunk 3 in its pipe, and dies at 5.
        let after = run.process_died(1, "out of memory", 5.0);
        assert_eq!(
            after,
            AfterDeath {
                replace: true,
                terminate: vec![]
            },
            "Pool._maintain_pool starts a replacement; nothing else is ended"
        );
        assert!(!run.is_over());
        let take = |sent: &mut Vec<Dispatch>, chunk: usize| {
            let at = sent.iter().position(|d| chunk_of(d, 1) == chunk).unwrap();
            sent.remove(at)
        };
        // Chunk 3 never left the shared pipe in CPython: it is the next handed out.
        let d0 = take(&mut sent, 0);
        let (_, next) = run.result_arrived(0, answer(&d0, 2.0, 6.0), &|| 7.0);
        assert_eq!(next.iter().map(|d| chunk_of(d, 1)).collect::<Vec<_>>(), [3]);
        sent.extend(next);
        // The replacement is ready at 40 and takes chunks on lane 1.
        let replacement = run.process_ready(1, 40.0, &|| 40.0);
        assert_eq!(
            replacement
                .iter()
                .map(|d| chunk_of(d, 1))
                .collect::<Vec<_>>(),
            [4]
        );
        sent.extend(replacement);
        let mut t = 41.0;
        while let Some(dispatch) = sent.first().cloned() {
            sent.remove(0);
            t += 1.0;
            let (_, next) = run.result_arrived(dispatch.process, answer(&dispatch, t, t), &|| t);
            sent.extend(next);
        }
        assert!(
            run.is_over(),
            "nothing else can arrive: the run ends, never hangs"
        );
        assert_eq!(
            run.replacements(),
            [ProcessReplacement {
                process: 1,
                died_ms: 5.0,
                ready_ms: Some(40.0)
            }]
        );
        let lost = run.lost().to_vec();
        assert_eq!(lost.len(), 1);
        assert!(lost[0].starts_with("Process 1 died while running chunk 2 (out of memory)"));
        assert!(lost[0].contains("wait forever"), "{}", lost[0]);
        let outcome = run.into_outcome().unwrap();
        assert!(outcome.stopped && outcome.results.is_none());
        let lost_record = &outcome.records[2];
        assert!(lost_record.stopped && lost_record.worker == 1 && lost_record.end_ms == 5.0);
        assert!(outcome
            .records
            .iter()
            .filter(|r| r.index != 2)
            .all(|r| !r.stopped));
        assert_eq!(
            outcome.records[5].worker, 1,
            "the replacement ran chunks too"
        );
        let trace = outcome.into_trace(&config, facts(t)).unwrap();
        assert!(trace.stopped && !trace.results_in_order);
    }

    #[test]
    fn a_pool_process_that_dies_starting_is_not_replaced_and_none_left_ends_the_run() {
        let (mut pool, _) = run_of("strategy=Pool.map&workers=2&items=4&cost=10");
        pool.process_ready(0, 0.0, &|| 0.0);
        assert_eq!(
            pool.process_died(1, "failed to load", 1.0),
            AfterDeath::default(),
            "a process that dies starting only leaves the pool"
        );
        assert!(!pool.is_over());
        let after = pool.process_died(0, "crashed", 2.0);
        assert!(after.replace, "a process that had started is replaced");
        assert!(!pool.is_over(), "its replacement may still run the rest");
        pool.process_died(0, "failed to load", 3.0);
        let why = pool.into_outcome().unwrap_err();
        assert!(why.contains("every process died"), "{why}");
    }

    #[test]
    fn a_failed_reply_breaks_the_run() {
        let (mut run, _) = run_of("strategy=Pool.map&workers=1&items=2&chunksize=1&cost=10");
        run.process_ready(0, 0.0, &|| 0.0);
        let reply = serve_task(b"garbage", &|| 1.0, &mut |_| {});
        let (returned, next) = run.result_arrived(0, reply, &|| 2.0);
        assert_eq!((returned, next), (0, Vec::new()));
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
        let third = run.process_ready(2, 9.0, &|| 9.0).remove(0);
        let first = run.process_ready(0, 10.0, &|| 10.0).remove(0);
        assert_eq!(&third.message[HEADER..], pickle::dumps_ints(&[3]));
        let (_, next) = run.result_arrived(2, answer(&third, 11.0, 12.0), &|| 13.0);
        assert!(
            next.is_empty(),
            "a process runs its own item and nothing else"
        );
        run.result_arrived(0, answer(&first, 11.0, 14.0), &|| 15.0);
        let second = run.process_ready(1, 16.0, &|| 16.0).remove(0);
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
        crashed.process_ready(0, 0.0, &|| 0.0);
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
    fn pool_apply_runs_one_task_at_a_time_on_the_processes_in_turn() {
        // [pool.apply(square, (x,)) for x in range(1, 7)] on Pool(3): each call blocks, so
        // the next task is queued only once the one before it is back, and the process that
        // has waited longest on the task queue takes it.
        let (mut run, _) = run_of("strategy=Pool.apply&workers=3&items=6&cost=10");
        let first = run.process_ready(1, 0.5, &|| 1.0);
        assert_eq!(first.len(), 1, "one task, none written ahead");
        assert_eq!(first[0].process, 1);
        assert!(
            run.process_ready(2, 0.6, &|| 1.0).is_empty(),
            "task 1 waits"
        );
        assert!(run.process_ready(0, 0.7, &|| 1.0).is_empty(), "for task 0");
        let mut dispatch = first[0].clone();
        let mut ran_on = vec![dispatch.process];
        for t in 0..5 {
            let at = 2.0 + 2.0 * f64::from(t);
            let (returned, next) =
                run.result_arrived(dispatch.process, answer(&dispatch, at, at + 1.0), &|| {
                    at + 1.5
                });
            assert_eq!(returned, 1);
            assert_eq!(run.busy().len(), 1, "never two tasks out at once");
            assert_eq!(next.len(), 1, "the next call submits the next task");
            dispatch = next[0].clone();
            ran_on.push(dispatch.process);
        }
        assert_eq!(ran_on, [1, 2, 0, 1, 2, 0], "the processes in turn");
        let (_, last) =
            run.result_arrived(dispatch.process, answer(&dispatch, 12.0, 13.0), &|| 13.5);
        assert!(last.is_empty());
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

    /// Runs every task of a one-process run to its end, each reply at the next ms.
    fn serve_all(run: &mut ProcessPoolRun) {
        let mut pending: VecDeque<Dispatch> = run.process_ready(0, 0.0, &|| 0.0).into();
        let mut t = 1.0;
        while let Some(dispatch) = pending.pop_front() {
            let reply = serve_task(&dispatch.message, &|| t, &mut |_| {});
            t += 1.0;
            pending.extend(run.result_arrived(0, reply, &|| t).1);
        }
    }

    #[test]
    fn a_chunk_that_raises_sends_back_its_exception_and_the_caller_gets_it_by_the_rule() {
        // Pool.map: item 3 raises in chunk [3, 4]; item 4 never runs; the pool waits for
        // every chunk, then get() raises.
        let (mut run, config) =
            run_of("strategy=Pool.map&workers=1&items=6&chunksize=2&cost=10&raise_at=3");
        serve_all(&mut run);
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
        // process has taken item 2 (and item 3 written ahead into its pipe), item 4 sits in
        // the call queue (of 2) marked running, and the futures still pending, items 5 to 8,
        // are cancelled.
        let (mut run, config) = run_of(
            "strategy=ProcessPoolExecutor.map&workers=1&items=8&cost=10&raise_at=1&raise_cost=fast",
        );
        serve_all(&mut run);
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

    #[test]
    fn pool_apply_whose_call_raises_never_submits_the_items_after_it() {
        // [pool.apply(square, (x,)) for x in range(1, 7)]: item 3's call raises in the
        // caller; its loop ends there, so items 4 to 6 are never submitted, and the run is
        // over once that call is back.
        let (mut run, config) = run_of("strategy=Pool.apply&workers=2&items=6&cost=10&raise_at=3");
        serve_all(&mut run);
        assert!(
            run.is_over(),
            "the tasks never submitted count toward the end"
        );
        assert!(run.busy().is_empty());
        let trace = run
            .into_outcome()
            .unwrap()
            .into_trace(&config, crate::model::tasks::tests::FACTS)
            .unwrap();
        assert_eq!(trace.raised_item, Some(3));
        assert_eq!(trace.delivered, [0, 1], "the caller received items 1 and 2");
        assert_eq!(trace.chunks.len(), 3, "three calls were made");
        assert_eq!(trace.unsubmitted, [3, 4, 5]);
        assert_eq!(trace.never_ran, [4, 5, 6]);
        assert!(trace.cancelled.is_empty() && trace.stranded.is_empty());
        assert_eq!(trace.results, Some(vec![1, 4, 0, 0, 0, 0]));
        assert!(trace.results_in_order);
        // A recorded trace keeps them (the key is written only when there are some).
        let json = serde_json::to_string(&trace).unwrap();
        assert!(json.contains("\"unsubmitted\":[3,4,5]"), "{json}");
        assert_eq!(crate::model::recorded::load_trace(&json).unwrap(), trace);
    }

    #[test]
    fn a_multiprocessing_process_that_raises_puts_nothing_and_the_others_are_received() {
        let (mut run, config) =
            run_of("strategy=multiprocessing.Process&items=3&cost=10&raise_at=2");
        let mut t = 0.0;
        for process in 0..3 {
            let dispatch = run.process_ready(process, t, &|| t).remove(0);
            let reply = serve_task(&dispatch.message, &|| t, &mut |_| {});
            t += 1.0;
            run.result_arrived(process, reply, &|| t);
        }
        assert!(run.is_over());
        let trace = run
            .into_outcome()
            .unwrap()
            .into_trace(&config, crate::model::tasks::tests::FACTS)
            .unwrap();
        assert_eq!(trace.raised, None, "the parent catches nothing");
        assert_eq!(trace.delivered, [0, 2], "it receives the other results");
        assert_eq!(trace.chunks[1].error, Some(TaskError::Raised { item: 2 }));
        assert!(trace.never_ran.is_empty(), "every process ran");
        assert_eq!(trace.results, Some(vec![1, 0, 9]));
        let json = serde_json::to_string(&trace).unwrap();
        assert!(!json.contains("unsubmitted"), "{json}");
    }
}
