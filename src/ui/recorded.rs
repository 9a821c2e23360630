//! An author's recording and the reader's live run: the recording the URL names (in the link,
//! `trace=…`, or a file beside the page, `recorded=run.json`) is loaded and shown first,
//! labelled as recorded with its machine's processor count; the reader can then run the same
//! setup live, and the two are pinned side by side in the compare view. "Share this run"
//! writes the link that carries the current run as a recording (or offers its file when it
//! is too large for a link). Self-contained, so that the embed mode can show it too.

use crate::model::app_state::Action;
use crate::model::config::Inputs;
use crate::model::machine::cpu_count;
use crate::model::recorded::{
    browser_name, decode_link, load_trace, recorded_label, recording_source, share_link, LoadError,
    RecordingSource, Shared, FILE_PARAM, MAX_LINK_CHARS, MAX_RECORDING_BYTES,
};
use crate::model::trace::{RecordedOn, Trace};
use crate::model::words::{count, group_digits};
use crate::runtime::session::RunOptions;
use crate::ui::app::{run_and_show, Dispatcher};
use crate::ui::downloads::download_json;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use yew::prelude::*;

/// When and in which browser the page records a run that just finished.
pub fn recorded_now() -> Option<RecordedOn> {
    let navigator = web_sys::window()?.navigator();
    Some(RecordedOn {
        date: String::from(js_sys::Date::new_0().to_iso_string()),
        browser: browser_name(&navigator.user_agent().ok()?),
    })
}

/// The text of the recording `source` names.
async fn recording_text(source: RecordingSource) -> Result<String, String> {
    match source {
        RecordingSource::InLink(encoded) => decode_link(&encoded).map_err(|e| e.to_string()),
        RecordingSource::File(url) => fetch_same_origin(&url).await,
    }
}

/// The text at `url`, a file on the page's own origin.
async fn fetch_same_origin(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("there is no page to load it into")?;
    let location = window.location();
    let page = location.href().map_err(|_| "the page has no address")?;
    let resolved =
        web_sys::Url::new_with_base(url, &page).map_err(|_| format!("'{url}' is not a URL"))?;
    if Some(resolved.origin()) != location.origin().ok() {
        return Err(format!(
            "'{url}' is on another origin ({}); a recording must be a file on this page's own origin, beside the page",
            resolved.origin()
        ));
    }
    let failed = |why: &str| format!("'{url}' could not be fetched ({why})");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&resolved.href()))
        .await
        .map_err(|_| failed("network failure"))?
        .dyn_into()
        .map_err(|_| failed("no response"))?;
    if !response.ok() {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let text = JsFuture::from(response.text().map_err(|_| failed("no body"))?)
        .await
        .map_err(|_| failed("the body could not be read"))?;
    let text = text.as_string().unwrap_or_default();
    if text.len() > MAX_RECORDING_BYTES {
        return Err(LoadError::TooLarge { bytes: text.len() }.to_string());
    }
    Ok(text)
}

/// The recording the page's URL names, loaded and checked; `None` when it names none.
async fn recording_from_url(search: String) -> Option<Result<Trace, String>> {
    let source = recording_source(&search)?;
    Some(match recording_text(source).await {
        Ok(text) => load_trace(&text).map_err(|e| e.to_string()),
        Err(why) => Err(why),
    })
}

/// The recording, as far as it has come.
#[derive(Clone, PartialEq)]
enum RecordingStatus {
    /// The URL names none, or it is loaded.
    Idle,
    /// Being fetched and checked.
    Loading,
    /// It could not be shown, and why.
    Failed(String),
}

/// Props of [`Recording`].
#[derive(Properties)]
pub struct RecordingProps {
    /// The run shown, if any (when no run is in progress).
    pub current: Option<Rc<Trace>>,
    /// The recorded run, once loaded (shared with the compare view, which labels it).
    pub recorded: UseStateHandle<Option<Rc<Trace>>>,
    /// Runs the reader's live run and changes the page.
    pub dispatch: Dispatcher,
    /// Whether a run may start now.
    pub can_run: bool,
    /// Whether a run also measures the same workload on 1 worker.
    pub measure_baseline: bool,
}

/// The same runs are the same traces: compared by address.
impl PartialEq for RecordingProps {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Option<Rc<Trace>>, b: &Option<Rc<Trace>>| match (a, b) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            (Some(_), None) | (None, Some(_)) => false,
        };
        same(&self.current, &other.current)
            && same(&self.recorded, &other.recorded)
            && self.dispatch == other.dispatch
            && self.can_run == other.can_run
            && self.measure_baseline == other.measure_baseline
    }
}

