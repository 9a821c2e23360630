//! What a run recorded, and everything derived from it. Every picture, figure and export of
//! the page is a function of a [`Trace`]; nothing is computed from the settings alone.
//!
//! Times are milliseconds since the run started, measured on one clock across workers
//! (`performance.timeOrigin + performance.now()`; each worker's `now()` has its own origin).

use crate::model::config::RunConfig;
use crate::model::errors::TaskError;
use crate::model::gil::GilSlice;
use crate::model::item_work::item_value;
use crate::model::strategy::Strategy;
use crate::model::workload::WorkloadKind;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::sync::OnceLock;

/// One chunk as it really ran: which worker took it and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChunkRecord {
    /// Position of the chunk in input order.
    pub index: usize,
    /// Input position of its first item.
    pub first_item: usize,
    /// Number of items.
    pub len: usize,
    /// The pool worker (0-based) that ran it.
    pub worker: usize,
    /// The real thread (rayon's thread index, one Web Worker each) that ran it.
    pub thread: usize,
    /// When the worker took it, ms since the run started.
    pub start_ms: f64,
    /// When its results were handed back, ms since the run started.
    pub end_ms: f64,
    /// Of that span, the time spent pickling arguments and results to bytes and back (process
    /// strategies only), ms.
    pub transfer_ms: f64,
    /// Of that span, the time spent waiting for the GIL (thread strategies with the GIL on), ms.
    pub gil_wait_ms: f64,
    /// Why the task failed (fetch strategies: HTTP status, network error, timeout …), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
    /// Whether the run was stopped while this task ran: it ended part-way at `end_ms`, and its
    /// results never reached the caller.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

impl ChunkRecord {
    /// How long the chunk ran.
    pub fn duration_ms(&self) -> f64 {
        self.end_ms - self.start_ms
    }
}

/// The results of a run are listed in full up to this many items; above, only the checksum.
pub const MAX_LISTED_RESULTS: usize = 10_000;

/// The record of one run: the settings it ran with, what the runtime knew, and what it
/// recorded. Built by [`Trace::new`] for every strategy; serialised for `window.playground.run`
/// and exports with the documented keys (see the `Serialize` impl below).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The validated settings the run started with.
    pub config: RunConfig,
    /// Number of workers the run used (threads, processes, or the one event loop).
    pub workers: usize,
    /// The chunk size used (resolved from CPython's default rule when none was given).
    pub chunksize: usize,
    /// Number of input items (requests, for the fetch strategies).
    pub items: usize,
    /// Whether the page was cross-origin isolated (needed for shared memory and workers).
    pub isolated: bool,
    /// Threads in the page's pool (the run used `workers` of them).
    pub pool_threads: usize,
    /// The run's start on the shared clock (`performance.timeOrigin + now()`), ms.
    pub started_at_ms: f64,
    /// From the call until the caller had every result, ms.
    pub wall_ms: f64,
    /// Every chunk (task), in input order.
    pub chunks: Vec<ChunkRecord>,
    /// When each worker (thread, process, event loop) began, ms since the run started.
    pub worker_started_ms: Vec<f64>,
    /// Chunk indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Chunk indices in the order their results reached the caller.
    pub delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms since the run started.
    pub delivered_ms: Vec<f64>,
    /// Samples of the task queue's depth over time (queue-based strategies), in time order.
    pub queue_depth: Vec<DepthSample>,
    /// Who held the GIL, slice by slice, in hand-over order (thread strategies with the GIL
    /// on); the slices never overlap.
    pub gil_slices: Vec<GilSlice>,
    /// The exception raised to the caller, if one was (e.g. `asyncio.gather` without
    /// `return_exceptions`): the caller got it instead of the results.
    pub raised: Option<TaskError>,
    /// What differs in the browser from the Python runtime, said plainly.
    pub notes: Vec<String>,
    /// Whether the gathered list equals a sequential map, item by item.
    pub results_in_order: bool,
    /// Sum of all results modulo 2^53 (exact as a JS number).
    pub checksum: u64,
    /// The gathered results, when there are at most [`MAX_LISTED_RESULTS`].
    pub results: Option<Vec<u64>>,
    /// Wall time of the same workload on one worker, when measured.
    pub baseline_wall_ms: Option<f64>,
    /// Where `baseline_wall_ms` came from, when there is one.
    pub baseline: Option<BaselineSource>,
    /// Whether the run was stopped before it finished: the trace holds what ran until then
    /// (tasks cut short are marked `stopped`), and the caller got no result list.
    pub stopped: bool,
    /// Figures that follow from the rest, computed once (not part of the JSON).
    pub derived: Derived,
}

