//! An author's recording: a trace saved as the playground's own JSON (the file the page
//! downloads, or the same JSON compressed into a link) and loaded back into a typed [`Trace`],
//! so that a page can first show exactly the run its text describes, then let the reader run
//! the same setup live and compare the two.
//!
//! Loading checks everything: the text must be a trace this playground wrote, its settings
//! must be valid, its tasks, workers and orders must agree with each other, and written back
//! it must give the very JSON it was read from (so the page shows nothing the file did not
//! say). A bad, truncated, too large or foreign file gets a [`LoadError`] that says which.
//!
//! In a link, a recording is the JSON compressed with DEFLATE (RFC 1951) and written in
//! base64url (RFC 4648 §5, no padding), as the value of [`LINK_PARAM`]; a file beside the
//! page is named by [`FILE_PARAM`].

use crate::model::config::{parse_query, Inputs};
use crate::model::errors::{reason_phrase, Fault, TaskError};
use crate::model::gil::GilSlice;
use crate::model::record::{ChunkRecord, DepthSample, ProcessStartup};
use crate::model::trace::{checksum, BaselineSource, Derived, RecordedOn, Trace};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt;

/// The query parameter that carries a recording in the link itself (compressed).
pub const LINK_PARAM: &str = "trace";
/// The query parameter that names a recording's file (relative, or on the page's origin).
pub const FILE_PARAM: &str = "recorded";
/// The largest recording read, bytes of JSON (a trace of some 50,000 tasks).
pub const MAX_RECORDING_BYTES: usize = 16 << 20;
/// The longest link "Share this run" writes, characters: longer links are cut or refused by
/// common servers (8 KiB of request line and headers), so a larger recording goes in a file.
pub const MAX_LINK_CHARS: usize = 8_000;
/// The key of the figures `playground.run` adds to a trace (derived from the rest).
const DERIVED_KEY: &str = "metrics";
/// The most workers (lanes) a recording may name.
const MAX_LANES: usize = 4_096;
/// Times of a recording lie within this many ms of the run's start (about 11 days).
const MAX_TIME_MS: f64 = 1e9;

/// Why a recording cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Nothing came.
    Empty,
    /// More than [`MAX_RECORDING_BYTES`].
    TooLarge {
        /// Its size, bytes (at least this many, when it was cut off while reading).
        bytes: usize,
    },
    /// The JSON ends before it is complete (a file cut off while copying or downloading).
    Truncated,
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not a trace of this playground (another tool's file, an export).
    Foreign(String),
    /// A trace saved before traces carried their machine's processor count.
    NoProcessorCount,
    /// A playground trace, but a field is missing, mistyped, or disagrees with the rest.
    Invalid(String),
    /// The link's recording cannot be decoded (cut off, or edited by hand).
    BadLink(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Empty => f.write_str("the recording is empty"),
            LoadError::TooLarge { bytes } => write!(
                f,
                "the recording is too large: {} MB (at most {} MB)",
                bytes.div_ceil(1 << 20),
                MAX_RECORDING_BYTES >> 20
            ),
            LoadError::Truncated => f.write_str(
                "the recording is cut off: its JSON ends before it is complete (copy or download the whole file again)",
            ),
            LoadError::NotJson(why) => write!(f, "the recording is not JSON ({why})"),
            LoadError::Foreign(what) => write!(
                f,
                "this is not a trace of the playground: {what}; save one with the playground's \"Trace (JSON)\" download or \"Share this run\""
            ),
            LoadError::NoProcessorCount => f.write_str(
                "this trace was saved by an earlier version of the playground, before traces said how many logical processors their machine had; record the run again",
            ),
            LoadError::Invalid(why) => write!(f, "the recording is not a valid trace: {why}"),
            LoadError::BadLink(why) => write!(
                f,
                "the link's recording cannot be read ({why}): the link was probably cut off or edited; ask for the whole link, or the recording's file"
            ),
        }
    }
}

