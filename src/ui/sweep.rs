//! Sweeps on the page: the form that sets the axes and starts one, the loop that runs its
//! points one after another through the page's session (each shown as it finishes), and the
//! view of its results: the charts, the table and the download, all read from the points'
//! traces ([`crate::model::sweep`]).

use crate::model::app_state::Action;
use crate::model::config::RunConfig;
use crate::model::field::{Field, FieldKind};
use crate::model::strategy::Strategy;
use crate::model::sweep::{AmdahlFit, Axis, ChartSeries, Outcome, Sweep};
use crate::model::words::{ms, number};
use crate::runtime::session::{self, RunOptions};
use crate::ui::app::{run_and_show, Dispatcher};
use std::cell::Cell;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

thread_local! {
    /// Whether a sweep is running its points (only one runs at a time).
    static SWEEPING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a sweep is running its points.
pub fn is_sweeping() -> bool {
    SWEEPING.with(Cell::get)
}

/// Clears [`SWEEPING`] when the sweep ends, however it ends.
struct SweepTurn;

impl Drop for SweepTurn {
    fn drop(&mut self) {
        SWEEPING.with(|s| s.set(false));
    }
}

/// Runs the sweep's points one after another on the page's session, without their
/// baselines (the 1-worker point is the baseline), showing each run as it finishes and the
/// sweep after each point. Stop (the button, Escape or `playground.cancel()`) ends it: the
/// point in progress keeps the trace of what ran, and no further point starts.
pub async fn run_sweep(dispatch: Dispatcher, mut sweep: Sweep) -> Sweep {
    SWEEPING.with(|s| s.set(true));
    let _turn = SweepTurn;
    let stops = session::stop_count();
    dispatch.dispatch(Action::SweepChanged(Rc::new(sweep.clone())));
    while let Some(index) = sweep.next_pending() {
        let Some(config) = sweep.points[index].config.clone() else {
            break;
        };
        let options = RunOptions {
            measure_baseline: false,
        };
        let result = run_and_show(dispatch.clone(), config, options).await;
        sweep.record(index, result);
        if session::stop_count() != stops {
            sweep.stop();
        }
        dispatch.dispatch(Action::SweepChanged(Rc::new(sweep.clone())));
    }
    sweep
}

/// The numeric settings `strategy` reads: what a sweep can vary.
fn sweepable(strategy: Option<Strategy>) -> Vec<Field> {
    strategy
        .map(Strategy::fields)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|f| matches!(f.kind(), FieldKind::Number { .. }))
        .collect()
}

/// Props of [`SweepForm`].
#[derive(Properties, PartialEq)]
pub struct SweepFormProps {
    /// The strategy picked in the controls.
    pub strategy: Option<Strategy>,
    /// The controls' run, every point's base (none while the controls are invalid).
    pub base: Option<RunConfig>,
    /// Whether a sweep may start now.
    pub can_run: bool,
    /// Called with the planned sweep.
    pub on_sweep: Callback<Sweep>,
}

