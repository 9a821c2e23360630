//! A sweep: one workload run over a grid of settings (workers × chunk sizes, or any numeric
//! setting over a range), one point after another, and what is read from the points' traces:
//! the results table, each point's speed-up against its 1-worker point, an Amdahl fit of the
//! serial fraction, and the best point.
//!
//! Every point is a [`RunConfig`] validated the normal way ([`Inputs::validate`]), so a point
//! the checks refuse is reported with its message and never run. The grid is refused as a
//! whole when it is empty, has more than [`MAX_SWEEP_POINTS`] points, or its estimated total
//! time (the sum of the run guard's estimates) exceeds the guard's [`MAX_ESTIMATED_MS`].

use crate::model::config::{ConfigValue, Inputs, RunConfig, MAX_ESTIMATED_MS};
use crate::model::field::{Field, FieldKind};
use crate::model::trace::Trace;
use crate::model::words::{count, number};
use serde::Serialize;
use std::rc::Rc;

/// The most points a sweep runs.
pub const MAX_SWEEP_POINTS: usize = 64;

/// One setting swept over a list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// The setting (a numeric one the strategy reads).
    pub field: Field,
    /// Its values, in the order given, without repeats.
    pub values: Vec<u64>,
}

impl Axis {
    /// An axis from a JS array's values (`{ workers: [1, 2, 4] }`): each a whole number in
    /// the setting's range, given as a number or as its digits.
    pub fn from_values(key: &str, values: Vec<ConfigValue>) -> Result<Self, String> {
        let field = numeric_field(key)?;
        if values.is_empty() {
            return Err(format!("the {key} axis is empty: give at least one value"));
        }
        let mut parsed = Vec::new();
        for value in values {
            let text = match value {
                ConfigValue::Number(n) => field.number_text(n),
                ConfigValue::Text(text) => Ok(text),
                other @ (ConfigValue::Missing
                | ConfigValue::Flag(_)
                | ConfigValue::Other(_)
                | ConfigValue::Unreadable(_)) => {
                    Err(format!("expected a number, not {}", other.describe()))
                }
            };
            let value = text
                .and_then(|text| field.parse_number(&text))
                .map_err(|why| format!("{key}: {why}"))?
                .ok_or_else(|| format!("{key}: an empty value is not a point"))?;
            if !parsed.contains(&value) {
                parsed.push(value);
            }
        }
        Ok(Self {
            field,
            values: parsed,
        })
    }

    /// An axis from the sweep form's text: values separated by spaces or commas, and
    /// `a..b` for every whole number from `a` to `b` (`1..4` is 1, 2, 3, 4).
    pub fn from_text(key: &str, text: &str) -> Result<Self, String> {
        let mut values = Vec::new();
        for word in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            match word.split_once("..") {
                Some((low, high)) => {
                    let field = numeric_field(key)?;
                    let bound = |text: &str| {
                        field
                            .parse_number(text)
                            .map_err(|why| format!("{key}: {why}"))?
                            .ok_or_else(|| format!("{key}: {word} needs both ends"))
                    };
                    let (low, high) = (bound(low)?, bound(high)?);
                    if high < low || high - low >= MAX_SWEEP_POINTS as u64 {
                        return Err(format!(
                            "{key}: {word} must go up, over at most {MAX_SWEEP_POINTS} values"
                        ));
                    }
                    values.extend((low..=high).map(|v| ConfigValue::Number(v as f64)));
                }
                None => values.push(ConfigValue::Text(word.to_owned())),
            }
        }
        Self::from_values(key, values)
    }
}

/// The numeric setting named `key`, or why it cannot be an axis.
fn numeric_field(key: &str) -> Result<Field, String> {
    let numeric: Vec<&str> = Field::ALL
        .into_iter()
        .filter(|f| matches!(f.kind(), FieldKind::Number { .. }))
        .map(Field::key)
        .collect();
    Field::ALL
        .into_iter()
        .find(|f| f.key() == key && matches!(f.kind(), FieldKind::Number { .. }))
        .ok_or_else(|| {
            format!(
                "{key} cannot be swept: sweep one of the numeric settings ({})",
                numeric.join(", ")
            )
        })
}

