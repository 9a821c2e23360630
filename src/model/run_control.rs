//! What the page and the workers of one run share while it runs: the Stop request and the
//! progress count. Both are plain atomics, so the page reads and writes them without ever
//! waiting on a worker.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Shared by the page and every worker of one run (and by its baseline).
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    items_done: AtomicUsize,
}

impl RunControl {
    /// Asks the run to stop: workers take no new task and leave long items part-way.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether Stop was asked for.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Counts one more item done.
    pub fn item_done(&self) {
        self.items_done.fetch_add(1, Ordering::Relaxed);
    }

    /// Items done so far.
    pub fn items_done(&self) -> usize {
        self.items_done.load(Ordering::Relaxed)
    }

    /// Starts counting again from zero (the baseline after the run, on the same control).
    pub fn restart_count(&self) {
        self.items_done.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_progress_are_seen_across_threads() {
        let control = RunControl::default();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| (0..250).for_each(|_| control.item_done()));
            }
        });
        assert_eq!(control.items_done(), 1000);
        assert!(!control.stop_requested());
        std::thread::scope(|scope| {
            scope.spawn(|| control.request_stop());
        });
        assert!(control.stop_requested());
        control.restart_count();
        assert_eq!(control.items_done(), 0);
    }
}
