//! The warm-up: one untimed run before a sweep's points, so that no point runs cold.
//!
//! A benchmark runs its workload once before it measures: the first run on a worker pays for
//! what later runs find ready (the wasm code compiled and optimised on that Web Worker, its
//! memory grown, the page's own code warmed). Without it a sweep's first point (1 worker,
//! the first chunk size) is slower than it should be, its speed-ups are too large and the
//! Amdahl fit reads it as all serial. So a sweep first runs its point with the most workers
//! (every worker the grid uses then has run once), untimed and not recorded as a point; the
//! summary and the export say so, with its time.

use super::{Point, Sweep};
use crate::model::config::RunConfig;
use crate::model::trace::Trace;
use std::rc::Rc;

/// The sweep's untimed warm-up run: which point it runs and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct WarmUp {
    /// The point it runs (the first with the most workers).
    pub index: usize,
    /// What became of it.
    pub state: WarmUpState,
}

/// What became of the warm-up run.
#[derive(Debug, Clone, PartialEq)]
pub enum WarmUpState {
    /// Not run yet: it runs before any point.
    Pending,
    /// Ran to the end in this wall time, ms (a measurement of no point).
    Ran(f64),
    /// Stopped: the sweep ended before its first point.
    Stopped,
    /// The run failed, and why: the points ran without a warm-up.
    Failed(String),
}

impl WarmUp {
    /// The warm-up of a grid of `points`: its first point with the most workers, or `None` when
    /// the checks refused every point (nothing will run).
    pub(super) fn of(points: &[Point]) -> Option<Self> {
        let mut index = None;
        for (i, point) in points.iter().enumerate() {
            let Some(config) = &point.config else {
                continue;
            };
            let most = index.and_then(|m: usize| points[m].config.as_ref());
            if most.is_none_or(|most| config.workers > most.workers) {
                index = Some(i);
            }
        }
        index.map(|index| Self {
            index,
            state: WarmUpState::Pending,
        })
    }
}

impl Sweep {
    /// Whether the warm-up is still to run (the points wait for it).
    pub fn is_warming_up(&self) -> bool {
        !self.stopped
            && self
                .warm_up
                .as_ref()
                .is_some_and(|w| w.state == WarmUpState::Pending)
    }

    /// The run to make before any point, untimed, if it has not been made.
    pub fn warm_up_config(&self) -> Option<&RunConfig> {
        let warm_up = self.warm_up.as_ref().filter(|_| self.is_warming_up())?;
        self.points[warm_up.index].config.as_ref()
    }

    /// Records what became of the warm-up run: its time if it ran to the end (it is not a
    /// point), a stopped run stops the sweep, a failure is kept and the points run anyway.
    pub fn record_warm_up(&mut self, result: Result<Rc<Trace>, String>) {
        let Some(warm_up) = self.warm_up.as_mut() else {
            return;
        };
        warm_up.state = match result {
            Ok(trace) if trace.stopped => {
                self.stopped = true;
                WarmUpState::Stopped
            }
            Ok(trace) => WarmUpState::Ran(trace.wall_ms),
            Err(why) => WarmUpState::Failed(why),
        };
    }

