//! CPython's result handler: results are placed by position as their tasks come back, and
//! released to the caller by the strategy's [`Delivery`]: `map` the whole list when the last
//! task is back, `imap` each once every earlier one is in, `imap_unordered` as they complete.

use crate::model::pool_map::Chunk;
use crate::model::strategy::Delivery;

/// The result handler: places results by position and releases them to the caller by the
/// plan's [`Delivery`].
#[derive(Debug)]
pub struct ResultHandler {
    delivery: Delivery,
    /// Each item's result, by input position, once its task is back.
    pub(crate) slots: Vec<Option<u64>>,
    /// Task indices in the order their results arrived.
    pub(crate) arrived: Vec<usize>,
    back: Vec<bool>,
    next_in_order: usize,
    /// Task indices in the order their results reached the caller.
    pub(crate) delivered: Vec<usize>,
    /// When each of `delivered` reached the caller, ms.
    pub(crate) delivered_ms: Vec<f64>,
}

impl ResultHandler {
    /// A handler for `items` results in `chunks` tasks.
    pub fn new(delivery: Delivery, items: usize, chunks: usize) -> Self {
        Self {
            delivery,
            slots: vec![None; items],
            arrived: Vec::with_capacity(chunks),
            back: vec![false; chunks],
            next_in_order: 0,
            delivered: Vec::with_capacity(chunks),
            delivered_ms: Vec::with_capacity(chunks),
        }
    }

    /// Task `chunk`'s results arrived at `at_ms`.
    pub fn arrive(&mut self, chunk: Chunk, results: Vec<u64>, at_ms: f64) {
        for (slot, result) in self.slots[chunk.items()].iter_mut().zip(results) {
            *slot = Some(result);
        }
        self.arrived.push(chunk.index);
        self.back[chunk.index] = true;
        match self.delivery {
            Delivery::AsCompleted => self.deliver(chunk.index, at_ms),
            Delivery::InOrder => {
                while self.back.get(self.next_in_order) == Some(&true) {
                    self.deliver(self.next_in_order, at_ms);
                    self.next_in_order += 1;
                }
            }
            Delivery::AllAtEnd => {
                if self.arrived.len() == self.back.len() {
                    (0..self.back.len()).for_each(|i| self.deliver(i, at_ms));
                }
            }
        }
    }

    /// Task indices in the order their results reached the caller.
    pub fn delivered(&self) -> &[usize] {
        &self.delivered
    }

    fn deliver(&mut self, index: usize, at_ms: f64) {
        self.delivered.push(index);
        self.delivered_ms.push(at_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pool_map::split;

    fn handler_run(delivery: Delivery, arrivals: &[(usize, f64)]) -> (Vec<usize>, Vec<f64>) {
        let chunks = split(arrivals.len(), 1);
        let mut handler = ResultHandler::new(delivery, arrivals.len(), arrivals.len());
        for &(index, at) in arrivals {
            handler.arrive(chunks[index], vec![0], at);
        }
        (handler.delivered, handler.delivered_ms)
    }

    #[test]
    fn imap_releases_a_result_once_every_earlier_one_is_in() {
        let (order, at) = handler_run(Delivery::InOrder, &[(1, 1.0), (2, 2.0), (0, 5.0), (3, 6.0)]);
        assert_eq!(order, [0, 1, 2, 3]);
        assert_eq!(at, [5.0, 5.0, 5.0, 6.0]);
    }

    #[test]
    fn imap_unordered_releases_in_completion_order() {
        let (order, at) = handler_run(Delivery::AsCompleted, &[(1, 1.0), (2, 2.0), (0, 5.0)]);
        assert_eq!((order, at), (vec![1, 2, 0], vec![1.0, 2.0, 5.0]));
    }

    #[test]
    fn map_releases_the_whole_list_when_the_last_chunk_is_back() {
        let (order, at) = handler_run(Delivery::AllAtEnd, &[(2, 1.0), (0, 2.0), (1, 7.0)]);
        assert_eq!((order, at), (vec![0, 1, 2], vec![7.0; 3]));
    }
}