/// The sweep's axes: a setting and its values, twice (the second may be left out), and the
/// Sweep button.
#[function_component]
pub fn SweepForm(props: &SweepFormProps) -> Html {
    let fields = sweepable(props.strategy);
    let first = use_state(|| (Field::Workers, "1 2 4".to_owned()));
    let second = use_state(|| (Some(Field::Chunksize), "1 4 16".to_owned()));
    let error = use_state(|| None::<String>);
    // A choice the strategy does not read falls back to what it does.
    let first_field = Some(first.0)
        .filter(|f| fields.contains(f))
        .or_else(|| fields.first().copied());
    let second_field = second
        .0
        .filter(|f| fields.contains(f) && Some(*f) != first_field);
    let onsubmit = {
        let (first, second, error) = (first.clone(), second.clone(), error.clone());
        let (base, on_sweep, can_run) = (props.base.clone(), props.on_sweep.clone(), props.can_run);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if !can_run {
                return;
            }
            let Some(base) = base.clone() else {
                error.set(Some("fix the settings above first".to_owned()));
                return;
            };
            let mut axes = Vec::new();
            for (field, text) in [(first_field, &first.1), (second_field, &second.1)] {
                if let Some(field) = field {
                    match Axis::from_text(field.key(), text) {
                        Ok(axis) => axes.push(axis),
                        Err(why) => return error.set(Some(why)),
                    }
                }
            }
            match Sweep::plan(&base, axes) {
                Ok(sweep) => {
                    error.set(None);
                    on_sweep.emit(sweep);
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let options = |chosen: Option<Field>| {
        fields
            .iter()
            .map(|f| html! { <option value={f.key()} selected={chosen == Some(*f)}>{ f.key() }</option> })
            .collect::<Html>()
    };
    let pick = |field: &str| Field::ALL.into_iter().find(|f| f.key() == field);
    let on_first_field = {
        let first = first.clone();
        Callback::from(move |event: Event| {
            let key = event.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(field) = pick(&key) {
                first.set((field, first.1.clone()));
            }
        })
    };
    let on_first_text = {
        let first = first.clone();
        Callback::from(move |event: InputEvent| {
            first.set((
                first.0,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            ));
        })
    };
    let on_second_field = {
        let second = second.clone();
        Callback::from(move |event: Event| {
            let key = event.target_unchecked_into::<HtmlSelectElement>().value();
            second.set((pick(&key), second.1.clone()));
        })
    };
    let on_second_text = {
        let second = second.clone();
        Callback::from(move |event: InputEvent| {
            second.set((
                second.0,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            ));
        })
    };
    html! {
        <form class="sweep-form" id="sweep-form" {onsubmit} novalidate=true>
            <p class="sweep-intro">
                <strong>{ "Sweep" }</strong>
                { ": run this workload at every point of a grid, one point after another (values separated by spaces; a..b for a range)." }
            </p>
            <div class="sweep-axis">
                <select id="sweep-field-1" aria-label="first setting to sweep" onchange={on_first_field}>
                    { options(first_field) }
                </select>
                <input id="sweep-values-1" type="text" value={first.1.clone()}
                    aria-label="its values" oninput={on_first_text} />
            </div>
            <div class="sweep-axis">
                <select id="sweep-field-2" aria-label="second setting to sweep" onchange={on_second_field}>
                    <option value="" selected={second_field.is_none()}>{ "(none)" }</option>
                    { options(second_field) }
                </select>
                <input id="sweep-values-2" type="text" value={second.1.clone()}
                    aria-label="its values" disabled={second_field.is_none()} oninput={on_second_text} />
            </div>
            <button type="submit" id="sweep" aria-disabled={(!props.can_run).to_string()}
                disabled={props.base.is_none()}>{ "Sweep" }</button>
            if let Some(why) = &*error {
                <p class="field-error" role="alert" data-key="sweep">{ why.clone() }</p>
            }
        </form>
    }
}

/// `navigator.hardwareConcurrency`: the logical processors of this machine, if known.
fn hardware_concurrency() -> Option<f64> {
    let window = web_sys::window()?;
    let navigator = js_sys::Reflect::get(&window, &"navigator".into()).ok()?;
    js_sys::Reflect::get(&navigator, &"hardwareConcurrency".into())
        .ok()?
        .as_f64()
        .filter(|n| *n >= 1.0)
}

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
    let cores = hardware_concurrency();
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
            data-stopped={sweep.stopped.to_string()} data-best={best.map(|b| b.to_string())}>
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

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
struct ChartProps {
    title: String,
    /// The setting along the x axis.
    field: Field,
    series: Vec<ChartSeries>,
    /// Whether the y axis is the speed-up (else the wall time).
    speedup: bool,
    best: Option<usize>,
    cores: Option<f64>,
    fit: Option<AmdahlFit>,
    on_show: Callback<usize>,
}

/// The lines' colours, one per series.
const PALETTE: [&str; 6] = [
    "#2857d6", "#d97706", "#1b7a3a", "#b3261e", "#7c3aed", "#0891b2",
];

/// The chart's size in its own units (it scales to its box).
const WIDTH: f64 = 460.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

/// A linear or logarithmic map from values to the chart's units.
struct Scale {
    low: f64,
    high: f64,
    from: f64,
    to: f64,
    log: bool,
}

impl Scale {
    fn at(&self, value: f64) -> f64 {
        let f = |v: f64| if self.log { v.max(1e-9).ln() } else { v };
        let span = f(self.high) - f(self.low);
        let t = if span > 0.0 {
            (f(value) - f(self.low)) / span
        } else {
            0.5
        };
        self.from + t * (self.to - self.from)
    }
}

/// A chart of the sweep's points against one setting: wall time, or speed-up with the ideal
/// line, this machine's processors and the Amdahl curve.
#[function_component]
fn Chart(props: &ChartProps) -> Html {
    let y_of = |p: &crate::model::sweep::ChartPoint| {
        if props.speedup {
            p.speedup
        } else {
            Some(p.wall_ms)
        }
    };
    let points: Vec<(f64, f64)> = props
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| Some((p.x, y_of(p)?))))
        .collect();
    let x_max_data = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let x_min_data = points.iter().map(|p| p.0).fold(x_max_data, f64::min);
    let y_max_data = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let log =
        props.field == Field::Chunksize || (x_min_data > 0.0 && x_max_data / x_min_data >= 16.0);
    let (x_low, x_high) = if props.speedup {
        (1.0, x_max_data.max(props.cores.unwrap_or(1.0)).max(2.0))
    } else {
        (x_min_data, x_max_data.max(x_min_data))
    };
    let y_high = if props.speedup {
        (y_max_data * 1.15).max(x_max_data.min(x_high)).max(1.2)
    } else {
        (y_max_data * 1.15).max(1.0)
    };
    let x = Scale {
        low: x_low,
        high: x_high,
        from: LEFT,
        to: WIDTH - RIGHT,
        log,
    };
    let y = Scale {
        low: 0.0,
        high: y_high,
        from: HEIGHT - BOTTOM,
        to: TOP,
        log: false,
    };
    let path = |pts: &[(f64, f64)]| {
        pts.iter()
            .enumerate()
            .map(|(i, (a, b))| {
                format!(
                    "{}{:.1},{:.1}",
                    if i == 0 { "M" } else { " L" },
                    x.at(*a),
                    y.at(*b)
                )
            })
            .collect::<String>()
    };
    let mut guides = Vec::new();
    if props.speedup {
        let top = x_high.min(y_high);
        guides.push(html! {
            <g class="ideal">
                <path d={path(&[(1.0, 1.0), (top, top)])} />
                <text x={format!("{:.1}", x.at(top) - 4.0)} y={format!("{:.1}", y.at(top) + 12.0)} text-anchor="end">{ "ideal" }</text>
            </g>
        });
        if let Some(cores) = props.cores {
            guides.push(html! {
                <g class="cores">
                    <path d={path(&[(cores, 0.0), (cores, y_high)])} />
                    <text x={format!("{:.1}", x.at(cores) + 4.0)} y={format!("{:.1}", TOP + 10.0)}
                        text-anchor={if x.at(cores) < (LEFT + WIDTH - RIGHT) / 2.0 { "start" } else { "end" }}
                        dx={if x.at(cores) < (LEFT + WIDTH - RIGHT) / 2.0 { "0" } else { "-8" }}>
                        { format!("this machine: {cores} logical processors") }
                    </text>
                </g>
            });
        }
        if let Some(fit) = props.fit {
            let steps = 48;
            let curve: Vec<(f64, f64)> = (0..=steps)
                .map(|i| {
                    let n = 1.0 + (x_high - 1.0) * f64::from(i) / f64::from(steps);
                    (n, fit.speedup(n).min(y_high))
                })
                .collect();
            guides.push(html! {
                <g class="amdahl">
                    <path d={path(&curve)} />
                    <text x={format!("{:.1}", WIDTH - RIGHT)} y={format!("{:.1}", y.at(curve[steps as usize].1) - 5.0)} text-anchor="end">
                        { format!("Amdahl, serial {}%", number(fit.serial_fraction * 100.0, 1)) }
                    </text>
                </g>
            });
        }
    }
    let ticks_x: Vec<f64> = {
        let mut values: Vec<f64> = props
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.x))
            .collect();
        if props.speedup {
            values.push(1.0);
        }
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    };
    let lines = props.series.iter().enumerate().map(|(i, line)| {
        let colour = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64, usize)> = line.points.iter().filter_map(|p| Some((p.x, y_of(p)?, p.index))).collect();
        let xy: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        html! {
            <g class="series" data-label={line.label.clone()}>
                <path d={path(&xy)} stroke={colour} fill="none" stroke-width="2" />
                { for pts.iter().map(|&(px, py, index)| {
                    let is_best = props.best == Some(index);
                    let onclick = props.on_show.reform(move |_: MouseEvent| index);
                    let tip = format!("{}{}{}: {}, click to show its run",
                        line.label, if line.label.is_empty() { "" } else { ", " },
                        format_args!("{} {px}", props.field.key()),
                        if props.speedup { format!("{}×", number(py, 2)) } else { ms(py, 1) });
                    html! {
                        <g class={classes!("sweep-point", is_best.then_some("best"))} data-index={index.to_string()} {onclick}>
                            <circle cx={format!("{:.1}", x.at(px))} cy={format!("{:.1}", y.at(py))} r="5" fill={colour} />
                            if is_best {
                                <circle class="best-ring" cx={format!("{:.1}", x.at(px))} cy={format!("{:.1}", y.at(py))} r="9" fill="none" />
                            }
                            <title>{ tip }</title>
                        </g>
                    }
                }) }
            </g>
        }
    });
    let best_label = props.series.iter().flat_map(|s| s.points.iter()).find(|p| Some(p.index) == props.best)
        .and_then(|p| Some((p.x, y_of(p)?)))
        .map(|(px, py)| html! {
            <text class="best-label" x={format!("{:.1}", x.at(px).clamp(LEFT + 24.0, WIDTH - RIGHT - 24.0))} y={format!("{:.1}", y.at(py) - 13.0)} text-anchor="middle">{ "fastest" }</text>
        });
    let y_ticks = [0.0, 0.5, 1.0].map(|t| t * y_high);
    html! {
        <figure class="sweep-chart" data-y={if props.speedup { "speedup" } else { "wall_ms" }} data-x={props.field.key()}>
            <figcaption>{ props.title.clone() }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={props.title.clone()}>
                <g class="axes">
                    <path d={format!("M{LEFT},{TOP} L{LEFT},{} L{},{}", HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM)} />
                    { for ticks_x.iter().map(|&t| html! {
                        <text x={format!("{:.1}", x.at(t))} y={format!("{:.1}", HEIGHT - BOTTOM + 14.0)} text-anchor="middle">{ t }</text>
                    }) }
                    { for y_ticks.iter().map(|&t| html! {
                        <text x={format!("{:.1}", LEFT - 5.0)} y={format!("{:.1}", y.at(t) + 4.0)} text-anchor="end">
                            { if props.speedup { format!("{}×", number(t, 1)) } else { ms(t, 0) } }
                        </text>
                    }) }
                    <text x={format!("{:.1}", (LEFT + WIDTH - RIGHT) / 2.0)} y={format!("{:.1}", HEIGHT - 6.0)} text-anchor="middle">
                        { if log { format!("{} (log scale)", props.field.key()) } else { props.field.key().to_owned() } }
                    </text>
                </g>
                { for guides }
                { for lines }
                { for best_label }
            </svg>
            if props.series.len() > 1 || !props.series.iter().all(|s| s.label.is_empty()) {
                <ul class="legend">
                    { for props.series.iter().enumerate().map(|(i, s)| html! {
                        <li><span class="swatch" style={format!("background:{}", PALETTE[i % PALETTE.len()])}></span>{ s.label.clone() }</li>
                    }) }
                </ul>
            }
        </figure>
    }
}
