//! Where the thread strategies cannot run (a page that is not cross-origin isolated), the
//! offer to open the same setup where they can: in a frame, a new top-level tab of the same
//! address and query (a top-level page served with the isolation headers is isolated); at top
//! level, the plain fact that the host must send the headers.

use crate::model::strategy::Strategy;
use yew::prelude::*;

/// Props of [`ThreadsElsewhere`].
#[derive(Properties, PartialEq)]
pub struct ThreadsElsewhereProps {
    /// The chosen strategy, which needs the shared-memory thread pool.
    pub strategy: Strategy,
    /// The setup as a URL query (without `?`), when the controls are valid.
    pub query: Option<String>,
}

/// Says that the chosen thread strategy cannot run on this page, and where it can.
#[function_component]
pub fn ThreadsElsewhere(props: &ThreadsElsewhereProps) -> Html {
    let name = props.strategy.name();
    let cannot = format!(
        "{name} needs threads that share memory, which this page cannot start: it is not cross-origin isolated."
    );
    if in_a_frame() {
        let href = format!(
            "{}?{}",
            crate::ui::controls::page_site(),
            props.query.clone().unwrap_or_default()
        );
        html! {
            <p class="threads-elsewhere" role="status" data-framed="true">
                { cannot }
                { " A page of its own is isolated when its host sends the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp. " }
                <a class="open-in-new-tab" href={href} target="_blank" rel="noopener">{ "Open this setup in a new tab" }</a>
            </p>
        }
    } else {
        html! {
            <p class="threads-elsewhere" role="status" data-framed="false">
                { cannot }
                { " For threads, this host must send the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (a _headers file next to the page does it on Netlify and Cloudflare Pages). The process strategies run here." }
            </p>
        }
    }
}

/// Whether the page is inside a frame (an embedding tutorial) rather than a tab of its own.
fn in_a_frame() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => top != window,
        Ok(None) | Err(_) => true,
    }
}
