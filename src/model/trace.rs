//! What a run recorded, and everything derived from it. Every picture, figure and export of
//! the page is a function of a [`Trace`]; nothing is computed from the settings alone. What
//! each task recorded is in `model::record`; the figures derived from it in `model::metrics`.
//!
//! Times are milliseconds since the run started, measured on one clock across workers
//! (`performance.timeOrigin + performance.now()`; each worker's `now()` has its own origin).

use crate::model::config::RunConfig;
use crate::model::drawn::Drawings;
use crate::model::errors::TaskError;
use crate::model::gil::GilSlice;
use crate::model::item_work::item_value;
use crate::model::record::{ChunkRecord, DepthSample, ProcessStartup, Recording, RunFacts};
use crate::model::strategy::Strategy;
use crate::model::verdict::Verdict;
use crate::model::workload::WorkloadKind;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::sync::OnceLock;

/// The results of a run are listed in full up to this many items; above, only the checksum.
pub const MAX_LISTED_RESULTS: usize = 10_000;

/// The record of one run: the settings it ran with, what the runtime knew, and what it
/// recorded. Built by [`Trace::new`] for every strategy; serialised for `window.playground.run`
/// and exports with the documented keys (see the `Serialize` impl below).
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The validated settings the run started with.
    pub config: RunConfig,
    /// Number of workers the run used (threads, processes, or the one event loop); for
    /// `ThreadPoolExecutor`, its `max_workers` (how many started: `threads_started`).
    pub workers: usize,
    /// How many threads started, where a thread starts per submit only while none is idle
    /// (`ThreadPoolExecutor`): one lane each. `None` where every worker starts.
    pub threads_started: Option<usize>,
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
    /// The item (`1..=n`) whose exception the caller received (`raise_at`), if one did.
    pub raised_item: Option<u64>,
    /// When the caller received it, ms since the run started.
    pub raised_at_ms: Option<f64>,
    /// Tasks cancelled before they started (`Executor.map`, once its caller got the
    /// exception), in input order.
    pub cancelled: Vec<usize>,
    /// The items (`1..=n`) that never ran: those after the one that raised in its task, and
    /// every item of a cancelled or stranded task, in input order.
    pub never_ran: Vec<u64>,
    /// Tasks left in the queue with no worker alive (`queue.Queue` whose workers all raised):
    /// `q.join()` would wait forever, so the run ended there.
    pub stranded: Vec<usize>,
    /// Tasks the caller never submitted (`Pool.apply` in a loop whose call raised), in
    /// input order; written only when there are some.
    pub unsubmitted: Vec<usize>,
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
    /// The processes of a process run (process strategies only; set by the runtime).
    pub processes: Option<ProcessStartup>,
    /// The logical processors of the machine that ran it (CPython's `os.cpu_count()`; in a
    /// browser, `navigator.hardwareConcurrency`), so that a recorded run says where it ran.
    pub cpu_count: usize,
    /// When and in which browser the page recorded the run (set by the page; `None` in
    /// native runs).
    pub recorded_on: Option<RecordedOn>,
    /// Figures that follow from the rest, computed once (not part of the JSON).
    pub derived: Derived,
}

impl Trace {
    /// The trace of a run of `config`: the one constructor, for every strategy.
    pub fn new(config: &RunConfig, facts: RunFacts, recording: Recording) -> Self {
        let Recording {
            workers,
            threads_started,
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
            raised_at_ms,
            cancelled,
            stranded,
            unsubmitted,
            notes,
            results,
            results_listed,
            results_in_order,
            stopped,
        } = recording;
        let never_ran = never_ran(
            &chunks,
            &[&cancelled, &stranded, &unsubmitted],
            chunksize,
            items,
            stopped,
        );
        Self {
            config: config.clone(),
            workers,
            threads_started,
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
            raised_item: raised.as_ref().and_then(TaskError::raised_item),
            raised,
            raised_at_ms,
            cancelled,
            never_ran,
            stranded,
            unsubmitted,
            notes,
            results_in_order,
            checksum: checksum(&results),
            results: (results_listed && results.len() <= MAX_LISTED_RESULTS).then_some(results),
            baseline_wall_ms: None,
            baseline: None,
            stopped,
            processes: None,
            cpu_count: crate::model::machine::cpu_count(),
            recorded_on: None,
            derived: Derived::default(),
        }
    }

