//! Processes: the page's process pool, for the process strategies. Each process is a module
//! Web Worker with its own instance of the playground's module and its own memory
//! (`process_worker.js`), so nothing is shared and no cross-origin isolation is needed. The
//! page is the parent: [`ProcessPoolRun`] decides what to send; this module posts the task
//! messages (their bytes transferred), receives the replies and events on the page's event
//! loop, and never waits on a process.
//!
//! A pool's processes are started on first use and kept for later runs, as a `with Pool()`
//! block reused across maps: the trace says which processes a run started and how long each
//! took. At most `os.cpu_count()` (at least 2) pool processes instantiate the module at once;
//! the others start as those become ready, so that the first are not slowed by the rest. Stop terminates the processes that are running a chunk (`Pool.terminate()`); a
//! process that dies is reported. Either is replaced as soon as the run ends.
//! `multiprocessing.Process` starts a new process per item instead, each ended once its
//! result is back.

use crate::model::config::RunConfig;
use crate::model::plan::plan;
use crate::model::process_pool::{Dispatch, ProcessPoolRun};
use crate::model::process_task::ProcessReply;
use crate::model::record::{ProcessStartup, RunFacts};
use crate::model::run_control::RunControl;
use crate::model::strategy::WorkerCount;
use crate::model::trace::Trace;
use crate::runtime::clock::now_ms;
use crate::runtime::pool::is_cross_origin_isolated;
use futures::channel::oneshot;
use js_sys::{JsString, Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/runtime/process_worker.js")]
extern "C" {
    /// A process: a module Web Worker running its own instance of the module.
    type ProcessWorker;

    #[wasm_bindgen(js_name = endProcess)]
    fn end_worker(worker: &ProcessWorker);

    #[wasm_bindgen(js_name = startProcess)]
    fn start_process(
        main_js: JsString,
        module: JsValue,
        name: &str,
        on_message: &js_sys::Function,
    ) -> ProcessWorker;

    /// Posts task messages to `worker` in one message: `bytes` holds them one after another,
    /// each ending at the next of `ends`.
    #[wasm_bindgen(js_name = postTasks)]
    fn post_tasks(worker: &ProcessWorker, bytes: &[u8], ends: &[u32]);
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the module's JS glue, which each process imports.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MAIN_JS_URL: JsString;
}

/// Runs one task message in this process (called by `process_worker.js` inside a process):
/// unpickles the arguments, computes, pickles the results; `item_done(n)` is called after
/// each item with the number done. Returns the reply message ([`ProcessReply::encode`]:
/// the results and the times, on the shared clock), which the process posts as it is.
#[doc(hidden)]
#[wasm_bindgen]
pub fn process_serve(task: &[u8], item_done: &js_sys::Function) -> Vec<u8> {
    crate::model::process_task::serve_task(task, &now_ms, &mut |done| {
        // Only the page's progress display listens; a failed call changes nothing.
        let _ = item_done.call1(&JsValue::NULL, &(done as f64).into());
    })
    .encode()
}

/// Which processes a lane belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The page's process pool, kept between runs.
    Pool,
    /// A run's own processes, one per task (`multiprocessing.Process`), ended with it.
    PerTask,
}

/// One process.
struct Process {
    worker: ProcessWorker,
    /// Receives the process's messages; kept as long as the process lives.
    _on_message: Closure<dyn FnMut(JsValue)>,
    /// Tells this process's messages from those of an earlier process on the same lane.
    id: u64,
    /// When `new Worker` was called, on the shared clock.
    requested_at: f64,
    /// When it said it was ready, on the shared clock.
    ready_at: Option<f64>,
    /// Items of its current task it has said are done (for the page's progress).
    items_reported: usize,
}

/// The processes by lane (`None`: none started, or it died or was terminated).
#[derive(Default)]
struct Processes {
    pool: Vec<Option<Process>>,
    per_task: Vec<Option<Process>>,
}

impl Processes {
    fn lanes(&mut self, kind: Kind) -> &mut Vec<Option<Process>> {
        match kind {
            Kind::Pool => &mut self.pool,
            Kind::PerTask => &mut self.per_task,
        }
    }

    fn get(&mut self, kind: Kind, lane: usize) -> Option<&mut Process> {
        self.lanes(kind).get_mut(lane).and_then(Option::as_mut)
    }
}

