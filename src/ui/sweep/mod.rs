//! Sweeps on the page: the form that sets the axes and starts one ([`form`]), the loop that
//! runs its untimed warm-up and then its points one after another through the page's
//! session, each shown as it finishes ([`runner`]), and the view of its results
//! ([`view`], with the charts of [`chart`]), all read from the points' traces
//! ([`crate::model::sweep`]).

mod chart;
mod form;
mod runner;
mod view;

pub use form::SweepForm;
pub use runner::{is_sweeping, run_sweep};
pub use view::SweepView;
