//! The sweep form: two settings the strategy reads and their values, and the Sweep button.

use crate::model::config::RunConfig;
use crate::model::field::{Field, FieldKind};
use crate::model::strategy::Strategy;
use crate::model::sweep::{Axis, Sweep};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The numeric settings `strategy` reads: what a sweep can vary.
fn sweepable(strategy: Option<Strategy>) -> Vec<Field> {
    strategy
        .map(Strategy::fields)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|f| matches!(f.kind(), FieldKind::Number { .. }))
        .collect()
}

/// Props of [`SweepForm`].
#[derive(Properties, PartialEq)]
pub struct SweepFormProps {
    /// The strategy picked in the controls.
    pub strategy: Option<Strategy>,
    /// The controls' run, every point's base (none while the controls are invalid).
    pub base: Option<RunConfig>,
    /// Whether a sweep may start now.
    pub can_run: bool,
    /// Called with the planned sweep.
    pub on_sweep: Callback<Sweep>,
}

/// The sweep's axes: a setting and its values, twice (the second may be left out), and the
/// Sweep button.
#[function_component]
pub fn SweepForm(props: &SweepFormProps) -> Html {
    let fields = sweepable(props.strategy);
    let first = use_state(|| (Field::Workers, "1 2 4".to_owned()));
    let second = use_state(|| (Some(Field::Chunksize), "1 4 16".to_owned()));
    let error = use_state(|| None::<String>);
    // A choice the strategy does not read falls back to what it does.
    let first_field = Some(first.0)
        .filter(|f| fields.contains(f))
        .or_else(|| fields.first().copied());
    let second_field = second
        .0
        .filter(|f| fields.contains(f) && Some(*f) != first_field);
    let onsubmit = {
        let (first, second, error) = (first.clone(), second.clone(), error.clone());
        let (base, on_sweep, can_run) = (props.base.clone(), props.on_sweep.clone(), props.can_run);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if !can_run {
                return;
            }
            let Some(base) = base.clone() else {
                error.set(Some("fix the settings above first".to_owned()));
                return;
            };
            let mut axes = Vec::new();
            for (field, text) in [(first_field, &first.1), (second_field, &second.1)] {
                if let Some(field) = field {
                    match Axis::from_text(field.key(), text) {
                        Ok(axis) => axes.push(axis),
                        Err(why) => return error.set(Some(why)),
                    }
                }
            }
            match Sweep::plan(&base, axes) {
                Ok(sweep) => {
                    error.set(None);
                    on_sweep.emit(sweep);
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let options = |chosen: Option<Field>| {
        fields
            .iter()
            .map(|f| html! { <option value={f.key()} selected={chosen == Some(*f)}>{ f.key() }</option> })
            .collect::<Html>()
    };
    let pick = |field: &str| Field::ALL.into_iter().find(|f| f.key() == field);
    let on_first_field = {
        let first = first.clone();
        Callback::from(move |event: Event| {
            let key = event.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(field) = pick(&key) {
                first.set((field, first.1.clone()));
            }
        })
    };
    let on_first_text = {
        let first = first.clone();
        Callback::from(move |event: InputEvent| {
            first.set((
                first.0,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            ));
        })
    };
    let on_second_field = {
        let second = second.clone();
        Callback::from(move |event: Event| {
            let key = event.target_unchecked_into::<HtmlSelectElement>().value();
            second.set((pick(&key), second.1.clone()));
        })
    };
    let on_second_text = {
        let second = second.clone();
        Callback::from(move |event: InputEvent| {
            second.set((
                second.0,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            ));
        })
    };
    html! {
        <form class="sweep-form" id="sweep-form" {onsubmit} novalidate=true>
            <p class="sweep-intro">
                <strong>{ "Sweep" }</strong>
                { ": run this workload at every point of a grid, one point after another, after one untimed warm-up run (values separated by spaces; a..b for a range)." }
            </p>
            <div class="sweep-axis">
                <select id="sweep-field-1" aria-label="first setting to sweep" onchange={on_first_field}>
                    { options(first_field) }
                </select>
                <input id="sweep-values-1" type="text" value={first.1.clone()}
                    aria-label="its values" oninput={on_first_text} />
            </div>
            <div class="sweep-axis">
                <select id="sweep-field-2" aria-label="second setting to sweep" onchange={on_second_field}>
                    <option value="" selected={second_field.is_none()}>{ "(none)" }</option>
                    { options(second_field) }
                </select>
                <input id="sweep-values-2" type="text" value={second.1.clone()}
                    aria-label="its values" disabled={second_field.is_none()} oninput={on_second_text} />
            </div>
            <button type="submit" id="sweep" aria-disabled={(!props.can_run).to_string()}
                disabled={props.base.is_none()}>{ "Sweep" }</button>
            if let Some(why) = &*error {
                <p class="field-error" role="alert" data-key="sweep">{ why.clone() }</p>
            }
        </form>
    }
}