/// What became of one point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not run yet.
    Pending,
    /// Refused by the checks every run passes, with their message; never run.
    Refused(String),
    /// Ran to the end: its trace.
    Ran(Rc<Trace>),
    /// Stopped part-way (its time is not a measurement of the point).
    Stopped(Rc<Trace>),
    /// The run failed, and why.
    Failed(String),
}

/// One point of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The value of each axis at this point, in the axes' order.
    pub values: Vec<(Field, u64)>,
    /// The validated run, unless the checks refused it (see [`Outcome::Refused`]).
    pub config: Option<RunConfig>,
    /// What became of it.
    pub outcome: Outcome,
}

impl Point {
    /// The wall time of a point that ran to the end, ms (read from its trace).
    pub fn wall_ms(&self) -> Option<f64> {
        match &self.outcome {
            Outcome::Ran(trace) => Some(trace.wall_ms),
            Outcome::Pending | Outcome::Refused(_) | Outcome::Stopped(_) | Outcome::Failed(_) => {
                None
            }
        }
    }

    /// The trace of the point's run, if it ran (to the end or until stopped).
    pub fn trace(&self) -> Option<Rc<Trace>> {
        match &self.outcome {
            Outcome::Ran(trace) | Outcome::Stopped(trace) => Some(Rc::clone(trace)),
            Outcome::Pending | Outcome::Refused(_) | Outcome::Failed(_) => None,
        }
    }

    /// The link that opens this point's run: `?` and its settings.
    pub fn link(&self) -> Option<String> {
        self.config.as_ref().map(|c| format!("?{}", c.to_query()))
    }

    /// The value of `field` at this point, if it is an axis.
    pub fn value(&self, field: Field) -> Option<u64> {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map(|&(_, v)| v)
    }

    /// The points' settings as `workers 2, chunksize 4`.
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(f, v)| format!("{} {v}", f.key()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A sweep: the base run, the axes and the grid's points with what became of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The run every point starts from.
    pub base: RunConfig,
    /// The settings swept.
    pub axes: Vec<Axis>,
    /// Every point of the grid, the first axis varying slowest.
    pub points: Vec<Point>,
    /// Whether the sweep was stopped before its last point.
    pub stopped: bool,
}

/// The least-squares fit of Amdahl's law `1/speedup = s + (1 - s)/n` to measured speed-ups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AmdahlFit {
    /// The serial fraction `s`, from 0 (all parallel) to 1 (all serial).
    pub serial_fraction: f64,
}

impl AmdahlFit {
    /// The fit of `(workers, speedup)` pairs by least squares on `1/speedup - 1/n =
    /// s (1 - 1/n)`; `None` without a point on more than one worker. `s` is kept in 0..=1.
    pub fn of(measured: &[(usize, f64)]) -> Option<Self> {
        let (mut num, mut den) = (0.0, 0.0);
        for &(workers, speedup) in measured {
            if workers < 2 || speedup.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let inverse_n = 1.0 / workers as f64;
            let x = 1.0 - inverse_n;
            num += x * (1.0 / speedup - inverse_n);
            den += x * x;
        }
        (den > 0.0).then(|| Self {
            serial_fraction: (num / den).clamp(0.0, 1.0),
        })
    }

    /// The speed-up the fit predicts on `workers` workers.
    pub fn speedup(&self, workers: f64) -> f64 {
        let s = self.serial_fraction;
        1.0 / (s + (1.0 - s) / workers.max(1.0))
    }

