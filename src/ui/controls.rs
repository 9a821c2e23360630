//! The settings: a strategy picker, one [`FieldControl`] per setting the strategy reads, the
//! Python the settings amount to, and the Run button.

use crate::model::app_state::{Action, RunPhase};
use crate::model::config::{
    cost_from_slider, cost_slider_position, quote, shorten, Inputs, Invalid, RunConfig,
    COST_SLIDER_MAX,
};
use crate::model::embed::EmbedControls;
use crate::model::field::{Field, FieldKind};
use crate::model::program::program;
use crate::model::raising::SLOW_FACTOR;
use crate::model::strategy::{Family, Strategy};
use crate::model::words::group_digits;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Props of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The controls' text.
    pub inputs: Inputs,
    /// The controls checked.
    pub validation: Result<RunConfig, Invalid>,
    /// Whether Run may start a run now.
    pub can_run: bool,
    /// The run in progress, if any.
    pub running: Option<RunPhase>,
    /// Called with an edit.
    pub on_edit: Callback<Action>,
    /// Called when Run is pressed.
    pub on_run: Callback<()>,
    /// What the run in progress is doing, with Stop (shown while a run is in progress).
    #[prop_or_default]
    pub status: Html,
    /// Whether a run also measures its workload on 1 worker when no measurement is stored.
    pub measure_baseline: bool,
    /// In the embed mode, the controls its author exposed: the others are left out (unless
    /// their value is refused, so that every message is seen), and so is the program.
    #[prop_or_default]
    pub embed: Option<EmbedControls>,
}

/// The settings form.
#[function_component]
pub fn Controls(props: &ControlsProps) -> Html {
    let invalid = props.validation.as_ref().err();
    let message = |key: &str| invalid.and_then(|i| i.for_key(key)).map(str::to_owned);
    let on_strategy = props.on_edit.reform(|event: Event| {
        let select: HtmlSelectElement = event.target_unchecked_into();
        Action::PickStrategy(select.value())
    });
    let onsubmit = {
        let (on_run, can_run) = (props.on_run.clone(), props.can_run);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if can_run {
                on_run.emit(());
            }
        })
    };
    // While a run is in progress Run is only marked unavailable (aria-disabled), not
    // disabled: a disabled button loses the keyboard focus, and the user would have to find
    // their place again after every run.
    let run_disabled = !props.can_run && props.running.is_none();
    let strategy = Strategy::from_name(&props.inputs.strategy);
    let mut families: Vec<Family> = Strategy::ALL.iter().map(|s| s.family()).collect();
    families.dedup();
    let shown = |field: Field| {
        props
            .embed
            .as_ref()
            .is_none_or(|e| e.fields.contains(&field) || message(field.key()).is_some())
    };
    let show_strategy = props
        .embed
        .as_ref()
        .is_none_or(|e| e.strategy || message("strategy").is_some());
    let fields: Vec<Field> = strategy
        .map(Strategy::fields)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|&field| shown(field))
        .collect();
    let refused = props.inputs.refused();
    let config = props.validation.as_ref().ok();
    let note = |field: Field| -> Option<String> {
        let config = config?;
        match field {
            Field::Chunksize => Some(config.chunksize_explanation()),
            Field::Cost => Some(config.workload.cost_note()),
            Field::Requests if !config.fetch.urls.is_empty() => Some(format!(
                "one request per URL typed: {}",
                config.fetch.urls.len()
            )),
            Field::Workers => config.workers_explanation().or_else(|| {
                let formula = config.strategy.rule().default_workers.formula()?;
                Some(format!("left empty: {formula}"))
            }),
            Field::Items
            | Field::Workload
            | Field::Shape
            | Field::Seed
            | Field::Gil
            | Field::Requests
            | Field::LatencyMs
            | Field::Limit
            | Field::TimeoutMs
            | Field::ReturnExceptions
            | Field::Urls => None,
            Field::RaiseAt => Some(format!(
                "item numbers 1 to {}, as the lanes number them, separated by commas: each raises ValueError(f\"bad item {{x}}\"); empty: none raises",
                config.items
            )),
            Field::RaiseCost => Some(format!(
                "same: raises after its usual work; slow: works {SLOW_FACTOR} times as long first; fast: raises at once"
            )),
        }
    };
    html! {
        <form class="controls" {onsubmit} novalidate=true>
            if show_strategy {
            <div class="field field-strategy">
                <label for="strategy">{ "Strategy" }</label>
                <select id="strategy" name="strategy" onchange={on_strategy}>
                    if strategy.is_none() {
                        <option value="" selected=true disabled=true>{ quote(&props.inputs.strategy) }</option>
                    }
                    { for families.iter().map(|family| html! {
                        <optgroup label={family.name()}>
                            { for Strategy::ALL.iter().filter(|s| s.family() == *family).map(|s| html! {
                                <option value={s.name()} selected={strategy == Some(*s)}>
                                    { s.name() }
                                </option>
                            }) }
                        </optgroup>
                    }) }
                </select>
                if let Some(m) = message("strategy") {
                    <p class="field-error" role="alert" data-key="strategy">{ m }</p>
                }
            </div>
            }
            if !refused.is_empty() {
                <RefusedSettings {refused} inputs={props.inputs.clone()} on_edit={props.on_edit.clone()} />
            }
            { for fields.iter().copied().map(|field| html! {
                <FieldControl
                    {field}
                    choices={(field == Field::Workload).then(|| strategy.map(Strategy::workload_choices)).flatten()}
                    text={props.inputs.get(field).to_owned()}
                    error={message(field.key())}
                    note={note(field)}
                    on_edit={props.on_edit.clone()}
                />
            }) }
            if let Some(config) = config.filter(|_| props.embed.is_none()) {
                <pre class="python" id="python"><code>{ program(config, &page_site()) }</code></pre>
            }
            <div class="run-row">
                <button type="submit" id="run" disabled={run_disabled}
                    aria-disabled={(!props.can_run).to_string()}>
                    { if props.running.is_some() { "Running…" } else { "Run" } }
                </button>
                if props.running.is_some() {
                    { props.status.clone() }
                } else if !strategy.is_some_and(Strategy::is_fetch) && props.embed.is_none() {
                    <label class="baseline-choice">
                        <input type="checkbox" id="measure-baseline" checked={props.measure_baseline}
                            onchange={props.on_edit.reform(|event: Event| {
                                Action::MeasureBaseline(event.target_unchecked_into::<HtmlInputElement>().checked())
                            })} />
                        { " also time it on 1 worker, for the speed-up (once per workload)" }
                    </label>
                }
                if let Some(m) = message("run") {
                    <p class="field-error" role="alert" data-key="run">{ m }</p>
                }
            </div>
        </form>
    }
}

