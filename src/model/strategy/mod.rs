//! The strategy table: every strategy's rules in one place. Each row says how the strategy
//! cuts its input, which worker takes which task, when results reach the caller, whether
//! arguments are pickled, what it needs from the browser, which settings it reads, and the
//! CPython (or rayon) source it mirrors. The code that needs one of these facts reads it
//! from [`Strategy::rule`]; the only `match` that names every strategy is the one below.
//!
//! Adding a strategy: add a variant, its row in [`Strategy::rule`] (most fields come from
//! its family's base row, `POOL`, `THREADS`, `RUST` or `EVENT_LOOP`) and its place in
//! [`Strategy::ALL`]; then the compiler names the few exhaustive matches that must say
//! something of their own about it (the program shown).

mod rule;

pub use rule::{
    Chunking, DefaultWorkers, Delivery, Family, HandOut, HandOutRule, Rule, Runner, WorkerCount,
};

use crate::model::field::{Field, WORKLOAD_NAMES};
use crate::model::raising::OnRaise;

/// A parallel strategy, named as Python users write it (plus Rust's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// `threading.Thread(target=f, args=(x,))` per item, started then joined in order.
    ThreadingThread,
    /// `ThreadPoolExecutor(max_workers).map(f, items)`.
    ThreadPoolMap,
    /// `multiprocessing.Pool.map(f, items, chunksize)`.
    PoolMap,
    /// `Pool.map_async(f, items, chunksize).get()`.
    PoolMapAsync,
    /// `Pool.imap(f, items, chunksize=1)`: results in input order, as they become available.
    PoolImap,
    /// `Pool.imap_unordered(f, items, chunksize=1)`: results in completion order.
    PoolImapUnordered,
    /// `Pool.starmap(f, [(x, 2), …], chunksize)`: argument tuples.
    PoolStarmap,
    /// `Pool.starmap_async(f, [(x, 2), …], chunksize).get()`: argument tuples.
    PoolStarmapAsync,
    /// `[pool.apply(f, (x,)) for x in items]`: each call blocks until its one task is back,
    /// so the items run one at a time, in order.
    PoolApply,
    /// `[pool.apply_async(f, (x,)) for x in items]`, then each `.get()` in order.
    PoolApplyAsync,
    /// `ProcessPoolExecutor(max_workers).map(f, items, chunksize=1)`.
    ProcessPoolMap,
    /// `multiprocessing.Process(target=f, args=(x,))` per item, each started, then joined in
    /// order.
    MultiprocessingProcess,
    /// A `queue.Queue` drained by N worker threads.
    QueueQueue,
    /// rayon's `par_iter().map()`: recursive splitting and work stealing.
    RayonParIter,
    /// A static split into equal contiguous blocks, one per worker.
    Static,
    /// `asyncio.gather(*fetches)` on one event loop.
    AsyncioGather,
    /// Awaiting the fetches one after another.
    Sequential,
}

use Field::*;

/// What every `multiprocessing.Pool` row shares: chunks in one FIFO queue, pickled across
/// the process boundary, the list at the end (`Pool.map`'s row).
const POOL: Rule = Rule {
    name: "",
    family: Family::MultiprocessingPool,
    chunking: Chunking::DefaultRule,
    hand_out: HandOutRule::SharedQueue,
    delivery: Delivery::AllAtEnd,
    on_raise: OnRaise::AfterEveryChunk,
    pickles: true,
    python_threads: false,
    star_args: false,
    runner: Runner::Processes,
    workers: WorkerCount::Setting,
    workers_per_submit: false,
    settings: &[
        Workers, Chunksize, Items, Workload, Cost, Shape, Seed, RaiseAt, RaiseCost,
    ],
    refusals: &[],
    default_workers: DefaultWorkers::CpuCount,
    default_items: "100",
    task_noun: "chunk",
    source: "",
    browser_note: None,
};

