#![cfg(not(target_arch = "wasm32"))]
//! The model against the real CPython runtime. `tests/cpython/observe.py` runs each
//! configuration below with CPython's own `multiprocessing.Pool`, `ProcessPoolExecutor` and
//! `ThreadPoolExecutor` (fork start method) and reports what really happened: the chunk
//! size CPython cut the input with, every task as the workers received it and in the order
//! they took it off the queue, the order results reached the result handler, and the order
//! (and times) the caller got them. Each test compares that with the model: the chunks of
//! [`plan`], its hand-out and delivery rules, and its [`ResultHandler`] fed with the arrival
//! order CPython showed.
//!
//! CPython numbers items 1..=n; the model numbers positions 0..n-1. `python3` (CPython 3.11
//! or later) must be on `PATH`: without it these tests fail, they do not skip.

use parallel_playground::model::config::{Inputs, RunConfig};
use parallel_playground::model::plan::{plan, Plan};
use parallel_playground::model::pool_map::Chunk;
use parallel_playground::model::raising::{imap_goes_on_after_raising, OnRaise};
use parallel_playground::model::record::RunFacts;
use parallel_playground::model::result_handler::ResultHandler;
use parallel_playground::model::strategy::{Delivery, HandOut};
use parallel_playground::model::tasks::TaskRun;
use parallel_playground::model::trace::Trace;
use parallel_playground::model::workload::Workload;
use serde::Deserialize;
use serde_json::json;
use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// How long each item's task sleeps in CPython before returning `x * x`.
#[derive(Debug, Clone, Copy)]
enum Sleep {
    /// No sleep: the tasks are as short as CPython makes them.
    None,
    /// Every item sleeps this many ms.
    Uniform(f64),
    /// Item `x` of `n` sleeps `(n - x + 1)` times this many ms: later items finish faster,
    /// so completion order differs from input order.
    LaterFaster(f64),
}

/// One configuration, run on CPython and planned by the model.
struct Case {
    /// Names the case in the observations.
    id: &'static str,
    /// The settings, as the page's URL gives them.
    query: &'static str,
    /// How long the tasks sleep in CPython.
    sleep: Sleep,
    /// Whether the sleeps are meant to make results arrive out of input order (checked, so
    /// that the delivery rule is really exercised).
    reorders: bool,
}

/// Every configuration checked, run by one `python3` call.
const CASES: &[Case] = &[
    Case {
        id: "seed",
        query: "strategy=Pool.map&workers=5&items=14&chunksize=3",
        sleep: Sleep::Uniform(2.0),
        reorders: false,
    },
    Case {
        id: "map_default_14_5",
        query: "strategy=Pool.map&workers=5&items=14",
        sleep: Sleep::Uniform(1.0),
        reorders: false,
    },
    Case {
        id: "map_default_5_8",
        query: "strategy=Pool.map&workers=8&items=5",
        sleep: Sleep::Uniform(1.0),
        reorders: false,
    },
    Case {
        id: "map_default_100_4",
        query: "strategy=Pool.map&workers=4&items=100",
        sleep: Sleep::Uniform(0.3),
        reorders: false,
    },
    Case {
        id: "map_default_37_3",
        query: "strategy=Pool.map&workers=3&items=37",
        sleep: Sleep::Uniform(0.5),
        reorders: false,
    },
    Case {
        id: "map_default_37_1",
        query: "strategy=Pool.map&workers=1&items=37",
        sleep: Sleep::None,
        reorders: false,
    },
    Case {
        id: "map_async_default_20_3",
        query: "strategy=Pool.map_async&workers=3&items=20",
        sleep: Sleep::LaterFaster(0.5),
        reorders: false,
    },
    Case {
        id: "starmap_14_5_3",
        query: "strategy=Pool.starmap&workers=5&items=14&chunksize=3",
        sleep: Sleep::None,
        reorders: false,
    },
    Case {
        id: "starmap_default_20_4",
        query: "strategy=Pool.starmap&workers=4&items=20",
        sleep: Sleep::None,
        reorders: false,
    },
    Case {
        id: "imap_1",
        query: "strategy=Pool.imap&workers=4&items=20",
        sleep: Sleep::LaterFaster(2.0),
        reorders: true,
    },
    Case {
        id: "imap_4",
        query: "strategy=Pool.imap&workers=3&items=20&chunksize=4",
        sleep: Sleep::LaterFaster(1.0),
        reorders: true,
    },
    Case {
        id: "imap_unordered_1",
        query: "strategy=Pool.imap_unordered&workers=4&items=20",
        sleep: Sleep::LaterFaster(2.0),
        reorders: true,
    },
    Case {
        id: "imap_unordered_3",
        query: "strategy=Pool.imap_unordered&workers=3&items=20&chunksize=3",
        sleep: Sleep::LaterFaster(1.0),
        reorders: true,
    },
    Case {
        id: "apply_async",
        query: "strategy=Pool.apply_async&workers=3&items=14",
        sleep: Sleep::LaterFaster(1.0),
        reorders: true,
    },
    Case {
        id: "apply",
        query: "strategy=Pool.apply&workers=3&items=9",
        sleep: Sleep::Uniform(1.0),
        reorders: false,
    },
    Case {
        id: "starmap_async_14_5_3",
        query: "strategy=Pool.starmap_async&workers=5&items=14&chunksize=3",
        sleep: Sleep::LaterFaster(0.5),
        reorders: false,
    },
    Case {
        id: "ppe_1",
        query: "strategy=ProcessPoolExecutor.map&workers=3&items=14",
        sleep: Sleep::LaterFaster(1.0),
        reorders: true,
    },
    Case {
        id: "ppe_3",
        query: "strategy=ProcessPoolExecutor.map&workers=2&items=20&chunksize=3",
        sleep: Sleep::Uniform(1.0),
        reorders: false,
    },
    Case {
        id: "tpe",
        query: "strategy=ThreadPoolExecutor.map&workers=4&items=14",
        sleep: Sleep::LaterFaster(1.0),
        reorders: true,
    },
    Case {
        id: "tpe_2_of_16",
        query: "strategy=ThreadPoolExecutor.map&workers=16&items=2",
        sleep: Sleep::Uniform(2.0),
        reorders: false,
    },
];

