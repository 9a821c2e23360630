//! The fetch strategies (`asyncio.gather`, `sequential`) on the page's event loop.

use crate::model::config::RunConfig;
use crate::model::trace::Trace;

/// Runs a fetch strategy for real and returns its trace.
pub async fn run(config: &RunConfig) -> Result<Trace, String> {
    Err(format!("{} is not available yet", config.strategy.name()))
}
