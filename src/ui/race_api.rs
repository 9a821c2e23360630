//! `playground.race(config)`: runs the race of approaches on the workload `config` describes
//! (as the Race approaches button does, shown on the page) and resolves with one entry per
//! approach, in the order they ran: `{ family, strategy, settings, config, wall_ms, link,
//! status, skipped, reason }` (`status` is `ran`, `skipped`, `stopped`, `not run` or
//! `failed`; `wall_ms` only for a run that ran to the end; `settings` the run's URL keys and
//! values, `config` and `link` the same as a query). The array also carries `conclusions`,
//! the sentences the page shows. When stopped (`playground.cancel()`, Stop, Escape) it
//! resolves with what ran. A bad config rejects with a message, as does a race asked for
//! while another race or a sweep runs.

use crate::model::app_state::Action;
use crate::model::race::Race;
use crate::runtime::pool::is_cross_origin_isolated;
use crate::ui::api::read_config;
use crate::ui::app::Dispatcher;
use crate::ui::race::{is_racing, run_race};
use crate::ui::sweep::is_sweeping;
use js_sys::{Promise, Reflect};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// The race's entries as JSON, one per approach.
fn entries(race: &Race) -> Value {
    let entries = race.entries.iter().map(|entry| {
        let pairs = entry.config.as_ref().map(|c| c.to_pairs());
        let settings = pairs.map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v)))
                .collect::<Map<_, _>>()
        });
        let query = entry.config.as_ref().map(|c| c.to_query());
        json!({
            "family": entry.approach.family(),
            "strategy": entry.approach.strategy().name(),
            "settings": settings,
            "config": query,
            "wall_ms": entry.wall_ms(),
            "link": query.as_ref().map(|q| format!("?{q}")),
            "status": entry.status(),
            "skipped": entry.status() == "skipped",
            "reason": entry.reason(),
        })
    });
    Value::Array(entries.collect())
}

/// `playground.race(config)`.
pub fn race(dispatch: Dispatcher, config: JsValue) -> Promise {
    // Read now, as the call happens: later changes to the object do not change the race.
    let inputs = read_config(&config).map_err(|i| i.to_string());
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let inputs = inputs.map_err(reject)?;
        let base = inputs.validate().map_err(|i| reject(i.to_string()))?;
        if is_racing() || is_sweeping() {
            return Err(reject(
                "a race or a sweep is already running: stop it first".to_owned(),
            ));
        }
        let planned = Race::plan(&base, is_cross_origin_isolated());
        dispatch.dispatch(Action::Load(inputs));
        let raced = run_race(dispatch, planned).await;
        let text = entries(&raced).to_string();
        let array = js_sys::JSON::parse(&text)
            .map_err(|_| reject("the race could not be handed out".to_owned()))?;
        let conclusions: js_sys::Array =
            raced.conclusions().into_iter().map(JsValue::from).collect();
        let _ = Reflect::set(&array, &"conclusions".into(), &conclusions);
        Ok(array)
    })
}
