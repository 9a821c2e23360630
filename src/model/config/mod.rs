//! A run's settings and their one parser. The controls, the page URL and
//! `window.playground.run(config)` all hand [`Inputs`] (raw text per key) to
//! [`Inputs::validate`], so the three can never disagree about what is valid.
//!
//! - [`value`]: how one value is parsed (a number, a choice, a flag, the URL list) and quoted
//!   back in a message; the cost slider's scale.
//! - `inputs`: the raw text of every setting, and the settings a strategy does not read.
//! - `js_config`: the settings of a `window.playground.run(config)` object.
//! - `settings`: every setting parsed to its type, each problem named on its control.
//! - `checks`: [`Inputs::validate`]: the settings parsed, then checked together.
//! - `run_config`: the validated run and what is derived from it (chunk size, baseline, link).
//! - `query`: the URL codec.
//! - `invalid`: why a run was refused, a message per control.
//!
//! Which settings a strategy reads, and why it refuses others, is in the strategy table
//! ([`crate::model::strategy`]); every setting's key, label and kind in
//! [`crate::model::field`].

mod checks;
mod inputs;
mod invalid;
mod js_config;
mod query;
mod run_config;
mod settings;
pub mod value;

pub use checks::{MAX_ESTIMATED_MS, MAX_FETCH_REQUESTS, MAX_THREADS};
pub use inputs::Inputs;
pub use invalid::Invalid;
pub use js_config::{not_a_config_message, ConfigValue};
pub use query::{encode_query_value, parse_query};
pub use run_config::{FetchConfig, RunConfig};
pub use value::{
    cost_from_slider, cost_slider_position, parse_urls, quote, shorten, COST_SLIDER_MAX,
};