/// The run in progress on the processes.
struct ActiveRun {
    model: ProcessPoolRun,
    kind: Kind,
    started_at: f64,
    control: Arc<RunControl>,
    startup: ProcessStartup,
    over: Option<oneshot::Sender<()>>,
}

thread_local! {
    static PROCESSES: RefCell<Processes> = RefCell::new(Processes::default());
    /// The next process id.
    static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The process run in progress, if any (session runs one run at a time).
    static RUN: RefCell<Option<ActiveRun>> = const { RefCell::new(None) };
    /// Pool lanes asked for whose process waits for others to be ready before it starts.
    static WAITING: RefCell<VecDeque<usize>> = const { RefCell::new(VecDeque::new()) };
}

/// Asks for a process on pool lane `lane`: started at once while fewer than
/// `os.cpu_count()` (at least 2) pool processes are starting, else when one is ready.
fn request_pool_process(lane: usize) {
    let known = PROCESSES.with(|p| p.borrow_mut().get(Kind::Pool, lane).is_some());
    WAITING.with(|waiting| {
        let mut waiting = waiting.borrow_mut();
        if !known && !waiting.contains(&lane) {
            waiting.push_back(lane);
        }
    });
    start_waiting();
}

/// Starts waiting pool processes while fewer than the limit are starting.
fn start_waiting() {
    let limit = crate::model::machine::cpu_count().max(2);
    loop {
        let starting = PROCESSES.with(|p| {
            let processes = p.borrow();
            let starting = processes.pool.iter().flatten();
            starting
                .filter(|process| process.ready_at.is_none())
                .count()
        });
        if starting >= limit {
            return;
        }
        let Some(lane) = WAITING.with(|waiting| waiting.borrow_mut().pop_front()) else {
            return;
        };
        ensure_process(Kind::Pool, lane);
    }
}

/// Starts a process on `lane` of `kind` unless one lives there.
fn ensure_process(kind: Kind, lane: usize) {
    if PROCESSES.with(|p| p.borrow_mut().get(kind, lane).is_some()) {
        return;
    }
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |data: JsValue| {
        on_process_message(kind, lane, id, &data);
    });
    let requested_at = now_ms();
    let worker = start_process(
        MAIN_JS_URL.with(Clone::clone),
        wasm_bindgen::module(),
        &format!("process {lane}"),
        on_message.as_ref().unchecked_ref(),
    );
    PROCESSES.with(|p| {
        let mut processes = p.borrow_mut();
        let lanes = processes.lanes(kind);
        if lanes.len() <= lane {
            lanes.resize_with(lane + 1, || None);
        }
        lanes[lane] = Some(Process {
            worker,
            _on_message: on_message,
            id,
            requested_at,
            ready_at: None,
            items_reported: 0,
        });
    });
}

/// Ends the process on `lane` of `kind` (terminated; a pool lane gets a new one later).
fn end_process(kind: Kind, lane: usize) {
    let process = PROCESSES.with(|p| {
        p.borrow_mut()
            .lanes(kind)
            .get_mut(lane)
            .and_then(Option::take)
    });
    if let Some(process) = process {
        end_worker(&process.worker);
    }
}

