//! The work every task does, as in the seed tutorial `pool.map(square, dataset, chunksize)`:
//! the items are `1, 2, …, n` and each task returns `x * x`. To make the work CPU-bound and
//! visible, each task first counts the primes below `cost` by trial division (a real,
//! unskippable computation whose size the cost control sets).

use std::hint::black_box;

/// The value of the item at input position `position` (the dataset is `1..=n`).
pub fn item_value(position: usize) -> u64 {
    position as u64 + 1
}

/// The seed tutorial's function.
pub fn square(x: u64) -> u64 {
    x.wrapping_mul(x)
}

/// How many primes are below `k`, by trial division with odd divisors (no allocation, so
/// workers never contend on the allocator while they compute).
pub fn count_primes_below(k: u32) -> u32 {
    let mut count = u32::from(k > 2);
    let mut n = 3u32;
    while n < k {
        let mut divisor = 3u32;
        let mut is_prime = true;
        while divisor * divisor <= n {
            if n.is_multiple_of(divisor) {
                is_prime = false;
                break;
            }
            divisor += 2;
        }
        count += u32::from(is_prime);
        n += 2;
    }
    count
}

/// Nanoseconds per loop step of [`count_primes_below`], measured in Chromium 156 on the
/// 2-core development machine (k = 30,000 takes about 1 ms per item).
pub const NS_PER_STEP: f64 = 5.5;

/// A run's workload: `square` over `1..=items`, each task paying `count_primes_below(cost)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// The `k` of "count the primes below k" done by every task.
    pub cost: u32,
}

impl Workload {
    /// Runs the task for the item at `position` and returns its result.
    pub fn run_item(&self, position: usize) -> u64 {
        black_box(count_primes_below(black_box(self.cost)));
        square(item_value(position))
    }

    /// The result the task gives for `position`, without the work: what a sequential map
    /// returns, used to check the gathered list.
    pub fn expected_result(position: usize) -> u64 {
        square(item_value(position))
    }

    /// A rough estimate of one task's time in a browser, ms: about `k / 2` odd candidates
    /// plus `sqrt(k) / 3` divisions for each of the `k / ln k` primes, at
    /// [`NS_PER_STEP`]. Used only to refuse runs that would take far too long, never to
    /// stand in for a measured time.
    pub fn estimated_ms_per_item(&self) -> f64 {
        let k = f64::from(self.cost.max(3));
        let steps = k / 2.0 + (k / k.ln()) * k.sqrt() / 3.0;
        steps * NS_PER_STEP / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_primes_like_a_sieve() {
        let sieve = |k: u32| -> u32 {
            let k = k as usize;
            let mut composite = vec![false; k.max(2)];
            let mut count = 0;
            for n in 2..k {
                if !composite[n] {
                    count += 1;
                    (n * n..k).step_by(n).for_each(|m| composite[m] = true);
                }
            }
            count
        };
        for k in [0, 1, 2, 3, 4, 5, 10, 11, 100, 1000, 7919, 7920] {
            assert_eq!(count_primes_below(k), sieve(k), "primes below {k}");
        }
    }

    #[test]
    fn tasks_square_the_items_one_to_n() {
        let workload = Workload { cost: 50 };
        let results: Vec<u64> = (0..14).map(|p| workload.run_item(p)).collect();
        assert_eq!(results[..3], [1, 4, 9]);
        assert_eq!(results[13], 196);
    }
}
