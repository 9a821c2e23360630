//! `window.playground`, the JS API for tutorial authors and tests:
//! - `playground.run(config)` returns a Promise of the run's trace as a plain object (with its
//!   `metrics`; the per-task fields are built when first read), or rejects with a readable
//!   message. `config` takes the URL's keys. The run is
//!   shown on the page like one started with the Run button.
//! - `playground.ready()` returns a Promise of `{ threads, startup_ms }` once the workers are
//!   started, or rejects with why they cannot start.

use crate::model::config::Inputs;
use crate::model::export::{pick, PER_TASK_FIELDS};
use crate::model::trace::Trace;
use crate::runtime::pool::describe;
use crate::ui::app::{run_and_show, Dispatcher};
use js_sys::{Object, Promise, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// The fields of `trace` that `keep` accepts, as a JS object.
fn picked(trace: &Trace, keep: &dyn Fn(&str) -> bool) -> Result<JsValue, String> {
    let mut json = Vec::new();
    pick(trace, keep, &mut serde_json::Serializer::new(&mut json)).map_err(|e| e.to_string())?;
    let json = String::from_utf8(json).map_err(|e| e.to_string())?;
    js_sys::JSON::parse(&json).map_err(|e| describe(&e))
}

/// A trace as the API hands it out: every field of the trace, plus its `metrics`. The
/// per-task fields and the metrics are getters that build their value when first read (then
/// keep it), so a run of a million tasks costs the page nothing until someone reads them.
fn export(trace: &Rc<Trace>) -> Result<JsValue, String> {
    let object = picked(trace, &|key| !PER_TASK_FIELDS.contains(&key))?;
    // The getter replaces itself with the value it built; it refers to the object through
    // `this`, so the object, the getter and the trace it holds are freed together.
    let lazy = js_sys::Function::new_with_args(
        "name, build",
        "return { get() { const value = build(); Object.defineProperty(this, name, \
         { value, enumerable: true, writable: true, configurable: true }); return value; }, \
         enumerable: true, configurable: true };",
    );
    for field in PER_TASK_FIELDS.into_iter().chain(["metrics"]) {
        let trace = Rc::clone(trace);
        let build = Closure::<dyn FnMut() -> JsValue>::new(move || {
            let value = if field == "metrics" {
                serde_json::to_string(&trace.metrics())
                    .map_err(|e| e.to_string())
                    .and_then(|json| js_sys::JSON::parse(&json).map_err(|e| describe(&e)))
            } else {
                picked(&trace, &|key| key == field)
                    .and_then(|one| Reflect::get(&one, &field.into()).map_err(|e| describe(&e)))
            };
            value.unwrap_or(JsValue::NULL)
        });
        let descriptor = lazy
            .call2(&JsValue::NULL, &field.into(), &build.into_js_value())
            .map_err(|e| describe(&e))?;
        let target: &Object = object.unchecked_ref();
        let descriptor: &Object = descriptor.unchecked_ref();
        Object::define_property(target, &field.into(), descriptor);
    }
    Ok(object)
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

fn run(dispatch: Dispatcher, config: JsValue) -> Promise {
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let pairs = config_pairs(&config).map_err(reject)?;
        let inputs = Inputs::from_pairs(pairs, true).map_err(|i| reject(i.to_string()))?;
        let run_config = inputs.validate().map_err(|i| reject(i.to_string()))?;
        dispatch.dispatch(crate::model::app_state::Action::Load(inputs));
        let trace = run_and_show(dispatch, run_config).await.map_err(reject)?;
        export(&trace).map_err(reject)
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
    let run_fn =
        Closure::<dyn Fn(JsValue) -> Promise>::new(move |config| run(dispatch.clone(), config));
    let _ = Reflect::set(&api, &"run".into(), run_fn.as_ref());
    let ready_fn = Closure::<dyn Fn() -> Promise>::new(ready);
    let _ = Reflect::set(&api, &"ready".into(), ready_fn.as_ref());
    ready_fn.forget();
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    // The API lives as long as the page.
    run_fn.forget();
    let _ = Reflect::set(&window, &"playground".into(), &api);
}