/// Facts of a run that only the runtime knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunFacts {
    /// Whether the page was cross-origin isolated.
    pub isolated: bool,
    /// Threads in the page's pool.
    pub pool_threads: usize,
    /// The run's start on the shared clock, ms since the epoch.
    pub started_at_ms: f64,
    /// From the call until the caller had every result, ms.
    pub wall_ms: f64,
}

/// What a strategy's run recorded, in the form every strategy has: handed to [`Trace::new`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// Number of workers used.
    pub workers: usize,
    /// The chunk size used.
    pub chunksize: usize,
    /// Number of input items (requests).
    pub items: usize,
    /// Every task as it ran, in input order.
    pub chunks: Vec<ChunkRecord>,
    /// When each worker began, ms.
    pub worker_started_ms: Vec<f64>,
    /// Task indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Task indices in the order their results reached the caller.
    pub delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub delivered_ms: Vec<f64>,
    /// The queue's depth after every hand-out (queue-based strategies).
    pub queue_depth: Vec<DepthSample>,
    /// Who held the GIL, slice by slice (GIL runs).
    pub gil_slices: Vec<GilSlice>,
    /// The exception the caller got instead of the results, if any.
    pub raised: Option<TaskError>,
    /// What differs in the browser from the runtime named.
    pub notes: Vec<String>,
    /// The result list in input order (0 where a task failed).
    pub results: Vec<u64>,
    /// Whether `results` may be listed (a stopped task run's partial list is not).
    pub results_listed: bool,
    /// Whether each place of `results` holds what it should.
    pub results_in_order: bool,
    /// Whether the run was stopped before it finished.
    pub stopped: bool,
}

impl Trace {
    /// The trace of a run of `config`: the one constructor, for every strategy.
    pub fn new(config: &RunConfig, facts: RunFacts, recording: Recording) -> Self {
        let Recording {
            workers,
            chunksize,
            items,
            chunks,
            worker_started_ms,
            arrived,
            delivered,
            delivered_ms,
            queue_depth,
            gil_slices,
            raised,
            notes,
            results,
            results_listed,
            results_in_order,
            stopped,
        } = recording;
        Self {
            config: config.clone(),
            workers,
            chunksize,
            items,
            isolated: facts.isolated,
            pool_threads: facts.pool_threads,
            started_at_ms: facts.started_at_ms,
            wall_ms: facts.wall_ms,
            chunks,
            worker_started_ms,
            arrived,
            delivered,
            delivered_ms,
            queue_depth,
            gil_slices,
            raised,
            notes,
            results_in_order,
            checksum: checksum(&results),
            results: (results_listed && results.len() <= MAX_LISTED_RESULTS).then_some(results),
            baseline_wall_ms: None,
            baseline: None,
            stopped,
            derived: Derived::default(),
        }
    }

    /// The strategy that ran.
    pub fn strategy(&self) -> Strategy {
        self.config.strategy
    }

    /// The work each task did: `fetch` for the fetch strategies, whose tasks are requests.
    pub fn workload(&self) -> WorkloadKind {
        if self.strategy().is_fetch() {
            WorkloadKind::Fetch
        } else {
            self.config.workload.kind
        }
    }

    /// Whether the tasks were requests (the fetch workload, or a fetch strategy).
    pub fn tasks_are_requests(&self) -> bool {
        self.workload() == WorkloadKind::Fetch
    }

    /// Whether a GIL was held while threads computed (thread strategies with the GIL on).
    pub fn gil(&self) -> bool {
        self.strategy().is_threaded() && self.config.gil
    }

    /// The URL query that reproduces this run.
    pub fn query(&self) -> String {
        self.config.to_query()
    }

    /// The number the page shows for the item at `position`: its value (`1..=n`), or for
    /// requests their index, as the lanes and the errors number requests.
    pub fn item_number(&self, position: usize) -> u64 {
        if self.tasks_are_requests() {
            position as u64
        } else {
            item_value(position)
        }
    }
}

