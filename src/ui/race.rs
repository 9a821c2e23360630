//! The race of approaches on the page: the button that starts one, the loop that runs its
//! entries one after another through the page's session (each shown as it finishes; Stop,
//! Escape or `playground.cancel()` ends it), and its view: a row per approach (its wall time,
//! or why it was skipped), the runs' lanes on one time scale (the compare view's), and the
//! seed tutorial's conclusions tested on what ran (`model::race`).

use crate::model::app_state::Action;
use crate::model::compare::shared_span_ms;
use crate::model::race::{Outcome, Race};
use crate::model::sentences::run_heading;
use crate::model::strategy::Strategy;
use crate::model::trace::Trace;
use crate::model::words::{count, ms};
use crate::runtime::session::{self, RunOptions};
use crate::ui::app::{run_and_show, Dispatcher};
use crate::ui::compare::LaneSvg;
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

thread_local! {
    /// Whether a race is running its entries (only one runs at a time).
    static RACING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a race is running its entries.
pub fn is_racing() -> bool {
    RACING.with(Cell::get)
}

/// Why `playground.race` or `playground.sweep` refuses to start while either runs: both
/// drive the same page's runs one after another.
pub fn race_or_sweep_running() -> Option<String> {
    (is_racing() || crate::ui::sweep::is_sweeping())
        .then(|| "a race or a sweep is already running: stop it first".to_owned())
}

/// Clears [`RACING`] when the race ends, however it ends.
struct RaceTurn;

impl Drop for RaceTurn {
    fn drop(&mut self) {
        RACING.with(|r| r.set(false));
    }
}

/// The race's runs need no baseline: they are compared with one another.
const NO_BASELINE: RunOptions = RunOptions {
    measure_baseline: false,
};

/// Runs the race's entries one after another on the page's session, showing each run as it
/// finishes and the race after each. Stop ends it: the run in progress keeps the trace of
/// what ran, and no further entry starts.
pub async fn run_race(dispatch: Dispatcher, mut race: Race) -> Race {
    RACING.with(|r| r.set(true));
    let _turn = RaceTurn;
    let stops = session::stop_count();
    dispatch.dispatch(Action::RaceChanged(Rc::new(race.clone())));
    while let Some(index) = race.next_pending() {
        let Some(config) = race.entries[index].config.clone() else {
            break;
        };
        let result = run_and_show(dispatch.clone(), config, NO_BASELINE).await;
        race.record(index, result);
        if session::stop_count() != stops {
            race.stop();
        }
        dispatch.dispatch(Action::RaceChanged(Rc::new(race.clone())));
    }
    race
}

/// Props of [`RaceForm`].
#[derive(Properties, PartialEq)]
pub struct RaceFormProps {
    /// The race of the controls' workload (none while the controls are invalid).
    pub race: Option<Race>,
    /// Whether a race may start now.
    pub can_run: bool,
    /// Called with the planned race.
    pub on_race: Callback<Race>,
}

/// The Race approaches button, with what it will run.
#[function_component]
pub fn RaceForm(props: &RaceFormProps) -> Html {
    let onclick = {
        let (race, on_race, can_run) = (props.race.clone(), props.on_race.clone(), props.can_run);
        Callback::from(move |_: MouseEvent| {
            if let Some(race) = race.clone().filter(|_| can_run) {
                on_race.emit(race);
            }
        })
    };
    let families = props.race.as_ref().map(|race| {
        race.entries
            .iter()
            .map(|e| e.approach.family())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let disabled = !props.can_run || props.race.is_none();
    html! {
        <div class="race-form">
            <button type="button" id="race-run" aria-disabled={disabled.to_string()} {onclick}>{ "Race approaches" }</button>
            <p class="race-intro">
                { format!("Runs this workload under each approach that applies, one after another on this machine, {} (the median kept)", count(props.race.as_ref().map_or(1, |r| r.rounds), "round")) }
                if let Some(families) = families {
                    { format!(" ({families})") }
                }
                { ", and tests the tutorial's advice on it." }
            </p>
        </div>
    }
}

/// Props of [`RaceView`].
#[derive(Properties)]
pub struct RaceViewProps {
    /// The race, in progress or done.
    pub race: Rc<Race>,
    /// The setup as a URL query, for the offer to open it where threads run.
    pub query: Option<String>,
}

impl PartialEq for RaceViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.race, &other.race) && self.query == other.query
    }
}