/// Where the page's URL says a recording is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingSource {
    /// A file at this URL (as written: relative, or absolute on the page's origin).
    File(String),
    /// In the link itself, encoded by [`encode_for_link`].
    InLink(String),
}

/// The recording a page's query string (`?…&trace=…` or `?…&recorded=run.json`) names, if
/// any; the one in the link wins when both are given.
pub fn recording_source(query: &str) -> Option<RecordingSource> {
    let pairs = parse_query(query);
    let value_of = |name: &str| {
        pairs
            .iter()
            .find(|(key, value)| key.trim() == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_owned())
    };
    value_of(LINK_PARAM)
        .map(RecordingSource::InLink)
        .or_else(|| value_of(FILE_PARAM).map(RecordingSource::File))
}

/// The part of a query string that names a recording, as written (`&trace=…`, or empty): the
/// page keeps it in its address bar when it writes the settings there.
pub fn recording_params(query: &str) -> String {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| {
            let key = part.split_once('=').map_or(*part, |(key, _)| key).trim();
            key == LINK_PARAM || key == FILE_PARAM
        })
        .map(|part| format!("&{part}"))
        .collect()
}

/// The trace compressed for a link: its JSON, DEFLATE-compressed, in base64url.
pub fn encode_for_link(trace: &Trace) -> String {
    let json = serde_json::to_vec(trace).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
}

/// The JSON of a recording in a link (see [`encode_for_link`]).
pub fn decode_link(encoded: &str) -> Result<String, LoadError> {
    let encoded = encoded.trim();
    if encoded.is_empty() {
        return Err(LoadError::Empty);
    }
    let compressed = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|e| LoadError::BadLink(format!("not base64url: {e}")))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, MAX_RECORDING_BYTES)
        .map_err(|e| {
            if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput {
                LoadError::TooLarge {
                    bytes: MAX_RECORDING_BYTES + 1,
                }
            } else {
                LoadError::BadLink("its compressed data is incomplete or damaged".to_owned())
            }
        })?;
    String::from_utf8(json).map_err(|_| LoadError::BadLink("not UTF-8 text".to_owned()))
}

/// What "Share this run" gives: a link that holds the recording, or the size that keeps it
/// out of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    /// The link (the page's address, its settings, and the recording).
    Link(String),
    /// The link would have this many characters, more than [`MAX_LINK_CHARS`].
    TooLong(usize),
}

/// The link that opens `page` (its address without a query) on `trace`'s settings, showing
/// `trace` as recorded; or how long it would be, when that is too long for a link.
pub fn share_link(page: &str, trace: &Trace) -> Shared {
    let link = format!(
        "{page}?{}&{LINK_PARAM}={}",
        trace.query(),
        encode_for_link(trace)
    );
    if link.len() <= MAX_LINK_CHARS {
        Shared::Link(link)
    } else {
        Shared::TooLong(link.len())
    }
}

/// A trace's JSON as the playground writes it, read back: every key the playground writes.
/// The settings (`strategy`, `cost`, `workload`, `shape`, `seed`, `gil`) are checked against
/// `query`, from which they are rebuilt, when the trace is written back.
#[derive(Deserialize)]
struct TraceFile {
    query: String,
    strategy: String,
    workers: usize,
    /// Written since threads start per submit; older recordings have none.
    #[serde(default)]
    threads_started: Option<usize>,
    chunksize: usize,
    items: usize,
    isolated: bool,
    pool_threads: usize,
    started_at_ms: f64,
    wall_ms: f64,
    chunks: Vec<ChunkRecord>,
    worker_started_ms: Vec<f64>,
    arrived: Vec<usize>,
    delivered: Vec<usize>,
    delivered_ms: Vec<f64>,
    queue_depth: Vec<DepthSample>,
    gil_slices: Vec<GilSlice>,
    raised: Option<TaskError>,
    raised_item: Option<u64>,
    raised_at_ms: Option<f64>,
    cancelled: Vec<usize>,
    never_ran: Vec<u64>,
    stranded: Vec<usize>,
    #[serde(default)]
    unsubmitted: Vec<usize>,
    notes: Vec<String>,
    results_in_order: bool,
    checksum: u64,
    results: Option<Vec<u64>>,
    baseline_wall_ms: Option<f64>,
    baseline: Option<BaselineSource>,
    stopped: bool,
    #[serde(default)]
    processes: Option<ProcessStartup>,
    cpu_count: usize,
    #[serde(default)]
    recorded_on: Option<RecordedOn>,
}

