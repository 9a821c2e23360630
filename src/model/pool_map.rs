//! How `multiprocessing.Pool` cuts its input, as CPython 3.11–3.13 does it
//! (`Lib/multiprocessing/pool.py`): `Pool._map_async` (the default chunk size rule) and
//! `Pool._get_tasks` (consecutive chunks). How the chunks are handed out and gathered is in
//! [`crate::model::plan`] and [`crate::model::result_handler`].

use serde::Serialize;

/// The chunk size `Pool.map` uses when none is given (`Pool._map_async`):
/// `chunksize, extra = divmod(len(items), workers * 4)`, plus one if `extra`.
/// An empty input gives 0 (CPython sets `chunksize = 0` and returns an empty result).
pub fn default_chunksize(items: usize, workers: usize) -> usize {
    if items == 0 {
        return 0;
    }
    let per_round = workers.max(1) * 4;
    let (chunksize, extra) = (items / per_round, items % per_round);
    if extra > 0 {
        chunksize + 1
    } else {
        chunksize
    }
}

/// The rule behind [`default_chunksize`] written out with the numbers of this run, as the
/// page shows it next to the resolved value: `ceil(100 / (4 × 4))`.
pub fn default_chunksize_formula(items: usize, workers: usize) -> String {
    if items == 0 {
        return "no items: empty result".to_owned();
    }
    format!("ceil({items} / ({workers} × 4))")
}

/// One chunk: `len` consecutive items starting at `first_item` (0-based position in the
/// input), numbered `index` in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Chunk {
    /// Position of the chunk in input order (0, 1, 2 …).
    pub index: usize,
    /// Position in the input of the chunk's first item.
    pub first_item: usize,
    /// How many items the chunk holds (the last one may be shorter).
    pub len: usize,
}

impl Chunk {
    /// The input positions this chunk covers.
    pub fn items(&self) -> std::ops::Range<usize> {
        self.first_item..self.first_item + self.len
    }
}

/// Cuts `items` inputs into chunks of `chunksize` consecutive items, the last possibly
/// shorter (`Pool._get_tasks`). A chunk size of 0 is only valid for an empty input.
pub fn split(items: usize, chunksize: usize) -> Vec<Chunk> {
    if items == 0 || chunksize == 0 {
        return Vec::new();
    }
    (0..items.div_ceil(chunksize))
        .map(|index| {
            let first_item = index * chunksize;
            Chunk {
                index,
                first_item,
                len: chunksize.min(items - first_item),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(chunks: &[Chunk]) -> Vec<usize> {
        chunks.iter().map(|c| c.len).collect()
    }

    #[test]
    fn seed_example_14_items_chunksize_3_gives_chunks_3_3_3_3_2() {
        let chunks = split(14, 3);
        assert_eq!(lens(&chunks), [3, 3, 3, 3, 2]);
        assert_eq!(chunks[4].items(), 12..14);
    }

    #[test]
    fn default_rule_100_items_4_workers_is_7_in_15_chunks() {
        assert_eq!(default_chunksize(100, 4), 7);
        let chunks = split(100, 7);
        assert_eq!(chunks.len(), 15);
        assert_eq!(chunks.iter().filter(|c| c.len == 7).count(), 14);
        assert_eq!(chunks[14].len, 2);
        assert_eq!(default_chunksize_formula(100, 4), "ceil(100 / (4 × 4))");
    }

    #[test]
    fn default_rule_small_inputs() {
        assert_eq!(default_chunksize(14, 5), 1);
        assert_eq!(default_chunksize(5, 8), 1);
        assert_eq!(default_chunksize(16, 4), 1);
        assert_eq!(default_chunksize(17, 4), 2);
        assert_eq!(default_chunksize(0, 4), 0);
    }

    #[test]
    fn empty_input_gives_no_chunks() {
        assert!(split(0, default_chunksize(0, 4)).is_empty());
    }
}
