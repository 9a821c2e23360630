//! CPython's result handler: results are placed by position as their tasks come back, and
//! released to the caller by the strategy's [`Delivery`]: `map` the whole list when the last
//! task is back, `imap` each once every earlier one is in, `imap_unordered` as they complete.
//! A task that raised is released by the strategy's [`OnRaise`]: what its caller then
//! receives, and when.

use crate::model::errors::TaskError;
use crate::model::pool_map::Chunk;
use crate::model::raising::OnRaise;
use crate::model::strategy::Delivery;

/// The result handler: places results by position and releases them to the caller by the
/// plan's [`Delivery`], and a task's exception by its [`OnRaise`].
#[derive(Debug)]
pub struct ResultHandler {
    delivery: Delivery,
    on_raise: OnRaise,
    /// Each item's result, by input position, once its task is back.
    pub(crate) slots: Vec<Option<u64>>,
    /// Task indices in the order their results arrived.
    pub(crate) arrived: Vec<usize>,
    back: Vec<bool>,
    /// Each task's exception, if it raised.
    failed: Vec<Option<TaskError>>,
    /// The first exception to arrive (what `map` keeps).
    first_failure: Option<TaskError>,
    next_in_order: usize,
    /// Task indices in the order their results reached the caller.
    pub(crate) delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub(crate) delivered_ms: Vec<f64>,
    /// The first exception the caller received, and when, ms.
    pub(crate) raised: Option<(TaskError, f64)>,
    /// Whether the caller has left (its loop ended by the exception): nothing more reaches it.
    left: bool,
    /// Whether the tasks not yet started are to be cancelled now (`Executor.map`).
    cancel_due: bool,
    /// Whether the caller is still submitting: nothing reaches it before it has submitted
    /// every task (`Executor.map` submits them all, then iterates the results).
    submitting: bool,
}

impl ResultHandler {
    /// A handler for `items` results in `chunks` tasks.
    pub fn new(delivery: Delivery, items: usize, chunks: usize) -> Self {
        Self {
            delivery,
            on_raise: OnRaise::NotTaught,
            slots: vec![None; items],
            arrived: Vec::with_capacity(chunks),
            back: vec![false; chunks],
            failed: vec![None; chunks],
            first_failure: None,
            next_in_order: 0,
            delivered: Vec::with_capacity(chunks),
            delivered_ms: Vec::with_capacity(chunks),
            raised: None,
            left: false,
            cancel_due: false,
            submitting: false,
        }
    }

    /// The same handler for a caller that submits every task before it receives any result
    /// (`Executor.map`): nothing is released before [`ResultHandler::submitted_all`].
    pub fn after_submitting(self) -> Self {
        Self {
            submitting: true,
            ..self
        }
    }

    /// The caller has submitted every task, at `at_ms`, and now waits for the results: it
    /// receives at once what has arrived by then, by the delivery rule.
    pub fn submitted_all(&mut self, at_ms: f64) {
        if !std::mem::take(&mut self.submitting) {
            return;
        }
        match self.delivery {
            Delivery::AsCompleted => {
                for index in self.arrived.clone() {
                    self.release(index, at_ms);
                }
            }
            Delivery::InOrder | Delivery::AllAtEnd => {
                if let Some(&last) = self.arrived.last() {
                    self.release(last, at_ms);
                }
            }
        }
    }

    /// The same handler, releasing a task's exception by `on_raise`.
    pub fn raising(self, on_raise: OnRaise) -> Self {
        Self { on_raise, ..self }
    }

    /// Task `chunk`'s results arrived at `at_ms`.
    pub fn arrive(&mut self, chunk: Chunk, results: Vec<u64>, at_ms: f64) {
        for (slot, result) in self.slots[chunk.items()].iter_mut().zip(results) {
            *slot = Some(result);
        }
        self.arrived.push(chunk.index);
        self.back[chunk.index] = true;
        self.release(chunk.index, at_ms);
    }

    /// Task `chunk` raised `error` (its other items' results are lost with it: CPython sends
    /// a chunk back as one result or one exception); it arrived at `at_ms`.
    pub fn arrive_raised(&mut self, chunk: Chunk, error: TaskError, at_ms: f64) {
        self.first_failure.get_or_insert_with(|| error.clone());
        self.failed[chunk.index] = Some(error);
        self.arrived.push(chunk.index);
        self.back[chunk.index] = true;
        self.release(chunk.index, at_ms);
    }

