//! rayon's items when some return `Err` (`raise_at`): Rust has no exceptions, so each item
//! returns a `Result` and `par_iter().map(f).collect::<Result<Vec<_>, _>>()` collects them.
//! rayon short-circuits that collect: once an item's `Err` is seen, a piece stops pulling
//! items and the pieces not yet started are skipped; the caller gets the first `Err` stored,
//! and no `Vec`. [`ItemLog`] records, item by item, what really ran, so that the trace can
//! draw each piece only as far as rayon ran it.

use crate::model::errors::TaskError;
use crate::model::item_work::item_value;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

const NOT_STARTED: u8 = 0;
const STARTED: u8 = 1;
const RETURNED_ERR: u8 = 2;

/// What each item of a rayon run did: whether it started, and what it returned. Written by
/// rayon's threads as they run the items, read once the collect has returned.
#[derive(Debug)]
pub struct ItemLog {
    states: Vec<AtomicU8>,
    values: Vec<AtomicU64>,
}

impl ItemLog {
    /// A log of `items` items, none started.
    pub fn new(items: usize) -> Self {
        Self {
            states: (0..items).map(|_| AtomicU8::new(NOT_STARTED)).collect(),
            values: (0..items).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The item at `position` started.
    pub fn started(&self, position: usize) {
        if let Some(state) = self.states.get(position) {
            state.store(STARTED, Ordering::Relaxed);
        }
    }

    /// The item at `position` returned `result`.
    pub fn returned(&self, position: usize, result: &Result<u64, TaskError>) {
        match result {
            Ok(value) => {
                if let Some(slot) = self.values.get(position) {
                    slot.store(*value, Ordering::Relaxed);
                }
            }
            Err(_) => {
                if let Some(state) = self.states.get(position) {
                    state.store(RETURNED_ERR, Ordering::Relaxed);
                }
            }
        }
    }

    /// How far the leaf piece over `items` ran: the number of its items that started (a
    /// prefix: rayon pulls a piece's items one by one and stops once an `Err` is seen), and
    /// the `Err` its last started item returned, if it did.
    pub fn piece(&self, items: Range<usize>) -> (usize, Option<TaskError>) {
        let state = |position: usize| {
            self.states
                .get(position)
                .map_or(NOT_STARTED, |s| s.load(Ordering::Relaxed))
        };
        let started = items
            .clone()
            .take_while(|&position| state(position) != NOT_STARTED)
            .count();
        let last = items.start + started;
        let error = (started > 0 && state(last - 1) == RETURNED_ERR).then(|| TaskError::Returned {
            item: item_value(last - 1),
        });
        (started, error)
    }

    /// Each item's value, in input order: 0 where the item never started or returned `Err`,
    /// and for every item of a piece that returned an `Err` (its values are dropped with it,
    /// as a Python chunk's results are lost with its exception).
    pub fn values(&self, pieces: &[Range<usize>]) -> Vec<u64> {
        let mut values: Vec<u64> = self
            .values
            .iter()
            .map(|v| v.load(Ordering::Relaxed))
            .collect();
        for piece in pieces {
            let (started, error) = self.piece(piece.clone());
            if error.is_some() {
                values[piece.start..piece.start + started].fill(0);
            }
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn rayon_collecting_results_skips_the_items_after_an_err_and_returns_it() {
        // On one thread rayon runs the halves left first: once item 5 (position 4) returns
        // Err, the piece stops and every piece not yet started is skipped.
        let log = ItemLog::new(16);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let collected: Result<Vec<u64>, TaskError> = pool.install(|| {
            (0..16usize)
                .into_par_iter()
                .map(|position| {
                    log.started(position);
                    let result = if position == 4 {
                        Err(TaskError::Returned { item: 5 })
                    } else {
                        Ok(item_value(position) * item_value(position))
                    };
                    log.returned(position, &result);
                    result
                })
                .collect()
        });
        assert_eq!(collected, Err(TaskError::Returned { item: 5 }));
        let pieces = [0..4, 4..8, 8..16];
        assert_eq!(log.piece(0..4), (4, None));
        assert_eq!(
            log.piece(4..8),
            (1, Some(TaskError::Returned { item: 5 })),
            "the piece stops at its Err"
        );
        assert_eq!(log.piece(8..16), (0, None), "never started");
        assert_eq!(
            log.values(&pieces),
            [1, 4, 9, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            TaskError::Returned { item: 5 }.to_string(),
            "Err(\"bad item 5\")"
        );
    }

    #[test]
    fn the_values_of_a_piece_that_returned_err_are_dropped_with_it() {
        let log = ItemLog::new(4);
        for position in 0..3 {
            log.started(position);
            let result = if position == 2 {
                Err(TaskError::Returned { item: 3 })
            } else {
                Ok(7)
            };
            log.returned(position, &result);
        }
        assert_eq!(log.values(&[0..1, 1..4]), [7, 0, 0, 0]);
        assert_eq!(log.piece(1..4), (2, Some(TaskError::Returned { item: 3 })));
    }
}
