//! One clock for every thread: `performance.timeOrigin + performance.now()`, in ms since the
//! Unix epoch. Each worker's `performance.now()` counts from its own start, so `now()` alone
//! would put chunks of different workers on different time axes.

use wasm_bindgen::JsCast;
use web_sys::Performance;

thread_local! {
    /// This thread's `performance`, and its `timeOrigin` (fixed for the thread's life).
    static PERFORMANCE: Option<(Performance, f64)> = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<Performance>().ok())
        .map(|p| {
            let origin = p.time_origin();
            (p, origin)
        });
}

/// Milliseconds since the Unix epoch on the shared clock, with sub-millisecond resolution.
/// Works on the page and in Web Workers.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|performance| match performance {
        Some((p, origin)) => origin + p.now(),
        None => js_sys::Date::now(),
    })
}