    /// Releases what the caller may now have, after task `index` arrived.
    fn release(&mut self, index: usize, at_ms: f64) {
        if self.left || self.submitting {
            return;
        }
        match self.delivery {
            Delivery::AsCompleted => match self.failed[index].clone() {
                Some(error) => self.raise(error, at_ms),
                None => self.deliver(index, at_ms),
            },
            Delivery::InOrder => {
                while !self.left && self.back.get(self.next_in_order) == Some(&true) {
                    let next = self.next_in_order;
                    self.next_in_order += 1;
                    match (self.failed[next].clone(), self.on_raise) {
                        (None, _) => self.deliver(next, at_ms),
                        // Its get() raises; the caller goes on to the next handle.
                        (Some(error), OnRaise::OnlyItsGet) => {
                            self.raised.get_or_insert((error, at_ms));
                        }
                        // The thread printed it; join() returns, its slot stays empty.
                        (Some(_), OnRaise::Printed | OnRaise::WorkerDies) => {
                            self.deliver(next, at_ms)
                        }
                        // The child never put its result: the parent's queue.get() never
                        // receives it (it gets the others).
                        (Some(_), OnRaise::ChildExits) => {}
                        (
                            Some(error),
                            OnRaise::AfterEveryChunk
                            | OnRaise::CallerStops
                            | OnRaise::ShortCircuits
                            | OnRaise::AtItsTurn
                            | OnRaise::AtItsTurnCancelling
                            | OnRaise::WhenItArrives
                            | OnRaise::NotTaught,
                        ) => self.raise(error, at_ms),
                    }
                }
            }
            Delivery::AllAtEnd => {
                if self.arrived.len() == self.back.len() {
                    match (self.first_failure.clone(), self.on_raise) {
                        (Some(error), OnRaise::AfterEveryChunk) => self.raise(error, at_ms),
                        _ => (0..self.back.len()).for_each(|i| self.deliver(i, at_ms)),
                    }
                }
            }
        }
    }

    /// The caller received `error` at `at_ms`; its loop ends there.
    fn raise(&mut self, error: TaskError, at_ms: f64) {
        self.raised = Some((error, at_ms));
        self.left = true;
        self.cancel_due = self.on_raise == OnRaise::AtItsTurnCancelling;
    }

    /// Whether the caller has just received an exception that cancels the tasks not yet
    /// started (`Executor.map`); asked once, it says so once.
    pub fn take_cancel(&mut self) -> bool {
        std::mem::take(&mut self.cancel_due)
    }

    /// Whether the caller stopped submitting: its loop of blocking calls ended at the
    /// exception (`Pool.apply`), so the tasks not yet submitted never will be.
    pub fn caller_stopped(&self) -> bool {
        self.left && self.on_raise == OnRaise::CallerStops
    }

