//! Processes: the page's process pool, for the process strategies. Each process is a module
//! Web Worker with its own instance of the playground's module and its own memory
//! (`process_worker.js`), so nothing is shared and no cross-origin isolation is needed. The
//! page is the parent: [`ProcessPoolRun`] decides what to send; this module posts the task
//! messages (their bytes transferred), receives the replies and events on the page's event
//! loop, and never waits on a process.
//!
//! The processes are started on first use and kept for later runs, as a `with Pool()` block
//! reused across maps: the trace says which processes a run started and how long each took.
//! Stop terminates the processes that are running a chunk (`Pool.terminate()`); a process
//! that dies is reported. Either is replaced as soon as the run ends.

use crate::model::config::RunConfig;
use crate::model::process_pool::{ProcessPoolRun, ProcessReply};
use crate::model::run_control::RunControl;
use crate::model::tasks::plan;
use crate::model::trace::{ProcessStartup, RunFacts, Trace};
use crate::runtime::clock::now_ms;
use crate::runtime::pool::is_cross_origin_isolated;
use futures::channel::oneshot;
use futures::future::{select, Either};
use js_sys::{JsString, Reflect, Uint8Array};
use std::cell::RefCell;
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/src/runtime/process_worker.js")]
extern "C" {
    /// A process: a module Web Worker running its own instance of the module.
    type ProcessWorker;

    #[wasm_bindgen(method)]
    fn terminate(this: &ProcessWorker);

    #[wasm_bindgen(js_name = startProcess)]
    fn start_process(
        main_js: JsString,
        module: JsValue,
        name: &str,
        on_message: &js_sys::Function,
    ) -> ProcessWorker;

    #[wasm_bindgen(js_name = postTask)]
    fn post_task(worker: &ProcessWorker, bytes: Uint8Array);
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the module's JS glue, which each process imports.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MAIN_JS_URL: JsString;
}

/// Runs one task message in this process (called by `process_worker.js` inside a process):
/// unpickles the arguments, computes, pickles the results; `item_done(n)` is called after
/// each item with the number done. Returns `{ results, compute_start_ms, compute_end_ms,
/// error }`, times on the shared clock.
#[doc(hidden)]
#[wasm_bindgen]
pub fn process_serve(task: &[u8], item_done: &js_sys::Function) -> js_sys::Object {
    let reply = crate::model::process_pool::serve_task(task, &now_ms, &mut |done| {
        // Only the page's progress display listens; a failed call changes nothing.
        let _ = item_done.call1(&JsValue::NULL, &(done as f64).into());
    });
    let object = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &key.into(), &value);
    };
    set("results", Uint8Array::from(&reply.results[..]).into());
    set("compute_start_ms", reply.compute_start_ms.into());
    set("compute_end_ms", reply.compute_end_ms.into());
    set("error", reply.error.map_or(JsValue::NULL, JsValue::from));
    object
}

/// One process of the page's pool.
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

/// The run in progress on the processes.
struct ActiveRun {
    model: ProcessPoolRun,
    started_at: f64,
    control: Arc<RunControl>,
    over: Option<oneshot::Sender<()>>,
}

thread_local! {
    /// The page's processes by lane (`None`: none started, or it died or was terminated).
    static PROCESSES: RefCell<Vec<Option<Process>>> = const { RefCell::new(Vec::new()) };
    /// The next process id.
    static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The process-pool run in progress, if any (session runs one run at a time).
    static RUN: RefCell<Option<ActiveRun>> = const { RefCell::new(None) };
}

/// Starts a process on `lane` unless one lives there.
fn ensure_process(lane: usize) {
    let alive = PROCESSES.with(|p| p.borrow().get(lane).is_some_and(Option::is_some));
    if alive {
        return;
    }
    let id = NEXT_ID.get();
    NEXT_ID.set(id + 1);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |data: JsValue| {
        on_process_message(lane, id, &data);
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
        if processes.len() <= lane {
            processes.resize_with(lane + 1, || None);
        }
        processes[lane] = Some(Process {
            worker,
            _on_message: on_message,
            id,
            requested_at,
            ready_at: None,
            items_reported: 0,
        });
    });
}

/// Ends the process on `lane` (terminated; the next run starts a new one there).
fn end_process(lane: usize) {
    let process = PROCESSES.with(|p| p.borrow_mut().get_mut(lane).and_then(Option::take));
    if let Some(process) = process {
        process.worker.terminate();
    }
}

