//! The fetch strategies (`asyncio.gather`, `sequential`) on the page's event loop.
//!
//! The page's own thread is the event loop: each request is the browser's `fetch()`, awaited
//! as a Rust future, all of them in one `FuturesUnordered` on this one thread. What starts
//! when, and what the awaiter gets, is decided by the model ([`FetchRun`]); this module only
//! starts requests, measures them and says how each ended.
//!
//! Each request: an `AbortController` of its own; `fetch()` with `cache: no-store`; the added
//! latency (a timer after the headers arrive, before the body is read); the status check; the
//! body read. A timeout races the whole of it and aborts the request when it wins.
//! [`cancel_running`] aborts every request in flight.
//!
//! The `fetch` workload of the thread strategies gets the same files another way: each task
//! blocks its Web Worker until the page has made its request ([`blocking_requests`]).

use crate::model::config::RunConfig;
use crate::model::errors::{Fault, TaskError};
use crate::model::files::request_url;
use crate::model::gather::{FetchRun, Outcome};
use crate::model::record::RunFacts;
use crate::model::run_control::RunControl;
use crate::model::trace::Trace;
use crate::model::workload::Io;
use crate::runtime::clock::now_ms;
use crate::runtime::pool::{describe, is_cross_origin_isolated};
use futures::channel::{mpsc, oneshot};
use futures::future::{self, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use gloo::timers::future::TimeoutFuture;
use js_sys::ArrayBuffer;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Request, RequestCache, RequestInit, Response};

thread_local! {
    /// The Cancel signal of the run in progress, if a run is in progress.
    static CANCEL: RefCell<Option<oneshot::Sender<()>>> = const { RefCell::new(None) };
}

/// Cancels the fetch run in progress, if there is one: every unfinished request is aborted
/// and the run ends with a trace whose awaiter got `CancelledError` (unless a gather had
/// already raised).
pub fn cancel_running() {
    if let Some(cancel) = CANCEL.with(|c| c.borrow_mut().take()) {
        let _ = cancel.send(());
    }
}

/// Clears the Cancel signal when the run ends, however it ends.
struct CancelGuard;

impl Drop for CancelGuard {
    fn drop(&mut self) {
        CANCEL.with(|c| c.borrow_mut().take());
    }
}

/// What woke the run's loop.
enum Event {
    /// A request ended (`None`: none is left).
    Finished(Option<(usize, Outcome, f64)>),
    /// The Cancel signal (`false`: its sender went away without a Cancel).
    Cancel(bool),
}

type Finished = Pin<Box<dyn Future<Output = (usize, Outcome, f64)>>>;

/// Runs a fetch strategy for real and returns its trace.
pub async fn run(config: &RunConfig) -> Result<Trace, String> {
    let window = web_sys::window().ok_or("fetches run on the page, and there is no page here")?;
    let origin = window.location().origin().unwrap_or_default();
    let base = window.location().href().unwrap_or_default();
    let (cancel_sender, mut cancelled) = oneshot::channel::<()>();
    CANCEL.with(|c| *c.borrow_mut() = Some(cancel_sender));
    let _guard = CancelGuard;

    let fetch = &config.fetch;
    let started_at_ms = now_ms();
    let since_start = move || now_ms() - started_at_ms;
    let mut run = FetchRun::for_config(config);
    let mut in_flight: FuturesUnordered<Finished> = FuturesUnordered::new();
    let mut controllers: HashMap<usize, AbortController> = HashMap::new();
    let start = |position: usize,
                 in_flight: &mut FuturesUnordered<Finished>,
                 controllers: &mut HashMap<usize, AbortController>|
     -> Result<(), String> {
        let controller = AbortController::new()
            .map_err(|e| format!("the browser has no AbortController: {}", describe(&e)))?;
        controllers.insert(position, controller.clone());
        let url = request_url(position, &fetch.urls);
        let cross_origin = is_cross_origin(&url, &base, &origin);
        let request = one_request(
            url,
            cross_origin,
            fetch.latency_ms,
            fetch.timeout_ms,
            controller,
        );
        in_flight.push(Box::pin(async move {
            // Each task takes its first step in a callback of its own, as asyncio's tasks
            // do: 64 `fetch()` calls in one go would hold the page's thread for 50 ms or more.
            TimeoutFuture::new(0).await;
            let outcome = request.await;
            (position, outcome, since_start())
        }));
        Ok(())
    };

    for position in run.start(since_start()) {
        start(position, &mut in_flight, &mut controllers)?;
    }
    let mut cancel_open = true;
    while !in_flight.is_empty() {
        let event = if cancel_open {
            match future::select(in_flight.next(), &mut cancelled).await {
                Either::Left((next, _)) => Event::Finished(next),
                // A dropped sender (the run is ending) is not a Cancel.
                Either::Right((signal, _)) => Event::Cancel(signal.is_ok()),
            }
        } else {
            Event::Finished(in_flight.next().await)
        };
        match event {
            Event::Finished(Some((position, outcome, t_ms))) => {
                controllers.remove(&position);
                for position in run.finished(position, outcome, t_ms) {
                    start(position, &mut in_flight, &mut controllers)?;
                }
            }
            Event::Finished(None) => break,
            Event::Cancel(pressed) => {
                cancel_open = false;
                if pressed {
                    for position in run.cancel(since_start()) {
                        if let Some(controller) = controllers.remove(&position) {
                            controller.abort();
                        }
                    }
                    // The aborted fetches' futures go with the stream.
                    in_flight = FuturesUnordered::new();
                }
            }
        }
    }
    let facts = RunFacts {
        isolated: is_cross_origin_isolated(),
        pool_threads: 1,
        started_at_ms,
        wall_ms: since_start(),
    };
    Ok(run.into_trace(config, facts))
}

