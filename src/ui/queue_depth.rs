//! The task queue's depth over time, from the trace's samples: how fast the workers drain
//! it, and for `ProcessPoolExecutor` how the call queue stays at `max_workers + 1` while
//! pending work items wait behind it. Each series is drawn on its own scale, from 0 to the
//! most it held (the call queue's few places would be a flat line on the pending items'
//! scale): the queue the workers take from on top, the pending work items below it.

use crate::model::layout::depth_steps;
use crate::model::record::DepthSample;
use crate::model::trace::Trace;
use crate::model::words::ms;
use crate::ui::canvas::{draw_next_frame, sized_context, use_resizes, Reduced};
use crate::ui::split_strip::TraceProps;
use std::rc::Rc;
use std::sync::Arc;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// Height of one panel, CSS px.
const PANEL: f64 = 90.0;
/// Left margin for the scale's labels.
const LEFT: f64 = 44.0;
/// Height of the time axis under the panels.
const AXIS: f64 = 16.0;

/// One series of `samples` as a step line in a panel whose top is `y0`, scaled 0..=`top`.
fn panel(
    ctx: &CanvasRenderingContext2d,
    (samples, span): (&[DepthSample], f64),
    (y0, width): (f64, f64),
    (top, color): (usize, &str),
    value: &dyn Fn(&DepthSample) -> usize,
) -> Option<()> {
    let plot_w = width - LEFT - 8.0;
    let plot_h = PANEL - 14.0;
    let scale = top.max(1) as f64;
    let x = |t: f64| LEFT + t / span * plot_w;
    let y = |v: usize| y0 + 6.0 + plot_h - v as f64 / scale * plot_h;
    ctx.set_fill_style_str("#eef0f4");
    ctx.fill_rect(LEFT, y0 + 6.0, plot_w, plot_h);
    ctx.set_fill_style_str("#555");
    ctx.fill_text(&top.to_string(), 4.0, y0 + 12.0).ok()?;
    ctx.fill_text("0", 4.0, y0 + 6.0 + plot_h).ok()?;
    ctx.set_stroke_style_str(color);
    ctx.set_line_width(2.0);
    ctx.begin_path();
    let mut last = None;
    for sample in samples {
        let (px, py) = (x(sample.t_ms), y(value(sample)));
        match last {
            None => ctx.move_to(px, py),
            Some(previous_y) => {
                ctx.line_to(px, previous_y);
                ctx.line_to(px, py);
            }
        }
        last = Some(py);
    }
    if let Some(previous_y) = last {
        ctx.line_to(x(span), previous_y);
    }
    ctx.stroke();
    Some(())
}

fn height(trace: &Trace) -> f64 {
    let panels = if trace.task_facts().max_pending > 0 {
        2.0
    } else {
        1.0
    };
    panels * PANEL + AXIS
}

fn draw(canvas: &HtmlCanvasElement, trace: &Trace, fine: &[DepthSample]) -> Option<()> {
    let (ctx, width) = sized_context(canvas, 200.0, height(trace))?;
    let span = trace.depth_span_ms();
    let samples = &depth_steps(fine, span, width);
    ctx.set_font("11px system-ui, sans-serif");
    panel(
        &ctx,
        (samples, span),
        (0.0, width),
        (trace.task_facts().max_queued, "#2857d6"),
        &|s| s.queued,
    )?;
    let pending = trace.task_facts().max_pending;
    if pending > 0 {
        panel(
            &ctx,
            (samples, span),
            (PANEL, width),
            (pending, "#c2410c"),
            &|s| s.pending,
        )?;
    }
    ctx.set_fill_style_str("#555");
    let span = ms(trace.wall_ms, 0);
    let label_width = ctx.measure_text(&span).map(|m| m.width()).unwrap_or(40.0);
    ctx.fill_text(&span, width - 8.0 - label_width, height(trace) - 4.0)
        .ok()?;
    ctx.fill_text("0 ms", LEFT, height(trace) - 4.0).ok()?;
    Some(())
}

/// Depth of the task queue over time.
#[function_component]
pub fn QueueDepth(props: &TraceProps) -> Html {
    let canvas = use_node_ref();
    let resizes = use_resizes();
    // The samples worth drawing at any width (reduced once per trace, on the worker that
    // built it or at the first drawing); each redraw then costs its pixels.
    let reduced: Reduced<Arc<Vec<DepthSample>>> = use_mut_ref(|| None);
    {
        let canvas = canvas.clone();
        let key = TraceProps {
            trace: props.trace.clone(),
        };
        use_effect_with((key, resizes), move |(props, _)| {
            draw_next_frame(
                canvas,
                Rc::clone(&props.trace),
                reduced,
                Trace::binned_depth,
                |element, trace, fine| {
                    draw(element, trace, fine);
                },
            );
        });
    }
    let trace = &props.trace;
    let (queued, pending) = (
        trace.task_facts().max_queued,
        trace.task_facts().max_pending,
    );
    html! {
        <figure class="queue-depth">
            <figcaption>
                <strong>{ "Queue depth" }</strong>
                if pending > 0 {
                    { format!(" — the call queue the workers take from (blue, 0 to {queued}: max_workers + 1 places), and below it the pending work items not yet in the call queue (orange, 0 to {pending}); each on its own scale") }
                } else {
                    { format!(" — tasks waiting in the queue the workers take from (blue, 0 to {queued})") }
                }
            </figcaption>
            <canvas ref={canvas} id="queue-depth" style={format!("height:{}px", height(trace))} role="img"
                data-max-queued={queued.to_string()} data-max-pending={pending.to_string()}
                aria-label={format!("queue depth over time: at most {queued} queued{}", if pending > 0 { format!(", {pending} pending") } else { String::new() })} />
        </figure>
    }
}
