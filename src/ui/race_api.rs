//! `playground.race(config, { rounds })`: runs the race of approaches on the workload `config` describes
//! (as the Race approaches button does, shown on the page) and resolves with one entry per
//! approach, in the order they ran: `{ family, strategy, settings, config, wall_ms, link,
//! status, skipped, reason }` (`status` is `ran`, `skipped`, `stopped`, `not run` or
//! `failed`; `wall_ms` only for a run that ran to the end; `settings` the run's URL keys and
//! values, `config` and `link` the same as a query; `runs_ms` the wall time of each round).
//! Each approach runs `rounds` times (1 to 7, default 3), round by round, and its `wall_ms`
//! is its median run's. The array also carries `conclusions`,
//! the sentences the page shows. When stopped (`playground.cancel()`, Stop, Escape) it
//! resolves with what ran. A bad config rejects with a message, as does a race asked for
//! while another race or a sweep runs.

use crate::model::app_state::Action;
use crate::model::race::{Race, DEFAULT_ROUNDS, MOST_ROUNDS};
use crate::runtime::pool::is_cross_origin_isolated;
use crate::ui::api::read_config;
use crate::ui::app::Dispatcher;
use crate::ui::race::{race_or_sweep_running, run_race};
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
            "runs_ms": entry.runs.iter().map(|t| t.wall_ms).collect::<Vec<_>>(),
            "link": query.as_ref().map(|q| format!("?{q}")),
            "status": entry.status(),
            "skipped": entry.status() == "skipped",
            "reason": entry.reason(),
        })
    });
    Value::Array(entries.collect())
}

/// The rounds a JS caller asked for: `{ rounds: n }`, a whole number from 1 to
/// [`MOST_ROUNDS`]; [`DEFAULT_ROUNDS`] when not given.
fn read_rounds(options: &JsValue) -> Result<usize, String> {
    if options.is_undefined() || options.is_null() {
        return Ok(DEFAULT_ROUNDS);
    }
    let value = Reflect::get(options, &"rounds".into())
        .map_err(|_| "reading the race's options threw".to_owned())?;
    if value.is_undefined() || value.is_null() {
        return Ok(DEFAULT_ROUNDS);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && (1.0..=MOST_ROUNDS as f64).contains(&n) => Ok(n as usize),
        Some(n) => Err(format!(
            "rounds must be a whole number from 1 to {MOST_ROUNDS}, not {n}"
        )),
        None => Err(format!(
            "rounds must be a whole number from 1 to {MOST_ROUNDS}, not {}",
            crate::ui::api::what_it_is(&value)
        )),
    }
}

/// `playground.race(config, options)`.
pub fn race(dispatch: Dispatcher, config: JsValue, options: JsValue) -> Promise {
    // Read now, as the call happens: later changes to the object do not change the race.
    let inputs = read_config(&config).map_err(|i| i.to_string());
    let rounds = read_rounds(&options);
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let inputs = inputs.map_err(reject)?;
        let base = inputs.validate().map_err(|i| reject(i.to_string()))?;
        if let Some(busy) = race_or_sweep_running() {
            return Err(reject(busy));
        }
        let planned = Race::plan(&base, is_cross_origin_isolated(), rounds.map_err(reject)?);
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
