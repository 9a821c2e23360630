//! `asyncio.gather` and sequential awaits over fetches, as a pure model of CPython's rules.
//!
//! The browser runtime (`runtime::fetch`) only starts requests, measures them and
//! reports how each ended; everything that decides (which request may start when, what the
//! awaiter gets and when, what the gathered list holds) is here, so it is tested natively.
//!
//! The rules are those of CPython 3.11–3.13:
//! - `Lib/asyncio/tasks.py`, `gather()` and its `_done_callback`: every awaitable becomes a
//!   task on one event loop; results are collected by iterating the children in argument
//!   order, whatever order they finished in. With `return_exceptions=False` the first
//!   exception (or cancellation) of a child is set on the outer future at once, and the other
//!   children are *not* cancelled: they keep running and their outcomes are only retrieved.
//!   With `return_exceptions=True` each exception takes its child's place in the list.
//!   `gather()` of nothing returns `[]` at once.
//! - `_GatheringFuture.cancel()`: cancelling a gather that is not done cancels every unfinished
//!   child, and the awaiter gets `CancelledError` whatever `return_exceptions` says (bpo-32684).
//!   Cancelling a gather that is already done does nothing.
//! - `Lib/asyncio/locks.py`, `Semaphore`: `acquire()` succeeds at once while a slot is free
//!   and nobody waits; otherwise the task joins a FIFO of waiters, and `release()` wakes the
//!   first of them. Tasks are created in argument order, so they are admitted in that order.
//! - Sequential awaits, `results = [await fetch(url) for url in urls]`: one request at a time;
//!   an exception leaves the loop, so the requests after it never start.

use crate::model::config::RunConfig;
use crate::model::errors::{Fault, TaskError};
use crate::model::record::{ChunkRecord, Recording, RunFacts};
use crate::model::strategy::HandOutRule;
use crate::model::trace::Trace;
use std::collections::VecDeque;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The body was read: this many bytes.
    Bytes(u64),
    /// It failed.
    Failed(Fault),
    /// It was cancelled before it finished (`waiting`: while waiting for the semaphore,
    /// before its fetch started).
    Cancelled {
        /// Whether it was still waiting for the semaphore.
        waiting: bool,
    },
    /// It never started: the sequential loop had already left with an exception.
    NotStarted,
}

impl Outcome {
    /// The error shown on the request and in the gathered list, if it did not succeed.
    pub fn error(&self) -> Option<TaskError> {
        match self {
            Outcome::Bytes(_) => None,
            Outcome::Failed(fault) => Some(TaskError::Request(fault.clone())),
            Outcome::Cancelled { waiting } => Some(TaskError::Cancelled { waiting: *waiting }),
            Outcome::NotStarted => Some(TaskError::NotStarted),
        }
    }

    /// The exception this outcome raises in the awaiter, if it is one.
    fn exception(&self) -> Option<TaskError> {
        match self {
            Outcome::Bytes(_) | Outcome::NotStarted => None,
            Outcome::Cancelled { .. } => Some(TaskError::CancelledError),
            Outcome::Failed(fault) => Some(TaskError::Request(fault.clone())),
        }
    }
}

/// How the requests are awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `asyncio.gather(*fetches)`, each fetch inside `async with Semaphore(limit)` if limited.
    Gather {
        /// Most requests in flight at once, if limited.
        limit: Option<usize>,
    },
    /// `[await fetch(url) for url in urls]`: one after another.
    Sequential,
}

/// `asyncio.Semaphore` (Lib/asyncio/locks.py): a counter and a FIFO of waiting tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semaphore {
    value: usize,
    waiters: VecDeque<usize>,
}

impl Semaphore {
    /// A semaphore with `value` slots.
    pub fn new(value: usize) -> Self {
        Self {
            value,
            waiters: VecDeque::new(),
        }
    }

    /// Task `position` calls `acquire()`: `true` if it proceeds now, `false` if it waits.
    /// As in CPython, a free slot is not taken while others are already waiting.
    pub fn acquire(&mut self, position: usize) -> bool {
        if self.value > 0 && self.waiters.is_empty() {
            self.value -= 1;
            true
        } else {
            self.waiters.push_back(position);
            false
        }
    }

