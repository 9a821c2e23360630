//! The trace as Chrome Trace Event JSON, the format Perfetto (ui.perfetto.dev) and
//! `chrome://tracing` open ("Trace Event Format", the JSON object form with `traceEvents` and
//! `displayTimeUnit`).
//!
//! The run is one process (pid 1, named by its heading and settings). Its threads, in this
//! order: one per worker (`worker w · thread t`), with a complete event (`ph: "X"`) per task
//! from the moment the worker took it to the moment it handed its results back (its index,
//! items and phases in `args`); with the GIL on, one per worker for the GIL (a complete event
//! per hold and per wait); on processes, each task's phases (send, compute, return) nested in
//! it and each process's start-up; the result handler, with an instant event (`ph: "i"`) per
//! arrival; and the caller, with a complete event for the whole call and an instant event per
//! result delivered. The task queue's depth is a counter (`ph: "C"`). Times are microseconds
//! since the run started, to the nanosecond.

use crate::model::export_formats::ExportFormat;
use crate::model::layout::lane_ends;
use crate::model::record::{ChunkRecord, ProcessChunkTimes};
use crate::model::sentences::run_heading;
use crate::model::trace::Trace;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use std::io;

/// The process every event belongs to: the run.
const PID: u32 = 1;

/// A time in ms since the run started, as the format's µs, rounded to the nanosecond.
fn nanos(ms: f64) -> i64 {
    (ms * 1e6).round() as i64
}

fn micros(ns: i64) -> f64 {
    ns as f64 / 1e3
}

/// One event of the trace. `ts`, `dur` and `s` are written only where the phase has them.
#[derive(Serialize)]
struct Event {
    name: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    cat: &'static str,
    ph: &'static str,
    ts: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    pid: u32,
    tid: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    args: Args,
}

/// What an event says beyond its name and time.
#[derive(Serialize)]
#[serde(untagged)]
enum Args {
    /// A process or thread name (`process_name`, `thread_name`).
    Name { name: String },
    /// Where a thread is listed (`thread_sort_index`).
    SortIndex { sort_index: usize },
    /// A task as it ran.
    Task(TaskArgs),
    /// The call as the caller made it.
    Call {
        strategy: &'static str,
        items: usize,
        workers: usize,
        chunksize: usize,
        stopped: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        raised: Option<String>,
    },
    /// A task's results reaching the result handler (rank: 0 for the first) or the caller.
    Result { index: usize, rank: usize },
    /// A hold of the GIL, or the wait for it.
    Gil { worker: usize },
    /// A process starting (a new Web Worker instantiating the module), or a phase of a task
    /// on a process (sending, computing, returning).
    Process { worker: usize },
    /// The task queue's depth.
    Depth { queued: usize, pending: usize },
}

/// A task's indices, items and phases.
#[derive(Serialize)]
struct TaskArgs {
    index: usize,
    first_item: usize,
    items: usize,
    worker: usize,
    thread: usize,
    transfer_ms: f64,
    gil_wait_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    stopped: bool,
    /// On a process: its time queued, sending, computing and returning.
    #[serde(flatten)]
    process: Option<ProcessChunkTimes>,
}

/// The threads of the run's process, as numbered in the file.
struct Threads {
    workers: usize,
    gil: bool,
}

impl Threads {
    fn of(trace: &Trace) -> Self {
        let workers = trace
            .chunks
            .iter()
            .map(|c| c.worker + 1)
            .chain(trace.gil_slices.iter().map(|s| s.worker + 1))
            .fold(trace.lanes(), usize::max);
        Self {
            workers,
            gil: !trace.gil_slices.is_empty(),
        }
    }

    fn worker(&self, worker: usize) -> usize {
        worker + 1
    }

    fn handler(&self) -> usize {
        self.workers + 1
    }

    fn caller(&self) -> usize {
        self.workers + 2
    }

    fn gil_of(&self, worker: usize) -> usize {
        self.workers + 3 + worker
    }

