//! A trace binned once into columns of equal time, lane by lane ([`LaneGrid`]): built in one
//! pass over its chunks and GIL slices, then resampled to any width, so that drawing a run
//! costs its pixels, not its tasks.

pub(crate) use crate::model::drawn::{Column, EMPTY};
pub use crate::model::drawn::{LaneGrid, FINE_COLUMNS, REDUCE_AHEAD_ABOVE};
use crate::model::layout::{lane_ends, time_span};
use crate::model::trace::Trace;
use std::sync::Arc;

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

impl Trace {
    /// Reduces a trace of more than [`REDUCE_AHEAD_ABOVE`] chunks for drawing now (the lanes,
    /// the queue's depth, the gather's cells; each one pass over its tasks): the runtime
    /// calls it on the worker that built the trace, so that the page draws a run of a million
    /// tasks without reading them. Each reduction is otherwise made on first use.
    pub fn reduce_for_drawing(&self) {
        if self.chunks.len() <= REDUCE_AHEAD_ABOVE {
            return;
        }
        self.binned_lanes();
        self.binned_depth();
        self.binned_gather();
    }

    /// The lanes binned into [`FINE_COLUMNS`] columns (made once).
    pub fn binned_lanes(&self) -> Arc<LaneGrid> {
        Arc::clone(
            self.derived
                .drawings
                .lanes
                .get_or_init(|| Arc::new(LaneGrid::new(self, FINE_COLUMNS))),
        )
    }
}

