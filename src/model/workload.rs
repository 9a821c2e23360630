//! The work every task does, as in the seed tutorial `pool.map(square, dataset, chunksize)`:
//! the items are `1, 2, …, n` and each task returns `x * x`. Before returning, a task does real
//! work of a chosen kind:
//! - `cpu`: counts the primes below its `k` by trial division (unskippable computation);
//! - `io`: blocks for its wait in µs without using the CPU (as a thread waiting on I/O does);
//! - `fetch` (thread strategies only): downloads the shipped file of request `i`, as
//!   `asyncio.gather` does, with a blocking request the runtime supplies ([`Io`]); its result
//!   is the number of bytes received. Its cost is the latency added to each request, µs (a
//!   timer wait once the response is in, the thread blocked and the GIL released), as
//!   `asyncio.gather`'s `latency_ms`: served from this machine, a request has no network wait
//!   to overlap (only CPU, in the browser and the server, on the same cores as the threads).
//!
//! A shape spreads the cost over the items (uniform, increasing, random, heavy-tailed, one
//! straggler); the same seed always gives the same costs.

use crate::model::errors::TaskError;
use crate::model::files::SHIPPED_FILES;
use crate::model::gil::Gil;
use crate::model::item_work::{
    count_primes_below, item_value, square, wait_unless_stopped, NS_PER_STEP,
};
use crate::model::raising::Raises;
use crate::model::run_control::RunControl;
use std::hint::black_box;

/// What a task spends its time on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    /// Computing: count the primes below k.
    Cpu,
    /// Waiting (a timer wait, like I/O): the CPU is free meanwhile.
    Io,
    /// Downloading a shipped file with a blocking request (`requests.get` in a thread).
    Fetch,
}

/// The blocking request the runtime supplies for `fetch` tasks: downloads request
/// `position` and returns the bytes received, or why it failed.
pub type Io = dyn Fn(usize) -> Result<u64, TaskError> + Send + Sync;

impl WorkloadKind {
    /// Every kind, as the picker lists them.
    pub const ALL: [WorkloadKind; 3] = [WorkloadKind::Cpu, WorkloadKind::Io, WorkloadKind::Fetch];

    /// The name in URLs and the JS API.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Cpu => "cpu",
            WorkloadKind::Io => "io",
            WorkloadKind::Fetch => "fetch",
        }
    }
}

/// How the cost is spread over the items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Every item costs the same.
    Uniform,
    /// Item i costs `2 (i + 1) / n` times the cost: later items are heavier.
    Increasing,
    /// Each item costs between 0.25 and 1.75 times the cost, drawn from the seed.
    Random,
    /// Heavy-tailed (Pareto, mean 1): most items are cheap, a few are very expensive.
    Heavy,
    /// The first item costs as much as a quarter of all items; the rest cost 1.
    Straggler,
}

impl Shape {
    /// Every shape, as the picker lists them.
    pub const ALL: [Shape; 5] = [
        Shape::Uniform,
        Shape::Increasing,
        Shape::Random,
        Shape::Heavy,
        Shape::Straggler,
    ];

    /// The name in URLs and the JS API.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Uniform => "uniform",
            Shape::Increasing => "increasing",
            Shape::Random => "random",
            Shape::Heavy => "heavy",
            Shape::Straggler => "straggler",
        }
    }

    /// The cost factor of item `position` of `items`, for `seed`.
    pub fn factor(self, position: usize, items: usize, seed: u64) -> f64 {
        let unit = || {
            (splitmix64(seed ^ (position as u64).wrapping_mul(0x9E37_79B9)) >> 11) as f64
                / (1u64 << 53) as f64
        };
        match self {
            Shape::Uniform => 1.0,
            Shape::Increasing => 2.0 * (position + 1) as f64 / items.max(1) as f64,
            Shape::Random => 0.25 + 1.5 * unit(),
            Shape::Heavy => {
                // Pareto with alpha 1.5 and minimum 1/3 has mean 1; capped at 40.
                let u = unit().max(1e-12);
                ((1.0 / 3.0) / u.powf(1.0 / 1.5)).min(40.0)
            }
            Shape::Straggler if position == 0 => (items as f64 / 4.0).max(1.0),
            Shape::Straggler => 1.0,
        }
    }
}

