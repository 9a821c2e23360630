//! How the verdict on a run (`model::verdict`) is found: where its time went, as measured, how far it is from the fastest it
//! could be, and what to change, with the predicted wall time, so that a run of the
//! suggestion checks the prediction.
//!
//! # The account
//! The run gave each of its `workers` lanes the whole wall time, so the account is of
//! worker time: `workers × wall_ms` = start-up + transfer + queue wait + compute + GIL wait +
//! tail + idle, each measured on the lanes of the trace (no part is estimated):
//! - **start-up**: from the call until the lane's worker began (a process's start, a thread's
//!   hand-off: `worker_started_ms`);
//! - **transfer**, **GIL wait**, **compute**: the lane's tasks, split as they recorded it (the
//!   pickling and messages both ways, `transfer_ms`; the wait for the GIL, `gil_wait_ms`; the
//!   rest, the task's own work), each over its box on the lane (a process's box ends where
//!   it began its next chunk, [`lane_ends`]). Tasks that overlap on one lane (requests on
//!   one event loop) count once, shared out in proportion;
//! - the lane's gaps, by when they fell: **queue wait** while tasks were still being handed
//!   out (before the last task started), **tail** while no task was left to take but others
//!   still ran (until the last task ended), **idle** after every task had ended (the caller
//!   gathering its results), and the whole time of a lane that got no task.
//!
//! The lower bound is `max(total work / workers, longest task)`: the tasks' own work (compute,
//! without transfer and GIL wait) spread perfectly over the workers, or the longest task (one
//! item, one call of the function), which one worker must run alone; a chunk's items are
//! taken as equal, so its longest item is at least their mean. For the fetch strategies the event loop's "workers" are the
//! requests allowed in flight at once.
//!
//! # The suggestions
//! Each is derived from measured quantities of this trace: the overhead per task (transfer and
//! queue wait per task), the compute per item, the tail in units of one task's length, the
//! GIL wait and the start-up. The predicted wall time is this run's wall time with the measured
//! cost of the current setting taken away and the modelled cost of the new one put back, so
//! the model agrees with the trace at the settings it ran with. The transfer is taken as a
//! cost per task: where part of it grows with the items of a task (larger messages to pickle
//! and post), a larger chunk size is predicted faster than it turns out, and the run of the
//! suggestion shows by how much. The suggestion predicted
//! fastest is offered if it is predicted to take at most [`WORTH_SUGGESTING`] of the wall
//! time; a run within [`NEAR_BOUND`] of its lower bound gets none but more workers (the bound
//! is of the workers it had).

use crate::model::compare::changes_phrase;
use crate::model::field::Field;
use crate::model::layout::lane_ends;
use crate::model::record::ChunkRecord;
use crate::model::strategy::{Chunking, HandOutRule, WorkerCount};
use crate::model::trace::Trace;
use crate::model::verdict::{percent, Breakdown, Part, Settings, Verdict};
use crate::model::words::{ms, number};

/// A suggestion is made only if it is predicted to take at most this share of the wall time.
pub const WORTH_SUGGESTING: f64 = 0.9;

/// A run whose wall time is within this factor of its lower bound is near it: nothing to change.
pub const NEAR_BOUND: f64 = 1.1;

/// Among chunk sizes predicted within this factor of the fastest, the smallest is suggested
/// (smaller chunks balance better when items differ).
const CHUNKSIZE_SLACK: f64 = 1.05;

/// What the verdict suggests: the settings, the change in words, the predicted wall time.
#[derive(Debug, Clone, PartialEq)]
struct Suggestion {
    /// The part of the account the change cuts.
    part: Part,
    settings: Settings,
    /// `chunksize 1 → 25`, or how to run it again.
    change: String,
    predicted_wall_ms: f64,
    /// The part's predicted share of the workers' time after the change, 0..=1.
    share_after: f64,
}

