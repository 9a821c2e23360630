//! A sweep: one workload run over a grid of settings (workers × chunk sizes, or any numeric
//! setting over a range), one point after another after one untimed warm-up run, and what is
//! read from the points' traces: the results table, each point's speed-up against its
//! 1-worker point, an Amdahl fit of the serial fraction, and the best point.
//!
//! Every point is a [`RunConfig`] validated the normal way ([`Inputs::validate`]), so a point
//! the checks refuse is reported with its message and never run. The grid is refused as a
//! whole when it is empty, has more than [`MAX_SWEEP_POINTS`] points, or its estimated total
//! time (the sum of the run guard's estimates, the warm-up's included) exceeds the guard's
//! [`MAX_ESTIMATED_MS`].
//!
//! The files: `axis.rs` (a setting and its values), `point.rs` (one point and its outcome),
//! `warm_up.rs` (the untimed run before the points), `fit.rs` (speed-ups, the best point,
//! the Amdahl fit and the charts' lines) and `export.rs` (the JSON and the summary).

mod axis;
mod export;
mod fit;
mod point;
mod warm_up;

pub use axis::Axis;
pub use export::{ExportedPoint, ExportedWarmUp, SweepExport};
pub use fit::{AmdahlFit, ChartPoint, ChartSeries};
pub use point::{Outcome, Point};
pub use warm_up::{WarmUp, WarmUpState};

use crate::model::config::{Inputs, RunConfig, MAX_ESTIMATED_MS};
use crate::model::field::Field;
use crate::model::strategy::Chunking;
use crate::model::trace::Trace;
use crate::model::words::count;
use std::rc::Rc;

/// The most points a sweep runs.
pub const MAX_SWEEP_POINTS: usize = 64;

/// A sweep: the base run, the axes and the grid's points with what became of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The run every point starts from.
    pub base: RunConfig,
    /// The settings swept.
    pub axes: Vec<Axis>,
    /// Every point of the grid, the first axis varying slowest.
    pub points: Vec<Point>,
    /// The untimed run made before the points (none when the checks refused every point).
    pub warm_up: Option<WarmUp>,
    /// Whether the sweep was stopped before its last point.
    pub stopped: bool,
}

impl Sweep {
    /// The grid over `axes` from `base`: every point validated as a run is. Refuses no axis,
    /// a repeated or unread setting, more than [`MAX_SWEEP_POINTS`] points, and grids whose
    /// estimated total time is over the run guard's limit.
    pub fn plan(base: &RunConfig, axes: Vec<Axis>) -> Result<Self, String> {
        if axes.is_empty() {
            return Err("a sweep needs at least one axis, e.g. { workers: [1, 2, 4] }".into());
        }
        for (i, axis) in axes.iter().enumerate() {
            if axes[..i].iter().any(|a| a.field == axis.field) {
                return Err(format!("{} is given twice", axis.field.key()));
            }
            if !base.strategy.fields().contains(&axis.field) {
                return Err(format!(
                    "{} does not read {}: sweep a setting it reads",
                    base.strategy.name(),
                    axis.field.key()
                ));
            }
            if axis.field == Field::Chunksize
                && base.strategy.chunking() == Chunking::PerItemChunksizeIgnored
            {
                return Err(format!(
                    "{} ignores chunksize, as CPython does (one item per task): sweep a setting that changes the run",
                    base.strategy.name()
                ));
            }
            if axis.values.is_empty() {
                return Err(format!("the {} axis is empty", axis.field.key()));
            }
        }
        let size = axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
            .filter(|&n| n <= MAX_SWEEP_POINTS);
        let Some(size) = size else {
            return Err(format!(
                "too many points: {} makes {}; a sweep runs at most {MAX_SWEEP_POINTS}",
                axes.iter()
                    .map(|a| a.values.len().to_string())
                    .collect::<Vec<_>>()
                    .join(" × "),
                axes.iter().map(|a| a.values.len() as f64).product::<f64>()
            ));
        };
        let base_inputs = Inputs::from_query(&base.to_query());
        let points: Vec<Point> = (0..size)
            .map(|index| {
                let mut rest = index;
                let mut values = vec![(Field::Workers, 0); axes.len()];
                for (slot, axis) in values.iter_mut().zip(&axes).rev() {
                    *slot = (axis.field, axis.values[rest % axis.values.len()]);
                    rest /= axis.values.len();
                }
                let inputs = values.iter().fold(base_inputs.clone(), |inputs, (f, v)| {
                    inputs.with(*f, v.to_string())
                });
                let (config, outcome) = match inputs.validate() {
                    Ok(config) => (Some(config), Outcome::Pending),
                    Err(invalid) => (None, Outcome::Refused(invalid.to_string())),
                };
                Point {
                    values,
                    config,
                    outcome,
                }
            })
            .collect();
        let warm_up = WarmUp::of(&points);
        let estimated_ms: f64 = points
            .iter()
            .filter_map(|p| p.config.as_ref())
            .chain(
                warm_up
                    .iter()
                    .filter_map(|w| points[w.index].config.as_ref()),
            )
            .map(|c| c.workload.estimated_total_ms())
            .sum();
        if estimated_ms > MAX_ESTIMATED_MS {
            return Err(format!(
                "this sweep is too big: its {} and their warm-up run would take about {} minutes on one worker (the limit is 2). Use fewer points, fewer items or a lower cost",
                count(points.len(), "point"),
                (estimated_ms / 60_000.0).ceil()
            ));
        }
        Ok(Self {
            base: base.clone(),
            axes,
            points,
            warm_up,
            stopped: false,
        })
    }

