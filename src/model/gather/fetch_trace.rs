//! The trace of a finished run of fetches, in the form every strategy has (the event loop is
//! the one worker, each request one task), its notes, and its figures ([`FetchFigures`]).

use crate::model::config::RunConfig;
use crate::model::gather::{Awaited, FetchRun, Mode, Outcome};
use crate::model::record::{ChunkRecord, Recording, RunFacts};
use crate::model::trace::Trace;

impl FetchRun {
    /// The trace of the finished run, in the form every strategy has: the event loop is the
    /// one worker, each request one task (its index is its argument position).
    pub fn into_trace(self, config: &RunConfig, facts: RunFacts) -> Trace {
        let notes = self.notes(config);
        let gathered = self.gathered();
        let results: Vec<u64> = gathered.iter().map(|r| *r.as_ref().unwrap_or(&0)).collect();
        let chunks: Vec<ChunkRecord> = self
            .ends
            .iter()
            .enumerate()
            .map(|(index, end)| {
                let (end_ms, outcome) = end
                    .clone()
                    .unwrap_or((facts.wall_ms, Outcome::Cancelled { waiting: false }));
                ChunkRecord {
                    index,
                    first_item: index,
                    len: 1,
                    worker: 0,
                    thread: 0,
                    start_ms: self.starts[index].unwrap_or(end_ms),
                    end_ms,
                    transfer_ms: 0.0,
                    gil_wait_ms: 0.0,
                    error: outcome.error(),
                    stopped: false,
                    process: None,
                }
            })
            .collect();
        // The list is in argument order when each place holds its own request's outcome.
        let results_in_order = results.len() == chunks.len()
            && self.ends.iter().zip(&results).all(|(end, &r)| match end {
                Some((_, Outcome::Bytes(bytes))) => *bytes == r,
                _ => r == 0,
            });
        let (delivered, delivered_ms, raised) = match self.awaited {
            Awaited::Pending => (Vec::new(), Vec::new(), None),
            Awaited::Returned { at_ms } => {
                ((0..chunks.len()).collect(), vec![at_ms; chunks.len()], None)
            }
            Awaited::Raised {
                position,
                error,
                at_ms,
            } => (vec![position], vec![at_ms], Some(error)),
        };
        let recording = Recording {
            workers: 1,
            threads_started: None,
            chunksize: 1,
            items: chunks.len(),
            chunks,
            worker_started_ms: vec![0.0],
            arrived: self.arrived,
            delivered,
            delivered_ms,
            queue_depth: Vec::new(),
            gil_slices: Vec::new(),
            raised,
            notes,
            results,
            results_listed: true,
            raised_at_ms: None,
            cancelled: Vec::new(),
            stranded: Vec::new(),
            unsubmitted: Vec::new(),
            results_in_order,
            stopped: self.cancel_requested || self.cancelled_after_done,
        };
        Trace::new(config, facts, recording)
    }

    fn notes(&self, config: &RunConfig) -> Vec<String> {
        let fetch = &config.fetch;
        let mut notes = vec![
            "The event loop is the page's own thread: each request is the browser's fetch(), awaited as a Rust future (wasm-bindgen-futures). No Web Worker is used.".to_owned(),
        ];
        if fetch.latency_ms > 0 {
            notes.push(format!(
                "Added latency: the playground waits {} ms on a timer after each response's headers arrive and before its body is read. It is not network time.",
                fetch.latency_ms
            ));
        }
        if let Some(timeout) = fetch.timeout_ms {
            notes.push(format!(
                "Timeout: a request not finished after {timeout} ms is aborted (AbortController) and ends with TimeoutError, as inside asyncio.timeout({}).",
                f64::from(timeout) / 1000.0
            ));
        }
        if let Mode::Gather { limit: Some(limit) } = self.mode {
            notes.push(format!(
                "asyncio.Semaphore({limit}): every task is created at once; at most {limit} hold the semaphore, the others wait in FIFO order (the hatched part of a row) and start as one releases it."
            ));
        }
        if self.cancel_requested {
            notes.push(match self.mode {
                Mode::Gather { .. } => "Cancelled: gather.cancel() cancelled every unfinished request (their fetches aborted with AbortController), and the awaiter got CancelledError.",
                Mode::Sequential => "Cancelled: the request being awaited was cancelled (its fetch aborted with AbortController), the awaiter got CancelledError, and the rest never started.",
            }.to_owned());
        } else if matches!(self.awaited, Awaited::Raised { .. })
            && !self.return_exceptions
            && self.mode != Mode::Sequential
        {
            notes.push("return_exceptions=False: the awaiter got the first exception at once; the other requests were not cancelled and were recorded finishing.".to_owned());
        }
        if self.cancelled_after_done {
            notes.push("Cancel came after gather had already raised: in CPython cancel() on a done gather does nothing, so the leftover requests were aborted as asyncio.run() cancels the tasks left when it ends.".to_owned());
        }
        notes
    }
}

