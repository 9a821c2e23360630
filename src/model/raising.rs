//! Tasks that raise: which input items raise `ValueError` (`raise_at=3,8`, numbered as the page
//! numbers items, `1..=n`), and how long a failing item works before it raises
//! (`raise_cost=same|slow|fast`). The workers raise for real ([`crate::model::workload`]);
//! what the caller then receives is each strategy's rule ([`OnRaise`], in the strategy table).

use crate::model::item_work::item_value;

/// At most this many items may raise in one run.
pub const MAX_RAISING_ITEMS: usize = 8;

/// How many times its usual cost a `slow` failing item works before it raises.
pub const SLOW_FACTOR: u32 = 5;

/// How long a failing item works before it raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RaiseCost {
    /// As long as it would have worked had it succeeded.
    Same,
    /// Five times as long: its exception comes late.
    Slow,
    /// Not at all: it raises at once.
    Fast,
}

impl RaiseCost {
    /// Every choice, as the picker lists them.
    pub const ALL: [RaiseCost; 3] = [RaiseCost::Same, RaiseCost::Slow, RaiseCost::Fast];

    /// The name in URLs and the JS API.
    pub fn name(self) -> &'static str {
        match self {
            RaiseCost::Same => "same",
            RaiseCost::Slow => "slow",
            RaiseCost::Fast => "fast",
        }
    }

    /// The cost of a failing item whose usual cost is `cost`.
    pub fn apply(self, cost: u32) -> u32 {
        match self {
            RaiseCost::Same => cost,
            RaiseCost::Slow => cost.saturating_mul(SLOW_FACTOR),
            RaiseCost::Fast => 0,
        }
    }
}

/// The items that raise, by item number (`1..=n`), and how long they work first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Raises {
    items: [u32; MAX_RAISING_ITEMS],
    count: usize,
    /// How long a failing item works before it raises.
    pub cost: RaiseCost,
}

impl Default for Raises {
    fn default() -> Self {
        Self::NONE
    }
}

impl Raises {
    /// No item raises.
    pub const NONE: Raises = Raises {
        items: [0; MAX_RAISING_ITEMS],
        count: 0,
        cost: RaiseCost::Same,
    };

    /// The items numbered `numbers` (`1..=n`, at most [`MAX_RAISING_ITEMS`], sorted, no
    /// repeats: as [`parse_raise_at`] gives them) raise after working as `cost` says.
    pub fn new(numbers: &[u32], cost: RaiseCost) -> Self {
        let mut items = [0; MAX_RAISING_ITEMS];
        let count = numbers.len().min(MAX_RAISING_ITEMS);
        items[..count].copy_from_slice(&numbers[..count]);
        Self { items, count, cost }
    }

    /// The numbers of the items that raise, in input order.
    pub fn numbers(&self) -> &[u32] {
        &self.items[..self.count]
    }

    /// Whether no item raises.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the item at input position `position` raises.
    pub fn at(&self, position: usize) -> bool {
        self.numbers()
            .iter()
            .any(|&n| u64::from(n) == item_value(position))
    }

    /// The `raise_at` text of these items (`3,8`).
    pub fn text(&self) -> String {
        let numbers: Vec<String> = self.numbers().iter().map(u32::to_string).collect();
        numbers.join(",")
    }
}

/// The `raise_at` setting: item numbers separated by commas or spaces (`3,8`), each from 1 to
/// `items`, at most [`MAX_RAISING_ITEMS`]; sorted, repeats dropped. Empty: no item raises.
pub fn parse_raise_at(text: &str, items: usize) -> Result<Vec<u32>, String> {
    let mut numbers = Vec::new();
    for word in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        let number: u32 = word.parse().map_err(|_| {
            format!(
                "Raise at takes item numbers separated by commas (e.g. 3,8), and '{}' is not a whole number",
                word.chars().take(20).collect::<String>()
            )
        })?;
        if number == 0 || number as usize > items {
            return Err(format!(
                "Raise at: item {number} does not exist: the items are numbered 1 to {items}"
            ));
        }
        numbers.push(number);
    }
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.len() > MAX_RAISING_ITEMS {
        return Err(format!(
            "Raise at takes at most {MAX_RAISING_ITEMS} items, not {}",
            numbers.len()
        ));
    }
    Ok(numbers)
}

