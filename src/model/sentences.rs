//! The page's sentences: what it says of a run (headings, captions, the checks of the
//! result list, the speed-up, what differs in the browser), each a pure function of the
//! trace (or, for the notes, of the settings), tested natively. Strategy facts come from the
//! strategy table, so no sentence names a strategy to decide what to say.

use crate::model::config::RunConfig;
use crate::model::raising::OnRaise;
use crate::model::strategy::{Chunking, Delivery, HandOutRule, WorkerCount};
use crate::model::trace::{BaselineSource, Trace};
use crate::model::words::{count, group_digits, ms};
use crate::model::workload::WorkloadKind;

/// What differs in the browser from the runtime the strategy names, said plainly.
pub fn notes(config: &RunConfig) -> Vec<String> {
    let mut notes = Vec::new();
    if config.strategy.pickles() {
        notes.push("Each process is a Web Worker with its own instance of the module and its own memory, sharing nothing with the page or the other processes: as through CPython's pipes, each task's arguments are pickled to bytes (protocol 4) and posted to the process, which unpickles them, computes, and posts its results back pickled; that crossing, both ways, is the darker part of each box.".to_owned());
    }
    let rule = config.strategy.rule();
    if config.strategy.pickles()
        && matches!(
            rule.hand_out,
            HandOutRule::SharedQueue | HandOutRule::CallQueue { .. }
        )
    {
        notes.push("CPython's workers read their tasks from one shared pipe, so they start them in queue order. A Web Worker has a mailbox of its own: to spare each chunk a round trip of messages, a busy process is written its next chunks ahead (one, or as many as cover a round trip of messages when the chunks are short; fewer as the queue runs low), so a process may start such a chunk after another process has started a later one. Chunks still leave the queue in CPython's order (queue_ms in the exports); the wait in the process's mailbox is pipe_ms.".to_owned());
    }
    if config.strategy.is_threaded() {
        notes.push(if config.gil {
            "GIL on: a real global lock is held while a task computes and handed to a waiting thread every 5 ms (CPython's switch interval); it is released while a task waits.".to_owned()
        } else {
            "GIL off, as in free-threaded Python (3.13t): threads compute in parallel.".to_owned()
        });
    }
    if let Some(note) = config.strategy.rule().browser_note {
        notes.push(note.to_owned());
    }
    match config.workload.kind {
        WorkloadKind::Io => notes.push("I/O is a timer wait: the thread blocks (Atomics.wait) without using the CPU, as a thread waiting on a socket does.".to_owned()),
        WorkloadKind::Fetch => {
            notes.push("Each thread blocks until its request is back, as requests.get blocks a Python thread; the request itself is the browser's fetch(), made for the thread by the page (a Web Worker that blocks cannot run one of its own), as a socket read is done by the OS. With the GIL on, the lock is released while the request is in flight.".to_owned());
            if config.workload.cost > 0 {
                notes.push(format!("Added latency: each request then waits {} µs on a timer (the cost), as asyncio.gather's latency_ms; it is not network time. Served from this machine a request has no network wait, only CPU shared with the threads: without latency there is nothing for threads to overlap.", group_digits(u64::from(config.workload.cost))));
            }
        }
        WorkloadKind::Cpu => {}
    }
    notes
}

/// The heading of a finished run: what ran, on how many workers, cut into what.
pub fn run_heading(trace: &Trace) -> String {
    let heading = plain_heading(trace);
    if trace.stopped {
        format!("{heading} (stopped)")
    } else {
        heading
    }
}

fn plain_heading(trace: &Trace) -> String {
    let strategy = trace.strategy();
    let rule = strategy.rule();
    let name = rule.name;
    let noun = if trace.tasks_are_requests() {
        "request"
    } else {
        "item"
    };
    let items = count(trace.items, noun);
    let workers = count(trace.workers, "worker");
    // A stopped run recorded only the tasks that started; the chunks were all cut.
    let chunked = matches!(rule.chunking, Chunking::DefaultRule | Chunking::DefaultOne);
    let n = if chunked && trace.stopped {
        trace.items.div_ceil(trace.chunksize.max(1))
    } else {
        trace.chunks.len()
    };
    match (rule.chunking, rule.workers) {
        (_, WorkerCount::EventLoop) => format!(
            "{name}: {} on one event loop",
            count(trace.items, "request")
        ),
        (Chunking::DefaultRule | Chunking::DefaultOne, _) => format!(
            "{name} on {workers}: {items} in {} of {}",
            count(n, "chunk"),
            group_digits(trace.chunksize as u64)
        ),
        (Chunking::Adaptive, _) => {
            format!(
                "{name} on {workers}: {items} in {}",
                count(n, rule.task_noun)
            )
        }
        (Chunking::PerItem | Chunking::PerItemChunksizeIgnored, WorkerCount::OnePerItem) => {
            format!("{name}: {items}, one {} each", rule.task_noun)
        }
        (Chunking::PerItem | Chunking::PerItemChunksizeIgnored, WorkerCount::Setting)
            if rule.workers_per_submit && trace.lanes() < trace.workers =>
        {
            format!(
                "{name} (max_workers={}) started {}, one per submit while none was idle: {items}, one task each",
                trace.workers,
                count(trace.lanes(), "thread")
            )
        }
        (Chunking::PerItem | Chunking::PerItemChunksizeIgnored, WorkerCount::Setting) => {
            format!("{name} on {workers}: {items}, one task each")
        }
    }
}

