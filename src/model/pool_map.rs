//! `multiprocessing.Pool.map(f, items, chunksize)` as CPython 3.11–3.13 runs it.
//!
//! Mirrors `Lib/multiprocessing/pool.py`: `Pool._map_async` (the default chunk size rule),
//! `Pool._get_tasks` (cutting the input into consecutive chunks) and `MapResult._set`
//! (results placed by chunk index, the whole list released when every chunk is back).
//! All chunks go, in order, into ONE shared FIFO queue; whichever worker is idle takes the
//! next one ([`ChunkQueue`]). Nothing is pre-assigned to a worker.

use crate::model::trace::ChunkRecord;
use crate::model::workload::Workload;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The chunk size `Pool.map` uses when none is given (`Pool._map_async`):
/// `chunksize, extra = divmod(len(items), workers * 4)`, plus one if `extra`.
/// An empty input gives 0 (CPython sets `chunksize = 0` and returns an empty result).
pub fn default_chunksize(items: usize, workers: usize) -> usize {
    if items == 0 {
        return 0;
    }
    let per_round = workers.max(1) * 4;
    let (chunksize, extra) = (items / per_round, items % per_round);
    if extra > 0 {
        chunksize + 1
    } else {
        chunksize
    }
}

/// The rule behind [`default_chunksize`] written out with the numbers of this run, as the
/// page shows it next to the resolved value: `ceil(100 / (4 × 4))`.
pub fn default_chunksize_formula(items: usize, workers: usize) -> String {
    if items == 0 {
        return "no items: empty result".to_owned();
    }
    format!("ceil({items} / ({workers} × 4))")
}

/// One chunk: `len` consecutive items starting at `first_item` (0-based position in the
/// input), numbered `index` in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// Position of the chunk in input order (0, 1, 2 …).
    pub index: usize,
    /// Position in the input of the chunk's first item.
    pub first_item: usize,
    /// How many items the chunk holds (the last one may be shorter).
    pub len: usize,
}

impl Chunk {
    /// The input positions this chunk covers.
    pub fn items(&self) -> std::ops::Range<usize> {
        self.first_item..self.first_item + self.len
    }
}

/// Cuts `items` inputs into chunks of `chunksize` consecutive items, the last possibly
/// shorter (`Pool._get_tasks`). A chunk size of 0 is only valid for an empty input.
pub fn split(items: usize, chunksize: usize) -> Vec<Chunk> {
    if items == 0 || chunksize == 0 {
        return Vec::new();
    }
    (0..items.div_ceil(chunksize))
        .map(|index| {
            let first_item = index * chunksize;
            Chunk {
                index,
                first_item,
                len: chunksize.min(items - first_item),
            }
        })
        .collect()
}

/// The one shared FIFO task queue of a `Pool`: chunks are put in input order, and each idle
/// worker takes the next one. The runtime wraps it in a lock shared by the workers.
#[derive(Debug, Clone)]
pub struct ChunkQueue {
    chunks: Vec<Chunk>,
    next: usize,
}

impl ChunkQueue {
    /// A queue holding `chunks` in the order given (input order for `Pool.map`).
    pub fn new(chunks: Vec<Chunk>) -> Self {
        Self { chunks, next: 0 }
    }

    /// The next chunk for an idle worker, or `None` when the queue is drained.
    pub fn take(&mut self) -> Option<Chunk> {
        let chunk = self.chunks.get(self.next).copied();
        if chunk.is_some() {
            self.next += 1;
        }
        chunk
    }

    /// Chunks still waiting in the queue.
    pub fn depth(&self) -> usize {
        self.chunks.len() - self.next
    }
}

/// The result list of `Pool.map` as the result handler fills it (`MapResult._set`): each
/// chunk's results land at positions `index * chunksize ..`, in whatever order chunks
/// arrive; the caller gets the list only once every chunk is back.
#[derive(Debug, Clone)]
pub struct MapGather<T> {
    slots: Vec<Option<T>>,
    arrived: Vec<usize>,
    chunks_expected: usize,
}

impl<T: Clone> MapGather<T> {
    /// An empty result list for `items` inputs split into `chunks_expected` chunks.
    pub fn new(items: usize, chunks_expected: usize) -> Self {
        Self {
            slots: vec![None; items],
            arrived: Vec::with_capacity(chunks_expected),
            chunks_expected,
        }
    }

    /// Records that `chunk`'s results arrived (they must be one per item of the chunk).
    pub fn chunk_arrived(&mut self, chunk: Chunk, results: Vec<T>) {
        debug_assert_eq!(results.len(), chunk.len, "one result per item");
        for (slot, result) in self.slots[chunk.items()].iter_mut().zip(results) {
            *slot = Some(result);
        }
        self.arrived.push(chunk.index);
    }

    /// Chunk indices in the order their results reached the result handler.
    pub fn arrival_order(&self) -> &[usize] {
        &self.arrived
    }

    /// The result list in input order, released only when every chunk is back
    /// (`None` before that, as `MapResult.ready()` is false).
    pub fn into_results(self) -> Option<Vec<T>> {
        if self.arrived.len() != self.chunks_expected {
            return None;
        }
        self.slots.into_iter().collect()
    }
}

/// What the workers of a run hand back once the last chunk is done.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOutcome {
    /// Every chunk as it ran, in input order.
    pub records: Vec<ChunkRecord>,
    /// Chunk indices in the order their results reached the result handler.
    pub arrived: Vec<usize>,
    /// The result list in input order (`None` if a chunk never came back).
    pub results: Option<Vec<u64>>,
}

