//! Cancelling a run of fetches (`_GatheringFuture.cancel()` in `Lib/asyncio/tasks.py`, or
//! the task running the sequential loop cancelled): every unfinished request is cancelled,
//! those waiting for the semaphore included.

use crate::model::gather::{FetchRun, Outcome};

impl FetchRun {
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
}

#[cfg(test)]
mod tests {
    use crate::model::errors::TaskError;
    use crate::model::gather::tests::{config, facts, gather, not_found};
    use crate::model::gather::{Awaited, FetchRun, Mode, Outcome};

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
}