    /// A task calls `release()`: the first waiter, if any, proceeds (it takes the slot).
    pub fn release(&mut self) -> Option<usize> {
        match self.waiters.pop_front() {
            Some(next) => Some(next),
            None => {
                self.value += 1;
                None
            }
        }
    }

    /// Every waiter leaves (they are cancelled), in FIFO order.
    pub fn drain_waiters(&mut self) -> Vec<usize> {
        self.waiters.drain(..).collect()
    }
}

/// What the awaiter of the gather (or of the loop) has got so far.
#[derive(Debug, Clone, PartialEq)]
enum Awaited {
    /// Still waiting.
    Pending,
    /// The list of results, at this time.
    Returned {
        /// When, ms since the start.
        at_ms: f64,
    },
    /// An exception instead of the list.
    Raised {
        /// The request whose exception (or cancellation) it was.
        position: usize,
        /// The exception.
        error: TaskError,
        /// When, ms since the start.
        at_ms: f64,
    },
}

impl Awaited {
    fn is_done(&self) -> bool {
        !matches!(self, Awaited::Pending)
    }
}

/// One run of fetches on one event loop: it says which requests start when, and records how
/// each ended and what the awaiter got.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRun {
    mode: Mode,
    return_exceptions: bool,
    starts: Vec<Option<f64>>,
    ends: Vec<Option<(f64, Outcome)>>,
    semaphore: Semaphore,
    arrived: Vec<usize>,
    finished: usize,
    awaited: Awaited,
    cancel_requested: bool,
    cancelled_after_done: bool,
}

impl FetchRun {
    /// A run of `requests` fetches awaited in `mode`.
    pub fn new(mode: Mode, requests: usize, return_exceptions: bool) -> Self {
        let limit = match mode {
            Mode::Gather { limit } => limit.unwrap_or(requests).max(1),
            Mode::Sequential => 1,
        };
        Self {
            mode,
            return_exceptions,
            starts: vec![None; requests],
            ends: vec![None; requests],
            semaphore: Semaphore::new(limit),
            arrived: Vec::new(),
            finished: 0,
            awaited: Awaited::Pending,
            cancel_requested: false,
            cancelled_after_done: false,
        }
    }

    /// The run as configured.
    pub fn for_config(config: &RunConfig) -> Self {
        let mode = match config.strategy.rule().hand_out {
            HandOutRule::EventLoop {
                one_at_a_time: true,
            } => Mode::Sequential,
            HandOutRule::EventLoop {
                one_at_a_time: false,
            }
            | HandOutRule::SharedQueue
            | HandOutRule::CallQueue { .. }
            | HandOutRule::OwnTask
            | HandOutRule::WorkStealing => Mode::Gather {
                limit: config.fetch.limit,
            },
        };
        Self::new(mode, config.fetch.requests, config.fetch.return_exceptions)
    }

    /// The call, at `t_ms`: the requests that start now. For a gather every task is created
    /// in argument order and tries the semaphore; `gather()` of nothing returns `[]` at once.
    pub fn start(&mut self, t_ms: f64) -> Vec<usize> {
        let requests = self.starts.len();
        if requests == 0 {
            self.awaited = Awaited::Returned { at_ms: t_ms };
            return Vec::new();
        }
        let admitted: Vec<usize> = match self.mode {
            Mode::Gather { .. } => (0..requests)
                .filter(|&position| self.semaphore.acquire(position))
                .collect(),
            Mode::Sequential => vec![0],
        };
        for &position in &admitted {
            self.starts[position] = Some(t_ms);
        }
        admitted
    }

    /// Request `position` ended with `outcome` at `t_ms`: records it, settles the awaiter as
    /// CPython would, and returns the requests that start now.
    pub fn finished(&mut self, position: usize, outcome: Outcome, t_ms: f64) -> Vec<usize> {
        if self.ends.get(position).is_none_or(Option::is_some) {
            return Vec::new();
        }
        self.ends[position] = Some((t_ms, outcome.clone()));
        self.arrived.push(position);
        let next = match self.mode {
            Mode::Gather { .. } => {
                self.done_callback(position, &outcome, t_ms);
                self.semaphore.release().into_iter().collect()
            }
            Mode::Sequential => self.next_in_loop(position, &outcome, t_ms),
        };
        for &started in &next {
            self.starts[started] = Some(t_ms);
        }
        next
    }

