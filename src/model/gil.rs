//! A real global interpreter lock for the thread strategies, as CPython's GIL behaves (3.2+,
//! `Python/ceval_gil.c`): a thread holds it while it runs Python code and releases it while it
//! waits on I/O; a thread that wants it asks, and the holder hands it over after the switch
//! interval (`sys.getswitchinterval()`, 5 ms). Hand-over is first come, first served (a ticket
//! lock), so CPU-bound threads take turns and together run no faster than one thread.
//!
//! The lock records who held it, slice by slice ([`GilSlice`]): the slices come out in the
//! order the lock was handed over and never overlap, by construction (a slice begins no
//! earlier than the release that let its holder in, read under the same lock), even where the
//! threads' clocks disagree by a few microseconds.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// One hold of the GIL: a worker asked for it, got it, and released it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GilSlice {
    /// The worker (lane) whose thread held it.
    pub worker: usize,
    /// When that thread asked for it, ms since the run started (it waited until `start_ms`).
    pub asked_ms: f64,
    /// When it got it.
    pub start_ms: f64,
    /// When it released it.
    pub end_ms: f64,
}

thread_local! {
    /// Time this thread has spent waiting for the GIL since it was last read, ms.
    static WAITED_MS: Cell<f64> = const { Cell::new(0.0) };
    /// The worker (lane) the calling thread runs as, named in the slices it holds.
    static HOLDER: Cell<usize> = const { Cell::new(0) };
    /// The GIL this thread holds now, if any.
    static HOLD: Cell<Option<Hold>> = const { Cell::new(None) };
}

/// The holder named by the caller's thread (`Executor.map`'s submit loop): it holds the GIL
/// as Python's main thread does, but has no lane, so its holds are not recorded as slices.
pub const CALLER: usize = usize::MAX;

/// This thread's hold of one GIL: which lock (its address), how many [`GilHeld`]s of it are
/// alive on this thread (a thread that holds it and runs code that asks for it again just
/// keeps it, as a Python thread runs a call while holding the GIL), and the slice it holds.
#[derive(Debug, Clone, Copy)]
struct Hold {
    gil: usize,
    depth: usize,
    asked_ms: f64,
    held_ms: f64,
    since_ms: f64,
}

/// Reads and resets the time the calling thread has waited for the GIL, ms.
pub fn take_waited_ms() -> f64 {
    WAITED_MS.with(|w| w.replace(0.0))
}

fn add_waited(ms: f64) {
    WAITED_MS.with(|w| w.set(w.get() + ms.max(0.0)));
}

/// Names the worker the calling thread runs as: the slices it holds from now on are its.
pub fn set_holder(worker: usize) {
    HOLDER.with(|h| h.set(worker));
}

/// CPython's default switch interval, ms.
pub const SWITCH_INTERVAL_MS: f64 = 5.0;

/// Two slices of one holder closer than this (no one else holding in between, no wait) are
/// recorded as one, so a thread that releases and takes the lock back between two items
/// adds no slice: the record grows with the hand-overs, not with the items.
pub const MERGE_GAP_MS: f64 = 0.01;

#[derive(Debug, Default)]
struct Tickets {
    next: u64,
    serving: u64,
    /// When the last holder released the lock, ms.
    released_ms: f64,
    /// Every slice so far, in hand-over order.
    slices: Vec<GilSlice>,
}

/// The lock. Share it (`Arc`) between the threads of one run.
#[derive(Debug, Default)]
pub struct Gil {
    tickets: Mutex<Tickets>,
    turn: Condvar,
}

/// The GIL, held; dropping the last hold of a thread releases it to the next waiting thread.
pub struct GilHeld<'a> {
    gil: &'a Gil,
    now_ms: &'a dyn Fn() -> f64,
    handovers: Cell<usize>,
}

impl Gil {
    fn tickets(&self) -> MutexGuard<'_, Tickets> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// This lock's identity on the calling thread's [`Hold`].
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// This thread's hold of this lock, if it holds it.
    fn hold(&self) -> Option<Hold> {
        HOLD.get().filter(|hold| hold.gil == self.id())
    }