/// A task error is written as its message (see `TaskError`'s `Serialize`); it is read back
/// from that message. A message of no known form is kept as written (an error of the page
/// itself, such as "the request did not finish"), so that the page shows it as it was.
impl<'de> Deserialize<'de> for TaskError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let message = String::deserialize(deserializer)?;
        Ok(task_error_from_message(&message))
    }
}

/// The task error whose message is `message` (the inverse of its `Display`).
fn task_error_from_message(message: &str) -> TaskError {
    let known = [
        TaskError::Cancelled { waiting: false },
        TaskError::Cancelled { waiting: true },
        TaskError::CancelledError,
        TaskError::NotStarted,
        TaskError::StoppedBeforeResponse,
        TaskError::Request(Fault::Network { cross_origin: true }),
        TaskError::Request(Fault::Network {
            cross_origin: false,
        }),
    ];
    if let Some(error) = known.into_iter().find(|e| e.to_string() == message) {
        return error;
    }
    if let Some(fault) = fault_from_message(message) {
        return TaskError::Request(fault);
    }
    if let Some(item) = message
        .strip_prefix("ValueError: bad item ")
        .and_then(|item| item.parse().ok())
    {
        return TaskError::Raised { item };
    }
    if let Some(item) = message
        .strip_prefix("Err(\"bad item ")
        .and_then(|rest| rest.strip_suffix("\")"))
        .and_then(|item| item.parse().ok())
    {
        return TaskError::Returned { item };
    }
    // `Unavailable` holds a message of the page's own code; one read from a file lives as
    // long as the page, as those do (a recording is loaded once).
    TaskError::Unavailable(Box::leak(message.to_owned().into_boxed_str()))
}

