//! The page's runs: one at a time (a second run waits for the first, so two runs never share
//! the workers and distort each other's timings), each completed by the wall time of the same
//! workload run sequentially on one worker, for the speed-up.

use crate::model::app_state::RunPhase;
use crate::model::config::{RunConfig, Strategy};
use crate::model::trace::Trace;
use crate::runtime::executor;
use futures::lock::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;

/// Held by the run in progress; the next run waits for it.
static TURN: Mutex<()> = Mutex::new(());

thread_local! {
    static BASELINES: RefCell<HashMap<String, f64>> = RefCell::new(HashMap::new());
}

/// The sequential run of the same workload: one worker, one block, no pickling, no GIL. The
/// `fetch` workload runs only on threads: its requests one after another on one thread of
/// `ThreadPoolExecutor.map`.
fn sequential(config: &RunConfig) -> RunConfig {
    let mut inputs = crate::model::config::Inputs::from_query(&config.to_query());
    inputs = inputs.with_strategy(
        if config.workload.kind == crate::model::workload::WorkloadKind::Fetch {
            Strategy::ThreadPoolMap.name()
        } else {
            Strategy::Static.name()
        },
    );
    inputs = inputs.with(crate::model::config::Field::Workers, "1");
    inputs.validate().unwrap_or_else(|_| config.with_workers(1))
}

/// Runs `config` and fills in `baseline_wall_ms`: the wall time of the same workload run
/// sequentially on one worker, measured once per workload while the page lives.
pub async fn run(config: RunConfig, on_phase: impl Fn(RunPhase)) -> Result<Trace, String> {
    let _turn = TURN.lock().await;
    on_phase(if config.strategy.is_fetch() {
        RunPhase::Fetching
    } else {
        RunPhase::Running
    });
    let mut trace = executor::run(&config).await?;
    if config.strategy.is_fetch() {
        return Ok(trace);
    }
    let baseline = sequential(&config);
    let key = baseline.to_query();
    if baseline.strategy == config.strategy && config.workers == 1 {
        BASELINES.with(|b| b.borrow_mut().insert(key.clone(), trace.wall_ms));
    }
    let known = BASELINES.with(|b| b.borrow().get(&key).copied());
    trace.baseline_wall_ms = Some(match known {
        Some(wall_ms) => wall_ms,
        None => {
            on_phase(RunPhase::MeasuringBaseline);
            let wall_ms = executor::run(&baseline).await?.wall_ms;
            BASELINES.with(|b| b.borrow_mut().insert(key, wall_ms));
            wall_ms
        }
    });
    Ok(trace)
}
