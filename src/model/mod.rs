//! The pure model of the playground: no web-sys, no browser. Everything here runs and is
//! tested natively with `cargo test`.
//!
//! - [`app_state`]: the page state and its actions (the reducer's logic).
//! - [`compare`]: finished runs side by side: the settings that differ, the wall-time ratio.
//! - [`config`]: a run's settings, parsed and validated from the controls, the URL or the
//!   JS API (one path for all three).
//! - [`field`]: the settings' catalogue: URL key, label, kind of value, default.
//! - [`errors`]: why a task failed, typed (a request's fault, a cancellation, …).
//! - [`export`]: the trace as the JS API hands it out, its per-task fields built when read.
//! - [`files`]: the files shipped for requests to fetch, and the URL each request fetches.
//! - [`gather`]: CPython's `asyncio.gather` (and sequential awaits) over fetches: argument
//!   order, both error modes, cancellation and the semaphore.
//! - [`pool_map`]: CPython's `multiprocessing.Pool.map` rules: chunk size, split, FIFO hand-out
//!   and gather.
//! - [`gil`]: a real GIL (a ticket lock with CPython's switch interval), recording its holders.
//! - [`pickle`]: protocol 4 pickling, byte for byte as `pickle.dumps`.
//! - [`program`]: the whole program (Python, or Rust) a run amounts to, runnable as pasted.
//! - [`run_control`]: what the page and a run's workers share: Stop, and the items done.
//! - [`sentences`]: what the page says of a run: headings, captions, checks, notes.
//! - [`sweep`]: a grid of runs of one workload: its points, speed-ups, Amdahl fit, best point.
//! - [`strategy`]: the strategy table: each strategy's chunking, hand-out, delivery,
//!   pickling, runner, settings and the CPython source it mirrors, in one row.
//! - [`tasks`]: every task strategy's hand-out and release rules, and the run its workers do.
//! - [`words`]: how counts and times are written (plurals, digit grouping, µs or ms).
//! - [`workload`]: the function every task applies and its CPU cost.
//! - [`trace`]: what a run recorded, and the metrics derived from it.
//! - [`layout`]: turning a trace into drawable geometry (bins, lanes), independent of any canvas.

pub mod app_state;
pub mod compare;
pub mod config;
pub mod errors;
pub mod export;
pub mod field;
pub mod files;
pub mod gather;
pub mod gil;
pub mod layout;
pub mod pickle;
pub mod pool_map;
pub mod program;
pub mod run_control;
pub mod sentences;
pub mod strategy;
pub mod sweep;
pub mod tasks;
pub mod trace;
pub mod words;
pub mod workload;