    /// Every thread with its name and place in the list: each worker followed by its GIL
    /// track, then the result handler, then the caller.
    fn named(&self, trace: &Trace) -> Vec<(usize, String, usize)> {
        let mut first_thread = vec![None; self.workers];
        for chunk in &trace.chunks {
            first_thread[chunk.worker].get_or_insert(chunk.thread);
        }
        let mut named = Vec::new();
        for (worker, thread) in first_thread.into_iter().enumerate() {
            let name = match thread {
                Some(_) if trace.processes.is_some() => format!("worker {worker} · process"),
                Some(thread) => format!("worker {worker} · thread {thread}"),
                None => format!("worker {worker} · idle"),
            };
            named.push((self.worker(worker), name, 2 * worker));
            if self.gil {
                let name = format!("worker {worker} · GIL");
                named.push((self.gil_of(worker), name, 2 * worker + 1));
            }
        }
        named.push((
            self.handler(),
            "result handler".to_owned(),
            2 * self.workers,
        ));
        named.push((self.caller(), "caller".to_owned(), 2 * self.workers + 1));
        named
    }
}

fn metadata(name: &str, tid: usize, args: Args) -> Event {
    Event {
        name: name.to_owned(),
        cat: "",
        ph: "M",
        ts: 0.0,
        dur: None,
        pid: PID,
        tid,
        s: None,
        args,
    }
}

fn complete(name: String, cat: &'static str, tid: usize, from: f64, to: f64, args: Args) -> Event {
    let (start, end) = (nanos(from), nanos(to));
    Event {
        name,
        cat,
        ph: "X",
        ts: micros(start),
        dur: Some(micros((end - start).max(0))),
        pid: PID,
        tid,
        s: None,
        args,
    }
}

fn instant(name: String, cat: &'static str, tid: usize, at: f64, args: Args) -> Event {
    Event {
        name,
        cat,
        ph: "i",
        ts: micros(nanos(at)),
        dur: None,
        pid: PID,
        tid,
        s: Some("t"),
        args,
    }
}

fn task_event(trace: &Trace, threads: &Threads, chunk: &ChunkRecord) -> Event {
    complete(
        format!("{} {}", trace.strategy().rule().task_noun, chunk.index),
        "task",
        threads.worker(chunk.worker),
        chunk.start_ms,
        chunk.end_ms,
        Args::Task(TaskArgs {
            index: chunk.index,
            first_item: chunk.first_item,
            items: chunk.len,
            worker: chunk.worker,
            thread: chunk.thread,
            transfer_ms: chunk.transfer_ms,
            gil_wait_ms: chunk.gil_wait_ms,
            error: chunk.error.as_ref().map(ToString::to_string),
            stopped: chunk.stopped,
            process: chunk.process,
        }),
    )
}

/// A task's phases on a process, nested in its event: sending its arguments (pickling, the
/// message, unpickling), computing, and returning its results, each kept inside the task.
fn phase_events(threads: &Threads, chunk: &ChunkRecord) -> impl Iterator<Item = Event> {
    let phases = chunk.process.map(|times| {
        let (start, end) = (chunk.start_ms, chunk.end_ms);
        let sent = (start + times.send_ms).min(end);
        let computed = (sent + times.compute_ms).min(end);
        let returning = (end - times.return_ms).max(computed);
        [
            ("send", start, sent),
            ("compute", sent, computed),
            ("return", returning, end),
        ]
    });
    let tid = threads.worker(chunk.worker);
    let worker = chunk.worker;
    phases.into_iter().flatten().map(move |(name, from, to)| {
        complete(
            name.to_owned(),
            "phase",
            tid,
            from,
            to,
            Args::Process { worker },
        )
    })
}

/// Each process this run started (and each replacement of a dead one), from when it was
/// asked for until it was ready, on its worker's thread.
fn startup_events<'a>(trace: &'a Trace, threads: &'a Threads) -> impl Iterator<Item = Event> + 'a {
    let spans = trace
        .processes
        .iter()
        .flat_map(|p| p.spans(&trace.worker_started_ms, trace.wall_ms));
    spans.map(move |startup| {
        complete(
            "process start-up".to_owned(),
            "process",
            threads.worker(startup.process),
            startup.from_ms,
            startup.to_ms,
            Args::Process {
                worker: startup.process,
            },
        )
    })
}

