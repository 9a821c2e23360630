//! The page's state and the actions that change it: a plain struct and an enum, with no DOM
//! in sight (the Yew reducer only delegates to [`AppState::apply`]).

use crate::model::config::{Inputs, Invalid, RunConfig};
use crate::model::field::Field;
use crate::model::prediction::Guess;
use crate::model::race::Race;
use crate::model::strategy::{Runner, Strategy};
use crate::model::sweep::Sweep;
use crate::model::trace::Trace;
use crate::model::words::group_digits;
use std::rc::Rc;

/// What a run in progress is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunPhase {
    /// Waiting for the worker pool to start, or for an earlier run to finish.
    Waiting,
    /// The run itself, on the workers.
    Running,
    /// A fetch strategy's requests, on the page's event loop.
    Fetching,
    /// The 1-worker run of the same workload, for the speed-up.
    MeasuringBaseline,
}

impl RunPhase {
    /// The status line shown while the run is in progress, with its progress when known.
    pub fn status(self, items_done: Option<usize>, items: usize) -> String {
        let label = self.label();
        match (self, items_done) {
            (RunPhase::Running | RunPhase::MeasuringBaseline, Some(done)) => format!(
                "{label} {} of {} items done",
                group_digits(done.min(items) as u64),
                group_digits(items as u64)
            ),
            _ => label.to_owned(),
        }
    }

    /// What the phase is doing.
    pub fn label(self) -> &'static str {
        match self {
            RunPhase::Waiting => "Waiting for the workers…",
            RunPhase::Running => "Running on the workers…",
            RunPhase::Fetching => "Fetching on the page's event loop…",
            RunPhase::MeasuringBaseline => {
                "Measuring the same workload on 1 worker, for the speed-up…"
            }
        }
    }
}

/// The worker pool as the page knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum PoolStatus {
    /// Being started.
    Starting,
    /// Started: how many threads, and how long the start took.
    Ready {
        /// Threads (Web Workers) in the pool.
        threads: usize,
        /// Start-up time, ms.
        startup_ms: f64,
    },
    /// Cannot run here, and why.
    Unavailable(String),
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    /// The controls' text.
    pub inputs: Inputs,
    /// The run in progress, if any.
    pub running: Option<RunPhase>,
    /// How many items the run in progress has.
    pub running_items: usize,
    /// Whether the run in progress counts its progress by rayon thread (else by worker).
    pub running_by_thread: bool,
    /// How many lanes (workers, threads or processes) the run in progress may use.
    pub running_lanes: usize,
    /// Whether a run also measures the same workload on 1 worker (for the speed-up) when no
    /// measurement of it is stored yet.
    pub measure_baseline: bool,
    /// Why the last run failed, if it did.
    pub error: Option<String>,
    /// The last finished run.
    pub trace: Option<Rc<Trace>>,
    /// The worker pool.
    pub pool: PoolStatus,
    /// The last sweep, in progress or done.
    pub sweep: Option<Rc<Sweep>>,
    /// Finished runs kept to compare, in the order pinned.
    pub pinned: Vec<Rc<Trace>>,
    /// The pinned run drawn as a ghost behind the current run's lanes, if any.
    pub ghost: Option<usize>,
    /// The last race of approaches, in progress or done.
    pub race: Option<Rc<Race>>,
    /// The guess boxes' text: the wall time, and the order of the results.
    pub guess_text: (String, String),
    /// The guess made before a run of the Run button, with that run.
    pub prediction: Option<(Rc<Trace>, Guess)>,
}

/// A change to the page's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A numeric control was edited.
    Edit(Field, String),
    /// Another strategy was picked.
    PickStrategy(String),
    /// A setting the strategy does not read was dropped (back to its default, not given).
    DropSetting(Field),
    /// All controls replaced at once (a run asked for through the JS API).
    Load(Inputs),
    /// A run of this many items was asked for; it waits for its turn.
    Started {
        /// Items of the run.
        items: usize,
        /// Whether its progress is counted by rayon thread (else by worker).
        by_thread: bool,
        /// How many lanes it may use.
        lanes: usize,
    },
    /// The "measure on 1 worker" box was ticked or cleared.
    MeasureBaseline(bool),
    /// A run entered a phase.
    Progress(RunPhase),
    /// A run finished.
    Finished(Rc<Trace>),
    /// A run failed.
    Failed(String),
    /// A sweep's untimed warm-up run ended: its status goes, and the run shown stays (the
    /// warm-up is a measurement of no point; the sweep says what became of it).
    WarmUpEnded,
    /// The pool is ready.
    PoolReady {
        /// Threads in the pool.
        threads: usize,
        /// Start-up time, ms.
        startup_ms: f64,
    },
    /// The pool cannot run here.
    PoolUnavailable(String),
    /// A sweep was started, or a point of it settled, or it was stopped.
    SweepChanged(Rc<Sweep>),
    /// A finished run was picked to be shown (a sweep's point).
    ShowTrace(Rc<Trace>),
    /// A finished run is kept to compare (once: pinning it again does nothing).
    Pin(Rc<Trace>),
    /// The pinned run at this index is let go.
    Unpin(usize),
    /// The pinned run at this index is drawn behind the current lanes (or none).
    Ghost(Option<usize>),
    /// A race of approaches was started, or an entry of it settled, or it was stopped.
    RaceChanged(Rc<Race>),
    /// The guess boxes were edited: the wall time's text, the order's text.
    GuessText(String, String),
    /// A run of the Run button finished, with the guess made before it.
    Predicted(Rc<Trace>, Guess),
}

