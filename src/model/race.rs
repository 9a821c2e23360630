//! A race of approaches: the same workload run under each family of approaches that applies,
//! one after another on this machine, and the seed tutorial's conclusions ("Choosing the right
//! approach", `004_ba8d38f7a2e34cf8.txt`) tested against what ran.
//!
//! CPU work (and waits, `io`) races threads with the GIL, threads without it (the GIL
//! switch: a free-threaded build), processes (`Pool.map`) and rayon; fetches race
//! `asyncio.gather`, threads blocked on requests, processes (which do not fetch here:
//! skipped, said why) and awaiting one after another. On a page that is not cross-origin
//! isolated the thread families are skipped, said why. This module plans the race, records
//! each entry's outcome, and writes the conclusions; the page runs it (`ui::race`).

use crate::model::config::{Inputs, RunConfig};
use crate::model::field::Field;
use crate::model::strategy::{Runner, Strategy};
use crate::model::trace::Trace;
use crate::model::words::{ms, number};
use crate::model::workload::WorkloadKind;
use std::rc::Rc;

/// The most workers a thread pool of the page runs (its resident Web Workers).
const MOST_THREADS: usize = 16;

/// Two wall times within this factor of each other are "about the same".
pub const SAME_WITHIN: f64 = 1.1;

/// One approach the race can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approach {
    /// `ThreadPoolExecutor.map` with the GIL held while computing.
    ThreadsWithGil,
    /// `ThreadPoolExecutor.map` with no GIL (a free-threaded build).
    ThreadsWithoutGil,
    /// `multiprocessing.Pool.map` on processes.
    Processes,
    /// rayon's `par_iter`.
    Rayon,
    /// `asyncio.gather` of the fetches on one event loop.
    Asyncio,
    /// `ThreadPoolExecutor.map` of blocking requests, one thread per request.
    FetchThreads,
    /// Processes fetching: not something this playground runs.
    FetchProcesses,
    /// The fetches awaited one after another.
    Sequential,
}

impl Approach {
    /// The family's name, as the page and the API say it.
    pub fn family(self) -> &'static str {
        match self {
            Approach::ThreadsWithGil => "threads with the GIL",
            Approach::ThreadsWithoutGil => "threads without the GIL",
            Approach::Processes | Approach::FetchProcesses => "processes",
            Approach::Rayon => "rayon",
            Approach::Asyncio => "asyncio",
            Approach::FetchThreads => "threads",
            Approach::Sequential => "sequential",
        }
    }

    /// The strategy it runs.
    pub fn strategy(self) -> Strategy {
        match self {
            Approach::ThreadsWithGil | Approach::ThreadsWithoutGil | Approach::FetchThreads => {
                Strategy::ThreadPoolMap
            }
            Approach::Processes | Approach::FetchProcesses => Strategy::PoolMap,
            Approach::Rayon => Strategy::RayonParIter,
            Approach::Asyncio => Strategy::AsyncioGather,
            Approach::Sequential => Strategy::Sequential,
        }
    }

    /// Whether it needs threads that share memory (a cross-origin isolated page).
    fn needs_shared_memory(self) -> bool {
        match self.strategy().rule().runner {
            Runner::Tasks | Runner::Rayon => true,
            Runner::Processes | Runner::EventLoop => false,
        }
    }
}

/// What kind of work a race runs, which decides its approaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaceKind {
    /// Counting primes: CPU-bound.
    Cpu,
    /// Waiting (`io`): I/O-bound, without a request.
    Wait,
    /// Downloading files: I/O-bound.
    Fetch,
}

impl RaceKind {
    /// The approaches raced for this kind of work, in the order they run.
    pub fn approaches(self) -> &'static [Approach] {
        match self {
            RaceKind::Cpu | RaceKind::Wait => &[
                Approach::ThreadsWithGil,
                Approach::ThreadsWithoutGil,
                Approach::Processes,
                Approach::Rayon,
            ],
            RaceKind::Fetch => &[
                Approach::Asyncio,
                Approach::FetchThreads,
                Approach::FetchProcesses,
                Approach::Sequential,
            ],
        }
    }

    /// The work, as the page names it.
    pub fn noun(self) -> &'static str {
        match self {
            RaceKind::Cpu => "CPU-bound work",
            RaceKind::Wait => "waiting (I/O-bound) work",
            RaceKind::Fetch => "I/O-bound work (requests)",
        }
    }
}