/// The HTTP, URL or timeout fault whose message is `message`.
fn fault_from_message(message: &str) -> Option<Fault> {
    if let Some(rest) = message.strip_prefix("HTTP ") {
        let (status, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let status: u16 = status.parse().ok()?;
        // A server that sent no reason is shown with the standard phrase.
        let reason = if reason == reason_phrase(status) {
            String::new()
        } else {
            reason.to_owned()
        };
        return Some(Fault::Http { status, reason });
    }
    if let Some(rest) = message.strip_prefix("malformed URL '") {
        let (url, why) = rest.split_once("': ")?;
        return Some(Fault::MalformedUrl {
            url: url.to_owned(),
            why: why.to_owned(),
        });
    }
    let after_ms = message
        .strip_prefix("TimeoutError: not finished within ")?
        .strip_suffix(" ms (aborted)")?;
    Some(Fault::Timeout {
        after_ms: after_ms.parse().ok()?,
    })
}

/// Loads a recording: the playground's trace JSON, checked (see the module's documentation).
pub fn load_trace(json: &str) -> Result<Trace, LoadError> {
    if json.len() > MAX_RECORDING_BYTES {
        return Err(LoadError::TooLarge { bytes: json.len() });
    }
    if json.trim().is_empty() {
        return Err(LoadError::Empty);
    }
    let value: Value = serde_json::from_str(json).map_err(|e| {
        if e.is_eof() {
            LoadError::Truncated
        } else {
            LoadError::NotJson(e.to_string())
        }
    })?;
    recognise(&value)?;
    // What `playground.run` resolves with also holds the run's figures, which follow from the
    // rest: the page computes them anew from the tasks.
    let mut value = value;
    if let Some(object) = value.as_object_mut() {
        object.remove(DERIVED_KEY);
    }
    let file: TraceFile = serde_path_to_error::deserialize(&value)
        .map_err(|e| LoadError::Invalid(format!("its '{}': {}", e.path(), e.inner())))?;
    let trace = trace_of(file)?;
    check(&trace).map_err(LoadError::Invalid)?;
    let written = serde_json::to_value(&trace).map_err(|e| LoadError::Invalid(e.to_string()))?;
    match first_difference(&value, &written) {
        None => Ok(trace),
        Some(key) => Err(LoadError::Invalid(format!(
            "its '{key}' does not agree with the rest of the trace (or is not one the playground writes)"
        ))),
    }
}

/// Whether `value` looks like a playground trace at all; if not, what it looks like.
fn recognise(value: &Value) -> Result<(), LoadError> {
    let Some(object) = value.as_object() else {
        return Err(LoadError::Foreign(format!(
            "it is a JSON {}, not an object",
            json_kind(value)
        )));
    };
    if object.contains_key("traceEvents") {
        return Err(LoadError::Foreign(
            "it is a Chrome Trace Event file (the playground exports those, but cannot read them back)".to_owned(),
        ));
    }
    let missing: Vec<&str> = ["strategy", "query", "chunks"]
        .into_iter()
        .filter(|key| !object.contains_key(*key))
        .collect();
    if !missing.is_empty() {
        return Err(LoadError::Foreign(format!(
            "it has no {}",
            missing.join(", no ")
        )));
    }
    if !object.contains_key("cpu_count") {
        return Err(LoadError::NoProcessorCount);
    }
    Ok(())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The typed trace of a file whose settings are valid and name its strategy.
fn trace_of(file: TraceFile) -> Result<Trace, LoadError> {
    let config = Inputs::from_query(&file.query)
        .validate()
        .map_err(|invalid| LoadError::Invalid(format!("its settings are not valid: {invalid}")))?;
    if config.strategy.name() != file.strategy {
        return Err(LoadError::Invalid(format!(
            "its strategy '{}' is not the one its query names ({})",
            file.strategy,
            config.strategy.name()
        )));
    }
    Ok(Trace {
        config,
        workers: file.workers,
        threads_started: file.threads_started,
        chunksize: file.chunksize,
        items: file.items,
        isolated: file.isolated,
        pool_threads: file.pool_threads,
        started_at_ms: file.started_at_ms,
        wall_ms: file.wall_ms,
        chunks: file.chunks,
        worker_started_ms: file.worker_started_ms,
        arrived: file.arrived,
        delivered: file.delivered,
        delivered_ms: file.delivered_ms,
        queue_depth: file.queue_depth,
        gil_slices: file.gil_slices,
        raised: file.raised,
        raised_item: file.raised_item,
        raised_at_ms: file.raised_at_ms,
        cancelled: file.cancelled,
        never_ran: file.never_ran,
        stranded: file.stranded,
        unsubmitted: file.unsubmitted,
        notes: file.notes,
        results_in_order: file.results_in_order,
        checksum: file.checksum,
        results: file.results,
        baseline_wall_ms: file.baseline_wall_ms,
        baseline: file.baseline,
        stopped: file.stopped,
        processes: file.processes,
        cpu_count: file.cpu_count,
        recorded_on: file.recorded_on,
        derived: Derived::default(),
    })
}

/// Whether a time is one a run can have recorded, ms since its start.
fn plausible_ms(ms: f64) -> bool {
    ms.is_finite() && (-1_000.0..=MAX_TIME_MS).contains(&ms)
}

/// The rules every trace the playground writes keeps, so that every view can draw it: the
/// first one broken, said plainly.
fn check(trace: &Trace) -> Result<(), String> {
    let workers = trace.workers;
    if !(1..=MAX_LANES).contains(&workers) {
        return Err(format!("it names {workers} workers (1 to {MAX_LANES})"));
    }
    let lanes = trace.lanes();
    if lanes > workers {
        return Err(format!("it started {lanes} threads of {workers}"));
    }
    if !(1..=MAX_LANES).contains(&trace.cpu_count) {
        return Err(format!(
            "its machine has {} logical processors (1 to {MAX_LANES})",
            trace.cpu_count
        ));
    }
    if trace.pool_threads > MAX_LANES {
        return Err(format!("its pool has {} threads", trace.pool_threads));
    }
    if !plausible_ms(trace.wall_ms) || trace.wall_ms < 0.0 {
        return Err(format!("its wall time is {} ms", trace.wall_ms));
    }
    let mut previous = None;
    for chunk in &trace.chunks {
        let at = format!("task {}", chunk.index);
        if previous.is_some_and(|p| chunk.index <= p) {
            return Err(format!("its tasks are not in index order (at {at})"));
        }
        previous = Some(chunk.index);
        if chunk.worker >= lanes {
            return Err(format!("{at} ran on worker {} of {lanes}", chunk.worker));
        }
        if chunk
            .first_item
            .checked_add(chunk.len)
            .is_none_or(|end| end > trace.items)
        {
            return Err(format!(
                "{at} holds items {}..{} of {}",
                chunk.first_item,
                chunk.first_item.saturating_add(chunk.len),
                trace.items
            ));
        }
        let times = [
            chunk.start_ms,
            chunk.end_ms,
            chunk.transfer_ms,
            chunk.gil_wait_ms,
        ];
        if !times.into_iter().all(plausible_ms) || chunk.end_ms < chunk.start_ms {
            return Err(format!(
                "{at} runs from {} ms to {} ms",
                chunk.start_ms, chunk.end_ms
            ));
        }
    }
    if trace.worker_started_ms.len() > lanes
        || !trace.worker_started_ms.iter().all(|&t| plausible_ms(t))
    {
        return Err("its workers' start times do not fit its workers".to_owned());
    }
    for (name, order) in [("arrived", &trace.arrived), ("delivered", &trace.delivered)] {
        if let Some(index) = order.iter().find(|&&i| trace.chunk(i).is_none()) {
            return Err(format!(
                "'{name}' names task {index}, which it does not hold"
            ));
        }
    }
    if trace.delivered_ms.len() != trace.delivered.len()
        || !trace.delivered_ms.iter().all(|&t| plausible_ms(t))
    {
        return Err("'delivered_ms' does not give a time for each delivered task".to_owned());
    }
    if !trace.queue_depth.iter().all(|s| plausible_ms(s.t_ms)) {
        return Err("a queue depth sample has no plausible time".to_owned());
    }
    if let Some(slice) = trace.gil_slices.iter().find(|s| {
        s.worker >= lanes
            || ![s.asked_ms, s.start_ms, s.end_ms]
                .into_iter()
                .all(plausible_ms)
            || s.end_ms < s.start_ms
    }) {
        return Err(format!(
            "a GIL slice of worker {} does not fit the run",
            slice.worker
        ));
    }
    if let Some(results) = &trace.results {
        if results.len() != trace.items {
            return Err(format!(
                "it lists {} results for {} items",
                results.len(),
                trace.items
            ));
        }
        if checksum(results) != trace.checksum {
            return Err("its checksum is not the sum of its results".to_owned());
        }
    }
    if let Some(processes) = &trace.processes {
        if processes.startup_ms.len() != processes.started_by_run.len()
            || processes.startup_ms.len() > MAX_LANES
        {
            return Err("its processes' start-up times do not fit its processes".to_owned());
        }
    }
    if let Some(recorded_on) = &trace.recorded_on {
        if recorded_on.date.len() > 64 || recorded_on.browser.len() > 200 {
            return Err("its date or browser is longer than a date or a browser's name".to_owned());
        }
    }
    Ok(())
}

/// The first key (a path such as `chunks[3].worker`) where two JSON values differ.
fn first_difference(read: &Value, written: &Value) -> Option<String> {
    match (read, written) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .find_map(|(key, value)| match b.get(key) {
                None => Some(key.clone()),
                Some(other) => first_difference(value, other).map(|inner| join(key, &inner)),
            })
            .or_else(|| b.keys().find(|key| !a.contains_key(*key)).cloned()),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| {
                first_difference(x, y).map(|inner| join(&format!("[{i}]"), &inner))
            })
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        (a, b) if a == b => None,
        _ => Some(String::new()),
    }
}

