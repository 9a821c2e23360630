//! What one item computes or waits, whatever the strategy: its value (the dataset is
//! `1..=n`), the seed tutorial's `square`, the prime count of `cpu` work and the stoppable
//! wait of `io` and `fetch` work.

use crate::model::run_control::RunControl;
use std::time::Duration;

/// The value of the item at input position `position` (the dataset is `1..=n`).
pub fn item_value(position: usize) -> u64 {
    position as u64 + 1
}

/// The seed tutorial's function.
pub fn square(x: u64) -> u64 {
    x.wrapping_mul(x)
}

/// How many primes are below `k`, by trial division with odd divisors (no allocation, so
/// workers never contend on the allocator while they compute). `every_step` is called every
/// 64 candidates (the GIL's chance to switch threads, and the run's to stop): when it returns
/// `false` the count stops there, unfinished.
pub fn count_primes_below(k: u32, every_step: &mut dyn FnMut() -> bool) -> u32 {
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
        if n & 127 == 1 && !every_step() {
            break;
        }
    }
    count
}

/// Nanoseconds per loop step of [`count_primes_below`], measured in Chromium 156 on the
/// 2-core development machine (k = 30,000 takes about 0.5 ms per item).
pub const NS_PER_STEP: f64 = 2.7;

/// The longest a waiting item waits before it looks whether the run was stopped.
const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(5);

/// Blocks the thread for `micros` µs (without using the CPU), in slices, so that a Stop is
/// seen within one slice.
pub fn wait_unless_stopped(micros: u32, control: &RunControl) {
    let mut left = Duration::from_micros(u64::from(micros));
    while !left.is_zero() && !control.stop_requested() {
        let slice = left.min(STOP_CHECK_INTERVAL);
        std::thread::sleep(slice);
        left -= slice;
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
            assert_eq!(
                count_primes_below(k, &mut || true),
                sieve(k),
                "primes below {k}"
            );
        }
    }
}