/// What became of one entry of the race.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not run: the approach does not apply here, and why.
    Skipped(String),
    /// Waiting for its turn.
    Pending,
    /// Ran to the end.
    Ran(Rc<Trace>),
    /// Stopped while it ran: the trace of what ran.
    Stopped(Rc<Trace>),
    /// Never started: the race was stopped before its turn.
    NotRun,
    /// The run failed, and why.
    Failed(String),
}

/// One approach of the race: what it runs and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The approach.
    pub approach: Approach,
    /// The run it makes (none when skipped).
    pub config: Option<RunConfig>,
    /// What became of it (for a run in rounds: its median run, once every round ran).
    pub outcome: Outcome,
    /// Its runs that ran to the end so far, one per round.
    pub runs: Vec<Rc<Trace>>,
}

impl Entry {
    /// The wall time of a run that ran to the end.
    pub fn wall_ms(&self) -> Option<f64> {
        match &self.outcome {
            Outcome::Ran(trace) => Some(trace.wall_ms),
            Outcome::Skipped(_)
            | Outcome::Pending
            | Outcome::Stopped(_)
            | Outcome::NotRun
            | Outcome::Failed(_) => None,
        }
    }

    /// The trace of what ran, stopped or not.
    pub fn trace(&self) -> Option<&Rc<Trace>> {
        match &self.outcome {
            Outcome::Ran(trace) | Outcome::Stopped(trace) => Some(trace),
            Outcome::Skipped(_) | Outcome::Pending | Outcome::NotRun | Outcome::Failed(_) => None,
        }
    }

    /// The outcome in one word, for the API and the page: `ran`, `skipped`, `pending`,
    /// `stopped`, `not run`, `failed`.
    pub fn status(&self) -> &'static str {
        match self.outcome {
            Outcome::Skipped(_) => "skipped",
            Outcome::Pending => "pending",
            Outcome::Ran(_) => "ran",
            Outcome::Stopped(_) => "stopped",
            Outcome::NotRun => "not run",
            Outcome::Failed(_) => "failed",
        }
    }

    /// Why it did not run or did not finish, if so.
    pub fn reason(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Skipped(why) | Outcome::Failed(why) => Some(why.clone()),
            Outcome::Stopped(_) => Some("stopped while it ran".to_owned()),
            Outcome::NotRun => Some("the race was stopped before its turn".to_owned()),
            Outcome::Pending | Outcome::Ran(_) => None,
        }
    }
}

/// A race: its kind of work and its entries, in the order they run.
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    /// The kind of work raced.
    pub kind: RaceKind,
    /// The workload, described once for all entries.
    pub workload: String,
    /// One entry per approach.
    pub entries: Vec<Entry>,
    /// How many times each approach runs, in rounds (each round runs every approach once,
    /// so that a machine's load changing over time falls on all of them); an approach's time
    /// is that of its median run.
    pub rounds: usize,
}

/// The rounds a race runs unless told otherwise (the Race approaches button's).
pub const DEFAULT_ROUNDS: usize = 3;

/// The most rounds a race runs.
pub const MOST_ROUNDS: usize = 7;

/// Why the thread families cannot run on a page that is not cross-origin isolated.
pub const NOT_ISOLATED: &str =
    "this page is not cross-origin isolated: it cannot start threads that share memory";

/// Why processes are not raced on fetches.
const PROCESSES_DO_NOT_FETCH: &str =
    "processes do not fetch in this playground (fetch runs on threads and on the event loop)";

