//! What the page draws of a trace, as data, and the trace's store of it ([`Drawings`]): the
//! lanes binned into columns ([`LaneGrid`], built by `model::lane_grid`), the gather strip's
//! cells ([`GatherBin`], built by `model::layout`) and the queue's depth reduced to the
//! samples worth drawing. Nothing here reads a trace, so that a trace can keep its drawings:
//! the worker that builds a trace reduces it for drawing too, and the page only draws.

use crate::model::errors::TaskError;
use crate::model::record::DepthSample;
use serde::Serialize;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// The columns a trace is binned into once, before it is drawn at any width: fine enough
/// that resampling to a screen's plot moves no edge by more than a fraction of a pixel.
pub const FINE_COLUMNS: usize = 8192;

/// Traces of more chunks than this are reduced for drawing ahead, a pass of several
/// milliseconds each: by the worker that built them (`Trace::reduce_for_drawing`), or else in
/// a task of their own before they are drawn. Smaller ones are reduced as they are drawn, and
/// only if they are (a lane grid has [`FINE_COLUMNS`] columns a lane, whatever the tasks).
pub const REDUCE_AHEAD_ABOVE: usize = 20_000;

/// Per pixel column of one lane: which chunk covers most of it and where that chunk begins,
/// how many chunks touch it, and how many of those begin in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Column {
    /// How much of the column the chunk covers.
    pub(crate) cover: f64,
    /// The chunk that covers most of it (`usize::MAX` for none).
    pub(crate) chunk: usize,
    /// Where that chunk begins, in the grid's columns (it may lie left of this column).
    pub(crate) chunk_x0: f64,
    /// How many chunks touch it.
    pub(crate) count: u32,
    /// How many of those begin in it.
    pub(crate) starts: u32,
}

/// A column no chunk touches.
pub(crate) const EMPTY: Column = Column {
    cover: 0.0,
    chunk: usize::MAX,
    chunk_x0: 0.0,
    count: 0,
    starts: 0,
};

/// A trace binned into columns of equal time, lane by lane: for each column the chunk that
/// covers most of it and how many chunks touch it, and with the GIL on how much of it each
/// lane's thread held the GIL and waited for it. Built once per trace in one pass over its
/// chunks and GIL slices; every drawing of it at any width then costs only its columns
/// (`LaneGrid::drawing`, in `model::lane_drawing`), however many tasks the run had.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneGrid {
    /// Columns per lane.
    pub(crate) columns: usize,
    /// The thread each lane's chunks ran on, if one did.
    pub(crate) threads: Vec<Option<usize>>,
    /// The columns, lane after lane.
    pub(crate) cells: Vec<Column>,
    /// The time the columns span, ms (`layout::time_span`: a pass over every task, done once).
    pub(crate) span_ms: f64,
    /// With the GIL on: how much of each column each lane held it, lane after lane.
    pub(crate) held: Vec<f64>,
    /// With the GIL on: how much of each column each lane waited for it, lane after lane.
    pub(crate) waited: Vec<f64>,
}

/// One chunk's place in the gathered list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GatherCell {
    /// The chunk.
    pub index: usize,
    /// 0 for the first chunk whose results arrived, 1 for the second …
    pub arrival_rank: usize,
    /// When its results arrived, ms since the start.
    pub arrived_ms: f64,
    /// When its results reached the caller, ms since the start.
    pub delivered_ms: f64,
    /// How long its results waited between arriving and reaching the caller, ms.
    pub waited_ms: f64,
}

/// One cell of the gather strip: a run of neighbouring chunks in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherBin {
    /// The chunks it stands for.
    pub chunks: Range<usize>,
    /// Its first chunk's place in the gather (arrival rank and times).
    pub first: GatherCell,
    /// The longest any of its chunks' results waited for earlier ones, ms.
    pub waited_ms: f64,
    /// The items of its chunks.
    pub items: usize,
    /// Why the first of its failed chunks failed, if one did.
    pub error: Option<TaskError>,
}

/// A trace's drawings, each made once, on first use or by the worker that built the trace
/// (`Trace::reduce_for_drawing`). They follow from the rest of the trace.
#[derive(Debug, Clone, Default)]
pub struct Drawings {
    /// The lanes binned into [`FINE_COLUMNS`] columns (`Trace::binned_lanes`).
    pub(crate) lanes: OnceLock<Arc<LaneGrid>>,
    /// The queue's depth reduced for drawing (`Trace::binned_depth`).
    pub(crate) depth: OnceLock<Arc<Vec<DepthSample>>>,
    /// The gather strip's cells (`Trace::binned_gather`).
    pub(crate) gather: OnceLock<Arc<Vec<GatherBin>>>,
}
