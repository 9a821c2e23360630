//! What the workers of a task run hand back ([`TaskOutcome`]), and the trace made of it: the
//! result list checked place by place against a sequential map.

use crate::model::config::RunConfig;
use crate::model::errors::TaskError;
use crate::model::gil::GilSlice;
use crate::model::record::{ChunkRecord, DepthSample, Recording, RunFacts};
use crate::model::sentences::notes;
use crate::model::trace::{uncovered, Trace};

/// What the workers hand back once the last task is done.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutcome {
    /// Every task as it ran, in input order.
    pub records: Vec<ChunkRecord>,
    /// Task indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Task indices in the order their results reached the caller, and when.
    pub delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub delivered_ms: Vec<f64>,
    /// The result list in input order, 0 where no result came (`None` if a task never came
    /// back, nor raised, nor was cancelled).
    pub results: Option<Vec<u64>>,
    /// The first exception the caller received, and when, ms.
    pub raised: Option<(TaskError, f64)>,
    /// Tasks cancelled before they started (`Executor.map`).
    pub cancelled: Vec<usize>,
    /// Tasks left in the queue with no worker alive to take them (`queue.Queue`): `q.join()`
    /// would wait forever.
    pub stranded: Vec<usize>,
    /// Tasks the caller never submitted: its loop of blocking calls ended at an exception
    /// (`Pool.apply`).
    pub unsubmitted: Vec<usize>,
    /// When each worker began, ms.
    pub worker_started_ms: Vec<f64>,
    /// The queue's depth after every hand-out (FIFO strategies).
    pub queue_depth: Vec<DepthSample>,
    /// Whether the run was stopped before every task was done.
    pub stopped: bool,
    /// Who held the GIL, slice by slice (GIL runs).
    pub gil_slices: Vec<GilSlice>,
}

impl TaskOutcome {
    /// The trace of this outcome, for `config`.
    pub fn into_trace(self, config: &RunConfig, facts: RunFacts) -> Result<Trace, String> {
        if self.results.is_none() && !self.stopped {
            return Err("some tasks never came back from the workers".to_owned());
        }
        let stopped = self.stopped;
        let results = self.results.unwrap_or_default();
        let (raised, raised_at_ms) = self.raised.unzip();
        // Each place holds its own item's result, or 0 where its task failed (a request).
        let mut failed = vec![false; results.len()];
        let never_started = self
            .cancelled
            .iter()
            .chain(&self.stranded)
            .chain(&self.unsubmitted);
        let without_result = self
            .records
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.first_item..r.first_item + r.len)
            .chain(never_started.map(|&index| {
                let chunksize = config.resolved_chunksize().max(1);
                index * chunksize..((index + 1) * chunksize).min(config.items)
            }));
        for items in without_result {
            failed
                .get_mut(items)
                .into_iter()
                .flatten()
                .for_each(|f| *f = true);
        }
        // rayon's items skipped once an Err was seen are in no task.
        let an_item_raised = self
            .records
            .iter()
            .any(|r| r.error.as_ref().and_then(TaskError::raised_item).is_some());
        if an_item_raised && !stopped {
            for position in uncovered(&self.records, results.len()) {
                failed[position] = true;
            }
        }
        let results_in_order = !stopped
            && results.len() == config.items
            && results.iter().enumerate().all(|(position, &r)| {
                r == if failed[position] {
                    0
                } else {
                    config.workload.expected_result(position)
                }
            });
        // Threads started per submit: one lane each, of at most max_workers.
        let threads_started = config
            .strategy
            .rule()
            .workers_per_submit
            .then_some(self.worker_started_ms.len());
        let recording = Recording {
            workers: threads_started.map_or(self.worker_started_ms.len(), |_| config.workers),
            threads_started,
            chunksize: config.resolved_chunksize(),
            items: config.items,
            chunks: self.records,
            worker_started_ms: self.worker_started_ms,
            arrived: self.arrived,
            delivered: self.delivered,
            delivered_ms: self.delivered_ms,
            queue_depth: self.queue_depth,
            gil_slices: self.gil_slices,
            raised,
            raised_at_ms,
            cancelled: self.cancelled,
            stranded: self.stranded,
            unsubmitted: self.unsubmitted,
            notes: notes(config),
            results,
            results_listed: !stopped,
            results_in_order,
            stopped,
        };
        Ok(Trace::new(config, facts, recording))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::config::Inputs;
    use crate::model::errors::TaskError;
    use crate::model::tasks::tests::{run_with_io, FACTS};
    use crate::model::workload::Io;
    use std::sync::Arc;

    #[test]
    fn fetch_results_are_checked_against_the_shipped_file_sizes() {
        let config = Inputs::from_query("strategy=queue.Queue&workers=2&items=4&workload=fetch")
            .validate()
            .unwrap();
        let squares: Arc<Io> = Arc::new(|position| Ok(((position + 1) * (position + 1)) as u64));
        let wrong = run_with_io(&config, squares)
            .into_trace(&config, FACTS)
            .unwrap();
        assert!(
            !wrong.results_in_order,
            "x * x is not what a request receives"
        );
        let sizes: Arc<Io> =
            Arc::new(|position| Ok(crate::model::files::SHIPPED_FILES[position].bytes));
        let right = run_with_io(&config, sizes)
            .into_trace(&config, FACTS)
            .unwrap();
        assert!(right.results_in_order);
        let cpu = Inputs::from_query("strategy=queue.Queue&workers=2&items=4&cost=10")
            .validate()
            .unwrap();
        let unused: Arc<Io> = Arc::new(|_| Err(TaskError::Unavailable("never called")));
        let squared = run_with_io(&cpu, unused).into_trace(&cpu, FACTS).unwrap();
        assert!(squared.results_in_order && squared.chunks.iter().all(|c| c.error.is_none()));
        assert_eq!(squared.results.as_deref(), Some(&[1, 4, 9, 16][..]));
    }
}
