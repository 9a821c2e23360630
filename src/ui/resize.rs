//! A hook that re-renders a component when the window is resized, so canvases redraw at the
//! new width instead of being stretched.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

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