impl Race {
    /// The race of `base`'s workload: the approaches that apply to it, each with the run it
    /// makes or why it is skipped. `threads_available` is false on a page that is not
    /// cross-origin isolated.
    pub fn plan(base: &RunConfig, threads_available: bool, rounds: usize) -> Race {
        let kind = if base.strategy.is_fetch() || base.workload.kind == WorkloadKind::Fetch {
            RaceKind::Fetch
        } else if base.workload.kind == WorkloadKind::Io {
            RaceKind::Wait
        } else {
            RaceKind::Cpu
        };
        let entries = kind
            .approaches()
            .iter()
            .map(|&approach| {
                let skipped = |why: &str| Entry {
                    approach,
                    config: None,
                    outcome: Outcome::Skipped(why.to_owned()),
                    runs: Vec::new(),
                };
                if approach == Approach::FetchProcesses {
                    return skipped(PROCESSES_DO_NOT_FETCH);
                }
                if approach.needs_shared_memory() && !threads_available {
                    return skipped(NOT_ISOLATED);
                }
                match config_for(base, kind, approach) {
                    Ok(config) => Entry {
                        approach,
                        config: Some(config),
                        outcome: Outcome::Pending,
                        runs: Vec::new(),
                    },
                    Err(why) => skipped(&why),
                }
            })
            .collect();
        Race {
            kind,
            workload: workload_phrase(base, kind),
            entries,
            rounds: rounds.clamp(1, MOST_ROUNDS),
        }
    }

    /// The entry whose run comes next: round by round, each approach in order.
    pub fn next_pending(&self) -> Option<usize> {
        let waiting = |e: &Entry| e.outcome == Outcome::Pending;
        let fewest = self
            .entries
            .iter()
            .filter(|e| waiting(e))
            .map(|e| e.runs.len())
            .min()?;
        self.entries
            .iter()
            .position(|e| waiting(e) && e.runs.len() == fewest)
    }

    /// The round the next run belongs to (from 1), while the race runs.
    pub fn current_round(&self) -> Option<usize> {
        self.next_pending()
            .map(|index| self.entries[index].runs.len() + 1)
    }

    /// Records what became of a run of entry `index`: once it has run every round, its
    /// outcome is its median run.
    pub fn record(&mut self, index: usize, result: Result<Rc<Trace>, String>) {
        let rounds = self.rounds;
        if let Some(entry) = self.entries.get_mut(index) {
            match result {
                Ok(trace) if trace.stopped => entry.outcome = Outcome::Stopped(trace),
                Ok(trace) => {
                    entry.runs.push(trace);
                    if entry.runs.len() >= rounds {
                        entry.outcome = Outcome::Ran(median_run(&entry.runs));
                    }
                }
                Err(why) => entry.outcome = Outcome::Failed(why),
            }
        }
    }

    /// Stops the race: no run still waiting will start. An approach that ran some of its
    /// rounds keeps the median of those.
    pub fn stop(&mut self) {
        for entry in &mut self.entries {
            if entry.outcome == Outcome::Pending {
                entry.outcome = if entry.runs.is_empty() {
                    Outcome::NotRun
                } else {
                    Outcome::Ran(median_run(&entry.runs))
                };
            }
        }
    }

    /// Whether no entry waits for its turn.
    pub fn is_finished(&self) -> bool {
        self.next_pending().is_none()
    }