impl Trace {
    /// The worker-time account of this run (see the module's documentation).
    pub fn breakdown(&self) -> Breakdown {
        let wall = self.wall_ms.max(0.0);
        let mut account = Breakdown::default();
        if self.lanes() == 0 || wall <= 0.0 {
            return account;
        }
        let clip = |t: f64| t.clamp(0.0, wall);
        let last_start = self
            .chunks
            .iter()
            .map(|c| clip(c.start_ms))
            .fold(0.0, f64::max);
        let last_end = self
            .chunks
            .iter()
            .map(|c| clip(c.end_ms))
            .fold(0.0, f64::max);
        // A process's box ends where it began its next chunk (the results of the one before
        // may still be crossing back): its boxes never overlap.
        let box_ends = lane_ends(self);
        let mut lanes: Vec<Vec<usize>> = vec![Vec::new(); self.lanes()];
        for (position, chunk) in self.chunks.iter().enumerate() {
            if let Some(lane) = lanes.get_mut(chunk.worker) {
                lane.push(position);
            }
        }
        for (worker, lane) in lanes.iter_mut().enumerate() {
            if !lane.is_sorted_by_key(|&p| self.chunks[p].start_ms) {
                lane.sort_by(|&a, &b| self.chunks[a].start_ms.total_cmp(&self.chunks[b].start_ms));
            }
            let first_start = lane
                .first()
                .map_or(wall, |&p| clip(self.chunks[p].start_ms));
            let began =
                clip(self.worker_started_ms.get(worker).copied().unwrap_or(0.0)).min(first_start);
            account.add(Part::Startup, began);
            let gap = |account: &mut Breakdown, from: f64, to: f64| {
                if lane.is_empty() {
                    account.add(Part::Idle, to - from);
                    return;
                }
                let overlap = |a: f64, b: f64| (to.min(b) - from.max(a)).max(0.0);
                account.add(Part::QueueWait, overlap(0.0, last_start));
                account.add(Part::Tail, overlap(last_start, last_end));
                account.add(Part::Idle, overlap(last_end, wall));
            };
            let mut covered = began;
            for &position in lane.iter() {
                let chunk = &self.chunks[position];
                let box_end = box_ends[position];
                let (start, end) = (clip(chunk.start_ms).max(covered), clip(box_end));
                if start > covered {
                    gap(&mut account, covered, start);
                }
                let duration = box_end - chunk.start_ms;
                if end > start && duration > 0.0 {
                    let counted = end - start;
                    let fraction = counted / duration;
                    let transfer = (chunk.transfer_ms * fraction).clamp(0.0, counted);
                    let gil_wait = (chunk.gil_wait_ms * fraction).clamp(0.0, counted - transfer);
                    account.add(Part::Transfer, transfer);
                    account.add(Part::GilWait, gil_wait);
                    account.add(Part::Compute, counted - transfer - gil_wait);
                }
                covered = covered.max(end);
            }
            if wall > covered {
                gap(&mut account, covered, wall);
            }
        }
        account
    }

    /// The lower bound on the wall time, ms: `max(total work / workers, longest task)`, the
    /// work being the tasks' own (without transfer and GIL wait), a task being one item (one
    /// call of the function: a chunk's work over its items, at least its longest item's).
    pub fn lower_bound_ms(&self) -> f64 {
        let work = ChunkRecord::own_work_ms;
        let total: f64 = self.chunks.iter().map(work).sum();
        let longest = self
            .chunks
            .iter()
            .map(|c| work(c) / c.len.max(1) as f64)
            .fold(0.0, f64::max);
        (total / self.bound_workers() as f64).max(longest)
    }

    /// The workers the lower bound shares the work among: the lanes, or for the fetch
    /// strategies the requests allowed in flight at once; one where the caller hands out one
    /// task at a time (`Pool.apply`, sequential awaits).
    fn bound_workers(&self) -> usize {
        let at_once = if self.strategy().is_fetch() {
            self.config
                .fetch
                .limit
                .unwrap_or(self.config.fetch.requests)
        } else {
            self.lanes()
        };
        match self.strategy().rule().hand_out {
            HandOutRule::EventLoop {
                one_at_a_time: true,
            }
            | HandOutRule::OneAtATime => 1,
            HandOutRule::EventLoop {
                one_at_a_time: false,
            }
            | HandOutRule::SharedQueue
            | HandOutRule::CallQueue { .. }
            | HandOutRule::OwnTask
            | HandOutRule::WorkStealing => at_once.max(1),
        }
    }

    /// The verdict on this run: the account, the lower bound, and what to change, on the
    /// machine that ran it (its processor count, `cpu_count`, bounds the workers suggested;
    /// a recording keeps the verdict of the machine it was recorded on). Computed once: the runtime
    /// computes it with the figures, on the worker that built the trace.
    pub fn verdict(&self) -> &Verdict {
        self.derived
            .verdict
            .get_or_init(|| self.verdict_on(self.cpu_count))
    }