/// What CPython did in one case (see `tests/cpython/observe.py` for every field).
#[derive(Debug, Deserialize)]
struct Observation {
    /// The case.
    id: String,
    /// The CPython version that ran it.
    python: String,
    /// The chunk size CPython cut the input with; `None` if it sent one task per item
    /// without cutting.
    chunksize_used: Option<usize>,
    /// `ProcessPoolExecutor`'s call queue bound.
    call_queue_size: Option<usize>,
    /// How many threads `ThreadPoolExecutor` started.
    threads_started: Option<usize>,
    /// Every task, as the workers received it.
    tasks: Vec<ObservedTask>,
    /// The results in the order the caller got them.
    results: Vec<u64>,
    /// When the caller got each result, ns since the call.
    delivered_ns: Vec<i64>,
}

/// One task as a CPython worker ran it.
#[derive(Debug, Deserialize)]
struct ObservedTask {
    /// Its input items (1-based), as the worker received them.
    items: Vec<usize>,
    /// The worker's pid or native thread id.
    worker: u64,
    /// Ticket taken under the task queue's read lock: the order tasks left the queue.
    take: u64,
    /// When the task left the queue, ns.
    take_ns: i64,
    /// Ticket taken as the task finished.
    end: u64,
    /// Ticket taken under the result pipe's write lock (processes only): the order results
    /// reached the result handler.
    send: Option<u64>,
    /// When the task finished, ns.
    end_ns: i64,
    /// When its result was written to the result pipe, ns.
    send_ns: Option<i64>,
}

impl ObservedTask {
    /// The order in which this task's results reached the gathering side: the result pipe
    /// for processes, the task's end for threads (their futures are set right after).
    fn arrival(&self) -> (u64, i64) {
        match (self.send, self.send_ns) {
            (Some(ticket), Some(ns)) => (ticket, ns),
            _ => (self.end, self.end_ns),
        }
    }
}

/// The settings of `case`, as the page validates them.
fn config_of(case: &Case) -> RunConfig {
    Inputs::from_query(case.query)
        .validate()
        .unwrap_or_else(|invalid| panic!("{}: invalid query {}: {invalid:?}", case.id, case.query))
}

/// Runs every case on CPython once; the tests share the observations.
fn observations() -> &'static Result<HashMap<String, Observation>, String> {
    static OBSERVED: OnceLock<Result<HashMap<String, Observation>, String>> = OnceLock::new();
    OBSERVED.get_or_init(run_cpython)
}

/// One `python3 tests/cpython/observe.py` call for all cases.
fn run_cpython() -> Result<HashMap<String, Observation>, String> {
    let cases: Vec<serde_json::Value> = CASES
        .iter()
        .map(|case| {
            let config = config_of(case);
            let sleep = match case.sleep {
                Sleep::None => json!({"kind": "none"}),
                Sleep::Uniform(ms) => json!({"kind": "uniform", "ms": ms}),
                Sleep::LaterFaster(ms) => json!({"kind": "later_faster", "ms": ms}),
            };
            json!({
                "id": case.id,
                "strategy": config.strategy.name(),
                "items": config.items,
                "workers": config.workers,
                "chunksize": config.chunksize,
                "sleep": sleep,
            })
        })
        .collect();
    let observed: Vec<Observation> = observe(cases)?;
    Ok(observed.into_iter().map(|o| (o.id.clone(), o)).collect())
}

/// Runs `cases` with one `python3 tests/cpython/observe.py` call and reads what it printed.
fn observe<T: serde::de::DeserializeOwned>(cases: Vec<serde_json::Value>) -> Result<T, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cpython/observe.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run `python3` ({e}). The CPython cross-check needs CPython 3.11 or later \
                 installed as `python3` on PATH; it runs the real runtime to check the model."
            )
        })?;
    child
        .stdin
        .take()
        .ok_or("python3 has no stdin")?
        .write_all(serde_json::Value::Array(cases).to_string().as_bytes())
        .map_err(|e| format!("cannot write the cases to python3: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("python3 did not finish: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`python3 {}` failed ({}):\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "observe.py printed no valid JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The differences found in one case, and how many comparisons were made.
struct Differences {
    /// Each difference: what was compared, CPython's observation, the model's answer.
    found: Vec<String>,
    /// Comparisons made.
    checks: usize,
}

impl Differences {
    /// Compares what CPython did with what the model says.
    fn same<T: PartialEq + Debug>(&mut self, what: &str, cpython: T, model: T) {
        self.checks += 1;
        if cpython != model {
            self.found.push(format!(
                "{what}:\n    CPython: {cpython:?}\n    model:   {model:?}"
            ));
        }
    }

    /// Records a condition that must hold (of CPython's run, or of the model given it).
    fn holds(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.found.push(format!("{what}:\n    {}", detail()));
        }
    }
}

/// A case after its cross-check: the model's side and CPython's.
struct Checked {
    /// The model's plan.
    plan: Plan,
    /// What CPython did.
    seen: &'static Observation,
}

impl Checked {
    /// The lengths of CPython's chunks, in input order.
    fn chunk_lens(&self) -> Vec<usize> {
        cpython_chunks(self.seen).iter().map(Vec::len).collect()
    }
}

/// CPython's chunks (their 1-based items) in input order.
fn cpython_chunks(seen: &Observation) -> Vec<Vec<usize>> {
    let mut chunks: Vec<Vec<usize>> = seen.tasks.iter().map(|t| t.items.clone()).collect();
    chunks.sort();
    chunks
}

/// The items (1-based) of a model chunk.
fn items_of(chunk: &Chunk) -> Vec<usize> {
    chunk.items().map(|p| p + 1).collect()
}

/// What the model's own task queue does with a plan: the chunks (1-based items) in the order
/// its workers took them, and the gathered results. The worker loops of a [`TaskRun`] run
/// one after another on this thread (the first, idle, takes every task), at no cost per item,
/// on a clock that ticks at every reading so take times are distinct.
fn model_run(plan: &Plan, items: usize) -> (Vec<Vec<usize>>, Option<Vec<u64>>) {
    // Tasks submitted one by one (`ThreadPoolExecutor`) leave the same FIFO queue in the same
    // order: here they are all submitted first, as the loops run one after another.
    let plan = Plan {
        threads_per_submit: false,
        ..plan.clone()
    };
    let run = TaskRun::new(plan.clone(), Workload::cpu(0, items));
    let clock = Cell::new(0.0);
    let tick = || {
        clock.set(clock.get() + 1.0);
        clock.get()
    };
    let outcome = (0..plan.workers)
        .filter_map(|worker| run.worker_loop(worker, worker, &tick))
        .last()
        .expect("the last worker loop returns the outcome");
    let mut records = outcome.records;
    records.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    let taken = records
        .iter()
        .map(|r| (r.first_item + 1..=r.first_item + r.len).collect())
        .collect();
    (taken, outcome.results)
}

/// Case `id` of `cases` (named by `id_of`) and what CPython did in it, from `observed`;
/// panics if either is missing, or if CPython could not be run.
fn case_and_observation<'a, C, O>(
    cases: &'a [C],
    id_of: fn(&C) -> &str,
    observed: &'static Result<HashMap<String, O>, String>,
    id: &str,
) -> (&'a C, &'static O) {
    let case = cases
        .iter()
        .find(|c| id_of(c) == id)
        .unwrap_or_else(|| panic!("no case {id}"));
    let observed = match observed {
        Ok(observed) => observed,
        Err(message) => panic!("{message}"),
    };
    let seen = observed
        .get(id)
        .unwrap_or_else(|| panic!("observe.py reported nothing for {id}"));
    (case, seen)
}

