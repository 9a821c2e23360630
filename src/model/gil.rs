//! A real global interpreter lock for the thread strategies, as CPython's GIL behaves (3.2+,
//! `Python/ceval_gil.c`): a thread holds it while it runs Python code and releases it while it
//! waits on I/O; a thread that wants it asks, and the holder hands it over after the switch
//! interval (`sys.getswitchinterval()`, 5 ms). Hand-over is first come, first served (a ticket
//! lock), so CPU-bound threads take turns and together run no faster than one thread.

use std::cell::Cell;

thread_local! {
    /// Time this thread has spent waiting for the GIL since it was last read, ms.
    static WAITED_MS: Cell<f64> = const { Cell::new(0.0) };
}

/// Reads and resets the time the calling thread has waited for the GIL, ms.
pub fn take_waited_ms() -> f64 {
    WAITED_MS.with(|w| w.replace(0.0))
}

fn add_waited(ms: f64) {
    WAITED_MS.with(|w| w.set(w.get() + ms.max(0.0)));
}
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// CPython's default switch interval, ms.
pub const SWITCH_INTERVAL_MS: f64 = 5.0;

#[derive(Debug, Default)]
struct Tickets {
    next: u64,
    serving: u64,
}

/// The lock. Share it (`Arc`) between the threads of one run.
#[derive(Debug, Default)]
pub struct Gil {
    tickets: Mutex<Tickets>,
    turn: Condvar,
}

/// The GIL, held; dropping it releases it to the next waiting thread.
#[derive(Debug)]
pub struct GilHeld<'a> {
    gil: &'a Gil,
    since_ms: Cell<f64>,
    handovers: Cell<usize>,
}

impl Gil {
    fn tickets(&self) -> MutexGuard<'_, Tickets> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (blocked) for the lock; the wait, read on `now_ms`, counts toward
    /// [`take_waited_ms`].
    pub fn acquire(&self, now_ms: &dyn Fn() -> f64) -> GilHeld<'_> {
        let asked = now_ms();
        self.take_turn();
        let got = now_ms();
        add_waited(got - asked);
        GilHeld {
            gil: self,
            since_ms: Cell::new(got),
            handovers: Cell::new(0),
        }
    }

    fn take_turn(&self) {
        let mut tickets = self.tickets();
        let mine = tickets.next;
        tickets.next += 1;
        while tickets.serving != mine {
            tickets = self
                .turn
                .wait(tickets)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn release(&self) {
        self.tickets().serving += 1;
        self.turn.notify_all();
    }

    fn has_waiters(&self) -> bool {
        let tickets = self.tickets();
        tickets.next > tickets.serving + 1
    }
}

impl GilHeld<'_> {
    /// Called while computing: once the switch interval has passed and another thread is
    /// waiting, hands the lock over and waits for it again at the back of the line.
    pub fn switch_if_due(&self, now_ms: &dyn Fn() -> f64) {
        let now = now_ms();
        if now - self.since_ms.get() < SWITCH_INTERVAL_MS {
            return;
        }
        if self.gil.has_waiters() {
            self.gil.release();
            self.gil.take_turn();
            self.handovers.set(self.handovers.get() + 1);
            let got = now_ms();
            add_waited(got - now);
            self.since_ms.set(got);
        } else {
            self.since_ms.set(now);
        }
    }
}

impl GilHeld<'_> {
    /// How often this holder handed the lock to a waiting thread.
    pub fn handovers(&self) -> usize {
        self.handovers.get()
    }
}

impl Drop for GilHeld<'_> {
    fn drop(&mut self) {
        self.gil.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::workload::count_primes_below;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    #[test]
    fn only_one_thread_holds_it_at_a_time() {
        let gil = Gil::default();
        let inside = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let _held = gil.acquire(&|| 0.0);
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
    }

    #[test]
    fn cpu_bound_threads_take_turns_every_switch_interval() {
        let gil = Gil::default();
        let clock = Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let handovers: Vec<usize> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        let held = gil.acquire(&now);
                        count_primes_below(3_000_000, &mut || {
                            held.switch_if_due(&now);
                            true
                        });
                        held.handovers()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        // Each thread computes for well over a switch interval while the other waits, so
        // at least the first holder must have handed the lock over.
        assert!(
            handovers.iter().sum::<usize>() >= 1,
            "handovers: {handovers:?}"
        );
    }

    #[test]
    fn a_thread_that_waits_for_the_gil_is_told_how_long() {
        let gil = Gil::default();
        let clock = Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let held = gil.acquire(&now);
        assert!(take_waited_ms() < 1.0, "a free GIL is taken at once");
        let waited = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                drop(gil.acquire(&now));
                take_waited_ms()
            });
            std::thread::sleep(std::time::Duration::from_millis(30));
            drop(held);
            waiter.join().unwrap()
        });
        assert!(waited >= 25.0, "waited {waited} ms");
        assert_eq!(
            take_waited_ms(),
            0.0,
            "another thread's wait is not this thread's"
        );
    }
}
