//! The view of a sweep's results: its summary (the warm-up included), charts, table and
//! download, all read from the points' traces.

use super::chart::Chart;
use crate::model::field::Field;
use crate::model::sweep::{Outcome, Sweep};
use crate::model::words::{ms, number};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`SweepView`].
#[derive(Properties)]
pub struct SweepViewProps {
    /// The sweep.
    pub sweep: Rc<Sweep>,
    /// Called to show a point's run.
    pub on_show: Callback<usize>,
}

/// The same sweep is the same value: compared by address.
impl PartialEq for SweepViewProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sweep, &other.sweep)
    }
}

/// The sweep's summary, its charts, its table and its download.
#[function_component]
pub fn SweepView(props: &SweepViewProps) -> Html {
    let sweep = &props.sweep;
    let best = sweep.best();
    // This machine's logical processors, as the page read them at start.
    let cores = Some(crate::model::machine::cpu_count() as f64);
    let fit = sweep.amdahl();
    let on_download = {
        let sweep = Rc::clone(sweep);
        Callback::from(move |_: MouseEvent| {
            if let Ok(json) = serde_json::to_string_pretty(&sweep.export()) {
                // Only fails where the browser has no Blob URLs; the JS API still gives it.
                let _ = crate::ui::downloads::download_json(json, "sweep.json");
            }
        })
    };
    let axes_named = sweep
        .axes
        .iter()
        .map(|a| a.field.key())
        .collect::<Vec<_>>()
        .join(" × ");
    let charts = sweep.axes.iter().map(|axis| {
        let series = sweep.series_against(axis.field);
        html! {
            <>
                if axis.field == Field::Workers {
                    <Chart title="Speed-up against workers" field={axis.field} series={series.clone()}
                        speedup=true {best} {cores} {fit} on_show={props.on_show.clone()} />
                }
                <Chart title={format!("Wall time against {}", axis.field.key())} field={axis.field}
                    {series} speedup=false {best} {cores} {fit} on_show={props.on_show.clone()} />
            </>
        }
    });
    let finished = sweep.is_finished();
    html! {
        <section class="sweep" id="sweep-view" data-finished={finished.to_string()}
            data-stopped={sweep.stopped.to_string()} data-warming-up={sweep.is_warming_up().to_string()}
            data-best={best.map(|b| b.to_string())}>
            <h2>{ format!("Sweep of {} over {axes_named}", sweep.base.strategy.name()) }</h2>
            <p class="sweep-summary" role="status">{ sweep.summary() }</p>
            <div class="sweep-charts">{ for charts }</div>
            <SweepTable sweep={Rc::clone(sweep)} on_show={props.on_show.clone()} />
            <p><button type="button" class="link" id="download-sweep" onclick={on_download}>
                { "Download the sweep (JSON)" }</button></p>
        </section>
    }
}

/// The sweep's points as a table: settings, wall time, speed-up, and the run's link.
#[function_component]
fn SweepTable(props: &SweepViewProps) -> Html {
    let sweep = &props.sweep;
    let best = sweep.best();
    let rows = sweep.points.iter().enumerate().map(|(index, point)| {
        let (status, class) = match &point.outcome {
            Outcome::Pending => ("to run".to_owned(), "pending"),
            Outcome::Refused(why) => (format!("refused: {why}"), "refused"),
            Outcome::Ran(_) if best == Some(index) => ("fastest".to_owned(), "best"),
            Outcome::Ran(_) => ("ran".to_owned(), "ran"),
            Outcome::Stopped(_) => ("stopped".to_owned(), "stopped"),
            Outcome::Failed(why) => (format!("failed: {why}"), "failed"),
        };
        let show = props.on_show.reform(move |_: MouseEvent| index);
        html! {
            <tr class={classes!("sweep-row", class)} data-index={index.to_string()}>
                { for point.values.iter().map(|(_, v)| html! { <td class="num">{ v }</td> }) }
                <td class="num wall">{ point.wall_ms().map(|w| ms(w, 1)).unwrap_or_default() }</td>
                <td class="num">{ sweep.speedup(index).map(|s| format!("{}×", number(s, 2))).unwrap_or_default() }</td>
                <td class="status">{ status }</td>
                <td>
                    if matches!(point.outcome, Outcome::Ran(_) | Outcome::Stopped(_)) {
                        <button type="button" class="link show-point" onclick={show}>{ "show" }</button>
                        { " " }
                    }
                    if let Some(link) = point.link() {
                        <a class="point-link" href={link}>{ "link" }</a>
                    }
                </td>
            </tr>
        }
    });
    html! {
        <div class="sweep-table-wrap">
            <table class="sweep-table">
                <thead><tr>
                    { for sweep.axes.iter().map(|a| html! { <th scope="col">{ a.field.key() }</th> }) }
                    <th scope="col">{ "wall time" }</th>
                    <th scope="col">{ "speed-up vs 1 worker" }</th>
                    <th scope="col">{ "" }</th>
                    <th scope="col">{ "run" }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