    /// The first exception the caller received, and when, ms.
    pub fn raised(&self) -> Option<&(TaskError, f64)> {
        self.raised.as_ref()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pool_map::split;

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
    fn executor_map_releases_nothing_before_every_task_is_submitted() {
        let chunks = split(3, 1);
        let mut handler = ResultHandler::new(Delivery::InOrder, 3, 3)
            .raising(OnRaise::AtItsTurnCancelling)
            .after_submitting();
        handler.arrive(chunks[0], vec![1], 1.0);
        handler.arrive_raised(chunks[1], TaskError::Raised { item: 2 }, 2.0);
        assert!(handler.delivered.is_empty() && handler.raised.is_none());
        assert!(
            !handler.take_cancel(),
            "the caller has not reached item 2 yet"
        );
        handler.submitted_all(5.0);
        assert_eq!(
            (handler.delivered(), &handler.delivered_ms[..]),
            (&[0][..], &[5.0][..])
        );
        assert_eq!(handler.raised().map(|r| r.1), Some(5.0));
        assert!(
            handler.take_cancel(),
            "then the tasks not started are cancelled"
        );
    }

    #[test]
    fn map_releases_the_whole_list_when_the_last_chunk_is_back() {
        let (order, at) = handler_run(Delivery::AllAtEnd, &[(2, 1.0), (0, 2.0), (1, 7.0)]);
        assert_eq!((order, at), (vec![0, 1, 2], vec![7.0; 3]));
    }

    fn raising_run(
        delivery: Delivery,
        on_raise: OnRaise,
        arrivals: &[(usize, f64, bool)],
    ) -> (Vec<usize>, Option<(TaskError, f64)>, bool) {
        let chunks = split(arrivals.len(), 1);
        let mut handler =
            ResultHandler::new(delivery, arrivals.len(), arrivals.len()).raising(on_raise);
        let mut cancelled = false;
        for &(index, at, raises) in arrivals {
            if raises {
                let item = index as u64 + 1;
                handler.arrive_raised(chunks[index], TaskError::Raised { item }, at);
            } else {
                handler.arrive(chunks[index], vec![0], at);
            }
            cancelled |= handler.take_cancel();
        }
        (handler.delivered, handler.raised, cancelled)
    }

    #[test]
    fn map_waits_for_every_chunk_then_raises_the_first_exception_to_arrive() {
        // Items 1 (slow) and 3 (fast) raise: item 3's arrives first and is the one raised.
        let arrivals = [
            (2, 1.0, true),
            (1, 2.0, false),
            (0, 5.0, true),
            (3, 7.0, false),
        ];
        let (delivered, raised, cancelled) =
            raising_run(Delivery::AllAtEnd, OnRaise::AfterEveryChunk, &arrivals);
        assert_eq!(delivered, Vec::<usize>::new());
        assert_eq!(raised, Some((TaskError::Raised { item: 3 }, 7.0)));
        assert!(!cancelled);
    }

    #[test]
    fn imap_gives_the_results_before_the_failing_task_then_raises_there() {
        let arrivals = [
            (1, 1.0, false),
            (2, 2.0, true),
            (0, 5.0, false),
            (3, 6.0, false),
        ];
        let (delivered, raised, cancelled) =
            raising_run(Delivery::InOrder, OnRaise::AtItsTurn, &arrivals);
        assert_eq!(delivered, [0, 1]);
        assert_eq!(raised, Some((TaskError::Raised { item: 3 }, 5.0)));
        assert!(!cancelled, "imap cancels nothing");
        let (_, _, cancelled) =
            raising_run(Delivery::InOrder, OnRaise::AtItsTurnCancelling, &arrivals);
        assert!(
            cancelled,
            "Executor.map cancels the futures not yet started"
        );
    }

    #[test]
    fn imap_unordered_raises_when_the_failing_task_arrives() {
        let arrivals = [(1, 1.0, false), (2, 2.0, true), (0, 5.0, false)];
        let (delivered, raised, _) =
            raising_run(Delivery::AsCompleted, OnRaise::WhenItArrives, &arrivals);
        assert_eq!(delivered, [1]);
        assert_eq!(raised, Some((TaskError::Raised { item: 3 }, 2.0)));
    }

    #[test]
    fn only_the_failing_apply_async_get_raises_and_threads_only_print() {
        let arrivals = [(1, 1.0, true), (0, 2.0, false), (2, 3.0, false)];
        let (delivered, raised, _) = raising_run(Delivery::InOrder, OnRaise::OnlyItsGet, &arrivals);
        assert_eq!(delivered, [0, 2]);
        assert_eq!(raised, Some((TaskError::Raised { item: 2 }, 2.0)));
        let (delivered, raised, _) = raising_run(Delivery::InOrder, OnRaise::Printed, &arrivals);
        assert_eq!((delivered, raised), (vec![0, 1, 2], None));
    }

    #[test]
    fn pool_apply_stops_submitting_at_the_exception_and_a_process_that_raised_puts_nothing() {
        // [pool.apply(f, (x,)) for x in items]: task 1 raises; the caller's loop ends there.
        let chunks = split(3, 1);
        let mut apply = ResultHandler::new(Delivery::InOrder, 3, 3).raising(OnRaise::CallerStops);
        apply.arrive(chunks[0], vec![1], 1.0);
        assert!(!apply.caller_stopped());
        apply.arrive_raised(chunks[1], TaskError::Raised { item: 2 }, 2.0);
        assert!(apply.caller_stopped(), "the next call is never made");
        assert_eq!(apply.delivered(), [0]);
        assert_eq!(apply.raised(), Some(&(TaskError::Raised { item: 2 }, 2.0)));
        assert!(
            !apply.take_cancel(),
            "nothing is cancelled: it was never submitted"
        );

        // multiprocessing.Process: the parent gets every other result and no exception.
        let arrivals = [(1, 1.0, true), (0, 2.0, false), (2, 3.0, false)];
        let (delivered, raised, cancelled) =
            raising_run(Delivery::InOrder, OnRaise::ChildExits, &arrivals);
        assert_eq!((delivered, raised, cancelled), (vec![0, 2], None, false));
    }
}
