//! Drawable geometry from a trace, independent of any canvas or DOM: how many cells a strip
//! gets, which colour a chunk has, the gather strip's bins, the queue's depth steps, and the
//! chunk under the pointer (the lanes themselves are `model::lane_grid` and
//! `model::lane_drawing`). Keeps large runs cheap to draw: a trace is reduced once in one
//! pass ([`gather_bins`], [`depth_steps`]), and what is drawn is bounded by the pixels, not by
//! the number of chunks.

pub use crate::model::drawn::GatherBin;
use crate::model::drawn::{GatherCell, FINE_COLUMNS};
use crate::model::record::DepthSample;
use crate::model::trace::Trace;
use crate::model::words::{duration, ms, number};
use std::ops::Range;
use std::sync::Arc;

/// The most cells a strip draws (the split and the gather).
pub const MAX_CELLS: usize = 240;

impl Trace {
    /// The time the queue's depth is drawn over, ms.
    pub fn depth_span_ms(&self) -> f64 {
        self.wall_ms.max(1e-3)
    }

    /// The queue's depth reduced to the samples worth drawing at any width: at most a few
    /// per fine column ([`depth_steps`] over [`FINE_COLUMNS`] columns; made once).
    pub fn binned_depth(&self) -> Arc<Vec<DepthSample>> {
        Arc::clone(self.derived.drawings.depth.get_or_init(|| {
            Arc::new(depth_steps(
                &self.queue_depth,
                self.depth_span_ms(),
                FINE_COLUMNS as f64,
            ))
        }))
    }

    /// The gather strip's cells ([`gather_bins`] into [`MAX_CELLS`]; made once).
    pub fn binned_gather(&self) -> Arc<Vec<GatherBin>> {
        Arc::clone(
            self.derived
                .drawings
                .gather
                .get_or_init(|| Arc::new(gather_bins(self, MAX_CELLS))),
        )
    }

    /// Whether the gather strip's cells are made already (reading them then costs nothing).
    pub fn gather_is_binned(&self) -> bool {
        self.derived.drawings.gather.get().is_some()
    }
}

/// Splits `0..count` into at most `max_cells` contiguous, near-equal ranges, so a strip of
/// a million chunks still has a bounded number of cells.
pub fn bins(count: usize, max_cells: usize) -> Vec<Range<usize>> {
    let cells = count.min(max_cells.max(1));
    (0..cells)
        .map(|cell| (cell * count / cells)..((cell + 1) * count / cells))
        .collect()
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

/// A round step for time ticks: about `target` ticks over `span` ms.
pub fn tick_step(span: f64, target: f64) -> f64 {
    let raw = (span / target).max(1e-3);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
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

/// Where each chunk's box ends on its lane, in the order of `trace.chunks`: its end, except
/// that a process reads its next chunk from its pipe while the results of the one before
/// still cross back to the parent, so on a process's lane a chunk's box ends where the next
/// one begins (a lane never shows two chunks at once).
pub fn lane_ends(trace: &Trace) -> Vec<f64> {
    let mut ends: Vec<f64> = trace.chunks.iter().map(|c| c.end_ms).collect();
    if trace.processes.is_some() {
        let mut last_on_lane: Vec<Option<usize>> = Vec::new();
        for (at, chunk) in trace.chunks.iter().enumerate() {
            if last_on_lane.len() <= chunk.worker {
                last_on_lane.resize(chunk.worker + 1, None);
            }
            if let Some(before) = last_on_lane[chunk.worker].replace(at) {
                let begun = trace.chunks[before].start_ms;
                ends[before] = ends[before].min(chunk.start_ms).max(begun);
            }
        }
    }
    ends
}

/// What a pointer over the box of chunk `index` says about it.
pub fn describe_chunk(trace: &Trace, index: usize) -> Option<String> {
    let c = trace.chunk(index)?;
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
    use crate::model::errors::TaskError;
    use crate::model::trace::tests::trace_of;

    #[test]
    fn a_process_lane_ends_a_chunk_where_its_next_begins() {
        // Process 0 began chunk 2 (read from its pipe) at 3 ms, before chunk 0's results
        // reached the parent at 4 ms.
        let mut trace = trace_of(
            &[(0, 0, 0.0, 4.0), (1, 1, 0.5, 3.5), (0, 0, 3.0, 6.0)],
            &[1, 0, 2],
        );
        assert_eq!(lane_ends(&trace), [4.0, 3.5, 6.0], "threads: as recorded");
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(1.0), Some(1.0)],
            started_by_run: vec![true, true],
            replacements: Vec::new(),
        });
        assert_eq!(lane_ends(&trace), [3.0, 3.5, 6.0]);
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
    fn a_chunk_is_described_in_the_lanes_numbering() {
        let trace = trace_of(
            &[(0, 3, 0.0, 4.0), (1, 5, 0.0, 6.0), (0, 3, 4.0, 10.0)],
            &[0, 1, 2],
        );
        assert_eq!(
            describe_chunk(&trace, 2).unwrap(),
            "task 2 · item 3 · worker 0 (thread 3) · 4.00–10.00 ms (6.00 ms)",
            "one numbering: the trace's worker, 0-based, as the lanes label it"
        );
        assert_eq!(time_span(&trace), 10.0);
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
}