/// The JSON of a trace, as documented for `window.playground.run`: the settings first
/// (`strategy` by its Python name; for the fetch strategies `workload` is `fetch`, `cost` the
/// added latency in ms and `shape` `files` or `urls`), then what was recorded.
impl Serialize for Trace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let config = &self.config;
        let fetch = self.strategy().is_fetch();
        let (cost, shape, seed) = match (fetch, config.fetch.urls.is_empty()) {
            (true, true) => (config.fetch.latency_ms, "files", 0),
            (true, false) => (config.fetch.latency_ms, "urls", 0),
            (false, _) => (
                config.workload.cost,
                config.workload.shape.name(),
                config.workload.seed,
            ),
        };
        let mut out = serializer.serialize_struct("Trace", 29)?;
        out.serialize_field("strategy", self.strategy().name())?;
        out.serialize_field("workers", &self.workers)?;
        out.serialize_field("chunksize", &self.chunksize)?;
        out.serialize_field("items", &self.items)?;
        out.serialize_field("cost", &cost)?;
        out.serialize_field("workload", self.workload().name())?;
        out.serialize_field("shape", shape)?;
        out.serialize_field("seed", &seed)?;
        out.serialize_field("gil", &self.gil())?;
        out.serialize_field("query", &self.query())?;
        out.serialize_field("isolated", &self.isolated)?;
        out.serialize_field("pool_threads", &self.pool_threads)?;
        out.serialize_field("started_at_ms", &self.started_at_ms)?;
        out.serialize_field("wall_ms", &self.wall_ms)?;
        out.serialize_field("chunks", &self.chunks)?;
        out.serialize_field("worker_started_ms", &self.worker_started_ms)?;
        out.serialize_field("arrived", &self.arrived)?;
        out.serialize_field("delivered", &self.delivered)?;
        out.serialize_field("delivered_ms", &self.delivered_ms)?;
        out.serialize_field("queue_depth", &self.queue_depth)?;
        out.serialize_field("gil_slices", &self.gil_slices)?;
        out.serialize_field("raised", &self.raised)?;
        out.serialize_field("notes", &self.notes)?;
        out.serialize_field("results_in_order", &self.results_in_order)?;
        out.serialize_field("checksum", &self.checksum)?;
        out.serialize_field("results", &self.results)?;
        out.serialize_field("baseline_wall_ms", &self.baseline_wall_ms)?;
        out.serialize_field("baseline", &self.baseline)?;
        out.serialize_field("stopped", &self.stopped)?;
        out.end()
    }
}

/// Figures derived from a trace's tasks, computed once, on first use: the runtime computes
/// them on the worker that built the trace ([`Trace::derive_figures`]), so that the page only
/// reads them. They follow from the rest of the trace, so they never make two traces unequal.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    metrics: OnceLock<Metrics>,
    waited: OnceLock<usize>,
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Where a run's 1-worker baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    /// Measured right after this run.
    Measured,
    /// Measured earlier on this page for the same workload, and reused.
    Stored,
    /// This run itself was the 1-worker run of its workload.
    ThisRun,
}

/// The depth of a task queue at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DepthSample {
    /// When, ms since the run started.
    pub t_ms: f64,
    /// Tasks waiting in the queue the workers take from.
    pub queued: usize,
    /// Tasks submitted but not yet in that queue (ProcessPoolExecutor's pending work items).
    pub pending: usize,
}

/// The checksum of a result list: sum modulo 2^53.
pub fn checksum(results: &[u64]) -> u64 {
    const MODULUS: u64 = 1 << 53;
    results
        .iter()
        .fold(0, |sum, r| (sum + r % MODULUS) % MODULUS)
}

/// Figures derived from a trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Wall time of the run, ms.
    pub wall_ms: f64,
    /// Sum over chunks of their run time, ms.
    pub sum_task_ms: f64,
    /// Busy time per worker, ms (index = worker).
    pub busy_ms: Vec<f64>,
    /// Speed-up over the one-worker run of the same workload, when measured.
    pub speedup: Option<f64>,
    /// Distinct real threads that ran chunks.
    pub threads_used: usize,
    /// Most chunks running at the same moment.
    pub peak_parallelism: usize,
    /// Time spent pickling arguments and results, summed over chunks, ms.
    pub transfer_ms: f64,
    /// Time spent waiting for the GIL, summed over chunks, ms.
    pub gil_wait_ms: f64,
    /// Median time from the run's start to a worker beginning (a thread's start cost), ms.
    pub median_worker_start_ms: f64,
    /// When the last worker began, ms.
    pub last_worker_start_ms: f64,
}