/// Compares CPython's run of case `id` with the model and panics listing every difference
/// (what was compared, CPython's observation, the model's answer).
fn crosscheck(id: &str) -> Checked {
    let (case, seen) = case_and_observation(CASES, |c| c.id, observations(), id);
    let config = config_of(case);
    let plan = plan(&config);
    let n = config.items;
    let mut diff = Differences {
        found: Vec::new(),
        checks: 0,
    };

    // The chunk size: CPython's default rule (or the given one) against the model's.
    let resolved = config.resolved_chunksize();
    match seen.chunksize_used {
        Some(cut) => diff.same("chunk size the input was cut with", cut, resolved),
        None => diff.holds(
            "one task per item (CPython sent the items without cutting them)",
            resolved == 1,
            || format!("CPython: 1 item per task; model: chunk size {resolved}"),
        ),
    }

    // The partition: every task's items, against the model's chunks.
    let model_chunks: Vec<Vec<usize>> = plan.chunks.iter().map(items_of).collect();
    let cpython_chunks = cpython_chunks(seen);
    diff.same(
        "chunks (items of each, input order)",
        &cpython_chunks,
        &model_chunks,
    );

    // The hand-out: CPython's tasks leave one shared FIFO queue in chunk index order; the
    // model's own queue must hand them out in the same order.
    let mut by_take: Vec<&ObservedTask> = seen.tasks.iter().collect();
    by_take.sort_by_key(|t| t.take);
    let taken: Vec<Vec<usize>> = by_take.iter().map(|t| t.items.clone()).collect();
    diff.holds(
        "hand-out from one shared FIFO queue",
        matches!(plan.hand_out, HandOut::Fifo { .. } | HandOut::OneAtATime),
        || format!("CPython: one shared FIFO queue; model: {:?}", plan.hand_out),
    );
    let (model_taken, model_results) = model_run(&plan, n);
    diff.same("order the workers took the chunks", &taken, &model_taken);
    let call_queue = match plan.hand_out {
        HandOut::Fifo { call_queue } => call_queue,
        HandOut::OneAtATime | HandOut::OwnTask => None,
    };
    // One task at a time (`Pool.apply` in a loop): CPython takes each task off the queue only
    // after the one before it is back.
    if plan.hand_out == HandOut::OneAtATime {
        let overlapping: Vec<Vec<usize>> = by_take
            .windows(2)
            .filter(|pair| pair[1].take_ns < pair[0].arrival().1)
            .map(|pair| pair[1].items.clone())
            .collect();
        diff.same(
            "tasks taken before the one before them was back",
            overlapping,
            Vec::new(),
        );
    }
    // The threads a ThreadPoolExecutor started: at most max_workers (how many, against a
    // real run of the model, in `tests/thread_starts.rs`).
    if let Some(started) = seen.threads_started {
        diff.holds(
            "threads the executor started, at most max_workers",
            (1..=plan.workers).contains(&started),
            || format!("CPython: {started}; max_workers: {}", plan.workers),
        );
    }
    diff.same("call queue bound", seen.call_queue_size, call_queue);
    let workers: BTreeSet<u64> = seen.tasks.iter().map(|t| t.worker).collect();
    diff.holds(
        "tasks run by at most `workers` workers",
        !workers.is_empty() && workers.len() <= plan.workers,
        || {
            format!(
                "CPython: {} workers; model: {}",
                workers.len(),
                plan.workers
            )
        },
    );

    // The results, in the order the caller got them.
    let expected: Vec<u64> = (1..=n as u64).map(|x| x * x).collect();
    let item_of: HashMap<u64, usize> = expected
        .iter()
        .enumerate()
        .map(|(p, &r)| (r, p + 1))
        .collect();
    let delivered_items: Vec<usize> = seen
        .results
        .iter()
        .map(|r| item_of.get(r).copied().unwrap_or(0))
        .collect();
    let mut every_item = delivered_items.clone();
    every_item.sort_unstable();
    diff.same(
        "each item's result delivered exactly once",
        every_item,
        (1..=n).collect::<Vec<_>>(),
    );
    if plan.delivery != Delivery::AsCompleted {
        diff.same(
            "results in the order the caller got them",
            &seen.results,
            &expected,
        );
        diff.same(
            "the gathered result list",
            Some(&seen.results),
            model_results.as_ref(),
        );
    }

    // Delivery: the model's result handler, fed CPython's arrival order, against the order
    // CPython's caller got the chunks.
    let chunk_of_item: HashMap<usize, &Chunk> = plan
        .chunks
        .iter()
        .flat_map(|chunk| chunk.items().map(move |p| (p + 1, chunk)))
        .collect();
    let mut delivered_chunks: Vec<usize> = Vec::new();
    for item in &delivered_items {
        let index = chunk_of_item.get(item).map_or(usize::MAX, |c| c.index);
        if delivered_chunks.last() != Some(&index) {
            delivered_chunks.push(index);
        }
    }
    let mut by_arrival: Vec<&ObservedTask> = seen.tasks.iter().collect();
    by_arrival.sort_by_key(|t| t.arrival().0);
    let arrived: Vec<Option<&Chunk>> = by_arrival
        .iter()
        .map(|t| {
            t.items
                .first()
                .and_then(|item| chunk_of_item.get(item).copied())
        })
        .collect();
    let arrived_chunks: Vec<usize> = arrived
        .iter()
        .map(|c| c.map_or(usize::MAX, |c| c.index))
        .collect();
    if cpython_chunks == model_chunks {
        let mut handler = ResultHandler::new(plan.delivery, n, plan.chunks.len());
        let mut released_before_last = 0;
        for (task, chunk) in by_arrival.iter().zip(&arrived) {
            released_before_last = handler.delivered().len();
            if let Some(chunk) = chunk {
                let results = task.items.iter().map(|&x| (x * x) as u64).collect();
                handler.arrive(**chunk, results, task.arrival().1 as f64 / 1e6);
            }
        }
        // A call that returns one list gives every result at one moment: the model must
        // then release nothing before the last chunk is back.
        let one_list = seen.delivered_ns.windows(2).all(|w| w[0] == w[1]);
        diff.holds(
            "nothing released before the last chunk is back, when CPython returns one list",
            !one_list || released_before_last == 0,
            || {
                format!(
                    "CPython: the whole list at once; model ({:?}): {released_before_last} chunks released before the last arrived",
                    plan.delivery
                )
            },
        );
        diff.same(
            &format!(
                "chunks in the order the caller got them ({:?}; CPython's arrival order {arrived_chunks:?})",
                plan.delivery
            ),
            &delivered_chunks,
            &handler.delivered().to_vec(),
        );
    }
    if plan.delivery == Delivery::AsCompleted {
        diff.same(
            "delivery order equals completion (arrival) order",
            &delivered_chunks,
            &arrived_chunks,
        );
    }
    if case.reorders {
        diff.holds(
            "the sleeps made results arrive out of input order (the case exercises delivery)",
            arrived_chunks.windows(2).any(|w| w[0] > w[1]),
            || format!("CPython's arrival order was {arrived_chunks:?}"),
        );
    }

    // When: no result reaches the caller before the results the rule waits for.
    let arrival_ns: HashMap<usize, i64> = by_arrival
        .iter()
        .zip(&arrived_chunks)
        .map(|(task, &index)| (index, task.arrival().1))
        .collect();
    let last_arrival = arrival_ns.values().copied().max().unwrap_or(0);
    let early: Vec<usize> = delivered_items
        .iter()
        .zip(&seen.delivered_ns)
        .filter(|(item, &at)| {
            let index = chunk_of_item.get(item).map_or(usize::MAX, |c| c.index);
            let waits_for = match plan.delivery {
                Delivery::AllAtEnd => last_arrival,
                Delivery::InOrder => (0..=index)
                    .filter_map(|i| arrival_ns.get(&i).copied())
                    .max()
                    .unwrap_or(0),
                Delivery::AsCompleted => arrival_ns.get(&index).copied().unwrap_or(0),
            };
            at < waits_for
        })
        .map(|(&item, _)| item)
        .collect();
    diff.same(
        &format!(
            "items delivered before the results {:?} waits for",
            plan.delivery
        ),
        early,
        Vec::new(),
    );

    println!(
        "{id}: {} checks against CPython {} ({})",
        diff.checks, seen.python, case.query
    );
    assert!(
        diff.found.is_empty(),
        "the model disagrees with CPython {} on {id} ({}):\n  {}",
        seen.python,
        case.query,
        diff.found.join("\n  ")
    );
    Checked { plan, seen }
}