    /// The verdict on this run on a machine of `processors` logical processors.
    pub fn verdict_on(&self, processors: usize) -> Verdict {
        let breakdown = self.breakdown();
        let lower_bound_ms = self.lower_bound_ms();
        let dominant = breakdown.largest();
        let share = |part: Part| percent(breakdown.share(part));
        let measured = Measured::of(self, &breakdown);
        let near_bound = self.wall_ms <= NEAR_BOUND * lower_bound_ms;
        let suggestion = measured.as_ref().and_then(|measured| {
            // Near its bound, a run gains only from more workers (the bound is theirs).
            let same_workers = [
                measured.chunksize_suggestion(self),
                measured.gil_suggestion(self),
                measured.startup_suggestion(self),
            ];
            same_workers
                .into_iter()
                .filter(|_| !near_bound)
                .chain([measured.workers_suggestion(self, processors)])
                .flatten()
                .filter(|s| s.predicted_wall_ms <= WORTH_SUGGESTING * self.wall_ms)
                .min_by(|a, b| a.predicted_wall_ms.total_cmp(&b.predicted_wall_ms))
        });
        let sentence = match (&suggestion, measured.is_some()) {
            (Some(s), _) if s.part == Part::Compute => format!(
                "{} is {} of the workers' time: {} would share it out, predicted {} ({}× faster).",
                capitalised(s.part.label()),
                share(s.part),
                s.change,
                ms(s.predicted_wall_ms, 0),
                number(self.wall_ms / s.predicted_wall_ms, 1),
            ),
            (Some(s), _) => format!(
                "{} is {} of the workers' time: {} would cut it to ~{}, predicted {} ({}× faster).",
                capitalised(s.part.label()),
                share(s.part),
                s.change,
                percent(s.share_after),
                ms(s.predicted_wall_ms, 0),
                number(self.wall_ms / s.predicted_wall_ms, 1),
            ),
            (None, false) => format!(
                "{} is {} of the workers' time; {}",
                capitalised(dominant.label()),
                share(dominant),
                if self.stopped {
                    "the run was stopped before it finished, so there is nothing to predict."
                } else {
                    "the run is too short to judge."
                }
            ),
            (None, true) if near_bound => format!(
                "{} is {} of the workers' time, and the run is within {} of its lower bound ({}): nothing to change.",
                capitalised(dominant.label()),
                share(dominant),
                percent(self.wall_ms / lower_bound_ms.max(f64::MIN_POSITIVE) - 1.0),
                ms(lower_bound_ms, 0),
            ),
            (None, true) => format!(
                "{} is {} of the workers' time; the run takes {}× its lower bound ({}), but no change of settings here is predicted to make it at least {} faster.",
                capitalised(dominant.label()),
                share(dominant),
                number(self.wall_ms / lower_bound_ms.max(f64::MIN_POSITIVE), 1),
                ms(lower_bound_ms, 0),
                percent(1.0 - WORTH_SUGGESTING),
            ),
        };
        Verdict {
            dominant,
            sentence,
            suggested: suggestion.as_ref().map(|s| s.settings),
            change: suggestion.as_ref().map(|s| s.change.clone()),
            predicted_wall_ms: suggestion
                .as_ref()
                .map(|s| round_tenth(s.predicted_wall_ms)),
            breakdown,
            lower_bound_ms: round_tenth(lower_bound_ms),
            workers: self.lanes(),
            wall_ms: self.wall_ms,
        }
    }
}

/// What the suggestions are derived from, measured in one trace.
#[derive(Debug, Clone, Copy)]
struct Measured {
    /// The account.
    account: Breakdown,
    /// The run's wall time, ms.
    wall_ms: f64,
    /// Workers (lanes).
    workers: f64,
    /// Items the tasks covered.
    items: usize,
    /// Tasks recorded.
    tasks: f64,
    /// The chunk size it ran with.
    chunksize: usize,
    /// The tasks' own work per item, ms.
    compute_per_item_ms: f64,
    /// Transfer and queue wait per task: what each task costs besides its work, ms.
    overhead_per_task_ms: f64,
    /// The tail per worker in units of one task's length (its work and overhead).
    tail_in_tasks: f64,
}

