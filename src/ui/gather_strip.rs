//! The gather: the result list in input order, each chunk's place marked with the order its
//! results arrived in and how long it waited for earlier chunks.

use crate::model::drawn::REDUCE_AHEAD_ABOVE;
use crate::model::layout::{chunk_hue, GatherBin};
use crate::model::sentences::{gather_caption, raise_summary, results_check, results_order_label};
use crate::model::trace::{Trace, MAX_LISTED_RESULTS};
use crate::model::words::group_digits;
use crate::model::words::ms;
use crate::ui::canvas::in_a_task_of_its_own;
use crate::ui::split_strip::TraceProps;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// The result list filling in input order.
#[function_component]
pub fn GatherStrip(props: &TraceProps) -> Html {
    let trace = &props.trace;
    // Binned once per trace, in one pass over its chunks: at once when that is quick (or
    // done, by the worker that built it), else in a task of its own just after the run is
    // shown.
    let now = use_memo(
        TraceProps {
            trace: trace.clone(),
        },
        |props| {
            (props.trace.gather_is_binned() || props.trace.chunks.len() <= REDUCE_AHEAD_ABOVE)
                .then(|| props.trace.binned_gather())
        },
    );
    let later = use_state(|| None::<(Rc<Trace>, Arc<Vec<GatherBin>>)>);
    {
        let later = later.clone();
        let key = TraceProps {
            trace: trace.clone(),
        };
        use_effect_with(key, move |props| {
            if !props.trace.gather_is_binned() && props.trace.chunks.len() > REDUCE_AHEAD_ABOVE {
                let trace = Rc::clone(&props.trace);
                // Binning and drawing, each a task of its own: together they took one task
                // of 65 ms for a million chunks.
                in_a_task_of_its_own(move || {
                    let bins = trace.binned_gather();
                    in_a_task_of_its_own(move || later.set(Some((trace, bins))));
                });
            }
        });
    }
    let bins: Arc<Vec<GatherBin>> = (*now).clone().unwrap_or_else(|| {
        later
            .as_ref()
            .filter(|(binned, _)| Rc::ptr_eq(binned, trace))
            .map(|(_, bins)| Arc::clone(bins))
            .unwrap_or_default()
    });
    let labelled = bins.len() <= 24;
    let received = trace.received_results();
    let preview = match &received {
        Some(results) if results.len() <= 20 => format!("{results:?}"),
        Some(results) => format!(
            "[{}, …, {}]",
            results[..6]
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            results[results.len() - 1]
        ),
        None if trace.stopped => {
            "none: the run was stopped before the caller had its list".to_owned()
        }
        None => format!(
            "{} results (not listed above {} items); checksum {}",
            group_digits(trace.items as u64),
            group_digits(MAX_LISTED_RESULTS as u64),
            group_digits(trace.checksum)
        ),
    };
    html! {
        <figure class="strip gather">
            <figcaption>
                <strong>{ "Gather" }</strong>
                { format!(" — {}", gather_caption(trace)) }
            </figcaption>
            <div class="cells">
                { for bins.iter().map(|bin| {
                    let (first, waited_ms, len, error) = (bin.first, bin.waited_ms, bin.items, &bin.error);
                    // A task that Stop cut short never reached the result handler.
                    let cut_short = trace.chunks.get(bin.chunks.start).is_some_and(|c| c.stopped);
                    let title = if cut_short {
                        format!("task {}: cut short by Stop; its results never reached the result handler", first.index)
                    } else { format!(
                        "task {}: arrived {} (at {}), reached the caller at {}{}{}",
                        first.index,
                        ordinal(first.arrival_rank + 1),
                        ms(first.arrived_ms, 1),
                        ms(first.delivered_ms, 1),
                        if waited_ms > 0.0 { format!(" after waiting {}", ms(waited_ms, 1)) } else { String::new() },
                        error.as_ref().map(|e| format!("; failed: {e}")).unwrap_or_default()
                    ) };
                    html! {
                        <div class={classes!("cell", (waited_ms > 0.0).then_some("waited"), error.is_some().then_some("failed"), cut_short.then_some("stopped"))}
                            style={format!("flex-grow:{len};--hue:{}", chunk_hue(first.index))}
                            data-chunk={first.index.to_string()}
                            data-arrival={first.arrival_rank.to_string()}
                            {title}>
                            if labelled {
                                <span>{ if cut_short { "stopped".to_owned() } else { format!("#{}", first.arrival_rank + 1) } }</span>
                            }
                        </div>
                    }
                }) }
            </div>
            <p class="results">
                { results_order_label(trace) }<code id="results-preview">{ preview }</code>
                <span class={if trace.results_in_order { "ok" } else { "bad" }}>{ results_check(trace) }</span>
            </p>
            if let Some(said) = raise_summary(trace) {
                <p class={classes!("caller-raised", trace.raised.is_some().then_some("raised"))} id="caller-raised"
                    data-raised-item={trace.raised_item.map(|i| i.to_string())}
                    data-never-ran={trace.never_ran.iter().map(u64::to_string).collect::<Vec<_>>().join(",")}
                    data-cancelled={trace.cancelled.len().to_string()}
                    data-stranded={trace.stranded.len().to_string()}
                    data-unsubmitted={trace.unsubmitted.len().to_string()}>
                    { said }
                </p>
            }
            if bins.iter().any(|bin| bin.error.is_some()) {
                <ul class="task-errors" id="task-errors">
                    { for trace.chunks.iter().filter_map(|c| c.error.as_ref().map(|e| html! {
                        <li data-task={c.index.to_string()}>{ format!("task {} failed: {e}", c.index) }</li>
                    })) }
                </ul>
            }
        </figure>
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