#[test]
fn cpython_pool_map_14_items_5_workers_chunksize_3_gives_chunks_3_3_3_3_2() {
    let checked = crosscheck("seed");
    assert_eq!(checked.chunk_lens(), [3, 3, 3, 3, 2]);
    assert_eq!(
        checked.seen.results,
        [1, 4, 9, 16, 25, 36, 49, 64, 81, 100, 121, 144, 169, 196]
    );
}

#[test]
fn cpython_pool_map_14_items_5_workers_defaults_to_chunksize_1() {
    let checked = crosscheck("map_default_14_5");
    assert_eq!(checked.seen.chunksize_used, Some(1));
    assert_eq!(checked.chunk_lens(), [1; 14]);
}

#[test]
fn cpython_pool_map_5_items_8_workers_defaults_to_chunksize_1() {
    let checked = crosscheck("map_default_5_8");
    assert_eq!(checked.seen.chunksize_used, Some(1));
    assert_eq!(checked.plan.chunks.len(), 5);
}

#[test]
fn cpython_pool_map_100_items_4_workers_defaults_to_chunksize_7_in_15_chunks() {
    let checked = crosscheck("map_default_100_4");
    assert_eq!(checked.seen.chunksize_used, Some(7));
    let mut lens = vec![7; 14];
    lens.push(2);
    assert_eq!(checked.chunk_lens(), lens);
}

