//! Drawable geometry from a trace, independent of any canvas or DOM: how many cells a strip
//! gets, where each lane box goes, which colour a chunk has, and with the GIL on which lane
//! holds it in each pixel column. Keeps large runs cheap to draw: a trace is reduced once in
//! one pass ([`LaneGrid`], [`gather_bins`], [`depth_steps`]), and what is drawn is bounded by
//! the pixels, not by the number of chunks.

use crate::model::errors::TaskError;
use crate::model::metrics::GatherCell;
use crate::model::record::DepthSample;
use crate::model::trace::Trace;
use crate::model::words::{duration, ms, number};
use std::ops::Range;

/// Splits `0..count` into at most `max_cells` contiguous, near-equal ranges, so a strip of
/// a million chunks still has a bounded number of cells.
pub fn bins(count: usize, max_cells: usize) -> Vec<Range<usize>> {
    let cells = count.min(max_cells.max(1));
    (0..cells)
        .map(|cell| (cell * count / cells)..((cell + 1) * count / cells))
        .collect()
}

/// One cell of the gather strip: a run of neighbouring chunks in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherBin {
    /// The chunks it stands for.
    pub chunks: Range<usize>,
    /// Its first chunk's place in the gather (arrival rank and times).
    pub first: GatherCell,
    /// The longest any of its chunks' results waited for earlier ones, ms.
    pub waited_ms: f64,
    /// The items of its chunks.
    pub items: usize,
    /// Why the first of its failed chunks failed, if one did.
    pub error: Option<TaskError>,
}

/// The gather strip's cells: each chunk's place in the gather, binned into at most
/// `max_cells`, in one pass over the trace without a cell per chunk (a million chunks cost
/// milliseconds).
pub fn gather_bins(trace: &Trace, max_cells: usize) -> Vec<GatherBin> {
    let ranges = bins(trace.chunks.len(), max_cells);
    let n = trace.chunks.len();
    let cells = ranges.len();
    // The bin of chunk `i`: the inverse of `bins`' `cell * n / cells` boundaries.
    let bin_of = |i: usize| {
        let guess = (i * cells / n.max(1)).min(cells.saturating_sub(1));
        if i < ranges[guess].start {
            guess - 1
        } else if i >= ranges[guess].end {
            guess + 1
        } else {
            guess
        }
    };
    let mut out: Vec<GatherBin> = ranges
        .iter()
        .map(|range| {
            let first = &trace.chunks[range.start];
            // One pass over the group: its items and its first failure.
            let (mut items, mut error) = (0, None);
            for chunk in &trace.chunks[range.clone()] {
                items += chunk.len;
                if error.is_none() {
                    error.clone_from(&chunk.error);
                }
            }
            GatherBin {
                chunks: range.clone(),
                first: GatherCell {
                    index: first.index,
                    arrival_rank: 0,
                    arrived_ms: first.end_ms,
                    delivered_ms: first.end_ms,
                    waited_ms: 0.0,
                },
                waited_ms: 0.0,
                items,
                error,
            }
        })
        .collect();
    for (rank, &index) in trace.arrived.iter().enumerate() {
        if let Some(bin) = out
            .get_mut(bin_of(index))
            .filter(|b| b.chunks.start == index)
        {
            bin.first.arrival_rank = rank;
        }
    }
    for (&index, &at) in trace.delivered.iter().zip(&trace.delivered_ms) {
        let Some(chunk) = trace.chunks.get(index) else {
            continue;
        };
        let waited = (at - chunk.end_ms).max(0.0);
        let bin = &mut out[bin_of(index)];
        bin.waited_ms = bin.waited_ms.max(waited);
        if bin.chunks.start == index {
            bin.first.delivered_ms = at;
            bin.first.waited_ms = waited;
        }
    }
    out
}

/// The hue (0–359) of chunk `index`: neighbours get far-apart colours (golden angle).
pub fn chunk_hue(index: usize) -> u32 {
    ((index as f64 * 137.507_764) % 360.0) as u32
}

/// A box to draw in a worker's lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneBox {
    /// The lane (worker).
    pub worker: usize,
    /// Left edge, px.
    pub x0: f64,
    /// Right edge, px (at least one pixel right of `x0`).
    pub x1: f64,
    /// The chunk drawn in this box (its colour): the one that covers most of its first pixel.
    pub chunk: usize,
    /// How many chunks the box stands for (1: exactly the chunk `chunk`).
    pub merged: usize,
}

