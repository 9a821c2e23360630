//! The page: controls on top, then the run drawn from its trace. With `embed=1` in its URL,
//! the compact page for a tutorial: the controls its author exposed, Run, the run, and a link
//! to the full page.

use crate::model::app_state::{Action, AppState, PoolStatus};
use crate::model::config::{Inputs, RunConfig};
use crate::model::embed::EmbedOptions;
use crate::model::prediction::Guess;
use crate::model::race::{Race, DEFAULT_ROUNDS};
use crate::model::sentences::{run_heading, stopped_summary};
use crate::model::strategy::Strategy;
use crate::model::trace::Trace;
use crate::runtime::session::RunOptions;
use crate::runtime::{pool, session};
use crate::ui::api;
use crate::ui::controls::Controls;
use crate::ui::figures::Figures;
use crate::ui::gather_strip::GatherStrip;
use crate::ui::lanes::Lanes;
use crate::ui::predict::{PredictBox, PredictionOutcome};
use crate::ui::queue_depth::QueueDepth;
use crate::ui::race::{run_race, RaceForm, RaceView};
use crate::ui::run_status::RunStatus;
use crate::ui::split_strip::SplitStrip;
use crate::ui::sweep::{run_sweep, SweepForm, SweepView};
use crate::ui::verdict::{SuggestionCheck, VerdictView};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Sends actions to the page's state from anywhere (callbacks, futures, the JS API).
pub type Dispatcher = UseReducerDispatcher<AppState>;

/// Runs `config` and shows it on the page; the trace (of what ran, if it was stopped) is
/// also returned to the caller.
pub async fn run_and_show(
    dispatch: Dispatcher,
    config: RunConfig,
    options: RunOptions,
) -> Result<Rc<Trace>, String> {
    dispatch.dispatch(Action::started(&config));
    let progress = dispatch.clone();
    match session::run(config, options, move |phase| {
        progress.dispatch(Action::Progress(phase))
    })
    .await
    {
        Ok(mut trace) => {
            trace.recorded_on = crate::ui::recorded::recorded_now();
            // The trace was built in the task that received the outcome; the page draws it
            // in a task of its own, so that no single task does both (a million tasks).
            yew::platform::time::sleep(std::time::Duration::ZERO).await;
            let trace = Rc::new(trace);
            dispatch.dispatch(Action::Finished(Rc::clone(&trace)));
            Ok(trace)
        }
        Err(message) => {
            dispatch.dispatch(Action::Failed(message.clone()));
            Err(message)
        }
    }
}

/// Escape stops the run in progress, wherever the focus is.
fn stop_on_escape() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let listener = gloo::events::EventListener::new(&document, "keydown", |event| {
        let key = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key);
        if key.as_deref() == Some("Escape") {
            session::stop();
        }
    });
    // The listener lives as long as the page.
    listener.forget();
}

fn page_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

fn inputs_from_url() -> Inputs {
    Inputs::from_query(&page_query())
}

