//! A task strategy's rules for one run, read from the strategy table: the tasks (CPython's
//! split), how many workers run them, who takes which task, when results reach the caller,
//! pickling and the GIL ([`Plan`], [`plan`]); and the queue the workers take tasks from
//! (`TaskQueue`: a FIFO, through `ProcessPoolExecutor`'s call queue of `max_workers + 1`, or
//! one task per worker).

use crate::model::config::RunConfig;
use crate::model::pool_map::{split, Chunk};
use crate::model::raising::OnRaise;
use crate::model::record::DepthSample;
use crate::model::strategy::{Delivery, HandOut, HandOutRule};
use std::collections::VecDeque;

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
    /// What the caller receives when a task raises.
    pub on_raise: OnRaise,
    /// Whether the caller submits the tasks one by one and a worker starts per submit only
    /// while none is idle (`ThreadPoolExecutor`): `workers` is then the most that may start.
    pub threads_per_submit: bool,
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
        on_raise: rule.on_raise,
        threads_per_submit: rule.workers_per_submit,
    }
}

/// How many workers a run of `config` may use, without cutting its tasks: every worker of a
/// shared queue; one per task, at most `workers`, where each has its own task. Where a
/// worker starts per submitted task only while none is idle (`ThreadPoolExecutor`), up to
/// `workers`: how many do start is what the run shows.
pub fn plan_workers(config: &RunConfig) -> usize {
    match hand_out(config) {
        HandOut::OwnTask => {
            let tasks = config.items.div_ceil(config.resolved_chunksize().max(1));
            tasks.min(config.workers).max(1)
        }
        HandOut::Fifo { .. } | HandOut::OneAtATime => config.workers,
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
        HandOutRule::OneAtATime => HandOut::OneAtATime,
        HandOutRule::OwnTask | HandOutRule::WorkStealing => HandOut::OwnTask,
    }
}

/// The queue the workers take tasks from: a shared FIFO (through a bounded call queue for
/// `ProcessPoolExecutor`), one task at a time (`Pool.apply` in a loop), or one task of its
/// own per worker.
#[derive(Debug)]
pub(crate) struct TaskQueue {
    pending: VecDeque<Chunk>,
    ready: VecDeque<Chunk>,
    call_queue: Option<usize>,
    own: Vec<Option<Chunk>>,
    /// One task at a time: whether one is out and not yet back ([`TaskQueue::task_done`]).
    one_at_a_time: Option<bool>,
    /// Tasks taken into a process's pipe ahead of time ([`TaskQueue::take_ahead`]) that no
    /// process has started on yet: still in the call queue, and still queued.
    in_pipes: usize,
    /// Submitted by the caller one by one ([`TaskQueue::submit_next`]): whether the caller
    /// may still submit more (`Some(true)`), or has submitted them all.
    submitting: Option<bool>,
}

impl TaskQueue {
    /// The queue of `plan`, its call queue filled.
    pub(crate) fn new(plan: &Plan) -> Self {
        let mut queue = Self {
            pending: plan.chunks.iter().copied().collect(),
            ready: VecDeque::new(),
            call_queue: None,
            own: Vec::new(),
            one_at_a_time: None,
            in_pipes: 0,
            submitting: None,
        };
        match plan.hand_out {
            // The caller submits each task itself; none is takeable before.
            HandOut::Fifo { call_queue } if plan.threads_per_submit => {
                queue.call_queue = call_queue;
                queue.submitting = Some(true);
            }
            HandOut::Fifo { call_queue } => {
                queue.call_queue = call_queue;
                queue.refill();
            }
            // The caller submits each task only once the one before it is back.
            HandOut::OneAtATime => queue.one_at_a_time = Some(false),
            HandOut::OwnTask => queue.own = queue.pending.drain(..).map(Some).collect(),
        }
        queue
    }

    /// Moves pending tasks into the call queue while it has room.
    fn refill(&mut self) {
        if self.submitting.is_some() {
            return;
        }
        let room = self.call_queue.unwrap_or(usize::MAX);
        while self.ready.len() + self.in_pipes < room {
            match self.pending.pop_front() {
                Some(chunk) => self.ready.push_back(chunk),
                None => break,
            }
        }
    }

    /// The next task for `worker`: its own, or the head of the shared queue (which is then
    /// refilled).
    pub(crate) fn take(&mut self, worker: usize) -> Option<Chunk> {
        if !self.own.is_empty() {
            return self.own.get_mut(worker).and_then(Option::take);
        }
        if let Some(out) = self.one_at_a_time {
            let chunk = if out { None } else { self.pending.pop_front() };
            self.one_at_a_time = Some(out || chunk.is_some());
            return chunk;
        }
        let chunk = self.ready.pop_front();
        self.refill();
        chunk
    }

    /// The caller submits the next task (`executor.submit`): it joins the queue, takeable.
    /// Returns it, or `None` once every task is submitted.
    pub(crate) fn submit_next(&mut self) -> Option<Chunk> {
        let chunk = self.pending.pop_front()?;
        self.ready.push_back(chunk);
        Some(chunk)
    }

    /// The caller has submitted its last task (or stopped submitting).
    pub(crate) fn submitted_all(&mut self) {
        if self.submitting.is_some() {
            self.submitting = Some(false);
        }
    }

    /// Whether a worker that finds the queue empty is to wait for the caller's next submit
    /// (rather than leave).
    pub(crate) fn awaits_submits(&self) -> bool {
        self.submitting == Some(true) && self.ready.is_empty()
    }

    /// A task's result is back: one task at a time, the caller then submits the next.
    pub(crate) fn task_done(&mut self) {
        if self.one_at_a_time.is_some() {
            self.one_at_a_time = Some(false);
        }
    }

