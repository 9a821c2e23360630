//! A sweep as it is handed out: the JSON download and `playground.sweep` (a trace of traces:
//! each point's settings, wall time, speed-up and link, and the untimed warm-up run), and
//! the sentence under the sweep on the page.

use super::{AmdahlFit, Outcome, Sweep, WarmUpState};
use crate::model::words::{count, ms, number};
use serde::Serialize;
use std::collections::BTreeMap;

/// A sweep as exported (the JSON download and `playground.sweep`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepExport {
    /// The base run's settings, as a URL query.
    pub base: String,
    /// The settings swept and their values.
    pub axes: Vec<(&'static str, Vec<u64>)>,
    /// The untimed run made before the points (none when no point could run).
    pub warm_up: Option<ExportedWarmUp>,
    /// Every point.
    pub points: Vec<ExportedPoint>,
    /// The index of the fastest point.
    pub best: Option<usize>,
    /// The Amdahl fit of the fastest point's series.
    pub amdahl: Option<AmdahlFit>,
    /// Whether the sweep was stopped.
    pub stopped: bool,
    /// The sentence shown under the sweep.
    pub summary: String,
}

/// One point as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedPoint {
    /// The value of each swept setting at this point, by key.
    pub settings: BTreeMap<&'static str, u64>,
    /// Its wall time, ms, if it ran to the end.
    pub wall_ms: Option<f64>,
    /// Its speed-up against its 1-worker point, when the sweep has one.
    pub speedup: Option<f64>,
    /// The link that opens its run (`?strategy=…`), unless the checks refused it.
    pub link: Option<String>,
    /// `ran`, `refused`, `stopped`, `failed` or `pending`.
    pub status: &'static str,
    /// Why it was refused or failed.
    pub message: Option<String>,
}

/// The warm-up run as exported: which point it ran and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedWarmUp {
    /// The settings of the point it ran, by key.
    pub settings: BTreeMap<&'static str, u64>,
    /// Its wall time, ms, if it ran to the end (untimed: a measurement of no point).
    pub wall_ms: Option<f64>,
    /// `ran`, `stopped`, `failed` or `pending`.
    pub status: &'static str,
    /// Why it failed.
    pub message: Option<String>,
}

impl Sweep {
    /// The sweep as the page and the JS API hand it out: a trace of traces, each point with
    /// its settings, wall time, speed-up and link.
    pub fn export(&self) -> SweepExport {
        SweepExport {
            base: self.base.to_query(),
            axes: self
                .axes
                .iter()
                .map(|a| (a.field.key(), a.values.clone()))
                .collect(),
            warm_up: self.warm_up.as_ref().map(|warm_up| {
                let (wall_ms, status, message) = match &warm_up.state {
                    WarmUpState::Pending => (None, "pending", None),
                    WarmUpState::Ran(wall_ms) => (Some(*wall_ms), "ran", None),
                    WarmUpState::Stopped => (None, "stopped", None),
                    WarmUpState::Failed(why) => (None, "failed", Some(why.clone())),
                };
                ExportedWarmUp {
                    settings: self.settings_of(warm_up.index),
                    wall_ms,
                    status,
                    message,
                }
            }),
            points: (0..self.points.len())
                .map(|i| self.export_point(i))
                .collect(),
            best: self.best(),
            amdahl: self.amdahl(),
            stopped: self.stopped,
            summary: self.summary(),
        }
    }

