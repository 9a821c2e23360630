//! The lanes: one lane per worker over time, each chunk a box in its colour from the moment
//! the worker took it to the moment it handed its results back. Drawn on a canvas from
//! a [`LaneGrid`], which bounds what is drawn by the pixels, so huge runs draw as fast as
//! small. With the GIL on, a lane is solid only where its thread held the GIL.

use crate::model::lane_drawing::{GilSpan, GilState};
use crate::model::lane_grid::LaneGrid;
use crate::model::layout::{chunk_hue, describe_chunk, tick_step};
use crate::model::trace::Trace;
use crate::model::words::{count, ms};
use crate::ui::canvas::{draw_next_frame, sized_context, use_resizes, Reduced};
use crate::ui::split_strip::TraceProps;
use std::rc::Rc;
use std::sync::Arc;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

const GUTTER: f64 = 118.0;
const LANE: f64 = 24.0;
const GAP: f64 = 6.0;
const AXIS: f64 = 26.0;

fn canvas_height(workers: usize) -> f64 {
    workers as f64 * (LANE + GAP) + AXIS
}

/// Where each lane's thread held the GIL (solid, its chunk's colour) and where it waited for
/// it (hatched), from the recorded hand-overs.
fn draw_gil(ctx: &CanvasRenderingContext2d, spans: &[GilSpan], lanes: usize) {
    for span in spans.iter().filter(|s| s.state == GilState::Holding) {
        ctx.set_fill_style_str(&format!("hsl({} 70% 50%)", chunk_hue(span.chunk)));
        let y = span.worker as f64 * (LANE + GAP);
        ctx.fill_rect(GUTTER + span.x0, y + 1.0, span.x1 - span.x0, LANE - 2.0);
    }
    // One clip and one set of hatch lines per lane, however many stretches it waited.
    for lane in 0..lanes {
        let y = lane as f64 * (LANE + GAP);
        let mut waiting = spans
            .iter()
            .filter(|s| s.worker == lane && s.state == GilState::Waiting)
            .peekable();
        let Some(first) = waiting.peek().map(|s| s.x0) else {
            continue;
        };
        ctx.save();
        ctx.begin_path();
        let mut last = first;
        for span in waiting {
            ctx.rect(GUTTER + span.x0, y + 1.0, span.x1 - span.x0, LANE - 2.0);
            last = span.x1;
        }
        ctx.clip();
        ctx.set_stroke_style_str("rgba(0,0,0,0.3)");
        ctx.begin_path();
        let mut offset = first - LANE;
        while offset < last {
            ctx.move_to(GUTTER + offset, y + LANE);
            ctx.line_to(GUTTER + offset + LANE, y);
            offset += 6.0;
        }
        ctx.stroke();
        ctx.restore();
    }
}

/// Each process this run started (and each replacement of a dead one): grey and hatched from
/// when it was asked for until it was ready (its module instantiated), labelled where there
/// is room: at its start, or at its end where the lower bound's label (`bound_label`, its
/// left and right edges on the first lane) would cover that.
fn draw_process_startup(
    ctx: &CanvasRenderingContext2d,
    trace: &Trace,
    (plot, span): (f64, f64),
    bound_label: Option<(f64, f64)>,
) {
    let Some(processes) = &trace.processes else {
        return;
    };
    if span <= 0.0 {
        return;
    }
    for startup in processes.spans(&trace.worker_started_ms, trace.wall_ms) {
        let y = startup.process as f64 * (LANE + GAP);
        let (x0, x1) = (startup.from_ms / span * plot, startup.to_ms / span * plot);
        let width = x1 - x0;
        ctx.set_fill_style_str("#c9ced8");
        ctx.fill_rect(GUTTER + x0, y + 1.0, width, LANE - 2.0);
        ctx.save();
        ctx.begin_path();
        ctx.rect(GUTTER + x0, y + 1.0, width, LANE - 2.0);
        ctx.clip();
        ctx.set_stroke_style_str("rgba(255,255,255,0.8)");
        ctx.begin_path();
        let mut offset = x0 - LANE;
        while offset < x1 {
            ctx.move_to(GUTTER + offset, y + LANE);
            ctx.line_to(GUTTER + offset + LANE, y);
            offset += 6.0;
        }
        ctx.stroke();
        ctx.restore();
        let text_width = ctx
            .measure_text("start-up")
            .map(|m| m.width())
            .unwrap_or(50.0);
        let covered = |left: f64| {
            bound_label.is_some_and(|(from, to)| {
                startup.process == 0 && left < to && left + text_width > from
            })
        };
        let place = [GUTTER + x0 + 4.0, GUTTER + x1 - 4.0 - text_width]
            .into_iter()
            .find(|&left| !covered(left));
        if let (true, Some(left)) = (width > text_width + 8.0, place) {
            ctx.set_fill_style_str("#333");
            let _ = ctx.fill_text("start-up", left, y + LANE / 2.0);
        }
    }
}

