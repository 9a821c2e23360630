//! What a run recorded, and everything derived from it. Every picture, figure and export of
//! the page is a function of a [`Trace`]; nothing is computed from the settings alone.
//!
//! Times are milliseconds since the run started, measured on one clock across workers
//! (`performance.timeOrigin + performance.now()`; each worker's `now()` has its own origin).

use serde::Serialize;

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
}

impl ChunkRecord {
    /// How long the chunk ran.
    pub fn duration_ms(&self) -> f64 {
        self.end_ms - self.start_ms
    }
}

/// The results of a run are listed in full up to this many items; above, only the checksum.
pub const MAX_LISTED_RESULTS: usize = 10_000;

/// The record of one run. Serialized as is for `window.playground.run` and exports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// The strategy's Python spelling, e.g. `Pool.map`.
    pub strategy: String,
    /// Number of pool workers the run used.
    pub workers: usize,
    /// The chunk size used (resolved from CPython's default rule when none was given).
    pub chunksize: usize,
    /// Number of input items.
    pub items: usize,
    /// Work per item: the `k` in "count the primes below k".
    pub cost: u32,
    /// Whether the page was cross-origin isolated (needed for shared memory and workers).
    pub isolated: bool,
    /// Threads in the page's pool (the run used `workers` of them).
    pub pool_threads: usize,
    /// The run's start on the shared clock (`performance.timeOrigin + now()`), ms.
    pub started_at_ms: f64,
    /// From the call until the caller had every result, ms.
    pub wall_ms: f64,
    /// Every chunk, in input order.
    pub chunks: Vec<ChunkRecord>,
    /// Chunk indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// Chunk indices in the order their results reached the caller.
    pub delivered: Vec<usize>,
    /// Whether the gathered list equals a sequential map, item by item.
    pub results_in_order: bool,
    /// Sum of all results modulo 2^53 (exact as a JS number).
    pub checksum: u64,
    /// The gathered results, when there are at most [`MAX_LISTED_RESULTS`].
    pub results: Option<Vec<u64>>,
    /// Wall time of the same workload on one worker, when measured.
    pub baseline_wall_ms: Option<f64>,
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
}

impl Trace {
    /// The figures of this run.
    pub fn metrics(&self) -> Metrics {
        let mut busy_ms = vec![0.0; self.workers];
        for chunk in &self.chunks {
            if let Some(busy) = busy_ms.get_mut(chunk.worker) {
                *busy += chunk.duration_ms();
            }
        }
        let mut threads: Vec<usize> = self.chunks.iter().map(|c| c.thread).collect();
        threads.sort_unstable();
        threads.dedup();
        Metrics {
            wall_ms: self.wall_ms,
            sum_task_ms: self.chunks.iter().map(ChunkRecord::duration_ms).sum(),
            busy_ms,
            speedup: self
                .baseline_wall_ms
                .filter(|_| self.wall_ms > 0.0)
                .map(|baseline| baseline / self.wall_ms),
            threads_used: threads.len(),
            peak_parallelism: peak_parallelism(&self.chunks),
        }
    }

    /// The gather as the result list fills in input order: for each chunk, when it arrived
    /// and how long it waited for earlier chunks before its place in the list was reachable.
    pub fn gather_cells(&self) -> Vec<GatherCell> {
        let mut rank = vec![0; self.chunks.len()];
        for (position, &index) in self.arrived.iter().enumerate() {
            if let Some(slot) = rank.get_mut(index) {
                *slot = position;
            }
        }
        let mut ready_ms: f64 = 0.0;
        self.chunks
            .iter()
            .map(|chunk| {
                ready_ms = ready_ms.max(chunk.end_ms);
                GatherCell {
                    index: chunk.index,
                    arrival_rank: rank[chunk.index],
                    arrived_ms: chunk.end_ms,
                    waited_ms: ready_ms - chunk.end_ms,
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
    /// How long its results waited for earlier chunks, ms (0 if none was late).
    pub waited_ms: f64,
}

fn peak_parallelism(chunks: &[ChunkRecord]) -> usize {
    let mut events: Vec<(f64, i32)> = chunks
        .iter()
        .flat_map(|c| [(c.start_ms, 1), (c.end_ms, -1)])
        .collect();
    // Ends sort before starts at the same instant: touching chunks do not overlap.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut running, mut peak) = (0i32, 0i32);
    for (_, delta) in events {
        running += delta;
        peak = peak.max(running);
    }
    peak as usize
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
            })
            .collect::<Vec<_>>();
        Trace {
            strategy: "Pool.map".into(),
            workers: 2,
            chunksize: 1,
            items: chunks.len(),
            cost: 0,
            isolated: true,
            pool_threads: 16,
            started_at_ms: 0.0,
            wall_ms: spans.iter().map(|s| s.3).fold(0.0, f64::max),
            chunks,
            arrived: arrived.to_vec(),
            delivered: (0..spans.len()).collect(),
            results_in_order: true,
            checksum: 0,
            results: None,
            baseline_wall_ms: Some(20.0),
        }
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
        // Chunk 0 is slow; chunk 1 arrives first and waits until chunk 0 is back.
        let trace = trace_of(
            &[(0, 0, 0.0, 9.0), (1, 1, 0.0, 2.0), (1, 1, 2.0, 12.0)],
            &[1, 0, 2],
        );
        let cells = trace.gather_cells();
        assert_eq!(
            cells.iter().map(|c| c.arrival_rank).collect::<Vec<_>>(),
            [1, 0, 2]
        );
        assert_eq!(
            cells.iter().map(|c| c.waited_ms).collect::<Vec<_>>(),
            [0.0, 7.0, 0.0]
        );
    }

    #[test]
    fn checksum_is_exact_for_javascript() {
        assert_eq!(checksum(&[1, 4, 9]), 14);
        assert!(checksum(&[u64::MAX, u64::MAX]) < 1 << 53);
    }
}