fn join(outer: &str, inner: &str) -> String {
    match (inner.is_empty(), inner.starts_with('[')) {
        (true, _) => outer.to_owned(),
        (false, true) => format!("{outer}{inner}"),
        (false, false) => format!("{outer}.{inner}"),
    }
}

/// The browser of a user agent string, by name and major version (`Chrome 131`,
/// `Firefox 133`, `Safari 18`), or the first word of it when it is none of the common ones.
pub fn browser_name(user_agent: &str) -> String {
    let version_after = |marker: &str| {
        user_agent.split(marker).nth(1).map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    };
    let known = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ];
    for (marker, name) in known {
        if let Some(version) = version_after(marker).filter(|v| !v.is_empty()) {
            return format!("{name} {version}");
        }
    }
    user_agent
        .split_whitespace()
        .next()
        .unwrap_or("an unknown browser")
        .chars()
        .take(40)
        .collect()
}

/// The date and time of an ISO 8601 timestamp in UTC, as a reader reads it
/// (`2026-11-30 01:30 UTC`), or the text as given when it is not one.
pub fn readable_date(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16), iso.ends_with('Z')) {
        (Some(day), Some(time), true) if iso.as_bytes().get(10) == Some(&b'T') => {
            format!("{day} {time} UTC")
        }
        _ => iso.to_owned(),
    }
}

