//! The page's threads: one wasm-bindgen-rayon pool of Web Workers, started once per page with
//! as many threads as the largest worker count a run may ask for. Each of its threads then
//! runs a resident loop that sleeps (parked, not spinning) until a job reaches its mailbox, so
//! a run can put work on exactly the threads it wants: `Pool.map` on 3 workers really runs on
//! 3 Web Workers, and the other threads sleep instead of competing for the cores.
//!
//! The page's thread never blocks, by construction (the browser forbids `Atomics.wait` there):
//! - the pool is started, and its resident loops parked, by a Web Worker of its own (the pool
//!   host, `pool_host.js`): rayon's start takes locks and waits, which only a worker may do;
//! - a mailbox is a lock-free queue plus the resident thread's handle: sending is a push and an
//!   unpark (an `Atomics.notify`), neither of which waits;
//! - resident loops announce their mailbox to the page on an unbounded channel, whose send
//!   never waits either; the page awaits the announcements;
//! - a rayon run is started from a resident thread, and ends by parking new resident loops
//!   from a rayon thread: the page only sends messages.

use crate::model::field::Field;
use crate::runtime::clock::now_ms;
use crossbeam_deque::{Injector, Steal};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::lock::Mutex as AsyncMutex;
use futures::StreamExt;
use js_sys::{JsString, Promise};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Threads in the pool: the largest worker count a run may ask for.
pub const POOL_THREADS: usize = Field::Workers.range().1 as usize;

/// The resident thread that acts as the caller where a run needs one of its own (the main
/// thread that submits to a `ThreadPoolExecutor`): one more than the workers, never lent.
const CALLER_THREAD: usize = POOL_THREADS;

/// A job for one resident thread; it receives the thread's index.
pub type Job = Box<dyn FnOnce(usize) + Send>;

/// What a resident thread is told.
enum Message {
    /// Run this job.
    Run(Job),
    /// Leave: hand the thread back to rayon's scheduler (for a rayon run).
    Release,
}

/// A resident thread's mailbox: sending pushes onto a lock-free queue and unparks the thread,
/// so the sender never waits, whoever it is.
struct Mailbox {
    queue: Injector<Message>,
    thread: Thread,
}

impl Mailbox {
    fn send(&self, message: Message) {
        self.queue.push(message);
        self.thread.unpark();
    }
}

/// A resident loop's announcement: its index and its mailbox.
type Announcement = (usize, Arc<Mailbox>);

/// Where resident loops announce themselves to the page. Set by the page before the pool
/// starts; sent to from worker threads (an unbounded send never waits).
static ANNOUNCE: OnceLock<UnboundedSender<Announcement>> = OnceLock::new();

/// The resident loops as the page knows them.
struct Residents {
    /// Each index's mailbox, once its loop has announced itself (`None` while it is lent to
    /// rayon or not started yet).
    mailboxes: Vec<Option<Arc<Mailbox>>>,
    /// Announcements not read yet.
    announcements: UnboundedReceiver<Announcement>,
}

impl Residents {
    /// Waits until the first `threads` resident loops have announced themselves, and returns
    /// their mailboxes.
    async fn first(&mut self, threads: usize) -> Result<Vec<Arc<Mailbox>>, String> {
        while self.mailboxes[..threads].iter().any(Option::is_none) {
            let (index, mailbox) = self
                .announcements
                .next()
                .await
                .ok_or("the worker pool has stopped")?;
            self.mailboxes[index] = Some(mailbox);
        }
        Ok(self.mailboxes[..threads]
            .iter()
            .flatten()
            .cloned()
            .collect())
    }
}

thread_local! {
    /// The start-up promise, shared by every caller, and when the start began.
    static STARTING: RefCell<Option<(Promise, f64)>> = const { RefCell::new(None) };
    /// The resident loops (the page's thread only; an async lock, so callers take turns
    /// without blocking).
    static RESIDENTS: Rc<AsyncMutex<Residents>> = {
        let (sender, announcements) = unbounded();
        // Only the page's thread creates this, once.
        let _ = ANNOUNCE.set(sender);
        Rc::new(AsyncMutex::new(Residents {
            mailboxes: (0..=CALLER_THREAD).map(|_| None).collect(),
            announcements,
        }))
    };
    /// How long the start took, once known.
    static STARTUP_MS: Cell<Option<f64>> = const { Cell::new(None) };
}

#[wasm_bindgen(module = "/src/runtime/pool_host.js")]
extern "C" {
    #[wasm_bindgen(js_name = startPoolHost)]
    fn start_pool_host(
        main_js: JsString,
        module: JsValue,
        memory: JsValue,
        threads: usize,
    ) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the module's JS glue, which the pool host imports.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MAIN_JS_URL: JsString;
}

/// Called by the pool host: starts wasm-bindgen-rayon's pool of `threads` Web Workers from the
/// host worker (the returned promise settles once they run).
#[doc(hidden)]
#[wasm_bindgen]
pub fn pool_host_start(threads: usize) -> Promise {
    wasm_bindgen_rayon::init_thread_pool(threads)
}

/// Called by the pool host once the pool runs: parks one resident loop per pool thread.
/// Runs on the host worker, which may block on rayon's locks.
#[doc(hidden)]
#[wasm_bindgen]
pub fn pool_host_park_residents() {
    park_residents(0..CALLER_THREAD + 1);
}