    /// How many lanes the run's workers take: one per worker, or per thread started where
    /// threads start per submit.
    pub fn lanes(&self) -> usize {
        self.threads_started.unwrap_or(self.workers)
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
        let mut out = serializer.serialize_struct("Trace", 33)?;
        out.serialize_field("strategy", self.strategy().name())?;
        out.serialize_field("workers", &self.workers)?;
        out.serialize_field("threads_started", &self.threads_started)?;
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
        out.serialize_field("raised_item", &self.raised_item)?;
        out.serialize_field("raised_at_ms", &self.raised_at_ms)?;
        out.serialize_field("cancelled", &self.cancelled)?;
        out.serialize_field("never_ran", &self.never_ran)?;
        out.serialize_field("stranded", &self.stranded)?;
        if self.unsubmitted.is_empty() {
            out.skip_field("unsubmitted")?;
        } else {
            out.serialize_field("unsubmitted", &self.unsubmitted)?;
        }
        out.serialize_field("notes", &self.notes)?;
        out.serialize_field("results_in_order", &self.results_in_order)?;
        out.serialize_field("checksum", &self.checksum)?;
        out.serialize_field("results", &self.results)?;
        out.serialize_field("baseline_wall_ms", &self.baseline_wall_ms)?;
        out.serialize_field("baseline", &self.baseline)?;
        out.serialize_field("stopped", &self.stopped)?;
        match &self.processes {
            Some(processes) => out.serialize_field("processes", processes)?,
            None => out.skip_field("processes")?,
        }
        out.serialize_field("verdict", self.verdict())?;
        out.serialize_field("cpu_count", &self.cpu_count)?;
        match &self.recorded_on {
            Some(recorded_on) => out.serialize_field("recorded_on", recorded_on)?,
            None => out.skip_field("recorded_on")?,
        }
        out.end()
    }
}

/// The items (`1..=n`) that never ran: after the raising item of each task that raised, and
/// every item of the tasks that never started (cancelled, stranded or never submitted; of
/// `chunksize` items each), in order. Once an item raised in a run that was not stopped,
/// every item in no task never ran too (rayon's pieces skipped, or cut short, once an `Err`
/// was seen: each records only the items it started).
fn never_ran(
    chunks: &[ChunkRecord],
    never_started: &[&[usize]],
    chunksize: usize,
    items: usize,
    stopped: bool,
) -> Vec<u64> {
    let after_raise = chunks.iter().filter_map(|chunk| {
        let item = chunk.error.as_ref()?.raised_item()?;
        let last = item_value(chunk.first_item + chunk.len - 1);
        Some(item + 1..=last)
    });
    let chunksize = chunksize.max(1);
    let whole = never_started.iter().copied().flatten().map(|&index| {
        let first = index * chunksize;
        let end = ((index + 1) * chunksize).min(items);
        item_value(first)..=(end as u64)
    });
    let mut never: Vec<u64> = after_raise.chain(whole).flatten().collect();
    if !stopped
        && chunks
            .iter()
            .any(|c| c.error.as_ref().and_then(TaskError::raised_item).is_some())
    {
        never.extend(uncovered(chunks, items).map(item_value));
    }
    never.sort_unstable();
    never.dedup();
    never
}

/// The positions `0..items` that no task covers, in order.
pub(crate) fn uncovered(chunks: &[ChunkRecord], items: usize) -> impl Iterator<Item = usize> {
    let mut covered = vec![false; items];
    for chunk in chunks {
        let end = (chunk.first_item + chunk.len).min(items);
        covered[chunk.first_item.min(end)..end].fill(true);
    }
    (0..items).filter(move |&position| !covered[position])
}