/// What the page says of a stopped run: how far it got.
pub fn stopped_summary(trace: &Trace) -> Option<String> {
    if !trace.stopped {
        return None;
    }
    let tasks = trace.chunks.len();
    let finished = trace.chunks.iter().filter(|c| !c.stopped).count();
    let items_finished: usize = trace
        .chunks
        .iter()
        .filter(|c| !c.stopped)
        .map(|c| c.len)
        .sum();
    Some(format!(
        "Stopped after {}: {finished} of {} finished ({} of {}); the caller got no result list.",
        ms(trace.wall_ms, 1),
        count(tasks, "started task"),
        group_digits(items_finished as u64),
        count(trace.items, "item")
    ))
}

/// Item numbers as a short list, three or more in a row as a range: `1, 2, 6–8`.
pub fn item_list(items: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &item in items {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == item => *last = item,
            _ => runs.push((item, item)),
        }
    }
    let words: Vec<String> = runs
        .iter()
        .map(|&(a, b)| match b - a {
            0 => a.to_string(),
            1 => format!("{a}, {b}"),
            _ => format!("{a}–{b}"),
        })
        .collect();
    words.join(", ")
}

/// What the caller received when tasks raised (`raise_at`), by the strategy's rule, and
/// which work never ran; `None` when no task raised.
pub fn raise_summary(trace: &Trace) -> Option<String> {
    let raised_items: Vec<u64> = trace
        .task_facts()
        .raised_chunks
        .iter()
        .filter_map(|&index| trace.chunk(index)?.error.as_ref()?.raised_item())
        .collect();
    if raised_items.is_empty() || trace.stopped {
        return None;
    }
    let received = trace.received_results().map_or(0, |r| r.len());
    let raisers = match raised_items.len() {
        1 => format!("item {}", item_list(&raised_items)),
        _ => format!("items {}", item_list(&raised_items)),
    };
    let exception = trace
        .raised
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let at = trace.raised_at_ms.map(|t| ms(t, 1)).unwrap_or_default();
    let name = trace.strategy().name();
    let mut text = match trace.strategy().rule().on_raise {
        OnRaise::AfterEveryChunk => format!(
            "{name} waited for every chunk, then raised {exception} at {at}: the first exception to arrive; the caller got no list."
        ),
        OnRaise::AtItsTurn => format!(
            "The caller's loop received {}, then {exception} at the failing chunk's turn ({at}); the loop ended there, and the pool ran the other chunks. {}",
            count(received, "result"),
            if crate::model::raising::imap_goes_on_after_raising(trace.chunksize) {
                "With chunksize=1 the iterator goes on: a caller that caught the exception and called next() again would get the results after it (and each later exception at its turn)."
            } else {
                "With chunksize > 1 the iterator is spent after the exception: another next() raises StopIteration."
            }
        ),
        OnRaise::AtItsTurnCancelling => format!(
            "The caller received {}, then {exception} when the iterator reached that item ({at}); the futures not yet started were then cancelled: {}.",
            count(received, "result"),
            count(trace.cancelled.len(), "task")
        ),
        OnRaise::WhenItArrives => format!(
            "The caller's loop received {} as they completed, then {exception} when the failing chunk's result arrived ({at}); the loop ended there.",
            count(received, "result")
        ),
        OnRaise::OnlyItsGet => format!(
            "Only the get() of the calls that raised raised ({raisers}; the first at {at}); the caller received the {} of every other call.",
            count(received, "result")
        ),
        OnRaise::CallerStops => format!(
            "The caller's loop received {}, then {exception} from the call for that item ({at}); the loop ended there, so the calls after it were never made: {} never submitted.",
            count(received, "result"),
            count(trace.unsubmitted.len(), "task")
        ),
        OnRaise::ChildExits => format!(
            "The {} that raised ({raisers}) printed the traceback and exited with exitcode 1 without putting a result; the parent's queue.get() received the {} of the others, and its next get() would wait forever for the missing one{}. The playground ended the run here instead.",
            if raised_items.len() == 1 { "process" } else { "processes" },
            count(received, "result"),
            if raised_items.len() == 1 { "" } else { "s" }
        ),
        OnRaise::Printed => format!(
            "threading.excepthook printed ValueError for {raisers}; the other threads went on and join() returned: their places in results stay None."
        ),
        OnRaise::WorkerDies if trace.stranded.is_empty() => format!(
            "The worker threads that raised ({raisers}) died; the others drained the queue and q.join() returned: those places in results stay None."
        ),
        OnRaise::WorkerDies => format!(
            "Every worker thread died ({raisers} raised) with {} left in the queue and no worker alive: q.join() would wait forever. The playground ended the run here instead.",
            count(trace.stranded.len(), "task")
        ),
        OnRaise::ShortCircuits => format!(
            "collect::<Result<Vec<_>, _>>() returned {exception} at {at}: the first Err stored ({raisers} returned Err); once an Err was seen, rayon skipped the items not yet started, and the caller got no Vec. Rust has no exceptions: each item returns a Result (a panic would abort this page's wasm build)."
        ),
        OnRaise::NotTaught => return None,
    };
    if !trace.never_ran.is_empty() {
        let items = if trace.never_ran.len() == 1 {
            "item"
        } else {
            "items"
        };
        text.push_str(&format!(
            " Never ran: {items} {}.",
            item_list(&trace.never_ran)
        ));
    }
    Some(text)
}