impl Measured {
    /// The measured quantities of a finished run, or `None` if it was stopped or took no time.
    fn of(trace: &Trace, account: &Breakdown) -> Option<Self> {
        let items: usize = trace.chunks.iter().map(|c| c.len).sum();
        if trace.stopped || trace.wall_ms <= 0.0 || trace.lanes() == 0 || items == 0 {
            return None;
        }
        let tasks = trace.chunks.len() as f64;
        let workers = trace.lanes() as f64;
        let compute_per_item_ms = account.compute_ms / items as f64;
        let overhead_per_task_ms = (account.transfer_ms + account.queue_wait_ms) / tasks;
        let task_ms = trace.chunksize.max(1) as f64 * compute_per_item_ms + overhead_per_task_ms;
        let tail_in_tasks = if task_ms > 0.0 {
            account.tail_ms / workers / task_ms
        } else {
            0.0
        };
        Some(Self {
            account: *account,
            wall_ms: trace.wall_ms,
            workers,
            items,
            tasks,
            chunksize: trace.chunksize.max(1),
            compute_per_item_ms,
            overhead_per_task_ms,
            tail_in_tasks,
        })
    }

    /// The wall time the workers spend on tasks, overhead and tail with `chunksize` items per
    /// task on `workers` workers: the work and per-task overhead shared out, plus the tail
    /// measured here, scaled to the new task length.
    fn task_wall_ms(&self, chunksize: usize, workers: f64) -> f64 {
        let tasks = self.items.div_ceil(chunksize.max(1)) as f64;
        let task_ms = chunksize as f64 * self.compute_per_item_ms + self.overhead_per_task_ms;
        (self.items as f64 * self.compute_per_item_ms + tasks * self.overhead_per_task_ms) / workers
            + self.tail_in_tasks * task_ms
    }

    /// The wall time predicted with `chunksize` on `workers`: this run's, with its own task
    /// time taken away and the new one put back (never below the work shared out perfectly).
    fn predicted_ms(&self, chunksize: usize, workers: f64) -> f64 {
        let now = (self.account.compute_ms
            + self.account.transfer_ms
            + self.account.queue_wait_ms
            + self.account.tail_ms)
            / self.workers;
        let floor = self.account.compute_ms / workers;
        (self.wall_ms - now + self.task_wall_ms(chunksize, workers)).max(floor)
    }

    /// The chunk size predicted fastest (the smallest within [`CHUNKSIZE_SLACK`] of it), for
    /// a strategy that reads one.
    fn chunksize_suggestion(&self, trace: &Trace) -> Option<Suggestion> {
        // ThreadPoolExecutor.map takes a chunksize and ignores it: changing it changes nothing.
        let rule = trace.strategy().rule();
        if !trace.strategy().fields().contains(&Field::Chunksize)
            || rule.chunking == Chunking::PerItemChunksizeIgnored
        {
            return None;
        }
        let largest = self.items.div_ceil(trace.lanes().max(1)).max(1);
        let predicted = |k: usize| self.predicted_ms(k, self.workers);
        let best = (1..=largest).map(predicted).fold(f64::INFINITY, f64::min);
        let chosen = (1..=largest).find(|&k| predicted(k) <= best * CHUNKSIZE_SLACK)?;
        if chosen == self.chunksize {
            return None;
        }
        let settings = Settings {
            chunksize: Some(chosen),
            ..Settings::default()
        };
        let to = settings.apply(&trace.config).ok()?;
        let predicted_wall_ms = predicted(chosen);
        let tasks = self.items.div_ceil(chosen) as f64;
        let (part, part_after_ms) = if chosen > self.chunksize {
            let transfer_share = self.account.transfer_ms
                / (self.account.transfer_ms + self.account.queue_wait_ms).max(f64::MIN_POSITIVE);
            let part = if transfer_share >= 0.5 {
                Part::Transfer
            } else {
                Part::QueueWait
            };
            let per_task = self.account.get(part) / self.tasks;
            (part, per_task * tasks)
        } else {
            let task_ms = chosen as f64 * self.compute_per_item_ms + self.overhead_per_task_ms;
            (Part::Tail, self.tail_in_tasks * task_ms * self.workers)
        };
        Some(Suggestion {
            part,
            settings,
            change: changes_phrase(&trace.config, &to),
            predicted_wall_ms,
            share_after: part_after_ms / (predicted_wall_ms * self.workers),
        })
    }

