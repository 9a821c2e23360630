//! The page's threads: one wasm-bindgen-rayon pool of Web Workers, started once per page with
//! as many threads as the largest worker count a run may ask for. Each of its threads then
//! runs a resident loop that waits (blocked, not spinning) for jobs on its own mailbox, so a
//! run can put work on exactly the threads it wants: `Pool.map` on 3 workers really runs on 3
//! Web Workers, and the other threads sleep instead of competing for the cores.

use crate::model::config::Field;
use crate::runtime::clock::now_ms;
use js_sys::Promise;
use std::cell::{Cell, RefCell};
use std::sync::mpsc::{channel, Receiver, Sender};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Threads in the pool: the largest worker count a run may ask for.
pub const POOL_THREADS: usize = Field::Workers.range().1 as usize;

/// A job for one resident thread; it receives the thread's index.
pub type Job = Box<dyn FnOnce(usize) + Send>;

/// What a resident thread is told.
enum Message {
    /// Run this job.
    Run(Job),
    /// Leave: hand the thread back to rayon's scheduler (for a rayon run).
    Release,
}

thread_local! {
    /// The start-up promise, shared by every caller, and when the start began.
    static STARTING: RefCell<Option<(Promise, f64)>> = const { RefCell::new(None) };
    /// The mailboxes of the resident threads, once they run, and how long the start took.
    static READY: RefCell<Option<(Vec<Sender<Message>>, f64)>> = const { RefCell::new(None) };
    /// Whether the resident loops have been handed to the pool.
    static RESIDENTS_STARTED: Cell<bool> = const { Cell::new(false) };
}

/// A started pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolInfo {
    /// Threads (Web Workers) in the pool.
    pub threads: usize,
    /// How long the pool took to start, ms (from the request until every worker was ready).
    pub startup_ms: f64,
}

/// Whether the page is cross-origin isolated (the condition for shared memory).
pub fn is_cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// The resident loop of one pool thread: run each job sent to it, until released.
fn resident(index: usize, mailbox: Receiver<Message>) {
    while let Ok(Message::Run(job)) = mailbox.recv() {
        job(index);
    }
}

/// Parks a new resident loop for `index` on the pool and returns its mailbox. The loop
/// never returns until released, so each occupies its own pool thread.
fn park(index: usize) -> Sender<Message> {
    let (sender, mailbox) = channel::<Message>();
    rayon::spawn(move || resident(index, mailbox));
    sender
}

/// Starts the pool on first call and waits until every worker is ready; later calls wait
/// for the same start. Fails with a readable message where threads cannot run.
pub async fn ready() -> Result<PoolInfo, String> {
    if !is_cross_origin_isolated() {
        return Err(
            "this page is not cross-origin isolated, so the browser forbids the shared memory Web Workers need: nothing can run in parallel here"
                .to_owned(),
        );
    }
    let (promise, requested_at) = STARTING.with(|starting| {
        starting
            .borrow_mut()
            .get_or_insert_with(|| {
                let requested_at = now_ms();
                (
                    wasm_bindgen_rayon::init_thread_pool(POOL_THREADS),
                    requested_at,
                )
            })
            .clone()
    });
    JsFuture::from(promise)
        .await
        .map_err(|error| format!("the worker pool did not start: {}", describe(&error)))?;
    if !RESIDENTS_STARTED.replace(true) {
        let startup_ms = now_ms() - requested_at;
        let mailboxes = (0..POOL_THREADS).map(park).collect();
        READY.with(|ready| *ready.borrow_mut() = Some((mailboxes, startup_ms)));
    }
    let startup_ms = READY
        .with(|ready| ready.borrow().as_ref().map(|r| r.1))
        .unwrap_or_default();
    Ok(PoolInfo {
        threads: POOL_THREADS,
        startup_ms,
    })
}

/// Runs `job` on each of the first `threads` resident threads (one call per thread, with
/// the thread's index). Returns at once: the page never waits on the threads.
pub fn run_on_threads(
    threads: usize,
    job: impl Fn(usize) + Send + Sync + 'static,
) -> Result<(), String> {
    let job = std::sync::Arc::new(job);
    READY.with(|ready| {
        let ready = ready.borrow();
        let (mailboxes, _) = ready.as_ref().ok_or("the worker pool has not started")?;
        if threads > mailboxes.len() {
            return Err(format!("at most {} threads can run", mailboxes.len()));
        }
        for mailbox in &mailboxes[..threads] {
            let job = std::sync::Arc::clone(&job);
            mailbox
                .send(Message::Run(Box::new(move |index| job(index))))
                .map_err(|_| "a worker thread has stopped".to_owned())?;
        }
        Ok(())
    })
}

/// Hands the first `threads` resident threads back to rayon's scheduler, so that work put
/// on the global rayon pool runs on exactly those threads (the others stay parked in their
/// resident loops and take no part). Call [`repark`] when that work is done.
pub fn release_to_rayon(threads: usize) -> Result<(), String> {
    READY.with(|ready| {
        let ready = ready.borrow();
        let (mailboxes, _) = ready.as_ref().ok_or("the worker pool has not started")?;
        for mailbox in mailboxes.iter().take(threads) {
            mailbox
                .send(Message::Release)
                .map_err(|_| "a worker thread has stopped".to_owned())?;
        }
        Ok(())
    })
}

/// Parks new resident loops for the first `threads` threads, after [`release_to_rayon`].
pub fn repark(threads: usize) {
    READY.with(|ready| {
        if let Some((mailboxes, _)) = ready.borrow_mut().as_mut() {
            for (index, mailbox) in mailboxes.iter_mut().enumerate().take(threads) {
                *mailbox = park(index);
            }
        }
    });
}

/// A JS error or value as text.
pub fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
