//! The verdict beside the figures: where the workers' time went (a stacked bar with its
//! legend in words), the lower bound, the sentence saying what dominates and what to change,
//! and a button that runs the suggestion; after that run, its prediction against its measured
//! wall time. All read from the trace (`Trace::verdict`).

use crate::model::config::RunConfig;
use crate::model::trace::Trace;
use crate::model::verdict::{percent, Part};
use crate::model::words::{count, ms, number};
use std::rc::Rc;
use yew::prelude::*;

/// A run of a verdict's suggestion, to check its prediction.
#[derive(Clone)]
pub struct SuggestionCheck {
    /// The run of the suggestion.
    pub run: Rc<Trace>,
    /// The change it made, in words (`chunksize 1 → 25`).
    pub change: String,
    /// The wall time the verdict predicted for it, ms.
    pub predicted_ms: f64,
    /// The wall time of the run the verdict was on, ms.
    pub before_ms: f64,
}

impl PartialEq for SuggestionCheck {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.run, &other.run) && self.predicted_ms == other.predicted_ms
    }
}

/// Props of [`VerdictView`].
#[derive(Properties)]
pub struct VerdictProps {
    /// The run.
    pub trace: Rc<Trace>,
    /// Runs the suggestion: its config, and the check to show once it has run.
    pub on_run: Callback<(RunConfig, SuggestionCheck)>,
    /// The last run of a suggestion, shown if it is this run.
    pub check: Option<SuggestionCheck>,
    /// Whether a run is in progress (the button waits).
    pub running: bool,
}

/// The same run is the same trace: compared by address (see `TraceProps`).
impl PartialEq for VerdictProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
            && self.check == other.check
            && self.running == other.running
            && self.on_run == other.on_run
    }
}

/// The verdict on a run.
#[function_component]
pub fn VerdictView(props: &VerdictProps) -> Html {
    let trace = &props.trace;
    let verdict = trace.verdict();
    let account = verdict.breakdown;
    let total = account.total_ms();
    let parts: Vec<(Part, f64)> = Part::ALL
        .into_iter()
        .map(|part| (part, account.share(part)))
        .filter(|&(_, share)| share > 0.0)
        .collect();
    let described = parts
        .iter()
        .map(|(part, share)| format!("{} {}", part.label(), percent(*share)))
        .collect::<Vec<_>>()
        .join(", ");
    let suggestion = verdict.suggested.and_then(|settings| {
        let config = settings.apply(&trace.config).ok()?;
        Some((
            config,
            verdict.change.clone().unwrap_or_default(),
            verdict.predicted_wall_ms?,
        ))
    });
    let button = suggestion.map(|(config, change, predicted_ms)| {
        let on_run = props.on_run.clone();
        let check = SuggestionCheck {
            run: Rc::clone(trace),
            change: change.clone(),
            predicted_ms,
            before_ms: trace.wall_ms,
        };
        let onclick = Callback::from(move |_: MouseEvent| {
            on_run.emit((config.clone(), check.clone()));
        });
        html! {
            <button type="button" id="run-suggestion" class="run-suggestion" {onclick}
                disabled={props.running}>
                { format!("Run the suggestion: {change}") }
            </button>
        }
    });
    let check = props
        .check
        .as_ref()
        .filter(|check| Rc::ptr_eq(&check.run, trace))
        .map(|check| {
            let ratio = if trace.wall_ms > 0.0 {
                let r = check.before_ms / trace.wall_ms;
                if r >= 1.0 {
                    format!("{}× faster", number(r, 1))
                } else {
                    format!("{}× slower", number(1.0 / r, 1))
                }
            } else {
                "no time".to_owned()
            };
            html! {
                <p class="verdict-check" id="verdict-check" role="status"
                    data-predicted-ms={check.predicted_ms.to_string()}
                    data-measured-ms={trace.wall_ms.to_string()}
                    data-before-ms={check.before_ms.to_string()}>
                    { format!("The suggestion ({}): predicted {}, measured {} (before: {}, so {}).",
                        check.change, ms(check.predicted_ms, 0), ms(trace.wall_ms, 0),
                        ms(check.before_ms, 0), ratio) }
                </p>
            }
        });
    html! {
        <section class="verdict" id="verdict" data-dominant={verdict.dominant.key()}
            data-lower-bound-ms={verdict.lower_bound_ms.to_string()}>
            <h3>{ "Verdict" }</h3>
            <p class="verdict-sentence" id="verdict-sentence">{ verdict.sentence.clone() }</p>
            <div class="verdict-bar" role="img"
                aria-label={format!("The workers' time ({} × {}): {described}", count(verdict.workers, "worker"), ms(verdict.wall_ms, 1))}>
                { for parts.iter().map(|&(part, share)| html! {
                    <span class={classes!("verdict-part", format!("part-{}", part.key()))}
                        data-part={part.key()} style={format!("width:{:.3}%", share * 100.0)}
                        title={format!("{}: {}", part.label(), percent(share))}></span>
                }) }
            </div>
            <ul class="verdict-legend">
                { for parts.iter().map(|&(part, share)| html! {
                    <li data-part={part.key()} data-ms={account.get(part).to_string()}>
                        <span class={classes!("swatch", format!("part-{}", part.key()))}></span>
                        <span class="legend-name">{ part.label() }</span>
                        { format!(" {} ({})", percent(share), ms(account.get(part), 1)) }
                    </li>
                }) }
            </ul>
            <p class="verdict-bound">
                { format!("The workers' time: {} × {} = {}. Lower bound on the wall time: {} (the tasks' own work shared out, or the longest task), drawn on the lanes.",
                    count(verdict.workers, "worker"), ms(verdict.wall_ms, 1), ms(total, 1), ms(verdict.lower_bound_ms, 1)) }
            </p>
            if let Some(button) = button { { button } }
            if let Some(check) = check { { check } }
        </section>
    }
}