    /// The sentence on the warm-up: what it ran, and how long it took or what became of it.
    pub fn warm_up_sentence(&self) -> Option<String> {
        let warm_up = self.warm_up.as_ref()?;
        let label = self.points[warm_up.index].label();
        Some(match &warm_up.state {
            WarmUpState::Pending if self.stopped => {
                format!("Stopped before the untimed warm-up run ({label}).")
            }
            WarmUpState::Pending => {
                format!("Warming up: one untimed run ({label}) before the points.")
            }
            WarmUpState::Ran(wall_ms) => format!(
                "Points measured after one untimed warm-up run of {} ({label}).",
                crate::model::words::ms(*wall_ms, 1)
            ),
            WarmUpState::Stopped => format!("Stopped during the untimed warm-up run ({label})."),
            WarmUpState::Failed(why) => {
                format!("The untimed warm-up run ({label}) failed ({why}): the points ran cold.")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sweep::test_support::{base, grid, numbers, run_all, stopped, trace};
    use crate::model::sweep::{Axis, Outcome};

    #[test]
    fn the_warm_up_runs_the_first_point_with_the_most_workers_before_any_point() {
        let mut sweep = grid(
            "strategy=Pool.map&items=2000&cost=50",
            &[2.0, 4.0, 1.0],
            &[1.0, 4.0],
        );
        let warm_up = sweep.warm_up.clone().unwrap();
        assert_eq!(
            sweep.points[warm_up.index].label(),
            "workers 4, chunksize 1"
        );
        assert!(sweep.is_warming_up() && !sweep.is_finished());
        assert_eq!(
            sweep.next_pending(),
            None,
            "no point runs before the warm-up"
        );
        let config = sweep.warm_up_config().unwrap().clone();
        assert_eq!((config.workers, config.chunksize), (4, Some(1)));
        assert_eq!(
            sweep.warm_up_sentence().unwrap(),
            "Warming up: one untimed run (workers 4, chunksize 1) before the points."
        );
        sweep.record_warm_up(Ok(trace(&config, 57.3)));
        assert_eq!(sweep.warm_up_config(), None, "it runs once");
        assert_eq!(sweep.next_pending(), Some(0));
        assert_eq!(sweep.settled(), 0, "the warm-up is not a point");
        assert_eq!(
            sweep.warm_up_sentence().unwrap(),
            "Points measured after one untimed warm-up run of 57.3 ms (workers 4, chunksize 1)."
        );
        run_all(&mut sweep, 0.0, |w, _| 100.0 / w as f64);
        assert!(sweep.is_finished());
        assert_eq!(sweep.settled(), 6);
        assert_eq!(
            sweep.warm_up.unwrap().state,
            WarmUpState::Ran(57.3),
            "its time is kept apart from the points'"
        );
    }

    #[test]
    fn stop_during_the_warm_up_ends_the_sweep_with_no_point() {
        let mut sweep = grid("strategy=Pool.map&items=100&cost=50", &[1.0, 2.0], &[1.0]);
        let config = sweep.warm_up_config().unwrap().clone();
        sweep.record_warm_up(Ok(stopped(&trace(&config, 3.0))));
        assert!(sweep.stopped && sweep.is_finished() && !sweep.is_warming_up());
        assert_eq!(sweep.next_pending(), None);
        assert!(sweep.points.iter().all(|p| p.outcome == Outcome::Pending));
        assert_eq!(
            sweep.warm_up_sentence().unwrap(),
            "Stopped during the untimed warm-up run (workers 2, chunksize 1)."
        );
        // Stopped before the warm-up began.
        let mut before = grid("strategy=Pool.map&items=100&cost=50", &[1.0], &[1.0]);
        before.stop();
        assert!(before.is_finished() && before.warm_up_config().is_none());
        assert_eq!(
            before.warm_up_sentence().unwrap(),
            "Stopped before the untimed warm-up run (workers 1, chunksize 1)."
        );
    }

    #[test]
    fn a_failed_warm_up_is_said_and_the_points_still_run() {
        let mut sweep = grid("strategy=Pool.map&items=100&cost=50", &[1.0, 2.0], &[1.0]);
        sweep.record_warm_up(Err("no workers".into()));
        assert_eq!(sweep.next_pending(), Some(0));
        assert_eq!(
            sweep.warm_up_sentence().unwrap(),
            "The untimed warm-up run (workers 2, chunksize 1) failed (no workers): the points ran cold."
        );
    }

    #[test]
    fn refused_points_are_never_the_warm_up_and_a_grid_of_refusals_has_none() {
        // Only the first point passes the run guard: it is the warm-up, whatever its workers.
        let sweep = Sweep::plan(
            &base("strategy=Pool.map&items=200&workload=io&cost=1000"),
            vec![Axis::from_values("cost", numbers(&[1000.0, 1_000_000.0])).unwrap()],
        )
        .unwrap();
        assert_eq!(sweep.warm_up.as_ref().unwrap().index, 0);
        let none = Sweep::plan(
            &base("strategy=Pool.map&items=200&workload=io&cost=1000"),
            vec![Axis::from_values("cost", numbers(&[1_000_000.0])).unwrap()],
        )
        .unwrap();
        assert_eq!(none.warm_up, None);
        assert!(none.is_finished() && none.warm_up_sentence().is_none());
    }
}
