//! While a run is in progress: what it is doing and how far it is, each lane's share of the
//! items done growing as the workers go, and the Stop button. The counts are read from the
//! run's shared counters four times a second by this component alone, so that nothing else
//! on the page redraws while the workers compute. The rows' room is kept from the run's start
//! (for up to 16 lanes), so that a lane's first count moves nothing below it.

use crate::model::app_state::RunPhase;
use crate::model::words::group_digits;
use crate::runtime::session;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// How often the counts of items done are read.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Lanes whose rows have room kept from the run's start; a run of more lanes (a process or
/// thread per item) makes room for the others as they count.
const ROOM_FOR_LANES: usize = 16;

/// Props of [`RunStatus`].
#[derive(Properties, PartialEq)]
pub struct RunStatusProps {
    /// What the run is doing.
    pub phase: RunPhase,
    /// Items of the run.
    pub items: usize,
    /// Whether the run's lanes are rayon's threads (else workers).
    pub by_thread: bool,
    /// How many lanes the run may use.
    pub lanes: usize,
    /// Called when Stop is pressed.
    pub on_stop: Callback<()>,
}

/// The status line with the run's progress, the lanes growing, and Stop.
#[function_component]
pub fn RunStatus(props: &RunStatusProps) -> Html {
    let done = use_state(|| None::<(usize, Vec<usize>)>);
    {
        let done = done.clone();
        use_effect_with(props.phase, move |_| {
            // A new phase counts from zero (the baseline after the run).
            done.set(None);
            let running = Rc::new(Cell::new(true));
            let polling = Rc::clone(&running);
            spawn_local(async move {
                while polling.get() {
                    yew::platform::time::sleep(PROGRESS_INTERVAL).await;
                    if polling.get() {
                        done.set(session::items_done());
                    }
                }
            });
            move || running.set(false)
        });
    }
    let onclick = props.on_stop.reform(|_: MouseEvent| ());
    let stop_label = match props.phase {
        RunPhase::MeasuringBaseline => "Skip",
        RunPhase::Waiting | RunPhase::Running | RunPhase::Fetching => "Stop",
    };
    // The baseline runs on one worker, whatever the run's lanes were.
    let lane_name = if props.by_thread && props.phase != RunPhase::MeasuringBaseline {
        "thread"
    } else {
        "worker"
    };
    let items = props.items.max(1) as f64;
    // The baseline runs on one lane.
    let lanes = if props.phase == RunPhase::MeasuringBaseline {
        1
    } else {
        props.lanes
    };
    let by_lane = done
        .as_ref()
        .map(|(_, by_lane)| by_lane.as_slice())
        .unwrap_or_default();
    // Lanes with room kept for their row, counted or not.
    let room = lanes.min(ROOM_FOR_LANES);
    let rows: Vec<(usize, usize)> = (0..by_lane.len().max(room))
        .map(|lane| (lane, by_lane.get(lane).copied().unwrap_or(0)))
        .filter(|&(lane, n)| n > 0 || lane < room)
        .collect();
    html! {
        <>
            <button type="button" id="cancel" {onclick}
                title="Stop the run and keep what ran (Esc)">{ stop_label }</button>
            // No animation while a run computes: on a 2-core machine an animated spinner took
            // 3-4% of the workers' CPU and showed in their timings.
            <span class="status" role="status">
                { props.phase.status(done.as_ref().map(|(n, _)| *n), props.items) }
            </span>
            if !rows.is_empty() {
                <div class="live-lanes" aria-label={format!("items done so far by each {lane_name}")}>
                    { for rows.into_iter().map(|(lane, n)| if n == 0 {
                        // Room for a lane that has counted nothing yet.
                        html! { <div class="live-room" aria-hidden="true"></div> }
                    } else {
                        html! {
                            <div class="live-lane" data-lane={lane.to_string()} data-done={n.to_string()}>
                                <span class="live-name">{ format!("{lane_name} {lane}") }</span>
                                <span class="live-track">
                                    <span class="live-bar" style={format!("transform:scaleX({:.4})", n as f64 / items)}></span>
                                </span>
                                <span class="live-count">{ group_digits(n as u64) }</span>
                            </div>
                        }
                    }) }
                </div>
            }
        </>
    }
}
