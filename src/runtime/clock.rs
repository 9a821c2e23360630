//! One clock for every thread: `performance.timeOrigin + performance.now()`, in ms since the
//! Unix epoch. Each worker's `performance.now()` counts from its own start, so `now()` alone
//! would put chunks of different workers on different time axes.

use wasm_bindgen::JsCast;
use web_sys::Performance;

thread_local! {
    static PERFORMANCE: Option<Performance> = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<Performance>().ok());
}

/// Milliseconds since the Unix epoch on the shared clock, with sub-millisecond resolution.
/// Works on the page and in Web Workers.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|performance| match performance {
        Some(p) => p.time_origin() + p.now(),
        None => js_sys::Date::now(),
    })
}
