//! The verdict on a run, as the trace's JSON key `verdict` carries it: the worker-time
//! account ([`Breakdown`], by [`Part`]), the lower bound, what dominates, the sentence, and the
//! suggested [`Settings`] with the predicted wall time. How each is measured and derived from
//! a trace is in `model::diagnosis`; the trace computes it once (`Trace::verdict`).

use crate::model::config::{Inputs, RunConfig};
use crate::model::field::Field;
use serde::Serialize;

/// A part of the worker-time account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Before the worker began (process start, thread hand-off).
    Startup,
    /// Pickling arguments and results and the messages carrying them, both ways.
    Transfer,
    /// Waiting for a task while tasks were still being handed out.
    QueueWait,
    /// The tasks' own work.
    Compute,
    /// Waiting for the GIL.
    GilWait,
    /// Nothing left to take while other workers still ran.
    Tail,
    /// After every task had ended, or a worker that got no task.
    Idle,
}

impl Part {
    /// Every part, in the order the bar stacks them.
    pub const ALL: [Part; 7] = [
        Part::Startup,
        Part::Transfer,
        Part::QueueWait,
        Part::Compute,
        Part::GilWait,
        Part::Tail,
        Part::Idle,
    ];

    /// The part in words, for the legend and the sentence.
    pub fn label(self) -> &'static str {
        match self {
            Part::Startup => "start-up",
            Part::Transfer => "pickling and messages",
            Part::QueueWait => "waiting for a task",
            Part::Compute => "the tasks' own work",
            Part::GilWait => "GIL wait",
            Part::Tail => "tail imbalance",
            Part::Idle => "idle",
        }
    }

    /// The key of the part in the JSON (`queue_wait`, …).
    pub fn key(self) -> &'static str {
        match self {
            Part::Startup => "startup",
            Part::Transfer => "transfer",
            Part::QueueWait => "queue_wait",
            Part::Compute => "compute",
            Part::GilWait => "gil_wait",
            Part::Tail => "tail",
            Part::Idle => "idle",
        }
    }
}

/// The worker-time account of a run, ms: the parts sum to `workers × wall_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Breakdown {
    /// Before each worker began.
    pub startup_ms: f64,
    /// Pickling and messages.
    pub transfer_ms: f64,
    /// Waiting for a task while tasks were handed out.
    pub queue_wait_ms: f64,
    /// The tasks' own work.
    pub compute_ms: f64,
    /// Waiting for the GIL.
    pub gil_wait_ms: f64,
    /// Nothing left to take while others ran.
    pub tail_ms: f64,
    /// After the last task, or on a lane with no task.
    pub idle_ms: f64,
}

impl Breakdown {
    /// The worker time of one part, ms.
    pub fn get(&self, part: Part) -> f64 {
        match part {
            Part::Startup => self.startup_ms,
            Part::Transfer => self.transfer_ms,
            Part::QueueWait => self.queue_wait_ms,
            Part::Compute => self.compute_ms,
            Part::GilWait => self.gil_wait_ms,
            Part::Tail => self.tail_ms,
            Part::Idle => self.idle_ms,
        }
    }

    /// Adds `value_ms` (if positive) to a part.
    pub(crate) fn add(&mut self, part: Part, value_ms: f64) {
        let slot = match part {
            Part::Startup => &mut self.startup_ms,
            Part::Transfer => &mut self.transfer_ms,
            Part::QueueWait => &mut self.queue_wait_ms,
            Part::Compute => &mut self.compute_ms,
            Part::GilWait => &mut self.gil_wait_ms,
            Part::Tail => &mut self.tail_ms,
            Part::Idle => &mut self.idle_ms,
        };
        *slot += value_ms.max(0.0);
    }

    /// The sum of the parts: the workers' time, ms.
    pub fn total_ms(&self) -> f64 {
        Part::ALL.iter().map(|&part| self.get(part)).sum()
    }

    /// A part's share of the whole, 0..=1.
    pub fn share(&self, part: Part) -> f64 {
        let total = self.total_ms();
        if total > 0.0 {
            self.get(part) / total
        } else {
            0.0
        }
    }

    /// The largest part (the first of equals, in [`Part::ALL`]'s order).
    pub fn largest(&self) -> Part {
        Part::ALL.into_iter().fold(Part::Compute, |best, part| {
            if self.get(part) > self.get(best) {
                part
            } else {
                best
            }
        })
    }
}

/// The settings a suggestion changes; those left out stay as they were (none: run it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Settings {
    /// The worker count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// The chunk size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunksize: Option<usize>,
    /// Whether the GIL is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gil: Option<bool>,
}

impl Settings {
    /// `config` with these settings changed, validated as any run is.
    pub fn apply(&self, config: &RunConfig) -> Result<RunConfig, String> {
        let mut inputs = Inputs::from_query(&config.to_query());
        if let Some(workers) = self.workers {
            inputs = inputs.with(Field::Workers, workers.to_string());
        }
        if let Some(chunksize) = self.chunksize {
            inputs = inputs.with(Field::Chunksize, chunksize.to_string());
        }
        if let Some(gil) = self.gil {
            inputs = inputs.with(Field::Gil, gil.to_string());
        }
        inputs.validate().map_err(|invalid| invalid.to_string())
    }
}

/// The verdict on a run (the trace's JSON key `verdict`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The largest part of the account.
    pub dominant: Part,
    /// What the page says: what dominates, what to change and the predicted gain.
    pub sentence: String,
    /// The settings to change (`{}`: run it again as it is), or `None` for no suggestion.
    pub suggested: Option<Settings>,
    /// The change in words (`chunksize 1 → 25`), when there is a suggestion.
    pub change: Option<String>,
    /// The wall time predicted for the suggestion, ms.
    pub predicted_wall_ms: Option<f64>,
    /// The worker-time account, ms.
    pub breakdown: Breakdown,
    /// The lower bound on the wall time, ms.
    pub lower_bound_ms: f64,
    /// The workers the account is of (the lanes).
    pub workers: usize,
    /// The wall time accounted for, ms.
    pub wall_ms: f64,
}

/// `0.614` as `61%` (below 1%: `<1%`).
pub fn percent(fraction: f64) -> String {
    let value = (fraction * 100.0).max(0.0);
    if value > 0.0 && value < 1.0 {
        "<1%".to_owned()
    } else {
        format!("{}%", value.round())
    }
}
