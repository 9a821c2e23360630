//! What the model knows of the machine it runs on: its number of logical processors, as
//! CPython's `os.cpu_count()` reports it (in a browser, `navigator.hardwareConcurrency`). The
//! page sets it once at start; until then (and in native tests) it is
//! [`DEFAULT_CPU_COUNT`], so that tests do not depend on the machine they run on.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The processor count assumed until the page says how many the machine has.
pub const DEFAULT_CPU_COUNT: usize = 4;

static CPU_COUNT: AtomicUsize = AtomicUsize::new(DEFAULT_CPU_COUNT);

/// Records the machine's number of logical processors (at least 1).
pub fn set_cpu_count(count: usize) {
    CPU_COUNT.store(count.max(1), Ordering::Relaxed);
}

/// The machine's number of logical processors: CPython's `os.cpu_count()` here.
pub fn cpu_count() -> usize {
    CPU_COUNT.load(Ordering::Relaxed)
}
