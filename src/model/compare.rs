//! Comparing finished runs: the settings that differ between two runs, named as
//! `chunksize 1 → 7` (from their [`RunConfig`]s), the change in wall time as a ratio (from
//! their traces), and their lanes on one shared time scale, each box merged with its
//! neighbours when they would fall within one pixel.

use crate::model::config::RunConfig;
use crate::model::field::Field;
use crate::model::layout::lane_ends;
use crate::model::trace::Trace;
use crate::model::words::{ms, number};
use std::fmt;

/// One setting that differs between two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The setting's key (`strategy`, `chunksize`, …).
    pub key: &'static str,
    /// Its value in the first run (`—` where that run's strategy does not read it).
    pub from: String,
    /// Its value in the second run.
    pub to: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} → {}", self.key, self.from, self.to)
    }
}

/// The value a run uses for `field`: the chunk size the run used (given or by the default
/// rule), else the value as a link writes it; `None` where the strategy does not read it.
fn value_of(config: &RunConfig, field: Field) -> Option<String> {
    if !config.strategy.fields().contains(&field) {
        return None;
    }
    if field == Field::Chunksize {
        return Some(config.resolved_chunksize().to_string());
    }
    let pairs = config.to_pairs();
    let given = pairs.iter().find(|(k, _)| *k == field.key());
    Some(match given {
        Some((_, value)) => value.clone(),
        None => config.strategy.default_text(field).to_owned(),
    })
}

/// The settings that differ from `from` to `to`, in the controls' order (the strategy first).
pub fn changes(from: &RunConfig, to: &RunConfig) -> Vec<Change> {
    let mut found = Vec::new();
    if from.strategy != to.strategy {
        found.push(Change {
            key: "strategy",
            from: from.strategy.name().to_owned(),
            to: to.strategy.name().to_owned(),
        });
    }
    for field in Field::ALL {
        let (a, b) = (value_of(from, field), value_of(to, field));
        if a != b {
            let shown = |v: Option<String>| v.filter(|v| !v.is_empty()).unwrap_or("—".into());
            found.push(Change {
                key: field.key(),
                from: shown(a),
                to: shown(b),
            });
        }
    }
    found
}