/// The speed-up figure: over which 1-worker run, and where its time came from.
pub fn speedup_summary(trace: &Trace) -> String {
    let speedup = trace.speedup();
    match (speedup, trace.baseline_wall_ms, trace.baseline) {
        (Some(_), Some(_), Some(BaselineSource::ThisRun)) => {
            "1.00×: this run is the sequential run on 1 worker".to_owned()
        }
        (Some(s), Some(base), Some(source)) => {
            let when = match source {
                BaselineSource::Stored => "measured earlier on this page for the same workload",
                BaselineSource::Measured | BaselineSource::ThisRun => {
                    "measured right after this run"
                }
            };
            format!(
                "{s:.2}× over the sequential run on 1 worker ({}, {when})",
                ms(base, 1)
            )
        }
        _ if trace.stopped => "not measured: the run was stopped".to_owned(),
        _ if !trace.config.workload.raises.is_empty() => {
            "not measured: items raised, so this run did not do the whole workload (see Gather)"
                .to_owned()
        }
        _ if trace.tasks_are_requests() && trace.chunks.iter().any(|c| c.error.is_some()) =>
        {
            "not measured: a request failed, and timing the requests again on 1 worker would re-send it".to_owned()
        }
        _ if trace.processes.is_some() && !trace.isolated => {
            "not measured: the sequential 1-worker run needs a thread, and this page (not cross-origin isolated) cannot start one".to_owned()
        }
        _ => "not measured (the 1-worker run was skipped)".to_owned(),
    }
}

