//! Tests of the Chrome Trace Event export, with a validator of the format: the required
//! fields and their types, phase by phase.

use super::chrome::chrome_trace;
use crate::model::errors::TaskError;
use crate::model::record::DepthSample;
use crate::model::sentences::run_heading;
use crate::model::trace::tests::{gil_taken_in_turns, round_robin_spans, trace_of};
use crate::model::trace::Trace;
use serde_json::Value;

/// Checks `file` against the Trace Event Format: an object with a `traceEvents` array
/// and a `displayTimeUnit` of `ms` or `ns`; every event has a string `name` and `ph`, an
/// integer `pid` and `tid`, and what its phase requires: `X` a number `ts` and a
/// non-negative number `dur`; `i` a number `ts` and a scope `s` of `g`, `p` or `t`; `M`
/// one of the metadata names with its `args` (`name` a string, `sort_index` an integer);
/// `C` a number `ts` and `args` of numbers. Returns the events.
pub(crate) fn validated(file: &Value) -> Result<&Vec<Value>, String> {
    let unit = file["displayTimeUnit"].as_str();
    if !matches!(unit, Some("ms" | "ns")) {
        return Err(format!("displayTimeUnit is {unit:?}"));
    }
    let events = file["traceEvents"]
        .as_array()
        .ok_or("traceEvents is not an array")?;
    for (at, event) in events.iter().enumerate() {
        let fail = |why: &str| Err(format!("event {at} {why}: {event}"));
        let number = |key: &str| event[key].as_f64().filter(|v| v.is_finite());
        if !event["name"].is_string() {
            return fail("has no string name");
        }
        if !(event["pid"].is_u64() && event["tid"].is_u64()) {
            return fail("has no integer pid and tid");
        }
        match event["ph"].as_str() {
            Some("X") => {
                if number("ts").is_none() || !number("dur").is_some_and(|d| d >= 0.0) {
                    return fail("is complete without a number ts and dur ≥ 0");
                }
            }
            Some("i" | "I") => {
                if number("ts").is_none() || !matches!(event["s"].as_str(), Some("g" | "p" | "t")) {
                    return fail("is an instant without a number ts and a scope s");
                }
            }
            Some("M") => {
                let args = &event["args"];
                let ok = match event["name"].as_str() {
                    Some("process_name" | "thread_name" | "process_labels") => {
                        args["name"].is_string() || args["labels"].is_string()
                    }
                    Some("process_sort_index" | "thread_sort_index") => args["sort_index"].is_i64(),
                    _ => false,
                };
                if !ok {
                    return fail("is metadata of an unknown name or without its args");
                }
            }
            Some("C") => {
                let args = event["args"].as_object();
                if number("ts").is_none()
                    || !args.is_some_and(|a| !a.is_empty() && a.values().all(Value::is_number))
                {
                    return fail("is a counter without a number ts and numeric args");
                }
            }
            _ => return fail("has an unknown phase"),
        }
    }
    nested(events)?;
    Ok(events)
}

/// Checks that the complete events of each thread nest, as a viewer draws them: each starts
/// after the one before it ends, or ends inside the one it starts in (to a nanosecond's
/// thousandth: `ts + dur` is summed in floating point).
fn nested(events: &[Value]) -> Result<(), String> {
    let mut spans: Vec<(u64, f64, f64)> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .filter_map(|e| {
            let (ts, dur) = (e["ts"].as_f64()?, e["dur"].as_f64()?);
            Some((e["tid"].as_u64()?, ts, ts + dur))
        })
        .collect();
    spans.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(b.2.total_cmp(&a.2))
    });
    let mut open: Vec<(u64, f64)> = Vec::new();
    for (tid, start, end) in spans {
        while open
            .last()
            .is_some_and(|&(t, e)| t != tid || e <= start + 1e-6)
        {
            open.pop();
        }
        if let Some(&(_, enclosing_end)) = open.last() {
            if end > enclosing_end + 1e-6 {
                return Err(format!("thread {tid}: {start}..{end} crosses the end of the event it starts in ({enclosing_end})"));
            }
        }
        open.push((tid, end));
    }
    Ok(())
}

fn parsed(trace: &Trace) -> Value {
    serde_json::from_str(&chrome_trace(trace)).expect("the export is JSON")
}

fn of_phase<'v>(events: &'v [Value], ph: &str) -> Vec<&'v Value> {
    events.iter().filter(|e| e["ph"] == ph).collect()
}

