//! One point of a sweep's grid: its settings, its validated run and what became of it.

use crate::model::config::RunConfig;
use crate::model::field::Field;
use crate::model::trace::Trace;
use std::rc::Rc;

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
