//! The strategy table: every strategy's rules in one place. Each row says how the strategy
//! cuts its input, which worker takes which task, when results reach the caller, whether
//! arguments are pickled, what it needs from the browser, which settings it reads, and the
//! CPython (or rayon) source it mirrors. The code that needs one of these facts reads it
//! from [`Strategy::rule`]; the only `match` that names every strategy is the one below.
//!
//! Adding a strategy: add a variant, its row in [`Strategy::rule`] and its place in
//! [`Strategy::ALL`]; then the compiler names the few exhaustive matches that must say
//! something of their own about it (the program shown, the page's sentences).

use crate::model::field::{Field, WORKLOAD_NAMES};

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

/// The module or library a strategy comes from, as the picker groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `multiprocessing.Pool`.
    MultiprocessingPool,
    /// `multiprocessing` itself (`Process`).
    Multiprocessing,
    /// `concurrent.futures`.
    ConcurrentFutures,
    /// `threading` (and `queue`).
    Threading,
    /// Rust's own.
    Rust,
    /// `asyncio`.
    Asyncio,
}

impl Family {
    /// The name the picker shows.
    pub fn name(self) -> &'static str {
        match self {
            Family::MultiprocessingPool => "multiprocessing.Pool",
            Family::Multiprocessing => "multiprocessing",
            Family::ConcurrentFutures => "concurrent.futures",
            Family::Threading => "threading",
            Family::Rust => "Rust",
            Family::Asyncio => "asyncio",
        }
    }
}

/// How a strategy cuts its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// `Pool.map`'s default rule when no chunk size is given.
    DefaultRule,
    /// Chunk size 1 unless given (`imap`, `ProcessPoolExecutor.map`).
    DefaultOne,
    /// One item per task, no chunk size (threads, `ThreadPoolExecutor`, `apply_async`, queue).
    PerItem,
    /// No chunk size: rayon splits adaptively, `static` in one block per worker.
    Adaptive,
}

/// Which worker takes which task, as a strategy's rule (a run resolves it to a
/// [`HandOut`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOutRule {
    /// One shared FIFO queue: whichever worker is idle takes the next task.
    SharedQueue,
    /// Tasks wait as pending work items and move into a call queue of at most
    /// `max_workers + extra_queued_calls`, which the workers take from.
    CallQueue {
        /// `EXTRA_QUEUED_CALLS` of `concurrent/futures/process.py`.
        extra_queued_calls: usize,
    },
    /// Worker `w` runs task `w` and nothing else (a thread per task; a static split).
    OwnTask,
    /// Recursive halves, taken by idle threads from the others' deques (rayon).
    WorkStealing,
    /// Requests started by one event loop, none handed to a worker: all at once
    /// (`asyncio.gather`), or each when the one before it is done.
    EventLoop {
        /// Whether each request waits for the one before it (awaited one after another).
        one_at_a_time: bool,
    },
}

/// Which worker takes which task in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandOut {
    /// One shared FIFO queue: whichever worker is idle takes the next task. With a
    /// `call_queue` bound, tasks wait as pending work items and move into a call queue of at
    /// most that many (`ProcessPoolExecutor`: `max_workers + 1`).
    Fifo {
        /// Bound of the call queue the workers take from, if any.
        call_queue: Option<usize>,
    },
    /// Worker `w` runs task `w` and nothing else (a thread per task; a static split).
    OwnTask,
}

/// When results reach the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The whole list at once, when every task is back (`MapResult`, `q.join()`, collect).
    AllAtEnd,
    /// Each result as soon as it and every earlier one are back (`IMapIterator`, futures
    /// awaited in order, threads joined in order).
    InOrder,
    /// Each result as it arrives (`IMapUnorderedIterator`).
    AsCompleted,
}

/// What carries a strategy's run out in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The playground's task runner on the page's pool of Web Workers (shared memory).
    Tasks,
    /// rayon itself, lent exactly the chosen number of the pool's Web Workers.
    Rayon,
    /// Processes: module Web Workers, each with its own instance of the module and its own
    /// memory, sent pickled task messages by the page (nothing shared, no isolation needed).
    Processes,
    /// `fetch()`es on the page's own event loop: no worker, no shared memory.
    EventLoop,
}