/// Keeps the address bar in step with valid controls, so a copied link reproduces the setup.
fn show_in_url(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_default();
    // A recording the page was opened on stays named (see `ui::recorded`).
    let search = window.location().search().unwrap_or_default();
    let recording = crate::model::recorded::recording_params(&search);
    if let Ok(history) = window.history() {
        let url = format!("{path}?{query}{recording}");
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The whole page.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::new(inputs_from_url()));
    let recorded = use_state(|| None::<Rc<Trace>>);
    let embed = use_memo((), |_| EmbedOptions::from_query(&page_query()));

    {
        let dispatch = state.dispatcher();
        let host = embed.host.clone();
        use_effect_with((), move |_| {
            api::install(dispatch.clone());
            crate::ui::host_messages::install(dispatch.clone(), host);
            stop_on_escape();
            spawn_local(async move {
                match pool::ready().await {
                    Ok(info) => dispatch.dispatch(Action::PoolReady {
                        threads: info.threads,
                        startup_ms: info.startup_ms,
                    }),
                    Err(why) => dispatch.dispatch(Action::PoolUnavailable(why)),
                }
            });
        });
    }

    let validation = state.validation();
    {
        // The embed parameters stay in the address, after the settings.
        let query = validation
            .as_ref()
            .ok()
            .map(|config| format!("{}{}", config.to_query(), embed.query_suffix()));
        use_effect_with(query, |query| {
            if let Some(query) = query {
                show_in_url(query);
            }
        });
    }

    let on_edit = {
        let dispatch = state.dispatcher();
        Callback::from(move |action: Action| dispatch.dispatch(action))
    };
    let on_run = {
        let dispatch = state.dispatcher();
        let config = validation.clone().ok();
        let options = RunOptions {
            measure_baseline: state.measure_baseline,
        };
        // The guess as it stands when Run is pressed; one that cannot be read is left out.
        let guess = Guess::read(&state.guess_text.0, &state.guess_text.1)
            .ok()
            .filter(|g| !g.is_empty());
        Callback::from(move |_| {
            if let Some(config) = config.clone() {
                let (dispatch, guess) = (dispatch.clone(), guess.clone());
                spawn_local(async move {
                    let ran = run_and_show(dispatch.clone(), config, options).await;
                    if let (Ok(trace), Some(guess)) = (ran, guess) {
                        dispatch.dispatch(Action::Predicted(trace, guess));
                    }
                });
            }
        })
    };
    let on_race = {
        let dispatch = state.dispatcher();
        Callback::from(move |race| {
            let dispatch = dispatch.clone();
            spawn_local(async move {
                run_race(dispatch, race).await;
            });
        })
    };
    let on_sweep = {
        let dispatch = state.dispatcher();
        Callback::from(move |sweep| {
            let dispatch = dispatch.clone();
            spawn_local(async move {
                run_sweep(dispatch, sweep).await;
            });
        })
    };
    let on_show_point = {
        let dispatch = state.dispatcher();
        let sweep = state.sweep.clone();
        Callback::from(move |index: usize| {
            let point = sweep.as_ref().and_then(|s| s.points.get(index));
            if let Some(trace) = point.and_then(|p| p.trace()) {
                dispatch.dispatch(Action::ShowTrace(trace));
            }
        })
    };
    // The last run of a verdict's suggestion, to show its prediction against its wall time.
    let suggestion_check = use_state(|| None::<SuggestionCheck>);
    let on_run_suggestion = {
        let dispatch = state.dispatcher();
        let suggestion_check = suggestion_check.setter();
        // One callback while the baseline choice stands, so the run's view is not redrawn
        // for a new one.
        use_callback(
            state.measure_baseline,
            move |(config, check): (RunConfig, SuggestionCheck), &measure_baseline| {
                let (dispatch, suggestion_check) = (dispatch.clone(), suggestion_check.clone());
                let options = RunOptions { measure_baseline };
                spawn_local(async move {
                    if let Ok(run) = run_and_show(dispatch, config, options).await {
                        suggestion_check.set(Some(SuggestionCheck { run, ..check }));
                    }
                });
            },
        )
    };
    let status = match state.running {
        Some(phase) => html! {
            <RunStatus {phase} items={state.running_items} by_thread={state.running_by_thread}
                lanes={state.running_lanes}
                on_stop={Callback::from(|_| { session::stop(); })} />
        },
        None => Html::default(),
    };

    // What the full page and the embed both show, built once.
    let finished = state.trace.clone().filter(|_| state.running.is_none());
    let controls = html! {
        <Controls
            inputs={state.inputs.clone()}
            validation={validation.clone()}
            can_run={state.can_run()}
            running={state.running}
            on_edit={on_edit.clone()}
            {on_run}
            {status}
            measure_baseline={state.measure_baseline}
            embed={embed.embed.then(|| embed.controls.clone())}
        />
    };
    let threads_elsewhere = match state.threads_refused() {
        Some(strategy) => html! {
            <crate::ui::threads_elsewhere::ThreadsElsewhere {strategy}
                query={validation.as_ref().ok().map(RunConfig::to_query)} />
        },
        None => Html::default(),
    };
    let run_error = match &state.error {
        Some(error) => html! {
            <p class="run-error" role="alert">{ format!("The run failed: {error}") }</p>
        },
        None => Html::default(),
    };
    let recording = html! {
        <crate::ui::recorded::Recording current={finished.clone()}
            recorded={recorded.clone()} dispatch={state.dispatcher()} can_run={state.can_run()}
            measure_baseline={state.measure_baseline} />
    };
    let compare = html! {
        <crate::ui::compare::ComparePanel current={finished.clone()}
            pinned={state.pinned.clone()} ghost={state.ghost} on_action={on_edit.clone()}
            recorded={(*recorded).clone()} />
    };
    let run_view = match &state.trace {
        Some(trace) => html! {
            <RunView trace={Rc::clone(trace)} pool={state.pool.clone()}
                on_run_suggestion={on_run_suggestion}
                suggestion_check={(*suggestion_check).clone()}
                running={state.running.is_some()} />
        },
        None => Html::default(),
    };

    if embed.embed {
        let strategy = Strategy::from_name(&state.inputs.strategy);
        let problems = embed.problems.iter().cloned().chain(
            strategy
                .map(|s| embed.unread_controls(s))
                .unwrap_or_default(),
        );
        let full = validation
            .as_ref()
            .ok()
            .map(|config| format!("{}?{}", crate::ui::controls::page_site(), config.to_query()));
        return html! {
            <main class="embed">
                <p class="embed-bar">
                    <strong class="embed-title">{ state.inputs.strategy.clone() }</strong>
                    if let Some(full) = full {
                        <a class="open-in-full" href={full} target="_blank" rel="noopener">
                            { "Open in full" }<span class="visually-hidden">{ " (opens a new tab)" }</span>{ " ↗" }
                        </a>
                    }
                </p>
                { for problems.map(|problem| html! {
                    <p class="embed-problem" role="alert">{ problem }</p>
                }) }
                <PoolBanner pool={state.pool.clone()} />
                { controls }
                { threads_elsewhere }
                { run_error }
                { recording }
                { compare }
                { run_view }
            </main>
        };
    }

    html! {
        <main>
            if !embed.problems.is_empty() {
                { for embed.problems.iter().map(|problem| html! {
                    <p class="embed-problem" role="alert">{ problem.clone() }</p>
                }) }
            }
            <header>
                <h1>{ "Parallel playground" }</h1>
                <p class="lead">
                    { "How " }<code>{ "Pool.map" }</code>
                    { ", thread pools, queues and rayon cut work into tasks, hand them to workers and gather the results, run for real on Web Workers in your browser." }
                </p>
            </header>
            <PoolBanner pool={state.pool.clone()} />
            { recording }
            { controls }
            <PredictBox text={state.guess_text.clone()} on_edit={on_edit.clone()} />
            <crate::ui::share::Share query={validation.as_ref().ok().map(RunConfig::to_query)}
                strategy={Strategy::from_name(&state.inputs.strategy)} />
            { threads_elsewhere }
            <SweepForm strategy={crate::model::strategy::Strategy::from_name(&state.inputs.strategy)}
                base={validation.clone().ok()} can_run={state.can_run()} {on_sweep} />
            if let Some(sweep) = &state.sweep {
                <SweepView sweep={Rc::clone(sweep)} on_show={on_show_point} />
            }
            <RaceForm race={validation.as_ref().ok().map(|base| Race::plan(base, pool::is_cross_origin_isolated(), DEFAULT_ROUNDS))}
                can_run={state.can_run()} {on_race} />
            if let Some(race) = &state.race {
                <RaceView race={Rc::clone(race)} query={validation.as_ref().ok().map(RunConfig::to_query)} />
            }
            { run_error }
            if let Some(current) = finished {
                <crate::ui::recorded::ShareRun trace={current} />
            }
            { compare }
            if let Some(said) = state.prediction_outcome() {
                <PredictionOutcome {said} />
            }
            if let Some(trace) = (*recorded).as_ref().filter(|r| state.trace.as_ref().is_some_and(|t| Rc::ptr_eq(r, t))) {
                <crate::ui::recorded::RecordedTag trace={Rc::clone(trace)} />
            }
            if state.trace.is_some() {
                { run_view }
            } else {
                <p class="hint">{ "Press Run to see the map split, run and gather." }</p>
            }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct PoolBannerProps {
    pool: PoolStatus,
}

/// Whether the page can run in parallel, said plainly.
#[function_component]
fn PoolBanner(props: &PoolBannerProps) -> Html {
    match &props.pool {
        PoolStatus::Starting => html! {
            <p class="pool pool-starting">{ "Starting the worker pool…" }</p>
        },
        PoolStatus::Ready {
            threads,
            startup_ms,
        } => html! {
            <p class="pool pool-ready" data-threads={threads.to_string()}>
                { format!("Cross-origin isolated: yes. {} ready, and one more for a ThreadPoolExecutor's caller (started in {}); each run uses exactly the number of workers you choose.", crate::model::words::count(*threads, "Web Worker"), crate::model::words::ms(*startup_ms, 0)) }
            </p>
        },
        PoolStatus::Unavailable(why) => html! {
            <p class="pool pool-unavailable" role="alert">
                { format!("Cannot run threads here: {why}. The process strategies (multiprocessing.Pool, ProcessPoolExecutor) still run, each process with a memory of its own, and so do asyncio.gather and sequential. For threads, open the playground on its own page, served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.") }
            </p>
        },
    }
}

#[derive(Properties)]
struct RunViewProps {
    trace: Rc<Trace>,
    pool: PoolStatus,
    on_run_suggestion: Callback<(RunConfig, SuggestionCheck)>,
    suggestion_check: Option<SuggestionCheck>,
    running: bool,
}

/// The same run is the same trace: compared by address (see `TraceProps`).
impl PartialEq for RunViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
            && self.pool == other.pool
            && self.on_run_suggestion == other.on_run_suggestion
            && self.suggestion_check == other.suggestion_check
            && self.running == other.running
    }
}

/// The finished run: split, lanes, gather and figures, all read from the trace.
#[function_component]
fn RunView(props: &RunViewProps) -> Html {
    let trace = &props.trace;
    let fetch = trace.strategy().is_fetch();
    let heading = run_heading(trace);
    html! {
        <section class="run" data-strategy={trace.strategy().name()}>
            <h2>{ heading }</h2>
            if let Some(summary) = stopped_summary(trace) {
                <p class="stopped-summary" role="status">{ summary }</p>
            }
            if fetch {
                <crate::ui::requests::RequestsView trace={Rc::clone(trace)} />
            } else {
                <SplitStrip trace={Rc::clone(trace)} />
                <Lanes trace={Rc::clone(trace)} />
                if !trace.queue_depth.is_empty() {
                    <QueueDepth trace={Rc::clone(trace)} />
                }
                <GatherStrip trace={Rc::clone(trace)} />
            }
            <VerdictView trace={Rc::clone(trace)} on_run={props.on_run_suggestion.clone()}
                check={props.suggestion_check.clone()} running={props.running} />
            <Figures trace={Rc::clone(trace)} pool={props.pool.clone()} />
        </section>
    }
}
