//! The figures derived from a trace, computed once in one pass over its tasks (busy time per
//! worker, peak parallelism, pickling and GIL time, the speed-up), and what the caller
//! received: the results in delivery order and how many waited for earlier ones.

pub use crate::model::drawn::GatherCell;
use crate::model::record::ChunkRecord;
use crate::model::trace::{Metrics, TaskFacts, Trace};

impl Trace {
    /// The speed-up over the 1-worker run of the same workload, when it was measured.
    pub fn speedup(&self) -> Option<f64> {
        self.baseline_wall_ms
            .filter(|_| self.wall_ms > 0.0)
            .map(|baseline| baseline / self.wall_ms)
    }

    /// Computes the figures the page shows of every run now, so that reading them later costs
    /// nothing (the runtime calls it on a worker, and `Trace::verdict` after it).
    pub fn derive_figures(&self) {
        self.derived.metrics.get_or_init(|| self.compute_metrics());
        self.derived.waited.get_or_init(|| self.count_waited());
        self.task_facts();
    }

    /// What the page's views read of the tasks besides the figures (computed once).
    pub fn task_facts(&self) -> &TaskFacts {
        self.derived
            .task_facts
            .get_or_init(|| self.gather_task_facts())
    }

    fn gather_task_facts(&self) -> TaskFacts {
        let mut facts = TaskFacts {
            per_worker: vec![(0, 0); self.lanes()],
            ..TaskFacts::default()
        };
        for chunk in &self.chunks {
            if chunk.error.as_ref().and_then(|e| e.raised_item()).is_some() {
                facts.raised_chunks.push(chunk.index);
            }
            facts.any_transfer |= chunk.transfer_ms > 0.0;
            if let Some((chunks, items)) = facts.per_worker.get_mut(chunk.worker) {
                *chunks += 1;
                *items += chunk.len;
            }
        }
        facts.last_delivered_ms = self.delivered_ms.iter().copied().fold(0.0, f64::max);
        for sample in &self.queue_depth {
            facts.max_queued = facts.max_queued.max(sample.queued);
            facts.max_pending = facts.max_pending.max(sample.pending);
        }
        facts
    }

    /// The figures of this run (computed once; the speed-up read afresh, as the baseline may
    /// come after).
    pub fn metrics(&self) -> Metrics {
        Metrics {
            speedup: self.speedup(),
            ..self
                .derived
                .metrics
                .get_or_init(|| self.compute_metrics())
                .clone()
        }
    }

    fn compute_metrics(&self) -> Metrics {
        let mut starts = self.worker_started_ms.clone();
        starts.sort_by(f64::total_cmp);
        // One pass over the chunks (a million of them are 64 MB to read), the sweep for the
        // peak parallelism included.
        let mut busy_ms = vec![0.0; self.lanes()];
        let (mut sum_task_ms, mut transfer_ms, mut gil_wait_ms) = (0.0, 0.0, 0.0);
        // A handful of distinct threads among up to a million chunks: no sort needed.
        let mut threads: Vec<usize> = Vec::new();
        let mut sweep = PeakSweep::new(&self.chunks, &self.arrived);
        // On processes, a worker's busy time counts the stretch where its next chunk began
        // while the results of the one before crossed back (see below) once.
        let mut busy_until = vec![f64::NEG_INFINITY; self.lanes()];
        for chunk in &self.chunks {
            sweep.start(chunk.start_ms);
            if let (Some(busy), Some(until)) = (
                busy_ms.get_mut(chunk.worker),
                busy_until.get_mut(chunk.worker),
            ) {
                *busy += match self.processes {
                    Some(_) => (chunk.end_ms - chunk.start_ms.max(*until)).max(0.0),
                    None => chunk.duration_ms(),
                };
                *until = until.max(chunk.end_ms);
            }
            sum_task_ms += chunk.box_ms();
            transfer_ms += chunk.transfer_ms;
            gil_wait_ms += chunk.gil_wait_ms;
            if !threads.contains(&chunk.thread) {
                threads.push(chunk.thread);
            }
        }
        Metrics {
            wall_ms: self.wall_ms,
            sum_task_ms,
            busy_ms,
            speedup: self.speedup(),
            threads_used: threads.len(),
            // A process reads its next chunk from its pipe while the results of the one
            // before are still crossing to the parent: its two boxes overlap by that crossing,
            // but a process runs one chunk at a time.
            peak_parallelism: match self.processes {
                Some(_) => sweep.peak(&self.chunks).min(threads.len()),
                None => sweep.peak(&self.chunks),
            },
            transfer_ms,
            gil_wait_ms,
            median_worker_start_ms: starts.get(starts.len() / 2).copied().unwrap_or_default(),
            last_worker_start_ms: starts.last().copied().unwrap_or_default(),
        }
    }