    /// Whether the race was stopped (an entry stopped while it ran, or never ran).
    pub fn was_stopped(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e.outcome, Outcome::Stopped(_) | Outcome::NotRun))
    }

    fn entry(&self, approach: Approach) -> Option<&Entry> {
        self.entries.iter().find(|e| e.approach == approach)
    }

    /// The entries skipped because this page cannot start threads, by family.
    pub fn skipped_for_isolation(&self) -> Vec<&'static str> {
        self.entries
            .iter()
            .filter(|e| matches!(&e.outcome, Outcome::Skipped(why) if why == NOT_ISOLATED))
            .map(|e| e.approach.family())
            .collect()
    }

    /// The seed tutorial's conclusions for this kind of work, each tested on what ran here
    /// (or said to be untested, and why). Empty until the race is finished.
    pub fn conclusions(&self) -> Vec<String> {
        if !self.is_finished() {
            return Vec::new();
        }
        let mut said = Vec::new();
        match self.kind {
            RaceKind::Cpu => {
                said.push(self.claim(
                    "For CPU-bound work, processes beat threads under the GIL",
                    (Approach::Processes, Approach::ThreadsWithGil),
                    Expect::Faster,
                ));
                if let (Some(free), Some(gil)) = (
                    self.wall(Approach::ThreadsWithoutGil),
                    self.wall(Approach::ThreadsWithGil),
                ) {
                    said.push(format!(
                        "Without the GIL (a free-threaded build), the same threads took {} against {} with it: {}.",
                        ms(free, 0),
                        ms(gil, 0),
                        how_much(free, gil)
                    ));
                }
            }
            RaceKind::Wait => said.push(self.claim(
                "For waiting (I/O-bound) work, threads keep up with processes even under the GIL, which a waiting thread lets go",
                (Approach::ThreadsWithGil, Approach::Processes),
                Expect::AtLeastAsFast,
            )),
            RaceKind::Fetch => {
                said.push(self.claim(
                    "For I/O-bound work (many requests), asyncio keeps up with threads",
                    (Approach::Asyncio, Approach::FetchThreads),
                    Expect::AtLeastAsFast,
                ));
                if let (Some(overlapped), Some(one_by_one)) =
                    (self.wall(Approach::Asyncio), self.wall(Approach::Sequential))
                {
                    said.push(format!(
                        "Overlapping the requests pays: asyncio took {} against {} one after another: {}.",
                        ms(overlapped, 0),
                        ms(one_by_one, 0),
                        how_much(overlapped, one_by_one)
                    ));
                }
            }
        }
        said
    }

    fn wall(&self, approach: Approach) -> Option<f64> {
        self.entry(approach).and_then(Entry::wall_ms)
    }

    /// The tutorial's `claim` that `first` does better than `second` (or as well), tested.
    fn claim(&self, claim: &str, (first, second): (Approach, Approach), expect: Expect) -> String {
        let untested = |approach: Approach| {
            let entry = self.entry(approach)?;
            let why = entry.reason()?;
            Some(format!(
                "{claim}, says the tutorial: not tested here, {} did not run ({why}).",
                approach.family()
            ))
        };
        let (Some(a), Some(b)) = (self.wall(first), self.wall(second)) else {
            return untested(first)
                .or_else(|| untested(second))
                .unwrap_or_else(|| format!("{claim}, says the tutorial: not tested here."));
        };
        let holds = match expect {
            Expect::Faster => a * SAME_WITHIN <= b,
            Expect::AtLeastAsFast => a <= b * SAME_WITHIN,
        };
        let measured = format!(
            "{} took {}, {} {}",
            first.family(),
            ms(a, 0),
            second.family(),
            ms(b, 0)
        );
        if holds {
            let verdict = if a * SAME_WITHIN <= b {
                format!("{} faster here", times(b / a))
            } else {
                "about the same here, within 10%".to_owned()
            };
            format!("{claim}: {verdict} ({measured}) — as the tutorial says.")
        } else {
            format!(
                "{claim}, says the tutorial: not on this machine — {} ({measured}).",
                how_much_named(first, a, second, b)
            )
        }
    }
}

/// The run of median wall time (the lower of the two middle ones for an even count): a run
/// that happened, not an average of runs.
fn median_run(runs: &[Rc<Trace>]) -> Rc<Trace> {
    let mut sorted: Vec<&Rc<Trace>> = runs.iter().collect();
    sorted.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
    Rc::clone(sorted[(sorted.len() - 1) / 2])
}

/// What a claim expects of its first approach against its second.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Faster by more than [`SAME_WITHIN`].
    Faster,
    /// Faster, or slower by less than [`SAME_WITHIN`].
    AtLeastAsFast,
}

/// A ratio as the page writes it: `1.9×`.
fn times(ratio: f64) -> String {
    format!("{}×", number(ratio, 1))
}

/// How `a` compares with `b`: `1.9× faster`, `1.3× slower`, `the same`.
fn how_much(a: f64, b: f64) -> String {
    if a <= 0.0 || b <= 0.0 {
        return "not comparable".to_owned();
    }
    if a < b {
        format!("{} faster", times(b / a))
    } else if a > b {
        format!("{} slower", times(a / b))
    } else {
        "the same".to_owned()
    }
}