/// Figures derived from a trace's tasks, computed once, on first use: the runtime computes
/// them on the worker that built the trace ([`Trace::derive_figures`]), so that the page only
/// reads them. They follow from the rest of the trace, so they never make two traces unequal.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// The figures of the run (`Trace::metrics`).
    pub(crate) metrics: OnceLock<Metrics>,
    /// How many tasks' results waited for earlier ones (`Trace::waited_count`).
    pub(crate) waited: OnceLock<usize>,
    /// What the page's views read of the tasks besides the figures (`Trace::task_facts`).
    pub(crate) task_facts: OnceLock<TaskFacts>,
    /// What the page draws of it (`model::drawn`).
    pub(crate) drawings: Drawings,
    /// The verdict on the run (`Trace::verdict`).
    pub(crate) verdict: OnceLock<Verdict>,
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What the page's captions, lists and tables read of a run's tasks besides its figures,
/// gathered in one pass over them ([`Trace::task_facts`]), so that showing a run of a
/// million tasks reads none of them again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFacts {
    /// The chunks whose task raised (`ValueError`, or rayon's `Err`), by index, in order.
    pub raised_chunks: Vec<usize>,
    /// Whether any task spent time pickling or crossing to and from a process.
    pub any_transfer: bool,
    /// Chunks and items each worker ran (index = worker).
    pub per_worker: Vec<(usize, usize)>,
    /// When the last results reached the caller, ms (0 when none did).
    pub last_delivered_ms: f64,
    /// The most tasks the queue the workers take from held.
    pub max_queued: usize,
    /// The most work items that waited outside the call queue (0 where there is none).
    pub max_pending: usize,
}

/// When and where a run was recorded, as the page saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedOn {
    /// When the run finished, as an ISO 8601 date and time in UTC.
    pub date: String,
    /// The browser, by name and major version (`Chrome 131`).
    pub browser: String,
}

/// Where a run's 1-worker baseline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineSource {
    /// Measured right after this run.
    Measured,
    /// Measured earlier on this page for the same workload, and reused.
    Stored,
    /// This run itself was the 1-worker run of its workload.
    ThisRun,
}

/// The checksum of a result list: sum modulo 2^53.
pub fn checksum(results: &[u64]) -> u64 {
    const MODULUS: u64 = 1 << 53;
    results
        .iter()
        .fold(0, |sum, r| (sum + r % MODULUS) % MODULUS)
}

/// Figures derived from a trace (computed in `model::metrics`, cached by the trace).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Wall time of the run, ms.
    pub wall_ms: f64,
    /// Sum over chunks of their run time (on a process, of its box on its lane:
    /// [`crate::model::record::ChunkRecord::box_ms`]), ms.
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A trace of `config` that took `wall_ms`, with no task recorded (the chunks are the
    /// caller's to add).
    pub(crate) fn trace_for(config: &RunConfig, wall_ms: f64) -> Trace {
        let recording = Recording {
            workers: config.workers,
            chunksize: config.resolved_chunksize(),
            items: config.items,
            results_in_order: true,
            ..Recording::default()
        };
        let facts = RunFacts {
            isolated: true,
            pool_threads: 16,
            started_at_ms: 0.0,
            wall_ms,
        };
        Trace::new(config, facts, recording)
    }

    /// `tasks` spans of 0.009 ms dealt round-robin to 4 lanes, 0.01 ms apart on each: a
    /// large run for the drawings and exports.
    pub(crate) fn round_robin_spans(tasks: usize) -> Vec<(usize, usize, f64, f64)> {
        (0..tasks)
            .map(|i| {
                let start = (i / 4) as f64 * 0.01;
                (i % 4, i % 4, start, start + 0.009)
            })
            .collect()
    }

    /// Two threads taking turns with the GIL over 10 ms: lane 0 holds it for the first 5 ms
    /// while lane 1 waits, then lane 1.
    pub(crate) fn gil_taken_in_turns() -> Vec<GilSlice> {
        vec![
            GilSlice {
                worker: 0,
                asked_ms: 0.0,
                start_ms: 0.0,
                end_ms: 5.0,
            },
            GilSlice {
                worker: 1,
                asked_ms: 0.0,
                start_ms: 5.0,
                end_ms: 10.0,
            },
        ]
    }

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
                process: None,
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
    fn checksum_is_exact_for_javascript() {
        assert_eq!(checksum(&[1, 4, 9]), 14);
        assert!(checksum(&[u64::MAX, u64::MAX]) < 1 << 53);
    }
}