/// One `Pool.map` run shared by its worker threads: the FIFO queue, the result handler and
/// the record of who ran what when. Each worker thread calls [`MapRun::worker_loop`]; only
/// worker threads take its locks (the page's thread must never block on them).
#[derive(Debug)]
pub struct MapRun {
    workload: Workload,
    queue: Mutex<ChunkQueue>,
    gathered: Mutex<(MapGather<u64>, Vec<ChunkRecord>)>,
    workers_running: AtomicUsize,
}

impl MapRun {
    /// A run of `workload` over `items` items in chunks of `chunksize`, by `workers` workers.
    pub fn new(workload: Workload, items: usize, chunksize: usize, workers: usize) -> Self {
        let chunks = split(items, chunksize);
        let chunk_count = chunks.len();
        Self {
            workload,
            queue: Mutex::new(ChunkQueue::new(chunks)),
            gathered: Mutex::new((
                MapGather::new(items, chunk_count),
                Vec::with_capacity(chunk_count),
            )),
            workers_running: AtomicUsize::new(workers),
        }
    }

    /// One pool worker: while the queue has a chunk, take the next one, run it whole and hand
    /// its results to the result handler. `now_ms` reads the run's shared clock; `thread`
    /// names the real thread. The worker that finishes last returns the run's outcome.
    pub fn worker_loop(
        &self,
        worker: usize,
        thread: usize,
        now_ms: impl Fn() -> f64,
    ) -> Option<MapOutcome> {
        loop {
            // The time is read while the queue is held, so take times follow queue order.
            let (next, start_ms) = {
                let mut queue = lock(&self.queue);
                (queue.take(), now_ms())
            };
            let Some(chunk) = next else { break };
            let results: Vec<u64> = chunk.items().map(|p| self.workload.run_item(p)).collect();
            let end_ms = now_ms();
            let mut gathered = lock(&self.gathered);
            gathered.0.chunk_arrived(chunk, results);
            gathered.1.push(ChunkRecord {
                index: chunk.index,
                first_item: chunk.first_item,
                len: chunk.len,
                worker,
                thread,
                start_ms,
                end_ms,
            });
        }
        if self.workers_running.fetch_sub(1, Ordering::AcqRel) != 1 {
            return None;
        }
        let (gather, mut records) = std::mem::replace(
            &mut *lock(&self.gathered),
            (MapGather::new(0, 0), Vec::new()),
        );
        records.sort_by_key(|r| r.index);
        Some(MapOutcome {
            records,
            arrived: gather.arrival_order().to_vec(),
            results: gather.into_results(),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(chunks: &[Chunk]) -> Vec<usize> {
        chunks.iter().map(|c| c.len).collect()
    }

    #[test]
    fn seed_example_14_items_chunksize_3_gives_chunks_3_3_3_3_2() {
        let chunks = split(14, 3);
        assert_eq!(lens(&chunks), [3, 3, 3, 3, 2]);
        assert_eq!(chunks[4].items(), 12..14);
    }

    #[test]
    fn default_rule_100_items_4_workers_is_7_in_15_chunks() {
        assert_eq!(default_chunksize(100, 4), 7);
        let chunks = split(100, 7);
        assert_eq!(chunks.len(), 15);
        assert_eq!(chunks.iter().filter(|c| c.len == 7).count(), 14);
        assert_eq!(chunks[14].len, 2);
        assert_eq!(default_chunksize_formula(100, 4), "ceil(100 / (4 × 4))");
    }

    #[test]
    fn default_rule_small_inputs() {
        assert_eq!(default_chunksize(14, 5), 1);
        assert_eq!(default_chunksize(5, 8), 1);
        assert_eq!(default_chunksize(16, 4), 1);
        assert_eq!(default_chunksize(17, 4), 2);
        assert_eq!(default_chunksize(0, 4), 0);
    }

    #[test]
    fn empty_input_gives_no_chunks_and_an_empty_result() {
        assert!(split(0, default_chunksize(0, 4)).is_empty());
        let gather: MapGather<u64> = MapGather::new(0, 0);
        assert_eq!(gather.into_results(), Some(vec![]));
    }

    #[test]
    fn queue_hands_out_chunks_in_input_order_then_drains() {
        let mut queue = ChunkQueue::new(split(7, 3));
        assert_eq!(queue.depth(), 3);
        let taken: Vec<usize> = std::iter::from_fn(|| queue.take())
            .map(|c| c.index)
            .collect();
        assert_eq!(taken, [0, 1, 2]);
        assert_eq!(queue.depth(), 0);
        assert_eq!(queue.take(), None);
    }

    #[test]
    fn gather_places_by_chunk_index_whatever_the_arrival_order() {
        let chunks = split(5, 2);
        let mut gather = MapGather::new(5, chunks.len());
        gather.chunk_arrived(chunks[2], vec![25]);
        gather.chunk_arrived(chunks[0], vec![1, 4]);
        let not_ready = gather.clone().into_results();
        assert_eq!(
            not_ready, None,
            "map releases nothing before every chunk is back"
        );
        gather.chunk_arrived(chunks[1], vec![9, 16]);
        assert_eq!(gather.arrival_order(), [2, 0, 1]);
        assert_eq!(gather.into_results(), Some(vec![1, 4, 9, 16, 25]));
    }
}