    /// The index of the next point to run, if any is left (refused points are skipped);
    /// none while the warm-up is still to run.
    pub fn next_pending(&self) -> Option<usize> {
        if self.stopped || self.is_warming_up() {
            return None;
        }
        self.points
            .iter()
            .position(|p| p.outcome == Outcome::Pending)
    }

    /// Records what became of point `index` (a trace marked stopped stops the sweep).
    pub fn record(&mut self, index: usize, result: Result<Rc<Trace>, String>) {
        let Some(point) = self.points.get_mut(index) else {
            return;
        };
        point.outcome = match result {
            Ok(trace) if trace.stopped => {
                self.stopped = true;
                Outcome::Stopped(trace)
            }
            Ok(trace) => Outcome::Ran(trace),
            Err(why) => Outcome::Failed(why),
        };
    }

    /// Marks the sweep stopped: no further point runs.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Whether nothing is left to run (neither the warm-up nor a point).
    pub fn is_finished(&self) -> bool {
        !self.is_warming_up() && self.next_pending().is_none()
    }

    /// How many points have an outcome (ran, refused, stopped or failed).
    pub fn settled(&self) -> usize {
        self.points
            .iter()
            .filter(|p| p.outcome != Outcome::Pending)
            .count()
    }
}

#[cfg(test)]
mod test_support;

#[cfg(test)]
mod tests {
    use super::test_support::{base, grid, numbers};
    use super::*;

    #[test]
    fn a_three_by_three_grid_is_nine_validated_runs_first_axis_slowest() {
        let sweep = grid(
            "strategy=Pool.map&items=2000&cost=50",
            &[1.0, 2.0, 4.0],
            &[1.0, 4.0, 16.0],
        );
        assert_eq!(sweep.points.len(), 9);
        let settings: Vec<(usize, Option<usize>)> = sweep
            .points
            .iter()
            .map(|p| {
                let c = p.config.as_ref().unwrap();
                (c.workers, c.chunksize)
            })
            .collect();
        assert_eq!(
            settings,
            [
                (1, Some(1)),
                (1, Some(4)),
                (1, Some(16)),
                (2, Some(1)),
                (2, Some(4)),
                (2, Some(16)),
                (4, Some(1)),
                (4, Some(4)),
                (4, Some(16))
            ]
        );
        let link = sweep.points[5].link().unwrap();
        assert_eq!(
            link,
            "?strategy=Pool.map&workers=2&chunksize=16&items=2000&cost=50"
        );
        assert_eq!(
            Inputs::from_query(&link).validate().unwrap(),
            *sweep.points[5].config.as_ref().unwrap(),
            "the link opens exactly the point's run"
        );
        assert_eq!(sweep.points[5].label(), "workers 2, chunksize 16");
    }

    #[test]
    fn bad_grids_are_refused_with_a_clear_message() {
        let config = base("strategy=Pool.map&items=100&cost=50");
        assert!(Sweep::plan(&config, vec![])
            .unwrap_err()
            .contains("at least one axis"));
        let unread = Sweep::plan(
            &base("strategy=ThreadPoolExecutor.map&items=100&cost=50"),
            vec![Axis::from_values("chunksize", numbers(&[1.0])).unwrap()],
        )
        .unwrap_err();
        assert_eq!(
            unread,
            "ThreadPoolExecutor.map ignores chunksize, as CPython does (one item per task): sweep a setting that changes the run"
        );
        let twice = Sweep::plan(
            &config,
            vec![
                Axis::from_text("workers", "1 2").unwrap(),
                Axis::from_text("workers", "4").unwrap(),
            ],
        )
        .unwrap_err();
        assert_eq!(twice, "workers is given twice");
        let too_many = Sweep::plan(
            &config,
            vec![
                Axis::from_text("workers", "1..16").unwrap(),
                Axis::from_text("chunksize", "1..5").unwrap(),
            ],
        )
        .unwrap_err();
        assert_eq!(
            too_many,
            "too many points: 16 × 5 makes 80; a sweep runs at most 64"
        );
    }

    #[test]
    fn a_grid_longer_than_the_guard_is_refused_and_a_refused_point_is_reported() {
        // Each point alone passes the guard (about 16 s on one worker); ten of them and
        // their warm-up run do not.
        let long = base("strategy=Pool.map&items=100&workload=io&cost=160000");
        let refused =
            Sweep::plan(&long, vec![Axis::from_text("workers", "1..10").unwrap()]).unwrap_err();
        assert!(
            refused.starts_with(
                "this sweep is too big: its 10 points and their warm-up run would take about 3 minutes"
            ),
            "{refused}"
        );
        // The warm-up counts: six points and it (about 112 s) pass, seven and it do not.
        assert!(Sweep::plan(&long, vec![Axis::from_text("workers", "1..6").unwrap()]).is_ok());
        assert!(Sweep::plan(&long, vec![Axis::from_text("workers", "1..7").unwrap()]).is_err());
        // One point over the run guard is refused by its checks and reported, not run.
        let sweep = Sweep::plan(
            &base("strategy=Pool.map&items=200&workload=io&cost=1000"),
            vec![Axis::from_values("cost", numbers(&[1000.0, 1_000_000.0])).unwrap()],
        )
        .unwrap();
        assert_eq!(sweep.points[0].outcome, Outcome::Pending);
        let Outcome::Refused(why) = &sweep.points[1].outcome else {
            panic!("the big point should be refused");
        };
        assert!(why.contains("too big"), "{why}");
        assert_eq!(sweep.points[1].link(), None);
        assert_eq!(sweep.export_point(1).status, "refused");
    }
}
