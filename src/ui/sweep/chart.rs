//! A chart of a sweep's points against one setting (an SVG that scales to its box): wall
//! time, or speed-up with the ideal line, this machine's processors and the Amdahl curve.

use crate::model::field::Field;
use crate::model::sweep::{AmdahlFit, ChartPoint, ChartSeries};
use crate::model::words::{ms, number};
use yew::prelude::*;

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub(super) struct ChartProps {
    /// The chart's caption.
    pub title: String,
    /// The setting along the x axis.
    pub field: Field,
    /// Its lines.
    pub series: Vec<ChartSeries>,
    /// Whether the y axis is the speed-up (else the wall time).
    pub speedup: bool,
    /// The fastest point's index, marked.
    pub best: Option<usize>,
    /// This machine's logical processors, if known.
    pub cores: Option<f64>,
    /// The Amdahl fit, drawn on the speed-up chart.
    pub fit: Option<AmdahlFit>,
    /// Called with a point's index to show its run.
    pub on_show: Callback<usize>,
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
pub(super) fn Chart(props: &ChartProps) -> Html {
    let y_of = |p: &ChartPoint| {
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
