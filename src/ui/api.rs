//! `window.playground`, the JS API for tutorial authors and tests:
//! - `playground.run(config)` returns a Promise of the run's trace as a plain object (with its
//!   `metrics`; the per-task fields are built when first read), or rejects with a readable
//!   message. `config` takes the URL's keys. The run is
//!   shown on the page like one started with the Run button.
//!   `playground.run(config, { baseline: false })` skips measuring the 1-worker baseline.
//!   A stopped run resolves with the trace of what ran, marked `stopped: true`.
//! - `playground.cancel()` stops the run in progress (its baseline included) and returns
//!   whether there was one.
//! - `playground.sweep(config, { workers: [...], chunksize: [...] })` runs a grid of runs
//!   and resolves with its points (see `sweep_api`).
//! - `playground.race(config)` runs the same workload under each approach that applies and
//!   resolves with one entry per approach (see `race_api`).
//! - `playground.ready()` returns a Promise of `{ threads, startup_ms }` once the workers are
//!   started, or rejects with why they cannot start.
//! - `playground.export(trace, format)` returns the text of an export of a trace that
//!   `playground.run` resolved with: `"chrome"` (Chrome Trace Event JSON, for Perfetto and
//!   `chrome://tracing`), `"csv"` (a row per task) or `"svg"` (the lanes). The trace is known
//!   by the object itself, not by its contents: the API keeps, in a `WeakMap` keyed by each
//!   object it handed out, the Rust trace it came from (freed with the object), so the export
//!   is written from the trace as recorded, whatever was done to the object since. A copy
//!   (`{ ...trace }`, `JSON.parse(JSON.stringify(trace))`) is not a trace the API handed out
//!   and is refused, as is a format not in the list; both throw an `Error` saying so. The
//!   text is written in parts of 8 MB handed to JS as they fill (the wasm memory never holds
//!   it whole); one longer than a browser's longest string (500 MB here) is refused, with
//!   the page's download buttons named, which save any size.
//!
//! A host page embedding the playground reaches the same runs through `postMessage`
//! (`host_messages`), which calls the functions here.

use crate::model::config::{not_a_config_message, quote, ConfigValue, Inputs, Invalid};
use crate::model::export::{pick, PER_TASK_FIELDS};
use crate::model::export_formats::ExportFormat;
use crate::model::field::Field;
use crate::model::trace::Trace;
use crate::runtime::pool::describe;
use crate::runtime::session::{self, RunOptions};
use crate::ui::app::{run_and_show, Dispatcher};
use crate::ui::downloads::{export_parts, LONGEST_STRING_BYTES};
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

thread_local! {
    /// Each trace object the API handed out, mapped to a function that writes that trace in
    /// an export format (weakly: an entry goes when its object is collected).
    static HANDED_OUT: js_sys::WeakMap = js_sys::WeakMap::new();
}

/// Remembers that `object` is the export of `trace`, for `playground.export`.
fn remember(object: &JsValue, trace: &Rc<Trace>) {
    let trace = Rc::clone(trace);
    let write = Closure::<dyn Fn(String) -> JsValue>::new(move |name: String| {
        ExportFormat::parse(&name)
            .ok()
            .and_then(|format| export_parts(&trace, format, LONGEST_STRING_BYTES))
            .map(|parts| parts.join("").into())
            .unwrap_or(JsValue::UNDEFINED)
    });
    HANDED_OUT.with(|handed_out| {
        handed_out.set(object.unchecked_ref(), &write.into_js_value());
    });
}

