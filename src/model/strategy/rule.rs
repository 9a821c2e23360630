//! The vocabulary of the strategy table: what a row says of a strategy (its family, how it
//! cuts its input, hands out tasks and delivers results, what carries it out), and the row
//! itself, [`Rule`].

use crate::model::field::Field;
use crate::model::raising::OnRaise;

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
    /// One item per task, no chunk size (threads, `apply_async`, queue).
    PerItem,
    /// One item per task; a chunk size is accepted and ignored, as CPython does
    /// (`ThreadPoolExecutor.map`: `Executor.map` takes `chunksize`, only
    /// `ProcessPoolExecutor` uses it).
    PerItemChunksizeIgnored,
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
    /// One task at a time on one shared FIFO queue: the caller puts the next task only once
    /// the one before it is back (`[pool.apply(f, (x,)) for x in items]`: each call blocks).
    OneAtATime,
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
    /// One task at a time: the next is queued only once the one before it is back, and the
    /// worker that has waited longest takes it (`Pool.apply` called in a loop).
    OneAtATime,
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
    /// What the caller receives when a task raises.
    pub on_raise: OnRaise,
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
    /// Whether its workers start one per submitted task, only while fewer than the setting
    /// exist and none is idle (`ThreadPoolExecutor._adjust_thread_count`), rather than all
    /// at once: a run of fewer tasks than workers then starts only as many.
    pub workers_per_submit: bool,
    /// The settings it reads, in the order the controls show them.
    pub settings: &'static [Field],
    /// Why it refuses a setting that other strategies read, in CPython's terms, where that
    /// needs more than "does not use it".
    pub refusals: &'static [(Field, &'static str)],
    /// How many workers run when none is given.
    pub default_workers: DefaultWorkers,
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

/// How many workers a strategy runs when `workers` is left out, as its library decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultWorkers {
    /// `os.cpu_count()` (`multiprocessing.Pool()`, `ProcessPoolExecutor()`).
    CpuCount,
    /// `min(32, os.cpu_count() + 4)` (`ThreadPoolExecutor()`).
    CpuCountPlusFour,
    /// rayon's global pool: one thread per logical processor.
    RayonThreads,
    /// The library has none (the program names a number): the page starts with this many.
    PageDefault(usize),
    /// The strategy reads no worker count (one per item, or one event loop).
    NotRead,
}

impl DefaultWorkers {
    /// How the library writes its default, if it has one.
    pub fn formula(self) -> Option<&'static str> {
        match self {
            DefaultWorkers::CpuCount => Some("os.cpu_count()"),
            DefaultWorkers::CpuCountPlusFour => Some("min(32, os.cpu_count() + 4)"),
            DefaultWorkers::RayonThreads => Some("rayon: one thread per logical processor"),
            DefaultWorkers::PageDefault(_) | DefaultWorkers::NotRead => None,
        }
    }

    /// The default on a machine of `cpu_count` logical processors, as the library computes it
    /// (not capped to what the page can run).
    pub fn resolve(self, cpu_count: usize) -> usize {
        match self {
            DefaultWorkers::CpuCount | DefaultWorkers::RayonThreads => cpu_count.max(1),
            DefaultWorkers::CpuCountPlusFour => (cpu_count + 4).min(32),
            DefaultWorkers::PageDefault(workers) => workers,
            DefaultWorkers::NotRead => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_libraries_rules() {
        assert_eq!(DefaultWorkers::CpuCount.resolve(2), 2);
        assert_eq!(DefaultWorkers::CpuCountPlusFour.resolve(2), 6);
        assert_eq!(DefaultWorkers::CpuCountPlusFour.resolve(64), 32);
        assert_eq!(DefaultWorkers::RayonThreads.resolve(8), 8);
        assert_eq!(DefaultWorkers::PageDefault(4).resolve(64), 4);
    }
}
