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
//!
//! Here the run's state machine ([`FetchRun`]); beside it `sequential.rs` (the loop),
//! `cancel.rs`, `semaphore.rs`, and `fetch_trace.rs` (the run's trace and figures).

mod cancel;
pub mod fetch_trace;
pub mod semaphore;
mod sequential;

use crate::model::config::RunConfig;
use crate::model::errors::{Fault, TaskError};
use crate::model::gather::semaphore::Semaphore;
use crate::model::strategy::HandOutRule;

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
            | HandOutRule::OneAtATime
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::record::RunFacts;

    pub(crate) fn not_found() -> Outcome {
        Outcome::Failed(Fault::Http {
            status: 404,
            reason: "Not Found".into(),
        })
    }

    pub(crate) fn timeout() -> Outcome {
        Outcome::Failed(Fault::Timeout { after_ms: 300 })
    }

    /// Runs a gather of requests that end with `outcomes` at the times given, in time order.
    pub(crate) fn gather(return_exceptions: bool, outcomes: &[(f64, Outcome)]) -> FetchRun {
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

    pub(crate) fn config(query: &str) -> RunConfig {
        Inputs::from_query(query).validate().expect("valid config")
    }

    pub(crate) fn facts(wall_ms: f64) -> RunFacts {
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
}