/// The race: a row per approach, the runs' lanes on one time scale, the conclusions.
#[function_component]
pub fn RaceView(props: &RaceViewProps) -> Html {
    let race = &props.race;
    let traces: Vec<&Rc<Trace>> = race.entries.iter().filter_map(|e| e.trace()).collect();
    let span = shared_span_ms(traces.iter().map(|t| t.as_ref()));
    let slowest = race
        .entries
        .iter()
        .filter_map(|e| e.wall_ms())
        .fold(f64::EPSILON, f64::max);
    let running = race.next_pending();
    let rows = race.entries.iter().enumerate().map(|(index, entry)| {
        let link = entry
            .config
            .as_ref()
            .map(|c| format!("?{}", c.to_query()));
        let result = match &entry.outcome {
            Outcome::Ran(trace) => html! {
                <>
                    <span class="race-wall">{ ms(trace.wall_ms, 0) }</span>
                    <span class="race-bar" style={format!("width: calc((100% - 6rem) * {:.4})", trace.wall_ms / slowest)}></span>
                </>
            },
            Outcome::Pending if running == Some(index) => html! { <span class="race-note">{ format!("running, round {} of {}…", entry.runs.len() + 1, race.rounds) }</span> },
            Outcome::Pending => html! { <span class="race-note">{ format!("{} of {} rounds run", entry.runs.len(), race.rounds) }</span> },
            Outcome::Skipped(_) | Outcome::Stopped(_) | Outcome::NotRun | Outcome::Failed(_) => html! {
                <span class="race-note">{ format!("{}: {}", entry.status(), entry.reason().unwrap_or_default()) }</span>
            },
        };
        html! {
            <tr class={classes!("race-entry", entry.status().replace(' ', "-"))}
                data-family={entry.approach.family()} data-status={entry.status()}
                data-wall-ms={entry.wall_ms().map(|w| w.to_string())}>
                <th scope="row">{ entry.approach.family() }</th>
                <td><code>{ entry.approach.strategy().name() }</code>
                    if let Some(link) = link {
                        { " " }<a class="race-link" href={link}>{ "link" }</a>
                    }
                </td>
                <td class="race-result">{ result }</td>
            </tr>
        }
    });
    let lanes = race.entries.iter().filter_map(|entry| {
        let trace = entry.trace()?;
        Some(html! {
            <div class="race-lanes" data-family={entry.approach.family()}>
                <h4>{ format!("{}: {} — {}", entry.approach.family(), run_heading(trace), ms(trace.wall_ms, 0)) }</h4>
                <LaneSvg trace={Rc::clone(trace)} {span} ghost={None::<Rc<Trace>>} />
            </div>
        })
    });
    let isolation = race.skipped_for_isolation();
    let elsewhere = (!isolation.is_empty()).then(|| {
        html! {
            <>
                <p class="race-skipped" role="status">
                    { format!("Skipped here: {}. This page is not cross-origin isolated, so it cannot start threads that share memory.", isolation.join(", ")) }
                </p>
                <crate::ui::threads_elsewhere::ThreadsElsewhere strategy={Strategy::ThreadPoolMap} query={props.query.clone()} />
            </>
        }
    });
    let conclusions = race.conclusions();
    let status = match running {
        Some(index) => format!(
            "Racing: round {} of {}, {} ({} of {})…",
            race.entries[index].runs.len() + 1,
            race.rounds,
            race.entries[index].approach.family(),
            index + 1,
            count(race.entries.len(), "approach")
        ),
        None if race.was_stopped() => "The race was stopped: what ran is shown.".to_owned(),
        None => format!(
            "Done: {} ran, one after another, {}; each one's time is its median run's.",
            count(
                race.entries
                    .iter()
                    .filter(|e| e.wall_ms().is_some())
                    .count(),
                "approach"
            ),
            count(race.rounds, "round")
        ),
    };
    html! {
        <section class="race" id="race" data-kind={race.kind.noun()} data-finished={race.is_finished().to_string()}>
            <h2>{ format!("Race of approaches: {}", race.kind.noun()) }</h2>
            <p class="race-workload">{ format!("The same workload for each: {}.", race.workload) }</p>
            <p class="race-status" role="status">{ status }</p>
            <div class="race-table-wrap">
                <table class="race-table">
                    <thead><tr><th>{ "approach" }</th><th>{ "runs" }</th><th>{ "wall time" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            if !conclusions.is_empty() {
                <ul class="race-conclusions">
                    { for conclusions.into_iter().map(|c| html! { <li class="race-conclusion">{ c }</li> }) }
                </ul>
            }
            { for elsewhere }
            if !traces.is_empty() {
                <h3>{ format!("Their lanes, on one time scale of {}", ms(span, 0)) }</h3>
                { for lanes }
            }
        </section>
    }
}