/// What the caller of a strategy receives when one of its tasks raises, by CPython 3.11's
/// rules (`Lib/multiprocessing/pool.py`, `Lib/concurrent/futures/_base.py`,
/// `Lib/threading.py`, `Lib/queue.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRaise {
    /// `Pool.map` / `map_async` / `starmap`: the rest of the failing chunk never runs, the
    /// pool waits for every other chunk, then `get()` raises the first exception to arrive.
    AfterEveryChunk,
    /// `Pool.imap`: the results of the chunks before the failing one, then the exception, at
    /// that chunk (the caller's loop ends there; the pool runs the rest).
    AtItsTurn,
    /// `Executor.map`: as `AtItsTurn`, and the futures not yet running are then cancelled.
    AtItsTurnCancelling,
    /// `Pool.imap_unordered`: the exception when the failing chunk's result arrives.
    WhenItArrives,
    /// `apply_async`: only that call's `get()` raises; every other call returns.
    OnlyItsGet,
    /// `Pool.apply` in a loop: the call for the failing item raises in the caller, whose
    /// loop ends there, so the items after it are never submitted.
    CallerStops,
    /// `multiprocessing.Process`: the child whose target raised prints the traceback and
    /// exits with exitcode 1 without putting its result; the parent's `queue.get()` receives
    /// the others, then would wait forever for the missing ones.
    ChildExits,
    /// `threading.Thread`: the exception is printed by `threading.excepthook`, the others go
    /// on, `join()` returns.
    Printed,
    /// `queue.Queue` workers: the worker that raised dies; the others drain the queue; with
    /// none left and tasks in the queue, `q.join()` waits forever.
    WorkerDies,
    /// rayon's `par_iter().map(f).collect::<Result<Vec<_>, _>>()` (Rust has no exceptions:
    /// each item returns a `Result`): once an item's `Err` is seen, the items not yet started
    /// are skipped; the caller gets the first `Err` stored, and no `Vec`.
    ShortCircuits,
    /// The strategy takes no `raise_at` (static, the fetch strategies).
    NotTaught,
}

impl OnRaise {
    /// Whether this strategy runs tasks that may raise.
    pub fn taught(self) -> bool {
        self != OnRaise::NotTaught
    }
}

/// Whether `Pool.imap`'s iterator still yields after it raised a task's exception to a
/// caller that caught it: with chunksize 1 it does (`IMapIterator` keeps its place, and the
/// next `next()` gets the next result); with larger chunks the results come through a
/// generator chaining the chunks, which the exception closed, so the next `next()` raises
/// `StopIteration` (CPython 3.11).
pub fn imap_goes_on_after_raising(chunksize: usize) -> bool {
    chunksize == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_at_takes_item_numbers_one_to_n() {
        assert_eq!(parse_raise_at("8, 3 3", 10), Ok(vec![3, 8]));
        assert_eq!(parse_raise_at("  ", 10), Ok(vec![]));
        assert!(parse_raise_at("0", 10)
            .unwrap_err()
            .contains("numbered 1 to 10"));
        assert!(parse_raise_at("11", 10)
            .unwrap_err()
            .contains("item 11 does not exist"));
        assert!(parse_raise_at("3;8", 10)
            .unwrap_err()
            .contains("'3;8' is not a whole number"));
        assert!(parse_raise_at("1,2,3,4,5,6,7,8,9", 10)
            .unwrap_err()
            .contains("at most 8 items"));
        let raises = Raises::new(&[3, 8], RaiseCost::Slow);
        assert!(raises.at(2) && raises.at(7) && !raises.at(3));
        assert_eq!(raises.text(), "3,8");
        assert_eq!(RaiseCost::Slow.apply(100), 500);
        assert_eq!(RaiseCost::Fast.apply(100), 0);
    }
}
