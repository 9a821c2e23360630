//! Drawable geometry from a trace, independent of any canvas or DOM: how many cells a strip
//! gets, where each lane box goes, which colour a chunk has. Keeps large runs cheap to draw:
//! the output size is bounded by the pixels, not by the number of chunks.

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
    /// The first chunk drawn in this box (its colour); more may be merged into it.
    pub chunk: usize,
    /// How many chunks the box stands for.
    pub merged: usize,
}

/// The boxes of every lane for a drawing `width_px` wide spanning the run's wall time.
/// Chunks narrower than a pixel are merged with their lane neighbour, so a lane never has
/// more boxes than pixels.
pub fn lane_boxes(trace: &Trace, width_px: f64) -> Vec<LaneBox> {
    let scale = width_px / time_span(trace);
    let mut order: Vec<usize> = (0..trace.chunks.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&trace.chunks[a], &trace.chunks[b]);
        a.worker
            .cmp(&b.worker)
            .then(a.start_ms.total_cmp(&b.start_ms))
    });
    let mut boxes: Vec<LaneBox> = Vec::new();
    for i in order {
        let chunk = &trace.chunks[i];
        let x0 = chunk.start_ms * scale;
        let x1 = (chunk.end_ms * scale).max(x0 + 1.0);
        match boxes.last_mut() {
            Some(last)
                if last.worker == chunk.worker
                    && x0 < last.x1 + 1.0
                    && (last.x1 - last.x0 < 3.0 || x1 - x0 < 3.0) =>
            {
                last.x1 = last.x1.max(x1);
                last.merged += 1;
            }
            _ => boxes.push(LaneBox {
                worker: chunk.worker,
                x0,
                x1,
                chunk: chunk.index,
                merged: 1,
            }),
        }
    }
    boxes
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
    use crate::model::trace::tests::trace_of;

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
        let boxes = lane_boxes(&wide, 100.0);
        assert_eq!(boxes.len(), 3);
        assert_eq!((boxes[0].x0, boxes[0].x1), (0.0, 50.0));
        let spans: Vec<(usize, usize, f64, f64)> = (0..10_000)
            .map(|i| (i % 2, i % 2, i as f64 / 2.0, i as f64 / 2.0 + 0.5))
            .collect();
        let tiny = trace_of(&spans, &(0..10_000).collect::<Vec<_>>());
        let boxes = lane_boxes(&tiny, 200.0);
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
}
