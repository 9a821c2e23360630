//! The run's downloads, under its figures: the trace as the playground's own JSON, as Chrome
//! Trace Event JSON (Perfetto, `chrome://tracing`), as CSV, and the lanes as SVG and PNG. Each
//! is written from the trace only when its button is pressed (a trace of 200,000 tasks is
//! tens of megabytes of text, too much to build on every render).

use crate::model::export_formats::svg::svg;
use crate::model::export_formats::ExportFormat;
use crate::model::trace::Trace;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// `blob` saved as `file_name`, through a link to it that is clicked.
fn save_blob(blob: &web_sys::Blob, file_name: &str) -> Option<()> {
    let url = web_sys::Url::create_object_url_with_blob(blob).ok()?;
    let document = web_sys::window()?.document()?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    web_sys::Url::revoke_object_url(&url).ok()
}

/// A Blob of `text`. The text goes to JS as a string first: a Blob cannot be made from a view
/// of the shared wasm memory.
fn text_blob(text: String, media_type: &str) -> Option<web_sys::Blob> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()
}

/// Saves `json` as a download named `file_name`.
pub fn download_json(json: String, file_name: &str) -> Option<()> {
    save_blob(&text_blob(json, "application/json")?, file_name)
}

/// Bytes of text handed to JS at a time.
const PART_BYTES: usize = 8 << 20;

/// The longest text `playground.export` returns, bytes: a browser's strings hold at most
/// 2^29 - 24 UTF-16 units (V8), and this text has at most as many units as bytes.
pub(crate) const LONGEST_STRING_BYTES: usize = 500_000_000;

/// A text written in parts, each handed to JS as a string once it has [`PART_BYTES`], so
/// that the wasm memory (1 GiB at most) never holds a large export whole. Writing more than
/// `limit` bytes fails.
struct JsParts {
    parts: js_sys::Array,
    pending: Vec<u8>,
    written: usize,
    limit: usize,
}

impl JsParts {
    fn new(limit: usize) -> Self {
        Self {
            parts: js_sys::Array::new(),
            pending: Vec::with_capacity(PART_BYTES),
            written: 0,
            limit,
        }
    }

    /// Hands the pending text to JS, up to its last whole character.
    fn hand_over(&mut self) {
        let whole = match std::str::from_utf8(&self.pending) {
            Ok(text) => text.len(),
            Err(cut) => cut.valid_up_to(),
        };
        if let Ok(text) = std::str::from_utf8(&self.pending[..whole]) {
            self.parts.push(&JsValue::from_str(text));
        }
        self.pending.drain(..whole);
    }

    /// The parts, every byte handed over.
    fn finish(mut self) -> js_sys::Array {
        self.hand_over();
        self.parts
    }
}