    /// Waits (blocked) for the lock; the wait, read on `now_ms`, counts toward
    /// [`take_waited_ms`]. A thread that holds it already keeps it (no wait).
    pub fn acquire<'a>(&'a self, now_ms: &'a dyn Fn() -> f64) -> GilHeld<'a> {
        let held = GilHeld {
            gil: self,
            now_ms,
            handovers: Cell::new(0),
        };
        if let Some(hold) = self.hold() {
            HOLD.set(Some(Hold {
                depth: hold.depth + 1,
                ..hold
            }));
            return held;
        }
        self.take_anew(now_ms, 1);
        held
    }

    /// Waits for the lock and records this thread's new hold of it, `depth` deep.
    fn take_anew(&self, now_ms: &dyn Fn() -> f64, depth: usize) {
        let asked = now_ms();
        let got = self.take_turn(now_ms);
        add_waited(got - asked);
        HOLD.set(Some(Hold {
            gil: self.id(),
            depth,
            asked_ms: asked,
            held_ms: got,
            since_ms: got,
        }));
    }

    /// Runs `wait`, a blocking call (I/O, a lock, a queue's `get`), without the GIL, as
    /// CPython releases it around one, then takes it again (a thread back from the wait needs
    /// it to go on). A thread that held it releases it for the wait and holds it after;
    /// a thread that did not takes it and hands it back at once.
    pub fn blocking<R>(&self, now_ms: &dyn Fn() -> f64, wait: impl FnOnce() -> R) -> R {
        match self.hold() {
            Some(hold) => {
                HOLD.set(None);
                self.release(hold.asked_ms, hold.held_ms, now_ms());
                let result = wait();
                self.take_anew(now_ms, hold.depth);
                result
            }
            None => {
                let result = wait();
                drop(self.acquire(now_ms));
                result
            }
        }
    }

    /// Waits for this thread's turn and returns when it began: now, or the previous
    /// holder's release if this thread's clock reads earlier.
    fn take_turn(&self, now_ms: &dyn Fn() -> f64) -> f64 {
        let mut tickets = self.tickets();
        let mine = tickets.next;
        tickets.next += 1;
        while tickets.serving != mine {
            tickets = self
                .turn
                .wait(tickets)
                .unwrap_or_else(PoisonError::into_inner);
        }
        now_ms().max(tickets.released_ms)
    }

    /// Releases the lock at `now` (no earlier than `since`) and records the slice held.
    fn release(&self, asked: f64, since: f64, now: f64) {
        let mut tickets = self.tickets();
        let end = now.max(since);
        let holder = HOLDER.with(Cell::get);
        match tickets.slices.last_mut() {
            // The caller's thread has no lane: its holds are not drawn.
            _ if holder == CALLER => {}
            Some(last)
                if last.worker == holder
                    && since - last.end_ms < MERGE_GAP_MS
                    && since - asked < MERGE_GAP_MS =>
            {
                last.end_ms = end;
            }
            _ => tickets.slices.push(GilSlice {
                worker: holder,
                asked_ms: asked.min(since),
                start_ms: since,
                end_ms: end,
            }),
        }
        tickets.released_ms = end;
        tickets.serving += 1;
        drop(tickets);
        self.turn.notify_all();
    }

    fn has_waiters(&self) -> bool {
        let tickets = self.tickets();
        tickets.next > tickets.serving + 1
    }

    /// Takes the slices recorded so far, in hand-over order.
    pub fn take_slices(&self) -> Vec<GilSlice> {
        std::mem::take(&mut self.tickets().slices)
    }
}

