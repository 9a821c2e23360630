//! The split: the items as a strip cut into chunks, each chunk in its own colour. Large runs
//! get at most [`MAX_CELLS`](crate::model::layout::MAX_CELLS) cells, each standing for a run of neighbouring chunks.

use crate::model::layout::{bins, chunk_hue, MAX_CELLS};
use crate::model::sentences::split_caption;
use crate::model::trace::Trace;
use std::rc::Rc;
use yew::prelude::*;

/// Props of the strips: the run's trace.
#[derive(Properties)]
pub struct TraceProps {
    /// The run.
    pub trace: Rc<Trace>,
}

/// The same run is the same trace: compared by address, not field by field (a million
/// chunks compared on every render would cost more than drawing them).
impl PartialEq for TraceProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
    }
}

/// Labels the items of a chunk: `1 2 3` when few, `1…700` otherwise.
fn items_label(trace: &Trace, first: usize, len: usize) -> String {
    let number = |position| trace.item_number(position);
    if len <= 4 {
        (first..first + len)
            .map(|p| number(p).to_string())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        format!("{}…{}", number(first), number(first + len - 1))
    }
}

/// The items cut into chunks.
#[function_component]
pub fn SplitStrip(props: &TraceProps) -> Html {
    let chunks = &props.trace.chunks;
    let cells = bins(chunks.len(), MAX_CELLS);
    let labelled = cells.len() <= 24;
    html! {
        <figure class="strip split">
            <figcaption>
                <strong>{ "Split" }</strong>
                { format!(" — {}", split_caption(&props.trace)) }
            </figcaption>
            <div class="cells">
                { for cells.into_iter().map(|range| {
                    let first = &chunks[range.start];
                    let last = &chunks[range.end - 1];
                    let items = last.first_item + last.len - first.first_item;
                    let title = if range.len() == 1 {
                        format!("chunk {}: items {}", first.index, items_label(&props.trace, first.first_item, first.len))
                    } else {
                        format!("chunks {}–{}: items {}", first.index, last.index, items_label(&props.trace, first.first_item, items))
                    };
                    html! {
                        <div class="cell"
                            style={format!("flex-grow:{items};background:hsl({} 70% 62%)", chunk_hue(first.index))}
                            data-chunk={first.index.to_string()}
                            data-chunks={range.len().to_string()}
                            data-len={items.to_string()}
                            {title}>
                            if labelled {
                                <span>{ items_label(&props.trace, first.first_item, items) }</span>
                            }
                        </div>
                    }
                }) }
            </div>
        </figure>
    }
}