impl Action {
    /// A run of `config` was asked for: its items, how its progress is counted, and its lanes.
    pub fn started(config: &RunConfig) -> Self {
        Action::Started {
            items: config.items,
            by_thread: config.strategy.rule().runner == Runner::Rayon,
            lanes: config.workers,
        }
    }
}

impl AppState {
    /// A fresh page with the controls set from `inputs` (the URL's, or the defaults).
    pub fn new(inputs: Inputs) -> Self {
        Self {
            inputs,
            running: None,
            running_items: 0,
            running_by_thread: false,
            running_lanes: 0,
            measure_baseline: true,
            error: None,
            trace: None,
            pool: PoolStatus::Starting,
            sweep: None,
            pinned: Vec::new(),
            ghost: None,
            race: None,
            guess_text: (String::new(), String::new()),
            prediction: None,
        }
    }

    /// The controls checked: the run they describe, or a message per control.
    pub fn validation(&self) -> Result<RunConfig, Invalid> {
        self.inputs.validate()
    }

    /// Whether the Run button may start a run now. Without the thread pool (a page that is
    /// not cross-origin isolated) the fetch strategies still run (they need no worker), and so
    /// do the process strategies (each process has a memory of its own).
    pub fn can_run(&self) -> bool {
        let Ok(config) = self.validation() else {
            return false;
        };
        self.running.is_none()
            && !self.sweeping()
            && !self.racing()
            && (config.strategy.is_fetch()
                || config.strategy.rule().runner == Runner::Processes
                || !matches!(self.pool, PoolStatus::Unavailable(_)))
    }

    /// The chosen strategy when it needs the shared-memory thread pool (threads, executors,
    /// queues, rayon) and this page has none (it is not cross-origin isolated): the page then
    /// offers to open the same setup where it can run. `None` when it can run here.
    pub fn threads_refused(&self) -> Option<Strategy> {
        let strategy = Strategy::from_name(&self.inputs.strategy)?;
        let needs_threads = crate::model::embed::needs_isolation(strategy);
        (needs_threads && matches!(self.pool, PoolStatus::Unavailable(_))).then_some(strategy)
    }

    /// Whether a sweep is in progress (it runs its points one after another).
    pub fn sweeping(&self) -> bool {
        self.sweep.as_ref().is_some_and(|s| !s.is_finished())
    }

    /// Whether a race of approaches is in progress (it runs its entries one after another).
    pub fn racing(&self) -> bool {
        self.race.as_ref().is_some_and(|r| !r.is_finished())
    }

    /// The guess made before the run shown, if any, with what came of it.
    pub fn prediction_outcome(&self) -> Option<Vec<String>> {
        let (trace, guess) = self.prediction.as_ref()?;
        let shown = self.trace.as_ref()?;
        (Rc::ptr_eq(trace, shown) && !guess.is_empty()).then(|| guess.outcome(trace))
    }