/// Whether `url` (resolved against the page) is on another origin than the page.
fn is_cross_origin(url: &str, base: &str, origin: &str) -> bool {
    web_sys::Url::new_with_base(url, base)
        .map(|u| u.origin() != origin)
        .unwrap_or(false)
}

/// One request, raced against its timeout; the loser is aborted.
async fn one_request(
    url: String,
    cross_origin: bool,
    latency_ms: u32,
    timeout_ms: Option<u32>,
    controller: AbortController,
) -> Outcome {
    let work = Box::pin(fetch_and_read(
        url,
        cross_origin,
        latency_ms,
        controller.clone(),
    ));
    match timeout_ms {
        None => work.await,
        Some(after_ms) => match future::select(work, TimeoutFuture::new(after_ms)).await {
            Either::Left((outcome, _)) => outcome,
            Either::Right(_) => {
                controller.abort();
                Outcome::Failed(Fault::Timeout { after_ms })
            }
        },
    }
}

/// `fetch(url)`, the added latency, the status check and the body read.
async fn fetch_and_read(
    url: String,
    cross_origin: bool,
    latency_ms: u32,
    controller: AbortController,
) -> Outcome {
    let init = RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    init.set_cache(RequestCache::NoStore);
    let request = match Request::new_with_str_and_init(&url, &init) {
        Ok(request) => request,
        Err(why) => {
            return Outcome::Failed(Fault::MalformedUrl {
                url,
                why: describe(&why),
            })
        }
    };
    let Some(window) = web_sys::window() else {
        return Outcome::Failed(Fault::Network { cross_origin });
    };
    let network = || Outcome::Failed(Fault::Network { cross_origin });
    let Ok(response) = JsFuture::from(window.fetch_with_request(&request)).await else {
        return network();
    };
    let Ok(response) = response.dyn_into::<Response>() else {
        return network();
    };
    if latency_ms > 0 {
        TimeoutFuture::new(latency_ms).await;
    }
    if !response.ok() {
        return Outcome::Failed(Fault::Http {
            status: response.status(),
            reason: response.status_text(),
        });
    }
    let Ok(body) = response.array_buffer() else {
        return network();
    };
    match JsFuture::from(body).await {
        Ok(buffer) => Outcome::Bytes(u64::from(
            buffer.unchecked_into::<ArrayBuffer>().byte_length(),
        )),
        Err(_) => network(),
    }
}

/// How long a blocking request may take before it gives up, ms: a worker thread blocked on a
/// request that never answers would otherwise be lost until Stop.
pub const BLOCKING_TIMEOUT_MS: u32 = 60_000;