/// What a worker's thread did with the GIL over a stretch of its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GilState {
    /// It held the GIL: it computed. In any pixel column at most one lane is holding.
    Holding,
    /// It waited for the GIL, most of that column.
    Waiting,
}

/// A stretch of a lane in one [`GilState`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilSpan {
    /// The lane (worker).
    pub worker: usize,
    /// Left edge, px.
    pub x0: f64,
    /// Right edge, px.
    pub x1: f64,
    /// The chunk it belongs to (its colour).
    pub chunk: usize,
    /// Holding or waiting.
    pub state: GilState,
}

/// Everything the lanes draw, for a drawing `width_px` wide spanning the run's wall time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LaneDrawing {
    /// The chunks' boxes, lane by lane, left to right.
    pub boxes: Vec<LaneBox>,
    /// With the GIL on: where each lane's thread held the GIL or waited for it, lane by lane.
    pub gil: Vec<GilSpan>,
}

/// Per pixel column of one lane: which chunk covers most of it, how many touch it, and how
/// many of those begin in it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Column {
    cover: f64,
    chunk: usize,
    count: u32,
    starts: u32,
}

const EMPTY: Column = Column {
    cover: 0.0,
    chunk: usize::MAX,
    count: 0,
    starts: 0,
};

/// The pixel columns `x0..x1` touches (at least one), each with the part of it covered.
fn columns(x0: f64, x1: f64, n: usize) -> impl Iterator<Item = (usize, f64)> {
    let first = (x0.floor().max(0.0) as usize).min(n - 1);
    let last = (x1.ceil().max(0.0) as usize).clamp(first + 1, n);
    (first..last).map(move |col| {
        let covered = x1.min(col as f64 + 1.0) - x0.max(col as f64);
        // Something shorter than a pixel (even an instant) still shows in its column.
        (col, covered.max(0.0) + 1e-9)
    })
}

/// The columns a trace is binned into once, before it is drawn at any width: fine enough
/// that resampling to a screen's plot moves no edge by more than a fraction of a pixel.
pub const FINE_COLUMNS: usize = 8192;

/// A trace binned into columns of equal time, lane by lane: for each column the chunk that
/// covers most of it and how many chunks touch it, and with the GIL on how much of it each
/// lane's thread held the GIL and waited for it. Built once per trace in one pass over its
/// chunks and GIL slices; every drawing of it at any width then costs only its columns
/// ([`LaneGrid::drawing`]), however many tasks the run had.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneGrid {
    columns: usize,
    threads: Vec<Option<usize>>,
    cells: Vec<Column>,
    held: Vec<f64>,
    waited: Vec<f64>,
}

impl LaneGrid {
    /// Bins `trace` into `columns` columns spanning its [`time_span`].
    pub fn new(trace: &Trace, columns: usize) -> Self {
        let n = columns.max(1);
        let scale = n as f64 / time_span(trace);
        let lanes = trace
            .chunks
            .iter()
            .map(|c| c.worker + 1)
            .chain(trace.gil_slices.iter().map(|s| s.worker + 1))
            .fold(trace.workers, usize::max);
        let mut cells = vec![EMPTY; lanes * n];
        let mut threads = vec![None; lanes];
        for chunk in &trace.chunks {
            threads[chunk.worker].get_or_insert(chunk.thread);
            let (x0, x1) = (chunk.start_ms * scale, chunk.end_ms * scale);
            let lane = &mut cells[chunk.worker * n..(chunk.worker + 1) * n];
            for (i, (col, covered)) in self::columns(x0, x1, n).enumerate() {
                let cell = &mut lane[col];
                if covered > cell.cover {
                    cell.cover = covered;
                    cell.chunk = chunk.index;
                }
                cell.count += 1;
                cell.starts += u32::from(i == 0);
            }
        }
        let (mut held, mut waited) = (Vec::new(), Vec::new());
        if !trace.gil_slices.is_empty() {
            held = vec![0.0; lanes * n];
            waited = vec![0.0; lanes * n];
            for slice in &trace.gil_slices {
                let row = slice.worker * n;
                if slice.end_ms > slice.start_ms {
                    let (x0, x1) = (slice.start_ms * scale, slice.end_ms * scale);
                    for (col, covered) in self::columns(x0, x1, n) {
                        held[row + col] += covered;
                    }
                }
                if slice.start_ms > slice.asked_ms {
                    let (x0, x1) = (slice.asked_ms * scale, slice.start_ms * scale);
                    for (col, covered) in self::columns(x0, x1, n) {
                        waited[row + col] += covered;
                    }
                }
            }
        }
        Self {
            columns: n,
            threads,
            cells,
            held,
            waited,
        }
    }