    /// `gather`'s `_done_callback` (Lib/asyncio/tasks.py) for the child at `position`.
    fn done_callback(&mut self, position: usize, outcome: &Outcome, t_ms: f64) {
        self.finished += 1;
        if self.awaited.is_done() {
            // The outer future is done: the outcome is only retrieved, never delivered.
            return;
        }
        if !self.return_exceptions {
            if let Some(error) = outcome.exception() {
                self.awaited = Awaited::Raised {
                    position,
                    error,
                    at_ms: t_ms,
                };
                return;
            }
        }
        if self.finished == self.starts.len() {
            self.awaited = if self.cancel_requested {
                // A cancelled gather raises CancelledError whatever return_exceptions says.
                Awaited::Raised {
                    position,
                    error: TaskError::CancelledError,
                    at_ms: t_ms,
                }
            } else {
                Awaited::Returned { at_ms: t_ms }
            };
        }
    }

    /// The sequential loop after request `position`: the next request, or the end.
    fn next_in_loop(&mut self, position: usize, outcome: &Outcome, t_ms: f64) -> Vec<usize> {
        let raised = outcome
            .exception()
            .filter(|_| !self.return_exceptions || matches!(outcome, Outcome::Cancelled { .. }));
        if let Some(error) = raised {
            self.awaited = Awaited::Raised {
                position,
                error,
                at_ms: t_ms,
            };
            self.skip_the_rest(position + 1, t_ms);
            return Vec::new();
        }
        if position + 1 < self.starts.len() {
            vec![position + 1]
        } else {
            self.awaited = Awaited::Returned { at_ms: t_ms };
            Vec::new()
        }
    }

    fn skip_the_rest(&mut self, from: usize, t_ms: f64) {
        for position in from..self.starts.len() {
            if self.ends[position].is_none() {
                self.starts[position] = Some(t_ms);
                self.ends[position] = Some((t_ms, Outcome::NotStarted));
            }
        }
    }

    /// Cancel pressed at `t_ms` (`gather(...).cancel()`, or the task running the loop
    /// cancelled). Every unfinished request is cancelled: returns those in flight, whose
    /// fetches must be aborted. A gather that is already done is not cancelled (CPython's
    /// `cancel()` returns False); its leftover requests are still aborted, as `asyncio.run()`
    /// cancels the tasks left when it ends.
    pub fn cancel(&mut self, t_ms: f64) -> Vec<usize> {
        if self.is_done() {
            return Vec::new();
        }
        if self.awaited.is_done() {
            self.cancelled_after_done = true;
        } else {
            self.cancel_requested = true;
        }
        let in_flight = self.in_flight();
        let waiting = self.semaphore.drain_waiters();
        let cancelled = in_flight
            .iter()
            .map(|&p| (p, false))
            .chain(waiting.iter().map(|&p| (p, true)))
            .collect::<Vec<_>>();
        for (position, waiting) in cancelled {
            if self.starts[position].is_none() {
                self.starts[position] = Some(t_ms);
            }
            self.finished(position, Outcome::Cancelled { waiting }, t_ms);
        }
        in_flight
    }

    /// Requests started and not yet ended, in argument order.
    fn in_flight(&self) -> Vec<usize> {
        (0..self.starts.len())
            .filter(|&p| self.starts[p].is_some() && self.ends[p].is_none())
            .collect()
    }

    /// Whether every request has ended (or will never start).
    fn is_done(&self) -> bool {
        self.ends.iter().all(Option::is_some)
    }

    /// The gathered list in argument order, as `gather` builds it when every child is done:
    /// the bytes read, or the error at its position.
    fn gathered(&self) -> Vec<Result<u64, TaskError>> {
        self.ends
            .iter()
            .map(|end| match end {
                Some((_, Outcome::Bytes(bytes))) => Ok(*bytes),
                Some((_, outcome)) => Err(outcome
                    .error()
                    .unwrap_or(TaskError::Cancelled { waiting: false })),
                None => Err(TaskError::Cancelled { waiting: false }),
            })
            .collect()
    }