#[test]
fn cpython_pool_map_37_items_3_workers_defaults_to_chunksize_4_in_10_chunks() {
    let checked = crosscheck("map_default_37_3");
    assert_eq!(checked.seen.chunksize_used, Some(4));
    assert_eq!(checked.chunk_lens(), [4, 4, 4, 4, 4, 4, 4, 4, 4, 1]);
}

#[test]
fn cpython_pool_map_37_items_1_worker_defaults_to_chunksize_10() {
    let checked = crosscheck("map_default_37_1");
    assert_eq!(checked.seen.chunksize_used, Some(10));
    assert_eq!(checked.chunk_lens(), [10, 10, 10, 7]);
}

#[test]
fn cpython_pool_map_async_20_items_3_workers_defaults_to_chunksize_2_and_gets_in_input_order() {
    let checked = crosscheck("map_async_default_20_3");
    assert_eq!(checked.seen.chunksize_used, Some(2));
    assert_eq!(checked.chunk_lens(), [2; 10]);
}

#[test]
fn cpython_pool_starmap_pow_x_2_14_items_chunksize_3_gives_the_squares_in_chunks_3_3_3_3_2() {
    let checked = crosscheck("starmap_14_5_3");
    assert_eq!(checked.chunk_lens(), [3, 3, 3, 3, 2]);
    assert_eq!(checked.seen.results[13], 196);
}

#[test]
fn cpython_pool_starmap_20_items_4_workers_defaults_to_chunksize_2() {
    let checked = crosscheck("starmap_default_20_4");
    assert_eq!(checked.seen.chunksize_used, Some(2));
}

#[test]
fn cpython_pool_imap_chunksize_1_yields_in_input_order_though_later_items_finish_first() {
    let checked = crosscheck("imap_1");
    assert_eq!(checked.plan.delivery, Delivery::InOrder);
    assert_eq!(checked.chunk_lens(), [1; 20]);
}

#[test]
fn cpython_pool_imap_chunksize_4_yields_in_input_order_though_later_chunks_finish_first() {
    let checked = crosscheck("imap_4");
    assert_eq!(checked.seen.chunksize_used, Some(4));
    assert_eq!(checked.chunk_lens(), [4; 5]);
}

#[test]
fn cpython_pool_imap_unordered_yields_each_result_as_it_completes() {
    let checked = crosscheck("imap_unordered_1");
    assert_eq!(checked.plan.delivery, Delivery::AsCompleted);
    assert_eq!(checked.chunk_lens(), [1; 20]);
}

#[test]
fn cpython_pool_imap_unordered_chunksize_3_yields_whole_chunks_as_they_complete() {
    let checked = crosscheck("imap_unordered_3");
    assert_eq!(checked.chunk_lens(), [3, 3, 3, 3, 3, 3, 2]);
}

#[test]
fn cpython_pool_apply_async_runs_one_task_per_item_and_gets_in_order() {
    let checked = crosscheck("apply_async");
    assert_eq!(checked.seen.chunksize_used, None);
    assert_eq!(checked.chunk_lens(), [1; 14]);
}

#[test]
fn cpython_pool_apply_in_a_loop_runs_one_task_at_a_time_in_order() {
    let checked = crosscheck("apply");
    assert_eq!(checked.plan.hand_out, HandOut::OneAtATime);
    assert_eq!(checked.chunk_lens(), [1; 9]);
    let workers: BTreeSet<u64> = checked.seen.tasks.iter().map(|t| t.worker).collect();
    assert!(
        workers.len() > 1,
        "the pool's processes take the tasks in turn, not one process all of them"
    );
}

#[test]
fn cpython_pool_starmap_async_gives_the_starmap_chunks_and_the_list_at_the_end() {
    let checked = crosscheck("starmap_async_14_5_3");
    assert_eq!(checked.seen.chunksize_used, Some(3));
    assert_eq!(checked.chunk_lens(), [3, 3, 3, 3, 2]);
    assert_eq!(checked.plan.delivery, Delivery::AllAtEnd);
}

#[test]
fn cpython_thread_pool_executor_starts_2_threads_for_2_sleeping_items_of_max_workers_16() {
    let checked = crosscheck("tpe_2_of_16");
    assert_eq!(checked.seen.threads_started, Some(2));
    assert_eq!(checked.plan.workers, 16, "at most max_workers may start");
}

#[test]
fn cpython_process_pool_executor_map_chunksize_1_sends_one_item_per_task_in_input_order() {
    let checked = crosscheck("ppe_1");
    assert_eq!(checked.seen.chunksize_used, Some(1));
    assert_eq!(checked.seen.call_queue_size, Some(4));
    assert_eq!(checked.chunk_lens(), [1; 14]);
}

#[test]
fn cpython_process_pool_executor_map_chunksize_3_batches_items_in_threes() {
    let checked = crosscheck("ppe_3");
    assert_eq!(checked.seen.chunksize_used, Some(3));
    assert_eq!(checked.seen.call_queue_size, Some(3));
    assert_eq!(checked.chunk_lens(), [3, 3, 3, 3, 3, 3, 2]);
}

#[test]
fn cpython_thread_pool_executor_map_runs_one_item_per_task_in_input_order() {
    let checked = crosscheck("tpe");
    assert_eq!(checked.seen.chunksize_used, None);
    assert_eq!(checked.chunk_lens(), [1; 14]);
}

// ---------------------------------------------------------------------------------------
// When a task raises: each strategy's caller against CPython's.

