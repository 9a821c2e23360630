//! A fetch run (`asyncio.gather`, `sequential`): the event loop's one lane with a row per
//! request (when it started and ended, and how), the moment the awaiter got its list or its
//! exception, the gathered list in argument order, and the figures that carry the lesson.

use crate::model::errors::TaskError;
use crate::model::files::request_url;
use crate::model::gather::fetch_trace::FetchFigures;
use crate::model::record::ChunkRecord;
use crate::model::strategy::HandOutRule;
use crate::model::trace::Trace;
use crate::model::words::group_digits;
use crate::model::words::{count, ms, number};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`RequestsView`].
#[derive(Properties, PartialEq)]
pub struct RequestsViewProps {
    /// The run.
    pub trace: Rc<Trace>,
}

/// How a request ended, as a CSS class and `data-outcome`.
fn outcome_class(chunk: &ChunkRecord) -> &'static str {
    match &chunk.error {
        None => "ok",
        Some(TaskError::Cancelled { .. } | TaskError::CancelledError) => "cancelled",
        Some(TaskError::NotStarted) => "not-started",
        Some(
            TaskError::Request(_)
            | TaskError::StoppedBeforeResponse
            | TaskError::Unavailable(_)
            | TaskError::Raised { .. }
            | TaskError::Returned { .. },
        ) => "failed",
    }
}

/// A short label for a bar: the size read, or the kind of failure.
fn short_label(chunk: &ChunkRecord, bytes: Option<u64>) -> String {
    match &chunk.error {
        None => bytes.map(size_label).unwrap_or_default(),
        Some(error) => error.short_label(),
    }
}