impl LaneGrid {
    /// Bins `trace` into `columns` columns spanning its [`time_span`].
    pub fn new(trace: &Trace, columns: usize) -> Self {
        let n = columns.max(1);
        let span_ms = time_span(trace);
        let scale = n as f64 / span_ms;
        let lanes = trace
            .chunks
            .iter()
            .map(|c| c.worker + 1)
            .chain(trace.gil_slices.iter().map(|s| s.worker + 1))
            .fold(trace.lanes(), usize::max);
        let mut cells = vec![EMPTY; lanes * n];
        let mut threads = vec![None; lanes];
        // Only a process's boxes end elsewhere than their chunk's end (a pass and a list of a
        // million ends spared for the others).
        let process_ends = trace.processes.is_some().then(|| lane_ends(trace));
        for (at, chunk) in trace.chunks.iter().enumerate() {
            let end_ms = process_ends.as_ref().map_or(chunk.end_ms, |ends| ends[at]);
            threads[chunk.worker].get_or_insert(chunk.thread);
            let (x0, x1) = (chunk.start_ms * scale, end_ms * scale);
            let lane = &mut cells[chunk.worker * n..(chunk.worker + 1) * n];
            for (i, (col, covered)) in self::columns(x0, x1, n).enumerate() {
                let cell = &mut lane[col];
                if covered > cell.cover {
                    cell.cover = covered;
                    cell.chunk = chunk.index;
                    cell.chunk_x0 = x0;
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
            span_ms,
            columns: n,
            threads,
            cells,
            held,
            waited,
        }
    }

    /// Whether the chunk covering most of column `col` (of any lane) begins in it, given
    /// that column's cell: if not, it began further left and was counted there.
    pub(crate) fn covering_chunk_starts_in(cell: &Column, col: usize) -> bool {
        cell.chunk_x0.floor() >= col as f64
    }

    /// The time the grid spans, ms (the trace's [`time_span`]).
    pub fn span_ms(&self) -> f64 {
        self.span_ms
    }

    /// The chunk (its index) drawn on `lane` at `t_ms`, or the nearest one within `slack_ms`
    /// of it (so a pointer over a box narrower than a pixel still finds it): the chunk that
    /// covers most of that column, as the lanes draw it, found without a pass over the tasks.
    pub fn chunk_at(&self, lane: usize, t_ms: f64, slack_ms: f64) -> Option<usize> {
        let row = self
            .cells
            .get(lane * self.columns..(lane + 1) * self.columns)?;
        let per_ms = self.columns as f64 / self.span_ms;
        let at = t_ms * per_ms;
        if !(0.0..self.columns as f64).contains(&at) {
            return None;
        }
        let at = at as usize;
        let reach = (slack_ms * per_ms).ceil() as usize;
        (0..=reach)
            .flat_map(|d| [at.checked_sub(d), Some(at + d)])
            .flatten()
            .filter_map(|col| row.get(col))
            .find(|cell| cell.count > 0)
            .map(|cell| cell.chunk)
    }

    /// The real thread each lane ran on (that of its first chunk), `None` for an idle lane.
    pub fn lane_threads(&self) -> &[Option<usize>] {
        &self.threads
    }

    /// The same grid in `columns` columns (at most as many as it has): each of its columns
    /// goes whole into the one its start falls in.
    pub(crate) fn resampled(&self, columns: usize) -> Self {
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
                    cell.chunk_x0 = fine.chunk_x0 * to as f64 / from as f64;
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
            span_ms: self.span_ms,
            columns: to,
            threads: self.threads.clone(),
            cells,
            held: sum(&self.held),
            waited: sum(&self.waited),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lane_drawing::tests::lane_drawing;
    use crate::model::lane_drawing::LaneDrawing;
    use crate::model::trace::tests::trace_of;

    #[test]
    fn a_large_trace_reduced_for_drawing_keeps_what_each_drawing_would_make() {
        use crate::model::layout::{depth_steps, gather_bins, MAX_CELLS};
        let small = trace_of(&[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0)], &[0, 1]);
        small.reduce_for_drawing();
        assert!(
            !small.gather_is_binned(),
            "a small trace waits until it is drawn"
        );
        let spans: Vec<_> = (0..=REDUCE_AHEAD_ABOVE)
            .map(|i| (i % 2, i % 2, i as f64, i as f64 + 1.5))
            .collect();
        let arrived: Vec<usize> = (0..spans.len()).collect();
        let trace = trace_of(&spans, &arrived);
        trace.reduce_for_drawing();
        assert!(trace.gather_is_binned());
        assert_eq!(*trace.binned_lanes(), LaneGrid::new(&trace, FINE_COLUMNS));
        assert_eq!(*trace.binned_gather(), gather_bins(&trace, MAX_CELLS));
        let depth = depth_steps(
            &trace.queue_depth,
            trace.depth_span_ms(),
            FINE_COLUMNS as f64,
        );
        assert_eq!(*trace.binned_depth(), depth);
        // Made once: a second read is the same reduction, not a new one.
        assert!(Arc::ptr_eq(&trace.binned_lanes(), &trace.binned_lanes()));
    }

    #[test]
    fn the_pointer_finds_the_chunk_drawn_under_it() {
        let trace = trace_of(
            &[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0), (0, 3, 4.0, 10.0)],
            &[0, 1, 2],
        );
        let grid = LaneGrid::new(&trace, 1000);
        assert_eq!(grid.chunk_at(0, 5.0, 0.0), Some(2));
        assert_eq!(grid.chunk_at(1, 5.0, 0.0), Some(1));
        assert_eq!(
            grid.chunk_at(1, 8.0, 0.5),
            None,
            "nothing near on worker 1 at 8 ms"
        );
        assert_eq!(grid.chunk_at(1, 6.3, 0.5), Some(1));
        assert_eq!(grid.chunk_at(2, 1.0, 0.5), None, "no such lane");
        assert_eq!(grid.chunk_at(0, 11.0, 0.5), None, "past the end");
    }

    #[test]
    fn on_a_process_lane_the_pointer_finds_the_chunk_the_process_ran_there() {
        // The process read chunk 1 at 4 ms, while chunk 0's results crossed back until 6.
        let mut trace = trace_of(&[(0, 0, 0.0, 6.0), (0, 0, 4.0, 9.0)], &[0, 1]);
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(1.0)],
            started_by_run: vec![false],
            replacements: Vec::new(),
        });
        let grid = LaneGrid::new(&trace, 900);
        assert_eq!(grid.chunk_at(0, 3.0, 0.0), Some(0));
        assert_eq!(
            grid.chunk_at(0, 5.0, 0.0),
            Some(1),
            "chunk 0's box ends where chunk 1 began"
        );
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
}
