//! Sharing a setup: "Copy link" (the page's URL holds every setting) and the "Embed" dialog,
//! which writes the iframe snippet of the current setup and says which strategies run on a
//! host that is not cross-origin isolated. The dialog is a modal `<dialog>`: the focus moves
//! into it, stays there, Escape closes it and the focus goes back to the Embed button.

use crate::model::embed::{iframe_snippet, isolation_summary, needs_isolation, EmbedControls};
use crate::model::field::Field;
use crate::model::strategy::Strategy;
use crate::ui::controls::page_site;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`Share`].
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The setup as a URL query (without `?`), when the controls are valid.
    pub query: Option<String>,
    /// The chosen strategy.
    pub strategy: Option<Strategy>,
}

/// Writes `text` to the clipboard; whether it was written.
async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = Reflect::get(&window.navigator(), &"clipboard".into()).ok();
    let write = clipboard
        .as_ref()
        .and_then(|c| Reflect::get(c, &"writeText".into()).ok())
        .and_then(|f| f.dyn_into::<Function>().ok());
    let (Some(clipboard), Some(write)) = (clipboard, write) else {
        return false;
    };
    match write.call1(&clipboard, &text.into()) {
        Ok(promise) => match promise.dyn_into::<Promise>() {
            Ok(promise) => JsFuture::from(promise).await.is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

/// A button that copies `text`, with a line saying whether it did (and the text to select
/// by hand when the browser refused).
#[derive(Properties, PartialEq)]
struct CopyButtonProps {
    id: AttrValue,
    label: AttrValue,
    text: Option<String>,
}

#[function_component]
fn CopyButton(props: &CopyButtonProps) -> Html {
    let outcome = use_state(|| None::<bool>);
    {
        // A new text has not been copied yet.
        let outcome = outcome.clone();
        use_effect_with(props.text.clone(), move |_| outcome.set(None));
    }
    let onclick = {
        let (outcome, text) = (outcome.clone(), props.text.clone());
        Callback::from(move |_: MouseEvent| {
            let (outcome, text) = (outcome.clone(), text.clone());
            if let Some(text) = text {
                spawn_local(async move { outcome.set(Some(copy_to_clipboard(&text).await)) });
            }
        })
    };
    html! {
        <>
            <button type="button" id={props.id.clone()} disabled={props.text.is_none()} {onclick}
                title={props.text.is_none().then_some("fix the settings first")}>
                { props.label.clone() }
            </button>
            <span class="copy-outcome" role="status" data-for={props.id.clone()}>
                { match *outcome {
                    Some(true) => "Copied.",
                    Some(false) => "The browser did not let the page copy: select the text and copy it.",
                    None => "",
                } }
            </span>
        </>
    }
}

/// Copy link, and the Embed button with its dialog.
#[function_component]
pub fn Share(props: &ShareProps) -> Html {
    let dialog = use_node_ref();
    let controls = use_state(EmbedControls::default);
    let link = props
        .query
        .as_ref()
        .map(|query| format!("{}?{query}", page_site()));
    let open = {
        let dialog = dialog.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(dialog) = dialog.get() {
                let show = Reflect::get(&dialog, &"showModal".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<Function>().ok());
                if let Some(show) = show {
                    let _ = show.call0(&dialog);
                }
            }
        })
    };
    let strategy = props.strategy;
    // Only the settings the strategy reads can be exposed.
    let exposed = EmbedControls {
        strategy: controls.strategy,
        fields: controls
            .fields
            .iter()
            .copied()
            .filter(|f| strategy.is_some_and(|s| s.fields().contains(f)))
            .collect(),
    };
    let snippet = props
        .query
        .as_ref()
        .zip(strategy)
        .map(|(query, strategy)| iframe_snippet(&page_site(), query, strategy, &exposed));
    // A checkbox per control: the strategy picker (`None`) or a setting.
    let toggle = |control: Option<Field>| {
        let name = control.map_or("strategy", Field::key);
        let checked = control.map_or(controls.strategy, |f| exposed.fields.contains(&f));
        let controls = controls.clone();
        let onchange = Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            let mut next = (*controls).clone();
            match control {
                None => next.strategy = on,
                Some(field) => {
                    next.fields.retain(|f| *f != field);
                    if on {
                        next.fields.push(field);
                        next.fields.sort();
                    }
                }
            }
            controls.set(next);
        });
        html! {
            <label class="embed-control">
                <input type="checkbox" name="embed-control" value={name} {checked} {onchange} />
                { format!(" {name}") }
            </label>
        }
    };
    let (runs_anywhere, needs_threads) = isolation_summary();
    let this_setup = strategy.map(|s| {
        if needs_isolation(s) {
            format!("This setup ({}) needs threads: on a page that is not isolated it offers to open itself in a new tab.", s.name())
        } else {
            format!("This setup ({}) runs on any page.", s.name())
        }
    });
    html! {
        <div class="share">
            <CopyButton id="copy-link" label="Copy link" text={link} />
            <button type="button" id="open-embed" onclick={open} disabled={snippet.is_none()}>{ "Embed…" }</button>
            <dialog ref={dialog} id="embed-dialog" class="embed-dialog" aria-labelledby="embed-title">
                <h2 id="embed-title">{ "Embed this setup" }</h2>
                <fieldset class="embed-controls">
                    <legend>{ "Controls the reader may change (none: Run only)" }</legend>
                    { toggle(None) }
                    { for strategy.map(Strategy::fields).unwrap_or_default().iter().map(|&field| toggle(Some(field))) }
                </fieldset>
                <label for="embed-snippet">{ "Paste this into your page:" }</label>
                <textarea id="embed-snippet" readonly=true rows="6"
                    value={snippet.clone().unwrap_or_default()} />
                <p><CopyButton id="copy-snippet" label="Copy the snippet" text={snippet} /></p>
                if let Some(this_setup) = this_setup {
                    <p class="embed-this-setup">{ this_setup }</p>
                }
                <p class="embed-isolation">
                    { "Threads need your page to be cross-origin isolated (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp). On a page that is not:" }
                </p>
                <ul class="embed-isolation">
                    <li>{ "these still run: " }<span class="runs-anywhere">{ runs_anywhere.join(", ") }</span></li>
                    <li>{ "these offer to open the setup in a new tab: " }<span class="needs-threads">{ needs_threads.join(", ") }</span></li>
                </ul>
                <form method="dialog"><button id="close-embed">{ "Close" }</button></form>
            </dialog>
        </div>
    }
}