    /// The results in the order the caller received them: chunk by chunk in `delivered`
    /// order (completion order for `imap_unordered`, input order for `map`, `imap`,
    /// `apply_async(...).get()` in call order …). `None` when the results are not listed.
    pub fn received_results(&self) -> Option<Vec<u64>> {
        let results = self.results.as_ref()?;
        Some(
            self.delivered
                .iter()
                .filter_map(|&index| self.chunks.get(index))
                .flat_map(|chunk| {
                    let end = (chunk.first_item + chunk.len).min(results.len());
                    results[chunk.first_item.min(end)..end].iter().copied()
                })
                .collect(),
        )
    }

    /// How many chunks' results reached the caller later than they arrived (waiting for
    /// earlier ones): one pass over the deliveries, without a cell per chunk.
    pub fn waited_count(&self) -> usize {
        *self.derived.waited.get_or_init(|| self.count_waited())
    }

    fn count_waited(&self) -> usize {
        self.delivered
            .iter()
            .zip(&self.delivered_ms)
            .filter(|&(&index, &at)| self.chunks.get(index).is_some_and(|c| at > c.end_ms))
            .count()
    }

    /// The gather, chunk by chunk in input order: when its results arrived, when they
    /// reached the caller, and how long they waited in between. The reference the page's
    /// binned gather (`layout::gather_bins`, one pass, no cell per chunk) is tested against.
    #[cfg(test)]
    pub(crate) fn gather_cells(&self) -> Vec<GatherCell> {
        // A stopped run keeps only the tasks that started: indices may have gaps.
        let tasks = self.chunks.iter().map(|c| c.index + 1).max().unwrap_or(0);
        let mut arrival_rank = vec![0; tasks];
        for (position, &index) in self.arrived.iter().enumerate() {
            if let Some(slot) = arrival_rank.get_mut(index) {
                *slot = position;
            }
        }
        let mut delivered_at = vec![None; tasks];
        for (&index, &at) in self.delivered.iter().zip(&self.delivered_ms) {
            if let Some(slot) = delivered_at.get_mut(index) {
                *slot = Some(at);
            }
        }
        self.chunks
            .iter()
            .map(|chunk| {
                let delivered_ms = delivered_at[chunk.index].unwrap_or(chunk.end_ms);
                GatherCell {
                    index: chunk.index,
                    arrival_rank: arrival_rank[chunk.index],
                    arrived_ms: chunk.end_ms,
                    delivered_ms,
                    waited_ms: (delivered_ms - chunk.end_ms).max(0.0),
                }
            })
            .collect()
    }
}

/// Most chunks running at one moment, swept over the chunks' starts (fed one by one, in
/// time order) against their ends (sorted up front). Ends count before starts at the same
/// instant: touching chunks do not overlap.
struct PeakSweep {
    ends: Vec<f64>,
    ended: usize,
    running: usize,
    peak: usize,
    last_start: f64,
    starts_in_order: bool,
}

impl PeakSweep {
    /// A sweep against the ends of `chunks`, taken in `arrived` order (in which they usually
    /// come sorted already) and sorted if they are not.
    fn new(chunks: &[ChunkRecord], arrived: &[usize]) -> Self {
        let mut ends: Vec<f64> = if arrived.len() == chunks.len() {
            arrived
                .iter()
                .filter_map(|&i| chunks.get(i))
                .map(|c| c.end_ms)
                .collect()
        } else {
            chunks.iter().map(|c| c.end_ms).collect()
        };
        if !ends.is_sorted_by(|a, b| a <= b) {
            ends.sort_by(f64::total_cmp);
        }
        Self {
            ends,
            ended: 0,
            running: 0,
            peak: 0,
            last_start: f64::NEG_INFINITY,
            starts_in_order: true,
        }
    }