    /// Without the GIL the threads' waits for it go: each lane's share of them comes off the
    /// wall time.
    fn gil_suggestion(&self, trace: &Trace) -> Option<Suggestion> {
        if !trace.gil() || self.account.gil_wait_ms <= 0.0 {
            return None;
        }
        let settings = Settings {
            gil: Some(false),
            ..Settings::default()
        };
        let to = settings.apply(&trace.config).ok()?;
        Some(Suggestion {
            part: Part::GilWait,
            settings,
            change: format!(
                "{} (free-threaded CPython; or processes, Pool.map)",
                changes_phrase(&trace.config, &to)
            ),
            predicted_wall_ms: self.wall_ms - self.account.gil_wait_ms / self.workers,
            share_after: 0.0,
        })
    }

    /// Processes this run started are reused by the next run of the same pool (as a
    /// `with Pool()` block reused across maps): their start-up comes off the wall time.
    fn startup_suggestion(&self, trace: &Trace) -> Option<Suggestion> {
        let started = trace
            .processes
            .as_ref()
            .is_some_and(|p| p.started_by_run.iter().any(|&started| started));
        if !started || self.account.startup_ms <= 0.0 {
            return None;
        }
        Some(Suggestion {
            part: Part::Startup,
            settings: Settings::default(),
            change: "running it again on the processes already started (reusing the pool)"
                .to_owned(),
            predicted_wall_ms: self.wall_ms - self.account.startup_ms / self.workers,
            share_after: 0.0,
        })
    }