/// `1 KB`, `256 KB`, `1.5 MB`, or bytes below 1 KiB.
fn size_label(bytes: u64) -> String {
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{:.0} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

/// A percentage of the time axis.
fn percent(t_ms: f64, scale_ms: f64) -> f64 {
    (t_ms / scale_ms * 100.0).clamp(0.0, 100.0)
}

/// The event loop's lane, the gathered list and the figures of a fetch run.
#[function_component]
pub fn RequestsView(props: &RequestsViewProps) -> Html {
    let trace = &props.trace;
    let fetch = &trace.config.fetch;
    let urls = &fetch.urls;
    let one_at_a_time = matches!(
        trace.strategy().rule().hand_out,
        HandOutRule::EventLoop {
            one_at_a_time: true
        }
    );
    let limited = fetch.limit.filter(|_| !one_at_a_time);
    let figures = FetchFigures::of(trace);
    let answered_ms = figures.answered_ms;
    let scale_ms = trace
        .chunks
        .iter()
        .map(|c| c.end_ms)
        .chain([trace.wall_ms])
        .chain(answered_ms)
        .fold(1.0, f64::max);
    let mut arrival_rank = vec![None; trace.chunks.len()];
    for (rank, &position) in trace.arrived.iter().enumerate() {
        if let Some(slot) = arrival_rank.get_mut(position) {
            *slot = Some(rank);
        }
    }
    let results = trace.results.clone().unwrap_or_default();
    let raised_by = trace.raised.as_ref().and(trace.delivered.first().copied());
    let answer = match (&trace.raised, answered_ms) {
        (Some(error), Some(at)) => format!(
            "The awaiter got an exception at {at:.1} ms, instead of a list: {error} (from request #{}).",
            raised_by.unwrap_or_default()
        ),
        (None, Some(at)) => format!(
            "The awaiter got the whole list at {at:.1} ms, when the last request was back."
        ),
        _ => "The awaiter got nothing.".to_owned(),
    };
    let latency = if fetch.latency_ms > 0 {
        format!(
            " Each bar includes {} ms of latency added by the playground (a timer before the body is read).",
            group_digits(u64::from(fetch.latency_ms))
        )
    } else {
        String::new()
    };
    let how = if one_at_a_time {
        "awaited one after another: each request starts when the one before it is done.".to_owned()
    } else if let Some(limit) = limited {
        format!("all created at once; a semaphore lets at most {limit} be in flight, the others wait (hatched).")
    } else {
        "all in flight at once, on one thread.".to_owned()
    };
    let ticks = (0..=4).map(|i| scale_ms * f64::from(i) / 4.0);
    html! {
        <>
        <figure class="strip requests" id="requests">
            <figcaption>
                <strong>{ "The event loop (one thread)" }</strong>
                { format!(" — {}, {how}{latency}", count(trace.chunks.len(), "request")) }
            </figcaption>
            <div class="request-axis" aria-hidden="true">
                <span class="request-label"></span>
                <span class="request-track">
                    { for ticks.map(|t| html! {
                        <span class="tick" style={format!("left:{:.2}%", percent(t, scale_ms))}>{ ms(t, 0) }</span>
                    }) }
                </span>
            </div>
            <ol class="request-rows">
                { for trace.chunks.iter().map(|chunk| {
                    let position = chunk.index;
                    let class = outcome_class(chunk);
                    let bytes = results.get(position).copied().filter(|_| chunk.error.is_none());
                    let left = percent(chunk.start_ms, scale_ms);
                    let width = (percent(chunk.end_ms, scale_ms) - left).max(0.3);
                    let waited = limited.is_some() && chunk.start_ms > 0.5;
                    let never_ran = class == "not-started"
                        || chunk.error == Some(TaskError::Cancelled { waiting: true });
                    // Only requests that ran to an end are ranked; cancelled ones were stopped.
                    let rank = arrival_rank[position].filter(|_| matches!(class, "ok" | "failed"));
                    let title = format!(
                        "request #{position}: {} from {} to {} ({}){}",
                        chunk.error.as_ref().map_or_else(|| format!("{} bytes", group_digits(bytes.unwrap_or(0))), ToString::to_string),
                        number(chunk.start_ms, 1),
                        ms(chunk.end_ms, 1),
                        ms(chunk.duration_ms(), 1),
                        rank.map(|r| format!(", finished {}", ordinal(r + 1))).unwrap_or_default()
                    );
                    html! {
                        <li class={classes!("request-row", class, (raised_by == Some(position)).then_some("raised"))}
                            data-position={position.to_string()}
                            data-outcome={class}>
                            <span class="request-label" title={request_url(position, urls)}>
                                { format!("#{position} {}", request_url(position, urls)) }
                            </span>
                            <span class="request-track">
                                if waited {
                                    <span class="request-wait" style={format!("left:0;width:{left:.2}%")}
                                        title={format!("waiting for the semaphore until {}", ms(chunk.start_ms, 1))}>
                                        if never_ran { <span>{ "waited for the semaphore, then cancelled" }</span> }
                                    </span>
                                }
                                if class == "not-started" {
                                    <span class="request-note" {title}>{ "never started" }</span>
                                } else if !never_ran {
                                    <span class={classes!("request-bar", class)}
                                        style={format!("left:{left:.2}%;width:{width:.2}%")}
                                        {title}>
                                        { short_label(chunk, bytes) }
                                    </span>
                                }
                                if let Some(rank) = rank {
                                    <span class="request-done" style={format!("left:{:.2}%", percent(chunk.end_ms, scale_ms))}
                                        data-rank={(rank + 1).to_string()}>
                                        { ordinal(rank + 1) }
                                    </span>
                                }
                                if let Some(at) = answered_ms {
                                    <span class={classes!("awaiter-line", trace.raised.is_some().then_some("raised"))}
                                        style={format!("left:{:.2}%", percent(at, scale_ms))}></span>
                                }
                            </span>
                        </li>
                    }
                }) }
            </ol>
            <p class={classes!("awaiter", trace.raised.is_some().then_some("raised"))} id="awaiter">
                <span class="awaiter-key"></span>{ answer }
            </p>
        </figure>
        <GatheredList trace={Rc::clone(trace)} />
        <FetchFiguresView trace={Rc::clone(trace)} />
        </>
    }
}

/// The gathered list in argument order: each place holds its request's result or error.
#[function_component]
fn GatheredList(props: &RequestsViewProps) -> Html {
    let trace = &props.trace;
    let results = trace.results.clone().unwrap_or_default();
    let answered_ms = trace.delivered_ms.iter().copied().reduce(f64::max);
    let caption = match (&trace.raised, answered_ms) {
        (Some(error), Some(at)) => format!(
            " — not delivered: the awaiter got {error} at {at:.1} ms instead. Each place shows what its request ended with; nothing was lost."
        ),
        _ => " — delivered in argument order, whatever order the requests finished in. With return_exceptions=True an error takes its request's place.".to_owned(),
    };
    let raised_by = trace.raised.as_ref().and(trace.delivered.first().copied());
    html! {
        <figure class="strip gathered">
            <figcaption><strong>{ "The gathered list" }</strong>{ caption }</figcaption>
            <ol class="gathered-list" id="gathered">
                { for trace.chunks.iter().map(|chunk| {
                    let position = chunk.index;
                    let class = outcome_class(chunk);
                    let text = match &chunk.error {
                        None => format!("{} bytes", group_digits(results.get(position).copied().unwrap_or(0))),
                        Some(error) => error.to_string(),
                    };
                    html! {
                        <li class={classes!("gathered-cell", class, (raised_by == Some(position)).then_some("raised"))}
                            data-position={position.to_string()}
                            data-outcome={class}>
                            <span class="gathered-index">{ format!("[{position}]") }</span>
                            <span class="gathered-value">{ text }</span>
                            if class != "not-started" {
                                <span class="gathered-at">{ format!("ended at {}", ms(chunk.end_ms, 1)) }</span>
                            }
                        </li>
                    }
                }) }
            </ol>
        </figure>
    }
}

/// Wall time against the slowest request and the sum of request times.
#[function_component]
fn FetchFiguresView(props: &RequestsViewProps) -> Html {
    let trace = &props.trace;
    let f = FetchFigures::of(trace);
    let cancelled = if trace.raised == Some(TaskError::CancelledError) {
        format!("Cancelled at {}. ", ms(f.wall_ms, 1))
    } else {
        String::new()
    };
    let lesson = if f.slowest_ms > 0.0 && f.sum_ms > 0.0 {
        format!(
            "{cancelled}Wall time is {:.2}× the slowest request and {:.0}% of the sum of request times: {}",
            f.wall_ms / f.slowest_ms,
            f.wall_ms / f.sum_ms * 100.0,
            if f.peak_in_flight > 1 {
                format!(
                    "up to {} requests overlapped on one thread, with no other thread.",
                    f.peak_in_flight
                )
            } else {
                "one request at a time, so the waits add up.".to_owned()
            }
        )
    } else {
        format!("{cancelled}No request ran long enough to compare.")
    };
    html! {
        <section class="fetch-figures">
            <p class="lesson" id="lesson">{ lesson }</p>
            <dl id="fetch-figures">
                <dt>{ "Wall time" }</dt><dd data-figure="fetch-wall">{ ms(f.wall_ms, 1) }</dd>
                <dt>{ "Slowest request" }</dt><dd data-figure="slowest">{ ms(f.slowest_ms, 1) }</dd>
                <dt>{ "Sum of request times" }</dt><dd data-figure="request-sum">{ ms(f.sum_ms, 1) }</dd>
                <dt>{ "Overlap (sum ÷ wall)" }</dt><dd data-figure="overlap">{ format!("{:.2} requests in flight on average", f.overlap) }</dd>
                <dt>{ "Most in flight at once" }</dt><dd data-figure="in-flight">{ f.peak_in_flight }</dd>
                <dt>{ "Threads" }</dt><dd data-figure="loop-threads">{ "1 (the page's event loop)" }</dd>
            </dl>
        </section>
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