/// Parks resident loops for `indices` on the pool's idle threads. Called from workers only.
fn park_residents(indices: std::ops::Range<usize>) {
    for index in indices {
        rayon::spawn(move || resident(index));
    }
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

/// The resident loop of one pool thread: announce a mailbox, then run each job sent to it,
/// sleeping while there is none, until released.
fn resident(index: usize) {
    let mailbox = Arc::new(Mailbox {
        queue: Injector::new(),
        thread: std::thread::current(),
    });
    if let Some(announce) = ANNOUNCE.get() {
        // Fails only when the page has gone; then nobody sends jobs either.
        let _ = announce.unbounded_send((index, Arc::clone(&mailbox)));
    }
    loop {
        match mailbox.queue.steal() {
            Steal::Success(Message::Run(job)) => job(index),
            Steal::Success(Message::Release) => return,
            Steal::Retry => {}
            // An unpark that came before this park makes it return at once: no lost wake-up.
            Steal::Empty => std::thread::park(),
        }
    }
}

/// Starts the pool on first call and waits until every worker is ready; later calls wait
/// for the same start. Fails with a readable message where threads cannot run.
pub async fn ready() -> Result<PoolInfo, String> {
    if !is_cross_origin_isolated() {
        return Err(
            "this page is not cross-origin isolated, so the browser forbids the shared memory that threads need"
                .to_owned(),
        );
    }
    let residents = RESIDENTS.with(Rc::clone);
    let (promise, requested_at) = STARTING.with(|starting| {
        starting
            .borrow_mut()
            .get_or_insert_with(|| {
                let requested_at = now_ms();
                let promise = start_pool_host(
                    MAIN_JS_URL.with(Clone::clone),
                    wasm_bindgen::module(),
                    wasm_bindgen::memory(),
                    CALLER_THREAD + 1,
                );
                (promise, requested_at)
            })
            .clone()
    });
    JsFuture::from(promise)
        .await
        .map_err(|error| format!("the worker pool did not start: {}", describe(&error)))?;
    if STARTUP_MS.get().is_none() {
        residents.lock().await.first(CALLER_THREAD + 1).await?;
        if STARTUP_MS.get().is_none() {
            STARTUP_MS.set(Some(now_ms() - requested_at));
        }
    }
    Ok(PoolInfo {
        threads: POOL_THREADS,
        startup_ms: STARTUP_MS.get().unwrap_or_default(),
    })
}

/// Runs `job` on each of the first `threads` resident threads (one call per thread, with
/// the thread's index). Returns once the jobs are handed over: the page never waits on the
/// threads themselves. With `started` (`threading.Thread`), one after another: thread k
/// gets its job only once `started` has said that thread k-1 started, as
/// `threading.Thread.start()` returns only once the new thread has set its `started` event;
/// the page awaits each signal (it never blocks).
pub async fn run_on_threads(
    threads: usize,
    job: impl Fn(usize) + Send + Sync + 'static,
    mut started: Option<UnboundedReceiver<usize>>,
) -> Result<(), String> {
    if threads > POOL_THREADS {
        return Err(format!("at most {POOL_THREADS} threads can run"));
    }
    let job = Arc::new(job);
    let residents = RESIDENTS.with(Rc::clone);
    let mut residents = residents.lock().await;
    for mailbox in residents.first(threads).await? {
        let job = Arc::clone(&job);
        mailbox.send(Message::Run(Box::new(move |index| job(index))));
        if let Some(started) = started.as_mut() {
            started
                .next()
                .await
                .ok_or("a thread stopped before it started")?;
        }
    }
    Ok(())
}

/// Runs `caller` on the caller's resident thread, which no run lends to workers (as the
/// main thread that submits to a `ThreadPoolExecutor` is none of its threads). `caller` is
/// handed a function that starts `job` on resident thread `w` (of the first `threads`) at
/// once, without waiting: the caller itself starts the workers, and waits for them as it
/// must. Returns once the caller has its job.
pub async fn run_with_caller(
    threads: usize,
    job: impl Fn(usize) + Send + Sync + 'static,
    caller: impl FnOnce(&dyn Fn(usize)) + Send + 'static,
) -> Result<(), String> {
    if threads > POOL_THREADS {
        return Err(format!("at most {POOL_THREADS} threads can run"));
    }
    let job = Arc::new(job);
    let residents = RESIDENTS.with(Rc::clone);
    let mut residents = residents.lock().await;
    let mut mailboxes = residents.first(CALLER_THREAD + 1).await?;
    let caller_mailbox = mailboxes
        .pop()
        .ok_or("the caller's thread has not started")?;
    mailboxes.truncate(threads);
    caller_mailbox.send(Message::Run(Box::new(move |_| {
        let start = |worker: usize| {
            if let Some(mailbox) = mailboxes.get(worker) {
                let job = Arc::clone(&job);
                mailbox.send(Message::Run(Box::new(move |index| job(index))));
            }
        };
        caller(&start);
    })));
    Ok(())
}

/// Lends the first `threads` resident threads to rayon's scheduler and runs `work` on the
/// global rayon pool, so that it runs on exactly those threads (the others stay parked in
/// their resident loops and take no part). When `work` returns, new resident loops are parked
/// on the lent threads, from a rayon thread; the page waits for their announcements before it
/// uses those indices again.
pub async fn lend_to_rayon(
    threads: usize,
    work: impl FnOnce() + Send + 'static,
) -> Result<(), String> {
    if threads == 0 || threads > POOL_THREADS {
        return Err(format!("rayon runs on 1 to {POOL_THREADS} threads"));
    }
    let residents = RESIDENTS.with(Rc::clone);
    let mut residents = residents.lock().await;
    let lent = residents.first(threads).await?;
    residents.mailboxes[..threads].fill(None);
    // The first lent thread puts the work on its own rayon queue, then leaves its loop and
    // runs it; the others leave theirs and steal from it.
    lent[0].send(Message::Run(Box::new(move |_| {
        rayon::spawn(move || {
            work();
            park_residents(0..threads);
        })
    })));
    for mailbox in &lent {
        mailbox.send(Message::Release);
    }
    Ok(())
}

/// A JS error or value as text.
pub fn describe(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