    /// More workers, up to this machine's processors and the tasks there are, when the work
    /// can run in parallel (not under the GIL).
    fn workers_suggestion(&self, trace: &Trace, processors: usize) -> Option<Suggestion> {
        let reads_workers = trace.strategy().rule().workers == WorkerCount::Setting
            && trace.strategy().fields().contains(&Field::Workers);
        let wanted = processors.min(trace.chunks.len()).min(16);
        if !reads_workers || trace.gil() || wanted <= trace.workers {
            return None;
        }
        let settings = Settings {
            workers: Some(wanted),
            ..Settings::default()
        };
        let to = settings.apply(&trace.config).ok()?;
        let predicted_wall_ms = self.predicted_ms(to.resolved_chunksize(), wanted as f64);
        Some(Suggestion {
            part: Part::Compute,
            settings,
            change: format!(
                "{} (this machine has {} logical processors)",
                changes_phrase(&trace.config, &to),
                processors
            ),
            predicted_wall_ms,
            share_after: 1.0,
        })
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Inputs;
    use crate::model::record::ProcessStartup;
    use crate::model::trace::tests::trace_for;

    /// One task: (worker, start, end, transfer, GIL wait, items), ms.
    type Task = (usize, f64, f64, f64, f64, usize);

    /// A trace of `query` that took `wall_ms`, with `tasks` in input order.
    fn trace(query: &str, wall_ms: f64, tasks: &[Task]) -> Trace {
        let config = Inputs::from_query(query).validate().expect("a valid query");
        let mut trace = trace_for(&config, wall_ms);
        let mut first_item = 0;
        trace.chunks = tasks
            .iter()
            .enumerate()
            .map(
                |(index, &(worker, start_ms, end_ms, transfer_ms, gil_wait_ms, len))| {
                    let chunk = ChunkRecord {
                        index,
                        first_item,
                        len,
                        worker,
                        thread: worker,
                        start_ms,
                        end_ms,
                        transfer_ms,
                        gil_wait_ms,
                        error: None,
                        stopped: false,
                        process: None,
                    };
                    first_item += len;
                    chunk
                },
            )
            .collect();
        trace.worker_started_ms = vec![0.0; trace.workers];
        trace
    }

    /// `items` tasks of one item each, dealt in turn to `workers` lanes back to back, each
    /// `compute` ms of work and `transfer` ms of pickling and messages.
    fn even_tasks(items: usize, workers: usize, compute: f64, transfer: f64) -> Vec<Task> {
        let each = compute + transfer;
        (0..items)
            .map(|i| {
                let start = (i / workers) as f64 * each;
                (i % workers, start, start + each, transfer, 0.0, 1)
            })
            .collect()
    }

    fn assert_sums(trace: &Trace) {
        let account = trace.breakdown();
        let expected = trace.workers as f64 * trace.wall_ms;
        assert!(
            (account.total_ms() - expected).abs() < 1e-6 * expected.max(1.0),
            "{account:?} sums to {} instead of {expected}",
            account.total_ms()
        );
    }

    #[test]
    fn the_account_is_each_lane_split_by_what_it_did_and_when() {
        // Worker 0 starts at 2, runs a task 2..6 (1 pickling, 1 GIL wait), waits, runs 8..10.
        // Worker 1 runs 0..4, then has nothing left while worker 0 runs; the caller gathers
        // until 12.
        let mut trace = trace(
            "strategy=ThreadPoolExecutor.map&workers=2&items=3&gil=true",
            12.0,
            &[
                (0, 2.0, 6.0, 1.0, 1.0, 1),
                (1, 0.0, 4.0, 0.0, 0.0, 1),
                (0, 8.0, 10.0, 0.0, 0.0, 1),
            ],
        );
        trace.worker_started_ms = vec![2.0, 0.0];
        let account = trace.breakdown();
        assert_eq!(account.startup_ms, 2.0);
        assert_eq!(account.transfer_ms, 1.0);
        assert_eq!(account.gil_wait_ms, 1.0);
        assert_eq!(account.compute_ms, 2.0 + 4.0 + 2.0);
        // Worker 0 waits 6..8 and worker 1 4..8, before the last task started at 8.
        assert_eq!(account.queue_wait_ms, 2.0 + 4.0);
        // Worker 1 has nothing to take 8..10 while worker 0 runs the last task.
        assert_eq!(account.tail_ms, 2.0);
        // Both wait 10..12 for the caller.
        assert_eq!(account.idle_ms, 4.0);
        assert_sums(&trace);
        assert_eq!(account.largest(), Part::Compute);
    }

    #[test]
    fn the_account_sums_to_workers_times_wall_whatever_the_lanes() {
        // Overlapping requests on one event loop count once.
        let overlapping = trace(
            "strategy=ThreadPoolExecutor.map&workers=3&items=4&gil=false",
            20.0,
            &[
                (0, 0.0, 10.0, 0.0, 0.0, 1),
                (0, 5.0, 15.0, 0.0, 0.0, 1),
                (1, 1.0, 30.0, 0.0, 0.0, 1),
                (1, 3.0, 4.0, 0.0, 0.0, 1),
            ],
        );
        assert_sums(&overlapping);
        let account = overlapping.breakdown();
        // Lane 0 covers 0..15 and then has nothing left to take; lane 1 waits for its first
        // request and covers 1..20 (cut at the wall time); lane 2 got nothing.
        assert_eq!(account.compute_ms, 15.0 + 19.0);
        assert_eq!((account.tail_ms, account.queue_wait_ms), (5.0, 1.0));
        assert_eq!(account.idle_ms, 20.0);
        for (workers, items) in [(1, 1), (2, 7), (4, 100), (3, 2)] {
            let tasks = even_tasks(items, workers, 3.0, 0.5);
            let wall = tasks.iter().map(|t| t.2).fold(0.0, f64::max) + 1.5;
            let query = format!("strategy=Pool.map&workers={workers}&items={items}&chunksize=1");
            assert_sums(&trace(&query, wall, &tasks));
        }
        let mut stopped = trace("workers=2&items=2", 0.0, &[(0, 0.0, 1.0, 0.0, 0.0, 1)]);
        assert_eq!(stopped.breakdown().total_ms(), 0.0);
        stopped.wall_ms = 0.5;
        assert_sums(&stopped);
    }

    #[test]
    fn the_lower_bound_is_the_work_shared_out_or_the_longest_task() {
        // 3 + 1 + 2 + 2 = 8 ms of work (transfer and GIL wait aside) on 2 workers: 4 ms.
        let shared = trace(
            "strategy=Pool.map&workers=2&items=4&chunksize=1",
            10.0,
            &[
                (0, 0.0, 4.0, 1.0, 0.0, 1),
                (1, 0.0, 1.0, 0.0, 0.0, 1),
                (1, 1.0, 3.0, 0.0, 0.0, 1),
                (0, 4.0, 7.0, 0.5, 0.5, 1),
            ],
        );
        assert_eq!(shared.lower_bound_ms(), 4.0);
        // One task of 9 ms among short ones: no worker finishes before it.
        let straggler = trace(
            "strategy=Pool.map&workers=2&items=3&chunksize=1",
            10.0,
            &[
                (0, 0.0, 9.0, 0.0, 0.0, 1),
                (1, 0.0, 1.0, 0.0, 0.0, 1),
                (1, 1.0, 2.0, 0.0, 0.0, 1),
            ],
        );
        assert_eq!(straggler.lower_bound_ms(), 9.0);
    }

    #[test]
    fn pickling_per_task_that_dominates_calls_for_a_larger_chunksize() {
        // 400 items of 0.05 ms each, 0.45 ms of pickling and messages per task: chunksize 1.
        let tasks = even_tasks(400, 2, 0.05, 0.45);
        let slow = trace(
            "strategy=Pool.map&workers=2&items=400&chunksize=1",
            101.0,
            &tasks,
        );
        let verdict = slow.verdict_on(2);
        assert_eq!(verdict.dominant, Part::Transfer);
        let chunksize = verdict
            .suggested
            .and_then(|s| s.chunksize)
            .expect("a chunksize");
        assert!(chunksize > 1 && chunksize <= 200, "{chunksize}");
        let predicted = verdict.predicted_wall_ms.expect("a prediction");
        // The work alone is 10 ms a worker; 1 ms of the wall was not the tasks'.
        assert!((11.0..0.3 * 101.0).contains(&predicted), "{predicted}");
        assert!(
            verdict
                .sentence
                .starts_with("Pickling and messages is 89% of the workers' time: chunksize 1 → "),
            "{}",
            verdict.sentence
        );
        assert!(
            verdict.sentence.contains("× faster"),
            "{}",
            verdict.sentence
        );
        assert_eq!(
            verdict.change.as_deref(),
            Some(format!("chunksize 1 → {chunksize}").as_str())
        );
        // The suggestion is a valid run of the same workload.
        let config = verdict.suggested.unwrap().apply(&slow.config).unwrap();
        assert_eq!((config.chunksize, config.items), (Some(chunksize), 400));
        // Where tasks cost nothing besides their work, a larger chunksize is not suggested.
        let cheap = trace(
            "strategy=Pool.map&workers=2&items=400&chunksize=1",
            20.0,
            &even_tasks(400, 2, 0.1, 0.0),
        );
        assert_eq!(cheap.verdict_on(2).suggested, None);
    }

    #[test]
    fn a_tail_from_large_chunks_calls_for_a_smaller_chunksize() {
        // Two chunks of 20 items: one costs 100 ms, the other 10 ms; worker 1 waits 90 ms.
        let uneven = trace(
            "strategy=Pool.map&workers=2&items=40&chunksize=20&shape=random",
            100.0,
            &[(0, 0.0, 100.0, 0.0, 0.0, 20), (1, 0.0, 10.0, 0.0, 0.0, 20)],
        );
        assert_eq!(uneven.breakdown().tail_ms, 90.0);
        let verdict = uneven.verdict_on(2);
        let chunksize = verdict
            .suggested
            .and_then(|s| s.chunksize)
            .expect("a chunksize");
        assert!(chunksize < 20, "{chunksize}");
        assert!(verdict.predicted_wall_ms.unwrap() < 90.0);
        assert!(
            verdict
                .sentence
                .starts_with("Tail imbalance is 45% of the workers' time: chunksize 20 → "),
            "{}",
            verdict.sentence
        );
    }

    #[test]
    fn gil_wait_that_dominates_calls_for_running_without_it() {
        // Two threads, each task 10 ms of which 5 waiting for the GIL.
        let tasks: Vec<Task> = (0..8)
            .map(|i| {
                (
                    i % 2,
                    (i / 2) as f64 * 10.0,
                    (i / 2) as f64 * 10.0 + 10.0,
                    0.0,
                    5.0,
                    1,
                )
            })
            .collect();
        let locked = trace(
            "strategy=ThreadPoolExecutor.map&workers=2&items=8&gil=true",
            40.0,
            &tasks,
        );
        let verdict = locked.verdict_on(2);
        assert_eq!(
            verdict.suggested,
            Some(Settings {
                gil: Some(false),
                ..Settings::default()
            })
        );
        assert_eq!(verdict.predicted_wall_ms, Some(20.0));
        assert!(
            verdict
                .sentence
                .starts_with("GIL wait is 50% of the workers' time: gil true → false"),
            "{}",
            verdict.sentence
        );
        assert_eq!(
            verdict
                .suggested
                .unwrap()
                .apply(&locked.config)
                .map(|c| c.gil),
            Ok(false)
        );
    }

    #[test]
    fn process_start_up_that_dominates_calls_for_reusing_the_pool() {
        let mut cold = trace(
            "strategy=Pool.map&workers=2&items=4&chunksize=1",
            100.0,
            &[
                (0, 80.0, 90.0, 0.0, 0.0, 1),
                (1, 80.0, 90.0, 0.0, 0.0, 1),
                (0, 90.0, 100.0, 0.0, 0.0, 1),
                (1, 90.0, 100.0, 0.0, 0.0, 1),
            ],
        );
        cold.worker_started_ms = vec![80.0, 80.0];
        cold.processes = Some(ProcessStartup {
            startup_ms: vec![Some(80.0), Some(80.0)],
            started_by_run: vec![true, true],
            replacements: Vec::new(),
        });
        let verdict = cold.verdict_on(2);
        assert_eq!(verdict.dominant, Part::Startup);
        assert_eq!(verdict.suggested, Some(Settings::default()));
        assert_eq!(verdict.predicted_wall_ms, Some(20.0));
        assert!(
            verdict.sentence.contains("reusing the pool"),
            "{}",
            verdict.sentence
        );
        // Reused processes have no start-up to save.
        cold.processes = Some(ProcessStartup {
            startup_ms: vec![Some(80.0), Some(80.0)],
            started_by_run: vec![false, false],
            replacements: Vec::new(),
        });
        assert_eq!(cold.verdict_on(2).suggested, None);
    }

    #[test]
    fn busy_workers_fewer_than_the_processors_call_for_more_workers() {
        // One worker ran 8 tasks of 10 ms back to back; the machine has 4 processors.
        let alone = trace(
            "strategy=Pool.map&workers=1&items=8&chunksize=1",
            80.0,
            &even_tasks(8, 1, 10.0, 0.0),
        );
        let verdict = alone.verdict_on(4);
        assert_eq!(
            verdict.suggested,
            Some(Settings {
                workers: Some(4),
                ..Settings::default()
            })
        );
        assert_eq!(verdict.predicted_wall_ms, Some(20.0));
        assert!(
            verdict.sentence.contains("workers 1 → 4"),
            "{}",
            verdict.sentence
        );
        // On a machine of one processor there is nothing to add.
        assert_eq!(alone.verdict_on(1).suggested, None);
    }

    #[test]
    fn a_chunksize_that_is_ignored_is_never_suggested() {
        // 200 tasks of 0.01 ms, each after a wait of 0.09 ms for the next hand-out.
        let waiting: Vec<Task> = (0..200)
            .map(|i| {
                let start = (i / 2) as f64 * 0.1 + 0.09;
                (i % 2, start, start + 0.01, 0.0, 0.0, 1)
            })
            .collect();
        let suggested = |query: &str| {
            let run = trace(query, 10.0, &waiting);
            run.verdict_on(2).suggested.and_then(|s| s.chunksize)
        };
        assert!(
            suggested("strategy=Pool.map&workers=2&items=200&chunksize=1").is_some(),
            "Pool.map hands out fewer, larger tasks"
        );
        assert_eq!(
            suggested("strategy=ThreadPoolExecutor.map&workers=2&items=200&chunksize=1"),
            None,
            "ThreadPoolExecutor.map ignores chunksize"
        );
    }

    #[test]
    fn a_run_near_its_lower_bound_gets_no_suggestion() {
        let balanced = trace(
            "strategy=Pool.map&workers=2&items=8&chunksize=1",
            40.5,
            &even_tasks(8, 2, 10.0, 0.0),
        );
        let verdict = balanced.verdict_on(2);
        assert_eq!(verdict.lower_bound_ms, 40.0);
        assert_eq!((verdict.suggested, verdict.predicted_wall_ms), (None, None));
        assert!(
            verdict
                .sentence
                .ends_with("of its lower bound (40 ms): nothing to change."),
            "{}",
            verdict.sentence
        );
        let json = serde_json::to_value(&verdict).unwrap();
        assert_eq!(json["dominant"], "compute");
        assert_eq!(json["suggested"], serde_json::Value::Null);
        assert_eq!(json["breakdown"]["compute_ms"], 80.0);
        let trace_json = serde_json::to_value(&balanced).unwrap();
        assert_eq!(trace_json["verdict"]["lower_bound_ms"], 40.0);
    }

    #[test]
    fn a_stopped_run_gets_no_suggestion() {
        let mut stopped = trace(
            "strategy=Pool.map&workers=2&items=400&chunksize=1",
            101.0,
            &even_tasks(400, 2, 0.05, 0.45),
        );
        stopped.stopped = true;
        let verdict = stopped.verdict_on(2);
        assert_eq!(verdict.suggested, None);
        assert!(verdict.sentence.contains("stopped"), "{}", verdict.sentence);
    }
}
