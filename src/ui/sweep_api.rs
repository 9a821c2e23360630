//! `playground.sweep(config, axes)`: runs the grid of `axes` (`{ workers: [1, 2, 4],
//! chunksize: [1, 4, 16] }`, any numeric settings the strategy reads) from the run `config`
//! describes, one point after another after one untimed warm-up run, shown on the page as
//! the Sweep button shows it. It resolves with the points that settled, each `{ settings,
//! wall_ms, speedup, link, status, message }` (`status` is `ran`, `refused` or `failed`; a
//! refused point was never run); when stopped (`playground.cancel()`, Stop, Escape) it
//! resolves with the points done so far (none when stopped during the warm-up). Bad
//! axes (none, empty, not numbers, more than 64 points, over the run guard's 2 minutes in
//! all) reject with a message, as does a sweep asked for while another runs.

use crate::model::app_state::Action;
use crate::model::config::ConfigValue;
use crate::model::sweep::{Axis, Outcome, Sweep};
use crate::ui::api::{config_value, read_config, what_it_is};
use crate::ui::app::Dispatcher;
use crate::ui::race::race_or_sweep_running;
use crate::ui::sweep::run_sweep;
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// The axes of a JS object: each own key a setting, each value an array of its values.
fn read_axes(axes: &JsValue) -> Result<Vec<Axis>, String> {
    if !axes.is_object() || Array::is_array(axes) {
        return Err(format!(
            "the axes must be an object such as {{ workers: [1, 2, 4] }}, not {}",
            what_it_is(axes)
        ));
    }
    let keys = Reflect::own_keys(axes).map_err(|_| "the axes could not be read".to_owned())?;
    let mut read = Vec::new();
    for key in keys.iter() {
        let Some(name) = key.as_string() else {
            continue;
        };
        let values =
            Reflect::get(axes, &key).map_err(|_| format!("reading the {name} axis threw"))?;
        if !Array::is_array(&values) {
            return Err(format!(
                "the {name} axis must be an array of numbers, not {}",
                what_it_is(&values)
            ));
        }
        let values: Vec<ConfigValue> = Array::from(&values).iter().map(config_value).collect();
        read.push(Axis::from_values(&name, values)?);
    }
    Ok(read)
}

/// The points that settled (ran, refused or failed), as a JS array.
fn settled_points(sweep: &Sweep) -> Result<JsValue, String> {
    let points: Vec<_> = (0..sweep.points.len())
        .filter(|&i| match sweep.points[i].outcome {
            Outcome::Ran(_) | Outcome::Refused(_) | Outcome::Failed(_) => true,
            Outcome::Pending | Outcome::Stopped(_) => false,
        })
        .map(|i| sweep.export_point(i))
        .collect();
    let json = serde_json::to_string(&points).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&json).map_err(|_| "the points could not be handed out".to_owned())
}

/// `playground.sweep(config, axes)`.
pub fn sweep(dispatch: Dispatcher, config: JsValue, axes: JsValue) -> Promise {
    // Read now, as the call happens: later changes to the objects do not change the sweep.
    let inputs = read_config(&config).map_err(|i| i.to_string());
    let axes = read_axes(&axes);
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let inputs = inputs.map_err(reject)?;
        let base = inputs.validate().map_err(|i| reject(i.to_string()))?;
        let planned = Sweep::plan(&base, axes.map_err(reject)?).map_err(reject)?;
        if let Some(busy) = race_or_sweep_running() {
            return Err(reject(busy));
        }
        dispatch.dispatch(Action::Load(inputs));
        let swept = run_sweep(dispatch, planned).await;
        settled_points(&swept).map_err(reject)
    })
}