/// How many workers a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerCount {
    /// The `workers` setting.
    Setting,
    /// One per item (a thread per task): the items set it.
    OnePerItem,
    /// None: one event loop.
    EventLoop,
}

/// One row of the strategy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The Python spelling used in URLs, the JS API and the trace.
    pub name: &'static str,
    /// The module or library it comes from.
    pub family: Family,
    /// How it cuts its input.
    pub chunking: Chunking,
    /// Which worker takes which task.
    pub hand_out: HandOutRule,
    /// When results reach the caller.
    pub delivery: Delivery,
    /// Whether arguments and results are pickled across a process boundary.
    pub pickles: bool,
    /// Whether its workers are Python threads of one interpreter (so the GIL applies, and the
    /// `fetch` workload runs: threads blocked on I/O).
    pub python_threads: bool,
    /// Whether each argument is an `(x, 2)` tuple unpacked into the call (`starmap`).
    pub star_args: bool,
    /// What carries it out in the browser.
    pub runner: Runner,
    /// How many workers it uses.
    pub workers: WorkerCount,
    /// The settings it reads, in the order the controls show them.
    pub settings: &'static [Field],
    /// Why it refuses a setting that other strategies read, in CPython's terms, where that
    /// needs more than "does not use it".
    pub refusals: &'static [(Field, &'static str)],
    /// CPython's default number of workers when none is given, if it has one.
    pub default_workers: Option<&'static str>,
    /// The items a new page starts with for it.
    pub default_items: &'static str,
    /// What one task is called on the page (`chunk`, `batch`, `thread`, `piece`, …).
    pub task_noun: &'static str,
    /// The source it mirrors, and where there the rule lives.
    pub source: &'static str,
    /// What differs in the browser from the runtime it names, beyond what its family shares
    /// (said on the page and in the trace's notes).
    pub browser_note: Option<&'static str>,
}

use Field::*;

/// The settings of a Pool strategy that takes a chunk size.
const POOL_CHUNKED: &[Field] = &[Workers, Chunksize, Items, Workload, Cost, Shape, Seed];
/// The settings of a pool without a chunk size.
const POOL_PER_ITEM: &[Field] = &[Workers, Items, Workload, Cost, Shape, Seed];
/// The settings of a thread pool.
const THREAD_POOL: &[Field] = &[Workers, Items, Workload, Cost, Shape, Seed, Gil];

/// `multiprocessing.Pool`'s row, with what differs between its methods.
const fn pool(
    name: &'static str,
    chunking: Chunking,
    delivery: Delivery,
    source: &'static str,
) -> Rule {
    Rule {
        name,
        family: Family::MultiprocessingPool,
        chunking,
        hand_out: HandOutRule::SharedQueue,
        delivery,
        pickles: true,
        python_threads: false,
        star_args: false,
        runner: Runner::Processes,
        workers: WorkerCount::Setting,
        settings: POOL_CHUNKED,
        refusals: &[],
        default_workers: Some("os.cpu_count()"),
        default_items: "100",
        task_noun: "chunk",
        source,
        browser_note: None,
    }
}