/// `playground.export(trace, format)`: the text of `trace` in `format`, or an error saying
/// what is wrong with either.
fn export_text(trace: JsValue, format: JsValue) -> Result<JsValue, JsValue> {
    let fail = |message: String| JsValue::from(js_sys::Error::new(&message));
    let format = match format.as_string() {
        Some(name) => ExportFormat::parse(&name).map_err(fail)?,
        None => {
            return Err(fail(format!(
                "the export format must be a string, not {}: {}",
                what_it_is(&format),
                ExportFormat::parse("").unwrap_err()
            )))
        }
    };
    let write = if trace.is_object() {
        HANDED_OUT.with(|handed_out| handed_out.get(trace.unchecked_ref()))
    } else {
        JsValue::UNDEFINED
    };
    let write: js_sys::Function = write.dyn_into().map_err(|_| {
        fail(format!(
            "playground.export needs a trace that playground.run resolved with (the object \
             itself, not a copy), not {}",
            what_it_is(&trace)
        ))
    })?;
    let text = write.call1(&JsValue::NULL, &format.name().into())?;
    if text.is_string() {
        Ok(text)
    } else {
        Err(fail(format!(
            "the {} export of this trace is longer than {} MB, more than a browser's string \
             holds: save it with the page's download button, which writes it in parts",
            format.name(),
            LONGEST_STRING_BYTES / 1_000_000
        )))
    }
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
    remember(&object, trace);
    Ok(object)
}

/// What a thrown JS value says, read without running any more of its code that could throw
/// (`message` through `Reflect.get`, which reports a throwing getter as an error too).
fn thrown_message(thrown: &JsValue) -> String {
    if let Some(text) = thrown.as_string() {
        return text;
    }
    Reflect::get(thrown, &"message".into())
        .ok()
        .and_then(|message| message.as_string())
        .unwrap_or_else(|| "a value that is not an Error".to_owned())
}

/// What a JS value is, for a message: `an Array`, `a Date`, `a string`, `a function`.
pub(crate) fn what_it_is(value: &JsValue) -> String {
    let article = |name: &str| {
        let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
        format!("{} {name}", if vowel { "an" } else { "a" })
    };
    if !value.is_object() {
        return value
            .js_typeof()
            .as_string()
            .map(|kind| article(&kind))
            .unwrap_or_else(|| "a value".to_owned());
    }
    Reflect::get_prototype_of(value)
        .ok()
        .and_then(|proto| Reflect::get(&proto, &"constructor".into()).ok())
        .and_then(|constructor| Reflect::get(&constructor, &"name".into()).ok())
        .and_then(|name| name.as_string())
        .filter(|name| !name.is_empty())
        .map(|name| article(&name))
        .unwrap_or_else(|| "an object that is not a plain object".to_owned())
}

/// One value of the config, by its JS type. Nothing here can throw.
pub(crate) fn config_value(value: JsValue) -> ConfigValue {
    if value.is_undefined() || value.is_null() {
        ConfigValue::Missing
    } else if let Some(text) = value.as_string() {
        ConfigValue::Text(text)
    } else if let Some(number) = value.as_f64() {
        ConfigValue::Number(number)
    } else if let Some(flag) = value.as_bool() {
        ConfigValue::Flag(flag)
    } else {
        ConfigValue::Other(what_it_is(&value))
    }
}

/// Reads a JS config object into the settings. Only a plain object (or `undefined`/`null`
/// for the defaults) is accepted, and it is read only through `Reflect` calls that catch
/// what JS throws (a getter, a Proxy trap), so every config is answered with a run or a
/// message, and no JS exception ever unwinds through Rust.
pub(crate) fn read_config(config: &JsValue) -> Result<Inputs, Invalid> {
    let refuse = |key: &str, message: String| {
        let mut invalid = Invalid::default();
        invalid.messages.insert(key.to_owned(), message);
        invalid
    };
    if config.is_undefined() || config.is_null() {
        return Ok(Inputs::default());
    }
    let not_plain = |config: &JsValue| refuse("config", not_a_config_message(&what_it_is(config)));
    if !config.is_object() {
        return Err(not_plain(config));
    }
    let unreadable = |thrown: JsValue| {
        refuse(
            "config",
            format!("reading it threw {}", quote(&thrown_message(&thrown))),
        )
    };
    let prototype = Reflect::get_prototype_of(config).map_err(unreadable)?;
    let object_prototype = Reflect::get_prototype_of(&Object::new()).map_err(unreadable)?;
    if !(prototype.is_null() || JsValue::from(prototype) == JsValue::from(object_prototype)) {
        return Err(not_plain(config));
    }
    let keys = Reflect::own_keys(config).map_err(unreadable)?;
    let entries = keys.iter().filter_map(|key| {
        // Symbol keys are not settings, as `Object.entries` skips them.
        let name = key.as_string()?;
        let known = name == "strategy" || Field::ALL.iter().any(|f| f.key() == name);
        // The values of unknown keys are never read: the key alone is refused.
        let value = if known {
            Reflect::get(config, &key)
                .map(config_value)
                .unwrap_or_else(|thrown| ConfigValue::Unreadable(thrown_message(&thrown)))
        } else {
            ConfigValue::Missing
        };
        Some((name, value))
    });
    Inputs::from_config(entries.collect::<Vec<_>>())
}