/// A fast, well-mixed 64-bit hash (SplitMix64), the playground's only randomness.
pub fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A run's workload: `square` over `1..=items`, each task first doing its share of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Workload {
    /// Computing or waiting.
    pub kind: WorkloadKind,
    /// The base cost: `k` of "primes below k" for `cpu`, µs of waiting for `io`, µs of latency
    /// added to each request for `fetch`.
    pub cost: u32,
    /// How the cost is spread over the items.
    pub shape: Shape,
    /// Seed of the random shapes.
    pub seed: u64,
    /// Number of items (the shapes depend on it).
    pub items: usize,
    /// The items that raise `ValueError`, and how long they work first.
    pub raises: Raises,
}

impl Workload {
    /// The uniform CPU workload of the given cost over `items` items.
    pub fn cpu(cost: u32, items: usize) -> Self {
        Self {
            kind: WorkloadKind::Cpu,
            cost,
            shape: Shape::Uniform,
            seed: 1,
            items,
            raises: Raises::NONE,
        }
    }

    /// The cost of the item at `position`: `k` for `cpu`, µs for `io`.
    pub fn cost_of(&self, position: usize) -> u32 {
        let scaled = f64::from(self.cost) * self.shape.factor(position, self.items, self.seed);
        let cost = scaled.round().min(f64::from(u32::MAX)) as u32;
        if self.raises.at(position) {
            self.raises.cost.apply(cost)
        } else {
            cost
        }
    }

    /// What the cost setting means for this workload, for the note under the control.
    pub fn cost_note(&self) -> String {
        let cost = crate::model::words::group_digits(u64::from(self.cost));
        match self.kind {
            WorkloadKind::Cpu => format!("count the primes below {cost}"),
            WorkloadKind::Io => format!("wait {cost} µs"),
            WorkloadKind::Fetch => format!("latency added to each request: {cost} µs (a timer wait, not network time); task i downloads shipped file i mod 4 (1 KB to 256 KB)"),
        }
    }

    /// Runs the task for the item at `position` and returns its result. With a `gil`, the
    /// task holds it while it computes (offering it to waiting threads every switch
    /// interval) and not while it waits, as CPython's threads do. `fetch` tasks make their
    /// request with `io` (the GIL released meanwhile) and fail if it fails or is missing;
    /// an item of `raises` raises `ValueError` once its work is done
    /// ([`TaskError::Raised`]); the others never fail. Once `control` asks to stop, a `cpu` or `io` item stops
    /// part-way (within about a millisecond) and its result means nothing.
    pub fn run_item(
        &self,
        position: usize,
        gil: Option<&Gil>,
        now_ms: &dyn Fn() -> f64,
        io: Option<&Io>,
        control: &RunControl,
    ) -> Result<u64, TaskError> {
        let cost = self.cost_of(position);
        match self.kind {
            WorkloadKind::Cpu => {
                let held = gil.map(|g| g.acquire(now_ms));
                let mut offer_switch = || {
                    if let Some(held) = &held {
                        held.switch_if_due(now_ms);
                    }
                    !control.stop_requested()
                };
                black_box(count_primes_below(black_box(cost), &mut offer_switch));
            }
            WorkloadKind::Io => {
                // The wait releases the GIL; back from it, the thread needs the GIL to return
                // its result.
                let wait = || wait_unless_stopped(cost, control);
                match gil {
                    Some(gil) => gil.blocking(now_ms, wait),
                    None => wait(),
                }
            }
            WorkloadKind::Fetch => {
                // The request blocks the thread without the GIL, as I/O releases it, then
                // the added latency, as asyncio.gather's: the thread waits, as on a network.
                let request = || {
                    let received = io.map_or_else(
                        || {
                            Err(TaskError::Unavailable(
                                "no blocking request was supplied for fetch tasks",
                            ))
                        },
                        |io| io(position),
                    );
                    wait_unless_stopped(cost, control);
                    received
                };
                return match gil {
                    Some(gil) => gil.blocking(now_ms, request),
                    None => request(),
                };
            }
        }
        if self.raises.at(position) && !control.stop_requested() {
            return Err(TaskError::Raised {
                item: item_value(position),
            });
        }
        Ok(square(item_value(position)))
    }