/// What every Python thread row shares: one task per item from one shared queue, a GIL.
const THREADS: Rule = Rule {
    name: "",
    family: Family::Threading,
    chunking: Chunking::PerItem,
    hand_out: HandOutRule::SharedQueue,
    delivery: Delivery::AllAtEnd,
    on_raise: OnRaise::WorkerDies,
    pickles: false,
    python_threads: true,
    star_args: false,
    runner: Runner::Tasks,
    workers: WorkerCount::Setting,
    workers_per_submit: false,
    settings: &[
        Workers, Items, Workload, Cost, Shape, Seed, Gil, RaiseAt, RaiseCost,
    ],
    refusals: &[],
    default_workers: DefaultWorkers::PageDefault(4),
    default_items: "100",
    task_noun: "task",
    source: "",
    browser_note: None,
};

/// What the Rust rows share: no chunk size, one block per worker (`static`'s row).
const RUST: Rule = Rule {
    name: "",
    family: Family::Rust,
    chunking: Chunking::Adaptive,
    hand_out: HandOutRule::OwnTask,
    delivery: Delivery::AllAtEnd,
    on_raise: OnRaise::NotTaught,
    pickles: false,
    python_threads: false,
    star_args: false,
    runner: Runner::Tasks,
    workers: WorkerCount::Setting,
    workers_per_submit: false,
    settings: &[Workers, Items, Workload, Cost, Shape, Seed],
    refusals: &[],
    default_workers: DefaultWorkers::RayonThreads,
    default_items: "100",
    task_noun: "block",
    source: "",
    browser_note: None,
};

/// What the fetch rows share: requests on the page's event loop, all at once.
const EVENT_LOOP: Rule = Rule {
    name: "",
    family: Family::Asyncio,
    chunking: Chunking::PerItem,
    hand_out: HandOutRule::EventLoop {
        one_at_a_time: false,
    },
    delivery: Delivery::AllAtEnd,
    on_raise: OnRaise::NotTaught,
    pickles: false,
    python_threads: false,
    star_args: false,
    runner: Runner::EventLoop,
    workers: WorkerCount::EventLoop,
    workers_per_submit: false,
    settings: &[Requests, LatencyMs, TimeoutMs, ReturnExceptions, Urls],
    refusals: &[],
    default_workers: DefaultWorkers::NotRead,
    default_items: "100",
    task_noun: "request",
    source: "",
    browser_note: None,
};

impl Strategy {
    /// Every strategy, in the order the picker lists them.
    pub const ALL: [Strategy; 17] = [
        Strategy::PoolMap,
        Strategy::PoolMapAsync,
        Strategy::PoolImap,
        Strategy::PoolImapUnordered,
        Strategy::PoolStarmap,
        Strategy::PoolStarmapAsync,
        Strategy::PoolApply,
        Strategy::PoolApplyAsync,
        Strategy::ProcessPoolMap,
        Strategy::MultiprocessingProcess,
        Strategy::ThreadPoolMap,
        Strategy::ThreadingThread,
        Strategy::QueueQueue,
        Strategy::RayonParIter,
        Strategy::Static,
        Strategy::AsyncioGather,
        Strategy::Sequential,
    ];

