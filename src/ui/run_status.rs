//! While a run is in progress: what it is doing and how far it is, and the Stop button.
//! The count of items done is read from the run's shared counter four times a second by this
//! component alone, so that nothing else on the page redraws while the workers compute.

use crate::model::app_state::RunPhase;
use crate::runtime::session;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// How often the count of items done is read.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Props of [`RunStatus`].
#[derive(Properties, PartialEq)]
pub struct RunStatusProps {
    /// What the run is doing.
    pub phase: RunPhase,
    /// Items of the run.
    pub items: usize,
    /// Called when Stop is pressed.
    pub on_stop: Callback<()>,
}

/// The status line with the run's progress, and Stop.
#[function_component]
pub fn RunStatus(props: &RunStatusProps) -> Html {
    let items_done = use_state(|| None::<usize>);
    {
        let items_done = items_done.clone();
        use_effect_with(props.phase, move |_| {
            // A new phase counts from zero (the baseline after the run).
            items_done.set(None);
            let running = Rc::new(Cell::new(true));
            let polling = Rc::clone(&running);
            spawn_local(async move {
                while polling.get() {
                    yew::platform::time::sleep(PROGRESS_INTERVAL).await;
                    if polling.get() {
                        items_done.set(session::items_done());
                    }
                }
            });
            move || running.set(false)
        });
    }
    let onclick = props.on_stop.reform(|_: MouseEvent| ());
    let stop_label = match props.phase {
        RunPhase::MeasuringBaseline => "Skip",
        _ => "Stop",
    };
    html! {
        <>
            <button type="button" id="cancel" {onclick}
                title="Stop the run and keep what ran (Esc)">{ stop_label }</button>
            // No animation while a run computes: on a 2-core machine an animated spinner took
            // 3-4% of the workers' CPU and showed in their timings.
            <span class="status" role="status">{ props.phase.status(*items_done, props.items) }</span>
        </>
    }
}