    /// The real thread each lane ran on (that of its first chunk), `None` for an idle lane.
    pub fn lane_threads(&self) -> &[Option<usize>] {
        &self.threads
    }

    /// The same grid in `columns` columns (at most as many as it has): each of its columns
    /// goes whole into the one its start falls in.
    fn resampled(&self, columns: usize) -> Self {
        let (from, to) = (self.columns, columns.clamp(1, self.columns));
        if to == from {
            return self.clone();
        }
        let lanes = self.cells.len() / from;
        let target = |col: usize| col * to / from;
        let mut cells = vec![EMPTY; lanes * to];
        for lane in 0..lanes {
            for col in 0..from {
                let fine = self.cells[lane * from + col];
                if fine.count == 0 {
                    continue;
                }
                let cell = &mut cells[lane * to + target(col)];
                if cell.count == 0 {
                    // A chunk continuing from the left counts once, where the column begins.
                    cell.count = fine.count - fine.starts;
                }
                cell.count += fine.starts;
                cell.starts += fine.starts;
                if fine.cover > cell.cover {
                    cell.cover = fine.cover;
                    cell.chunk = fine.chunk;
                }
            }
        }
        let sum = |values: &[f64]| {
            let mut out = vec![0.0; if values.is_empty() { 0 } else { lanes * to }];
            for (i, v) in values.iter().enumerate() {
                out[(i / from) * to + target(i % from)] += v * to as f64 / from as f64;
            }
            out
        };
        Self {
            columns: to,
            threads: self.threads.clone(),
            cells,
            held: sum(&self.held),
            waited: sum(&self.waited),
        }
    }

    /// What the lanes draw `width_px` wide: each lane's pixel column shows the chunk that
    /// covers most of it, neighbouring columns of one chunk make one box, and columns that
    /// each hold several chunks merge into one box that stands for all of them. The output
    /// is bounded by the pixels (at most one box and one GIL span per lane and column).
    pub fn drawing(&self, width_px: f64) -> LaneDrawing {
        let n = width_px.ceil().max(1.0) as usize;
        let grid = self.resampled(n);
        // Wider than the grid: each of its columns is drawn this many pixels wide.
        let px = width_px / grid.columns as f64;
        let mut drawing = LaneDrawing {
            boxes: grid.boxes(),
            gil: grid.gil_spans(),
        };
        if (px - 1.0).abs() > 1e-9 && n > grid.columns {
            for b in &mut drawing.boxes {
                (b.x0, b.x1) = (b.x0 * px, b.x1 * px);
            }
            for s in &mut drawing.gil {
                (s.x0, s.x1) = (s.x0 * px, s.x1 * px);
            }
        }
        drawing
    }

    fn boxes(&self) -> Vec<LaneBox> {
        let mut boxes: Vec<LaneBox> = Vec::new();
        for (worker, lane) in self.cells.chunks(self.columns).enumerate() {
            let mut previous: Option<Column> = None;
            for (col, cell) in lane.iter().enumerate() {
                if cell.count == 0 {
                    previous = None;
                    continue;
                }
                // One chunk's columns make one box; so do neighbouring columns of several each.
                let joins = previous
                    .is_some_and(|p| p.chunk == cell.chunk || (p.count > 1 && cell.count > 1));
                match boxes.last_mut() {
                    Some(last) if joins => {
                        last.x1 = col as f64 + 1.0;
                        last.merged += cell.starts as usize;
                    }
                    _ => boxes.push(LaneBox {
                        worker,
                        x0: col as f64,
                        x1: col as f64 + 1.0,
                        chunk: cell.chunk,
                        // The chunks that begin here, and the one continuing from the left.
                        merged: cell.starts as usize + usize::from(cell.count > cell.starts),
                    }),
                }
                previous = Some(*cell);
            }
        }
        boxes
    }