    /// The result the task gives for `position` when it succeeds, without the work: what a
    /// sequential map returns (for `fetch`, the size of the shipped file it downloads), used
    /// to check the gathered list.
    pub fn expected_result(&self, position: usize) -> u64 {
        match self.kind {
            WorkloadKind::Fetch => SHIPPED_FILES[position % SHIPPED_FILES.len()].bytes,
            WorkloadKind::Cpu | WorkloadKind::Io => square(item_value(position)),
        }
    }

    /// A rough estimate of the whole workload's time on one worker, ms: for `cpu`, about
    /// `k / 2` odd candidates plus `sqrt(k) / 3` divisions for each of the `k / ln k` primes
    /// per item at [`NS_PER_STEP`]; for `io`, the waits; for `fetch`, nothing (its number of
    /// requests is bounded instead). Used only to refuse runs that would take far too long,
    /// never to stand in for a measured time.
    pub fn estimated_total_ms(&self) -> f64 {
        let mean_cost = f64::from(self.cost);
        match self.kind {
            WorkloadKind::Cpu => {
                let k = mean_cost.max(3.0);
                let steps = k / 2.0 + (k / k.ln()) * k.sqrt() / 3.0;
                steps * NS_PER_STEP / 1e6 * self.items as f64 * self.mean_factor_bound()
            }
            WorkloadKind::Io | WorkloadKind::Fetch => {
                mean_cost / 1e3 * self.items as f64 * self.mean_factor_bound()
            }
        }
    }

