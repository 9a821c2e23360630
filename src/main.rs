//! Entry point: the browser build starts the Yew app; a host build only explains itself.

#[cfg(target_arch = "wasm32")]
fn main() {
    parallel_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The playground runs in a browser: build and serve it with `.ci/serve` (Trunk).");
}