#[test]
fn one_process_one_thread_per_worker_and_a_complete_event_per_task() {
    let mut trace = trace_of(
        &[
            (0, 3, 0.0, 1.25),
            (1, 5, 0.5, 2.0),
            (0, 3, 1.25, 3.000_000_4),
        ],
        &[0, 2, 1],
    );
    trace.chunks[1].transfer_ms = 0.25;
    trace.delivered_ms = vec![1.25, 2.0, 3.0];
    let file = parsed(&trace);
    let events = validated(&file).unwrap();
    let metadata = of_phase(events, "M");
    let process: Vec<_> = metadata
        .iter()
        .filter(|e| e["name"] == "process_name")
        .collect();
    assert_eq!(process.len(), 1);
    let process_name = process[0]["args"]["name"].as_str().unwrap();
    assert!(
        process_name.starts_with(&run_heading(&trace)),
        "{process_name}"
    );
    assert!(process_name.contains("workers=2"), "{process_name}");
    let thread_names: Vec<(u64, &str)> = metadata
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        thread_names,
        [
            (1, "worker 0 · thread 3"),
            (2, "worker 1 · thread 5"),
            (3, "result handler"),
            (4, "caller")
        ]
    );
    let tasks: Vec<_> = events.iter().filter(|e| e["cat"] == "task").collect();
    assert_eq!(tasks.len(), 3);
    assert!(tasks.iter().all(|e| e["ph"] == "X" && e["pid"] == 1));
    let last = tasks[2];
    assert_eq!(
        (last["tid"].as_u64(), last["name"].as_str()),
        (Some(1), Some("chunk 2"))
    );
    assert_eq!(
        (last["ts"].as_f64(), last["dur"].as_f64()),
        (Some(1250.0), Some(1750.0)),
        "µs, to the ns"
    );
    assert_eq!(tasks[1]["args"]["transfer_ms"], 0.25);
    assert_eq!(tasks[1]["args"]["first_item"], 1);
    assert_eq!(tasks[1]["args"]["items"], 1);
    assert_eq!(tasks[1]["args"]["stopped"], false);
    let arrivals: Vec<(u64, f64)> = of_phase(events, "i")
        .iter()
        .filter(|e| e["tid"] == 3)
        .map(|e| {
            (
                e["args"]["index"].as_u64().unwrap(),
                e["ts"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        arrivals,
        [(0, 1250.0), (2, 3000.0), (1, 2000.0)],
        "each as its task ended"
    );
    let deliveries = of_phase(events, "i")
        .into_iter()
        .filter(|e| e["tid"] == 4)
        .count();
    assert_eq!(deliveries, 3);
    let call = events.iter().find(|e| e["cat"] == "call").unwrap();
    assert_eq!(
        (call["tid"].as_u64(), call["dur"].as_f64()),
        (Some(4), Some(3000.0))
    );
    assert_eq!(file["otherData"]["query"], trace.query());
}

#[test]
fn gil_holds_and_waits_errors_stops_and_queue_depth_are_exported() {
    let mut trace = trace_of(&[(0, 0, 0.0, 10.0), (1, 1, 0.0, 10.0)], &[0]);
    trace.gil_slices = gil_taken_in_turns();
    trace.chunks[0].error = Some(TaskError::Cancelled { waiting: false });
    trace.chunks[1].stopped = true;
    trace.queue_depth = vec![
        DepthSample {
            t_ms: 0.0,
            queued: 2,
            pending: 0,
        },
        DepthSample {
            t_ms: 0.1,
            queued: 0,
            pending: 0,
        },
    ];
    let file = parsed(&trace);
    let events = validated(&file).unwrap();
    let gil: Vec<(u64, &str, f64, f64)> = events
        .iter()
        .filter(|e| e["cat"] == "gil")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["name"].as_str().unwrap(),
                e["ts"].as_f64().unwrap(),
                e["dur"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gil,
        [
            (5, "holds the GIL", 0.0, 5000.0),
            (6, "waits for the GIL", 0.0, 5000.0),
            (6, "holds the GIL", 5000.0, 5000.0)
        ]
    );
    let names: Vec<&str> = of_phase(events, "M")
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"worker 1 · GIL"), "{names:?}");
    let tasks: Vec<_> = events.iter().filter(|e| e["cat"] == "task").collect();
    assert_eq!(tasks[0]["args"]["error"], "cancelled");
    assert_eq!(tasks[1]["args"]["stopped"], true);
    assert!(tasks[1]["args"].get("error").is_none());
    assert_eq!(of_phase(events, "C").len(), 2);
    assert_eq!(of_phase(events, "C")[0]["args"]["queued"], 2);
}