/// A configuration whose chosen items raise, run on CPython and on the model's task runner.
/// Its workload is `io`: each item of CPython's run sleeps exactly the wait the model gives
/// that item (the cost shape and `raise_cost` included), so both runs share one timeline.
struct RaiseCase {
    /// Names the case in the observations.
    id: &'static str,
    /// The settings, as the page's URL gives them.
    query: &'static str,
}

/// Every configuration with raising items checked, run by one `python3` call. The costs are
/// chosen so that no two events that decide the outcome fall within 30 ms of each other (CPython sends an exception back about 20 ms late: its traceback is formatted first).
const RAISE_CASES: &[RaiseCase] = &[
    RaiseCase {
        id: "map_rest_of_chunk_never_runs",
        query: "strategy=Pool.map&workers=2&items=8&chunksize=2&workload=io&cost=5000&raise_at=3",
    },
    RaiseCase {
        // Item 1 is a straggler (320 ms); item 8 (40 ms, done at 120 ms) raises first: its
        // exception is the one raised.
        id: "map_first_exception_to_arrive",
        query: "strategy=Pool.map&workers=4&items=32&chunksize=1&workload=io&cost=40000&shape=straggler&raise_at=1,8",
    },
    RaiseCase {
        id: "map_async",
        query: "strategy=Pool.map_async&workers=2&items=8&chunksize=2&workload=io&cost=5000&raise_at=3",
    },
    RaiseCase {
        id: "starmap",
        query: "strategy=Pool.starmap&workers=2&items=8&chunksize=4&workload=io&cost=5000&raise_at=2",
    },
    RaiseCase {
        id: "imap_chunks_before_the_failing_one",
        query: "strategy=Pool.imap&workers=2&items=8&chunksize=2&workload=io&cost=5000&raise_at=3",
    },
    RaiseCase {
        id: "imap_chunksize_1_goes_on_after_the_exception",
        query: "strategy=Pool.imap&workers=2&items=8&chunksize=1&workload=io&cost=5000&raise_at=3",
    },
    RaiseCase {
        id: "imap_unordered_when_it_arrives",
        query: "strategy=Pool.imap_unordered&workers=2&items=8&workload=io&cost=240000&shape=increasing&raise_at=5&raise_cost=fast",
    },
    RaiseCase {
        id: "apply_async_only_its_get",
        query: "strategy=Pool.apply_async&workers=2&items=6&workload=io&cost=5000&raise_at=2,5",
    },
    RaiseCase {
        id: "thread_pool_executor_cancels",
        query: "strategy=ThreadPoolExecutor.map&workers=2&items=8&workload=io&cost=160000&shape=increasing&raise_at=3&raise_cost=fast",
    },
    RaiseCase {
        id: "process_pool_executor_cancels",
        query: "strategy=ProcessPoolExecutor.map&workers=2&items=16&workload=io&cost=320000&shape=increasing&raise_at=3&raise_cost=fast",
    },
    RaiseCase {
        id: "threading_thread_prints",
        query: "strategy=threading.Thread&items=4&workload=io&cost=1000&gil=false&raise_at=2",
    },
    RaiseCase {
        // Item 3's call raises in the caller: items 4 to 6 are never submitted.
        id: "apply_caller_stops",
        query: "strategy=Pool.apply&workers=2&items=6&workload=io&cost=5000&raise_at=3",
    },
    RaiseCase {
        // Item 1 raises first (fast); the caller stops there, before any other call.
        id: "apply_first_call_raises",
        query: "strategy=Pool.apply&workers=3&items=5&workload=io&cost=5000&raise_at=1,4&raise_cost=fast",
    },
    RaiseCase {
        // Items 2 and 4's processes print and exit with exitcode 1; the parent gets the
        // other results, and its next queue.get() would wait forever.
        id: "process_child_exits",
        query: "strategy=multiprocessing.Process&items=5&workload=io&cost=5000&raise_at=2,4",
    },
    RaiseCase {
        id: "queue_one_worker_dies",
        query: "strategy=queue.Queue&workers=2&items=6&workload=io&cost=5000&gil=false&raise_at=1",
    },
    RaiseCase {
        id: "queue_every_worker_dies",
        query: "strategy=queue.Queue&workers=2&items=8&workload=io&cost=5000&gil=false&raise_at=1,2&raise_cost=fast",
    },
];

/// What CPython's caller received in one case with raising items (see observe.py).
#[derive(Debug, Deserialize)]
struct RaiseObservation {
    /// The case.
    id: String,
    /// The CPython version that ran it.
    python: String,
    /// The results the caller received, in the order it got them (before the exception).
    results: Vec<u64>,
    /// The items whose exception the caller caught, in the order it caught them.
    raised: Vec<u64>,
    /// The items whose exception `threading.excepthook` printed.
    printed: Vec<u64>,
    /// Every item whose call began.
    ran: Vec<u64>,
    /// threading.Thread and queue.Queue: the results list (`None`: no result stored).
    list: Option<Vec<Option<u64>>>,
    /// queue.Queue: tasks left and no worker alive (q.join() would wait forever).
    waits_forever: bool,
    /// Pool.imap: what one more next() gave after the caught exception ("result",
    /// "StopIteration" or "ValueError").
    #[serde(default)]
    next_after_exception: Option<String>,
}

/// Runs every raising case on CPython once; the tests share the observations.
fn raise_observations() -> &'static Result<HashMap<String, RaiseObservation>, String> {
    static OBSERVED: OnceLock<Result<HashMap<String, RaiseObservation>, String>> = OnceLock::new();
    OBSERVED.get_or_init(|| {
        let cases = RAISE_CASES
            .iter()
            .map(|case| {
                let config = raise_config(case);
                let sleeps: Vec<f64> = (0..config.items)
                    .map(|p| f64::from(config.workload.cost_of(p)) / 1000.0)
                    .collect();
                json!({
                    "id": case.id,
                    "strategy": config.strategy.name(),
                    "items": config.items,
                    "workers": config.workers,
                    "chunksize": config.chunksize,
                    "sleep": {"kind": "per_item", "ms": sleeps},
                    "raise_at": config.workload.raises.numbers(),
                })
            })
            .collect();
        let observed: Vec<RaiseObservation> = observe(cases)?;
        Ok(observed.into_iter().map(|o| (o.id.clone(), o)).collect())
    })
}

