//! Browser glue (wasm only): the thread pool of Web Workers, the executors that run a
//! strategy for real and record its trace, the shared clock, and the JS API.
//!
//! Rule of this module: the UI thread never blocks. It hands work to the pool and awaits a
//! oneshot channel; only workers take locks.

pub mod clock;
pub mod executor;
pub mod fetch;
pub mod pool;
pub mod process;
pub mod rayon_trace;
pub mod session;