/// The page's address without its query (`http://host/playground/`): the site the shown
/// program fetches the shipped files from.
pub(crate) fn page_site() -> String {
    web_sys::window()
        .map(|window| {
            let location = window.location();
            format!(
                "{}{}",
                location.origin().unwrap_or_default(),
                location.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// Props of [`FieldControl`].
#[derive(Properties, PartialEq)]
pub struct FieldControlProps {
    /// Which setting.
    pub field: Field,
    /// Its text.
    pub text: String,
    /// The names a choice offers, when the strategy offers fewer than the field knows (the
    /// workload picker: `fetch` only on thread strategies).
    #[prop_or_default]
    pub choices: Option<&'static [&'static str]>,
    /// Why the text is not accepted, if it is not.
    pub error: Option<String>,
    /// A note under the control (the resolved chunk size, what the cost means).
    pub note: Option<String>,
    /// Called with the edit.
    pub on_edit: Callback<Action>,
}

/// One labelled control of the right kind (number, choice, flag, text), with its range and
/// its validation message.
#[function_component]
pub fn FieldControl(props: &FieldControlProps) -> Html {
    let field = props.field;
    let key = field.key();
    let edit = move |text: String| Action::Edit(field, text);
    let control = match field.kind() {
        FieldKind::Number { .. } => {
            let oninput = props.on_edit.reform(move |event: InputEvent| {
                edit(event.target_unchecked_into::<HtmlInputElement>().value())
            });
            let placeholder = if field.optional() { "default" } else { "" };
            html! {
                <input id={key} name={key} type="text" inputmode="numeric" value={props.text.clone()}
                    {placeholder} aria-invalid={props.error.is_some().to_string()} {oninput} />
            }
        }
        FieldKind::Choice(names) => {
            // Only what runs is offered; a value given by a link that does not run here is
            // still shown (and refused with its message), never silently replaced.
            let offered = props.choices.unwrap_or(names);
            let names: Vec<&str> = names
                .iter()
                .copied()
                .filter(|name| offered.contains(name) || props.text.trim() == *name)
                .collect();
            let onchange = props.on_edit.reform(move |event: Event| {
                edit(event.target_unchecked_into::<HtmlSelectElement>().value())
            });
            // The option selected is the value that runs; a value that does not parse is
            // shown as written (with its message), never as another choice.
            let chosen = field.parse_choice(&props.text).ok();
            html! {
                <select id={key} name={key} {onchange}>
                    if chosen.is_none() {
                        <option value="" selected=true disabled=true>{ quote(&props.text) }</option>
                    }
                    { for names.iter().enumerate().map(|(i, name)| html! {
                        <option value={*name} selected={chosen == Some(i)}>{ *name }</option>
                    }) }
                </select>
            }
        }
        FieldKind::Flag => {
            let onchange = props.on_edit.reform(move |event: Event| {
                edit(
                    event
                        .target_unchecked_into::<HtmlInputElement>()
                        .checked()
                        .to_string(),
                )
            });
            let checked = field.parse_flag(&props.text) == Ok(true);
            html! {
                <label class="flag">
                    <input id={key} name={key} type="checkbox" {checked} {onchange} />
                    { if field == Field::Gil { "held while computing" } else { "True" } }
                </label>
            }
        }
        FieldKind::Text if field == Field::RaiseAt => {
            let oninput = props.on_edit.reform(move |event: InputEvent| {
                edit(event.target_unchecked_into::<HtmlInputElement>().value())
            });
            html! {
                <input id={key} name={key} type="text" inputmode="numeric" value={props.text.clone()}
                    placeholder="e.g. 3,8" {oninput} />
            }
        }
        FieldKind::Text => {
            let oninput = props.on_edit.reform(move |event: InputEvent| {
                edit(event.target_unchecked_into::<HtmlTextAreaElement>().value())
            });
            html! {
                <textarea id={key} name={key} rows="2" value={props.text.clone()}
                    placeholder="shipped files (or http(s) URLs, one per line)" {oninput} />
            }
        }
    };
    let slider = (field == Field::Cost).then(|| {
        let oninput = props.on_edit.reform(move |event: InputEvent| {
            let position = event.target_unchecked_into::<HtmlInputElement>().value_as_number();
            edit(cost_from_slider(position.max(0.0) as u32).to_string())
        });
        let cost = field.parse_number(&props.text).ok().flatten().unwrap_or(0);
        html! {
            <input id="cost-slider" type="range" min="0" max={COST_SLIDER_MAX.to_string()} step="1"
                value={cost_slider_position(cost).to_string()} aria-label="cost per item, logarithmic" {oninput} />
        }
    });
    let range = match field.kind() {
        FieldKind::Number { min, max } => {
            Some(format!("{} to {}", group_digits(min), group_digits(max)))
        }
        FieldKind::Choice(_) | FieldKind::Flag | FieldKind::Text => None,
    };
    html! {
        <div class={classes!("field", format!("field-{key}"), props.error.is_some().then_some("invalid"))}>
            <label for={key}>{ field.label() }</label>
            { control }
            if let Some(slider) = slider {
                { slider }
            }
            if let Some(range) = range {
                <p class="field-range">{ range }</p>
            }
            if let Some(error) = &props.error {
                <p class="field-error" role="alert" data-key={key}>{ error.clone() }</p>
            } else if let Some(note) = &props.note {
                <p class="field-note" data-key={key}>{ note.clone() }</p>
            }
        </div>
    }
}

/// Props of [`RefusedSettings`].
#[derive(Properties, PartialEq)]
pub struct RefusedSettingsProps {
    /// The settings given that the strategy does not read, each with why.
    pub refused: Vec<(Field, String)>,
    /// The controls' text (the refused values are quoted from it).
    pub inputs: Inputs,
    /// Called with [`Action::DropSetting`].
    pub on_edit: Callback<Action>,
}

/// The settings a link (or the JS API) gave that the chosen strategy does not read: each
/// named with its value and why, with a button that drops it. Run stays disabled until
/// they are gone, so nothing given is ever silently ignored.
#[function_component]
pub fn RefusedSettings(props: &RefusedSettingsProps) -> Html {
    html! {
        <div class="refused-settings">
            { for props.refused.iter().map(|(field, why)| {
                let field = *field;
                let key = field.key();
                let onclick = props.on_edit.reform(move |_: MouseEvent| Action::DropSetting(field));
                html! {
                    <div class="refused" role="alert" data-key={key}>
                        <p>
                            <strong>{ format!("{key}={}", shorten(props.inputs.get(field))) }</strong>
                            { format!(" is not used: {why}.") }
                        </p>
                        <button type="button" class="drop-setting" data-key={key} {onclick}>
                            { format!("Drop {key}") }
                        </button>
                    </div>
                }
            }) }
        </div>
    }
}
