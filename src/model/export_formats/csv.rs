//! The trace as CSV (RFC 4180: a header row, CRLF line ends, a field quoted when it holds a
//! comma, a quote or a line break, its quotes doubled): one row per task, in index order,
//! with when its results reached the result handler and the caller (rank 0 first; empty
//! where they never did), and on processes its time queued, sending, computing and returning.

use crate::model::export_formats::ExportFormat;
use crate::model::record::ProcessChunkTimes;
use crate::model::trace::Trace;
use std::io::{self, Write};

/// The header row's fields.
pub const COLUMNS: [&str; 20] = [
    "index",
    "first_item",
    "len",
    "worker",
    "thread",
    "start_ms",
    "end_ms",
    "transfer_ms",
    "gil_wait_ms",
    "error",
    "stopped",
    "arrival_rank",
    "arrival_ms",
    "delivery_rank",
    "delivery_ms",
    "queue_ms",
    "pipe_ms",
    "send_ms",
    "compute_ms",
    "return_ms",
];

/// `field` as RFC 4180 writes it.
fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Where each task's index stands in `order`, and when (from `times`, if given).
fn ranks(order: &[usize], tasks: usize) -> Vec<Option<usize>> {
    let mut rank = vec![None; tasks];
    for (at, &index) in order.iter().enumerate() {
        if let Some(slot) = rank.get_mut(index) {
            *slot = Some(at);
        }
    }
    rank
}

/// A task's five times on a process (`queue_ms,pipe_ms,send_ms,compute_ms,return_ms`), or
/// five empty fields.
fn process_times(times: Option<ProcessChunkTimes>) -> String {
    match times {
        Some(t) => format!(
            "{},{},{},{},{}",
            t.queue_ms, t.pipe_ms, t.send_ms, t.compute_ms, t.return_ms
        ),
        None => ",,,,".to_owned(),
    }
}

/// Writes `trace` as CSV to `out`, row by row.
pub fn write_csv(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    let tasks = trace.chunks.iter().map(|c| c.index + 1).max().unwrap_or(0);
    let arrival = ranks(&trace.arrived, tasks);
    let delivery = ranks(&trace.delivered, tasks);
    write!(out, "{}\r\n", COLUMNS.join(","))?;
    let optional = |value: Option<String>| value.unwrap_or_default();
    for c in &trace.chunks {
        let arrived = arrival[c.index];
        let delivered = delivery[c.index];
        write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            c.index,
            c.first_item,
            c.len,
            c.worker,
            c.thread,
            c.start_ms,
            c.end_ms,
            c.transfer_ms,
            c.gil_wait_ms,
            optional(c.error.as_ref().map(|e| quoted(&e.to_string()))),
            c.stopped,
            optional(arrived.map(|r| r.to_string())),
            optional(arrived.map(|_| c.end_ms.to_string())),
            optional(delivered.map(|r| r.to_string())),
            optional(
                delivered
                    .and_then(|r| trace.delivered_ms.get(r))
                    .map(f64::to_string)
            ),
            process_times(c.process),
        )?;
    }
    Ok(())
}

/// `trace` as CSV, one row per task.
pub fn csv(trace: &Trace) -> String {
    ExportFormat::Csv.text(trace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::errors::{Fault, TaskError};
    use crate::model::trace::tests::trace_of;

    /// The rows of an RFC 4180 text, each a list of fields, read by a parser written from
    /// the RFC (quoted fields may hold commas, doubled quotes and line breaks).
    fn rows(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CR is followed by LF"),
                (false, '\n') => panic!("a bare LF ends a line"),
                (false, c) => field.push(c),
            }
            if !quoted && c == '\r' {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
        }
        assert!(
            field.is_empty() && row.is_empty(),
            "the text ends with CRLF"
        );
        rows
    }

    #[test]
    fn one_row_per_task_with_its_arrival_and_delivery() {
        let mut trace = trace_of(
            &[(0, 3, 0.0, 1.5), (1, 4, 0.0, 1.0), (0, 3, 1.5, 2.0)],
            &[1, 0, 2],
        );
        trace.delivered_ms = vec![1.5, 1.5, 2.0];
        trace.chunks[2].error = Some(TaskError::Request(Fault::Http {
            status: 500,
            reason: "Internal, \"server\" error".to_owned(),
        }));
        let table = rows(&csv(&trace));
        assert_eq!(table.len(), 4, "a header and a row per task");
        assert_eq!(table[0], COLUMNS);
        assert!(table.iter().all(|row| row.len() == COLUMNS.len()));
        let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(table[2][column("worker")], "1");
        assert_eq!(table[2][column("thread")], "4");
        assert_eq!(table[1][column("end_ms")], "1.5");
        assert_eq!(table[1][column("arrival_rank")], "1");
        assert_eq!(table[2][column("arrival_rank")], "0");
        assert_eq!(table[2][column("arrival_ms")], "1");
        assert_eq!(table[3][column("delivery_rank")], "2");
        assert_eq!(table[3][column("delivery_ms")], "2");
        let error = &table[3][column("error")];
        assert!(error.contains("Internal, \"server\" error"), "{error}");
        assert_eq!(table[1][column("error")], "");
        assert_eq!(table[1][column("stopped")], "false");
    }

    #[test]
    fn a_task_on_a_process_has_its_five_times() {
        let mut trace = crate::model::export_formats::chrome_tests::process_trace();
        trace.chunks[1].process.as_mut().unwrap().pipe_ms = 1.5;
        let table = rows(&csv(&trace));
        let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(table[2][column("queue_ms")], "4");
        assert_eq!(table[2][column("pipe_ms")], "1.5");
        assert_eq!(table[1][column("pipe_ms")], "0");
        assert_eq!(table[2][column("send_ms")], "0.5");
        assert_eq!(table[2][column("compute_ms")], "3");
        assert_eq!(table[2][column("return_ms")], "0.5");
        let plain = rows(&csv(&trace_of(&[(0, 0, 0.0, 1.0)], &[0])));
        assert!(plain[1][column("queue_ms")..].iter().all(String::is_empty));
    }

    #[test]
    fn a_stopped_run_leaves_the_ranks_of_what_never_arrived_empty() {
        let mut trace = trace_of(&[(0, 0, 0.0, 1.0), (1, 1, 0.0, 2.0)], &[0]);
        trace.delivered.clear();
        trace.delivered_ms.clear();
        trace.chunks[1].stopped = true;
        trace.chunks.remove(0);
        let table = rows(&csv(&trace));
        assert_eq!(table.len(), 2);
        let row = &table[1];
        assert_eq!(row[0], "1");
        assert_eq!(row[10], "true");
        assert!(row[11..].iter().all(String::is_empty), "{row:?}");
    }
}
