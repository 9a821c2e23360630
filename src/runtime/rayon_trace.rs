//! A parallel iterator over `0..n` that behaves exactly like rayon's range iterator (it is
//! bridged by rayon's own adaptive splitter) and records each sequential leaf piece rayon runs:
//! which items, on which thread, from when to when. One record per leaf, not per item, so the
//! recording does not change what it measures.

use rayon::iter::plumbing::{
    bridge, Consumer, Folder, Producer, ProducerCallback, UnindexedConsumer,
};
use rayon::iter::{IndexedParallelIterator, ParallelIterator};
use std::ops::Range;
use std::sync::Mutex;

/// One leaf piece as rayon ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The item positions the piece covered.
    pub items: Range<usize>,
    /// rayon's index of the thread that ran it.
    pub thread: usize,
    /// When it started, ms.
    pub start_ms: f64,
    /// When it ended, ms.
    pub end_ms: f64,
    /// Whether the run had been stopped by the time it ended (its items were cut short or
    /// skipped).
    pub stopped: bool,
}

/// Where pieces are recorded, the clock they are timed by, and whether the run was stopped.
pub struct PieceLog<'a> {
    pieces: Mutex<Vec<Piece>>,
    now_ms: &'a (dyn Fn() -> f64 + Sync),
    stop_requested: &'a (dyn Fn() -> bool + Sync),
}

impl<'a> PieceLog<'a> {
    /// An empty log timed by `now_ms`, asking `stop_requested` as each piece ends.
    pub fn new(
        now_ms: &'a (dyn Fn() -> f64 + Sync),
        stop_requested: &'a (dyn Fn() -> bool + Sync),
    ) -> Self {
        Self {
            pieces: Mutex::new(Vec::new()),
            now_ms,
            stop_requested,
        }
    }

    /// `0..items` as a recorded parallel iterator.
    pub fn range(&'a self, items: usize) -> RecordedRange<'a> {
        RecordedRange {
            items: 0..items,
            log: self,
        }
    }

    /// The recorded pieces, in input order.
    pub fn into_pieces(self) -> Vec<Piece> {
        let mut pieces = self.pieces.into_inner().unwrap_or_else(|e| e.into_inner());
        pieces.sort_by_key(|p| p.items.start);
        pieces
    }
}

/// `0..n` whose leaf pieces are recorded in a [`PieceLog`].
pub struct RecordedRange<'a> {
    items: Range<usize>,
    log: &'a PieceLog<'a>,
}

impl ParallelIterator for RecordedRange<'_> {
    type Item = usize;

    fn drive_unindexed<C: UnindexedConsumer<usize>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }

    fn opt_len(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

impl IndexedParallelIterator for RecordedRange<'_> {
    fn len(&self) -> usize {
        self.items.len()
    }

    fn drive<C: Consumer<usize>>(self, consumer: C) -> C::Result {
        bridge(self, consumer)
    }

    fn with_producer<CB: ProducerCallback<usize>>(self, callback: CB) -> CB::Output {
        callback.callback(RecordedProducer {
            items: self.items,
            log: self.log,
        })
    }
}

struct RecordedProducer<'a> {
    items: Range<usize>,
    log: &'a PieceLog<'a>,
}

impl Producer for RecordedProducer<'_> {
    type Item = usize;
    type IntoIter = Range<usize>;

    fn into_iter(self) -> Range<usize> {
        self.items
    }

    fn split_at(self, index: usize) -> (Self, Self) {
        let middle = self.items.start + index;
        (
            RecordedProducer {
                items: self.items.start..middle,
                log: self.log,
            },
            RecordedProducer {
                items: middle..self.items.end,
                log: self.log,
            },
        )
    }

    fn fold_with<F: Folder<usize>>(self, folder: F) -> F {
        let start_ms = (self.log.now_ms)();
        let folder = folder.consume_iter(self.items.clone());
        let piece = Piece {
            items: self.items,
            thread: rayon::current_thread_index().unwrap_or(0),
            start_ms,
            end_ms: (self.log.now_ms)(),
            stopped: (self.log.stop_requested)(),
        };
        if let Ok(mut pieces) = self.log.pieces.lock() {
            pieces.push(piece);
        }
        folder
    }
}