/// How often a thread blocked on its request looks whether the run was stopped, and how often
/// the page looks whether to abort the request.
const STOP_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// A request a worker thread is blocked on, and where its outcome goes.
struct BlockingRequest {
    url: String,
    outcome: Arc<RequestOutcome>,
}

/// The outcome of one blocking request: set once by the page, read by the blocked thread,
/// which the page then unparks (neither side ever waits on the other).
struct RequestOutcome {
    received: OnceLock<Result<u64, TaskError>>,
    thread: std::thread::Thread,
}

/// The blocking requests of a `fetch` workload of `items` tasks: task `i` gets the same URL as
/// request `i` of `asyncio.gather`, resolved against the page's address. Each call blocks the
/// Web Worker that runs the task until the body is in, as `requests.get` blocks a Python
/// thread; the request itself is the browser's `fetch()`, made for it on the page's event loop
/// (a Web Worker that blocks cannot run a `fetch` of its own), with the gather's error words.
/// Once `control` asks to stop, a blocked thread returns at once and its request is aborted.
pub fn blocking_requests(items: usize, control: Arc<RunControl>) -> Result<Arc<Io>, String> {
    let base = web_sys::window()
        .and_then(|window| window.location().href().ok())
        .ok_or("the fetch workload starts from the page, and there is no page here")?;
    let urls = (0..items)
        .map(|position| {
            let url = request_url(position, &[]);
            web_sys::Url::new_with_base(&url, &base)
                .map(|resolved| resolved.href())
                .map_err(|why| format!("cannot resolve '{url}': {}", describe(&why)))
        })
        .collect::<Result<Vec<String>, String>>()?;
    let (requests, mut pending) = mpsc::unbounded::<BlockingRequest>();
    let page_control = Arc::clone(&control);
    // Ends when the last task has dropped its sender (the run is over).
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(request) = pending.next().await {
            wasm_bindgen_futures::spawn_local(fetch_for_thread(request, Arc::clone(&page_control)));
        }
    });
    Ok(Arc::new(move |position| {
        let url = urls
            .get(position)
            .ok_or(TaskError::Unavailable("there is no request for this item"))?;
        let outcome = Arc::new(RequestOutcome {
            received: OnceLock::new(),
            thread: std::thread::current(),
        });
        requests
            .unbounded_send(BlockingRequest {
                url: url.clone(),
                outcome: Arc::clone(&outcome),
            })
            .map_err(|_| TaskError::Unavailable("the page is gone: nobody can make the request"))?;
        loop {
            if let Some(received) = outcome.received.get() {
                return received.clone();
            }
            if control.stop_requested() {
                return Err(TaskError::StoppedBeforeResponse);
            }
            // Unparked by the page when the outcome is in; the timeout only serves Stop.
            std::thread::park_timeout(STOP_POLL);
        }
    }))
}

/// Makes one blocked thread's request on the page: the gather's `fetch` with its timeout,
/// aborted if the run is stopped first. Then hands the outcome over and wakes the thread.
async fn fetch_for_thread(request: BlockingRequest, control: Arc<RunControl>) {
    let Ok(controller) = AbortController::new() else {
        let _ = request.outcome.received.set(Err(TaskError::Unavailable(
            "this browser has no AbortController",
        )));
        request.outcome.thread.unpark();
        return;
    };
    let fetch = Box::pin(one_request(
        request.url,
        false,
        0,
        Some(BLOCKING_TIMEOUT_MS),
        controller.clone(),
    ));
    let stopped = Box::pin(async {
        while !control.stop_requested() {
            TimeoutFuture::new(STOP_POLL.as_millis() as u32).await;
        }
    });
    let received = match future::select(fetch, stopped).await {
        Either::Left((outcome, _)) => match outcome {
            Outcome::Bytes(bytes) => Ok(bytes),
            other @ (Outcome::Failed(_) | Outcome::Cancelled { .. } | Outcome::NotStarted) => {
                Err(other
                    .error()
                    .unwrap_or(TaskError::Unavailable("the request did not finish")))
            }
        },
        Either::Right(_) => {
            controller.abort();
            Err(TaskError::StoppedBeforeResponse)
        }
    };
    let _ = request.outcome.received.set(received);
    request.outcome.thread.unpark();
}