impl std::io::Write for JsParts {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.written += bytes.len();
        if self.written > self.limit {
            return Err(std::io::Error::other("longer than the limit"));
        }
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= PART_BYTES {
            self.hand_over();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `trace` in `format` as JS strings, in parts, or `None` when it is longer than `limit`
/// bytes.
pub(crate) fn export_parts(
    trace: &Trace,
    format: ExportFormat,
    limit: usize,
) -> Option<js_sys::Array> {
    let mut parts = JsParts::new(limit);
    format.write(trace, &mut parts).ok()?;
    Some(parts.finish())
}

/// Saves a text written in `parts` (a Blob holds more than one string can).
fn save_parts(parts: &js_sys::Array, media_type: &str, file_name: &str) -> Option<()> {
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(parts, &options).ok()?;
    save_blob(&blob, file_name)
}

/// Saves `trace` in `format`, written in parts.
fn save_export(trace: &Trace, format: ExportFormat) -> Option<()> {
    let parts = export_parts(trace, format, usize::MAX)?;
    save_parts(&parts, format.media_type(), format.file_name())
}

/// Saves the lanes as `lanes.png`: the SVG export drawn on a canvas at twice its size. The
/// picture loads asynchronously; the download follows when it has.
fn save_png(trace: &Trace) -> Option<()> {
    let svg_url = web_sys::Url::create_object_url_with_blob(&text_blob(
        svg(trace),
        ExportFormat::Svg.media_type(),
    )?)
    .ok()?;
    let image = web_sys::HtmlImageElement::new().ok()?;
    let loaded = {
        let (image, svg_url) = (image.clone(), svg_url.clone());
        Closure::once_into_js(move || {
            let _ = draw_png(&image);
            let _ = web_sys::Url::revoke_object_url(&svg_url);
        })
    };
    image.set_onload(Some(loaded.unchecked_ref()));
    image.set_src(&svg_url);
    Some(())
}

/// Draws the loaded `image` on a canvas twice its size and saves that as `lanes.png`.
fn draw_png(image: &web_sys::HtmlImageElement) -> Option<()> {
    const SCALE: u32 = 2;
    let document = web_sys::window()?.document()?;
    let canvas: web_sys::HtmlCanvasElement =
        document.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(image.natural_width() * SCALE);
    canvas.set_height(image.natural_height() * SCALE);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            image,
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .ok()?;
    let saved = Closure::once_into_js(move |blob: Option<web_sys::Blob>| {
        if let Some(blob) = blob {
            let _ = save_blob(&blob, "lanes.png");
        }
    });
    canvas.to_blob(saved.unchecked_ref()).ok()
}

/// Props of [`Downloads`].
#[derive(Properties)]
pub struct DownloadsProps {
    /// The run.
    pub trace: Rc<Trace>,
}

/// The same run is the same trace: compared by address.
impl PartialEq for DownloadsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
    }
}

/// A download, by what it saves.
#[derive(Clone, Copy)]
enum Download {
    /// The playground's own JSON (`window.playground.run`'s trace).
    Json,
    /// One of the export formats.
    Export(ExportFormat),
    /// The lanes as a PNG picture.
    Png,
}

impl Download {
    const ALL: [Download; 5] = [
        Download::Json,
        Download::Export(ExportFormat::Chrome),
        Download::Export(ExportFormat::Csv),
        Download::Export(ExportFormat::Svg),
        Download::Png,
    ];

    /// The button's id and its words.
    fn button(self) -> (&'static str, &'static str) {
        match self {
            Download::Json => ("download-trace", "Download the trace (JSON)"),
            Download::Export(ExportFormat::Chrome) => {
                ("download-chrome", "Trace Event JSON (Perfetto)")
            }
            Download::Export(ExportFormat::Csv) => ("download-csv", "CSV"),
            Download::Export(ExportFormat::Svg) => ("download-svg", "SVG"),
            Download::Png => ("download-png", "PNG"),
        }
    }

    /// Saves it. Only fails where the browser has no Blob URLs; the JS API still gives the
    /// trace and its exports.
    fn save(self, trace: &Trace) -> Option<()> {
        match self {
            Download::Json => {
                let mut parts = JsParts::new(usize::MAX);
                serde_json::to_writer_pretty(&mut parts, trace).ok()?;
                save_parts(&parts.finish(), "application/json", "trace.json")
            }
            Download::Export(format) => save_export(trace, format),
            Download::Png => save_png(trace),
        }
    }
}

/// The run's downloads: its trace as JSON, and its exports.
#[function_component]
pub fn Downloads(props: &DownloadsProps) -> Html {
    let button = |download: Download| {
        let trace = Rc::clone(&props.trace);
        let onclick = Callback::from(move |_: MouseEvent| {
            let _ = download.save(&trace);
        });
        let (id, words) = download.button();
        html! { <button type="button" class="link" {id} {onclick}>{ words }</button> }
    };
    let [json, exports @ ..] = Download::ALL;
    html! {
        <p class="downloads" id="downloads">
            { button(json) }
            <span class="exports">{ "Export: " }{ for exports.into_iter().map(button) }</span>
        </p>
    }
}