/// Which of two approaches was faster, by how much: `threads with the GIL were 1.3× faster`.
fn how_much_named(first: Approach, a: f64, second: Approach, b: f64) -> String {
    if a > b {
        format!(
            "{} were {} faster",
            second.family(),
            times(a / b.max(f64::EPSILON))
        )
    } else if a < b {
        format!(
            "{} were only {} faster",
            first.family(),
            times(b / a.max(f64::EPSILON))
        )
    } else {
        "they took the same time".to_owned()
    }
}

/// The workload every entry runs, described once.
fn workload_phrase(base: &RunConfig, kind: RaceKind) -> String {
    match kind {
        RaceKind::Fetch => {
            let (requests, latency) = fetch_shape(base);
            format!("{requests} requests, {latency} ms latency added to each")
        }
        RaceKind::Cpu | RaceKind::Wait => format!(
            "{} items ({}, cost shape {}), on {} workers",
            base.items,
            base.workload.cost_note(),
            base.workload.shape.name(),
            race_workers(base)
        ),
    }
}

/// The requests and the added latency (ms) of a fetch race.
fn fetch_shape(base: &RunConfig) -> (usize, u32) {
    if base.strategy.is_fetch() {
        (base.fetch.requests, base.fetch.latency_ms)
    } else {
        // A thread fetch's cost is its added latency, µs.
        (base.items, (base.workload.cost + 500) / 1000)
    }
}

/// The workers every task approach of a CPU or wait race runs on: the base's.
fn race_workers(base: &RunConfig) -> usize {
    base.workers.clamp(1, MOST_THREADS)
}

