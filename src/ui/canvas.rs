//! Canvases that follow their element's size: a hook that re-renders a component when the
//! window is resized (so canvases redraw instead of being stretched), and the sizing of a
//! canvas to its element at the screen's pixel ratio.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

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
            let window = web_sys::window();
            let listener = Closure::<dyn Fn()>::new(move || {
                *resizes.borrow_mut() += 1;
                rerender.force_update();
            });
            if let Some(window) = &window {
                let _ = window
                    .add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = &window {
                    let _ = window.remove_event_listener_with_callback(
                        "resize",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    let count = *resizes.borrow();
    count
}