/// The figures of a fetch run, read from its trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FetchFigures {
    /// From the call until the last request ended, ms.
    pub wall_ms: f64,
    /// Sum of the requests' own times (start to end), ms: about what awaiting them one after
    /// another takes.
    pub sum_ms: f64,
    /// The slowest request, ms: about what a gather of them all takes.
    pub slowest_ms: f64,
    /// `sum_ms / wall_ms`: how many requests were in flight on average.
    pub overlap: f64,
    /// Most requests in flight at the same moment.
    pub peak_in_flight: usize,
    /// When the awaiter got its list or its exception, ms since the start.
    pub answered_ms: Option<f64>,
}

impl FetchFigures {
    /// The figures of `trace`.
    pub fn of(trace: &Trace) -> Self {
        let durations = trace.chunks.iter().map(ChunkRecord::duration_ms);
        let sum_ms: f64 = durations.clone().sum();
        let slowest_ms = durations.fold(0.0, f64::max);
        Self {
            wall_ms: trace.wall_ms,
            sum_ms,
            slowest_ms,
            overlap: if trace.wall_ms > 0.0 {
                sum_ms / trace.wall_ms
            } else {
                0.0
            },
            peak_in_flight: trace.metrics().peak_parallelism,
            answered_ms: trace.delivered_ms.iter().copied().reduce(f64::max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gather::tests::{config, facts, gather, not_found, timeout};
    use crate::model::strategy::Strategy;

    #[test]
    fn the_trace_has_the_event_loop_as_its_one_worker_and_one_task_per_request() {
        let run = gather(
            false,
            &[
                (300.0, Outcome::Bytes(1024)),
                (50.0, not_found()),
                (200.0, Outcome::Bytes(16384)),
            ],
        );
        let config = config("strategy=asyncio.gather&requests=3&latency_ms=100&timeout_ms=500");
        let trace = run.into_trace(&config, facts(301.0));
        assert_eq!(trace.strategy(), Strategy::AsyncioGather);
        assert_eq!(
            (trace.workers, trace.items, trace.config.fetch.latency_ms),
            (1, 3, 100)
        );
        assert_eq!(trace.chunks.len(), 3);
        assert!(trace
            .chunks
            .iter()
            .all(|c| c.worker == 0 && c.thread == 0 && c.len == 1));
        assert_eq!(trace.chunks[1].error, not_found().error());
        assert_eq!(
            trace.chunks[1]
                .error
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("HTTP 404 Not Found")
        );
        assert_eq!(trace.chunks[1].end_ms, 50.0);
        assert_eq!(trace.arrived, [1, 2, 0]);
        assert_eq!(trace.delivered, [1]);
        assert_eq!(trace.delivered_ms, [50.0]);
        assert_eq!(trace.raised, not_found().error());
        assert_eq!(trace.results.as_deref(), Some(&[1024, 0, 16384][..]));
        assert_eq!(trace.checksum, 17408);
        assert!(trace.results_in_order);
        assert_eq!(trace.wall_ms, 301.0);
        assert!(trace.notes.iter().any(|n| n.starts_with("Added latency")));
        assert!(trace.notes.iter().any(|n| n.contains("were not cancelled")));
    }

    #[test]
    fn a_returned_list_reaches_the_awaiter_whole_when_the_last_request_is_back() {
        let run = gather(true, &[(30.0, Outcome::Bytes(5)), (10.0, timeout())]);
        let trace = run.into_trace(
            &config("strategy=asyncio.gather&requests=2&latency_ms=0"),
            facts(31.0),
        );
        assert_eq!(trace.delivered, [0, 1]);
        assert_eq!(trace.delivered_ms, [30.0, 30.0]);
        assert_eq!(trace.raised, None);
        assert!(!trace.notes.iter().any(|n| n.starts_with("Added latency")));
    }

    #[test]
    fn gathers_wall_time_is_about_the_slowest_request_and_sequential_about_the_sum() {
        let gathered = gather(
            false,
            &[
                (100.0, Outcome::Bytes(1)),
                (110.0, Outcome::Bytes(1)),
                (105.0, Outcome::Bytes(1)),
            ],
        )
        .into_trace(&config("strategy=asyncio.gather&requests=3"), facts(110.0));
        let figures = FetchFigures::of(&gathered);
        assert_eq!((figures.slowest_ms, figures.sum_ms), (110.0, 315.0));
        assert_eq!(figures.peak_in_flight, 3);
        assert!((figures.overlap - 315.0 / 110.0).abs() < 1e-9);

        let mut sequential = FetchRun::new(Mode::Sequential, 3, false);
        sequential.start(0.0);
        for (position, t) in [(0, 100.0), (1, 210.0), (2, 315.0)] {
            sequential.finished(position, Outcome::Bytes(1), t);
        }
        let trace = sequential.into_trace(&config("strategy=sequential&requests=3"), facts(315.0));
        let figures = FetchFigures::of(&trace);
        assert_eq!(
            (figures.wall_ms, figures.sum_ms, figures.peak_in_flight),
            (315.0, 315.0, 1)
        );
        assert_eq!(figures.answered_ms, Some(315.0));
    }
}