    /// Per column, the lane that held the GIL longest in it is drawn holding; a lane that
    /// waited for it for at least half the column is drawn waiting.
    fn gil_spans(&self) -> Vec<GilSpan> {
        let n = self.columns;
        if self.held.is_empty() {
            return Vec::new();
        }
        let lanes = self.cells.len() / n;
        let holder: Vec<Option<usize>> = (0..n)
            .map(|col| {
                (0..lanes)
                    .filter(|&lane| self.held[lane * n + col] > 1e-6)
                    .max_by(|&a, &b| self.held[a * n + col].total_cmp(&self.held[b * n + col]))
            })
            .collect();
        let mut spans: Vec<GilSpan> = Vec::new();
        for lane in 0..lanes {
            let mut open = false;
            for col in 0..n {
                let cell = self.cells[lane * n + col];
                let state = if cell.count == 0 {
                    None
                } else if holder[col] == Some(lane) {
                    Some(GilState::Holding)
                } else if self.waited[lane * n + col] >= 0.5 {
                    Some(GilState::Waiting)
                } else {
                    None
                };
                let Some(state) = state else {
                    open = false;
                    continue;
                };
                match spans.last_mut() {
                    Some(last) if open && last.state == state && last.chunk == cell.chunk => {
                        last.x1 = col as f64 + 1.0;
                    }
                    _ => spans.push(GilSpan {
                        worker: lane,
                        x0: col as f64,
                        x1: col as f64 + 1.0,
                        chunk: cell.chunk,
                        state,
                    }),
                }
                open = true;
            }
        }
        spans
    }
}

/// The samples of a queue's depth worth drawing `width_px` wide over `span_ms`: per pixel
/// column its first and last sample and those where either depth is highest and lowest, in
/// time order. A step chart of these has the same envelope as one of every sample, and at
/// most six samples per pixel whatever the number of hand-outs.
pub fn depth_steps(samples: &[DepthSample], span_ms: f64, width_px: f64) -> Vec<DepthSample> {
    let n = width_px.ceil().max(1.0) as usize;
    let scale = n as f64 / span_ms.max(f64::EPSILON);
    let mut kept: Vec<DepthSample> = Vec::new();
    let mut column: Vec<usize> = Vec::new();
    let flush = |column: &mut Vec<usize>, kept: &mut Vec<DepthSample>| {
        let (Some(&first), Some(&last)) = (column.first(), column.last()) else {
            return;
        };
        let by = |key: fn(&DepthSample) -> usize| {
            let max = column.iter().copied().max_by_key(|&i| key(&samples[i]));
            let min = column.iter().copied().min_by_key(|&i| key(&samples[i]));
            [max, min]
        };
        let mut picks: Vec<usize> = [Some(first), Some(last)]
            .into_iter()
            .chain(by(|s| s.queued))
            .chain(by(|s| s.pending))
            .flatten()
            .collect();
        picks.sort_unstable();
        picks.dedup();
        kept.extend(picks.into_iter().map(|i| samples[i]));
        column.clear();
    };
    let mut current = usize::MAX;
    for (i, sample) in samples.iter().enumerate() {
        let col = ((sample.t_ms * scale).max(0.0) as usize).min(n - 1);
        if col != current {
            flush(&mut column, &mut kept);
            current = col;
        }
        column.push(i);
    }
    flush(&mut column, &mut kept);
    kept
}

/// The time span a drawing of `trace` covers, ms: the wall time, or the last chunk's end if
/// that is later.
pub fn time_span(trace: &Trace) -> f64 {
    trace
        .chunks
        .iter()
        .map(|c| c.end_ms)
        .fold(trace.wall_ms, f64::max)
        .max(f64::EPSILON)
}

/// The chunk that `worker` was running at `t_ms`, or the nearest one within `slack_ms` of it
/// (so a pointer over a box narrower than a pixel still finds it).
pub fn chunk_at(trace: &Trace, worker: usize, t_ms: f64, slack_ms: f64) -> Option<usize> {
    let distance = |start: f64, end: f64| {
        if t_ms < start {
            start - t_ms
        } else if t_ms > end {
            t_ms - end
        } else {
            0.0
        }
    };
    trace
        .chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.worker == worker)
        .map(|(i, c)| (i, distance(c.start_ms, c.end_ms)))
        .filter(|&(_, d)| d <= slack_ms)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// What a pointer over a chunk's box says about it.