fn number(data: &JsValue, key: &str) -> f64 {
    Reflect::get(data, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or_else(now_ms)
}

/// A process became ready at `at` (shared clock) after starting at `requested_at`: the run
/// records its start-up and gives it a task.
fn ready(kind: Kind, lane: usize, requested_at: f64, at: f64) {
    with_run(kind, |run, now| {
        if lane >= run.model.processes() {
            return;
        }
        // Started by this run, or still starting when it began: its start-up is known now.
        if let Some(startup @ None) = run.startup.startup_ms.get_mut(lane) {
            *startup = Some(at - requested_at);
        }
        let dispatches = run.model.process_ready(lane, at - run.started_at, now);
        send(kind, dispatches);
    });
}

/// What a process said: its reply to a task (a message of bytes), or `ready`, `progress` or
/// `died`.
fn on_process_message(kind: Kind, lane: usize, id: u64, data: &JsValue) {
    let requested_at = PROCESSES.with(|p| {
        p.borrow_mut()
            .get(kind, lane)
            .filter(|process| process.id == id)
            .map(|process| process.requested_at)
    });
    let Some(requested_at) = requested_at else {
        return;
    };
    if let Some(reply) = data.dyn_ref::<Uint8Array>() {
        result_arrived(kind, lane, &reply.to_vec());
        return;
    }
    let message = Reflect::get(data, &"type".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match message.as_str() {
        "ready" => {
            let at = number(data, "at");
            PROCESSES.with(|p| {
                if let Some(process) = p.borrow_mut().get(kind, lane) {
                    process.ready_at = Some(at);
                }
            });
            ready(kind, lane, requested_at, at);
            start_waiting();
        }
        "progress" => {
            let done = number(data, "done") as usize;
            let reported = report_items(kind, lane, Some(done));
            with_run(kind, |run, _| {
                (reported..done).for_each(|_| run.control.item_done(lane))
            });
        }
        _ => {
            let why = Reflect::get(data, &"message".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| "the process died".to_owned());
            end_process(kind, lane);
            with_run(kind, |run, now| {
                let after = run.model.process_died(lane, &why, now());
                after
                    .terminate
                    .into_iter()
                    .for_each(|lane| end_process(kind, lane));
                if after.replace {
                    request_pool_process(lane);
                }
            });
            start_waiting();
        }
    }
}

/// The process on `lane` sent its reply to a task: the run takes in its results (times moved
/// to the run's clock) and sends what follows.
fn result_arrived(kind: Kind, lane: usize, bytes: &[u8]) {
    let reply = ProcessReply::decode(bytes).unwrap_or_else(|why| ProcessReply {
        results: Vec::new(),
        compute_start_ms: now_ms(),
        compute_end_ms: now_ms(),
        error: Some(why),
        raised: None,
        sent_ms: now_ms(),
    });
    let reported = report_items(kind, lane, None);
    // A process of its own ends when its target returns.
    if kind == Kind::PerTask {
        end_process(kind, lane);
    }
    with_run(kind, |run, now| {
        let reply = ProcessReply {
            compute_start_ms: reply.compute_start_ms - run.started_at,
            compute_end_ms: reply.compute_end_ms - run.started_at,
            sent_ms: reply.sent_ms - run.started_at,
            ..reply
        };
        let (returned, next) = run.model.result_arrived(lane, reply, now);
        (reported..returned).for_each(|_| run.control.item_done(lane));
        send(kind, next);
    });
}

/// Records that the process on `lane` has said `done` items of its task are done (`None`:
/// its task is over) and returns how many it had said before.
fn report_items(kind: Kind, lane: usize, done: Option<usize>) -> usize {
    PROCESSES.with(|p| {
        let mut processes = p.borrow_mut();
        let Some(process) = processes.get(kind, lane) else {
            return 0;
        };
        let before = process.items_reported;
        process.items_reported = match done {
            Some(done) => done.max(before),
            None => 0,
        };
        before
    })
}

/// Posts task messages to their processes: those for one process in one message, in order.
fn send(kind: Kind, dispatches: Vec<Dispatch>) {
    let mut lanes: Vec<usize> = dispatches.iter().map(|d| d.process).collect();
    lanes.sort_unstable();
    lanes.dedup();
    PROCESSES.with(|p| {
        let mut processes = p.borrow_mut();
        for lane in lanes {
            let Some(process) = processes.get(kind, lane) else {
                continue;
            };
            let mut tasks = dispatches.iter().filter(|d| d.process == lane);
            match (tasks.next(), tasks.next()) {
                // The usual case: one task, posted from where it was written.
                (Some(only), None) => {
                    post_tasks(&process.worker, &only.message, &[only.message.len() as u32])
                }
                _ => {
                    let (mut bytes, mut ends) = (Vec::new(), Vec::new());
                    for task in dispatches.iter().filter(|d| d.process == lane) {
                        bytes.extend_from_slice(&task.message);
                        ends.push(bytes.len() as u32);
                    }
                    post_tasks(&process.worker, &bytes, &ends);
                }
            }
        }
    });
}

/// Applies `event` to the run in progress (if it runs on `kind` processes) with its clock,
/// then ends the run if it is over: processes still busy then are terminated.
fn with_run(kind: Kind, event: impl FnOnce(&mut ActiveRun, &dyn Fn() -> f64)) {
    RUN.with(|run| {
        let mut run = run.borrow_mut();
        let Some(active) = run.as_mut().filter(|active| active.kind == kind) else {
            return;
        };
        let started_at = active.started_at;
        event(active, &move || now_ms() - started_at);
        if active.model.is_over() {
            for lane in active.model.busy() {
                end_process(kind, lane);
            }
            if let Some(over) = active.over.take() {
                let _ = over.send(());
            }
        }
    });
}

/// Runs a process strategy and returns its trace: a pool strategy on the page's process
/// pool (starting the processes it needs that are not running yet), `multiprocessing.Process`
/// on a new process per item. `control` stops it.
pub async fn run(config: &RunConfig, control: &Arc<RunControl>) -> Result<Trace, String> {
    let started_at = now_ms();
    let plan = plan(config);
    let workers = plan.workers;
    let kind = match config.strategy.rule().workers {
        WorkerCount::OnePerItem => Kind::PerTask,
        WorkerCount::Setting | WorkerCount::EventLoop => Kind::Pool,
    };
    if kind == Kind::PerTask {
        // Each run starts its own.
        let lanes = PROCESSES.with(|p| p.borrow_mut().per_task.len());
        (0..lanes).for_each(|lane| end_process(kind, lane));
    }
    // Which processes this run starts, and the start-up of those it reuses.
    let known: Vec<Option<(f64, Option<f64>)>> = PROCESSES.with(|p| {
        let mut processes = p.borrow_mut();
        (0..workers)
            .map(|lane| {
                processes
                    .get(kind, lane)
                    .map(|process| (process.requested_at, process.ready_at))
            })
            .collect()
    });
    let startup = ProcessStartup {
        startup_ms: known
            .iter()
            .map(|known| known.and_then(|(requested, ready)| Some(ready? - requested)))
            .collect(),
        started_by_run: known.iter().map(Option::is_none).collect(),
        replacements: Vec::new(),
    };
    let (over, over_received) = oneshot::channel();
    RUN.with(|run| {
        *run.borrow_mut() = Some(ActiveRun {
            model: ProcessPoolRun::new(plan, config.workload),
            kind,
            started_at,
            control: Arc::clone(control),
            startup,
            over: Some(over),
        })
    });
    // Processes that are ready take their first task at once; the others when they are.
    for (lane, known) in known.into_iter().enumerate() {
        match known {
            Some((requested_at, Some(ready_at))) => ready(kind, lane, requested_at, ready_at),
            Some((_, None)) => {}
            None if kind == Kind::Pool => request_pool_process(lane),
            None => ensure_process(kind, lane),
        }
    }
    with_run(kind, |_, _| {});
    // Stop asked for before the run was in place; later, `stop` ends it at once.
    if control.stop_requested() {
        stop();
    }
    // The run ends by its processes' messages (or by `stop`), with nothing to poll meanwhile.
    let _ = over_received.await;
    let wall_ms = now_ms() - started_at;
    let active = RUN
        .with(|run| run.borrow_mut().take())
        .ok_or("the process run was lost")?;
    let alive = PROCESSES.with(|p| p.borrow_mut().lanes(kind).iter().flatten().count());
    match kind {
        // Processes terminated by Stop, or dead, are replaced at once, so that the next run
        // finds the pool at full strength (as a Pool keeps its number of workers).
        Kind::Pool => (0..workers).for_each(request_pool_process),
        // A run's own processes end with it (those still starting, after Stop).
        Kind::PerTask => (0..workers).for_each(|lane| end_process(kind, lane)),
    }
    // The trace of a run of many tasks is built here, on the page's thread: each step is a
    // task of its own, so that the page stays responsive between them.
    let mut startup = active.startup;
    startup.replacements = active.model.replacements().to_vec();
    let lost = active.model.lost().to_vec();
    let outcome = active.model.into_outcome()?;
    yield_to_page().await;
    let facts = RunFacts {
        isolated: is_cross_origin_isolated(),
        pool_threads: alive,
        started_at_ms: started_at,
        wall_ms,
    };
    let mut trace = outcome.into_trace(config, facts)?;
    trace.processes = Some(startup);
    trace.notes.splice(0..0, lost);
    yield_to_page().await;
    trace.derive_figures();
    yield_to_page().await;
    trace.verdict();
    Ok(trace)
}

/// Stops the process run in progress, if any (`Pool.terminate()`): the processes running a
/// chunk are terminated (and replaced once the run is over), and the run ends with what ran.
pub fn stop() {
    for kind in [Kind::Pool, Kind::PerTask] {
        with_run(kind, |run, now| {
            for lane in run.model.stop(now()) {
                end_process(kind, lane);
            }
        });
    }
}

/// Lets the page's event loop run whatever waits (input, painting) before going on.
async fn yield_to_page() {
    gloo::timers::future::TimeoutFuture::new(0).await;
}
