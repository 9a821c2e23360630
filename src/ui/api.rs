//! `window.playground`, the JS API for tutorial authors and tests:
//! - `playground.run(config)` returns a Promise of the run's trace as a plain object (with its
//!   `metrics`), or rejects with a readable message. `config` takes the URL's keys. The run is
//!   shown on the page like one started with the Run button.
//!   `playground.run(config, { baseline: false })` skips measuring the 1-worker baseline.
//!   A stopped run resolves with the trace of what ran, marked `stopped: true`.
//! - `playground.cancel()` stops the run in progress (its baseline included) and returns
//!   whether there was one.
//! - `playground.ready()` returns a Promise of `{ threads, startup_ms }` once the workers are
//!   started, or rejects with why they cannot start.

use crate::model::config::Inputs;
use crate::model::trace::{Metrics, Trace};
use crate::runtime::pool::describe;
use crate::runtime::session::{self, RunOptions};
use crate::ui::app::{run_and_show, Dispatcher};
use js_sys::{Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A trace as the API hands it out: every field of the trace, plus its metrics.
#[derive(Serialize)]
struct Export<'a> {
    #[serde(flatten)]
    trace: &'a Trace,
    metrics: Metrics,
}

/// Turns a JS config object into key/text pairs (numbers and booleans as text).
fn config_pairs(config: &JsValue) -> Result<Vec<(String, String)>, String> {
    if config.is_undefined() || config.is_null() {
        return Ok(Vec::new());
    }
    if !config.is_object() {
        return Err("config must be an object such as { strategy: 'Pool.map', workers: 2 }".into());
    }
    Object::entries(config.unchecked_ref())
        .iter()
        .map(|entry| {
            let key = Reflect::get(&entry, &0.into())
                .ok()
                .and_then(|k| k.as_string())
                .unwrap_or_default();
            let value = Reflect::get(&entry, &1.into()).unwrap_or(JsValue::UNDEFINED);
            let text = if value.is_undefined() || value.is_null() {
                String::new()
            } else if let Some(text) = value.as_string() {
                text
            } else if let Some(number) = value.as_f64() {
                number.to_string()
            } else if let Some(flag) = value.as_bool() {
                flag.to_string()
            } else {
                return Err(format!("{key}: expected a number or a string"));
            };
            Ok((key, text))
        })
        .collect()
}

/// The run options a JS caller gave: `{ baseline: false }` skips the 1-worker baseline.
fn run_options(options: &JsValue) -> RunOptions {
    let baseline = Reflect::get(options, &"baseline".into()).unwrap_or(JsValue::UNDEFINED);
    RunOptions {
        measure_baseline: baseline.as_bool() != Some(false),
    }
}

fn run(dispatch: Dispatcher, config: JsValue, options: JsValue) -> Promise {
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let options = if options.is_object() {
            run_options(&options)
        } else {
            RunOptions {
                measure_baseline: true,
            }
        };
        let pairs = config_pairs(&config).map_err(reject)?;
        let inputs = Inputs::from_pairs(pairs, true).map_err(|i| reject(i.to_string()))?;
        let run_config = inputs.validate().map_err(|i| reject(i.to_string()))?;
        dispatch.dispatch(crate::model::app_state::Action::Load(inputs));
        let trace = run_and_show(dispatch, run_config, options)
            .await
            .map_err(reject)?;
        let json = serde_json::to_string(&Export {
            trace: &trace,
            metrics: trace.metrics(),
        })
        .map_err(|e| reject(e.to_string()))?;
        js_sys::JSON::parse(&json).map_err(|e| reject(describe(&e)))
    })
}

fn ready() -> Promise {
    future_to_promise(async {
        let info = crate::runtime::pool::ready()
            .await
            .map_err(|why| JsValue::from(js_sys::Error::new(&why)))?;
        let result = Object::new();
        let _ = Reflect::set(&result, &"threads".into(), &(info.threads as f64).into());
        let _ = Reflect::set(&result, &"startup_ms".into(), &info.startup_ms.into());
        Ok(result.into())
    })
}

/// Installs `window.playground` for this page.
pub fn install(dispatch: Dispatcher) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    let run_fn = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |config, options| {
        run(dispatch.clone(), config, options)
    });
    let _ = Reflect::set(&api, &"run".into(), run_fn.as_ref());
    let cancel_fn = Closure::<dyn Fn() -> bool>::new(session::stop);
    let _ = Reflect::set(&api, &"cancel".into(), cancel_fn.as_ref());
    cancel_fn.forget();
    let ready_fn = Closure::<dyn Fn() -> Promise>::new(ready);
    let _ = Reflect::set(&api, &"ready".into(), ready_fn.as_ref());
    ready_fn.forget();
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    // The API lives as long as the page.
    run_fn.forget();
    let _ = Reflect::set(&window, &"playground".into(), &api);
}