/// The run's lower bound as the lanes draw it: its line's x and its label at the top of the
/// first lane, with the label's left and right edges.
struct BoundLine {
    x: f64,
    label: String,
    left: f64,
    right: f64,
}

/// Where the lower bound's line and label go (`None` when there is no bound to draw).
fn bound_line(
    ctx: &CanvasRenderingContext2d,
    trace: &Trace,
    plot: f64,
    span: f64,
) -> Option<BoundLine> {
    let bound_ms = trace.verdict().lower_bound_ms;
    if span <= 0.0 || bound_ms <= 0.0 {
        return None;
    }
    let x = GUTTER + (bound_ms / span).min(1.0) * plot;
    let label = format!("lower bound {}", ms(bound_ms, 0));
    let label_width = ctx.measure_text(&label).map(|m| m.width()).unwrap_or(90.0);
    let label_x = if x + 4.0 + label_width > GUTTER + plot {
        x - 4.0 - label_width
    } else {
        x + 4.0
    };
    Some(BoundLine {
        x,
        label,
        left: label_x - 2.0,
        right: label_x + label_width + 2.0,
    })
}

/// The run's lower bound (the verdict's) as a dashed vertical line across the lanes, labelled
/// at its top ([`bound_line`]); its time is also the canvas's `data-lower-bound-ms`.
fn draw_lower_bound(
    ctx: &CanvasRenderingContext2d,
    canvas: &HtmlCanvasElement,
    trace: &Trace,
    bound: Option<&BoundLine>,
    axis_y: f64,
) -> Option<()> {
    canvas
        .set_attribute(
            "data-lower-bound-ms",
            &trace.verdict().lower_bound_ms.to_string(),
        )
        .ok()?;
    let Some(bound) = bound else {
        return Some(());
    };
    ctx.save();
    ctx.set_stroke_style_str("#b3261e");
    ctx.set_line_width(2.0);
    ctx.set_line_dash(&js_sys::Array::of2(&6.0.into(), &4.0.into()))
        .ok()?;
    ctx.begin_path();
    ctx.move_to(bound.x, 0.0);
    ctx.line_to(bound.x, axis_y);
    ctx.stroke();
    ctx.restore();
    ctx.set_fill_style_str("rgba(255,255,255,0.85)");
    ctx.fill_rect(bound.left, 2.0, bound.right - bound.left, 14.0);
    ctx.set_fill_style_str("#b3261e");
    ctx.fill_text(&bound.label, bound.left + 2.0, 9.0).ok()
}

/// The holding stretches as `lane:x0-x1` words, for tests to check that no two overlap.
fn holding_list(spans: &[GilSpan]) -> String {
    spans
        .iter()
        .filter(|s| s.state == GilState::Holding)
        .map(|s| format!("{}:{}-{}", s.worker, s.x0, s.x1))
        .collect::<Vec<_>>()
        .join(" ")
}