/// The recorded run's label and the reader's live run of it (or why it cannot be shown).
#[function_component]
pub fn Recording(props: &RecordingProps) -> Html {
    // The URL as the page opened, before the settings are written into it.
    let search = use_state(|| {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default()
    });
    let loading = use_state(|| match recording_source(&search) {
        Some(_) => RecordingStatus::Loading,
        None => RecordingStatus::Idle,
    });
    let live_done = use_state(|| false);
    {
        let (loading, recorded, dispatch) = (
            loading.clone(),
            props.recorded.clone(),
            props.dispatch.clone(),
        );
        let search = (*search).clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match recording_from_url(search).await {
                    None => {}
                    Some(Ok(trace)) => {
                        let trace = Rc::new(trace);
                        dispatch.dispatch(Action::Load(Inputs::from_query(&trace.query())));
                        dispatch.dispatch(Action::ShowTrace(Rc::clone(&trace)));
                        recorded.set(Some(trace));
                        loading.set(RecordingStatus::Idle);
                    }
                    Some(Err(why)) => loading.set(RecordingStatus::Failed(why)),
                }
            });
        });
    }
    let status = match &*loading {
        RecordingStatus::Idle => Html::default(),
        RecordingStatus::Loading => html! {
            <p class="recorded-loading" role="status">{ "Loading the recorded run…" }</p>
        },
        RecordingStatus::Failed(why) => html! {
            <p class="recorded-error" id="recorded-error" role="alert">
                { format!("The recorded run cannot be shown: {why}.") }
            </p>
        },
    };
    let recorded = (*props.recorded).clone().map(|recorded| {
        let showing = props
            .current
            .as_ref()
            .is_some_and(|c| Rc::ptr_eq(c, &recorded));
        let show = (!showing).then(|| {
            let dispatch = props.dispatch.clone();
            let trace = Rc::clone(&recorded);
            let onclick = Callback::from(move |_: MouseEvent| {
                dispatch.dispatch(Action::ShowTrace(Rc::clone(&trace)))
            });
            html! { <button type="button" class="link" id="show-recorded" {onclick}>{ "Show the recorded run" }</button> }
        });
        let run_live = {
            let (dispatch, trace, live_done) = (
                props.dispatch.clone(),
                Rc::clone(&recorded),
                live_done.clone(),
            );
            let options = RunOptions {
                measure_baseline: props.measure_baseline,
            };
            Callback::from(move |_: MouseEvent| {
                let (dispatch, trace, live_done) =
                    (dispatch.clone(), Rc::clone(&trace), live_done.clone());
                spawn_local(async move {
                    let config = trace.config.clone();
                    if let Ok(live) = run_and_show(dispatch.clone(), config, options).await {
                        dispatch.dispatch(Action::Pin(trace));
                        dispatch.dispatch(Action::Pin(live));
                        live_done.set(true);
                    }
                });
            })
        };
        let here = count(cpu_count(), "logical processor");
        html! {
            <section class="recorded" id="recorded" data-cpu-count={recorded.cpu_count.to_string()}
                data-showing={showing.to_string()}>
                <p class="recorded-label">
                    <strong class="recorded-badge">{ "RECORDED" }</strong>{ " " }
                    { recorded_label(&recorded) }
                    { if showing { " It is drawn below." } else { "" } }
                </p>
                <p class="recorded-actions">
                    <button type="button" class="run-live" id="run-live" disabled={!props.can_run} onclick={run_live}>
                        { format!("Run it live on this machine ({here})") }
                    </button>
                    { for show }
                </p>
                if *live_done {
                    <p class="recorded-compared">
                        { "Compared below: the recording and your live run, pinned on one time scale." }
                    </p>
                }
            </section>
        }
    });
    html! {
        <>
            { status }
            { for recorded }
        </>
    }
}

/// Props of [`RecordedTag`].
#[derive(Properties)]
pub struct RecordedTagProps {
    /// The recorded run shown.
    pub trace: Rc<Trace>,
}

impl PartialEq for RecordedTagProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
    }
}

/// The label over a recorded run's drawing: RECORDED, and where.
#[function_component]
pub fn RecordedTag(props: &RecordedTagProps) -> Html {
    html! {
        <p class="recorded-tag" id="recorded-tag" data-cpu-count={props.trace.cpu_count.to_string()}>
            <strong class="recorded-badge">{ "RECORDED" }</strong>{ " " }
            { recorded_label(&props.trace) }
        </p>
    }
}

/// Props of [`ShareRun`].
#[derive(Properties)]
pub struct ShareRunProps {
    /// The run to share.
    pub trace: Rc<Trace>,
}

impl PartialEq for ShareRunProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
    }
}

/// "Share this run": the link that opens the page on this very run, shown as recorded; or,
/// for a run too large for a link, its file to put beside the page.
#[function_component]
pub fn ShareRun(props: &ShareRunProps) -> Html {
    let shared = use_state(|| None::<Shared>);
    {
        // Another run shown: its link is written anew when asked for.
        let shared = shared.clone();
        use_effect_with(Rc::as_ptr(&props.trace) as usize, move |_| shared.set(None));
    }
    let onclick = {
        let (shared, trace) = (shared.clone(), Rc::clone(&props.trace));
        Callback::from(move |_: MouseEvent| {
            let Some(location) = web_sys::window().map(|w| w.location()) else {
                return;
            };
            let page = format!(
                "{}{}",
                location.origin().unwrap_or_default(),
                location.pathname().unwrap_or_default()
            );
            shared.set(Some(share_link(&page, &trace)));
        })
    };
    let result = match &*shared {
        None => Html::default(),
        Some(Shared::Link(link)) => html! {
            <span class="share-result">
                { "Whoever opens this link first sees this very run, labelled as recorded, and can then run it live: " }
                <input type="text" readonly=true id="share-link" class="share-link" value={link.clone()}
                    aria-label="link to this run, recorded" />
            </span>
        },
        Some(Shared::TooLong(chars)) => {
            let trace = Rc::clone(&props.trace);
            let download = Callback::from(move |_: MouseEvent| {
                if let Ok(json) = serde_json::to_string_pretty(&*trace) {
                    let _ = download_json(json, "recorded-run.json");
                }
            });
            html! {
                <span class="share-result share-too-long" id="share-too-long" role="status">
                    { format!(
                        "This run's recording is too large for a link ({} characters; a link holds at most {}). Save it as a file, put it beside your page, and link to ?{}&{FILE_PARAM}=recorded-run.json: ",
                        group_digits(*chars as u64), group_digits(MAX_LINK_CHARS as u64), props.trace.query()
                    ) }
                    <button type="button" class="link" id="share-download" onclick={download}>{ "Download the recording" }</button>
                </span>
            }
        }
    };
    html! {
        <p class="share" id="share">
            <button type="button" class="link" id="share-run" {onclick}>{ "Share this run" }</button>
            { " " }{ result }
        </p>
    }
}
