//! Pinned runs side by side: Pin keeps a finished run; the pinned runs are drawn on one time
//! scale (their lanes, split, gather and figures, each read from its own trace), each named
//! by the settings that differ from the first pinned run and the change in wall time; one
//! pinned run may be drawn as a ghost (its boxes outlined) behind the current run's lanes.

use crate::model::app_state::Action;
use crate::model::compare::{
    changes_phrase, lane_boxes, lane_count, shared_span_ms, wall_change, wall_ratio,
};
use crate::model::sentences::run_heading;
use crate::model::trace::Trace;
use crate::model::words::{count, ms};
use crate::ui::gather_strip::GatherStrip;
use crate::ui::split_strip::SplitStrip;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`ComparePanel`].
#[derive(Properties)]
pub struct ComparePanelProps {
    /// The run shown, if any.
    pub current: Option<Rc<Trace>>,
    /// The pinned runs.
    pub pinned: Vec<Rc<Trace>>,
    /// The pinned run drawn behind the current lanes.
    pub ghost: Option<usize>,
    /// Called with Pin, Unpin and Ghost.
    pub on_action: Callback<Action>,
    /// The author's recorded run, if the page was opened on one: labelled RECORDED where
    /// it is pinned, and the other runs live.
    #[prop_or_default]
    pub recorded: Option<Rc<Trace>>,
}

/// The same runs are the same traces: compared by address.
impl PartialEq for ComparePanelProps {
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &Rc<Trace>, b: &Rc<Trace>| Rc::ptr_eq(a, b);
        self.current.as_ref().zip(other.current.as_ref()).map_or(
            self.current.is_none() && other.current.is_none(),
            |(a, b)| same(a, b),
        ) && self.pinned.len() == other.pinned.len()
            && self
                .pinned
                .iter()
                .zip(&other.pinned)
                .all(|(a, b)| same(a, b))
            && self.ghost == other.ghost
            && match (&self.recorded, &other.recorded) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                (Some(_), None) | (None, Some(_)) => false,
            }
    }
}

/// The lanes' drawing width and a lane's height, in the SVG's units.
const LANES_WIDTH: f64 = 1000.0;
const LANE: f64 = 18.0;

/// Pin, the ghost of a pinned run behind the current lanes, and the pinned runs compared.
#[function_component]
pub fn ComparePanel(props: &ComparePanelProps) -> Html {
    let pinned_already = props
        .current
        .as_ref()
        .is_some_and(|c| props.pinned.iter().any(|p| Rc::ptr_eq(p, c)));
    let pin = props.current.as_ref().filter(|_| !pinned_already).map(|current| {
        let current = Rc::clone(current);
        let onclick = props.on_action.reform(move |_: MouseEvent| Action::Pin(Rc::clone(&current)));
        html! { <button type="button" id="pin-run" class="pin" {onclick}>{ "Pin this run, to compare" }</button> }
    });
    let ghost = props
        .current
        .as_ref()
        .zip(props.ghost.and_then(|g| props.pinned.get(g).map(|t| (g, t))))
        .map(|(current, (index, ghost))| {
            let span = shared_span_ms([current.as_ref(), ghost.as_ref()]);
            let ratio = wall_change(ghost, current);
            html! {
                <div class="ghost-view" id="ghost-view">
                    <h3>{ format!("This run over pinned run {} (outlined): {}", index + 1, changes_phrase(&ghost.config, &current.config)) }</h3>
                    <p class="compare-ratio">{ ratio }</p>
                    <LaneSvg trace={Rc::clone(current)} {span} ghost={Some(Rc::clone(ghost))} />
                </div>
            }
        });
    if props.pinned.is_empty() {
        return html! { <div class="compare-bar">{ for pin }</div> };
    }
    let span = shared_span_ms(props.pinned.iter().map(|t| t.as_ref()));
    let first = Rc::clone(&props.pinned[0]);
    let runs = props.pinned.iter().enumerate().map(|(index, trace)| {
        let unpin = props.on_action.reform(move |_: MouseEvent| Action::Unpin(index));
        let is_ghost = props.ghost == Some(index);
        let toggle = props.on_action.reform(move |_: MouseEvent| Action::Ghost((!is_ghost).then_some(index)));
        let versus = (index > 0).then(|| html! {
            <p class="compare-diff" data-ratio={wall_ratio(&first, trace).map(|r| r.to_string())}>
                <strong>{ format!("vs run 1: {}", changes_phrase(&first.config, &trace.config)) }</strong>
                { format!("; wall time {}", wall_change(&first, trace)) }
            </p>
        });
        let fetch = trace.strategy().is_fetch();
        let m = trace.metrics();
        let origin = props.recorded.as_ref().map(|recorded| {
            let processors = count(trace.cpu_count, "logical processor");
            if Rc::ptr_eq(recorded, trace) {
                html! { <><span class="recorded-badge" data-cpu-count={trace.cpu_count.to_string()}>{ format!("RECORDED on {processors}") }</span>{ " " }</> }
            } else {
                html! { <><span class="live-badge" data-cpu-count={trace.cpu_count.to_string()}>{ format!("live on this machine, {processors}") }</span>{ " " }</> }
            }
        });
        html! {
            <article class="pinned-run" data-index={index.to_string()} data-wall-ms={trace.wall_ms.to_string()}>
                <h3>
                    { for origin }
                    { format!("Run {}: {}", index + 1, run_heading(trace)) }
                    { " " }<a class="pinned-link" href={format!("?{}", trace.config.to_query())}>{ "link" }</a>
                </h3>
                { for versus }
                if !fetch {
                    <SplitStrip trace={Rc::clone(trace)} />
                }
                <LaneSvg trace={Rc::clone(trace)} {span} ghost={None::<Rc<Trace>>} />
                if !fetch {
                    <GatherStrip trace={Rc::clone(trace)} />
                }
                <p class="pinned-figures">
                    { format!("Wall time {}; {} on {}; sum of task time {}.", ms(trace.wall_ms, 1), count(trace.chunks.len(), "task"), count(trace.lanes(), "worker"), ms(m.sum_task_ms, 1)) }
                </p>
                <p class="pinned-actions">
                    <button type="button" class="link ghost-toggle" onclick={toggle}>
                        { if is_ghost { "hide its ghost" } else { "ghost it behind the current run" } }
                    </button>
                    { " · " }
                    <button type="button" class="link unpin" onclick={unpin}>{ "unpin" }</button>
                </p>
            </article>
        }
    });
    html! {
        <>
            <div class="compare-bar">{ for pin }</div>
            { for ghost }
            <section class="compare" id="compare" data-span-ms={span.to_string()}>
                <h2>{ format!("Pinned runs ({}), on one time scale of {}", props.pinned.len(), ms(span, 1)) }</h2>
                { for runs }
            </section>
        </>
    }
}

