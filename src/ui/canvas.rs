//! Canvases that follow their element's size: a hook that re-renders a component when the
//! window is resized (so canvases redraw instead of being stretched), the sizing of a canvas
//! to its element at the screen's pixel ratio, and drawing a trace at the next frame from
//! what was reduced from it once.

use crate::model::trace::Trace;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// What a canvas keeps of the trace it draws: the trace, and what was reduced from it once.
pub type Reduced<T> = Rc<RefCell<Option<(Rc<Trace>, Rc<T>)>>>;

/// Draws `trace` on `canvas` at the next animation frame. `reduce` runs once per trace (one
/// pass over its tasks), in a task of its own before that frame, and its result is kept in
/// `kept`; `draw` then gets it, so a redraw of the same trace costs only `draw`. The canvas's
/// `data-draw-ms` says how long the last drawing took, ms.
pub fn draw_next_frame<T: 'static>(
    canvas: NodeRef,
    trace: Rc<Trace>,
    kept: Reduced<T>,
    reduce: fn(&Trace) -> T,
    draw: fn(&HtmlCanvasElement, &Trace, &T),
) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let reduced = kept
        .borrow()
        .as_ref()
        .filter(|(kept_trace, _)| Rc::ptr_eq(kept_trace, &trace))
        .map(|(_, reduced)| Rc::clone(reduced));
    let frame = {
        let (window, kept, trace) = (window.clone(), Rc::clone(&kept), Rc::clone(&trace));
        move || {
            let Some(reduced) = kept.borrow().as_ref().map(|(_, r)| Rc::clone(r)) else {
                return;
            };
            let frame = Closure::once_into_js(move || {
                let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                    return;
                };
                let performance = web_sys::window().and_then(|w| w.performance());
                let began = performance.as_ref().map(|p| p.now());
                draw(&element, &trace, &reduced);
                if let (Some(performance), Some(began)) = (performance, began) {
                    let took = format!("{:.2}", performance.now() - began);
                    let _ = element.set_attribute("data-draw-ms", &took);
                }
            });
            let _ = window.request_animation_frame(frame.unchecked_ref());
        }
    };
    if reduced.is_some() {
        frame();
        return;
    }
    // The reduction in a task of its own, then the drawing at a frame.
    in_a_task_of_its_own(move || {
        *kept.borrow_mut() = Some((Rc::clone(&trace), Rc::new(reduce(&trace))));
        frame();
    });
}

/// Runs `work` in a task of its own, after whatever the page has waiting (a zero timeout).
pub fn in_a_task_of_its_own(work: impl FnOnce() + 'static) {
    let task = Closure::once_into_js(work);
    if let Some(window) = web_sys::window() {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(task.unchecked_ref(), 0);
    }
}

/// Sizes `canvas` to its element's width (at least `min_width`) and `height` CSS pixels at the
/// screen's pixel ratio, and returns its cleared 2D context, scaled to CSS pixels, with that
/// width.
pub fn sized_context(
    canvas: &HtmlCanvasElement,
    min_width: f64,
    height: f64,
) -> Option<(CanvasRenderingContext2d, f64)> {
    let ratio = web_sys::window()?.device_pixel_ratio().max(1.0);
    let width = f64::from(canvas.client_width()).max(min_width);
    canvas.set_width((width * ratio) as u32);
    canvas.set_height((height * ratio) as u32);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.scale(ratio, ratio).ok()?;
    ctx.clear_rect(0.0, 0.0, width, height);
    Some((ctx, width))
}

/// The number of window resizes seen so far; a drawing effect that depends on it redraws.
#[hook]
pub fn use_resizes() -> u32 {
    let resizes = use_mut_ref(|| 0u32);
    let rerender = use_force_update();
    {
        let resizes = resizes.clone();
        use_effect_with((), move |_| {
            // Removed when dropped, as the component goes.
            let listener = web_sys::window().map(|window| {
                gloo::events::EventListener::new(&window, "resize", move |_| {
                    *resizes.borrow_mut() += 1;
                    rerender.force_update();
                })
            });
            move || drop(listener)
        });
    }
    let count = *resizes.borrow();
    count
}