    /// The state after `action`.
    pub fn apply(mut self, action: Action) -> Self {
        match action {
            Action::Edit(field, text) => self.inputs = self.inputs.with(field, text),
            Action::PickStrategy(name) => self.inputs = self.inputs.with_strategy(name),
            Action::DropSetting(field) => self.inputs = self.inputs.without(field),
            Action::Load(inputs) => self.inputs = inputs,
            Action::Started {
                items,
                by_thread,
                lanes,
            } => {
                self.running = Some(RunPhase::Waiting);
                self.running_items = items;
                self.running_by_thread = by_thread;
                self.running_lanes = lanes;
                self.error = None;
            }
            Action::MeasureBaseline(measure) => self.measure_baseline = measure,
            Action::Progress(phase) => {
                self.running = Some(phase);
                self.error = None;
            }
            Action::Finished(trace) => {
                self.running = None;
                self.trace = Some(trace);
            }
            Action::Failed(message) => {
                self.running = None;
                self.error = Some(message);
            }
            Action::WarmUpEnded => self.running = None,
            Action::PoolReady {
                threads,
                startup_ms,
            } => {
                self.pool = PoolStatus::Ready {
                    threads,
                    startup_ms,
                }
            }
            Action::PoolUnavailable(why) => self.pool = PoolStatus::Unavailable(why),
            Action::SweepChanged(sweep) => self.sweep = Some(sweep),
            Action::ShowTrace(trace) => self.trace = Some(trace),
            Action::Pin(trace) => {
                if !self.pinned.iter().any(|p| Rc::ptr_eq(p, &trace)) {
                    self.pinned.push(trace);
                }
            }
            Action::Unpin(index) if index < self.pinned.len() => {
                self.pinned.remove(index);
                self.ghost = match self.ghost {
                    Some(g) if g == index => None,
                    Some(g) if g > index => Some(g - 1),
                    other => other,
                };
            }
            Action::Unpin(_) => {}
            Action::Ghost(index) => {
                self.ghost = index.filter(|&i| i < self.pinned.len());
            }
            Action::RaceChanged(race) => self.race = Some(race),
            Action::GuessText(wall, order) => self.guess_text = (wall, order),
            Action::Predicted(trace, guess) => self.prediction = Some((trace, guess)),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_edit_blocks_the_run_button_until_fixed() {
        let state = AppState::new(Inputs::default()).apply(Action::PoolReady {
            threads: 16,
            startup_ms: 40.0,
        });
        assert!(state.can_run());
        let state = state.apply(Action::Edit(Field::Workers, "99".into()));
        assert!(!state.can_run());
        assert!(state.validation().unwrap_err().for_key("workers").is_some());
        assert!(state
            .apply(Action::Edit(Field::Workers, "2".into()))
            .can_run());
    }

    #[test]
    fn a_run_in_progress_blocks_another_and_its_failure_is_kept() {
        let state = AppState::new(Inputs::default()).apply(Action::Progress(RunPhase::Running));
        assert!(!state.can_run());
        let state = state.apply(Action::Failed("boom".into()));
        assert_eq!(
            (state.running, state.error.as_deref()),
            (None, Some("boom"))
        );
    }

    #[test]
    fn the_status_line_counts_the_items_done() {
        let config = Inputs::default()
            .with(Field::Items, "12000")
            .with(Field::Workers, "3")
            .validate()
            .unwrap();
        let state = AppState::new(Inputs::default()).apply(Action::started(&config));
        assert_eq!(state.running, Some(RunPhase::Waiting));
        assert_eq!((state.running_items, state.running_lanes), (12_000, 3));
        let phase = state
            .apply(Action::Progress(RunPhase::Running))
            .running
            .unwrap();
        assert_eq!(
            phase.status(Some(1_234), 12_000),
            "Running on the workers… 1,234 of 12,000 items done"
        );
        assert_eq!(phase.status(None, 12_000), "Running on the workers…");
        assert_eq!(
            RunPhase::Fetching.status(Some(3), 5),
            "Fetching on the page's event loop…"
        );
    }

    #[test]
    fn without_the_thread_pool_only_the_fetch_and_process_strategies_run() {
        let state = AppState::new(Inputs::default()).apply(Action::PoolUnavailable("no".into()));
        let threads = state
            .clone()
            .apply(Action::PickStrategy("ThreadPoolExecutor.map".into()));
        assert!(!threads.can_run(), "threads need the shared-memory pool");
        let pool = state.clone().apply(Action::PickStrategy("Pool.map".into()));
        assert!(pool.can_run(), "each process has a memory of its own");
        let gather = state.apply(Action::PickStrategy("asyncio.gather".into()));
        assert!(
            gather.can_run(),
            "asyncio.gather runs on the page's own event loop"
        );
    }
    #[test]
    fn without_the_thread_pool_the_thread_strategies_are_refused_and_named() {
        let unavailable =
            AppState::new(Inputs::default()).apply(Action::PoolUnavailable("no".into()));
        for name in [
            "queue.Queue",
            "threading.Thread",
            "ThreadPoolExecutor.map",
            "rayon.par_iter",
            "static",
        ] {
            let state = unavailable.clone().apply(Action::PickStrategy(name.into()));
            assert_eq!(
                state.threads_refused().map(Strategy::name),
                Some(name),
                "{name}"
            );
        }
        for name in [
            "Pool.map",
            "multiprocessing.Process",
            "asyncio.gather",
            "sequential",
        ] {
            let state = unavailable.clone().apply(Action::PickStrategy(name.into()));
            assert_eq!(state.threads_refused(), None, "{name} runs without threads");
        }
        let ready = AppState::new(Inputs::default())
            .apply(Action::PoolReady {
                threads: 16,
                startup_ms: 40.0,
            })
            .apply(Action::PickStrategy("queue.Queue".into()));
        assert_eq!(
            ready.threads_refused(),
            None,
            "an isolated page runs threads"
        );
    }

    #[test]
    fn a_sweep_in_progress_blocks_the_run_button_until_it_ends() {
        use crate::model::sweep::{Axis, Sweep};
        let state = AppState::new(Inputs::default()).apply(Action::PoolReady {
            threads: 16,
            startup_ms: 40.0,
        });
        let axis = Axis::from_text("workers", "1 2").unwrap();
        let mut sweep = Sweep::plan(&state.validation().unwrap(), vec![axis]).unwrap();
        let state = state.apply(Action::SweepChanged(Rc::new(sweep.clone())));
        assert!(state.sweeping() && !state.can_run());
        sweep.stop();
        let state = state.apply(Action::SweepChanged(Rc::new(sweep)));
        assert!(!state.sweeping() && state.can_run());
    }

    #[test]
    fn the_end_of_a_sweeps_warm_up_clears_its_status_and_keeps_the_run_shown() {
        let state = AppState::new(Inputs::default()).apply(Action::Progress(RunPhase::Running));
        let state = state.apply(Action::WarmUpEnded);
        assert_eq!((state.running, state.trace.is_none()), (None, true));
    }

    #[test]
    fn a_race_blocks_the_run_button_and_a_guess_belongs_to_its_run() {
        use crate::model::race::Race;
        let state = AppState::new(Inputs::from_query("strategy=Pool.map&workers=2&items=8")).apply(
            Action::PoolReady {
                threads: 16,
                startup_ms: 40.0,
            },
        );
        let mut race = Race::plan(&state.validation().unwrap(), true, 1);
        let state = state.apply(Action::RaceChanged(Rc::new(race.clone())));
        assert!(state.racing() && !state.can_run());
        race.stop();
        let state = state.apply(Action::RaceChanged(Rc::new(race)));
        assert!(!state.racing() && state.can_run());
        let config = state.validation().unwrap();
        let guessed = Rc::new(crate::model::trace::tests::trace_for(&config, 800.0));
        let state = state
            .apply(Action::GuessText("400".into(), String::new()))
            .apply(Action::Finished(Rc::clone(&guessed)))
            .apply(Action::Predicted(
                Rc::clone(&guessed),
                Guess::read("400", "").unwrap(),
            ));
        assert_eq!(state.guess_text.0, "400");
        assert_eq!(
            state.prediction_outcome(),
            Some(vec![
                "You guessed 400 ms; it took 800 ms, 2.0× longer.".to_owned()
            ])
        );
        let other = Rc::new(crate::model::trace::tests::trace_for(&config, 100.0));
        assert_eq!(
            state.apply(Action::Finished(other)).prediction_outcome(),
            None,
            "a later run is not the one guessed"
        );
    }

    #[test]
    fn runs_are_pinned_once_and_the_ghost_follows_its_run_when_one_is_unpinned() {
        let config = Inputs::default().validate().unwrap();
        let trace = |wall_ms| Rc::new(crate::model::trace::tests::trace_for(&config, wall_ms));
        let (a, b, c) = (trace(1.0), trace(2.0), trace(3.0));
        let state = AppState::new(Inputs::default())
            .apply(Action::Pin(Rc::clone(&a)))
            .apply(Action::Pin(Rc::clone(&a)))
            .apply(Action::Pin(Rc::clone(&b)))
            .apply(Action::Pin(Rc::clone(&c)))
            .apply(Action::Ghost(Some(2)));
        assert_eq!(state.pinned.len(), 3, "a run is pinned once");
        let state = state.apply(Action::Unpin(0));
        assert_eq!(state.ghost, Some(1));
        assert!(Rc::ptr_eq(&state.pinned[1], &c));
        let state = state.apply(Action::Unpin(1)).apply(Action::Unpin(9));
        assert_eq!((state.ghost, state.pinned.len()), (None, 1));
        assert_eq!(state.apply(Action::Ghost(Some(5))).ghost, None);
    }

    #[test]
    fn dropping_a_refused_setting_lets_the_run_start() {
        let state = AppState::new(Inputs::from_query("?strategy=Pool.apply&chunksize=3")).apply(
            Action::PoolReady {
                threads: 16,
                startup_ms: 40.0,
            },
        );
        assert!(!state.can_run());
        assert_eq!(state.inputs.refused().len(), 1);
        let state = state.apply(Action::DropSetting(Field::Chunksize));
        assert!(state.inputs.refused().is_empty());
        assert!(state.can_run());
        assert!(!state.validation().unwrap().to_query().contains("chunksize"));
    }
}