/// The run `approach` makes of `base`'s workload, or why it cannot (checked as the
/// controls check it).
fn config_for(base: &RunConfig, kind: RaceKind, approach: Approach) -> Result<RunConfig, String> {
    let strategy = approach.strategy();
    let mut pairs: Vec<(&str, String)> = vec![("strategy", strategy.name().to_owned())];
    match kind {
        RaceKind::Fetch => {
            let (requests, latency) = fetch_shape(base);
            let urls = base.fetch.urls.join(" ");
            if strategy.is_fetch() {
                pairs.push((Field::Requests.key(), requests.to_string()));
                pairs.push((Field::LatencyMs.key(), latency.to_string()));
                if !urls.is_empty() {
                    pairs.push((Field::Urls.key(), urls));
                }
            } else {
                if !urls.is_empty() {
                    return Err(
                        "threads fetch only the shipped files, not the URLs given".to_owned()
                    );
                }
                pairs.push((Field::Workers.key(), requests.min(MOST_THREADS).to_string()));
                pairs.push((Field::Items.key(), requests.to_string()));
                pairs.push((Field::Workload.key(), "fetch".to_owned()));
                pairs.push((Field::Cost.key(), (u64::from(latency) * 1000).to_string()));
                pairs.push((Field::Gil.key(), "true".to_owned()));
            }
        }
        RaceKind::Cpu | RaceKind::Wait => {
            pairs.push((Field::Workers.key(), race_workers(base).to_string()));
            pairs.push((Field::Items.key(), base.items.to_string()));
            pairs.push((Field::Workload.key(), base.workload.kind.name().to_owned()));
            pairs.push((Field::Cost.key(), base.workload.cost.to_string()));
            pairs.push((Field::Shape.key(), base.workload.shape.name().to_owned()));
            pairs.push((Field::Seed.key(), base.workload.seed.to_string()));
            match approach {
                Approach::ThreadsWithGil => pairs.push((Field::Gil.key(), "true".to_owned())),
                Approach::ThreadsWithoutGil => pairs.push((Field::Gil.key(), "false".to_owned())),
                Approach::Processes => {
                    // The chunk size given for a pool is kept; else CPython's default rule.
                    if let Some(chunksize) = base
                        .chunksize
                        .filter(|_| base.strategy.fields().contains(&Field::Chunksize))
                    {
                        pairs.push((Field::Chunksize.key(), chunksize.to_string()));
                    }
                }
                Approach::Rayon
                | Approach::Asyncio
                | Approach::FetchThreads
                | Approach::FetchProcesses
                | Approach::Sequential => {}
            }
        }
    }
    let inputs = Inputs::from_pairs(pairs, true).map_err(|i| i.to_string())?;
    inputs.validate().map_err(|i| i.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::tests::trace_for;

    fn config(query: &str) -> RunConfig {
        Inputs::from_query(query).validate().unwrap()
    }

    fn approaches(race: &Race) -> Vec<(&'static str, &'static str, Option<String>)> {
        race.entries
            .iter()
            .map(|e| {
                (
                    e.approach.family(),
                    e.approach.strategy().name(),
                    e.config.as_ref().map(RunConfig::to_query),
                )
            })
            .collect()
    }

    #[test]
    fn cpu_work_races_threads_with_and_without_the_gil_processes_and_rayon() {
        let base = config("strategy=Pool.map&workers=2&items=40&cost=300000&chunksize=5");
        let race = Race::plan(&base, true, 1);
        assert_eq!(race.kind, RaceKind::Cpu);
        assert_eq!(
            approaches(&race),
            [
                (
                    "threads with the GIL",
                    "ThreadPoolExecutor.map",
                    Some(
                        "strategy=ThreadPoolExecutor.map&workers=2&items=40&workload=cpu&cost=300000&shape=uniform&seed=1&gil=true"
                            .to_owned()
                    )
                ),
                (
                    "threads without the GIL",
                    "ThreadPoolExecutor.map",
                    Some(
                        "strategy=ThreadPoolExecutor.map&workers=2&items=40&workload=cpu&cost=300000&shape=uniform&seed=1&gil=false"
                            .to_owned()
                    )
                ),
                (
                    "processes",
                    "Pool.map",
                    Some("strategy=Pool.map&workers=2&chunksize=5&items=40&workload=cpu&cost=300000&shape=uniform&seed=1".to_owned())
                ),
                (
                    "rayon",
                    "rayon.par_iter",
                    Some("strategy=rayon.par_iter&workers=2&items=40&workload=cpu&cost=300000&shape=uniform&seed=1".to_owned())
                ),
            ]
        );
        assert!(race.entries.iter().all(|e| e.outcome == Outcome::Pending));
        assert_eq!(
            race.workload,
            "40 items (count the primes below 300,000, cost shape uniform), on 2 workers"
        );
        // From a thread strategy: the same workload, the pool's own chunk size rule.
        let threads = config("strategy=queue.Queue&workers=3&items=12&workload=io&cost=2000");
        let race = Race::plan(&threads, true, 1);
        assert_eq!(race.kind, RaceKind::Wait);
        assert_eq!(
            race.entries[2]
                .config
                .as_ref()
                .map(RunConfig::to_query)
                .as_deref(),
            Some("strategy=Pool.map&workers=3&items=12&workload=io&cost=2000&shape=uniform&seed=1")
        );
    }

    #[test]
    fn fetches_race_asyncio_threads_and_one_after_another_and_processes_are_skipped() {
        let base = config("strategy=asyncio.gather&requests=12&latency_ms=300");
        let race = Race::plan(&base, true, 1);
        assert_eq!(race.kind, RaceKind::Fetch);
        assert_eq!(
            approaches(&race),
            [
                ("asyncio", "asyncio.gather", Some("strategy=asyncio.gather&requests=12&latency_ms=300".to_owned())),
                ("threads", "ThreadPoolExecutor.map", Some("strategy=ThreadPoolExecutor.map&workers=12&items=12&workload=fetch&cost=300000&gil=true".to_owned())),
                ("processes", "Pool.map", None),
                ("sequential", "sequential", Some("strategy=sequential&requests=12&latency_ms=300".to_owned())),
            ]
        );
        assert_eq!(race.entries[2].status(), "skipped");
        assert!(race.entries[2]
            .reason()
            .unwrap()
            .contains("processes do not fetch"));
        // From threads that fetch: the same requests, their latency in ms.
        let threads =
            config("strategy=ThreadPoolExecutor.map&workers=4&items=40&workload=fetch&cost=250000");
        let race = Race::plan(&threads, true, 1);
        assert_eq!(
            race.entries[0]
                .config
                .as_ref()
                .map(RunConfig::to_query)
                .as_deref(),
            Some("strategy=asyncio.gather&requests=40&latency_ms=250")
        );
        assert_eq!(
            race.entries[1].config.as_ref().unwrap().workers,
            16,
            "at most the page's 16 threads"
        );
        // URLs typed: threads fetch only the shipped files.
        let urls = config("strategy=asyncio.gather&requests=2&urls=/a /b");
        let race = Race::plan(&urls, true, 1);
        assert!(race.entries[1]
            .reason()
            .unwrap()
            .contains("only the shipped files"));
        assert_eq!(race.entries[0].status(), "pending");
    }

    #[test]
    fn a_page_that_is_not_isolated_skips_the_thread_families_and_says_why() {
        let race = Race::plan(&config("strategy=Pool.map&workers=2&items=20"), false, 1);
        let statuses: Vec<_> = race
            .entries
            .iter()
            .map(|e| (e.approach.family(), e.status()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("threads with the GIL", "skipped"),
                ("threads without the GIL", "skipped"),
                ("processes", "pending"),
                ("rayon", "skipped"),
            ]
        );
        assert_eq!(
            race.skipped_for_isolation(),
            ["threads with the GIL", "threads without the GIL", "rayon"]
        );
        let fetch = Race::plan(&config("strategy=asyncio.gather&requests=4"), false, 1);
        let statuses: Vec<_> = fetch.entries.iter().map(|e| e.status()).collect();
        assert_eq!(statuses, ["pending", "skipped", "skipped", "pending"]);
        assert_eq!(fetch.skipped_for_isolation(), ["threads"]);
    }

    /// A race of `base` whose entries ran in the given wall times (`None`: not run).
    fn ran(base: &str, walls: &[Option<f64>]) -> Race {
        let mut race = Race::plan(&config(base), true, 1);
        for (index, wall) in walls.iter().enumerate() {
            if let (Some(wall), Some(config)) = (wall, race.entries[index].config.clone()) {
                race.record(index, Ok(Rc::new(trace_for(&config, *wall))));
            }
        }
        race.stop();
        race
    }

    #[test]
    fn the_cpu_conclusion_is_tested_against_the_measured_times() {
        let cpu = "strategy=Pool.map&workers=2&items=40";
        let holds = ran(
            cpu,
            &[Some(1900.0), Some(1000.0), Some(1000.0), Some(950.0)],
        );
        assert_eq!(
            holds.conclusions(),
            [
                "For CPU-bound work, processes beat threads under the GIL: 1.9× faster here (processes took 1,000 ms, threads with the GIL 1,900 ms) — as the tutorial says.",
                "Without the GIL (a free-threaded build), the same threads took 1,000 ms against 1,900 ms with it: 1.9× faster.",
            ]
        );
        let fails = ran(cpu, &[Some(1000.0), None, Some(1300.0), None]);
        assert_eq!(
            fails.conclusions()[0],
            "For CPU-bound work, processes beat threads under the GIL, says the tutorial: not on this machine — threads with the GIL were 1.3× faster (processes took 1,300 ms, threads with the GIL 1,000 ms)."
        );
        // Within 10%: not "beaten".
        let close = ran(cpu, &[Some(1050.0), None, Some(1000.0), None]);
        assert!(close.conclusions()[0]
            .contains("not on this machine — processes were only 1.1× faster"));
        let mut skipped = Race::plan(&config(cpu), false, 1);
        skipped.stop();
        assert_eq!(
            skipped.conclusions()[0],
            "For CPU-bound work, processes beat threads under the GIL, says the tutorial: not tested here, processes did not run (the race was stopped before its turn)."
        );
    }

    #[test]
    fn the_io_conclusion_holds_when_asyncio_keeps_up_with_threads() {
        let fetch = "strategy=asyncio.gather&requests=12&latency_ms=300";
        let close = ran(fetch, &[Some(330.0), Some(320.0), None, Some(3700.0)]);
        assert_eq!(
            close.conclusions(),
            [
                "For I/O-bound work (many requests), asyncio keeps up with threads: about the same here, within 10% (asyncio took 330 ms, threads 320 ms) — as the tutorial says.",
                "Overlapping the requests pays: asyncio took 330 ms against 3,700 ms one after another: 11.2× faster.",
            ]
        );
        let slow = ran(fetch, &[Some(700.0), Some(320.0), None, None]);
        assert!(slow.conclusions()[0].contains("not on this machine — threads were 2.2× faster"));
        let wait = ran(
            "strategy=Pool.map&workers=2&items=40&workload=io&cost=5000",
            &[Some(110.0), None, Some(130.0), None],
        );
        assert!(wait.conclusions()[0].ends_with("1.2× faster here (threads with the GIL took 110 ms, processes 130 ms) — as the tutorial says."));
    }

    #[test]
    fn rounds_run_every_approach_in_turn_and_keep_each_ones_median_run() {
        let mut race = Race::plan(&config("strategy=asyncio.gather&requests=4"), true, 3);
        assert_eq!(race.rounds, 3);
        let mut order = Vec::new();
        let walls = [
            [900.0, 300.0, 330.0],
            [400.0, 320.0, 310.0],
            [0.0; 3],
            [2000.0, 1900.0, 1950.0],
        ];
        while let Some(index) = race.next_pending() {
            let round = race.current_round().unwrap();
            order.push((round, race.entries[index].approach.family()));
            let config = race.entries[index].config.clone().unwrap();
            let wall = walls[index][round - 1];
            race.record(index, Ok(Rc::new(trace_for(&config, wall))));
        }
        assert_eq!(
            order
                .iter()
                .map(|(r, f)| format!("{r} {f}"))
                .collect::<Vec<_>>(),
            [
                "1 asyncio",
                "1 threads",
                "1 sequential",
                "2 asyncio",
                "2 threads",
                "2 sequential",
                "3 asyncio",
                "3 threads",
                "3 sequential"
            ]
        );
        let walls: Vec<Option<f64>> = race.entries.iter().map(Entry::wall_ms).collect();
        assert_eq!(
            walls,
            [Some(330.0), Some(320.0), None, Some(1950.0)],
            "the median run of each"
        );
        assert_eq!(
            Race::plan(&config("strategy=asyncio.gather&requests=4"), true, 0).rounds,
            1
        );
        assert_eq!(
            Race::plan(&config("strategy=asyncio.gather&requests=4"), true, 99).rounds,
            MOST_ROUNDS
        );
        // Stopped in round 2: what ran to the end counts.
        let mut stopped = Race::plan(&config("strategy=asyncio.gather&requests=4"), true, 3);
        for index in [0, 1, 3, 0] {
            let config = stopped.entries[index].config.clone().unwrap();
            stopped.record(index, Ok(Rc::new(trace_for(&config, 100.0 + index as f64))));
        }
        stopped.stop();
        let statuses: Vec<_> = stopped.entries.iter().map(Entry::status).collect();
        assert_eq!(statuses, ["ran", "ran", "skipped", "ran"]);
    }

    #[test]
    fn a_stopped_race_runs_nothing_more_and_says_what_ran() {
        let mut race = Race::plan(&config("strategy=Pool.map&workers=2&items=40"), true, 1);
        assert_eq!(race.next_pending(), Some(0));
        assert!(
            race.conclusions().is_empty(),
            "nothing to conclude before the end"
        );
        let first = race.entries[0].config.clone().unwrap();
        let mut stopped = trace_for(&first, 40.0);
        stopped.stopped = true;
        race.record(0, Ok(Rc::new(stopped)));
        race.stop();
        assert!(race.is_finished() && race.was_stopped());
        let statuses: Vec<_> = race.entries.iter().map(Entry::status).collect();
        assert_eq!(statuses, ["stopped", "not run", "not run", "not run"]);
        assert_eq!(
            race.entries[0].wall_ms(),
            None,
            "a stopped run's time is no result"
        );
        assert!(race.entries[0].trace().is_some());
        race.record(1, Err("no pool".to_owned()));
        assert_eq!(race.entries[1].reason().as_deref(), Some("no pool"));
    }
}