fn number(data: &JsValue, key: &str) -> f64 {
    Reflect::get(data, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or_else(now_ms)
}

/// What a process said: `ready`, `result` or `died`.
fn on_process_message(lane: usize, id: u64, data: &JsValue) {
    let current = PROCESSES.with(|p| {
        p.borrow()
            .get(lane)
            .and_then(Option::as_ref)
            .is_some_and(|process| process.id == id)
    });
    if !current {
        return;
    }
    let kind = Reflect::get(data, &"type".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match kind.as_str() {
        "ready" => {
            let at = number(data, "at");
            PROCESSES.with(|p| {
                if let Some(Some(process)) = p.borrow_mut().get_mut(lane) {
                    process.ready_at = Some(at);
                }
            });
            with_run(|run, now| {
                if lane < run.model.processes() {
                    let dispatch = run.model.process_ready(lane, at - run.started_at, now);
                    send(dispatch);
                }
            });
        }
        "result" => {
            let results = Reflect::get(data, &"results".into())
                .ok()
                .and_then(|v| v.dyn_into::<Uint8Array>().ok())
                .map(|bytes| bytes.to_vec())
                .unwrap_or_default();
            let error = Reflect::get(data, &"error".into())
                .ok()
                .and_then(|v| v.as_string());
            with_run(|run, now| {
                let reply = ProcessReply {
                    results,
                    compute_start_ms: number(data, "compute_start_ms") - run.started_at,
                    compute_end_ms: number(data, "compute_end_ms") - run.started_at,
                    error,
                };
                let (returned, next) = run.model.result_arrived(lane, reply, now);
                let reported = report_items(lane, None);
                (reported..returned).for_each(|_| run.control.item_done(lane));
                send(next);
            });
        }
        "progress" => {
            let done = number(data, "done") as usize;
            let reported = report_items(lane, Some(done));
            with_run(|run, _| (reported..done).for_each(|_| run.control.item_done(lane)));
        }
        _ => {
            let why = Reflect::get(data, &"message".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| "the process died".to_owned());
            end_process(lane);
            with_run(|run, now| {
                let busy = run.model.process_died(lane, &why, now());
                busy.into_iter().for_each(end_process);
            });
        }
    }
}

/// Records that the process on `lane` has said `done` items of its task are done (`None`:
/// its task is over) and returns how many it had said before.
fn report_items(lane: usize, done: Option<usize>) -> usize {
    PROCESSES.with(|p| {
        let mut processes = p.borrow_mut();
        let Some(Some(process)) = processes.get_mut(lane) else {
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

/// Posts a task message to its process.
fn send(dispatch: Option<crate::model::process_pool::Dispatch>) {
    let Some(dispatch) = dispatch else { return };
    PROCESSES.with(|p| {
        if let Some(Some(process)) = p.borrow().get(dispatch.process) {
            post_task(&process.worker, Uint8Array::from(&dispatch.message[..]));
        }
    });
}

/// Applies `event` to the run in progress (if any) with its clock, then ends the run if it is
/// over: processes still busy then are terminated.
fn with_run(event: impl FnOnce(&mut ActiveRun, &dyn Fn() -> f64)) {
    RUN.with(|run| {
        let mut run = run.borrow_mut();
        let Some(active) = run.as_mut() else { return };
        let started_at = active.started_at;
        event(active, &move || now_ms() - started_at);
        if active.model.is_over() {
            active.model.busy().into_iter().for_each(end_process);
            if let Some(over) = active.over.take() {
                let _ = over.send(());
            }
        }
    });
}

/// Runs a process strategy on the page's processes and returns its trace. Starts the
/// processes it needs that are not running yet; `control` stops it.
pub async fn run(config: &RunConfig, control: &Arc<RunControl>) -> Result<Trace, String> {
    let started_at = now_ms();
    let plan = plan(config);
    let workers = plan.workers;
    let (over, mut over_received) = oneshot::channel();
    RUN.with(|run| {
        *run.borrow_mut() = Some(ActiveRun {
            model: ProcessPoolRun::new(plan, config.workload),
            started_at,
            control: Arc::clone(control),
            over: Some(over),
        })
    });
    // Processes that are ready take their first chunk at once; the others when they are.
    for lane in 0..workers {
        ensure_process(lane);
        let ready_at = PROCESSES.with(|p| {
            p.borrow()
                .get(lane)
                .and_then(Option::as_ref)
                .and_then(|process| process.ready_at)
        });
        if let Some(ready_at) = ready_at {
            with_run(|run, now| {
                let dispatch = run
                    .model
                    .process_ready(lane, ready_at - run.started_at, now);
                send(dispatch);
            });
        }
    }
    with_run(|_, _| {});
    // Wait for the run to end, looking for Stop every 20 ms.
    loop {
        let tick = gloo::timers::future::TimeoutFuture::new(20);
        match select(&mut over_received, tick).await {
            Either::Left(_) => break,
            Either::Right(_) if control.stop_requested() => {
                with_run(|run, now| {
                    run.model.stop(now()).into_iter().for_each(end_process);
                });
            }
            Either::Right(_) => {}
        }
    }
    let wall_ms = now_ms() - started_at;
    let active = RUN
        .with(|run| run.borrow_mut().take())
        .ok_or("the process-pool run was lost")?;
    let startup = PROCESSES.with(|p| {
        let processes = p.borrow();
        let lanes = (0..workers).map(|lane| processes.get(lane).and_then(Option::as_ref));
        ProcessStartup {
            startup_ms: lanes
                .clone()
                .map(|process| process.and_then(|p| Some(p.ready_at? - p.requested_at)))
                .collect(),
            started_by_run: lanes
                .map(|process| process.is_none_or(|p| p.requested_at >= started_at))
                .collect(),
        }
    });
    let alive = PROCESSES.with(|p| p.borrow().iter().flatten().count());
    // Processes terminated by Stop, or dead, are replaced at once, so that the next run finds
    // the pool at full strength (as a Pool keeps its number of workers).
    (0..workers).for_each(ensure_process);
    let outcome = active.model.into_outcome()?;
    let facts = RunFacts {
        isolated: is_cross_origin_isolated(),
        pool_threads: alive,
        started_at_ms: started_at,
        wall_ms,
    };
    let mut trace = outcome.into_trace(config, facts)?;
    trace.processes = Some(startup);
    trace.derive_figures();
    Ok(trace)
}