/// The split strip's caption for a finished run: how this strategy cut its input.
pub fn split_caption(trace: &Trace) -> String {
    let n = trace.chunks.len();
    let size = group_digits(trace.chunksize as u64);
    let rule = trace.strategy().rule();
    let noun = if trace.tasks_are_requests() {
        "request"
    } else {
        "item"
    };
    let items = count(trace.items, noun);
    let chunked = matches!(rule.chunking, Chunking::DefaultRule | Chunking::DefaultOne);
    match rule.hand_out {
        HandOutRule::CallQueue { extra_queued_calls } => format!(
            "{items} cut into {} of {size}, all submitted at once; a call queue of max_workers + {extra_queued_calls} = {} feeds the workers",
            count(n, rule.task_noun),
            trace.workers + extra_queued_calls
        ),
        HandOutRule::SharedQueue if chunked => format!(
            "{items} cut into {} of {size} consecutive items, put in this order into one shared FIFO queue",
            count(n, rule.task_noun)
        ),
        HandOutRule::SharedQueue => {
            format!("{items}, one task each, put in this order into one shared FIFO queue")
        }
        HandOutRule::OneAtATime if !trace.unsubmitted.is_empty() => format!(
            "{items}, one task each, submitted one at a time: each apply() call blocks until its result is back, so the next task is queued only then; the caller's loop ended at an exception, so only {} were submitted (drawn): the calls for items {} were never made",
            count(n, "task"),
            item_list(&trace.never_ran)
        ),
        HandOutRule::OneAtATime => format!(
            "{items}, one task each, submitted one at a time: each apply() call blocks until its result is back, so the next task is queued only then and the items run one after another"
        ),
        HandOutRule::OwnTask if rule.workers == WorkerCount::OnePerItem => {
            format!("{items}, one {} each, started in this order", rule.task_noun)
        }
        HandOutRule::OwnTask => format!(
            "{items} in {} of {size}, {} w for worker w",
            count(n, &format!("contiguous {}", rule.task_noun)),
            rule.task_noun
        ),
        HandOutRule::WorkStealing if trace.raised_item.is_some() && !trace.never_ran.is_empty() => format!(
            "{items} as rayon split them: each cell is as much of a {} as one worker (thread) ran sequentially ({}); once an Err was seen rayon skipped the rest, so items {} are in no cell",
            rule.task_noun,
            count(n, rule.task_noun),
            item_list(&trace.never_ran)
        ),
        HandOutRule::WorkStealing => format!(
            "{items} as rayon split them: each cell is a {} one worker (thread) ran sequentially ({})",
            rule.task_noun,
            count(n, rule.task_noun)
        ),
        HandOutRule::EventLoop { .. } => format!("{items}, one request each, all started on one event loop"),
    }
}

/// The check of the gathered list shown after it: whether each place holds what it should.
pub fn results_check(trace: &Trace) -> &'static str {
    if trace.stopped {
        return "";
    }
    let as_completed = trace.strategy().delivery() == Delivery::AsCompleted;
    let raised = !trace.task_facts().raised_chunks.is_empty();
    match (trace.tasks_are_requests(), trace.results_in_order) {
        (false, true) if raised => {
            " ✓ each item that ran and returned holds its result as a sequential map gives it (0 where its task raised or never ran)"
        }
        (false, true) if as_completed => {
            " ✓ every item's result, as a sequential map gives them, received in completion order"
        }
        (true, true) => {
            " ✓ each request's bytes in its place (0 where it failed), as the shipped files' sizes"
        }
        (true, false) => " ✗ differs from the shipped files' sizes",
        (false, true) => " ✓ equals a sequential map, item by item",
        (false, false) => " ✗ differs from a sequential map",
    }
}

/// The lanes' caption for a finished run: what a box is.
pub fn lanes_caption(trace: &Trace) -> String {
    let boxes = if trace.tasks_are_requests() {
        "each box is a request, from the moment an idle thread took it to the moment its bytes were back (the thread blocked meanwhile); numbers are request indices"
    } else {
        "each box is a chunk, from the moment an idle worker took it from the queue to the moment it handed its results back; numbers are chunk indices"
    };
    let mut caption = boxes.to_owned();
    if trace.chunks.len() > 200 {
        caption.push_str("; a finely striped box stands for many chunks too short to draw apart");
    }
    if let Some(processes) = &trace.processes {
        caption.push_str("; the dark band is the share spent crossing to and from the process (pickling and the message, both ways); a process's box starts when it read the chunk, which may have waited in its pipe, written ahead, while the one before computed (pipe_ms in the exports)");
        if processes.started_by_run.iter().any(|&started| started) {
            caption.push_str("; a grey hatched lane start is its process starting (a new Web Worker instantiating the module)");
        }
        if !processes.replacements.is_empty() {
            caption.push_str(
                "; grey hatched within a lane, a replacement starting for a process that died",
            );
        }
    } else if trace.task_facts().any_transfer {
        caption.push_str("; the dark band is the share spent pickling");
    }
    if trace.gil() {
        let metrics = trace.metrics();
        let (waited, busy) = (metrics.gil_wait_ms, metrics.sum_task_ms);
        caption.push_str(&format!(
            "; a box is solid only where its thread held the GIL (one thread at a time, from the recorded hand-overs) and hatched while waiting for the GIL ({} of {}, {:.0}%)",
            ms(waited, 1),
            ms(busy, 1),
            if busy > 0.0 {
                waited / busy * 100.0
            } else {
                0.0
            }
        ));
    }
    if !trace.task_facts().raised_chunks.is_empty() {
        if trace.strategy().rule().on_raise == OnRaise::ShortCircuits {
            caption.push_str("; a red frame marks a piece whose item returned Err, its red end where it returned; each piece is drawn as far as rayon ran it: the items it skipped once an Err was seen never ran");
        } else {
            caption.push_str("; a red frame marks a task that raised ValueError, its red end where it raised (its items after that never ran)");
        }
    }
    if !trace.cancelled.is_empty() {
        caption.push_str(&format!(
            "; cancelled before they started, so in no lane: {}",
            count(trace.cancelled.len(), "task")
        ));
    }
    if !trace.stranded.is_empty() {
        caption.push_str(&format!(
            "; left in the queue with no worker alive, so in no lane: {}",
            count(trace.stranded.len(), "task")
        ));
    }
    if !trace.unsubmitted.is_empty() {
        caption.push_str(&format!(
            "; never submitted (the caller's loop ended at the exception), so in no lane: {}",
            count(trace.unsubmitted.len(), "task")
        ));
    }
    caption
}