    /// An upper bound of the mean cost factor of the shape (k grows faster than linearly in
    /// time, so shapes with large factors are bounded generously).
    fn mean_factor_bound(&self) -> f64 {
        match (self.shape, self.kind) {
            (Shape::Uniform, _) => 1.0,
            (Shape::Straggler, WorkloadKind::Io | WorkloadKind::Fetch) => 1.25,
            (Shape::Straggler, WorkloadKind::Cpu) => 1.0 + (self.items as f64 / 4.0).sqrt(),
            (_, WorkloadKind::Io | WorkloadKind::Fetch) => 1.0,
            (_, WorkloadKind::Cpu) => 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tasks_square_the_items_one_to_n() {
        let workload = Workload::cpu(50, 14);
        let results: Vec<u64> = (0..14)
            .map(|p| {
                workload
                    .run_item(p, None, &|| 0.0, None, &RunControl::default())
                    .unwrap()
            })
            .collect();
        assert_eq!(results[..3], [1, 4, 9]);
        assert_eq!(results[13], 196);
    }

    #[test]
    fn the_same_seed_gives_the_same_costs_and_another_seed_others() {
        let costs = |shape, seed| -> Vec<u32> {
            let w = Workload {
                shape,
                seed,
                ..Workload::cpu(1000, 50)
            };
            (0..50).map(|p| w.cost_of(p)).collect()
        };
        for shape in Shape::ALL {
            assert_eq!(costs(shape, 7), costs(shape, 7), "{}", shape.name());
        }
        assert_ne!(costs(Shape::Random, 7), costs(Shape::Random, 8));
        assert_ne!(costs(Shape::Heavy, 7), costs(Shape::Heavy, 8));
    }

    #[test]
    fn shapes_spread_the_cost_as_named() {
        let w = |shape| Workload {
            shape,
            ..Workload::cpu(1000, 100)
        };
        assert!((0..100).all(|p| w(Shape::Uniform).cost_of(p) == 1000));
        let increasing = w(Shape::Increasing);
        assert!((1..100).all(|p| increasing.cost_of(p) > increasing.cost_of(p - 1)));
        assert_eq!(w(Shape::Straggler).cost_of(0), 25_000);
        assert!((1..100).all(|p| w(Shape::Straggler).cost_of(p) == 1000));
        let random = w(Shape::Random);
        assert!((0..100).all(|p| (250..=1750).contains(&random.cost_of(p))));
        let heavy: Vec<u32> = (0..10_000)
            .map(|p| {
                Workload {
                    items: 10_000,
                    ..w(Shape::Heavy)
                }
                .cost_of(p)
            })
            .collect();
        let mean = heavy.iter().map(|&c| f64::from(c)).sum::<f64>() / 10_000.0;
        let max = *heavy.iter().max().unwrap();
        assert!(
            (700.0..1300.0).contains(&mean),
            "heavy-tailed mean near the cost: {mean}"
        );
        assert!(max >= 10_000, "a few items are very expensive: {max}");
    }

    #[test]
    fn io_tasks_wait_without_computing() {
        let w = Workload {
            kind: WorkloadKind::Io,
            ..Workload::cpu(2000, 1)
        };
        let start = std::time::Instant::now();
        assert_eq!(
            w.run_item(0, None, &|| 0.0, None, &RunControl::default()),
            Ok(1)
        );
        assert!(start.elapsed() >= Duration::from_micros(2000));
    }

    #[test]
    fn a_stop_request_ends_a_long_item_part_way() {
        // Items of about a minute each (cpu: primes below 2^32; io: a 60 s wait).
        for w in [
            Workload::cpu(u32::MAX, 1),
            Workload {
                kind: WorkloadKind::Io,
                ..Workload::cpu(60_000_000, 1)
            },
        ] {
            let control = RunControl::default();
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    std::thread::sleep(Duration::from_millis(30));
                    control.request_stop();
                });
                let _ = w.run_item(0, None, &|| 0.0, None, &control);
            });
            let took = start.elapsed();
            assert!(
                took < Duration::from_millis(200),
                "{:?} item stopped after {took:?}",
                w.kind
            );
        }
    }

    #[test]
    fn fetch_tasks_return_the_bytes_their_request_received_without_holding_the_gil() {
        let w = Workload {
            kind: WorkloadKind::Fetch,
            ..Workload::cpu(20_000, 8)
        };
        let gil = std::sync::Arc::new(Gil::default());
        let in_io = std::sync::Arc::clone(&gil);
        let io = move |position: usize| -> Result<u64, TaskError> {
            // Another thread can take the GIL while this request is in flight.
            let (other, taken) = std::sync::mpsc::channel();
            let shared = std::sync::Arc::clone(&in_io);
            std::thread::spawn(move || {
                drop(shared.acquire(&|| 0.0));
                other.send(())
            });
            taken.recv_timeout(Duration::from_secs(5)).map_err(|_| {
                TaskError::Unavailable("the GIL was held while the request was in flight")
            })?;
            match position {
                3 => Err(TaskError::Unavailable("not found")),
                p => Ok(SHIPPED_FILES[p % 4].bytes),
            }
        };
        let results: Vec<Result<u64, TaskError>> = (0..5)
            .map(|p| w.run_item(p, Some(&gil), &|| 0.0, Some(&io), &RunControl::default()))
            .collect();
        assert_eq!(results[..3], [Ok(1024), Ok(16_384), Ok(65_536)]);
        assert_eq!(results[3], Err(TaskError::Unavailable("not found")));
        assert_eq!(results[4], Ok(1024));
        assert_eq!(
            (0..5).map(|p| w.expected_result(p)).collect::<Vec<_>>(),
            [1024, 16_384, 65_536, 262_144, 1024]
        );
        assert!(w
            .run_item(0, None, &|| 0.0, None, &RunControl::default())
            .unwrap_err()
            .to_string()
            .contains("no blocking request"));
        assert!(w
            .cost_note()
            .starts_with("latency added to each request: 20,000 µs"));
        assert_eq!(w.estimated_total_ms(), 160.0, "8 requests of 20 ms latency");
    }
}