/// What a recorded run is, said where it is shown: that it was recorded and not run here,
/// on how many logical processors, and when and in which browser when the recording says.
pub fn recorded_label(trace: &Trace) -> String {
    let processors = match trace.cpu_count {
        1 => "1 logical processor".to_owned(),
        n => format!("{n} logical processors"),
    };
    let when = trace.recorded_on.as_ref().map_or(String::new(), |on| {
        format!(", on {}, in {}", readable_date(&on.date), on.browser)
    });
    format!(
        "This run was recorded on a machine with {processors}{when}, not run on this page: its lanes, times and figures are the recording's."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_says_where_and_when_it_ran() {
        let config = Inputs::from_query("workers=2").validate().unwrap();
        let mut trace = crate::model::trace::tests::trace_for(&config, 10.0);
        trace.cpu_count = 8;
        assert_eq!(
            recorded_label(&trace),
            "This run was recorded on a machine with 8 logical processors, not run on this page: its lanes, times and figures are the recording's."
        );
        trace.cpu_count = 1;
        trace.recorded_on = Some(RecordedOn {
            date: "2026-11-30T01:30:12.345Z".to_owned(),
            browser: "Firefox 133".to_owned(),
        });
        assert!(recorded_label(&trace).starts_with(
            "This run was recorded on a machine with 1 logical processor, on 2026-11-30 01:30 UTC, in Firefox 133, not run"
        ));
        assert_eq!(readable_date("yesterday"), "yesterday");
    }

    #[test]
    fn a_process_run_loads_back_with_its_phases_and_start_ups() {
        use crate::model::record::{ProcessChunkTimes, ProcessReplacement};
        let mut trace = crate::model::trace::tests::trace_of(
            &[(0, 0, 0.0, 4.0), (1, 1, 0.5, 3.0), (0, 0, 4.0, 6.0)],
            &[1, 0, 2],
        );
        for chunk in &mut trace.chunks {
            chunk.process = Some(ProcessChunkTimes {
                queue_ms: 0.25,
                pipe_ms: 0.125,
                send_ms: 0.5,
                compute_ms: chunk.duration_ms() - 1.0,
                return_ms: 0.5,
            });
        }
        trace.chunks[1].stopped = true;
        // The settings as its link gives them (the helper's config gives fewer).
        trace.config = Inputs::from_query(&trace.query()).validate().unwrap();
        trace.processes = Some(ProcessStartup {
            startup_ms: vec![Some(12.5), None],
            started_by_run: vec![true, false],
            replacements: vec![ProcessReplacement {
                process: 1,
                died_ms: 2.0,
                ready_ms: Some(2.75),
            }],
        });
        let json = serde_json::to_string(&trace).unwrap();
        assert!(json.contains("\"compute_ms\":3.0"));
        assert_eq!(load_trace(&json).unwrap(), trace);
        // As `playground.run` resolves with it: with its figures, which are computed anew.
        let mut with_figures = serde_json::to_value(&trace).unwrap();
        with_figures["metrics"] = serde_json::json!({ "wall_ms": 1.0 });
        assert_eq!(load_trace(&with_figures.to_string()).unwrap(), trace);
    }

    #[test]
    fn a_task_error_is_read_back_from_its_message() {
        let errors = [
            TaskError::Request(Fault::Http {
                status: 404,
                reason: String::new(),
            }),
            TaskError::Request(Fault::Http {
                status: 418,
                reason: "I'm a teapot".to_owned(),
            }),
            TaskError::Request(Fault::Network { cross_origin: true }),
            TaskError::Request(Fault::Network {
                cross_origin: false,
            }),
            TaskError::Request(Fault::MalformedUrl {
                url: "http://[x".to_owned(),
                why: "Invalid URL".to_owned(),
            }),
            TaskError::Request(Fault::Timeout { after_ms: 250 }),
            TaskError::Cancelled { waiting: true },
            TaskError::Cancelled { waiting: false },
            TaskError::CancelledError,
            TaskError::NotStarted,
            TaskError::StoppedBeforeResponse,
            TaskError::Unavailable("the request did not finish"),
            TaskError::Raised { item: 12 },
            TaskError::Returned { item: 7 },
        ];
        for error in errors {
            assert_eq!(task_error_from_message(&error.to_string()), error);
        }
    }

    #[test]
    fn the_recording_is_named_by_the_query_and_kept_in_the_address_bar() {
        assert_eq!(
            recording_source("?strategy=Pool.map&recorded=runs/a%20b.json"),
            Some(RecordingSource::File("runs/a b.json".to_owned()))
        );
        assert_eq!(
            recording_source("?recorded=a.json&trace=abc"),
            Some(RecordingSource::InLink("abc".to_owned()))
        );
        assert_eq!(recording_source("?strategy=Pool.map&trace="), None);
        assert_eq!(
            recording_params("?strategy=Pool.map&trace=xy_-&workers=2&recorded=a.json"),
            "&trace=xy_-&recorded=a.json"
        );
        assert_eq!(recording_params("?workers=2"), "");
    }

    #[test]
    fn the_browser_is_named_with_its_major_version() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 Safari/537.36";
        assert_eq!(browser_name(chrome), "Chrome 131");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_name(firefox), "Firefox 133");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
        assert_eq!(browser_name(safari), "Safari 18");
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70";
        assert_eq!(browser_name(edge), "Edge 131");
        assert_eq!(browser_name("curl/8.0"), "curl/8.0");
    }

    #[test]
    fn a_bad_link_says_so() {
        assert_eq!(decode_link(""), Err(LoadError::Empty));
        assert!(matches!(
            decode_link("not base64!"),
            Err(LoadError::BadLink(_))
        ));
        let encoded =
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(b"{\"a\":1}", 9));
        assert_eq!(decode_link(&encoded).as_deref(), Ok("{\"a\":1}"));
        let cut = &encoded[..encoded.len() - 3];
        assert!(matches!(decode_link(cut), Err(LoadError::BadLink(_))));
        // A small link that inflates past the limit (a "zip bomb") is refused, not inflated.
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(
            &vec![b' '; MAX_RECORDING_BYTES + 10],
            9,
        ));
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            decode_link(&bomb),
            Err(LoadError::TooLarge { .. })
        ));
    }
}