/// The settings of a raising case, as the page validates them.
fn raise_config(case: &RaiseCase) -> RunConfig {
    Inputs::from_query(case.query)
        .validate()
        .unwrap_or_else(|invalid| panic!("{}: invalid query {}: {invalid:?}", case.id, case.query))
}

/// The model's run of `config`: its task runner on one real thread per worker, with the
/// workload's real waits, and the trace made of it.
fn model_trace(config: &RunConfig) -> Trace {
    let run = TaskRun::new(plan(config), config.workload);
    let clock = std::time::Instant::now();
    let now = || clock.elapsed().as_secs_f64() * 1e3;
    let outcome = run
        .run_on_std_threads(&|_| now())
        .expect("the last worker returns the outcome");
    let facts = RunFacts {
        isolated: true,
        pool_threads: 16,
        started_at_ms: 0.0,
        wall_ms: now(),
    };
    outcome
        .into_trace(config, facts)
        .unwrap_or_else(|why| panic!("no trace: {why}"))
}

/// Compares what CPython's caller received in raising case `id` with the model's trace, and
/// panics listing every difference.
fn crosscheck_raise(id: &str) -> (Trace, &'static RaiseObservation) {
    let (case, seen) = case_and_observation(RAISE_CASES, |c| c.id, raise_observations(), id);
    let config = raise_config(case);
    let trace = model_trace(&config);
    let rule = config.strategy.rule();
    let mut diff = Differences {
        found: Vec::new(),
        checks: 0,
    };
    let raised_tasks: Vec<u64> = trace
        .chunks
        .iter()
        .filter_map(|c| c.error.as_ref()?.raised_item())
        .collect();

    // Which exceptions the caller caught: one (the first to arrive, or at its turn), or, for
    // apply_async, each failing get(); threads only print theirs.
    let model_raised: Vec<u64> = match rule.on_raise {
        OnRaise::OnlyItsGet => raised_tasks.clone(),
        OnRaise::Printed | OnRaise::WorkerDies | OnRaise::ChildExits => Vec::new(),
        OnRaise::AfterEveryChunk
        | OnRaise::CallerStops
        | OnRaise::ShortCircuits
        | OnRaise::AtItsTurn
        | OnRaise::AtItsTurnCancelling
        | OnRaise::WhenItArrives
        | OnRaise::NotTaught => trace.raised_item.into_iter().collect(),
    };
    diff.same(
        "exceptions the caller caught (items)",
        &seen.raised,
        &model_raised,
    );
    let model_printed = match rule.on_raise {
        OnRaise::Printed | OnRaise::WorkerDies | OnRaise::ChildExits => raised_tasks.clone(),
        OnRaise::AfterEveryChunk
        | OnRaise::CallerStops
        | OnRaise::ShortCircuits
        | OnRaise::AtItsTurn
        | OnRaise::AtItsTurnCancelling
        | OnRaise::WhenItArrives
        | OnRaise::OnlyItsGet
        | OnRaise::NotTaught => Vec::new(),
    };
    diff.same(
        "exceptions printed by threading.excepthook, or by a process that exited with exitcode 1 (items)",
        &seen.printed,
        &model_printed,
    );

    // What ran: every item but those after the raising one in its task, and those of the
    // cancelled or stranded tasks.
    let model_ran: Vec<u64> = (1..=config.items as u64)
        .filter(|x| !trace.never_ran.contains(x))
        .collect();
    if rule.on_raise == OnRaise::AtItsTurnCancelling && config.strategy.rule().pickles {
        // ProcessPoolExecutor: the executor's manager thread refills the call queue (marking
        // those futures running) after each result while the caller's thread wakes to cancel
        // the rest; how many it moves first is thread scheduling (one fewer than the model's,
        // or more on a loaded machine). What holds: the items ran in input order up to some
        // point at least the model's minus one, and the rest were cancelled.
        let prefix = seen.ran.iter().zip(1..).all(|(&x, i)| x == i);
        diff.holds(
            "items that ran: a prefix in input order, at least the model's minus one, the rest cancelled",
            prefix
                && seen.ran.len() + 1 >= model_ran.len()
                && seen.ran.len() < config.items,
            || format!("CPython: {:?}; model: {model_ran:?}", seen.ran),
        );
    } else {
        diff.same("items that ran", &seen.ran, &model_ran);
    }

    // What the caller received before the exception (or instead of it).
    let results = trace.results.clone().unwrap_or_default();
    let model_received: Vec<u64> = trace
        .delivered
        .iter()
        .flat_map(|&index| {
            let chunk = trace.chunks.iter().find(|c| c.index == index);
            chunk.map_or(0..0, |c| c.first_item..c.first_item + c.len)
        })
        .map(|position| results.get(position).copied().unwrap_or_default())
        .filter(|&r| r != 0)
        .collect();
    match &seen.list {
        Some(list) => {
            let model_list: Vec<Option<u64>> = if trace.stranded.is_empty() {
                results.iter().map(|&r| (r != 0).then_some(r)).collect()
            } else {
                vec![None; config.items]
            };
            diff.same("the results list the threads filled", list, &model_list);
        }
        None => diff.same(
            "results the caller received, in order, before the exception",
            &seen.results,
            &model_received,
        ),
    }
    diff.same(
        "the caller waits forever: q.join() (tasks left, no worker alive), or queue.get() for a result no process put",
        seen.waits_forever,
        !trace.stranded.is_empty()
            || (rule.on_raise == OnRaise::ChildExits && !raised_tasks.is_empty()),
    );
    if let Some(after) = &seen.next_after_exception {
        diff.same(
            "Pool.imap's next() after the caught exception gives a result (the iterator goes on)",
            after == "result",
            imap_goes_on_after_raising(trace.chunksize),
        );
    }

    println!(
        "{id}: {} checks against CPython {} ({})",
        diff.checks, seen.python, case.query
    );
    assert!(
        diff.found.is_empty(),
        "the model disagrees with CPython {} on {id} ({}):\n  {}",
        seen.python,
        case.query,
        diff.found.join("\n  ")
    );
    (trace, seen)
}