#[test]
fn the_validator_refuses_what_the_format_does_not_allow() {
    let good = parsed(&trace_of(&[(0, 0, 0.0, 1.0)], &[0]));
    assert!(validated(&good).is_ok());
    let broken = |edit: &dyn Fn(&mut Value)| {
        let mut file = good.clone();
        edit(&mut file);
        validated(&file).is_err()
    };
    let first_of = |ph: &'static str| {
        move |file: &mut Value| -> Option<usize> {
            file["traceEvents"]
                .as_array()
                .unwrap()
                .iter()
                .position(|e| e["ph"] == ph)
        }
    };
    assert!(broken(&|f| f["displayTimeUnit"] = "s".into()));
    assert!(broken(&|f| {
        let at = first_of("X")(f).unwrap();
        f["traceEvents"][at].as_object_mut().unwrap().remove("dur");
    }));
    assert!(broken(&|f| {
        let at = first_of("i")(f).unwrap();
        f["traceEvents"][at].as_object_mut().unwrap().remove("s");
    }));
    assert!(broken(&|f| {
        let at = first_of("M")(f).unwrap();
        f["traceEvents"][at]["args"] = serde_json::json!({});
    }));
    assert!(broken(&|f| f["traceEvents"][0]["pid"] = "1".into()));
    assert!(broken(&|f| {
        let at = first_of("X")(f).unwrap();
        let mut crossing = f["traceEvents"][at].clone();
        crossing["ts"] = (crossing["ts"].as_f64().unwrap() + 1.0).into();
        f["traceEvents"].as_array_mut().unwrap().push(crossing);
    }));
    assert!(broken(&|f| f["traceEvents"][0]["ph"] = "Q".into()));
}

#[test]
fn every_task_of_a_large_run_is_an_event() {
    let spans = round_robin_spans(20_000);
    let trace = trace_of(&spans, &[]);
    let text = chrome_trace(&trace);
    let file: Value = serde_json::from_str(&text).unwrap();
    let events = validated(&file).unwrap();
    assert_eq!(events.iter().filter(|e| e["cat"] == "task").count(), 20_000);
}

/// A run on two processes, both started by it (ready at 3 and 4 ms), each task's time split
/// into its phases.
pub(crate) fn process_trace() -> Trace {
    use crate::model::record::{ProcessChunkTimes, ProcessStartup};
    let mut trace = trace_of(&[(0, 0, 3.0, 5.0), (1, 1, 4.0, 8.0)], &[0, 1]);
    trace.worker_started_ms = vec![3.0, 4.0];
    trace.processes = Some(ProcessStartup {
        startup_ms: vec![Some(3.0), Some(4.0)],
        started_by_run: vec![true, true],
        replacements: Vec::new(),
    });
    for chunk in &mut trace.chunks {
        chunk.process = Some(ProcessChunkTimes {
            queue_ms: chunk.start_ms,
            pipe_ms: 0.0,
            send_ms: 0.5,
            compute_ms: chunk.duration_ms() - 1.0,
            return_ms: 0.5,
        });
    }
    trace
}

#[test]
fn a_process_run_has_each_tasks_phases_nested_in_it_and_each_process_start_up() {
    let trace = process_trace();
    let file = parsed(&trace);
    let events = validated(&file).unwrap();
    let spans = |cat: &str| -> Vec<(u64, &str, f64, f64)> {
        events
            .iter()
            .filter(|e| e["cat"] == cat)
            .map(|e| {
                (
                    e["tid"].as_u64().unwrap(),
                    e["name"].as_str().unwrap(),
                    e["ts"].as_f64().unwrap(),
                    e["dur"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        spans("process"),
        [
            (1, "process start-up", 0.0, 3000.0),
            (2, "process start-up", 0.0, 4000.0)
        ]
    );
    assert_eq!(
        spans("phase"),
        [
            (1, "send", 3000.0, 500.0),
            (1, "compute", 3500.0, 1000.0),
            (1, "return", 4500.0, 500.0),
            (2, "send", 4000.0, 500.0),
            (2, "compute", 4500.0, 3000.0),
            (2, "return", 7500.0, 500.0)
        ]
    );
    let task = events.iter().find(|e| e["cat"] == "task").unwrap();
    assert_eq!(task["args"]["queue_ms"], 3.0);
    assert_eq!(task["args"]["compute_ms"], 1.0);
    let names: Vec<&str> = of_phase(events, "M")
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[..2], ["worker 0 · process", "worker 1 · process"]);
}

#[test]
fn a_process_task_read_while_the_one_before_returns_nests_on_the_process_thread() {
    let mut trace = process_trace();
    // Process 0 read chunk 1 at 4.5, while chunk 0's results crossed back until 5.
    trace.chunks[1].worker = 0;
    trace.chunks[1].thread = 0;
    trace.chunks[1].start_ms = 4.5;
    let file = parsed(&trace);
    let events = validated(&file).unwrap();
    let first = events
        .iter()
        .find(|e| e["cat"] == "task" && e["args"]["index"] == 0)
        .unwrap();
    assert_eq!(
        first["dur"], 1500.0,
        "chunk 0 ends on its process's thread where chunk 1 begins"
    );
}
