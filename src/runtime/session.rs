//! The page's runs: one at a time (a second run waits for the first, so two runs never share
//! the workers and distort each other's timings), each stoppable, each completed by the wall
//! time of the same workload run sequentially on one worker, for the speed-up. That baseline
//! is measured once per workload while the page lives and reused after.

use crate::model::app_state::RunPhase;
use crate::model::config::RunConfig;
use crate::model::run_control::RunControl;
use crate::model::trace::{BaselineSource, Trace};
use crate::model::workload::{Workload, WorkloadKind};
use crate::runtime::executor;
use futures::lock::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Held by the run in progress; the next run waits for it.
static TURN: Mutex<()> = Mutex::new(());

thread_local! {
    /// Wall time of each workload run sequentially on one worker, ms.
    static BASELINES: RefCell<HashMap<Workload, f64>> = RefCell::new(HashMap::new());
    /// The control of the run in progress (or of its baseline), while there is one.
    static CURRENT: RefCell<Option<Arc<RunControl>>> = const { RefCell::new(None) };
    /// How many times Stop was asked for while the page lives (a sweep between its points
    /// has no run to stop, and ends when this changes).
    static STOPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How a run is carried out, beyond its config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Whether to measure the 1-worker baseline when none is stored for the workload.
    pub measure_baseline: bool,
}

/// Clears [`CURRENT`] when the run ends, however it ends.
struct CurrentRun;

impl CurrentRun {
    fn start(control: &Arc<RunControl>) -> Self {
        CURRENT.with(|current| *current.borrow_mut() = Some(Arc::clone(control)));
        CurrentRun
    }
}

impl Drop for CurrentRun {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

/// Stops the run in progress, its baseline included: workers take no new task and leave long
/// items part-way, requests in flight on the page are aborted, and the run ends with the trace
/// of what ran, marked stopped. Returns whether there was a run to stop.
pub fn stop() -> bool {
    STOPS.with(|stops| stops.set(stops.get() + 1));
    let control = CURRENT.with(|current| current.borrow().clone());
    crate::runtime::fetch::cancel_running();
    let stopping = control.inspect(|c| c.request_stop()).is_some();
    // A process run hears of it at once (the others look at the control as they go).
    crate::runtime::process::stop();
    stopping
}

/// How many times Stop was asked for while the page lives: a sweep stops when this changes.
pub fn stop_count() -> u64 {
    STOPS.with(std::cell::Cell::get)
}

/// Items done so far by the run (or baseline) in progress: in all, and by each lane.
pub fn items_done() -> Option<(usize, Vec<usize>)> {
    CURRENT.with(|current| {
        current
            .borrow()
            .as_ref()
            .map(|c| (c.items_done(), c.items_done_by_lane()))
    })
}

/// Runs `config` and fills in its baseline: `baseline_wall_ms`, the wall time of the same
/// workload run sequentially on one worker, stored or measured (unless `options` says not
/// to measure it). A stopped run (or a run whose baseline was stopped) keeps its trace.
pub async fn run(
    config: RunConfig,
    options: RunOptions,
    on_phase: impl Fn(RunPhase),
) -> Result<Trace, String> {
    let _turn = TURN.lock().await;
    // Lanes by worker, or for rayon by its thread's index: at most the pool's threads.
    let control = Arc::new(RunControl::with_lanes(crate::runtime::pool::POOL_THREADS));
    let _current = CurrentRun::start(&control);
    on_phase(if config.strategy.is_fetch() {
        RunPhase::Fetching
    } else {
        RunPhase::Running
    });
    shown_on_page().await;
    let mut trace = executor::run(&config, &control).await?;
    // Items that raise leave work undone (never run, cancelled): no speed-up over the whole
    // workload on one worker can be claimed for such a run.
    if config.strategy.is_fetch() || trace.stopped || !config.workload.raises.is_empty() {
        return Ok(trace);
    }
    let baseline = config.sequential_baseline();
    let workload = config.workload;
    if baseline.strategy == config.strategy && config.workers == 1 {
        BASELINES.with(|b| b.borrow_mut().insert(workload, trace.wall_ms));
        trace.baseline_wall_ms = Some(trace.wall_ms);
        trace.baseline = Some(BaselineSource::ThisRun);
        return Ok(trace);
    }
    if let Some(wall_ms) = BASELINES.with(|b| b.borrow().get(&workload).copied()) {
        trace.baseline_wall_ms = Some(wall_ms);
        trace.baseline = Some(BaselineSource::Stored);
        return Ok(trace);
    }
    // A request that failed would only fail again, or hang until its timeout again: a fetch
    // run with a failure gets no baseline rather than one that re-sends it.
    let failed_request = workload.kind == WorkloadKind::Fetch
        && trace.chunks.iter().any(|chunk| chunk.error.is_some());
    // The baseline runs on the thread pool, which a page that is not isolated lacks.
    let no_threads = !crate::runtime::pool::is_cross_origin_isolated();
    if !options.measure_baseline || failed_request || no_threads {
        return Ok(trace);
    }
    on_phase(RunPhase::MeasuringBaseline);
    shown_on_page().await;
    control.restart_count();
    let measured = executor::run(&baseline, &control).await?;
    if !measured.stopped {
        BASELINES.with(|b| b.borrow_mut().insert(workload, measured.wall_ms));
        trace.baseline_wall_ms = Some(measured.wall_ms);
        trace.baseline = Some(BaselineSource::Measured);
    }
    Ok(trace)
}

/// How long a run waits for the page to draw its new phase when no frame comes (a hidden tab
/// draws none), ms.
const FRAME_WAIT_MS: u32 = 100;

/// Lets the page draw what a new phase changed (the status line, Stop, the lanes' progress)
/// before the run's clock starts: the page's thread is also the parent of the processes, and
/// drawing a frame in the middle of a run left them without their next task meanwhile.
/// Resolves in the task after the next frame (its painting done), or after [`FRAME_WAIT_MS`]
/// when no frame comes.
async fn shown_on_page() {
    let (drawn, frame_came) = futures::channel::oneshot::channel();
    let _frame = gloo::render::request_animation_frame(move |_| {
        let _ = drawn.send(());
    });
    let no_frame = gloo::timers::future::TimeoutFuture::new(FRAME_WAIT_MS);
    futures::future::select(frame_came, no_frame).await;
    // Animation frame callbacks run before the frame is laid out and painted, in one task:
    // the next task begins after the painting.
    gloo::timers::future::TimeoutFuture::new(0).await;
}