    /// The limit of the speed-up however many workers: `1 / s`.
    pub fn limit(&self) -> Option<f64> {
        (self.serial_fraction > 0.0).then(|| 1.0 / self.serial_fraction)
    }
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
        let estimated_ms: f64 = points
            .iter()
            .filter_map(|p| p.config.as_ref())
            .map(|c| c.workload.estimated_total_ms())
            .sum();
        if estimated_ms > MAX_ESTIMATED_MS {
            return Err(format!(
                "this sweep is too big: its {} would take about {} minutes on one worker (the limit is 2). Use fewer points, fewer items or a lower cost",
                count(points.len(), "point"),
                (estimated_ms / 60_000.0).ceil()
            ));
        }
        Ok(Self {
            base: base.clone(),
            axes,
            points,
            stopped: false,
        })
    }

    /// The index of the next point to run, if any is left (refused points are skipped).
    pub fn next_pending(&self) -> Option<usize> {
        if self.stopped {
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

    /// Whether no point is left to run.
    pub fn is_finished(&self) -> bool {
        self.next_pending().is_none()
    }

    /// How many points have an outcome (ran, refused, stopped or failed).
    pub fn settled(&self) -> usize {
        self.points
            .iter()
            .filter(|p| p.outcome != Outcome::Pending)
            .count()
    }

    /// The point that differs from point `index` only by running on one worker, if the grid
    /// has it and it ran.
    fn one_worker_point(&self, index: usize) -> Option<&Point> {
        let point = self.points.get(index)?;
        point.value(Field::Workers)?;
        self.points.iter().find(|other| {
            other.value(Field::Workers) == Some(1)
                && other
                    .values
                    .iter()
                    .zip(&point.values)
                    .all(|(a, b)| a == b || a.0 == Field::Workers)
        })
    }

    /// The speed-up of point `index` against its 1-worker point (the same settings on one
    /// worker, run in this sweep): that point's wall time over this one's.
    pub fn speedup(&self, index: usize) -> Option<f64> {
        let own = self.points.get(index)?.wall_ms()?;
        let one = self.one_worker_point(index)?.wall_ms()?;
        (own > 0.0).then(|| one / own)
    }

    /// The fastest point that ran to the end.
    pub fn best(&self) -> Option<usize> {
        self.points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.wall_ms().map(|w| (i, w)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// The points of the same series as point `index`: the same settings but the workers.
    pub fn series_of(&self, index: usize) -> Vec<usize> {
        let Some(point) = self.points.get(index) else {
            return Vec::new();
        };
        (0..self.points.len())
            .filter(|&i| {
                self.points[i]
                    .values
                    .iter()
                    .zip(&point.values)
                    .all(|(a, b)| a == b || a.0 == Field::Workers)
            })
            .collect()
    }

    /// The Amdahl fit of the best point's series (its speed-ups against its workers).
    pub fn amdahl(&self) -> Option<AmdahlFit> {
        let best = self.best()?;
        let measured: Vec<(usize, f64)> = self
            .series_of(best)
            .into_iter()
            .filter_map(|i| {
                Some((
                    self.points[i].value(Field::Workers)? as usize,
                    self.speedup(i)?,
                ))
            })
            .collect();
        AmdahlFit::of(&measured)
    }

    /// The points that ran, as lines against `field` (an axis): one line per combination
    /// of the other axes' values, each point at `x` = its value of `field`, sorted by `x`.
    pub fn series_against(&self, field: Field) -> Vec<ChartSeries> {
        let mut series: Vec<ChartSeries> = Vec::new();
        for (index, point) in self.points.iter().enumerate() {
            let (Some(x), Some(wall_ms)) = (point.value(field), point.wall_ms()) else {
                continue;
            };
            let others: Vec<String> = point
                .values
                .iter()
                .filter(|(f, _)| *f != field)
                .map(|(f, v)| format!("{} {v}", f.key()))
                .collect();
            let label = others.join(", ");
            let chart_point = ChartPoint {
                index,
                x: x as f64,
                wall_ms,
                speedup: self.speedup(index),
            };
            match series.iter_mut().find(|s| s.label == label) {
                Some(line) => line.points.push(chart_point),
                None => series.push(ChartSeries {
                    label,
                    points: vec![chart_point],
                }),
            }
        }
        for line in &mut series {
            line.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        series
    }

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
            points: (0..self.points.len())
                .map(|i| self.export_point(i))
                .collect(),
            best: self.best(),
            amdahl: self.amdahl(),
            stopped: self.stopped,
        }
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
            settings: point.values.iter().map(|(f, v)| (f.key(), *v)).collect(),
            wall_ms: point.wall_ms(),
            speedup: self.speedup(index),
            link: point.link(),
            status,
            message,
        }
    }

    /// The sentence under the sweep: its progress, best point and serial fraction.
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
        if let Some(best) = self.best() {
            let point = &self.points[best];
            words.push_str(&format!(
                " Fastest: {} in {}",
                point.label(),
                crate::model::words::ms(point.wall_ms().unwrap_or(0.0), 1)
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

/// One line of a sweep's chart: the points that share every setting but the one drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// The settings the points share (`chunksize 4`); empty when only one setting is swept.
    pub label: String,
    /// Its points, by `x`.
    pub points: Vec<ChartPoint>,
}

/// One point of a chart line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartPoint {
    /// The point's index in the sweep.
    pub index: usize,
    /// Its value of the setting drawn.
    pub x: f64,
    /// Its wall time, ms.
    pub wall_ms: f64,
    /// Its speed-up against its 1-worker point, if the sweep has one.
    pub speedup: Option<f64>,
}

/// A sweep as exported (the JSON download and `playground.sweep`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepExport {
    /// The base run's settings, as a URL query.
    pub base: String,
    /// The settings swept and their values.
    pub axes: Vec<(&'static str, Vec<u64>)>,
    /// Every point.
    pub points: Vec<ExportedPoint>,
    /// The index of the fastest point.
    pub best: Option<usize>,
    /// The Amdahl fit of the fastest point's series.
    pub amdahl: Option<AmdahlFit>,
    /// Whether the sweep was stopped.
    pub stopped: bool,
}

/// One point as exported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedPoint {
    /// The value of each swept setting at this point, by key.
    pub settings: std::collections::BTreeMap<&'static str, u64>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record::{Recording, RunFacts};

    fn base(query: &str) -> RunConfig {
        Inputs::from_query(query).validate().unwrap()
    }

    fn numbers(values: &[f64]) -> Vec<ConfigValue> {
        values.iter().map(|&v| ConfigValue::Number(v)).collect()
    }

    fn trace(config: &RunConfig, wall_ms: f64) -> Rc<Trace> {
        let recording = Recording {
            workers: config.workers,
            chunksize: config.resolved_chunksize(),
            items: config.items,
            chunks: Vec::new(),
            worker_started_ms: Vec::new(),
            arrived: Vec::new(),
            delivered: Vec::new(),
            delivered_ms: Vec::new(),
            queue_depth: Vec::new(),
            gil_slices: Vec::new(),
            raised: None,
            notes: Vec::new(),
            results: Vec::new(),
            results_listed: false,
            results_in_order: true,
            stopped: false,
        };
        let facts = RunFacts {
            isolated: true,
            pool_threads: 16,
            started_at_ms: 0.0,
            wall_ms,
        };
        Rc::new(Trace::new(config, facts, recording))
    }

    fn grid(query: &str, workers: &[f64], chunksize: &[f64]) -> Sweep {
        let axes = vec![
            Axis::from_values("workers", numbers(workers)).unwrap(),
            Axis::from_values("chunksize", numbers(chunksize)).unwrap(),
        ];
        Sweep::plan(&base(query), axes).unwrap()
    }

    /// Runs every pending point with the wall time `wall(workers, chunksize)`.
    fn run_all(sweep: &mut Sweep, wall: impl Fn(u64, u64) -> f64) {
        while let Some(i) = sweep.next_pending() {
            let point = &sweep.points[i];
            let config = point.config.clone().unwrap();
            let ms = wall(config.workers as u64, config.resolved_chunksize() as u64);
            sweep.record(i, Ok(trace(&config, ms)));
        }
    }

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
    fn bad_axes_are_refused_with_a_clear_message() {
        let config = base("strategy=Pool.map&items=100&cost=50");
        let empty = Axis::from_values("workers", vec![]).unwrap_err();
        assert_eq!(empty, "the workers axis is empty: give at least one value");
        let not_number = Axis::from_values("workers", vec![ConfigValue::Flag(true)]).unwrap_err();
        assert_eq!(not_number, "workers: expected a number, not true");
        let fraction = Axis::from_values("chunksize", numbers(&[1.5])).unwrap_err();
        assert!(fraction.contains("1.5 is not a whole number"), "{fraction}");
        let out_of_range = Axis::from_values("workers", numbers(&[99.0])).unwrap_err();
        assert!(
            out_of_range.contains("Workers must be a whole number from 1 to 16"),
            "{out_of_range}"
        );
        let not_numeric = Axis::from_values("shape", numbers(&[1.0])).unwrap_err();
        assert!(
            not_numeric.starts_with("shape cannot be swept"),
            "{not_numeric}"
        );
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
            "ThreadPoolExecutor.map does not read chunksize: sweep a setting it reads"
        );
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
        // Each point alone passes the guard (about 16 s on one worker); ten of them do not.
        let long = base("strategy=Pool.map&items=100&workload=io&cost=160000");
        let refused =
            Sweep::plan(&long, vec![Axis::from_text("workers", "1..10").unwrap()]).unwrap_err();
        assert!(
            refused.starts_with("this sweep is too big: its 10 points would take about 3 minutes"),
            "{refused}"
        );
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

    #[test]
    fn text_axes_take_lists_and_ranges() {
        assert_eq!(
            Axis::from_text("workers", "1, 2 4..6 2").unwrap().values,
            [1, 2, 4, 5, 6]
        );
        assert!(Axis::from_text("workers", "4..2")
            .unwrap_err()
            .contains("must go up"));
        assert!(Axis::from_text("workers", "")
            .unwrap_err()
            .contains("empty"));
        assert!(Axis::from_text("workers", "two")
            .unwrap_err()
            .contains("'two' is not a whole number"));
    }

    #[test]
    fn speedups_are_against_the_same_chunk_size_on_one_worker_and_the_best_is_the_fastest() {
        let mut sweep = grid(
            "strategy=Pool.map&items=2000&cost=50",
            &[1.0, 2.0, 4.0],
            &[1.0, 4.0, 16.0],
        );
        // chunksize 1 costs 1 ms a task of overhead; the work (400 ms) splits perfectly.
        run_all(&mut sweep, |w, c| {
            400.0 / w as f64 + 2000.0 / c as f64 / w as f64
        });
        let index = |w: u64, c: u64| {
            sweep
                .points
                .iter()
                .position(|p| {
                    p.value(Field::Workers) == Some(w) && p.value(Field::Chunksize) == Some(c)
                })
                .unwrap()
        };
        let best = sweep.best().unwrap();
        assert_eq!(best, index(4, 16));
        assert!((sweep.speedup(index(4, 1)).unwrap() - 4.0).abs() < 1e-9);
        assert!((sweep.speedup(index(1, 4)).unwrap() - 1.0).abs() < 1e-9);
        let fit = sweep.amdahl().unwrap();
        assert!(fit.serial_fraction < 1e-9, "perfect scaling: {fit:?}");
        let exported = sweep.export();
        assert_eq!(exported.best, Some(best));
        assert_eq!(exported.points.len(), 9);
        assert_eq!(exported.points[best].wall_ms, sweep.points[best].wall_ms());
        assert!(sweep
            .summary()
            .starts_with("9 of 9 points run. Fastest: workers 4, chunksize 16"));
    }

    #[test]
    fn the_amdahl_fit_recovers_the_serial_fraction() {
        let s = 0.2;
        let measured: Vec<(usize, f64)> = [1, 2, 4, 8]
            .into_iter()
            .map(|n| (n, 1.0 / (s + (1.0 - s) / n as f64)))
            .collect();
        let fit = AmdahlFit::of(&measured).unwrap();
        assert!((fit.serial_fraction - s).abs() < 1e-9);
        assert!((fit.limit().unwrap() - 5.0).abs() < 1e-9);
        assert!((fit.speedup(4.0) - measured[2].1).abs() < 1e-9);
        assert_eq!(AmdahlFit::of(&[(1, 1.0)]), None, "one worker says nothing");
        // Slower than serial on more workers: the fraction is kept at 1.
        assert_eq!(AmdahlFit::of(&[(4, 0.5)]).unwrap().serial_fraction, 1.0);
    }

    #[test]
    fn a_stopped_point_ends_the_sweep_and_is_not_a_measurement() {
        let mut sweep = grid("strategy=Pool.map&items=100&cost=50", &[1.0, 2.0], &[1.0]);
        let first = sweep.points[0].config.clone().unwrap();
        sweep.record(0, Ok(trace(&first, 10.0)));
        let second = sweep.points[1].config.clone().unwrap();
        let mut stopped = (*trace(&second, 3.0)).clone();
        stopped.stopped = true;
        sweep.record(1, Ok(Rc::new(stopped)));
        assert!(sweep.stopped && sweep.is_finished());
        assert_eq!(sweep.points[1].wall_ms(), None);
        assert_eq!(sweep.speedup(1), None);
        assert_eq!(sweep.best(), Some(0));
        assert_eq!(sweep.export().points[1].status, "stopped");
    }
}