#[test]
fn cpython_pool_map_raising_item_3_of_chunk_3_4_never_runs_item_4_and_waits_for_every_chunk() {
    let (trace, seen) = crosscheck_raise("map_rest_of_chunk_never_runs");
    assert_eq!(seen.raised, [3]);
    assert_eq!(trace.never_ran, [4]);
    assert!(
        trace.delivered.is_empty(),
        "map gives no result when it raises"
    );
}

#[test]
fn cpython_pool_map_raises_the_first_exception_to_arrive_not_the_first_in_input_order() {
    let (trace, seen) = crosscheck_raise("map_first_exception_to_arrive");
    assert_eq!(seen.raised, [8]);
    assert_eq!(trace.raised_item, Some(8));
}

#[test]
fn cpython_pool_map_async_and_starmap_raise_as_map_does() {
    assert_eq!(crosscheck_raise("map_async").1.raised, [3]);
    let (trace, seen) = crosscheck_raise("starmap");
    assert_eq!(seen.raised, [2]);
    assert_eq!(trace.never_ran, [3, 4]);
}

#[test]
fn cpython_pool_imap_yields_the_chunks_before_the_failing_one_then_raises() {
    let (trace, seen) = crosscheck_raise("imap_chunks_before_the_failing_one");
    assert_eq!(
        (seen.results.as_slice(), seen.raised.as_slice()),
        (&[1, 4][..], &[3][..])
    );
    assert_eq!(trace.never_ran, [4]);
}

#[test]
fn cpython_pool_imap_goes_on_after_its_exception_only_with_chunksize_1() {
    let (_, spent) = crosscheck_raise("imap_chunks_before_the_failing_one");
    assert_eq!(spent.next_after_exception.as_deref(), Some("StopIteration"));
    let (_, goes_on) = crosscheck_raise("imap_chunksize_1_goes_on_after_the_exception");
    assert_eq!(goes_on.next_after_exception.as_deref(), Some("result"));
}

#[test]
fn cpython_pool_imap_unordered_raises_when_the_failing_result_arrives() {
    let (_, seen) = crosscheck_raise("imap_unordered_when_it_arrives");
    assert_eq!(
        (seen.results.as_slice(), seen.raised.as_slice()),
        (&[1, 4, 9][..], &[5][..])
    );
}

#[test]
fn cpython_pool_apply_async_raises_only_in_the_failing_calls_get() {
    let (_, seen) = crosscheck_raise("apply_async_only_its_get");
    assert_eq!(seen.raised, [2, 5]);
    assert_eq!(seen.results, [1, 9, 16, 36]);
}

#[test]
fn cpython_thread_pool_executor_map_raises_at_the_item_and_cancels_the_futures_not_started() {
    let (trace, seen) = crosscheck_raise("thread_pool_executor_cancels");
    assert_eq!(
        (seen.results.as_slice(), seen.raised.as_slice()),
        (&[1, 4][..], &[3][..])
    );
    assert_eq!(trace.cancelled, [5, 6, 7]);
    assert_eq!(trace.never_ran, [6, 7, 8]);
}

#[test]
fn cpython_process_pool_executor_map_cancels_the_futures_still_pending() {
    let (trace, seen) = crosscheck_raise("process_pool_executor_cancels");
    assert_eq!(seen.raised, [3]);
    assert_eq!(trace.never_ran, (9..=16).collect::<Vec<u64>>());
}

#[test]
fn cpython_threading_thread_prints_the_exception_and_join_returns() {
    let (trace, seen) = crosscheck_raise("threading_thread_prints");
    assert_eq!(seen.printed, [2]);
    assert_eq!(trace.raised, None);
}

#[test]
fn cpython_queue_worker_that_raises_dies_and_the_others_drain_the_queue() {
    let (trace, seen) = crosscheck_raise("queue_one_worker_dies");
    assert!(!seen.waits_forever && trace.stranded.is_empty());
    assert_eq!(seen.ran, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn cpython_queue_with_every_worker_dead_leaves_tasks_and_q_join_would_wait_forever() {
    let (trace, seen) = crosscheck_raise("queue_every_worker_dies");
    assert!(seen.waits_forever);
    assert_eq!(trace.stranded, [2, 3, 4, 5, 6, 7]);
    assert_eq!(trace.never_ran, [3, 4, 5, 6, 7, 8]);
}

#[test]
fn cpython_pool_apply_raises_in_the_caller_and_the_calls_after_it_are_never_made() {
    let (trace, seen) = crosscheck_raise("apply_caller_stops");
    assert_eq!(
        (seen.results.as_slice(), seen.raised.as_slice()),
        (&[1, 4][..], &[3][..])
    );
    assert_eq!(trace.unsubmitted, [3, 4, 5]);
    assert_eq!(trace.never_ran, [4, 5, 6]);
    let (trace, seen) = crosscheck_raise("apply_first_call_raises");
    assert_eq!(
        (seen.ran.as_slice(), seen.raised.as_slice()),
        (&[1][..], &[1][..])
    );
    assert_eq!(trace.never_ran, [2, 3, 4, 5]);
}

#[test]
fn cpython_multiprocessing_process_that_raises_exits_and_the_parent_would_wait_forever() {
    let (trace, seen) = crosscheck_raise("process_child_exits");
    assert_eq!(seen.printed, [2, 4]);
    assert!(seen.waits_forever);
    assert_eq!(trace.raised, None);
    assert!(trace.never_ran.is_empty(), "every process ran");
}
