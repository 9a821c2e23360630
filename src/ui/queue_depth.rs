//! The task queue's depth over time, from the trace's samples: how fast the workers drain
//! it, and for `ProcessPoolExecutor` how the call queue stays at `max_workers + 1` while
//! pending work items wait behind it.

use crate::model::layout::{depth_steps, FINE_COLUMNS};
use crate::model::trace::{DepthSample, Trace};
use crate::ui::canvas::{draw_next_frame, sized_context, use_resizes, Reduced};
use crate::ui::split_strip::TraceProps;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

const HEIGHT: f64 = 110.0;
const LEFT: f64 = 44.0;

/// The samples worth drawing at any width: the queue's depth reduced once per trace to at
/// most a few samples per fine column, so a redraw costs the pixels, not the hand-outs.
fn fine_steps(trace: &Trace) -> Vec<DepthSample> {
    depth_steps(&trace.queue_depth, span_of(trace), FINE_COLUMNS as f64)
}

fn span_of(trace: &Trace) -> f64 {
    trace.wall_ms.max(1e-3)
}

fn draw(canvas: &HtmlCanvasElement, trace: &Trace, fine: &[DepthSample]) -> Option<()> {
    let (ctx, width) = sized_context(canvas, 200.0, HEIGHT)?;
    let span = span_of(trace);
    let samples = &depth_steps(fine, span, width);
    let top = samples
        .iter()
        .map(|s| s.queued + s.pending)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let plot_w = width - LEFT - 8.0;
    let plot_h = HEIGHT - 24.0;
    let x = |t: f64| LEFT + t / span * plot_w;
    let y = |v: f64| 6.0 + plot_h - v / top * plot_h;
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_fill_style_str("#555");
    ctx.fill_text(&format!("{top:.0}"), 4.0, 12.0).ok()?;
    ctx.fill_text("0", 4.0, 6.0 + plot_h).ok()?;
    ctx.fill_text(&format!("{span:.0} ms"), LEFT + plot_w - 40.0, HEIGHT - 4.0)
        .ok()?;
    let series = |color: &str, value: &dyn Fn(usize) -> usize| {
        ctx.set_stroke_style_str(color);
        ctx.set_line_width(2.0);
        ctx.begin_path();
        let mut last = None;
        for (i, sample) in samples.iter().enumerate() {
            let (px, py) = (x(sample.t_ms), y(value(i) as f64));
            match last {
                None => ctx.move_to(px, py),
                Some(previous_y) => {
                    ctx.line_to(px, previous_y);
                    ctx.line_to(px, py);
                }
            }
            last = Some(py);
        }
        ctx.stroke();
    };
    series("#2857d6", &|i| samples[i].queued);
    if samples.iter().any(|s| s.pending > 0) {
        series("#c2410c", &|i| samples[i].pending);
    }
    Some(())
}

/// Depth of the task queue over time.
#[function_component]
pub fn QueueDepth(props: &TraceProps) -> Html {
    let canvas = use_node_ref();
    let resizes = use_resizes();
    // Reduced once per trace, at the first drawing; each redraw then costs its pixels.
    let reduced: Reduced<Vec<DepthSample>> = use_mut_ref(|| None);
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
                fine_steps,
                |element, trace, fine| {
                    draw(element, trace, fine);
                },
            );
        });
    }
    let pending = props.trace.queue_depth.iter().any(|s| s.pending > 0);
    html! {
        <figure class="queue-depth">
            <figcaption>
                <strong>{ "Queue depth" }</strong>
                { " — tasks waiting in the queue the workers take from (blue)" }
                if pending { { ", and pending work items not yet in the call queue (orange)" } }
            </figcaption>
            <canvas ref={canvas} id="queue-depth" style={format!("height:{HEIGHT}px")} role="img"
                aria-label="queue depth over time" />
        </figure>
    }
}
