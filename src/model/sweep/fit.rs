//! What is read from a sweep's measured points: each point's speed-up against its 1-worker
//! point, the best point, the Amdahl fit of the serial fraction, and the charts' lines.

use super::{Point, Sweep};
use crate::model::field::Field;
use serde::Serialize;

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

impl Sweep {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sweep::test_support::{grid, run_all};

    #[test]
    fn speedups_are_against_the_same_chunk_size_on_one_worker_and_the_best_is_the_fastest() {
        let mut sweep = grid(
            "strategy=Pool.map&items=2000&cost=50",
            &[1.0, 2.0, 4.0],
            &[1.0, 4.0, 16.0],
        );
        // chunksize 1 costs 1 ms a task of overhead; the work (400 ms) splits perfectly.
        run_all(&mut sweep, 150.0, |w, c| {
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
        assert_eq!(sweep.series_of(best), [index(1, 16), index(2, 16), best]);
        let fit = sweep.amdahl().unwrap();
        assert!(fit.serial_fraction < 1e-9, "perfect scaling: {fit:?}");
        let lines = sweep.series_against(Field::Workers);
        assert_eq!(
            lines.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(),
            ["chunksize 1", "chunksize 4", "chunksize 16"]
        );
        assert_eq!(
            lines[2].points.iter().map(|p| p.x).collect::<Vec<_>>(),
            [1.0, 2.0, 4.0]
        );
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
}
