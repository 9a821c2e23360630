//! The loop that runs a sweep on the page's session: its untimed warm-up run first, then its
//! points one after another, each shown as it finishes; Stop ends it.

use crate::model::app_state::Action;
use crate::model::config::RunConfig;
use crate::model::sweep::Sweep;
use crate::model::trace::Trace;
use crate::runtime::session::{self, RunOptions};
use crate::ui::app::{run_and_show, Dispatcher};
use std::cell::Cell;
use std::rc::Rc;

thread_local! {
    /// Whether a sweep is running its points (only one runs at a time).
    static SWEEPING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a sweep is running its points.
pub fn is_sweeping() -> bool {
    SWEEPING.with(Cell::get)
}

/// Clears [`SWEEPING`] when the sweep ends, however it ends.
struct SweepTurn;

impl Drop for SweepTurn {
    fn drop(&mut self) {
        SWEEPING.with(|s| s.set(false));
    }
}

/// The sweep's runs need no baseline: the 1-worker point is the baseline.
const NO_BASELINE: RunOptions = RunOptions {
    measure_baseline: false,
};

/// Runs the sweep on the page's session: first its untimed warm-up run (shown in progress,
/// with Stop, but not drawn and not a point), then its points one after another, showing
/// each run as it finishes and the sweep after each step. Stop (the button, Escape or
/// `playground.cancel()`) ends it: the run in progress keeps the trace of what ran, and no
/// further point starts.
pub async fn run_sweep(dispatch: Dispatcher, mut sweep: Sweep) -> Sweep {
    SWEEPING.with(|s| s.set(true));
    let _turn = SweepTurn;
    let stops = session::stop_count();
    dispatch.dispatch(Action::SweepChanged(Rc::new(sweep.clone())));
    if let Some(config) = sweep.warm_up_config().cloned() {
        let result = warm_up(&dispatch, config).await;
        sweep.record_warm_up(result);
        if session::stop_count() != stops {
            sweep.stop();
        }
        dispatch.dispatch(Action::SweepChanged(Rc::new(sweep.clone())));
    }
    while let Some(index) = sweep.next_pending() {
        let Some(config) = sweep.points[index].config.clone() else {
            break;
        };
        let result = run_and_show(dispatch.clone(), config, NO_BASELINE).await;
        sweep.record(index, result);
        if session::stop_count() != stops {
            sweep.stop();
        }
        dispatch.dispatch(Action::SweepChanged(Rc::new(sweep.clone())));
    }
    sweep
}

/// Runs `config` once, untimed: the page shows it in progress (with Stop) but keeps the run
/// it shows, and the trace is only read for its time and whether it was stopped.
async fn warm_up(dispatch: &Dispatcher, config: RunConfig) -> Result<Rc<Trace>, String> {
    dispatch.dispatch(Action::started(&config));
    let progress = dispatch.clone();
    let result = session::run(config, NO_BASELINE, move |phase| {
        progress.dispatch(Action::Progress(phase))
    })
    .await;
    dispatch.dispatch(Action::WarmUpEnded);
    result.map(Rc::new)
}