/// Props of [`LaneSvg`].
#[derive(Properties)]
pub(crate) struct LaneSvgProps {
    /// The run drawn.
    pub(crate) trace: Rc<Trace>,
    /// The time the width stands for, ms (shared by the runs compared).
    pub(crate) span: f64,
    /// A run drawn outlined behind this one.
    pub(crate) ghost: Option<Rc<Trace>>,
}

impl PartialEq for LaneSvgProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
            && self.span == other.span
            && match (&self.ghost, &other.ghost) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                (Some(_), None) | (None, Some(_)) => false,
            }
    }
}

/// A run's lanes on a given time scale: a box per chunk (merged within a pixel), with a
/// ghost run's boxes outlined behind; the lanes' names and the time axis are text beside it.
#[function_component]
pub(crate) fn LaneSvg(props: &LaneSvgProps) -> Html {
    let lanes = lane_count(&props.trace).max(props.ghost.as_ref().map_or(0, |g| lane_count(g)));
    let height = lanes as f64 * LANE;
    let rects = |trace: &Trace, class: &'static str| {
        lane_boxes(trace, props.span, LANES_WIDTH)
            .into_iter()
            .map(|b| html! {
                <rect {class} x={format!("{:.2}", b.x0)} y={format!("{:.1}", b.lane as f64 * LANE + 2.0)}
                    width={format!("{:.2}", (b.x1 - b.x0).max(0.6))} height={format!("{:.1}", LANE - 4.0)} />
            })
            .collect::<Html>()
    };
    html! {
        <div class="compare-lanes-row">
            <div class="compare-lane-names">
                { for (0..lanes).map(|lane| html! { <span>{ format!("worker {lane}") }</span> }) }
            </div>
            <div>
                <svg class="compare-lanes" viewBox={format!("0 0 {LANES_WIDTH} {height:.1}")} preserveAspectRatio="none"
                    style={format!("height: {}px", lanes * 16)} data-span-ms={props.span.to_string()}
                    role="img" aria-label={format!("lanes of {} on a scale of {}", run_heading(&props.trace), ms(props.span, 1))}>
                    { for (0..lanes).map(|lane| html! {
                        <rect class="lane-bg" x="0" y={format!("{:.1}", lane as f64 * LANE + 2.0)} width={LANES_WIDTH.to_string()} height={format!("{:.1}", LANE - 4.0)} />
                    }) }
                    if let Some(ghost) = &props.ghost {
                        <g class="ghost">{ rects(ghost, "ghost-box") }</g>
                    }
                    <g class="current">{ rects(&props.trace, "lane-box") }</g>
                </svg>
                <div class="compare-axis">
                    <span>{ ms(0.0, 1) }</span><span>{ ms(props.span / 2.0, 1) }</span><span>{ ms(props.span, 1) }</span>
                </div>
            </div>
        </div>
    }
}