impl GilHeld<'_> {
    /// Called while computing: once the switch interval has passed and another thread is
    /// waiting, hands the lock over and waits for it again at the back of the line.
    pub fn switch_if_due(&self, now_ms: &dyn Fn() -> f64) {
        let Some(hold) = self.gil.hold() else {
            return;
        };
        let now = now_ms();
        if now - hold.since_ms < SWITCH_INTERVAL_MS {
            return;
        }
        if self.gil.has_waiters() {
            self.gil.release(hold.asked_ms, hold.held_ms, now);
            let got = self.gil.take_turn(now_ms);
            self.handovers.set(self.handovers.get() + 1);
            add_waited(got - now);
            HOLD.set(Some(Hold {
                asked_ms: now,
                held_ms: got,
                since_ms: got,
                ..hold
            }));
        } else {
            HOLD.set(Some(Hold {
                since_ms: now,
                ..hold
            }));
        }
    }

    /// How often this holder handed the lock to a waiting thread.
    pub fn handovers(&self) -> usize {
        self.handovers.get()
    }
}

impl Drop for GilHeld<'_> {
    fn drop(&mut self) {
        // A live hold is always this thread's (a blocking call takes it back): nothing else
        // to release.
        let Some(hold) = self.gil.hold() else {
            return;
        };
        if hold.depth > 1 {
            HOLD.set(Some(Hold {
                depth: hold.depth - 1,
                ..hold
            }));
        } else {
            HOLD.set(None);
            self.gil
                .release(hold.asked_ms, hold.held_ms, (self.now_ms)());
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::item_work::count_primes_below;
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

    #[test]
    fn the_recorded_slices_never_overlap_even_with_skewed_clocks() {
        let gil = Gil::default();
        let clock = Instant::now();
        std::thread::scope(|scope| {
            for worker in 0..4 {
                let gil = &gil;
                scope.spawn(move || {
                    set_holder(worker);
                    // Each thread's clock reads up to 0.3 ms off the others', as Web
                    // Workers' clocks may.
                    let now = move || clock.elapsed().as_secs_f64() * 1e3 - worker as f64 * 0.1;
                    for _ in 0..5 {
                        let held = gil.acquire(&now);
                        count_primes_below(200_000, &mut || {
                            held.switch_if_due(&now);
                            true
                        });
                    }
                });
            }
        });
        let slices = gil.take_slices();
        assert!(slices.len() >= 4, "{} slices", slices.len());
        for pair in slices.windows(2) {
            assert!(
                pair[1].start_ms >= pair[0].end_ms,
                "overlap: {:?} then {:?}",
                pair[0],
                pair[1]
            );
        }
        for slice in &slices {
            assert!(slice.asked_ms <= slice.start_ms && slice.start_ms <= slice.end_ms);
        }
        let mut holders: Vec<usize> = slices.iter().map(|s| s.worker).collect();
        holders.sort_unstable();
        holders.dedup();
        assert_eq!(holders, [0, 1, 2, 3]);
        assert!(gil.take_slices().is_empty(), "taken once");
    }

    #[test]
    fn a_holder_asking_again_keeps_it_and_a_blocking_call_lets_another_thread_in() {
        let gil = Gil::default();
        let clock = Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        let outer = gil.acquire(&now);
        // Asked again by the thread that holds it (a task run by a thread that keeps it
        // between tasks): no wait, and still held once the inner hold is gone.
        drop(gil.acquire(&now));
        assert!(gil.hold().is_some(), "still held by the outer hold");
        let other_got_it = std::thread::scope(|scope| {
            let other = scope.spawn(|| drop(gil.acquire(&now)));
            // The other thread waits until this one blocks: then it gets the lock.
            gil.blocking(&now, || other.join().is_ok())
        });
        assert!(other_got_it);
        assert!(gil.hold().is_some(), "taken back after the blocking call");
        drop(outer);
        assert!(gil.hold().is_none(), "released with the last hold");
    }

    #[test]
    fn a_thread_alone_adds_no_slice_per_item() {
        let gil = Gil::default();
        let clock = Instant::now();
        let now = || clock.elapsed().as_secs_f64() * 1e3;
        set_holder(7);
        for _ in 0..10_000 {
            drop(gil.acquire(&now));
        }
        let slices = gil.take_slices();
        assert!(
            slices.len() < 100,
            "{} slices for 10,000 uncontended holds",
            slices.len()
        );
        assert!(slices.iter().all(|s| s.worker == 7));
    }
}