fn draw(canvas: &HtmlCanvasElement, trace: &Trace, grid: &LaneGrid) -> Option<()> {
    let (ctx, width) = sized_context(canvas, GUTTER + 100.0, canvas_height(trace.lanes()))?;
    let plot = width - GUTTER - 8.0;
    ctx.set_font("12px system-ui, sans-serif");
    ctx.set_text_baseline("middle");
    for worker in 0..trace.lanes() {
        let y = worker as f64 * (LANE + GAP);
        ctx.set_fill_style_str("#eef0f4");
        ctx.fill_rect(GUTTER, y, plot, LANE);
        // One numbering everywhere: the trace's `worker` (rayon's lanes too), 0-based.
        let thread = grid.lane_threads().get(worker).copied().flatten();
        let label = match thread {
            Some(_) if trace.processes.is_some() => format!("worker {worker} · process"),
            Some(thread) => format!("worker {worker} · thread {thread}"),
            None => format!("worker {worker} · idle"),
        };
        ctx.set_fill_style_str("#333");
        ctx.fill_text(&label, 4.0, y + LANE / 2.0).ok()?;
    }
    // The span was found once, when the trace was binned (a pass over every task).
    let span = grid.span_ms();
    let bound = bound_line(&ctx, trace, plot, span);
    draw_process_startup(
        &ctx,
        trace,
        (plot, span),
        bound.as_ref().map(|b| (b.left, b.right)),
    );
    let drawing = grid.drawing(plot);
    // With the GIL on, a box is pale where its thread did not hold the lock: its computing
    // is drawn only where it held it, so no two lanes compute at once.
    let lightness = if trace.gil() { 86 } else { 58 };
    for b in &drawing.boxes {
        let y = b.worker as f64 * (LANE + GAP);
        ctx.set_fill_style_str(&format!("hsl({} 70% {lightness}%)", chunk_hue(b.chunk)));
        ctx.fill_rect(GUTTER + b.x0, y + 1.0, b.x1 - b.x0, LANE - 2.0);
        if b.x1 - b.x0 > 2.0 && b.merged == 1 {
            ctx.set_stroke_style_str("rgba(0,0,0,0.35)");
            ctx.stroke_rect(GUTTER + b.x0 + 0.5, y + 1.5, b.x1 - b.x0 - 1.0, LANE - 3.0);
        }
        if b.merged > 1 && b.x1 - b.x0 > 3.0 {
            // Many chunks too short to draw apart: finely striped, so that it does not read
            // as one long chunk.
            ctx.set_stroke_style_str("rgba(255,255,255,0.7)");
            ctx.begin_path();
            let mut x = b.x0 + 1.5;
            while x < b.x1 {
                ctx.move_to(GUTTER + x, y + 1.0);
                ctx.line_to(GUTTER + x, y + LANE - 1.0);
                x += 3.0;
            }
            ctx.stroke();
        }
    }
    draw_gil(&ctx, &drawing.gil, trace.lanes());
    for b in &drawing.boxes {
        let y = b.worker as f64 * (LANE + GAP);
        let Some(chunk) = trace.chunk(b.chunk) else {
            continue;
        };
        let crossing = chunk.crossing_share();
        if b.merged == 1 && crossing > 0.0 {
            // The pickling share of the box, as a dark band along its bottom.
            ctx.set_fill_style_str("rgba(0,0,0,0.55)");
            ctx.fill_rect(
                GUTTER + b.x0,
                y + LANE - 6.0,
                ((b.x1 - b.x0) * crossing).max(1.0),
                5.0,
            );
        }
        if chunk.error.as_ref().and_then(|e| e.raised_item()).is_some() {
            // Where the exception happened: a red edge at the end of the box, and a red frame.
            ctx.set_stroke_style_str("#c0142c");
            ctx.set_line_width(2.0);
            ctx.stroke_rect(
                GUTTER + b.x0 + 1.0,
                y + 2.0,
                (b.x1 - b.x0 - 2.0).max(1.0),
                LANE - 4.0,
            );
            ctx.set_line_width(1.0);
            ctx.set_fill_style_str("#c0142c");
            ctx.fill_rect(GUTTER + b.x1 - 4.0, y + 1.0, 4.0, LANE - 2.0);
        }
        if b.merged == 1 && b.x1 - b.x0 > 22.0 {
            ctx.set_fill_style_str("#111");
            ctx.fill_text(&b.chunk.to_string(), GUTTER + b.x0 + 4.0, y + LANE / 2.0)
                .ok()?;
        }
    }
    canvas
        .set_attribute("data-boxes", &drawing.boxes.len().to_string())
        .ok()?;
    let raised: Vec<String> = trace
        .task_facts()
        .raised_chunks
        .iter()
        .map(usize::to_string)
        .collect();
    canvas
        .set_attribute("data-raised", &raised.join(","))
        .ok()?;
    if trace.gil() {
        canvas
            .set_attribute("data-holding", &holding_list(&drawing.gil))
            .ok()?;
    }
    let step = tick_step(span, (plot / 90.0).max(2.0));
    let axis_y = trace.lanes() as f64 * (LANE + GAP);
    draw_lower_bound(&ctx, canvas, trace, bound.as_ref(), axis_y)?;
    ctx.set_fill_style_str("#555");
    ctx.set_stroke_style_str("#999");
    let mut t = 0.0;
    while t <= span + 1e-9 {
        let x = GUTTER + t / span * plot;
        ctx.begin_path();
        ctx.move_to(x, axis_y);
        ctx.line_to(x, axis_y + 5.0);
        ctx.stroke();
        let label = ms(t, if step < 1.0 { 1 } else { 0 });
        let label_width = ctx.measure_text(&label).map(|m| m.width()).unwrap_or(40.0);
        // The last labels are drawn left of their tick so they stay inside the canvas.
        let label_x = if x + 2.0 + label_width > width {
            x - 2.0 - label_width
        } else {
            x + 2.0
        };
        ctx.fill_text(&label, label_x, axis_y + 15.0).ok()?;
        t += step;
    }
    Some(())
}