    /// The trace of the finished run, in the form every strategy has: the event loop is the
    /// one worker, each request one task (its index is its argument position).
    pub fn into_trace(self, config: &RunConfig, facts: RunFacts) -> Trace {
        let notes = self.notes(config);
        let gathered = self.gathered();
        let results: Vec<u64> = gathered.iter().map(|r| *r.as_ref().unwrap_or(&0)).collect();
        let chunks: Vec<ChunkRecord> = self
            .ends
            .iter()
            .enumerate()
            .map(|(index, end)| {
                let (end_ms, outcome) = end
                    .clone()
                    .unwrap_or((facts.wall_ms, Outcome::Cancelled { waiting: false }));
                ChunkRecord {
                    index,
                    first_item: index,
                    len: 1,
                    worker: 0,
                    thread: 0,
                    start_ms: self.starts[index].unwrap_or(end_ms),
                    end_ms,
                    transfer_ms: 0.0,
                    gil_wait_ms: 0.0,
                    error: outcome.error(),
                    stopped: false,
                }
            })
            .collect();
        // The list is in argument order when each place holds its own request's outcome.
        let results_in_order = results.len() == chunks.len()
            && self.ends.iter().zip(&results).all(|(end, &r)| match end {
                Some((_, Outcome::Bytes(bytes))) => *bytes == r,
                _ => r == 0,
            });
        let (delivered, delivered_ms, raised) = match self.awaited {
            Awaited::Pending => (Vec::new(), Vec::new(), None),
            Awaited::Returned { at_ms } => {
                ((0..chunks.len()).collect(), vec![at_ms; chunks.len()], None)
            }
            Awaited::Raised {
                position,
                error,
                at_ms,
            } => (vec![position], vec![at_ms], Some(error)),
        };
        let recording = Recording {
            workers: 1,
            chunksize: 1,
            items: chunks.len(),
            chunks,
            worker_started_ms: vec![0.0],
            arrived: self.arrived,
            delivered,
            delivered_ms,
            queue_depth: Vec::new(),
            gil_slices: Vec::new(),
            raised,
            notes,
            results,
            results_listed: true,
            results_in_order,
            stopped: self.cancel_requested || self.cancelled_after_done,
        };
        Trace::new(config, facts, recording)
    }

    fn notes(&self, config: &RunConfig) -> Vec<String> {
        let fetch = &config.fetch;
        let mut notes = vec![
            "The event loop is the page's own thread: each request is the browser's fetch(), awaited as a Rust future (wasm-bindgen-futures). No Web Worker is used.".to_owned(),
        ];
        if fetch.latency_ms > 0 {
            notes.push(format!(
                "Added latency: the playground waits {} ms on a timer after each response's headers arrive and before its body is read. It is not network time.",
                fetch.latency_ms
            ));
        }
        if let Some(timeout) = fetch.timeout_ms {
            notes.push(format!(
                "Timeout: a request not finished after {timeout} ms is aborted (AbortController) and ends with TimeoutError, as inside asyncio.timeout({}).",
                f64::from(timeout) / 1000.0
            ));
        }
        if let Mode::Gather { limit: Some(limit) } = self.mode {
            notes.push(format!(
                "asyncio.Semaphore({limit}): every task is created at once; at most {limit} hold the semaphore, the others wait in FIFO order (the hatched part of a row) and start as one releases it."
            ));
        }
        if self.cancel_requested {
            notes.push(match self.mode {
                Mode::Gather { .. } => "Cancelled: gather.cancel() cancelled every unfinished request (their fetches aborted with AbortController), and the awaiter got CancelledError.",
                Mode::Sequential => "Cancelled: the request being awaited was cancelled (its fetch aborted with AbortController), the awaiter got CancelledError, and the rest never started.",
            }.to_owned());
        } else if matches!(self.awaited, Awaited::Raised { .. })
            && !self.return_exceptions
            && self.mode != Mode::Sequential
        {
            notes.push("return_exceptions=False: the awaiter got the first exception at once; the other requests were not cancelled and were recorded finishing.".to_owned());
        }
        if self.cancelled_after_done {
            notes.push("Cancel came after gather had already raised: in CPython cancel() on a done gather does nothing, so the leftover requests were aborted as asyncio.run() cancels the tasks left when it ends.".to_owned());
        }
        notes
    }
}

