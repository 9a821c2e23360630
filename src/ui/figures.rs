//! The figures of a run, and its downloads: all read from the trace.

use crate::model::app_state::PoolStatus;
use crate::model::strategy::WorkerCount;
use crate::model::trace::Trace;
use crate::model::words::group_digits;
use crate::model::words::{duration, ms};
use crate::ui::downloads::Downloads;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Figures`].
#[derive(Properties)]
pub struct FiguresProps {
    /// The run.
    pub trace: Rc<Trace>,
    /// The pool, for its start-up time.
    pub pool: PoolStatus,
}

/// The same run is the same trace: compared by address (see `TraceProps`).
impl PartialEq for FiguresProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace) && self.pool == other.pool
    }
}

/// Wall time, task time, speed-up, busy time per worker, isolation.
#[function_component]
pub fn Figures(props: &FiguresProps) -> Html {
    let trace = &props.trace;
    let m = trace.metrics();
    let speedup = crate::model::sentences::speedup_summary(trace);
    let per_worker = &trace.task_facts().per_worker;
    // A process pool's own start-up, else the thread pool's.
    let startup = crate::model::sentences::process_startup_summary(trace).unwrap_or_else(|| {
        match props.pool {
            PoolStatus::Ready { startup_ms, .. } => ms(startup_ms, 0),
            PoolStatus::Starting | PoolStatus::Unavailable(_) => "—".to_owned(),
        }
    });
    let processes = trace.processes.is_some();
    let notes = html! {
        if !trace.notes.is_empty() {
            <ul class="notes" id="notes">
                { for trace.notes.iter().map(|note| html! { <li>{ note.clone() }</li> }) }
            </ul>
        }
    };
    let download = html! {
        <Downloads trace={Rc::clone(trace)} />
    };
    if trace.strategy().is_fetch() {
        // The requests view has its own figures; only the notes and the export remain.
        return html! { <section class="figures">{ notes }{ download }</section> };
    }
    html! {
        <section class="figures">
            <h3>{ "Figures" }</h3>
            <dl id="figures">
                <dt>{ "Wall time" }</dt><dd data-figure="wall">{ ms(m.wall_ms, 1) }</dd>
                <dt>{ "Sum of task time" }</dt><dd data-figure="sum">{ ms(m.sum_task_ms, 1) }</dd>
                <dt>{ "Speed-up" }</dt><dd data-figure="speedup">{ speedup }</dd>
                <dt>{ if processes { "Processes that ran chunks" } else { "Threads that ran chunks" } }</dt><dd data-figure="threads">{ format!("{} (most at once: {})", group_digits(m.threads_used as u64), group_digits(m.peak_parallelism as u64)) }</dd>
                <dt>{ "Cross-origin isolated" }</dt><dd data-figure="isolated">{ if trace.isolated { "yes" } else { "no" } }</dd>
                <dt>{ if processes { "Process start-up" } else { "Pool start-up" } }</dt><dd data-figure="startup">{ startup }</dd>
                if m.transfer_ms > 0.0 {
                    <dt>{ if processes { "Pickling and messages, both ways" } else { "Pickling arguments and results" } }</dt><dd data-figure="pickling">{ format!("{} in all ({} per task)", duration(m.transfer_ms), duration(m.transfer_ms / trace.chunks.len().max(1) as f64)) }</dd>
                }
                if trace.strategy().rule().workers == WorkerCount::OnePerItem && !processes {
                    <dt>{ "Thread start (hand-off)" }</dt><dd data-figure="thread-start">{ format!("{} median from start() to running, last at {}", duration(m.median_worker_start_ms), duration(m.last_worker_start_ms)) }</dd>
                }
                if trace.gil() {
                    <dt>{ "GIL" }</dt><dd data-figure="gil">{ "on: one thread computes at a time" }</dd>
                }
            </dl>
            <table class="busy">
                <thead><tr><th>{ "Worker" }</th><th>{ "Chunks" }</th><th>{ "Items" }</th><th>{ "Busy" }</th><th>{ "Busy share of wall time" }</th></tr></thead>
                <tbody>
                    { for m.busy_ms.iter().enumerate().map(|(worker, busy)| {
                        let (chunks, items) = per_worker.get(worker).copied().unwrap_or_default();
                        let share = if m.wall_ms > 0.0 { busy / m.wall_ms * 100.0 } else { 0.0 };
                        html! {
                            <tr>
                                <td>{ worker }</td><td>{ group_digits(chunks as u64) }</td><td>{ group_digits(items as u64) }</td>
                                <td>{ ms(*busy, 1) }</td>
                                <td><span class="bar" style={format!("width:{:.0}%", share.min(100.0))}></span>{ format!("{share:.0}%") }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            { notes }
            { download }
        </section>
    }
}