pub fn describe_chunk(trace: &Trace, index: usize) -> Option<String> {
    let c = trace.chunks.get(index)?;
    let last = c.first_item + c.len.max(1) - 1;
    let items = if c.len == 1 {
        format!("item {}", c.first_item + 1)
    } else {
        format!("items {}–{}", c.first_item + 1, last + 1)
    };
    let mut text = format!(
        "task {} · {items} · worker {} (thread {}) · {}–{} ({})",
        c.index,
        c.worker,
        c.thread,
        number(c.start_ms, 2),
        ms(c.end_ms, 2),
        duration(c.duration_ms())
    );
    if c.transfer_ms > 0.0 {
        text.push_str(&format!(" · pickling {}", duration(c.transfer_ms)));
    }
    if c.gil_wait_ms > 0.0 {
        text.push_str(&format!(
            " · waited {} for the GIL",
            duration(c.gil_wait_ms)
        ));
    }
    if let Some(error) = &c.error {
        text.push_str(&format!(" · failed: {error}"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gil::GilSlice;
    use crate::model::trace::tests::trace_of;

    /// What the lanes draw for `trace`, binned at exactly `width_px` (the page bins once at
    /// [`FINE_COLUMNS`] and resamples per width).
    fn lane_drawing(trace: &Trace, width_px: f64) -> LaneDrawing {
        LaneGrid::new(trace, width_px.ceil().max(1.0) as usize).drawing(width_px)
    }

    #[test]
    fn bins_cover_everything_once_and_stay_bounded() {
        assert_eq!(bins(5, 10), [0..1, 1..2, 2..3, 3..4, 4..5]);
        let many = bins(1_000_003, 256);
        assert_eq!(many.len(), 256);
        assert_eq!(many[0].start, 0);
        assert_eq!(many[255].end, 1_000_003);
        assert!(many.windows(2).all(|w| w[0].end == w[1].start));
        assert!(bins(0, 10).is_empty());
    }

    #[test]
    fn neighbouring_chunks_get_distinct_hues() {
        let hues: Vec<u32> = (0..8).map(chunk_hue).collect();
        assert!(hues.windows(2).all(|w| w[0].abs_diff(w[1]) > 30));
    }

    #[test]
    fn wide_chunks_keep_their_own_box_and_tiny_ones_merge() {
        let wide = trace_of(
            &[(0, 0, 0.0, 5.0), (1, 1, 0.0, 10.0), (0, 0, 5.0, 10.0)],
            &[0, 1, 2],
        );
        let boxes = lane_drawing(&wide, 100.0).boxes;
        assert_eq!(boxes.len(), 3);
        assert_eq!((boxes[0].x0, boxes[0].x1), (0.0, 50.0));
        assert_eq!((boxes[1].chunk, boxes[1].x0, boxes[1].x1), (2, 50.0, 100.0));
        assert!(boxes.iter().all(|b| b.merged == 1));
        let spans: Vec<(usize, usize, f64, f64)> = (0..10_000)
            .map(|i| (i % 2, i % 2, i as f64 / 2.0, i as f64 / 2.0 + 0.5))
            .collect();
        let tiny = trace_of(&spans, &(0..10_000).collect::<Vec<_>>());
        let boxes = lane_drawing(&tiny, 200.0).boxes;
        assert!(boxes.len() <= 2 * 200, "{} boxes", boxes.len());
        assert_eq!(boxes.iter().map(|b| b.merged).sum::<usize>(), 10_000);
    }

    #[test]
    fn the_pointer_finds_the_chunk_under_it() {
        let trace = trace_of(
            &[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0), (0, 3, 4.0, 10.0)],
            &[0, 1, 2],
        );
        assert_eq!(chunk_at(&trace, 0, 5.0, 0.0), Some(2));
        assert_eq!(chunk_at(&trace, 1, 5.0, 0.0), Some(1));
        assert_eq!(
            chunk_at(&trace, 1, 8.0, 0.5),
            None,
            "nothing near on worker 1 at 8 ms"
        );
        assert_eq!(chunk_at(&trace, 1, 6.3, 0.5), Some(1));
        assert_eq!(
            describe_chunk(&trace, 2).unwrap(),
            "task 2 · item 3 · worker 0 (thread 3) · 4.00–10.00 ms (6.00 ms)",
            "one numbering: the trace's worker, 0-based, as the lanes label it"
        );
        assert_eq!(time_span(&trace), 10.0);
    }

    #[test]
    fn a_grid_binned_finely_draws_as_one_binned_at_the_width() {
        let spans: Vec<(usize, usize, f64, f64)> = (0..3000)
            .map(|i| {
                let start = (i / 3) as f64 * (1.0 + (i % 5) as f64);
                (i % 3, i % 3, start, start + 0.7 + (i % 4) as f64)
            })
            .collect();
        let mut trace = trace_of(&spans, &[]);
        trace.workers = 3;
        let fine = LaneGrid::new(&trace, FINE_COLUMNS);
        for width in [100.0, 333.0, 1024.0, 2000.0] {
            let (resampled, exact) = (fine.drawing(width), lane_drawing(&trace, width));
            for worker in 0..3 {
                let covered = |d: &LaneDrawing| -> f64 {
                    d.boxes
                        .iter()
                        .filter(|b| b.worker == worker)
                        .map(|b| b.x1 - b.x0)
                        .sum()
                };
                let (a, b) = (covered(&resampled), covered(&exact));
                // Edges move by less than a pixel: at most one per box.
                let edges = exact.boxes.iter().filter(|b| b.worker == worker).count() as f64;
                assert!(
                    (a - b).abs() <= edges,
                    "{width} px, lane {worker}: {a} vs {b}"
                );
            }
            assert!(resampled.boxes.len() <= 3 * width as usize);
        }
        assert_eq!(fine.lane_threads(), [Some(0), Some(1), Some(2)]);
        let wide = trace_of(&[(0, 0, 0.0, 5.0), (0, 0, 5.0, 10.0)], &[0, 1]);
        let boxes = LaneGrid::new(&wide, FINE_COLUMNS).drawing(100.0).boxes;
        assert_eq!(
            boxes
                .iter()
                .map(|b| (b.chunk, b.x0, b.x1, b.merged))
                .collect::<Vec<_>>(),
            [(0, 0.0, 50.0, 1), (1, 50.0, 100.0, 1)],
            "each chunk its own box, edges on the pixel"
        );
    }

    #[test]
    fn the_gather_bins_agree_with_the_gather_cells() {
        let spans: Vec<(usize, usize, f64, f64)> = (0..1000)
            .map(|i| {
                (
                    i % 2,
                    i % 2,
                    (i % 37) as f64,
                    (i % 37) as f64 + 1.0 + (i % 5) as f64,
                )
            })
            .collect();
        let mut arrived: Vec<usize> = (0..1000).collect();
        arrived.sort_by(|&a, &b| spans[a].3.total_cmp(&spans[b].3));
        let mut trace = trace_of(&spans, &arrived);
        trace.chunks[17].error = Some(TaskError::Request(crate::model::errors::Fault::Http {
            status: 404,
            reason: String::new(),
        }));
        trace.delivered_ms = (0..1000).map(|i| 3.0 + (i % 41) as f64).collect();
        let cells = trace.gather_cells();
        for max_cells in [1, 7, 240, 5000] {
            let binned = gather_bins(&trace, max_cells);
            assert_eq!(binned.len(), 1000.min(max_cells));
            for bin in &binned {
                let group = &cells[bin.chunks.clone()];
                assert_eq!(bin.first, group[0]);
                let waited = group.iter().map(|c| c.waited_ms).fold(0.0, f64::max);
                assert_eq!(bin.waited_ms, waited);
                assert_eq!(bin.items, bin.chunks.len());
                assert_eq!(bin.error.is_some(), bin.chunks.contains(&17));
            }
        }
        assert!(gather_bins(&trace_of(&[], &[]), 240).is_empty());
    }

    #[test]
    fn a_queue_drained_a_million_times_keeps_its_envelope_in_a_few_samples_per_pixel() {
        let samples: Vec<DepthSample> = (0..1_000_000)
            .map(|i| DepthSample {
                t_ms: i as f64 / 1000.0,
                queued: 1_000_010 - i - (i % 7),
                pending: i % 3,
            })
            .collect();
        let kept = depth_steps(&samples, 1000.0, 500.0);
        assert!(kept.len() <= 6 * 500, "{} samples", kept.len());
        assert!(kept.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
        assert_eq!(kept.first(), samples.first());
        assert_eq!(kept.last(), samples.last());
        let max = |s: &[DepthSample]| s.iter().map(|d| d.queued).max();
        assert_eq!(max(&kept), max(&samples));
        assert_eq!(kept.iter().map(|d| d.pending).max(), Some(2));
        let spread: Vec<DepthSample> = samples.iter().step_by(100_000).copied().collect();
        assert_eq!(
            depth_steps(&spread, 1000.0, 500.0),
            spread,
            "one sample per pixel column: all kept"
        );
    }

    #[test]
    fn a_million_chunks_draw_no_more_boxes_than_pixels() {
        let spans: Vec<(usize, usize, f64, f64)> = (0..1_000_000)
            .map(|i| {
                (
                    i % 4,
                    i % 4,
                    (i / 4) as f64 * 0.01,
                    (i / 4) as f64 * 0.01 + 0.009,
                )
            })
            .collect();
        let trace = trace_of(&spans, &[]);
        let drawing = lane_drawing(&trace, 1000.0);
        assert!(
            drawing.boxes.len() <= 4 * 1000,
            "{} boxes",
            drawing.boxes.len()
        );
        for worker in 0..4 {
            let lane: Vec<&LaneBox> = drawing
                .boxes
                .iter()
                .filter(|b| b.worker == worker)
                .collect();
            assert!(!lane.is_empty() && lane.iter().all(|b| b.x1 <= 1000.0));
            assert!(lane.iter().map(|b| b.merged).sum::<usize>() >= 250_000);
        }
        assert!(drawing.gil.is_empty(), "no GIL, nothing to say about it");
    }

    /// A GIL run of two threads: each computes while it holds the lock and waits while the
    /// other holds it; the lock changes hands every `switch` ms over `total` ms.
    fn gil_trace(switch: f64, total: f64) -> Trace {
        let mut trace = trace_of(&[(0, 0, 0.0, total), (1, 1, 0.0, total)], &[0, 1]);
        trace.config.strategy = crate::model::strategy::Strategy::QueueQueue;
        trace.config.gil = true;
        let mut t = 0.0;
        let mut holder = 0;
        let mut asked = [0.0, 0.0];
        while t < total {
            let end = (t + switch).min(total);
            trace.gil_slices.push(GilSlice {
                worker: holder,
                asked_ms: asked[holder],
                start_ms: t,
                end_ms: end,
            });
            asked[holder] = end;
            holder = 1 - holder;
            t = end;
        }
        trace
    }

    #[test]
    fn at_most_one_lane_is_drawn_holding_the_gil_in_any_column() {
        for (switch, width) in [(5.0, 400.0), (5.0, 37.0), (0.05, 500.0)] {
            let trace = gil_trace(switch, 200.0);
            let fine = LaneGrid::new(&trace, FINE_COLUMNS).drawing(width);
            let exact = lane_drawing(&trace, width);
            for drawing in [fine, exact] {
                let holding: Vec<&GilSpan> = drawing
                    .gil
                    .iter()
                    .filter(|s| s.state == GilState::Holding)
                    .collect();
                assert!(!holding.is_empty());
                for a in &holding {
                    for b in &holding {
                        if a.worker != b.worker {
                            assert!(
                                a.x1 <= b.x0 || b.x1 <= a.x0,
                                "{a:?} and {b:?} both hold ({switch} ms slices, {width} px)"
                            );
                        }
                    }
                }
                assert!(drawing.gil.len() <= 2 * 2 * width.ceil() as usize);
            }
        }
        // Wide slices: each lane alternates holding and waiting, 5 ms (10 px) at a time.
        let drawing = lane_drawing(&gil_trace(5.0, 200.0), 400.0);
        let lane0: Vec<(f64, f64, GilState)> = drawing
            .gil
            .iter()
            .filter(|s| s.worker == 0)
            .map(|s| (s.x0, s.x1, s.state))
            .take(3)
            .collect();
        assert_eq!(
            lane0,
            [
                (0.0, 10.0, GilState::Holding),
                (10.0, 20.0, GilState::Waiting),
                (20.0, 30.0, GilState::Holding)
            ]
        );
    }
}