    /// The settings of point `index`, by key.
    fn settings_of(&self, index: usize) -> BTreeMap<&'static str, u64> {
        self.points[index]
            .values
            .iter()
            .map(|(f, v)| (f.key(), *v))
            .collect()
    }

    /// One point as exported.
    pub fn export_point(&self, index: usize) -> ExportedPoint {
        let point = &self.points[index];
        let (status, message) = match &point.outcome {
            Outcome::Pending => ("pending", None),
            Outcome::Refused(why) => ("refused", Some(why.clone())),
            Outcome::Ran(_) => ("ran", None),
            Outcome::Stopped(_) => ("stopped", None),
            Outcome::Failed(why) => ("failed", Some(why.clone())),
        };
        ExportedPoint {
            settings: self.settings_of(index),
            wall_ms: point.wall_ms(),
            speedup: self.speedup(index),
            link: point.link(),
            status,
            message,
        }
    }

    /// The sentence under the sweep: its progress, its warm-up, best point and serial
    /// fraction.
    pub fn summary(&self) -> String {
        let ran = self.points.iter().filter(|p| p.wall_ms().is_some()).count();
        let mut words = format!("{} of {} run", ran, count(self.points.len(), "point"));
        let refused = self
            .points
            .iter()
            .filter(|p| matches!(p.outcome, Outcome::Refused(_)))
            .count();
        if refused > 0 {
            words.push_str(&format!(", {refused} refused by the checks"));
        }
        if self.stopped {
            words.push_str(", stopped");
        }
        words.push('.');
        if let Some(warm_up) = self.warm_up_sentence() {
            words.push(' ');
            words.push_str(&warm_up);
        }
        if let Some(best) = self.best() {
            let point = &self.points[best];
            words.push_str(&format!(
                " Fastest: {} in {}",
                point.label(),
                ms(point.wall_ms().unwrap_or(0.0), 1)
            ));
            if let Some(speedup) = self.speedup(best) {
                words.push_str(&format!(" ({}× its 1-worker time)", number(speedup, 2)));
            }
            words.push('.');
        }
        if let Some(fit) = self.amdahl() {
            words.push_str(&format!(
                " Amdahl fit: serial fraction {}%",
                number(fit.serial_fraction * 100.0, 1)
            ));
            if let Some(limit) = fit.limit() {
                words.push_str(&format!(
                    ", so at most {}× however many workers",
                    number(limit, 1)
                ));
            }
            words.push('.');
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sweep::test_support::{grid, run_all, stopped, trace};

    #[test]
    fn the_export_and_the_summary_name_the_best_point_and_the_warm_up() {
        let mut sweep = grid(
            "strategy=Pool.map&items=2000&cost=50",
            &[1.0, 2.0, 4.0],
            &[1.0, 4.0, 16.0],
        );
        run_all(&mut sweep, 123.4, |w, c| {
            400.0 / w as f64 + 2000.0 / c as f64 / w as f64
        });
        let best = sweep.best().unwrap();
        let exported = sweep.export();
        assert_eq!(exported.best, Some(best));
        assert_eq!(exported.points.len(), 9);
        assert_eq!(exported.points[best].wall_ms, sweep.points[best].wall_ms());
        assert_eq!(
            exported.points[best].settings,
            BTreeMap::from([("chunksize", 16), ("workers", 4)])
        );
        let warm_up = exported.warm_up.clone().unwrap();
        assert_eq!(
            (warm_up.settings, warm_up.wall_ms, warm_up.status),
            (
                BTreeMap::from([("chunksize", 1), ("workers", 4)]),
                Some(123.4),
                "ran"
            )
        );
        assert_eq!(
            sweep.summary(),
            "9 of 9 points run. Points measured after one untimed warm-up run of 123.4 ms \
             (workers 4, chunksize 1). Fastest: workers 4, chunksize 16 in 131.2 ms \
             (4.00× its 1-worker time). Amdahl fit: serial fraction 0.0%."
        );
        assert_eq!(exported.summary, sweep.summary());
        let json = serde_json::to_value(&exported).unwrap();
        assert_eq!(json["warm_up"]["wall_ms"], 123.4);
        assert_eq!(json["warm_up"]["settings"]["workers"], 4);
    }

    #[test]
    fn a_stopped_point_ends_the_sweep_and_is_not_a_measurement() {
        let mut sweep = grid("strategy=Pool.map&items=100&cost=50", &[1.0, 2.0], &[1.0]);
        let warm_up = sweep.warm_up_config().unwrap().clone();
        sweep.record_warm_up(Ok(trace(&warm_up, 8.0)));
        let first = sweep.points[0].config.clone().unwrap();
        sweep.record(0, Ok(trace(&first, 10.0)));
        let second = sweep.points[1].config.clone().unwrap();
        sweep.record(1, Ok(stopped(&trace(&second, 3.0))));
        assert!(sweep.stopped && sweep.is_finished());
        assert_eq!(sweep.points[1].wall_ms(), None);
        assert_eq!(sweep.speedup(1), None);
        assert_eq!(sweep.best(), Some(0));
        assert_eq!(sweep.export().points[1].status, "stopped");
        assert!(
            sweep.summary().starts_with(
                "1 of 2 points run, stopped. Points measured after one untimed warm-up run of 8.0 ms"
            ),
            "{}",
            sweep.summary()
        );
    }

    #[test]
    fn stopped_in_the_warm_up_the_export_has_no_measured_point() {
        let mut sweep = grid("strategy=Pool.map&items=100&cost=50", &[1.0, 2.0], &[1.0]);
        let warm_up = sweep.warm_up_config().unwrap().clone();
        sweep.record_warm_up(Ok(stopped(&trace(&warm_up, 3.0))));
        let exported = sweep.export();
        assert_eq!(exported.warm_up.unwrap().status, "stopped");
        assert!(exported.points.iter().all(|p| p.status == "pending"));
        assert_eq!(
            exported.summary,
            "0 of 2 points run, stopped. Stopped during the untimed warm-up run (workers 2, chunksize 1)."
        );
    }
}
