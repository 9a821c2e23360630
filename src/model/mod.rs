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
//! - [`export_formats`]: the trace as other tools open it: Chrome Trace Event JSON, CSV, SVG.
//! - [`files`]: the files shipped for requests to fetch, and the URL each request fetches.
//! - [`gather`]: CPython's `asyncio.gather` (and sequential awaits) over fetches: argument
//!   order, both error modes, cancellation and the semaphore (a folder: the state machine,
//!   `sequential`, `cancel`, `semaphore`, and `fetch_trace`, the run's trace and figures).
//! - [`pool_map`]: CPython's `multiprocessing.Pool.map` rules: chunk size, split, FIFO hand-out
//!   and gather.
//! - [`plan`]: a task strategy's rules for one run (tasks, workers, hand-out, delivery),
//!   and the queue its workers take tasks from.
//! - [`process_pool`]: the parent side of a process pool, driven by messages.
//! - [`process_task`]: the task message a process receives, and what it does with it
//!   (unpickle, compute, pickle back).
//! - [`result_handler`]: CPython's result handler: `map`, `imap`, `imap_unordered` release rules.
//! - [`gil`]: a real GIL (a ticket lock with CPython's switch interval), recording its holders.
//! - [`item_work`]: what one item computes or waits: its value, `square`, the prime count,
//!   the stoppable wait.
//! - [`raising`]: tasks that raise: `raise_at`, how long a failing item works, and each
//!   strategy's rule for what its caller then receives.
//! - [`short_circuit`]: rayon's items when some return `Err`: what each piece really ran.
//! - [`pickle`]: protocol 4 pickling, byte for byte as `pickle.dumps`.
//! - [`prediction`]: predict, then run: a guessed wall time and order against the trace.
//! - [`program`]: the whole program (Python, or Rust) a run amounts to, runnable as pasted.
//! - [`python_script`]: a Python script being written (imports, definitions, main block).
//! - [`race`]: a race of approaches on one workload, and the seed's conclusions tested.
//! - [`run_control`]: what the page and a run's workers share: Stop, and the items done.
//! - [`sentences`]: what the page says of a run: headings, captions, checks, notes.
//! - [`sweep`]: a grid of runs of one workload: its points, speed-ups, Amdahl fit, best point.
//! - [`strategy`]: the strategy table: each strategy's chunking, hand-out, delivery,
//!   pickling, runner, settings and the CPython source it mirrors, in one row.
//! - [`tasks`]: the run a task strategy's workers do ([`tasks::TaskRun`]).
//! - [`task_outcome`]: what a task run's workers hand back, and the trace made of it.
//! - [`embed`]: the embed mode's parameters, the iframe snippet, the host page's requests.
//! - [`words`]: how counts and times are written (plurals, digit grouping, µs or ms).
//! - [`workload`]: the function every task applies and its CPU cost.
//! - [`record`]: what a run recorded, as every strategy records it (tasks, queue depth).
//! - [`trace`]: the trace of a run: its settings, its record, its JSON.
//! - [`machine`]: the machine's processor count (`os.cpu_count()`), set by the page.
//! - [`metrics`]: the figures derived from a trace, and the results as the caller got them.
//! - [`verdict`]: why a run took its time and what to change (the trace's `verdict`), and
//!   [`diagnosis`]: how it is found (the worker-time account, the lower bound, the suggestion).
//! - [`recorded`]: an author's recording read back into a trace, checked, or refused with why.
//! - [`layout`]: turning a trace into drawable geometry (strip bins, gather bins, queue depth
//!   steps, the chunk under the pointer), independent of any canvas.
//! - [`lane_grid`]: a trace binned once into columns of equal time, lane by lane.
//! - [`drawn`]: what the page draws of a trace, as data (the lane grid, the gather's cells),
//!   kept with the trace once made, so that a worker can make it.
//! - [`lane_drawing`]: what the lanes draw at a width: boxes and GIL spans, from a lane grid.

pub mod app_state;
pub mod compare;
pub mod config;
pub mod diagnosis;
pub mod drawn;
pub mod embed;
pub mod errors;
pub mod export;
pub mod export_formats;
pub mod field;
pub mod files;
pub mod gather;
pub mod gil;
pub mod item_work;
pub mod lane_drawing;
pub mod lane_grid;
pub mod layout;
pub mod machine;
pub mod metrics;
pub mod pickle;
pub mod plan;
pub mod pool_map;
pub mod prediction;
pub mod process_pool;
pub mod process_task;
pub mod program;
pub mod python_script;
pub mod race;
pub mod raising;
pub mod record;
pub mod recorded;
pub mod result_handler;
pub mod run_control;
pub mod sentences;
pub mod short_circuit;
pub mod strategy;
pub mod sweep;
pub mod task_outcome;
pub mod tasks;
pub mod thread_starts;
pub mod trace;
pub mod verdict;
pub mod words;
pub mod workload;
