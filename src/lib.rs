//! Parallel playground: see how Python's and Rust's parallel strategies split work into
//! chunks, hand them to workers and gather the results, on real Web Workers.
//!
//! - [`model`] is pure logic (no web-sys): strategies, workloads, the trace and its metrics,
//!   URL state. It is tested natively with `cargo test`.
//! - `runtime` (wasm only) is the browser glue: the thread pool, executors, clocks.
//! - `ui` (wasm only) is the Yew app: one reducer, small function components.

pub mod model;

#[cfg(target_arch = "wasm32")]
pub mod runtime;

#[cfg(target_arch = "wasm32")]
pub mod ui;