    /// The next start; a start earlier than the one before spoils the sweep (see
    /// [`PeakSweep::peak`]).
    fn start(&mut self, start: f64) {
        self.starts_in_order &= start >= self.last_start;
        self.last_start = start;
        while self.ends.get(self.ended).is_some_and(|&end| end <= start) {
            self.ended += 1;
            self.running = self.running.saturating_sub(1);
        }
        self.running += 1;
        self.peak = self.peak.max(self.running);
    }

    /// The peak; if the starts came out of order, swept again over `chunks`' starts sorted.
    fn peak(self, chunks: &[ChunkRecord]) -> usize {
        if self.starts_in_order {
            return self.peak;
        }
        let mut starts: Vec<f64> = chunks.iter().map(|c| c.start_ms).collect();
        starts.sort_by(f64::total_cmp);
        let mut again = Self {
            ended: 0,
            running: 0,
            peak: 0,
            last_start: f64::NEG_INFINITY,
            starts_in_order: true,
            ..self
        };
        starts.into_iter().for_each(|start| again.start(start));
        again.peak
    }
}

#[cfg(test)]
mod tests {
    use crate::model::trace::tests::trace_of;

    #[test]
    fn a_stopped_trace_with_a_gap_in_its_tasks_still_gathers() {
        // threading.Thread stopped before thread 0 took its task: only task 1 is kept.
        let mut trace = trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.0, 2.0)], &[1]);
        trace.chunks.remove(0);
        trace.stopped = true;
        let cells = trace.gather_cells();
        assert_eq!(cells.len(), 1);
        assert_eq!((cells[0].index, cells[0].arrival_rank), (1, 0));
    }

    #[test]
    fn task_facts_gather_what_the_views_read_in_one_pass() {
        use crate::model::errors::TaskError;
        use crate::model::record::DepthSample;
        let mut trace = trace_of(
            &[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0), (0, 3, 4.0, 10.0)],
            &[0, 1, 2],
        );
        trace.chunks[1].error = Some(TaskError::Raised { item: 2 });
        trace.chunks[2].error = Some(TaskError::NotStarted);
        trace.chunks[2].len = 4;
        trace.chunks[2].transfer_ms = 0.5;
        trace.delivered_ms = vec![4.0, 12.0, 11.0];
        trace.queue_depth = [(3, 0), (1, 5), (0, 2)]
            .iter()
            .enumerate()
            .map(|(t, &(queued, pending))| DepthSample {
                t_ms: t as f64,
                queued,
                pending,
            })
            .collect();
        let facts = trace.task_facts();
        assert_eq!(
            facts.raised_chunks,
            [1],
            "only a task's own exception counts"
        );
        assert!(facts.any_transfer);
        assert_eq!(facts.per_worker, [(2, 5), (1, 1)]);
        assert_eq!(facts.last_delivered_ms, 12.0);
        assert_eq!((facts.max_queued, facts.max_pending), (3, 5));
        let plain = trace_of(&[(0, 0, 0.0, 1.0)], &[0]).task_facts().clone();
        assert!(plain.raised_chunks.is_empty() && !plain.any_transfer);
    }

    #[test]
    fn metrics_add_up_busy_time_per_worker() {
        let trace = trace_of(
            &[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0), (0, 3, 4.0, 10.0)],
            &[0, 1, 2],
        );
        let m = trace.metrics();
        assert_eq!(m.busy_ms, [10.0, 6.0]);
        assert_eq!(m.sum_task_ms, 16.0);
        assert_eq!(m.wall_ms, 10.0);
        assert_eq!(m.speedup, Some(2.0));
        assert_eq!(m.threads_used, 2);
        assert_eq!(m.peak_parallelism, 2);
    }

    #[test]
    fn touching_chunks_on_one_worker_do_not_count_as_parallel() {
        let trace = trace_of(&[(0, 0, 0.0, 1.0), (0, 0, 1.0, 2.0)], &[0, 1]);
        assert_eq!(trace.metrics().peak_parallelism, 1);
    }

    #[test]
    fn a_chunk_that_finishes_early_waits_for_earlier_ones() {
        // Chunk 0 is slow; chunk 1 arrives first and waits until chunk 0 is back (imap).
        let mut trace = trace_of(
            &[(0, 0, 0.0, 9.0), (1, 1, 0.0, 2.0), (1, 1, 2.0, 12.0)],
            &[1, 0, 2],
        );
        trace.delivered_ms = vec![9.0, 9.0, 12.0];
        let cells = trace.gather_cells();
        assert_eq!(
            cells.iter().map(|c| c.arrival_rank).collect::<Vec<_>>(),
            [1, 0, 2]
        );
        assert_eq!(
            cells.iter().map(|c| c.waited_ms).collect::<Vec<_>>(),
            [0.0, 7.0, 0.0]
        );
        assert_eq!(trace.waited_count(), 1);
    }

    #[test]
    fn a_process_whose_next_chunk_starts_while_results_cross_back_runs_one_at_a_time() {
        // Process 0 read chunk 1 at 2.0, while chunk 0's results reached the parent at 2.5.
        let spans = [(0, 0, 0.0, 2.5), (0, 0, 2.0, 4.0), (1, 1, 0.0, 4.0)];
        assert_eq!(
            trace_of(&spans, &[0, 1, 2]).metrics().peak_parallelism,
            3,
            "three chunk spans overlap"
        );
        let mut on_processes = trace_of(&spans, &[0, 1, 2]);
        on_processes.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![None, None],
            started_by_run: vec![false, false],
            replacements: Vec::new(),
        });
        assert_eq!(
            on_processes.metrics().peak_parallelism,
            2,
            "but only two processes"
        );
        assert_eq!(
            on_processes.metrics().busy_ms,
            [4.0, 4.0],
            "process 0 was busy from 0 to 4, not 4.5 ms"
        );
    }

    #[test]
    fn peak_parallelism_counts_overlaps_whatever_the_order() {
        let spans = [
            (0, 0, 0.0, 4.0),
            (1, 1, 1.0, 2.0),
            (2, 2, 1.5, 3.0),
            (1, 1, 2.0, 5.0),
            (0, 0, 4.0, 6.0),
        ];
        // 1.5–2: chunks 0, 1, 2; at 2 chunk 1 ends as chunk 3 starts.
        for arrived in [vec![1, 2, 0, 3, 4], vec![4, 3, 2, 1, 0], vec![]] {
            assert_eq!(trace_of(&spans, &arrived).metrics().peak_parallelism, 3);
        }
        let mut reversed = spans;
        reversed.reverse();
        assert_eq!(trace_of(&reversed, &[]).metrics().peak_parallelism, 3);
        let chain: Vec<(usize, usize, f64, f64)> = (0..1000)
            .map(|i| (0, 0, i as f64, i as f64 + 1.0))
            .collect();
        assert_eq!(trace_of(&chain, &[]).metrics().peak_parallelism, 1);
    }

    #[test]
    fn results_are_listed_in_the_order_the_caller_received_them() {
        // Three chunks of two items; chunk 2 came back first, then 0, then 1.
        let mut trace = trace_of(
            &[(0, 0, 0.0, 9.0), (1, 1, 0.0, 12.0), (1, 1, 0.0, 2.0)],
            &[2, 0, 1],
        );
        for (i, chunk) in trace.chunks.iter_mut().enumerate() {
            (chunk.first_item, chunk.len) = (2 * i, 2);
        }
        trace.results = Some(vec![1, 4, 9, 16, 25, 36]);
        trace.delivered = vec![2, 0, 1];
        assert_eq!(
            trace.received_results(),
            Some(vec![25, 36, 1, 4, 9, 16]),
            "imap_unordered: completion order"
        );
        trace.delivered = vec![0, 1, 2];
        assert_eq!(
            trace.received_results(),
            Some(vec![1, 4, 9, 16, 25, 36]),
            "map, imap: input order"
        );
        trace.results = None;
        assert_eq!(trace.received_results(), None);
    }
}
