//! The settings: a strategy picker, one [`FieldControl`] per setting the strategy reads, the
//! Python the settings amount to, and the Run button.

use crate::model::app_state::{Action, RunPhase};
use crate::model::config::{
    cost_from_slider, cost_slider_position, group_digits, Field, FieldKind, Inputs, Invalid,
    RunConfig, Strategy, COST_SLIDER_MAX,
};
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
    let strategy = Strategy::parse(&props.inputs.strategy).ok();
    let mut families: Vec<&str> = Strategy::ALL.iter().map(|s| s.family()).collect();
    families.dedup();
    let fields = strategy.map(Strategy::fields).unwrap_or_default();
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
            Field::Workers if config.strategy == Strategy::ThreadPoolMap => {
                Some("CPython's default: min(32, os.cpu_count() + 4)".to_owned())
            }
            _ => None,
        }
    };
    html! {
        <form class="controls" {onsubmit} novalidate=true>
            <div class="field field-strategy">
                <label for="strategy">{ "Strategy" }</label>
                <select id="strategy" name="strategy" onchange={on_strategy}>
                    { for families.iter().map(|family| html! {
                        <optgroup label={*family}>
                            { for Strategy::ALL.iter().filter(|s| s.family() == *family).map(|s| html! {
                                <option value={s.name()} selected={props.inputs.strategy == s.name()}>
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
            { for fields.into_iter().map(|field| html! {
                <FieldControl
                    {field}
                    choices={(field == Field::Workload).then(|| strategy.map(Strategy::workload_choices)).flatten()}
                    text={props.inputs.get(field).to_owned()}
                    error={message(field.key())}
                    note={note(field)}
                    on_edit={props.on_edit.clone()}
                />
            }) }
            if let Some(config) = config {
                <pre class="python" id="python"><code>{ config.python_code(&page_site()) }</code></pre>
            }
            <div class="run-row">
                <button type="submit" id="run" disabled={run_disabled}
                    aria-disabled={(!props.can_run).to_string()}>
                    { if props.running.is_some() { "Running…" } else { "Run" } }
                </button>
                if props.running.is_some() && strategy.is_some_and(Strategy::is_fetch) {
                    <button type="button" id="cancel" onclick={Callback::from(|_| crate::runtime::fetch::cancel_running())}>
                        { "Cancel" }
                    </button>
                }
                if let Some(phase) = props.running {
                    // No animation while a run computes: on a 2-core machine an animated
                    // spinner took 3-4% of the workers' CPU and showed in their timings.
                    <span class="status" role="status">{ phase.label() }</span>
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
fn page_site() -> String {
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
            html! {
                <select id={key} name={key} {onchange}>
                    { for names.iter().map(|name| html! {
                        <option value={*name} selected={props.text == *name}>{ *name }</option>
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
            let checked = matches!(props.text.trim(), "true" | "1" | "yes" | "on");
            html! {
                <label class="flag">
                    <input id={key} name={key} type="checkbox" {checked} {onchange} />
                    { if field == Field::Gil { "held while computing" } else { "True" } }
                </label>
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
        let cost: u64 = props.text.trim().parse().unwrap_or(0);
        html! {
            <input id="cost-slider" type="range" min="0" max={COST_SLIDER_MAX.to_string()} step="1"
                value={cost_slider_position(cost).to_string()} aria-label="cost per item, logarithmic" {oninput} />
        }
    });
    let range = match field.kind() {
        FieldKind::Number { min, max } => {
            Some(format!("{} to {}", group_digits(min), group_digits(max)))
        }
        _ => None,
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