/// What the Result line lists: the results in the order the caller received them.
pub fn results_order_label(trace: &Trace) -> &'static str {
    match trace.strategy().delivery() {
        Delivery::AsCompleted => "Result, in the order received (completion order): ",
        Delivery::InOrder | Delivery::AllAtEnd => "Result, in the order received (input order): ",
    }
}

/// The gather strip's caption for a finished run: when results reached the caller.
pub fn gather_caption(trace: &Trace) -> String {
    if trace.stopped {
        return format!(
            "the run was stopped: the results of {} reached the result handler (numbers: arrival order), and the caller got no list",
            count(trace.arrived.len(), "task")
        );
    }
    let waited = trace.waited_count();
    let n = trace.chunks.len();
    let end = trace.task_facts().last_delivered_ms;
    if let (Some(at), Some(item), OnRaise::ShortCircuits) = (
        trace.raised_at_ms,
        trace.raised_item,
        trace.strategy().rule().on_raise,
    ) {
        return format!(
            "results land at their place in input order (numbers: arrival order); the caller got item {item}'s Err at {} and no Vec (red: the piece whose item returned it)",
            ms(at, 1)
        );
    }
    if let (Some(at), Some(item)) = (trace.raised_at_ms, trace.raised_item) {
        return format!(
            "results land at their place in input order (numbers: arrival order); the results of {} reached the caller, then item {item}'s exception at {} (red: the task that raised)",
            count(trace.delivered.len(), "task"),
            ms(at, 1)
        );
    }
    if !trace.stranded.is_empty() {
        return format!(
            "results land at their place in input order (numbers: arrival order); the caller never got past q.join(): {} never ran",
            count(trace.stranded.len(), "task")
        );
    }
    if trace.strategy().rule().on_raise == OnRaise::ChildExits
        && trace.chunks.iter().any(|c| c.error.is_some())
    {
        return format!(
            "results land at their place in input order (numbers: arrival order); the parent's queue.get() received the results of {}, then would wait forever for the rest (red: the processes that raised and put nothing)",
            count(trace.delivered.len(), "process")
        );
    }
    match trace.strategy().delivery() {
        Delivery::AsCompleted => format!("results reach the caller in the order they complete (numbers: completion order); none waits for another, the last arrives at {}", ms(end, 1)),
        Delivery::InOrder if trace.strategy().rule().workers_per_submit => format!("each result reaches the caller once it and every earlier one are back, and not before the caller has submitted every item (map submits them all, then iterates the results); {} of {} arrived early and waited (striped)", group_digits(waited as u64), group_digits(n as u64)),
        Delivery::InOrder => format!("each result reaches the caller once it and every earlier one are back; {} of {} arrived early and waited for an earlier one (striped)", group_digits(waited as u64), group_digits(n as u64)),
        Delivery::AllAtEnd => format!("results land at their place in input order (numbers: arrival order); the caller gets the whole list at {}, once every task is back, so {} of {} waited (striped)", ms(end, 1), group_digits(waited as u64), group_digits(n as u64)),
    }
}