/// Every event of `trace`, in the order the file lists them, built one at a time.
fn events<'a>(trace: &'a Trace, threads: &'a Threads) -> impl Iterator<Item = Event> + 'a {
    let noun = trace.strategy().rule().task_noun;
    let process = format!("{} · {}", run_heading(trace), trace.query());
    let names = threads
        .named(trace)
        .into_iter()
        .flat_map(|(tid, name, place)| {
            [
                metadata("thread_name", tid, Args::Name { name }),
                metadata(
                    "thread_sort_index",
                    tid,
                    Args::SortIndex { sort_index: place },
                ),
            ]
        });
    let call = complete(
        trace.strategy().name().to_owned(),
        "call",
        threads.caller(),
        0.0,
        trace.wall_ms,
        Args::Call {
            strategy: trace.strategy().name(),
            items: trace.items,
            workers: trace.workers,
            chunksize: trace.chunksize,
            stopped: trace.stopped,
            raised: trace.raised.as_ref().map(ToString::to_string),
        },
    );
    // On a process's lane a task ends where the next begins (`layout::lane_ends`).
    let tasks = trace
        .chunks
        .iter()
        .zip(lane_ends(trace))
        .flat_map(|(chunk, lane_end)| {
            let mut chunk = chunk.clone();
            chunk.end_ms = lane_end;
            [task_event(trace, threads, &chunk)]
                .into_iter()
                .chain(phase_events(threads, &chunk).collect::<Vec<_>>())
        });
    let gil = trace.gil_slices.iter().flat_map(|slice| {
        let tid = threads.gil_of(slice.worker);
        let args = || Args::Gil {
            worker: slice.worker,
        };
        let wait = (slice.start_ms > slice.asked_ms).then(|| {
            complete(
                "waits for the GIL".to_owned(),
                "gil",
                tid,
                slice.asked_ms,
                slice.start_ms,
                args(),
            )
        });
        let hold = complete(
            "holds the GIL".to_owned(),
            "gil",
            tid,
            slice.start_ms,
            slice.end_ms,
            args(),
        );
        wait.into_iter().chain([hold])
    });
    let arrivals = trace
        .arrived
        .iter()
        .enumerate()
        .filter_map(move |(rank, &index)| {
            let chunk = trace.chunk(index)?;
            Some(instant(
                format!("{noun} {index} arrived"),
                "result",
                threads.handler(),
                chunk.end_ms,
                Args::Result { index, rank },
            ))
        });
    let deliveries = trace
        .delivered
        .iter()
        .zip(&trace.delivered_ms)
        .enumerate()
        .map(move |(rank, (&index, &at))| {
            instant(
                format!("{noun} {index} delivered"),
                "result",
                threads.caller(),
                at,
                Args::Result { index, rank },
            )
        });
    let depth = trace.queue_depth.iter().map(|sample| Event {
        name: "task queue".to_owned(),
        cat: "queue",
        ph: "C",
        ts: micros(nanos(sample.t_ms)),
        dur: None,
        pid: PID,
        tid: 0,
        s: None,
        args: Args::Depth {
            queued: sample.queued,
            pending: sample.pending,
        },
    });
    [metadata("process_name", 0, Args::Name { name: process })]
        .into_iter()
        .chain(names)
        .chain([call])
        .chain(startup_events(trace, threads))
        .chain(tasks)
        .chain(gil)
        .chain(arrivals)
        .chain(deliveries)
        .chain(depth)
}

/// The events of a trace, serialised one at a time (a million tasks are never all in memory
/// as events at once).
struct TraceEvents<'a>(&'a Trace);

impl Serialize for TraceEvents<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let threads = Threads::of(self.0);
        serializer.collect_seq(events(self.0, &threads))
    }
}

/// What the file says of the run beyond its events.
#[derive(Serialize)]
struct OtherData {
    strategy: &'static str,
    query: String,
    started_at_ms: f64,
    wall_ms: f64,
    isolated: bool,
    notes: Vec<String>,
}

struct File<'a>(&'a Trace);

impl Serialize for File<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let trace = self.0;
        let mut out = serializer.serialize_struct("File", 3)?;
        out.serialize_field("traceEvents", &TraceEvents(trace))?;
        out.serialize_field("displayTimeUnit", "ms")?;
        out.serialize_field(
            "otherData",
            &OtherData {
                strategy: trace.strategy().name(),
                query: trace.query(),
                started_at_ms: trace.started_at_ms,
                wall_ms: trace.wall_ms,
                isolated: trace.isolated,
                notes: trace.notes.clone(),
            },
        )?;
        out.end()
    }
}

/// Writes `trace` as Chrome Trace Event JSON to `out`, event by event.
pub fn write_chrome_trace(trace: &Trace, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer(out, &File(trace)).map_err(io::Error::from)
}

/// `trace` as Chrome Trace Event JSON.
pub fn chrome_trace(trace: &Trace) -> String {
    ExportFormat::Chrome.text(trace)
}