    /// The strategy's row of the table.
    pub const fn rule(self) -> Rule {
        match self {
            Strategy::PoolMap => Rule {
                name: "Pool.map",
                source: "Lib/multiprocessing/pool.py: map → _map_async puts the chunks of _get_tasks in order on one _taskqueue; MapResult is ready when every chunk is back",
                ..POOL
            },
            Strategy::PoolMapAsync => Rule {
                name: "Pool.map_async",
                source: "Lib/multiprocessing/pool.py: map_async → _map_async, then MapResult.get()",
                ..POOL
            },
            Strategy::PoolImap => Rule {
                name: "Pool.imap",
                chunking: Chunking::DefaultOne,
                delivery: Delivery::InOrder,
                on_raise: OnRaise::AtItsTurn,
                source: "Lib/multiprocessing/pool.py: imap (chunksize=1); IMapIterator._set releases index i once 0..i are in",
                ..POOL
            },
            Strategy::PoolImapUnordered => Rule {
                name: "Pool.imap_unordered",
                chunking: Chunking::DefaultOne,
                delivery: Delivery::AsCompleted,
                source: "Lib/multiprocessing/pool.py: imap_unordered (chunksize=1); IMapUnorderedIterator._set releases each as it comes",
                on_raise: OnRaise::WhenItArrives,
                ..POOL
            },
            Strategy::PoolStarmap => Rule {
                name: "Pool.starmap",
                star_args: true,
                source: "Lib/multiprocessing/pool.py: starmap → _map_async(starmapstar), MapResult",
                ..POOL
            },
            Strategy::PoolStarmapAsync => Rule {
                name: "Pool.starmap_async",
                star_args: true,
                source: "Lib/multiprocessing/pool.py: starmap_async → _map_async(starmapstar), then MapResult.get()",
                ..POOL
            },
            Strategy::PoolApply => Rule {
                name: "Pool.apply",
                chunking: Chunking::PerItem,
                hand_out: HandOutRule::OneAtATime,
                delivery: Delivery::InOrder,
                on_raise: OnRaise::CallerStops,
                settings: &[Workers, Items, Workload, Cost, Shape, Seed, RaiseAt, RaiseCost],
                refusals: &[(Chunksize, "apply sends one task per call: it takes no chunksize")],
                task_noun: "task",
                source: "Lib/multiprocessing/pool.py: apply(f, args) is apply_async(f, args).get(): one task on _taskqueue, and the call blocks until its result is back, so a loop of apply calls runs one task at a time",
                ..POOL
            },
            Strategy::PoolApplyAsync => Rule {
                name: "Pool.apply_async",
                chunking: Chunking::PerItem,
                delivery: Delivery::InOrder,
                settings: &[Workers, Items, Workload, Cost, Shape, Seed, RaiseAt, RaiseCost],
                refusals: &[(Chunksize, "apply_async sends one task per call: it takes no chunksize")],
                task_noun: "task",
                source: "Lib/multiprocessing/pool.py: apply_async puts one task per call on _taskqueue; each ApplyResult.get() in call order",
                on_raise: OnRaise::OnlyItsGet,
                ..POOL
            },
            Strategy::ProcessPoolMap => Rule {
                name: "ProcessPoolExecutor.map",
                family: Family::ConcurrentFutures,
                chunking: Chunking::DefaultOne,
                hand_out: HandOutRule::CallQueue { extra_queued_calls: 1 },
                delivery: Delivery::InOrder,
                task_noun: "batch",
                source: "Lib/concurrent/futures/process.py: map submits one future per batch of chunksize (default 1); _add_call_item_to_queue fills a call queue of max_workers + EXTRA_QUEUED_CALLS (1); results awaited in order",
                on_raise: OnRaise::AtItsTurnCancelling,
                ..POOL
            },
            Strategy::MultiprocessingProcess => Rule {
                name: "multiprocessing.Process",
                family: Family::Multiprocessing,
                chunking: Chunking::PerItem,
                hand_out: HandOutRule::OwnTask,
                delivery: Delivery::InOrder,
                workers: WorkerCount::OnePerItem,
                settings: &[Items, Workload, Cost, Shape, Seed, RaiseAt, RaiseCost],
                refusals: &[(Workers, "multiprocessing.Process starts one process per item: it reads no 'workers' (the items set how many processes run)")],
                default_workers: DefaultWorkers::NotRead,
                default_items: "16",
                task_noun: "process",
                source: "Lib/multiprocessing/process.py: Process(target=f, args=(x,)) per item; start() launches a new process (spawn: a new interpreter that re-imports the main module), join() waits for it, in order",
                browser_note: Some("Each start() starts a new Web Worker that instantiates the module anew, as the spawn start method starts a new interpreter that re-imports the main module; that start-up is drawn at the start of each lane, and paid per item. The result comes back pickled in a message, as through a multiprocessing.Queue, and the process ends."),
                // The child prints the traceback and exits with exitcode 1; the parent's
                // queue.get() for its result would wait forever: the run ends there instead.
                on_raise: OnRaise::ChildExits,
                ..POOL
            },
            Strategy::ThreadPoolMap => Rule {
                name: "ThreadPoolExecutor.map",
                family: Family::ConcurrentFutures,
                chunking: Chunking::PerItemChunksizeIgnored,
                delivery: Delivery::InOrder,
                settings: &[
                    Workers, Chunksize, Items, Workload, Cost, Shape, Seed, Gil, RaiseAt, RaiseCost,
                ],
                default_workers: DefaultWorkers::CpuCountPlusFour,
                workers_per_submit: true,
                source: "Lib/concurrent/futures/thread.py: one _WorkItem per input on one unbounded _work_queue; submit's _adjust_thread_count starts a thread only if none is idle (_idle_semaphore.acquire(timeout=0) fails) and fewer than max_workers exist; map yields the futures' results in order",
                browser_note: Some("CPython starts the executor's threads lazily: map submits the items one by one, and each submit starts a thread only while none is idle and fewer than max_workers exist. How many start depends on how soon the first ones finish: in CPython 3.11, 2 trivial items on max_workers=16 start 1 thread (it finishes item 1 before item 2 is submitted), 2 items that compute or wait start 2. Here too the caller submits for real, on a Web Worker of its own (holding the GIL as Python's main thread does, when it is on; it has no lane, so its holds are not drawn), and each thread it starts is a resident Web Worker woken by its submit: one lane per thread that started."),
                on_raise: OnRaise::AtItsTurnCancelling,
                ..THREADS
            },
            Strategy::ThreadingThread => Rule {
                name: "threading.Thread",
                hand_out: HandOutRule::OwnTask,
                delivery: Delivery::InOrder,
                workers: WorkerCount::OnePerItem,
                settings: &[Items, Workload, Cost, Shape, Seed, Gil, RaiseAt, RaiseCost],
                refusals: &[(Workers, "threading.Thread starts one thread per item: it reads no 'workers' (the items set how many threads run)")],
                default_workers: DefaultWorkers::NotRead,
                default_items: "16",
                task_noun: "thread",
                source: "Lib/threading.py: Thread(target=f, args=(x,)) per item, each start()ed, then join()ed in order",
                browser_note: Some("A browser cannot start an OS thread per task: each task runs on its own resident Web Worker, woken by a message. The start cost shown (thread start) is that hand-off, smaller than starting an OS thread."),
                on_raise: OnRaise::Printed,
                ..THREADS
            },
            Strategy::QueueQueue => Rule {
                name: "queue.Queue",
                source: "Lib/queue.py: N threads get() from one FIFO Queue until it is drained; q.join() returns when every task_done() is in",
                ..THREADS
            },
            Strategy::RayonParIter => Rule {
                name: "rayon.par_iter",
                hand_out: HandOutRule::WorkStealing,
                runner: Runner::Rayon,
                on_raise: OnRaise::ShortCircuits,
                settings: &[Workers, Items, Workload, Cost, Shape, Seed, RaiseAt, RaiseCost],
                task_noun: "piece",
                source: "rayon src/iter/plumbing/mod.rs: bridge_producer_consumer splits in halves (LengthSplitter), idle threads steal halves (rayon-core join)",
                browser_note: Some("rayon's own pool of exactly this many threads, built for the run on resident Web Workers: it splits the range in halves recursively and idle threads steal halves. Each box is one of the pieces rayon ran sequentially on a thread after splitting."),
                ..RUST
            },
            Strategy::Static => Rule {
                name: "static",
                default_workers: DefaultWorkers::PageDefault(4),
                source: "a static schedule (OpenMP's schedule(static)): block w of ceil(items / workers) for worker w",
                ..RUST
            },
            Strategy::AsyncioGather => Rule {
                name: "asyncio.gather",
                settings: &[Requests, LatencyMs, Limit, TimeoutMs, ReturnExceptions, Urls],
                source: "Lib/asyncio/tasks.py: gather wraps each awaitable in a task, started in argument order; results in argument order; return_exceptions; cancellation",
                ..EVENT_LOOP
            },
            Strategy::Sequential => Rule {
                name: "sequential",
                hand_out: HandOutRule::EventLoop { one_at_a_time: true },
                source: "one `await fetch(url)` after another on one event loop",
                ..EVENT_LOOP
            },
        }
    }