/// What the page says of a process pool's start-up: how long each process this run started
/// took to be ready (`unfinished` if it was not ready when the run ended), or that the pool was reused (`None` for runs without processes).
pub fn process_startup_summary(trace: &Trace) -> Option<String> {
    let processes = trace.processes.as_ref()?;
    let started: Vec<String> = processes
        .startup_ms
        .iter()
        .zip(&processes.started_by_run)
        .filter(|(_, &by_run)| by_run)
        .map(|(startup, _)| startup.map_or_else(|| "unfinished".to_owned(), |t| ms(t, 0)))
        .collect();
    let reused = processes.started_by_run.len() - started.len();
    let replaced: String = processes
        .replacements
        .iter()
        .map(|r| {
            let startup = r
                .ready_ms
                .map_or_else(|| "unfinished".to_owned(), |ready| ms(ready - r.died_ms, 0));
            format!(
                "; process {} died and was replaced, start-up: {startup}",
                r.process
            )
        })
        .collect();
    let summary = match (started.is_empty(), reused) {
        (true, _) => format!(
            "none: {} reused, started by an earlier run on this page",
            count(reused, "process")
        ),
        (false, 0) => format!(
            "{} started by this run; start-up: {}",
            count(started.len(), "process"),
            started.join(", ")
        ),
        (false, _) => format!(
            "{} started by this run; start-up: {}; {} reused",
            count(started.len(), "process"),
            started.join(", "),
            group_digits(reused as u64)
        ),
    };
    Some(summary + &replaced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::strategy::Strategy;

    #[test]
    fn headings_name_what_the_run_was_cut_into() {
        let mut trace =
            crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.0, 1.0)], &[0, 1]);
        trace.items = 14;
        trace.chunksize = 7;
        assert_eq!(
            run_heading(&trace),
            "Pool.map on 2 workers: 14 items in 2 chunks of 7"
        );
        trace.config.strategy = Strategy::RayonParIter;
        assert_eq!(
            run_heading(&trace),
            "rayon.par_iter on 2 workers: 14 items in 2 pieces",
            "rayon's threads are the run's workers, named as in every other strategy"
        );
        trace.config.strategy = Strategy::QueueQueue;
        assert_eq!(
            run_heading(&trace),
            "queue.Queue on 2 workers: 14 items, one task each"
        );
        trace.config.strategy = Strategy::ThreadPoolMap;
        (trace.config.workers, trace.workers, trace.threads_started) = (16, 16, Some(1));
        trace.items = 2;
        assert_eq!(
            run_heading(&trace),
            "ThreadPoolExecutor.map (max_workers=16) started 1 thread, one per submit while none was idle: 2 items, one task each"
        );
        (trace.config.workers, trace.workers, trace.threads_started) = (2, 2, Some(2));
        assert_eq!(
            run_heading(&trace),
            "ThreadPoolExecutor.map on 2 workers: 2 items, one task each"
        );
        trace.config.strategy = Strategy::PoolApply;
        trace.items = 14;
        assert!(split_caption(&trace).contains("submitted one at a time"));
        trace.config.strategy = Strategy::AsyncioGather;
        assert_eq!(
            run_heading(&trace),
            "asyncio.gather: 14 requests on one event loop"
        );
        // One of anything is singular; thousands are grouped.
        let mut one = crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 1.0)], &[0]);
        (one.workers, one.items, one.chunksize) = (1, 1, 1);
        assert_eq!(
            run_heading(&one),
            "Pool.map on 1 worker: 1 item in 1 chunk of 1"
        );
        one.config.strategy = Strategy::ProcessPoolMap;
        assert!(split_caption(&one).starts_with("1 item cut into 1 batch of 1"));
        one.items = 12_000;
        one.config.strategy = Strategy::QueueQueue;
        assert_eq!(
            run_heading(&one),
            "queue.Queue on 1 worker: 12,000 items, one task each"
        );
    }

    #[test]
    fn the_speed_up_says_where_its_baseline_came_from() {
        let mut trace =
            crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 10.0), (1, 1, 0.0, 10.0)], &[0, 1]);
        assert_eq!(
            speedup_summary(&trace),
            "2.00× over the sequential run on 1 worker (20.0 ms, measured right after this run)"
        );
        trace.baseline = Some(BaselineSource::Stored);
        assert!(speedup_summary(&trace)
            .ends_with("measured earlier on this page for the same workload)"));
        trace.baseline = None;
        trace.baseline_wall_ms = None;
        assert_eq!(
            speedup_summary(&trace),
            "not measured (the 1-worker run was skipped)"
        );
        let mut without_threads = trace.clone();
        without_threads.isolated = false;
        without_threads.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![None, None],
            started_by_run: vec![false, false],
            replacements: Vec::new(),
        });
        assert!(speedup_summary(&without_threads).contains("cannot start one"));
        assert_eq!(stopped_summary(&trace), None);
        trace.stopped = true;
        trace.chunks[1].stopped = true;
        assert_eq!(speedup_summary(&trace), "not measured: the run was stopped");
        assert_eq!(
            run_heading(&trace),
            "Pool.map on 2 workers: 2 items in 2 chunks of 1 (stopped)"
        );
        assert!(gather_caption(&trace).starts_with("the run was stopped"));
        assert_eq!(results_check(&trace), "");
        assert_eq!(
            stopped_summary(&trace).unwrap(),
            "Stopped after 10.0 ms: 1 of 2 started tasks finished (1 of 2 items); the caller got no result list."
        );
    }

    #[test]
    fn the_start_up_of_a_process_pool_says_which_processes_this_run_started() {
        let mut trace =
            crate::model::trace::tests::trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.0, 1.0)], &[0, 1]);
        assert_eq!(
            process_startup_summary(&trace),
            None,
            "no processes, no sentence"
        );
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(48.4), Some(61.0)],
            started_by_run: vec![true, true],
            replacements: Vec::new(),
        });
        assert_eq!(
            process_startup_summary(&trace).unwrap(),
            "2 processes started by this run; start-up: 48 ms, 61 ms"
        );
        assert!(lanes_caption(&trace).contains("its process starting"));
        assert!(lanes_caption(&trace).contains("waited in its pipe"));
        assert!(!lanes_caption(&trace).contains("a replacement starting"));
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(48.4), None],
            started_by_run: vec![false, true],
            replacements: Vec::new(),
        });
        assert_eq!(
            process_startup_summary(&trace).unwrap(),
            "1 process started by this run; start-up: unfinished; 1 reused"
        );
        trace.processes = Some(crate::model::record::ProcessStartup {
            startup_ms: vec![Some(48.4), Some(61.0)],
            started_by_run: vec![false, false],
            replacements: Vec::new(),
        });
        assert_eq!(
            process_startup_summary(&trace).unwrap(),
            "none: 2 processes reused, started by an earlier run on this page"
        );
        assert!(!lanes_caption(&trace).contains("its process starting"));
        if let Some(processes) = trace.processes.as_mut() {
            processes.replacements = vec![crate::model::record::ProcessReplacement {
                process: 1,
                died_ms: 30.0,
                ready_ms: Some(102.4),
            }];
        }
        assert_eq!(
            process_startup_summary(&trace).unwrap(),
            "none: 2 processes reused, started by an earlier run on this page; process 1 died and was replaced, start-up: 72 ms"
        );
        assert!(lanes_caption(&trace).contains("a replacement starting"));
    }

    #[test]
    fn a_run_whose_items_raise_says_what_the_caller_received_and_what_never_ran() {
        let queue = Inputs::from_query(
            "strategy=queue.Queue&workers=2&items=8&cost=10&raise_at=1,2&raise_cost=fast",
        )
        .validate()
        .unwrap();
        let trace = crate::model::tasks::tests::run_with_io(&queue, std::sync::Arc::new(|_| Ok(0)))
            .into_trace(&queue, crate::model::tasks::tests::FACTS)
            .unwrap();
        let said = raise_summary(&trace).unwrap();
        assert!(said.contains("q.join() would wait forever"), "{said}");
        assert!(said.ends_with("Never ran: items 3–8."), "{said}");
        let map = Inputs::from_query(
            "strategy=Pool.map&workers=2&items=8&chunksize=4&cost=10&raise_at=2",
        )
        .validate()
        .unwrap();
        let trace = crate::model::tasks::tests::run_with_io(&map, std::sync::Arc::new(|_| Ok(0)))
            .into_trace(&map, crate::model::tasks::tests::FACTS)
            .unwrap();
        let said = raise_summary(&trace).unwrap();
        assert!(
            said.starts_with("Pool.map waited for every chunk, then raised ValueError: bad item 2"),
            "{said}"
        );
        assert!(said.ends_with("Never ran: items 3, 4."), "{said}");
        assert_eq!(item_list(&[1, 3, 4, 5, 9, 10]), "1, 3–5, 9, 10");

        let apply = Inputs::from_query("strategy=Pool.apply&workers=2&items=6&cost=10&raise_at=3")
            .validate()
            .unwrap();
        let trace = crate::model::tasks::tests::run_with_io(&apply, std::sync::Arc::new(|_| Ok(0)))
            .into_trace(&apply, crate::model::tasks::tests::FACTS)
            .unwrap();
        let said = raise_summary(&trace).unwrap();
        assert!(
            said.starts_with("The caller's loop received 2 results, then ValueError: bad item 3 from the call for that item"),
            "{said}"
        );
        assert!(
            said.ends_with("the calls after it were never made: 3 tasks never submitted. Never ran: items 4–6."),
            "{said}"
        );
        assert!(lanes_caption(&trace).contains(
            "never submitted (the caller's loop ended at the exception), so in no lane: 3 tasks"
        ));
        assert!(split_caption(&trace).ends_with(
            "so only 3 tasks were submitted (drawn): the calls for items 4–6 were never made"
        ));

        let processes =
            Inputs::from_query("strategy=multiprocessing.Process&items=4&cost=10&raise_at=2,3")
                .validate()
                .unwrap();
        let trace =
            crate::model::tasks::tests::run_with_io(&processes, std::sync::Arc::new(|_| Ok(0)))
                .into_trace(&processes, crate::model::tasks::tests::FACTS)
                .unwrap();
        assert_eq!(
            raise_summary(&trace).unwrap(),
            "The processes that raised (items 2, 3) printed the traceback and exited with exitcode 1 without putting a result; the parent's queue.get() received the 2 results of the others, and its next get() would wait forever for the missing ones. The playground ended the run here instead."
        );
        assert!(gather_caption(&trace)
            .contains("received the results of 2 processes, then would wait forever"));
    }

    #[test]
    fn a_rayon_run_whose_item_returned_err_says_what_was_skipped() {
        use crate::model::errors::TaskError;
        use crate::model::record::ChunkRecord;
        use crate::model::task_outcome::TaskOutcome;
        // rayon's pieces 1..=4 and 5..=8: item 3 returned Err, so its piece stopped there;
        // the other piece had run items 5 and 6 when it saw the Err.
        let config =
            Inputs::from_query("strategy=rayon.par_iter&workers=2&items=8&cost=10&raise_at=3")
                .validate()
                .unwrap();
        let piece = |index, first_item, len, error| ChunkRecord {
            index,
            first_item,
            len,
            worker: index,
            thread: index,
            start_ms: 0.0,
            end_ms: 4.0,
            transfer_ms: 0.0,
            gil_wait_ms: 0.0,
            error,
            stopped: false,
            process: None,
        };
        let err = TaskError::Returned { item: 3 };
        let outcome = TaskOutcome {
            records: vec![piece(0, 0, 3, Some(err.clone())), piece(1, 4, 2, None)],
            arrived: vec![0, 1],
            delivered: Vec::new(),
            delivered_ms: Vec::new(),
            results: Some(vec![0, 0, 0, 0, 25, 36, 0, 0]),
            raised: Some((err, 4.5)),
            cancelled: Vec::new(),
            stranded: Vec::new(),
            unsubmitted: Vec::new(),
            worker_started_ms: vec![0.0, 0.0],
            queue_depth: Vec::new(),
            stopped: false,
            gil_slices: Vec::new(),
        };
        let trace = outcome
            .into_trace(&config, crate::model::tasks::tests::FACTS)
            .unwrap();
        assert_eq!(
            trace.never_ran,
            [4, 7, 8],
            "the items in no piece never ran"
        );
        assert!(trace.results_in_order, "0 where no value came");
        assert_eq!(
            raise_summary(&trace).unwrap(),
            "collect::<Result<Vec<_>, _>>() returned Err(\"bad item 3\") at 4.5 ms: the first Err stored (item 3 returned Err); once an Err was seen, rayon skipped the items not yet started, and the caller got no Vec. Rust has no exceptions: each item returns a Result (a panic would abort this page's wasm build). Never ran: items 4, 7, 8."
        );
        assert!(lanes_caption(&trace).contains("a red frame marks a piece whose item returned Err"));
        assert!(split_caption(&trace).ends_with(
            "once an Err was seen rayon skipped the rest, so items 4, 7, 8 are in no cell"
        ));
        assert!(gather_caption(&trace).contains("the caller got item 3's Err at 4.5 ms and no Vec"));
    }

    #[test]
    fn imap_says_whether_its_iterator_goes_on_after_the_exception() {
        // CPython 3.11, raise at item 3 of 8, next() called again after each exception:
        // chunksize=1 gives 1, 4, ValueError, 16, 25, 36, 49, 64; chunksize=2 gives 1, 4,
        // ValueError, then StopIteration (the chunks are chained by a generator, which the
        // exception closed).
        for (chunksize, says) in [(1, "the iterator goes on"), (2, "raises StopIteration")] {
            let imap = Inputs::from_query(&format!(
                "strategy=Pool.imap&workers=2&items=8&chunksize={chunksize}&cost=10&raise_at=3"
            ))
            .validate()
            .unwrap();
            let trace =
                crate::model::tasks::tests::run_with_io(&imap, std::sync::Arc::new(|_| Ok(0)))
                    .into_trace(&imap, crate::model::tasks::tests::FACTS)
                    .unwrap();
            let said = raise_summary(&trace).unwrap();
            assert!(said.contains(says), "chunksize {chunksize}: {said}");
        }
    }
}
