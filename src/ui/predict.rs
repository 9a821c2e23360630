//! Predict, then run: two optional boxes beside the controls for a guess of the next run's
//! wall time and of the order its results arrive in, and after the run the guess set against
//! what the trace recorded (`model::prediction`). A guess that cannot be read is said so
//! and left out; it never stops a run.

use crate::model::app_state::Action;
use crate::model::prediction::Guess;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`PredictBox`].
#[derive(Properties, PartialEq)]
pub struct PredictBoxProps {
    /// The boxes' text: the wall time, the order.
    pub text: (String, String),
    /// Called with the boxes' new text.
    pub on_edit: Callback<Action>,
}

/// The two guess boxes, and what is wrong with a guess that cannot be read.
#[function_component]
pub fn PredictBox(props: &PredictBoxProps) -> Html {
    let (wall, order) = props.text.clone();
    let on_wall = {
        let order = order.clone();
        props.on_edit.reform(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Action::GuessText(input.value(), order.clone())
        })
    };
    let on_order = {
        let wall = wall.clone();
        props.on_edit.reform(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            Action::GuessText(wall.clone(), input.value())
        })
    };
    let problem = Guess::read(&wall, &order).err();
    html! {
        <div class="predict">
            <span class="predict-intro">{ "Predict, then run (optional):" }</span>
            <label>{ "wall time " }
                <input id="guess-wall" type="text" inputmode="decimal" size="7" placeholder="ms" value={wall} oninput={on_wall} />
                { " ms" }
            </label>
            <label>{ "results arrive in the order " }
                <input id="guess-order" type="text" size="12" placeholder="e.g. 0 2 1" value={order} oninput={on_order} />
            </label>
            if let Some(problem) = problem {
                <p class="field-error predict-error" role="alert">{ format!("This guess is left out: {problem}.") }</p>
            }
        </div>
    }
}

/// Props of [`PredictionOutcome`].
#[derive(Properties, PartialEq)]
pub struct PredictionOutcomeProps {
    /// The sentences setting the guess against the run.
    pub said: Vec<String>,
}

/// The guess against the outcome, after the run.
#[function_component]
pub fn PredictionOutcome(props: &PredictionOutcomeProps) -> Html {
    html! {
        <div class="prediction-outcome" id="prediction-outcome" role="status">
            { for props.said.iter().map(|s| html! { <p>{ s }</p> }) }
        </div>
    }
}