impl Strategy {
    /// Every strategy, in the order the picker lists them.
    pub const ALL: [Strategy; 15] = [
        Strategy::PoolMap,
        Strategy::PoolMapAsync,
        Strategy::PoolImap,
        Strategy::PoolImapUnordered,
        Strategy::PoolStarmap,
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
        use Chunking::*;
        match self {
            Strategy::PoolMap => pool(
                "Pool.map",
                DefaultRule,
                Delivery::AllAtEnd,
                "Lib/multiprocessing/pool.py: map → _map_async puts the chunks of _get_tasks in order on one _taskqueue; MapResult is ready when every chunk is back",
            ),
            Strategy::PoolMapAsync => pool(
                "Pool.map_async",
                DefaultRule,
                Delivery::AllAtEnd,
                "Lib/multiprocessing/pool.py: map_async → _map_async, then MapResult.get()",
            ),
            Strategy::PoolImap => pool(
                "Pool.imap",
                DefaultOne,
                Delivery::InOrder,
                "Lib/multiprocessing/pool.py: imap (chunksize=1); IMapIterator._set releases index i once 0..i are in",
            ),
            Strategy::PoolImapUnordered => pool(
                "Pool.imap_unordered",
                DefaultOne,
                Delivery::AsCompleted,
                "Lib/multiprocessing/pool.py: imap_unordered (chunksize=1); IMapUnorderedIterator._set releases each as it comes",
            ),
            Strategy::PoolStarmap => Rule {
                star_args: true,
                ..pool(
                    "Pool.starmap",
                    DefaultRule,
                    Delivery::AllAtEnd,
                    "Lib/multiprocessing/pool.py: starmap → _map_async(starmapstar), MapResult",
                )
            },
            Strategy::PoolApplyAsync => Rule {
                settings: POOL_PER_ITEM,
                refusals: &[(
                    Chunksize,
                    "apply_async sends one task per call: it takes no chunksize",
                )],
                task_noun: "task",
                ..pool(
                    "Pool.apply_async",
                    PerItem,
                    Delivery::InOrder,
                    "Lib/multiprocessing/pool.py: apply_async puts one task per call on _taskqueue; each ApplyResult.get() in call order",
                )
            },
            Strategy::ProcessPoolMap => Rule {
                family: Family::ConcurrentFutures,
                hand_out: HandOutRule::CallQueue {
                    extra_queued_calls: 1,
                },
                task_noun: "batch",
                ..pool(
                    "ProcessPoolExecutor.map",
                    DefaultOne,
                    Delivery::InOrder,
                    "Lib/concurrent/futures/process.py: map submits one future per batch of chunksize (default 1); _add_call_item_to_queue fills a call queue of max_workers + EXTRA_QUEUED_CALLS (1); results awaited in order",
                )
            },
            Strategy::ThreadPoolMap => Rule {
                name: "ThreadPoolExecutor.map",
                family: Family::ConcurrentFutures,
                chunking: PerItem,
                hand_out: HandOutRule::SharedQueue,
                delivery: Delivery::InOrder,
                pickles: false,
                python_threads: true,
                star_args: false,
                runner: Runner::Tasks,
                workers: WorkerCount::Setting,
                settings: THREAD_POOL,
                refusals: &[(
                    Chunksize,
                    "ThreadPoolExecutor.map ignores chunksize (CPython accepts it and does nothing with it): leave it out",
                )],
                default_workers: Some("min(32, os.cpu_count() + 4)"),
                default_items: "100",
                task_noun: "task",
                source: "Lib/concurrent/futures/thread.py: one _WorkItem per input on one unbounded _work_queue; map yields the futures' results in order",
                browser_note: Some(
                    "CPython starts the executor's threads lazily, one per submit while fewer than max_workers exist (default min(32, os.cpu_count() + 4)); here the max_workers threads are resident Web Workers woken as the run starts.",
                ),
            },
            Strategy::MultiprocessingProcess => Rule {
                name: "multiprocessing.Process",
                family: Family::Multiprocessing,
                chunking: PerItem,
                hand_out: HandOutRule::OwnTask,
                delivery: Delivery::InOrder,
                pickles: true,
                python_threads: false,
                star_args: false,
                runner: Runner::Processes,
                workers: WorkerCount::OnePerItem,
                settings: &[Items, Workload, Cost, Shape, Seed],
                refusals: &[(
                    Workers,
                    "multiprocessing.Process starts one process per item: it reads no 'workers' (the items set how many processes run)",
                )],
                default_workers: None,
                default_items: "16",
                task_noun: "process",
                source: "Lib/multiprocessing/process.py: Process(target=f, args=(x,)) per item; start() launches a new process (spawn: a new interpreter that re-imports the main module), join() waits for it, in order",
                browser_note: Some(
                    "Each start() starts a new Web Worker that instantiates the module anew, as the spawn start method starts a new interpreter that re-imports the main module; that start-up is drawn at the start of each lane, and paid per item. The result comes back pickled in a message, as through a multiprocessing.Queue, and the process ends.",
                ),
            },
            Strategy::ThreadingThread => Rule {
                name: "threading.Thread",
                family: Family::Threading,
                chunking: PerItem,
                hand_out: HandOutRule::OwnTask,
                delivery: Delivery::InOrder,
                pickles: false,
                python_threads: true,
                star_args: false,
                runner: Runner::Tasks,
                workers: WorkerCount::OnePerItem,
                settings: &[Items, Workload, Cost, Shape, Seed, Gil],
                refusals: &[(
                    Workers,
                    "threading.Thread starts one thread per item: it reads no 'workers' (the items set how many threads run)",
                )],
                default_workers: None,
                default_items: "16",
                task_noun: "thread",
                source: "Lib/threading.py: Thread(target=f, args=(x,)) per item, each start()ed, then join()ed in order",
                browser_note: Some(
                    "A browser cannot start an OS thread per task: each task runs on its own resident Web Worker, woken by a message. The start cost shown (thread start) is that hand-off, smaller than starting an OS thread.",
                ),
            },
            Strategy::QueueQueue => Rule {
                name: "queue.Queue",
                family: Family::Threading,
                chunking: PerItem,
                hand_out: HandOutRule::SharedQueue,
                delivery: Delivery::AllAtEnd,
                pickles: false,
                python_threads: true,
                star_args: false,
                runner: Runner::Tasks,
                workers: WorkerCount::Setting,
                settings: THREAD_POOL,
                refusals: &[],
                default_workers: None,
                default_items: "100",
                task_noun: "task",
                source: "Lib/queue.py: N threads get() from one FIFO Queue until it is drained; q.join() returns when every task_done() is in",
                browser_note: None,
            },
            Strategy::RayonParIter => Rule {
                name: "rayon.par_iter",
                family: Family::Rust,
                chunking: Adaptive,
                hand_out: HandOutRule::WorkStealing,
                delivery: Delivery::AllAtEnd,
                pickles: false,
                python_threads: false,
                star_args: false,
                runner: Runner::Rayon,
                workers: WorkerCount::Setting,
                settings: POOL_PER_ITEM,
                refusals: &[],
                default_workers: None,
                default_items: "100",
                task_noun: "piece",
                source: "rayon src/iter/plumbing/mod.rs: bridge_producer_consumer splits in halves (LengthSplitter), idle threads steal halves (rayon-core join)",
                browser_note: Some(
                    "rayon's own pool of exactly this many threads, built for the run on resident Web Workers: it splits the range in halves recursively and idle threads steal halves. Each box is one of the pieces rayon ran sequentially on a thread after splitting.",
                ),
            },
            Strategy::Static => Rule {
                name: "static",
                family: Family::Rust,
                chunking: Adaptive,
                hand_out: HandOutRule::OwnTask,
                delivery: Delivery::AllAtEnd,
                pickles: false,
                python_threads: false,
                star_args: false,
                runner: Runner::Tasks,
                workers: WorkerCount::Setting,
                settings: POOL_PER_ITEM,
                refusals: &[],
                default_workers: None,
                default_items: "100",
                task_noun: "block",
                source: "a static schedule (OpenMP's schedule(static)): block w of ceil(items / workers) for worker w",
                browser_note: None,
            },
            Strategy::AsyncioGather => Rule {
                name: "asyncio.gather",
                family: Family::Asyncio,
                chunking: PerItem,
                hand_out: HandOutRule::EventLoop {
                    one_at_a_time: false,
                },
                delivery: Delivery::AllAtEnd,
                pickles: false,
                python_threads: false,
                star_args: false,
                runner: Runner::EventLoop,
                workers: WorkerCount::EventLoop,
                settings: &[Requests, LatencyMs, Limit, TimeoutMs, ReturnExceptions, Urls],
                refusals: &[],
                default_workers: None,
                default_items: "100",
                task_noun: "request",
                source: "Lib/asyncio/tasks.py: gather wraps each awaitable in a task, started in argument order; results in argument order; return_exceptions; cancellation",
                browser_note: None,
            },
            Strategy::Sequential => Rule {
                name: "sequential",
                family: Family::Asyncio,
                chunking: PerItem,
                hand_out: HandOutRule::EventLoop {
                    one_at_a_time: true,
                },
                delivery: Delivery::AllAtEnd,
                pickles: false,
                python_threads: false,
                star_args: false,
                runner: Runner::EventLoop,
                workers: WorkerCount::EventLoop,
                settings: &[Requests, LatencyMs, TimeoutMs, ReturnExceptions, Urls],
                refusals: &[],
                default_workers: None,
                default_items: "100",
                task_noun: "request",
                source: "one `await fetch(url)` after another on one event loop",
                browser_note: None,
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
                matches!(rule.chunking, Chunking::DefaultRule | Chunking::DefaultOne),
                "{}: a chunk size is read exactly where the chunking has a default to override",
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
