//! The page's runs: one at a time (a second run waits for the first, so two runs never share
//! the workers and distort each other's timings), each completed by the wall time of the same
//! workload on one worker, for the speed-up.

use crate::model::app_state::RunPhase;
use crate::model::config::RunConfig;
use crate::model::trace::Trace;
use crate::runtime::executor;
use futures::lock::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;

/// What makes two runs the same workload for the baseline: items, chunk size, cost.
type WorkloadKey = (usize, usize, u32);

/// Held by the run in progress; the next run waits for it.
static TURN: Mutex<()> = Mutex::new(());

thread_local! {
    static BASELINES: RefCell<HashMap<WorkloadKey, f64>> = RefCell::new(HashMap::new());
}

fn workload_key(config: &RunConfig) -> WorkloadKey {
    (config.items, config.resolved_chunksize(), config.cost)
}

/// Runs `config` and fills in `baseline_wall_ms`: measured by a 1-worker run of the same
/// workload (same items, chunk size and cost), reused while the page lives.
pub async fn run(config: RunConfig, on_phase: impl Fn(RunPhase)) -> Result<Trace, String> {
    let _turn = TURN.lock().await;
    on_phase(RunPhase::Running);
    let mut trace = executor::run(config).await?;
    let key = workload_key(&config);
    if config.workers == 1 {
        BASELINES.with(|b| b.borrow_mut().insert(key, trace.wall_ms));
    }
    let known = BASELINES.with(|b| b.borrow().get(&key).copied());
    trace.baseline_wall_ms = Some(match known {
        Some(wall_ms) => wall_ms,
        None => {
            on_phase(RunPhase::MeasuringBaseline);
            let single = RunConfig {
                workers: 1,
                chunksize: Some(config.resolved_chunksize()),
                ..config
            };
            let wall_ms = executor::run(single).await?.wall_ms;
            BASELINES.with(|b| b.borrow_mut().insert(key, wall_ms));
            wall_ms
        }
    });
    Ok(trace)
}