/// One lane per worker over time.
#[function_component]
pub fn Lanes(props: &TraceProps) -> Html {
    let canvas = use_node_ref();
    let resizes = use_resizes();
    // The trace binned once (one pass over its tasks, on the worker that built it or before
    // the first drawing); each drawing at a width then costs only its columns.
    let binned: Reduced<Arc<LaneGrid>> = use_mut_ref(|| None);
    let binned_for_pointer = Rc::clone(&binned);
    {
        let canvas = canvas.clone();
        let key = TraceProps {
            trace: props.trace.clone(),
        };
        use_effect_with((key, resizes), move |(props, _)| {
            draw_next_frame(
                canvas,
                Rc::clone(&props.trace),
                binned,
                Trace::binned_lanes,
                |element, trace, grid| {
                    draw(element, trace, grid);
                },
            );
        });
    }
    let tooltip = use_state(|| None::<(String, f64, f64)>);
    let onmousemove = {
        let (tooltip, trace, canvas) = (tooltip.clone(), props.trace.clone(), canvas.clone());
        Callback::from(move |event: MouseEvent| {
            let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            // The chunk drawn under the pointer, read from the trace's binned grid.
            let grid = binned_for_pointer
                .borrow()
                .as_ref()
                .filter(|(binned_trace, _)| Rc::ptr_eq(binned_trace, &trace))
                .map(|(_, grid)| Rc::clone(grid));
            let Some(grid) = grid else {
                return;
            };
            let (x, y) = (f64::from(event.offset_x()), f64::from(event.offset_y()));
            let plot = f64::from(element.client_width()) - GUTTER - 8.0;
            let worker = (y / (LANE + GAP)).floor();
            let span = grid.span_ms();
            let hit = (x >= GUTTER && worker >= 0.0 && plot > 0.0)
                .then(|| {
                    let t_ms = (x - GUTTER) / plot * span;
                    // Half a pixel's worth of time either side, so thin boxes can be pointed at.
                    grid.chunk_at(worker as usize, t_ms, span / plot / 2.0)
                })
                .flatten()
                .and_then(|index| describe_chunk(&trace, index));
            // Placed in the figure's coordinates, just below and right of the pointer.
            let (left, top) = (
                f64::from(element.offset_left()) + x + 12.0,
                f64::from(element.offset_top()) + y + 14.0,
            );
            tooltip.set(hit.map(|text| (text, left, top)));
        })
    };
    let onmouseleave = {
        let tooltip = tooltip.clone();
        Callback::from(move |_: MouseEvent| tooltip.set(None))
    };
    let trace = &props.trace;
    html! {
        <figure class="lanes">
            <figcaption>
                <strong>{ "Workers over time" }</strong>
                { format!(" — {}", crate::model::sentences::lanes_caption(trace)) }
            </figcaption>
            <canvas
                ref={canvas}
                id="lanes"
                style={format!("height:{}px", canvas_height(trace.lanes()))}
                role="img"
                aria-label={format!("{} of chunks over {}", count(trace.lanes(), "lane"), ms(trace.wall_ms, 1))}
                {onmousemove}
                {onmouseleave}
            />
            if let Some((text, x, y)) = (*tooltip).clone() {
                <div class="tooltip" id="lanes-tooltip" role="tooltip"
                    style={format!("left:{x:.0}px;top:{y:.0}px")}>{ text }</div>
            }
        </figure>
    }
}
