//! `ThreadPoolExecutor`'s lazy thread start (`Lib/concurrent/futures/thread.py`): `map`
//! submits the items one by one on the caller's thread, and each `submit` puts its work item
//! on the queue, then `_adjust_thread_count` returns at once if a thread is idle
//! (`_idle_semaphore.acquire(timeout=0)` succeeds), else starts a thread if fewer than
//! `max_workers` exist. A thread releases the semaphore each time it finishes a work item.
//!
//! This is only the rule; the run applies it as it happens (`TaskRun::caller_loop`), so how
//! many threads start depends on how fast the started ones finish their items, as in CPython:
//! two trivial items start one thread, two slow ones two.

/// What a submit did after putting its work item on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSubmit {
    /// A thread was idle: the submit took the idle count down and started none.
    FoundIdle,
    /// No thread was idle and fewer than `max_workers` existed: thread `.0` (numbered from 0
    /// in start order) is started.
    Start(usize),
    /// No thread was idle and `max_workers` exist: the item waits for one.
    AllStarted,
}

/// The executor's threads as `submit` sees them: how many exist, and its idle semaphore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadStarts {
    max_workers: usize,
    started: usize,
    idle: usize,
}

impl ThreadStarts {
    /// An executor of `max_workers` with no thread yet.
    pub fn new(max_workers: usize) -> Self {
        Self {
            max_workers,
            started: 0,
            idle: 0,
        }
    }

    /// `submit`'s `_adjust_thread_count`, just after the item was queued.
    pub fn submitted(&mut self) -> OnSubmit {
        if self.idle > 0 {
            self.idle -= 1;
            OnSubmit::FoundIdle
        } else if self.started < self.max_workers {
            self.started += 1;
            OnSubmit::Start(self.started - 1)
        } else {
            OnSubmit::AllStarted
        }
    }

    /// A thread finished a work item (`_idle_semaphore.release()`).
    pub fn item_finished(&mut self) {
        self.idle += 1;
    }

    /// How many threads have been started.
    pub fn started(&self) -> usize {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `events` (`s` a submit, `f` an item finished) and returns the threads started.
    fn started_after(max_workers: usize, events: &str) -> usize {
        let mut starts = ThreadStarts::new(max_workers);
        for event in events.chars() {
            match event {
                's' => {
                    starts.submitted();
                }
                'f' => starts.item_finished(),
                other => panic!("no event {other}"),
            }
        }
        starts.started()
    }

    #[test]
    fn a_thread_starts_per_submit_only_while_none_is_idle_and_fewer_than_max_workers_exist() {
        // Two trivial items: the first thread finishes item 1 before the second submit.
        assert_eq!(started_after(16, "sfs"), 1);
        // Two slow items: nothing has finished when item 2 is submitted.
        assert_eq!(started_after(16, "ss"), 2);
        // Slow items, more than max_workers: max_workers threads.
        assert_eq!(started_after(4, "ssssssssss"), 4);
        // One finished item lets one later submit pass without a start, not two.
        assert_eq!(started_after(16, "sfss"), 2);
    }

    #[test]
    fn each_submit_says_what_it_did_and_names_threads_in_start_order() {
        let mut starts = ThreadStarts::new(2);
        assert_eq!(starts.submitted(), OnSubmit::Start(0));
        assert_eq!(starts.submitted(), OnSubmit::Start(1));
        assert_eq!(starts.submitted(), OnSubmit::AllStarted);
        starts.item_finished();
        starts.item_finished();
        assert_eq!(starts.submitted(), OnSubmit::FoundIdle);
        assert_eq!(starts.submitted(), OnSubmit::FoundIdle);
        assert_eq!(starts.submitted(), OnSubmit::AllStarted);
        assert_eq!(starts.started(), 2);
    }
}
