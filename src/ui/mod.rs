//! The Yew app (wasm only): one reducer over [`crate::model::app_state::AppState`], and small
//! function components that take props and callbacks and read the run's trace.

mod api;
mod app;
mod canvas;
mod compare;
mod controls;
mod downloads;
mod figures;
mod gather_strip;
mod host_messages;
mod lanes;
mod predict;
mod queue_depth;
mod race;
mod race_api;
mod recorded;
mod requests;
mod run_status;
mod share;
mod split_strip;
mod sweep;
mod sweep_api;
mod threads_elsewhere;
mod verdict;

use crate::model::app_state::AppState;
use std::rc::Rc;
use yew::Reducible;

/// Mounts the app into the page. Does nothing where there is no `window` (a worker that
/// re-runs `main` while it loads the module).
pub fn start() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(boot) = document.get_element_by_id("boot") {
        boot.remove();
    }
    // `os.cpu_count()` in a browser: the defaults of Pool(), ProcessPoolExecutor() and
    // ThreadPoolExecutor() follow it, as in CPython.
    if let Some(window) = web_sys::window() {
        let processors = window.navigator().hardware_concurrency();
        if processors.is_finite() && processors >= 1.0 {
            crate::model::machine::set_cpu_count(processors as usize);
        }
    }
    if let Some(root) = document.get_element_by_id("app") {
        yew::Renderer::<app::App>::with_root(root).render();
    }
}

impl Reducible for AppState {
    type Action = crate::model::app_state::Action;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new((*self).clone().apply(action))
    }
}