/// The changes as one phrase: `chunksize 1 → 7, workers 2 → 4`, or `the same settings`.
pub fn changes_phrase(from: &RunConfig, to: &RunConfig) -> String {
    let list = changes(from, to);
    if list.is_empty() {
        "the same settings".to_owned()
    } else {
        list.iter()
            .map(Change::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How many times longer `to` took than `from` (its wall time over `from`'s), when both
/// took some time.
pub fn wall_ratio(from: &Trace, to: &Trace) -> Option<f64> {
    (from.wall_ms > 0.0 && to.wall_ms > 0.0).then(|| to.wall_ms / from.wall_ms)
}

/// The change in wall time from `from` to `to`: `120.0 ms → 30.0 ms: 4.00× faster`.
pub fn wall_change(from: &Trace, to: &Trace) -> String {
    let times = format!("{} → {}", ms(from.wall_ms, 1), ms(to.wall_ms, 1));
    match wall_ratio(from, to) {
        Some(ratio) if ratio < 1.0 => format!("{times}: {}× faster", number(1.0 / ratio, 2)),
        Some(ratio) if ratio > 1.0 => format!("{times}: {}× slower", number(ratio, 2)),
        Some(_) => format!("{times}: the same"),
        None => times,
    }
}

/// The time every run of a comparison is drawn against: the longest of their spans, ms.
pub fn shared_span_ms<'a>(traces: impl IntoIterator<Item = &'a Trace>) -> f64 {
    traces
        .into_iter()
        .map(crate::model::layout::time_span)
        .fold(f64::EPSILON, f64::max)
}

/// A box on a lane: one chunk, or neighbouring chunks that fall within one pixel (under the
/// GIL: one hold of it, or neighbouring holds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneBox {
    /// The worker.
    pub lane: usize,
    /// Its left edge, px.
    pub x0: f64,
    /// Its right edge, px.
    pub x1: f64,
    /// How many chunks (under the GIL, holds of it) it stands for.
    pub chunks: usize,
}

/// The boxes of `trace`'s chunks on lanes `width_px` wide that span `span_ms`: one per chunk,
/// except that chunks of a lane closer than a pixel to the box before them join it. Under the
/// GIL a thread computes only while it holds it, so there the boxes are the GIL's holds (no
/// two lanes ever compute at once); on a process's lane a chunk ends where the next begins
/// ([`lane_ends`]).
pub fn lane_boxes(trace: &Trace, span_ms: f64, width_px: f64) -> Vec<LaneBox> {
    let scale = width_px / span_ms.max(f64::EPSILON);
    if trace.gil() && !trace.gil_slices.is_empty() {
        // The holds in time order (they never overlap): a hold joins the box before it only
        // if no other lane held the GIL in between, so that no two lanes ever overlap.
        let mut holds: Vec<(usize, f64, f64)> = trace
            .gil_slices
            .iter()
            .filter(|s| s.end_ms > s.start_ms)
            .map(|s| (s.worker, s.start_ms * scale, s.end_ms * scale))
            .collect();
        holds.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut boxes = joined(holds);
        boxes.sort_by(|a, b| a.lane.cmp(&b.lane).then(a.x0.total_cmp(&b.x0)));
        return boxes;
    }
    let mut chunks: Vec<(usize, f64, f64)> = trace
        .chunks
        .iter()
        .zip(lane_ends(trace))
        .map(|(c, end_ms)| (c.worker, c.start_ms * scale, end_ms * scale))
        .collect();
    chunks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    joined(chunks)
}

/// Boxes of `(lane, x0, x1)` spans in the order given: a span joins the box before it when
/// that box is on its lane and ends less than a pixel before it begins.
fn joined(spans: Vec<(usize, f64, f64)>) -> Vec<LaneBox> {
    let mut boxes: Vec<LaneBox> = Vec::new();
    for (lane, x0, x1) in spans {
        match boxes.last_mut() {
            Some(last) if last.lane == lane && x0 - last.x1 < 1.0 => {
                last.x1 = last.x1.max(x1);
                last.chunks += 1;
            }
            Some(_) | None => boxes.push(LaneBox {
                lane,
                x0,
                x1,
                chunks: 1,
            }),
        }
    }
    boxes
}

/// How many lanes a drawing of `trace` has: its workers, or more if a chunk names a later one.
pub fn lane_count(trace: &Trace) -> usize {
    trace
        .chunks
        .iter()
        .map(|c| c.worker + 1)
        .fold(trace.lanes(), usize::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::record::ChunkRecord;

    fn config(query: &str) -> RunConfig {
        Inputs::from_query(query).validate().unwrap()
    }

    fn trace(config: &RunConfig, wall_ms: f64, spans: &[(usize, f64, f64)]) -> Trace {
        let chunks = spans
            .iter()
            .enumerate()
            .map(|(index, &(worker, start_ms, end_ms))| ChunkRecord {
                index,
                first_item: index,
                len: 1,
                worker,
                thread: worker,
                start_ms,
                end_ms,
                transfer_ms: 0.0,
                gil_wait_ms: 0.0,
                error: None,
                stopped: false,
                process: None,
            })
            .collect();
        Trace {
            chunks,
            ..crate::model::trace::tests::trace_for(config, wall_ms)
        }
    }

    #[test]
    fn the_settings_that_differ_are_named_with_the_chunk_size_each_run_used() {
        let given = config("strategy=Pool.map&workers=4&items=100&chunksize=1");
        let default = config("strategy=Pool.map&workers=4&items=100");
        assert_eq!(changes_phrase(&given, &default), "chunksize 1 → 7");
        assert_eq!(changes_phrase(&default, &default), "the same settings");
        let more = config("strategy=Pool.map&workers=2&items=100&chunksize=1&cost=50");
        assert_eq!(
            changes_phrase(&given, &more),
            "workers 4 → 2, cost 200000 → 50"
        );
        let threads = config("strategy=ThreadPoolExecutor.map&workers=4&items=100");
        assert_eq!(
            changes_phrase(&given, &threads),
            "strategy Pool.map → ThreadPoolExecutor.map, gil — → true"
        );
    }

    #[test]
    fn the_wall_time_changes_by_the_ratio_of_the_traces() {
        let slow = trace(&config("items=100&chunksize=1"), 120.0, &[]);
        let fast = trace(&config("items=100"), 30.0, &[]);
        assert_eq!(wall_ratio(&slow, &fast), Some(0.25));
        assert_eq!(
            wall_change(&slow, &fast),
            "120.0 ms → 30.0 ms: 4.00× faster"
        );
        assert_eq!(
            wall_change(&fast, &slow),
            "30.0 ms → 120.0 ms: 4.00× slower"
        );
        assert_eq!(wall_change(&fast, &fast), "30.0 ms → 30.0 ms: the same");
    }

    #[test]
    fn runs_share_the_longest_span_and_boxes_within_a_pixel_merge() {
        let config = config("workers=2&items=4&chunksize=1");
        let short = trace(&config, 10.0, &[(0, 0.0, 5.0)]);
        let long = trace(
            &config,
            20.0,
            &[
                (1, 10.0, 20.0),
                (0, 0.0, 4.0),
                (0, 4.05, 8.0),
                (0, 12.0, 16.0),
            ],
        );
        let span = shared_span_ms([&short, &long]);
        assert_eq!(span, 20.0);
        // 100 px for 20 ms: 5 px a ms; the gap of 0.05 ms (0.25 px) joins two boxes.
        let boxes = lane_boxes(&long, span, 100.0);
        assert_eq!(
            boxes,
            [
                LaneBox {
                    lane: 0,
                    x0: 0.0,
                    x1: 40.0,
                    chunks: 2
                },
                LaneBox {
                    lane: 0,
                    x0: 60.0,
                    x1: 80.0,
                    chunks: 1
                },
                LaneBox {
                    lane: 1,
                    x0: 50.0,
                    x1: 100.0,
                    chunks: 1
                },
            ]
        );
        // On the shared scale the short run's box is half as wide as alone.
        assert_eq!(lane_boxes(&short, span, 100.0)[0].x1, 25.0);
        assert_eq!(lane_boxes(&short, 10.0, 100.0)[0].x1, 50.0);
        assert_eq!(lane_count(&long), 2);
    }

    /// GIL slices `(worker, start_ms, end_ms)`, each taken as soon as asked for.
    fn holds(spans: &[(usize, f64, f64)]) -> Vec<crate::model::gil::GilSlice> {
        spans
            .iter()
            .map(|&(worker, start_ms, end_ms)| crate::model::gil::GilSlice {
                worker,
                asked_ms: start_ms,
                start_ms,
                end_ms,
            })
            .collect()
    }

    #[test]
    fn under_the_gil_the_boxes_are_its_holds_and_never_overlap() {
        // Two threads each ran one task over the whole 20 ms, taking turns with the GIL.
        let config = config("strategy=ThreadPoolExecutor.map&workers=2&items=2&gil=on");
        let mut both = trace(&config, 20.0, &[(0, 0.0, 20.0), (1, 0.0, 20.0)]);
        both.gil_slices = holds(&[
            (0, 0.0, 5.0),
            (1, 5.0, 10.0),
            (0, 10.0, 15.0),
            (1, 15.0, 20.0),
        ]);
        let boxes = lane_boxes(&both, 20.0, 100.0);
        assert_eq!(boxes.len(), 4, "{boxes:?}");
        for (a, b) in boxes.iter().zip(boxes.iter().skip(1)) {
            if a.lane != b.lane {
                continue;
            }
            assert!(a.x1 <= b.x0);
        }
        let computing_at = |x: f64| boxes.iter().filter(|b| b.x0 <= x && x < b.x1).count();
        assert!((0..100).all(|x| computing_at(f64::from(x) + 0.5) == 1));
    }

    #[test]
    fn a_hold_narrower_than_a_pixel_keeps_the_other_lane_from_joining_across_it() {
        let config = config("strategy=ThreadPoolExecutor.map&workers=2&items=2&gil=on");
        let mut both = trace(&config, 20.0, &[(0, 0.0, 20.0), (1, 0.0, 20.0)]);
        // 100 px for 20 ms: thread 1's hold is half a pixel wide, between two of thread 0's.
        both.gil_slices = holds(&[(0, 0.0, 10.0), (1, 10.0, 10.1), (0, 10.1, 20.0)]);
        let lanes: Vec<usize> = lane_boxes(&both, 20.0, 100.0)
            .iter()
            .map(|b| b.lane)
            .collect();
        assert_eq!(lanes, [0, 0, 1], "thread 0's holds stay two boxes");
    }
}
