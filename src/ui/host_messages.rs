//! The page-to-page API: a page embedding the playground drives it with `postMessage`.
//!
//! Only messages from the frame's parent window are read, and, when the URL names a `host`
//! origin, only from that origin; any other message is refused (a console warning) and never
//! acted on. A request is a plain object `{ type, id, … }` (see
//! [`crate::model::embed::HostRequest`]); `id` (a string or a finite number) is echoed in
//! every reply, and every request gets exactly one final reply, `{ type: 'result', id,
//! value }` or `{ type: 'error', id, message }`; a run also sends `{ type: 'progress', id,
//! items_done, items }` while it runs. Every reply carries `source: 'parallel-playground'`.
//! On start the page announces itself to its parent with `{ type: 'loaded', version }`.
//! The requests run through the same functions as `window.playground` (`api`).

use crate::model::config::quote;
use crate::model::embed::{HostRequest, HostRule, MAX_ID_CHARS};
use crate::model::export_formats::ExportFormat;
use crate::model::trace::Trace;
use crate::runtime::pool::describe;
use crate::runtime::session;
use crate::ui::api::{plain_trace, read_config, ready, run_options, run_read_config, what_it_is};
use crate::ui::app::Dispatcher;
use crate::ui::downloads::{export_parts, LONGEST_STRING_BYTES};
use js_sys::{Object, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// The `source` of every message the playground sends.
const SOURCE: &str = "parallel-playground";

/// How often a run's progress is read and sent.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

thread_local! {
    /// The last trace a `run` request replied with: what `export` writes.
    static LAST_TRACE: RefCell<Option<Rc<Trace>>> = const { RefCell::new(None) };
}

/// The text of the last run's trace in the format a message names, or why there is none.
fn export_last(format: &JsValue) -> Result<JsValue, String> {
    let format = match format.as_string() {
        Some(name) => ExportFormat::parse(&name)?,
        None => {
            return Err(format!(
                "an export needs a string 'format', not {}: {}",
                what_it_is(format),
                ExportFormat::parse("").unwrap_err()
            ))
        }
    };
    let trace = LAST_TRACE
        .with(|last| last.borrow().clone())
        .ok_or_else(|| "there is no trace to export yet: send a 'run' request first".to_owned())?;
    export_parts(&trace, format, LONGEST_STRING_BYTES)
        .map(|parts| JsValue::from(parts.join("")))
        .ok_or_else(|| {
            format!(
                "the {} export of this trace is longer than {} MB, more than a message holds: save it with the playground's download button",
                format.name(),
                LONGEST_STRING_BYTES / 1_000_000
            )
        })
}

/// Where replies go: the parent window, at the origin that sent the request.
#[derive(Clone)]
struct ReplyTo {
    parent: web_sys::Window,
    origin: String,
}

impl ReplyTo {
    /// Sends `{ source, type, id, …fields }`.
    fn send(&self, kind: &str, id: &JsValue, fields: &[(&str, JsValue)]) {
        let message = Object::new();
        let _ = Reflect::set(&message, &"source".into(), &SOURCE.into());
        let _ = Reflect::set(&message, &"type".into(), &kind.into());
        let _ = Reflect::set(&message, &"id".into(), id);
        for (key, value) in fields {
            let _ = Reflect::set(&message, &(*key).into(), value);
        }
        // A sandboxed parent's origin is "null", which postMessage cannot name.
        let target = if self.origin == "null" {
            "*"
        } else {
            &self.origin
        };
        if let Err(error) = self.parent.post_message(&message, target) {
            warn(&format!(
                "Parallel playground: a reply could not be sent: {}",
                describe(&error)
            ));
        }
    }

    fn result(&self, id: &JsValue, value: JsValue) {
        self.send("result", id, &[("value", value)]);
    }

    fn error(&self, id: &JsValue, message: &str) {
        self.send("error", id, &[("message", message.into())]);
    }
}

fn warn(text: &str) {
    let console = Reflect::get(&js_sys::global(), &"console".into()).ok();
    let warn = console
        .as_ref()
        .and_then(|c| Reflect::get(c, &"warn".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let (Some(console), Some(warn)) = (console, warn) {
        let _ = warn.call1(&console, &text.into());
    }
}

/// Listens for the parent page's requests, when the page is in a frame.
pub fn install(dispatch: Dispatcher, rule: HostRule) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let parent = match window.parent() {
        Ok(Some(parent)) if JsValue::from(&parent) != JsValue::from(&window) => parent,
        _ => return,
    };
    let listener_parent = parent.clone();
    let listener_rule = rule.clone();
    let listener = gloo::events::EventListener::new(&window, "message", move |event| {
        on_message(&dispatch, &listener_parent, &listener_rule, event);
    });
    // The listener lives as long as the page.
    listener.forget();
    // The parent learns that requests are now heard. Nothing of the page is in it.
    let hello = |origin: &str| ReplyTo {
        parent: parent.clone(),
        origin: origin.to_owned(),
    };
    let version = [("version", JsValue::from(env!("CARGO_PKG_VERSION")))];
    match &rule {
        HostRule::AnyParent => hello("*").send("loaded", &JsValue::NULL, &version),
        HostRule::Origins(origins) => origins
            .iter()
            .for_each(|origin| hello(origin).send("loaded", &JsValue::NULL, &version)),
        HostRule::Broken => {}
    }
}

fn on_message(
    dispatch: &Dispatcher,
    parent: &web_sys::Window,
    rule: &HostRule,
    event: &web_sys::Event,
) {
    let read = |key: &str| Reflect::get(event, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let origin = read("origin").as_string().unwrap_or_default();
    if read("source") != JsValue::from(parent) {
        warn(&format!(
            "Parallel playground: refused a message from {} that did not come from its parent page.",
            quote(&origin)
        ));
        return;
    }
    if !rule.accepts(&origin) {
        warn(&rule.refusal(&origin));
        return;
    }
    let reply = ReplyTo {
        parent: parent.clone(),
        origin,
    };
    let data = read("data");
    if !data.is_object() || js_sys::Array::is_array(&data) {
        reply.error(
            &JsValue::NULL,
            &format!(
                "a message must be an object such as {{ type: 'run', id: 1, config: {{ … }} }}, not {}",
                what_it_is(&data)
            ),
        );
        return;
    }
    let field = |key: &str| Reflect::get(&data, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let id = field("id");
    let id_ok = id
        .as_string()
        .is_some_and(|text| !text.is_empty() && text.chars().count() <= MAX_ID_CHARS)
        || id.as_f64().is_some_and(f64::is_finite);
    if !id_ok {
        reply.error(
            &JsValue::NULL,
            &format!(
                "a message needs an 'id' (a string of 1 to {MAX_ID_CHARS} characters or a finite number) that its replies repeat, not {}",
                what_it_is(&id)
            ),
        );
        return;
    }
    let request = match HostRequest::parse(field("type").as_string().as_deref()) {
        Ok(request) => request,
        Err(message) => return reply.error(&id, &message),
    };
    match request {
        HostRequest::Ready => spawn_local(async move {
            match JsFuture::from(ready()).await {
                Ok(info) => reply.result(&id, info),
                Err(why) => reply.error(&id, &describe(&why)),
            }
        }),
        HostRequest::SetConfig => match read_config(&field("config")) {
            Ok(inputs) => match inputs.validate() {
                Ok(config) => {
                    dispatch.dispatch(crate::model::app_state::Action::Load(inputs));
                    reply.result(&id, config.to_query().into());
                }
                Err(invalid) => reply.error(&id, &invalid.to_string()),
            },
            Err(invalid) => reply.error(&id, &invalid.to_string()),
        },
        HostRequest::Cancel => reply.result(&id, session::stop().into()),
        HostRequest::Export => match export_last(&field("format")) {
            Ok(text) => reply.result(&id, text),
            Err(message) => reply.error(&id, &message),
        },
        HostRequest::Run => {
            let inputs = read_config(&field("config"));
            let options = run_options(&field("options"));
            let items = inputs
                .as_ref()
                .ok()
                .and_then(|i| i.validate().ok())
                .map(|c| c.items);
            let dispatch = dispatch.clone();
            spawn_local(async move {
                let running = Rc::new(Cell::new(true));
                if let Some(items) = items {
                    send_progress(reply.clone(), id.clone(), items, Rc::clone(&running));
                }
                let outcome = run_read_config(dispatch, inputs, options).await;
                running.set(false);
                if let Ok(trace) = &outcome {
                    LAST_TRACE.with(|last| last.replace(Some(Rc::clone(trace))));
                }
                match outcome.and_then(|trace| plain_trace(&trace)) {
                    Ok(trace) => reply.result(&id, trace),
                    Err(message) => reply.error(&id, &message),
                }
            });
        }
    }
}

/// Sends the run's items done (of the run, then of its 1-worker baseline when one is
/// measured), at the start and whenever they change, until `running` ends.
fn send_progress(reply: ReplyTo, id: JsValue, items: usize, running: Rc<Cell<bool>>) {
    reply.send(
        "progress",
        &id,
        &[("items_done", 0.0.into()), ("items", (items as f64).into())],
    );
    spawn_local(async move {
        let mut last = Some(0);
        while running.get() {
            let done = session::items_done().map_or(0, |(done, _)| done.min(items));
            if last != Some(done) {
                last = Some(done);
                reply.send(
                    "progress",
                    &id,
                    &[
                        ("items_done", (done as f64).into()),
                        ("items", (items as f64).into()),
                    ],
                );
            }
            yew::platform::time::sleep(PROGRESS_INTERVAL).await;
        }
    });
}
