//! The settings: a strategy picker, one [`NumberField`] per numeric setting, the resolved
//! chunk size, and the Run button.

use crate::model::app_state::{Action, RunPhase};
use crate::model::config::{group_digits, Field, Inputs, Invalid, RunConfig, Strategy};
use web_sys::{HtmlInputElement, HtmlSelectElement};
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
    let onsubmit = props
        .on_run
        .reform(|event: SubmitEvent| event.prevent_default());
    let chunksize_note = props
        .validation
        .as_ref()
        .ok()
        .map(RunConfig::chunksize_explanation);
    html! {
        <form class="controls" {onsubmit} novalidate=true>
            <div class="field">
                <label for="strategy">{ "Strategy" }</label>
                <select id="strategy" name="strategy" onchange={on_strategy}>
                    { for Strategy::ALL.iter().map(|s| html! {
                        <option value={s.name()} selected={props.inputs.strategy == s.name()}>
                            { s.name() }
                        </option>
                    }) }
                </select>
                if let Some(m) = message("strategy") {
                    <p class="field-error" role="alert" data-key="strategy">{ m }</p>
                }
            </div>
            { for Field::ALL.into_iter().map(|field| html! {
                <NumberField
                    {field}
                    text={props.inputs.get(field).to_owned()}
                    error={message(field.key())}
                    note={(field == Field::Chunksize).then(|| chunksize_note.clone()).flatten()}
                    on_edit={props.on_edit.clone()}
                />
            }) }
            if let Ok(config) = &props.validation {
                <pre class="python" id="python"><code>{ config.python_code() }</code></pre>
            }
            <div class="run-row">
                <button type="submit" id="run" disabled={!props.can_run}>
                    { if props.running.is_some() { "Running…" } else { "Run" } }
                </button>
                if let Some(phase) = props.running {
                    <span class="status" role="status"><span class="spinner"></span>{ phase.label() }</span>
                }
                if let Some(m) = message("run") {
                    <p class="field-error" role="alert" data-key="run">{ m }</p>
                }
            </div>
        </form>
    }
}

/// Props of [`NumberField`].
#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    /// Which setting.
    pub field: Field,
    /// Its text.
    pub text: String,
    /// Why the text is not accepted, if it is not.
    pub error: Option<String>,
    /// A note under the control (the resolved chunk size).
    pub note: Option<String>,
    /// Called with the edit.
    pub on_edit: Callback<Action>,
}

/// One labelled numeric control, with its range and its validation message.
#[function_component]
pub fn NumberField(props: &NumberFieldProps) -> Html {
    let field = props.field;
    let key = field.key();
    let (low, high) = field.range();
    let oninput = props.on_edit.reform(move |event: InputEvent| {
        let input: HtmlInputElement = event.target_unchecked_into();
        Action::Edit(field, input.value())
    });
    let placeholder = if field.optional() { "default rule" } else { "" };
    html! {
        <div class={classes!("field", props.error.is_some().then_some("invalid"))}>
            <label for={key}>{ field.label() }</label>
            <input
                id={key}
                name={key}
                type="text"
                inputmode="numeric"
                value={props.text.clone()}
                {placeholder}
                aria-invalid={props.error.is_some().to_string()}
                {oninput}
            />
            <p class="field-range">{ format!("{} to {}", group_digits(low), group_digits(high)) }</p>
            if let Some(error) = &props.error {
                <p class="field-error" role="alert" data-key={key}>{ error.clone() }</p>
            } else if let Some(note) = &props.note {
                <p class="field-note" data-key={key}>{ note.clone() }</p>
            }
        </div>
    }
}