/// The figures of a fetch run, read from its trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FetchFigures {
    /// From the call until the last request ended, ms.
    pub wall_ms: f64,
    /// Sum of the requests' own times (start to end), ms: about what awaiting them one after
    /// another takes.
    pub sum_ms: f64,
    /// The slowest request, ms: about what a gather of them all takes.
    pub slowest_ms: f64,
    /// `sum_ms / wall_ms`: how many requests were in flight on average.
    pub overlap: f64,
    /// Most requests in flight at the same moment.
    pub peak_in_flight: usize,
    /// When the awaiter got its list or its exception, ms since the start.
    pub answered_ms: Option<f64>,
}

impl FetchFigures {
    /// The figures of `trace`.
    pub fn of(trace: &Trace) -> Self {
        let durations = trace.chunks.iter().map(ChunkRecord::duration_ms);
        let sum_ms: f64 = durations.clone().sum();
        let slowest_ms = durations.fold(0.0, f64::max);
        Self {
            wall_ms: trace.wall_ms,
            sum_ms,
            slowest_ms,
            overlap: if trace.wall_ms > 0.0 {
                sum_ms / trace.wall_ms
            } else {
                0.0
            },
            peak_in_flight: trace.metrics().peak_parallelism,
            answered_ms: trace.delivered_ms.iter().copied().reduce(f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::strategy::Strategy;

    fn not_found() -> Outcome {
        Outcome::Failed(Fault::Http {
            status: 404,
            reason: "Not Found".into(),
        })
    }

    fn timeout() -> Outcome {
        Outcome::Failed(Fault::Timeout { after_ms: 300 })
    }

    /// Runs a gather of requests that end with `outcomes` at the times given, in time order.
    fn gather(return_exceptions: bool, outcomes: &[(f64, Outcome)]) -> FetchRun {
        let mut run = FetchRun::new(
            Mode::Gather { limit: None },
            outcomes.len(),
            return_exceptions,
        );
        assert_eq!(run.start(0.0), (0..outcomes.len()).collect::<Vec<_>>());
        let mut order: Vec<usize> = (0..outcomes.len()).collect();
        order.sort_by(|&a, &b| outcomes[a].0.total_cmp(&outcomes[b].0));
        for position in order {
            let (t, outcome) = outcomes[position].clone();
            assert!(run.finished(position, outcome, t).is_empty());
        }
        run
    }

    fn config(query: &str) -> RunConfig {
        Inputs::from_query(query).validate().expect("valid config")
    }

    fn facts(wall_ms: f64) -> RunFacts {
        RunFacts {
            isolated: true,
            pool_threads: 1,
            started_at_ms: 1000.0,
            wall_ms,
        }
    }

    #[test]
    fn results_come_back_in_argument_order_whatever_order_the_requests_finish_in() {
        // Three fetches: the last one is the fastest, the first one the slowest.
        let run = gather(
            false,
            &[
                (300.0, Outcome::Bytes(10)),
                (200.0, Outcome::Bytes(20)),
                (100.0, Outcome::Bytes(30)),
            ],
        );
        assert_eq!(run.arrived, [2, 1, 0]);
        assert_eq!(run.gathered(), [Ok(10), Ok(20), Ok(30)]);
        // The awaiter gets the whole list once the slowest is back.
        assert_eq!(&run.awaited, &Awaited::Returned { at_ms: 300.0 });
    }

    #[test]
    fn without_return_exceptions_the_first_error_is_raised_at_once_and_the_others_keep_running() {
        let run = gather(
            false,
            &[
                (300.0, Outcome::Bytes(10)),
                (50.0, not_found()),
                (120.0, timeout()),
                (200.0, Outcome::Bytes(40)),
            ],
        );
        // The 404 came first (at 50 ms): that is what the awaiter gets, at that moment …
        assert_eq!(
            &run.awaited,
            &Awaited::Raised {
                position: 1,
                error: not_found().error().unwrap(),
                at_ms: 50.0
            }
        );
        // … while nothing was cancelled: every request still finished and was recorded.
        assert!(run.is_done());
        assert_eq!(run.arrived, [1, 2, 3, 0]);
        let gathered = run.gathered();
        assert_eq!(gathered[0], Ok(10));
        assert_eq!(gathered[3], Ok(40));
        assert!(gathered[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .starts_with("TimeoutError"));
    }

    #[test]
    fn with_return_exceptions_each_error_takes_its_place_in_the_list() {
        let run = gather(
            true,
            &[
                (300.0, Outcome::Bytes(10)),
                (50.0, not_found()),
                (120.0, timeout()),
                (200.0, Outcome::Bytes(40)),
            ],
        );
        assert_eq!(&run.awaited, &Awaited::Returned { at_ms: 300.0 });
        assert_eq!(
            run.gathered(),
            [
                Ok(10),
                Err(not_found().error().unwrap()),
                Err(timeout().error().unwrap()),
                Ok(40)
            ]
        );
    }

    #[test]
    fn gather_of_nothing_returns_an_empty_list_at_once() {
        let mut run = FetchRun::new(Mode::Gather { limit: None }, 0, false);
        assert!(run.start(5.0).is_empty());
        assert_eq!(&run.awaited, &Awaited::Returned { at_ms: 5.0 });
        assert!(run.gathered().is_empty());
    }

    #[test]
    fn cancelling_a_pending_gather_cancels_the_unfinished_requests_and_raises_cancelled_error() {
        for return_exceptions in [false, true] {
            let mut run = FetchRun::new(Mode::Gather { limit: None }, 3, return_exceptions);
            run.start(0.0);
            run.finished(1, Outcome::Bytes(7), 40.0);
            assert_eq!(run.cancel(60.0), [0, 2], "the fetches to abort");
            assert!(run.is_done());
            assert_eq!(
                &run.awaited,
                &Awaited::Raised {
                    position: if return_exceptions { 2 } else { 0 },
                    error: TaskError::CancelledError,
                    at_ms: 60.0
                }
            );
            // The finished request keeps its result; the others are marked cancelled.
            assert_eq!(
                run.gathered(),
                [
                    Err(TaskError::Cancelled { waiting: false }),
                    Ok(7),
                    Err(TaskError::Cancelled { waiting: false })
                ]
            );
            let notes = run
                .into_trace(&config("strategy=asyncio.gather&requests=3"), facts(60.0))
                .notes;
            assert!(notes
                .iter()
                .any(|n| n.contains("gather.cancel() cancelled")));
            assert!(!notes.iter().any(|n| n.contains("were not cancelled")));
        }
    }

    #[test]
    fn cancelling_a_gather_that_already_raised_keeps_its_exception() {
        let mut run = FetchRun::new(Mode::Gather { limit: None }, 3, false);
        run.start(0.0);
        run.finished(2, not_found(), 10.0);
        assert_eq!(run.cancel(30.0), [0, 1]);
        assert_eq!(
            &run.awaited,
            &Awaited::Raised {
                position: 2,
                error: not_found().error().unwrap(),
                at_ms: 10.0
            }
        );
        let trace = run.into_trace(&config("strategy=asyncio.gather&requests=3"), facts(30.0));
        assert!(trace
            .notes
            .iter()
            .any(|n| n.contains("cancel() on a done gather does nothing")));
    }

    #[test]
    fn cancelling_a_finished_run_does_nothing() {
        let mut run = gather(false, &[(10.0, Outcome::Bytes(1))]);
        assert!(run.cancel(20.0).is_empty());
        assert_eq!(&run.awaited, &Awaited::Returned { at_ms: 10.0 });
    }

    #[test]
    fn a_semaphore_admits_in_argument_order_and_keeps_at_most_limit_in_flight() {
        let mut run = FetchRun::new(Mode::Gather { limit: Some(2) }, 5, true);
        assert_eq!(run.start(0.0), [0, 1]);
        // Request 1 finishes first: the first waiter (2) takes its slot.
        assert_eq!(run.finished(1, Outcome::Bytes(1), 10.0), [2]);
        assert_eq!(run.in_flight(), [0, 2]);
        // An error releases the semaphore too (`async with` exits).
        assert_eq!(run.finished(0, not_found(), 15.0), [3]);
        assert_eq!(run.finished(3, Outcome::Bytes(1), 20.0), [4]);
        assert_eq!(
            run.finished(2, Outcome::Bytes(1), 25.0),
            Vec::<usize>::new()
        );
        assert_eq!(
            run.finished(4, Outcome::Bytes(1), 30.0),
            Vec::<usize>::new()
        );
        assert!(run.is_done());
        assert_eq!(
            run.starts,
            [Some(0.0), Some(0.0), Some(10.0), Some(15.0), Some(20.0)]
        );
    }

    #[test]
    fn a_free_slot_is_not_taken_while_others_wait() {
        let mut semaphore = Semaphore::new(1);
        assert!(semaphore.acquire(0));
        assert!(!semaphore.acquire(1));
        assert!(!semaphore.acquire(2));
        assert_eq!(semaphore.release(), Some(1));
        assert_eq!(semaphore.release(), Some(2));
        assert_eq!(semaphore.release(), None);
        assert!(
            semaphore.acquire(3),
            "the slot is free again and nobody waits"
        );
    }

    #[test]
    fn cancelling_also_cancels_the_requests_waiting_for_the_semaphore() {
        let mut run = FetchRun::new(Mode::Gather { limit: Some(1) }, 3, true);
        run.start(0.0);
        assert_eq!(run.cancel(5.0), [0]);
        assert_eq!(
            run.gathered(),
            [
                Err(TaskError::Cancelled { waiting: false }),
                Err(TaskError::Cancelled { waiting: true }),
                Err(TaskError::Cancelled { waiting: true })
            ]
        );
        assert!(
            matches!(&run.awaited, Awaited::Raised { error, .. } if *error == TaskError::CancelledError)
        );
    }

    #[test]
    fn sequential_awaits_start_each_request_when_the_previous_one_is_done() {
        let mut run = FetchRun::new(Mode::Sequential, 3, false);
        assert_eq!(run.start(0.0), [0]);
        assert_eq!(run.finished(0, Outcome::Bytes(1), 100.0), [1]);
        assert_eq!(run.finished(1, Outcome::Bytes(2), 200.0), [2]);
        assert!(run.finished(2, Outcome::Bytes(3), 300.0).is_empty());
        assert_eq!(&run.awaited, &Awaited::Returned { at_ms: 300.0 });
        assert_eq!(run.starts, [Some(0.0), Some(100.0), Some(200.0)]);
    }

    #[test]
    fn a_sequential_loop_leaves_at_the_first_exception_and_the_rest_never_start() {
        let mut run = FetchRun::new(Mode::Sequential, 3, false);
        run.start(0.0);
        assert!(run.finished(0, not_found(), 100.0).is_empty());
        assert!(run.is_done());
        assert!(matches!(&run.awaited, Awaited::Raised { position: 0, .. }));
        assert_eq!(run.gathered()[2], Err(Outcome::NotStarted.error().unwrap()));
    }

    #[test]
    fn a_sequential_loop_that_keeps_exceptions_goes_on_but_cancel_still_stops_it() {
        let mut run = FetchRun::new(Mode::Sequential, 3, true);
        run.start(0.0);
        assert_eq!(run.finished(0, not_found(), 100.0), [1]);
        assert_eq!(run.cancel(150.0), [1]);
        assert!(
            matches!(&run.awaited, Awaited::Raised { position: 1, error, .. } if *error == TaskError::CancelledError)
        );
        assert_eq!(
            run.gathered(),
            [
                Err(not_found().error().unwrap()),
                Err(TaskError::Cancelled { waiting: false }),
                Err(Outcome::NotStarted.error().unwrap())
            ]
        );
    }

    #[test]
    fn the_trace_has_the_event_loop_as_its_one_worker_and_one_task_per_request() {
        let run = gather(
            false,
            &[
                (300.0, Outcome::Bytes(1024)),
                (50.0, not_found()),
                (200.0, Outcome::Bytes(16384)),
            ],
        );
        let config = config("strategy=asyncio.gather&requests=3&latency_ms=100&timeout_ms=500");
        let trace = run.into_trace(&config, facts(301.0));
        assert_eq!(trace.strategy(), Strategy::AsyncioGather);
        assert_eq!(
            (trace.workers, trace.items, trace.config.fetch.latency_ms),
            (1, 3, 100)
        );
        assert_eq!(trace.chunks.len(), 3);
        assert!(trace
            .chunks
            .iter()
            .all(|c| c.worker == 0 && c.thread == 0 && c.len == 1));
        assert_eq!(trace.chunks[1].error, not_found().error());
        assert_eq!(
            trace.chunks[1]
                .error
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("HTTP 404 Not Found")
        );
        assert_eq!(trace.chunks[1].end_ms, 50.0);
        assert_eq!(trace.arrived, [1, 2, 0]);
        assert_eq!(trace.delivered, [1]);
        assert_eq!(trace.delivered_ms, [50.0]);
        assert_eq!(trace.raised, not_found().error());
        assert_eq!(trace.results.as_deref(), Some(&[1024, 0, 16384][..]));
        assert_eq!(trace.checksum, 17408);
        assert!(trace.results_in_order);
        assert_eq!(trace.wall_ms, 301.0);
        assert!(trace.notes.iter().any(|n| n.starts_with("Added latency")));
        assert!(trace.notes.iter().any(|n| n.contains("were not cancelled")));
    }

    #[test]
    fn a_returned_list_reaches_the_awaiter_whole_when_the_last_request_is_back() {
        let run = gather(true, &[(30.0, Outcome::Bytes(5)), (10.0, timeout())]);
        let trace = run.into_trace(
            &config("strategy=asyncio.gather&requests=2&latency_ms=0"),
            facts(31.0),
        );
        assert_eq!(trace.delivered, [0, 1]);
        assert_eq!(trace.delivered_ms, [30.0, 30.0]);
        assert_eq!(trace.raised, None);
        assert!(!trace.notes.iter().any(|n| n.starts_with("Added latency")));
    }

    #[test]
    fn gathers_wall_time_is_about_the_slowest_request_and_sequential_about_the_sum() {
        let gathered = gather(
            false,
            &[
                (100.0, Outcome::Bytes(1)),
                (110.0, Outcome::Bytes(1)),
                (105.0, Outcome::Bytes(1)),
            ],
        )
        .into_trace(&config("strategy=asyncio.gather&requests=3"), facts(110.0));
        let figures = FetchFigures::of(&gathered);
        assert_eq!((figures.slowest_ms, figures.sum_ms), (110.0, 315.0));
        assert_eq!(figures.peak_in_flight, 3);
        assert!((figures.overlap - 315.0 / 110.0).abs() < 1e-9);

        let mut sequential = FetchRun::new(Mode::Sequential, 3, false);
        sequential.start(0.0);
        for (position, t) in [(0, 100.0), (1, 210.0), (2, 315.0)] {
            sequential.finished(position, Outcome::Bytes(1), t);
        }
        let trace = sequential.into_trace(&config("strategy=sequential&requests=3"), facts(315.0));
        let figures = FetchFigures::of(&trace);
        assert_eq!(
            (figures.wall_ms, figures.sum_ms, figures.peak_in_flight),
            (315.0, 315.0, 1)
        );
        assert_eq!(figures.answered_ms, Some(315.0));
    }

    #[test]
    fn the_python_shown_for_sequential_awaits_is_the_loop_that_runs() {
        // Without return_exceptions the comprehension leaves at the first exception …
        let stops = crate::model::program::program(
            &config("strategy=sequential"),
            "http://127.0.0.1:8080/",
        );
        assert!(stops.contains("    results = [await fetch(url) for url in URLS]\n"));
        // … with it, each exception is kept in its place and the loop goes on.
        let keeps = crate::model::program::program(
            &config("strategy=sequential&return_exceptions=true"),
            "http://127.0.0.1:8080/",
        );
        assert!(keeps.contains("except Exception as error:\n            results.append(error)"));
    }

    #[test]
    fn faults_are_explained_in_words() {
        let empty_reason = Fault::Http {
            status: 503,
            reason: String::new(),
        };
        assert_eq!(empty_reason.to_string(), "HTTP 503 Service Unavailable");
        assert_eq!(crate::model::errors::reason_phrase(418), "Client Error");
        assert_eq!(crate::model::errors::reason_phrase(599), "Server Error");
        assert!(Fault::Network { cross_origin: true }
            .to_string()
            .contains("no CORS header"));
        assert!(!Fault::Network {
            cross_origin: false
        }
        .to_string()
        .contains("CORS"));
        let malformed = Fault::MalformedUrl {
            url: "http://[x".into(),
            why: "Invalid URL".into(),
        };
        assert_eq!(
            malformed.to_string(),
            "malformed URL 'http://[x': Invalid URL"
        );
    }
}
