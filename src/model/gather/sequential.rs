//! Sequential awaits, `results = [await fetch(url) for url in urls]`: one request at a time;
//! an exception leaves the loop, so the requests after it never start.

use crate::model::gather::{Awaited, FetchRun, Outcome};

impl FetchRun {
    /// The sequential loop after request `position`: the next request, or the end.
    pub(super) fn next_in_loop(
        &mut self,
        position: usize,
        outcome: &Outcome,
        t_ms: f64,
    ) -> Vec<usize> {
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
}

#[cfg(test)]
mod tests {
    use crate::model::errors::TaskError;
    use crate::model::gather::tests::not_found;
    use crate::model::gather::{Awaited, FetchRun, Mode, Outcome};

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
}
