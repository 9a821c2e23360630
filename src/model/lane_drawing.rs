//! What the lanes draw at a width ([`LaneDrawing`]), from a trace's [`LaneGrid`]: boxes
//! that stand for one chunk or merge many, and with the GIL on which lane holds or waits for
//! it in each pixel column.

use crate::model::lane_grid::{Column, LaneGrid};

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

impl LaneGrid {
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
                // Each chunk is counted once, in the column where it begins, unless it began
                // under another chunk's box and then gets its own box here: it moves here.
                let continues = !LaneGrid::covering_chunk_starts_in(cell, col);
                match boxes.last_mut() {
                    Some(last) if joins => {
                        last.x1 = col as f64 + 1.0;
                        last.merged += cell.starts as usize;
                    }
                    last => {
                        if let Some(last) = last.filter(|_| continues && previous.is_some()) {
                            last.merged = last.merged.saturating_sub(1).max(1);
                        }
                        boxes.push(LaneBox {
                            worker,
                            x0: col as f64,
                            x1: col as f64 + 1.0,
                            chunk: cell.chunk,
                            merged: cell.starts as usize + usize::from(continues),
                        });
                    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::gil::GilSlice;
    use crate::model::lane_grid::FINE_COLUMNS;
    use crate::model::trace::tests::{round_robin_spans, trace_of};
    use crate::model::trace::Trace;

    /// What the lanes draw for `trace`, binned at exactly `width_px` (the page bins once at
    /// [`FINE_COLUMNS`] and resamples per width).
    pub(crate) fn lane_drawing(trace: &Trace, width_px: f64) -> LaneDrawing {
        LaneGrid::new(trace, width_px.ceil().max(1.0) as usize).drawing(width_px)
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
    fn a_long_task_is_one_box_when_the_next_begins_in_its_last_pixel() {
        // On one worker, a long task ends inside pixel column 10 and the next one begins
        // there: each is one task, whichever of the two covers more of that column.
        for end in [10.7, 10.5, 10.2] {
            let trace = trace_of(&[(0, 0, 0.0, end), (0, 0, end, 20.0)], &[0, 1]);
            let binned_finely = LaneGrid::new(&trace, FINE_COLUMNS).drawing(20.0);
            for drawing in [lane_drawing(&trace, 20.0), binned_finely] {
                let boxes: Vec<(usize, usize)> =
                    drawing.boxes.iter().map(|b| (b.chunk, b.merged)).collect();
                assert_eq!(
                    boxes,
                    [(0, 1), (1, 1)],
                    "first task ends at {end} ms: {:?}",
                    drawing.boxes
                );
            }
        }
    }

    #[test]
    fn a_million_chunks_draw_no_more_boxes_than_pixels() {
        let spans = round_robin_spans(1_000_000);
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