    /// Cancels the tasks not yet started, as `Executor.map` does once the exception reaches
    /// its caller: every queued task of a thread pool; of a process pool only those still
    /// pending (a task in the call queue is already marked running and runs). Returns them.
    pub(crate) fn cancel_not_started(&mut self) -> Vec<Chunk> {
        match self.call_queue {
            Some(_) => self.pending.drain(..).collect(),
            None => self.ready.drain(..).collect(),
        }
    }

    /// Takes every task still waiting (none is left to take them), in queue order.
    pub(crate) fn drain(&mut self) -> Vec<Chunk> {
        let own = self.own.iter_mut().filter_map(Option::take);
        let waiting: Vec<Chunk> = own.collect();
        waiting
            .into_iter()
            .chain(self.ready.drain(..))
            .chain(self.pending.drain(..))
            .collect()
    }

    /// The head of the shared queue, written into a process's pipe ahead of time (as
    /// CPython's task handler writes tasks into the pipe before a worker reads them): it
    /// stays queued, and in the call queue, until [`TaskQueue::pipe_read`].
    pub(crate) fn take_ahead(&mut self) -> Option<Chunk> {
        let chunk = self.ready.pop_front()?;
        self.in_pipes += 1;
        Some(chunk)
    }

    /// A process read a task from its pipe and started on it: the call queue has room again.
    pub(crate) fn pipe_read(&mut self) {
        self.in_pipes = self.in_pipes.saturating_sub(1);
        self.refill();
    }

    /// A task written into the pipe of a process that died before reading it goes back to
    /// the head of the queue (in CPython it never left the shared pipe).
    pub(crate) fn put_back(&mut self, chunk: Chunk) {
        self.in_pipes = self.in_pipes.saturating_sub(1);
        self.ready.push_front(chunk);
    }

    /// Tasks not yet written to any process (in the queue or still pending).
    pub(crate) fn unsent(&self) -> usize {
        self.ready.len() + self.pending.len() + self.own.iter().flatten().count()
    }

    /// The queue's depth now, at `t_ms`.
    pub(crate) fn depth(&self, t_ms: f64) -> DepthSample {
        DepthSample {
            t_ms,
            queued: self.ready.len() + self.in_pipes + self.own.iter().flatten().count(),
            // Tasks the caller has yet to submit are not pending work items: they do not
            // exist yet.
            pending: if self.submitting.is_some() {
                0
            } else {
                self.pending.len()
            },
        }
    }

    /// Whether workers take from the shared queue (not each from a task of its own).
    pub(crate) fn is_shared(&self) -> bool {
        self.own.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::strategy::Strategy;

    fn plan_of(query: &str) -> Plan {
        plan(&Inputs::from_query(query).validate().unwrap())
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
        let apply = plan_of("strategy=Pool.apply&workers=3&items=10");
        assert_eq!(
            (apply.chunks.len(), apply.hand_out, apply.workers),
            (10, HandOut::OneAtATime, 3)
        );
        let star_async = plan_of("strategy=Pool.starmap_async&workers=4&items=100");
        assert!(star_async.pairs && star_async.chunks.len() == 15);
        assert_eq!(star_async.delivery, Delivery::AllAtEnd);
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
    fn a_thread_pool_executor_may_start_up_to_max_workers_threads_one_per_submit() {
        // _adjust_thread_count: how many start depends on whether one is idle at each
        // submit, which the run shows; at most max_workers.
        let two = plan_of("strategy=ThreadPoolExecutor.map&workers=16&items=2");
        assert_eq!((two.workers, two.threads_per_submit), (16, true));
        // A Pool starts all its processes when it is made, whatever the items.
        let pool = plan_of("strategy=Pool.map&workers=8&items=2");
        assert_eq!((pool.workers, pool.threads_per_submit), (8, false));
    }

    #[test]
    fn a_submitted_task_is_takeable_only_once_the_caller_submitted_it() {
        let mut queue = TaskQueue::new(&plan_of(
            "strategy=ThreadPoolExecutor.map&workers=4&items=3",
        ));
        assert_eq!(queue.take(0), None, "nothing submitted yet");
        assert!(queue.awaits_submits());
        assert_eq!(queue.submit_next().map(|c| c.index), Some(0));
        assert!(!queue.awaits_submits());
        assert_eq!(queue.take(0).map(|c| c.index), Some(0));
        assert_eq!(queue.take(1), None, "task 1 is not submitted yet");
        assert_eq!(queue.submit_next().map(|c| c.index), Some(1));
        assert_eq!(queue.submit_next().map(|c| c.index), Some(2));
        assert_eq!(queue.submit_next(), None, "all 3 submitted");
        queue.submitted_all();
        assert_eq!(queue.take(1).map(|c| c.index), Some(1));
        assert_eq!(queue.take(1).map(|c| c.index), Some(2));
        assert!(
            !queue.awaits_submits(),
            "a worker that finds it empty now leaves"
        );
    }

    #[test]
    fn one_task_at_a_time_releases_the_next_only_once_the_one_before_is_back() {
        let mut queue = TaskQueue::new(&plan_of("strategy=Pool.apply&workers=3&items=3"));
        assert_eq!(queue.take(0).map(|c| c.index), Some(0));
        assert_eq!(
            queue.take(1),
            None,
            "task 1 is not submitted while task 0 is out"
        );
        queue.task_done();
        assert_eq!(queue.take(1).map(|c| c.index), Some(1));
        queue.task_done();
        assert_eq!(queue.take(2).map(|c| c.index), Some(2));
        queue.task_done();
        assert_eq!(queue.take(0), None, "every task done");
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