impl Trace {
    /// The task with this index. The chunks are in index order, and every index is there
    /// unless the run was stopped (then the tasks that never started are missing).
    pub fn chunk(&self, index: usize) -> Option<&ChunkRecord> {
        match self.chunks.get(index) {
            Some(chunk) if chunk.index == index => Some(chunk),
            _ => self
                .chunks
                .binary_search_by_key(&index, |c| c.index)
                .ok()
                .map(|position| &self.chunks[position]),
        }
    }

    /// The speed-up over the 1-worker run of the same workload, when it was measured.
    pub fn speedup(&self) -> Option<f64> {
        self.baseline_wall_ms
            .filter(|_| self.wall_ms > 0.0)
            .map(|baseline| baseline / self.wall_ms)
    }

    /// Computes the figures the page shows of every run now, so that reading them later costs
    /// nothing (the runtime calls it on a worker).
    pub fn derive_figures(&self) {
        self.derived.metrics.get_or_init(|| self.compute_metrics());
        self.derived.waited.get_or_init(|| self.count_waited());
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
        let mut busy_ms = vec![0.0; self.workers];
        let (mut sum_task_ms, mut transfer_ms, mut gil_wait_ms) = (0.0, 0.0, 0.0);
        // A handful of distinct threads among up to a million chunks: no sort needed.
        let mut threads: Vec<usize> = Vec::new();
        let mut sweep = PeakSweep::new(&self.chunks, &self.arrived);
        for chunk in &self.chunks {
            sweep.start(chunk.start_ms);
            if let Some(busy) = busy_ms.get_mut(chunk.worker) {
                *busy += chunk.duration_ms();
            }
            sum_task_ms += chunk.duration_ms();
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
            peak_parallelism: sweep.peak(&self.chunks),
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

/// One chunk's place in the gathered list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GatherCell {
    /// The chunk.
    pub index: usize,
    /// 0 for the first chunk whose results arrived, 1 for the second …
    pub arrival_rank: usize,
    /// When its results arrived, ms since the start.
    pub arrived_ms: f64,
    /// When its results reached the caller, ms since the start.
    pub delivered_ms: f64,
    /// How long its results waited between arriving and reaching the caller, ms.
    pub waited_ms: f64,
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
pub(crate) mod tests {
    use super::*;

    /// A trace of `spans` (worker, thread, start, end), one chunk each, in input order.
    pub(crate) fn trace_of(spans: &[(usize, usize, f64, f64)], arrived: &[usize]) -> Trace {
        let chunks = spans
            .iter()
            .enumerate()
            .map(|(index, &(worker, thread, start_ms, end_ms))| ChunkRecord {
                index,
                first_item: index,
                len: 1,
                worker,
                thread,
                start_ms,
                end_ms,
                transfer_ms: 0.0,
                gil_wait_ms: 0.0,
                error: None,
                stopped: false,
            })
            .collect::<Vec<_>>();
        let config = crate::model::config::Inputs::from_query("workers=2")
            .validate()
            .expect("the defaults on 2 workers are valid");
        let facts = RunFacts {
            isolated: true,
            pool_threads: 16,
            started_at_ms: 0.0,
            wall_ms: spans.iter().map(|s| s.3).fold(0.0, f64::max),
        };
        let recording = Recording {
            workers: 2,
            chunksize: 1,
            items: chunks.len(),
            worker_started_ms: vec![0.0, 0.0],
            arrived: arrived.to_vec(),
            delivered: (0..spans.len()).collect(),
            delivered_ms: vec![0.0; spans.len()],
            results_in_order: true,
            chunks,
            ..Recording::default()
        };
        Trace {
            baseline_wall_ms: Some(20.0),
            baseline: Some(BaselineSource::Measured),
            ..Trace::new(&config, facts, recording)
        }
    }

    #[test]
    fn a_task_is_found_by_its_index_even_where_earlier_ones_never_started() {
        let mut trace = trace_of(
            &[(0, 0, 0.0, 1.0), (1, 1, 0.0, 2.0), (0, 0, 1.0, 3.0)],
            &[0, 1],
        );
        assert_eq!(trace.chunk(1).map(|c| c.end_ms), Some(2.0));
        trace.chunks.remove(0);
        assert_eq!(trace.chunk(2).map(|c| c.end_ms), Some(3.0));
        assert_eq!(trace.chunk(0), None);
        assert_eq!(trace.chunk(7), None);
    }

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

    #[test]
    fn checksum_is_exact_for_javascript() {
        assert_eq!(checksum(&[1, 4, 9]), 14);
        assert!(checksum(&[u64::MAX, u64::MAX]) < 1 << 53);
    }
}
