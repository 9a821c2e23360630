//! `asyncio.Semaphore` (`Lib/asyncio/locks.py`): `acquire()` succeeds at once while a slot is
//! free and nobody waits; otherwise the task joins a FIFO of waiters, and `release()` wakes
//! the first of them.

use std::collections::VecDeque;

/// `asyncio.Semaphore` (Lib/asyncio/locks.py): a counter and a FIFO of waiting tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semaphore {
    value: usize,
    waiters: VecDeque<usize>,
}

impl Semaphore {
    /// A semaphore with `value` slots.
    pub fn new(value: usize) -> Self {
        Self {
            value,
            waiters: VecDeque::new(),
        }
    }

    /// Task `position` calls `acquire()`: `true` if it proceeds now, `false` if it waits.
    /// As in CPython, a free slot is not taken while others are already waiting.
    pub fn acquire(&mut self, position: usize) -> bool {
        if self.value > 0 && self.waiters.is_empty() {
            self.value -= 1;
            true
        } else {
            self.waiters.push_back(position);
            false
        }
    }

    /// A task calls `release()`: the first waiter, if any, proceeds (it takes the slot).
    pub fn release(&mut self) -> Option<usize> {
        match self.waiters.pop_front() {
            Some(next) => Some(next),
            None => {
                self.value += 1;
                None
            }
        }
    }

    /// Every waiter leaves (they are cancelled), in FIFO order.
    pub fn drain_waiters(&mut self) -> Vec<usize> {
        self.waiters.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gather::tests::not_found;
    use crate::model::gather::{FetchRun, Mode, Outcome};

    #[test]
    fn a_free_slot_is_not_taken_while_others_wait() {
        let mut semaphore = Semaphore::new(1);
        assert!(semaphore.acquire(0));
        assert!(!semaphore.acquire(1));
        assert!(!semaphore.acquire(2));
        assert_eq!(semaphore.release(), Some(1));
        assert_eq!(semaphore.release(), Some(2));
        assert_eq!(semaphore.release(), None);
        assert!(
            semaphore.acquire(3),
            "the slot is free again and nobody waits"
        );
    }

    #[test]
    fn a_semaphore_admits_in_argument_order_and_keeps_at_most_limit_in_flight() {
        let mut run = FetchRun::new(Mode::Gather { limit: Some(2) }, 5, true);
        assert_eq!(run.start(0.0), [0, 1]);
        // Request 1 finishes first: the first waiter (2) takes its slot.
        assert_eq!(run.finished(1, Outcome::Bytes(1), 10.0), [2]);
        assert_eq!(run.in_flight(), [0, 2]);
        // An error releases the semaphore too (`async with` exits).
        assert_eq!(run.finished(0, not_found(), 15.0), [3]);
        assert_eq!(run.finished(3, Outcome::Bytes(1), 20.0), [4]);
        assert_eq!(
            run.finished(2, Outcome::Bytes(1), 25.0),
            Vec::<usize>::new()
        );
        assert_eq!(
            run.finished(4, Outcome::Bytes(1), 30.0),
            Vec::<usize>::new()
        );
        assert!(run.is_done());
        assert_eq!(
            run.starts,
            [Some(0.0), Some(0.0), Some(10.0), Some(15.0), Some(20.0)]
        );
    }
}