/// The run options a JS caller gave: `{ baseline: false }` skips the 1-worker baseline. A
/// getter that throws counts as not given.
pub(crate) fn run_options(options: &JsValue) -> RunOptions {
    let baseline = if options.is_object() {
        Reflect::get(options, &"baseline".into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    };
    RunOptions {
        measure_baseline: baseline.as_bool() != Some(false),
    }
}

/// Runs a config read from JS (by `playground.run` or a host page's message): the controls
/// show it, then the run is shown on the page; its trace, or why it did not run.
pub(crate) async fn run_read_config(
    dispatch: Dispatcher,
    inputs: Result<Inputs, Invalid>,
    options: RunOptions,
) -> Result<Rc<Trace>, String> {
    let inputs = inputs.map_err(|i| i.to_string())?;
    let run_config = inputs.validate().map_err(|i| i.to_string())?;
    dispatch.dispatch(crate::model::app_state::Action::Load(inputs));
    run_and_show(dispatch, run_config, options).await
}

fn run(dispatch: Dispatcher, config: JsValue, options: JsValue) -> Promise {
    // Read now, as the call happens: later changes to the object do not change this run.
    let inputs = read_config(&config);
    let options = run_options(&options);
    future_to_promise(async move {
        let reject = |message: String| JsValue::from(js_sys::Error::new(&message));
        let trace = run_read_config(dispatch, inputs, options)
            .await
            .map_err(reject)?;
        export(&trace).map_err(reject)
    })
}

/// A trace as a plain object (every field, and its `metrics`), for a message to a host page.
pub(crate) fn plain_trace(trace: &Trace) -> Result<JsValue, String> {
    let object = picked(trace, &|_| true)?;
    let metrics = serde_json::to_string(&trace.metrics()).map_err(|e| e.to_string())?;
    let metrics = js_sys::JSON::parse(&metrics).map_err(|e| describe(&e))?;
    Reflect::set(&object, &"metrics".into(), &metrics).map_err(|e| describe(&e))?;
    Ok(object)
}

/// `playground.ready()`: the pool's size once started, or why it cannot start.
pub(crate) fn ready() -> Promise {
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
    let sweep_dispatch = dispatch.clone();
    let race_dispatch = dispatch.clone();
    let run_fn = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |config, options| {
        run(dispatch.clone(), config, options)
    });
    let _ = Reflect::set(&api, &"run".into(), run_fn.as_ref());
    let sweep_fn = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |config, axes| {
        crate::ui::sweep_api::sweep(sweep_dispatch.clone(), config, axes)
    });
    let _ = Reflect::set(&api, &"sweep".into(), sweep_fn.as_ref());
    sweep_fn.forget();
    let race_fn = Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |config, options| {
        crate::ui::race_api::race(race_dispatch.clone(), config, options)
    });
    let _ = Reflect::set(&api, &"race".into(), race_fn.as_ref());
    race_fn.forget();
    let cancel_fn = Closure::<dyn Fn() -> bool>::new(session::stop);
    let _ = Reflect::set(&api, &"cancel".into(), cancel_fn.as_ref());
    cancel_fn.forget();
    let ready_fn = Closure::<dyn Fn() -> Promise>::new(ready);
    let _ = Reflect::set(&api, &"ready".into(), ready_fn.as_ref());
    ready_fn.forget();
    let export_fn =
        Closure::<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>>::new(export_text);
    let _ = Reflect::set(&api, &"export".into(), export_fn.as_ref());
    export_fn.forget();
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    // The API lives as long as the page.
    run_fn.forget();
    let _ = Reflect::set(&window, &"playground".into(), &api);
}
