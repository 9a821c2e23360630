//! The page: controls on top, then the run drawn from its trace. With `embed=1` in its URL,
//! the compact page for a tutorial: the controls its author exposed, Run, the run, and a link
//! to the full page.

use crate::model::app_state::{Action, AppState, PoolStatus};
use crate::model::config::{Inputs, RunConfig};
use crate::model::embed::EmbedOptions;
use crate::model::sentences::{run_heading, stopped_summary};
use crate::model::strategy::{Runner, Strategy};
use crate::model::trace::Trace;
use crate::runtime::session::RunOptions;
use crate::runtime::{pool, session};
use crate::ui::api;
use crate::ui::controls::Controls;
use crate::ui::figures::Figures;
use crate::ui::gather_strip::GatherStrip;
use crate::ui::lanes::Lanes;
use crate::ui::queue_depth::QueueDepth;
use crate::ui::run_status::RunStatus;
use crate::ui::split_strip::SplitStrip;
use crate::ui::sweep::{run_sweep, SweepForm, SweepView};
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
    dispatch.dispatch(Action::Started {
        items: config.items,
        by_thread: config.strategy.rule().runner == Runner::Rayon,
    });
    let progress = dispatch.clone();
    match session::run(config, options, move |phase| {
        progress.dispatch(Action::Progress(phase))
    })
    .await
    {
        Ok(trace) => {
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
    if let Ok(history) = window.history() {
        let url = format!("{path}?{query}");
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The whole page.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| AppState::new(inputs_from_url()));
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
        Callback::from(move |_| {
            if let Some(config) = config.clone() {
                let dispatch = dispatch.clone();
                spawn_local(async move {
                    let _ = run_and_show(dispatch, config, options).await;
                });
            }
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
    let status = match state.running {
        Some(phase) => html! {
            <RunStatus {phase} items={state.running_items} by_thread={state.running_by_thread}
                on_stop={Callback::from(|_| { session::stop(); })} />
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
                <Controls
                    inputs={state.inputs.clone()}
                    validation={validation.clone()}
                    can_run={state.can_run()}
                    running={state.running}
                    on_edit={on_edit.clone()}
                    {on_run}
                    {status}
                    measure_baseline={state.measure_baseline}
                    embed={Some(embed.controls.clone())}
                />
                if let Some(strategy) = state.threads_refused() {
                    <crate::ui::threads_elsewhere::ThreadsElsewhere {strategy}
                        query={validation.as_ref().ok().map(RunConfig::to_query)} />
                }
                if let Some(error) = &state.error {
                    <p class="run-error" role="alert">{ format!("The run failed: {error}") }</p>
                }
                if let Some(trace) = &state.trace {
                    <RunView trace={Rc::clone(trace)} pool={state.pool.clone()} />
                }
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
            <Controls
                inputs={state.inputs.clone()}
                validation={validation.clone()}
                can_run={state.can_run()}
                running={state.running}
                on_edit={on_edit.clone()}
                {on_run}
                {status}
                measure_baseline={state.measure_baseline}
            />
            <crate::ui::share::Share query={validation.as_ref().ok().map(RunConfig::to_query)}
                strategy={Strategy::from_name(&state.inputs.strategy)} />
            if let Some(strategy) = state.threads_refused() {
                <crate::ui::threads_elsewhere::ThreadsElsewhere {strategy}
                    query={validation.as_ref().ok().map(RunConfig::to_query)} />
            }
            <SweepForm strategy={crate::model::strategy::Strategy::from_name(&state.inputs.strategy)}
                base={validation.clone().ok()} can_run={state.can_run()} {on_sweep} />
            if let Some(sweep) = &state.sweep {
                <SweepView sweep={Rc::clone(sweep)} on_show={on_show_point} />
            }
            if let Some(error) = &state.error {
                <p class="run-error" role="alert">{ format!("The run failed: {error}") }</p>
            }
            <crate::ui::compare::ComparePanel current={state.trace.clone().filter(|_| state.running.is_none())}
                pinned={state.pinned.clone()} ghost={state.ghost} on_action={on_edit.clone()} />
            if let Some(trace) = &state.trace {
                <RunView trace={Rc::clone(trace)} pool={state.pool.clone()} />
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
                { format!("Cross-origin isolated: yes. {} ready (started in {}); each run uses exactly the number of workers you choose.", crate::model::words::count(*threads, "Web Worker"), crate::model::words::ms(*startup_ms, 0)) }
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
}

/// The same run is the same trace: compared by address (see `TraceProps`).
impl PartialEq for RunViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace) && self.pool == other.pool
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
            <Figures trace={Rc::clone(trace)} pool={props.pool.clone()} />
        </section>
    }
}
