//! What the sweep's tests share: base runs, axes and made-up traces of a given wall time.

use super::{Axis, Sweep};
use crate::model::config::{ConfigValue, Inputs, RunConfig};
use crate::model::trace::Trace;
use std::rc::Rc;

/// The run `query` describes (it must be valid).
pub fn base(query: &str) -> RunConfig {
    Inputs::from_query(query).validate().unwrap()
}

/// JS numbers.
pub fn numbers(values: &[f64]) -> Vec<ConfigValue> {
    values.iter().map(|&v| ConfigValue::Number(v)).collect()
}

/// A trace of `config` that took `wall_ms`.
pub fn trace(config: &RunConfig, wall_ms: f64) -> Rc<Trace> {
    Rc::new(crate::model::trace::tests::trace_for(config, wall_ms))
}

/// The same trace, marked stopped.
pub fn stopped(trace: &Trace) -> Rc<Trace> {
    let mut stopped = trace.clone();
    stopped.stopped = true;
    Rc::new(stopped)
}

/// The workers × chunksize grid from the run `query` describes.
pub fn grid(query: &str, workers: &[f64], chunksize: &[f64]) -> Sweep {
    let axes = vec![
        Axis::from_values("workers", numbers(workers)).unwrap(),
        Axis::from_values("chunksize", numbers(chunksize)).unwrap(),
    ];
    Sweep::plan(&base(query), axes).unwrap()
}

/// Runs the warm-up in `warm_up_ms`, then every pending point with the wall time
/// `wall(workers, chunksize)`.
pub fn run_all(sweep: &mut Sweep, warm_up_ms: f64, wall: impl Fn(u64, u64) -> f64) {
    if let Some(config) = sweep.warm_up_config().cloned() {
        sweep.record_warm_up(Ok(trace(&config, warm_up_ms)));
    }
    while let Some(i) = sweep.next_pending() {
        let config = sweep.points[i].config.clone().unwrap();
        let ms = wall(config.workers as u64, config.resolved_chunksize() as u64);
        sweep.record(i, Ok(trace(&config, ms)));
    }
}