    /// The Python spelling used in URLs, the JS API and the trace.
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// The strategy a Python spelling such as `Pool.map` names. Surrounding spaces and letter
    /// case are ignored (no two names differ only in case), so ` pool.MAP ` is `Pool.map`.
    pub fn from_name(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text))
    }

    /// The value a setting starts with for this strategy: the page's default, except where
    /// that default would be refused (`threading.Thread` starts at most 16 threads, so it
    /// starts with that many items).
    pub fn default_text(self, field: Field) -> &'static str {
        if field == Field::Items {
            self.rule().default_items
        } else {
            field.default_text()
        }
    }

    /// The module or library the strategy comes from.
    pub fn family(self) -> Family {
        self.rule().family
    }

    /// How the strategy cuts its input.
    pub fn chunking(self) -> Chunking {
        self.rule().chunking
    }

    /// When the strategy's results reach the caller.
    pub fn delivery(self) -> Delivery {
        self.rule().delivery
    }

    /// Whether tasks cross a process boundary (arguments and results pickled to bytes).
    pub fn pickles(self) -> bool {
        self.rule().pickles
    }

    /// Whether the strategy runs Python threads in one process (so the GIL applies).
    pub fn is_threaded(self) -> bool {
        self.rule().python_threads
    }

    /// Whether the strategy fetches resources on one event loop instead of running tasks.
    pub fn is_fetch(self) -> bool {
        self.rule().runner == Runner::EventLoop
    }

    /// The workloads the workload picker offers for this strategy: `fetch` only where it runs
    /// (the thread strategies: threads blocked on I/O).
    pub fn workload_choices(self) -> &'static [&'static str] {
        if self.is_threaded() {
            &WORKLOAD_NAMES
        } else {
            &WORKLOAD_NAMES[..2]
        }
    }

    /// The settings this strategy reads.
    pub fn fields(self) -> &'static [Field] {
        self.rule().settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_is_listed_once_and_parses_back_from_its_name() {
        for (i, strategy) in Strategy::ALL.into_iter().enumerate() {
            assert_eq!(Strategy::from_name(strategy.name()), Some(strategy));
            assert!(
                !Strategy::ALL[..i].contains(&strategy),
                "{strategy:?} listed twice"
            );
        }
    }

    #[test]
    fn a_rule_is_consistent_with_itself() {
        for strategy in Strategy::ALL {
            let rule = strategy.rule();
            let reads = |field| rule.settings.contains(&field);
            assert_eq!(
                reads(Chunksize),
                matches!(
                    rule.chunking,
                    Chunking::DefaultRule
                        | Chunking::DefaultOne
                        | Chunking::PerItemChunksizeIgnored
                ),
                "{}: a chunk size is read exactly where the chunking has a default to override, or CPython takes it and ignores it",
                rule.name
            );
            assert_eq!(reads(Gil), rule.python_threads, "{}: GIL", rule.name);
            assert_eq!(
                reads(Workers),
                rule.workers == WorkerCount::Setting,
                "{}: workers",
                rule.name
            );
            assert_eq!(
                rule.workers == WorkerCount::Setting,
                rule.default_workers != DefaultWorkers::NotRead,
                "{}: a default exactly where the setting is read",
                rule.name
            );
            assert_eq!(
                rule.runner == Runner::EventLoop,
                matches!(rule.hand_out, HandOutRule::EventLoop { .. }),
                "{}: the event loop hands out its own requests",
                rule.name
            );
            assert_eq!(
                rule.pickles,
                matches!(
                    rule.family,
                    Family::MultiprocessingPool | Family::Multiprocessing
                ) || strategy == Strategy::ProcessPoolMap,
                "{}: exactly the process strategies pickle",
                rule.name
            );
            assert_eq!(
                rule.runner == Runner::Processes,
                rule.pickles,
                "{}: exactly the process strategies run on processes",
                rule.name
            );
        }
    }
}
