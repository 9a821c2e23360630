//! What the page and the workers of one run share while it runs: the Stop request and the
//! progress counts (items done in all, and by each lane). All are plain atomics, so the page
//! reads and writes them without ever waiting on a worker.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Shared by the page and every worker of one run (and by its baseline).
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    items_done: AtomicUsize,
    by_lane: Vec<AtomicUsize>,
}

impl RunControl {
    /// A control that also counts the items done by each of `lanes` lanes (workers, or rayon's
    /// threads by their index).
    pub fn with_lanes(lanes: usize) -> Self {
        Self {
            by_lane: (0..lanes).map(|_| AtomicUsize::new(0)).collect(),
            ..Self::default()
        }
    }

    /// Asks the run to stop: workers take no new task and leave long items part-way.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether Stop was asked for.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Counts one more item done, by `lane` (a lane past those counted adds to the total
    /// only).
    pub fn item_done(&self, lane: usize) {
        self.items_done.fetch_add(1, Ordering::Relaxed);
        if let Some(count) = self.by_lane.get(lane) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Items done so far.
    pub fn items_done(&self) -> usize {
        self.items_done.load(Ordering::Relaxed)
    }

    /// Items done so far by each lane.
    pub fn items_done_by_lane(&self) -> Vec<usize> {
        self.by_lane
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }

    /// Starts counting again from zero (the baseline after the run, on the same control).
    pub fn restart_count(&self) {
        self.items_done.store(0, Ordering::Relaxed);
        for count in &self.by_lane {
            count.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_progress_are_seen_across_threads() {
        let control = RunControl::with_lanes(4);
        std::thread::scope(|scope| {
            for lane in 0..4 {
                let control = &control;
                scope.spawn(move || (0..100 * (lane + 1)).for_each(|_| control.item_done(lane)));
            }
        });
        assert_eq!(control.items_done(), 1000);
        assert_eq!(control.items_done_by_lane(), [100, 200, 300, 400]);
        control.item_done(9);
        assert_eq!(
            control.items_done(),
            1001,
            "a lane past those counted adds to the total"
        );
        assert!(!control.stop_requested());
        std::thread::scope(|scope| {
            scope.spawn(|| control.request_stop());
        });
        assert!(control.stop_requested());
        control.restart_count();
        assert_eq!(control.items_done(), 0);
        assert_eq!(control.items_done_by_lane(), [0; 4]);
    }
}
