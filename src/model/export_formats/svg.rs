//! The lanes as a self-contained SVG picture: the run's heading as its title, one lane per
//! worker (`worker w · thread t`), each task a box in its colour as the page draws it (pale
//! where, with the GIL on, its thread did not hold the lock; hatched where it waited for it;
//! striped where a box stands for many tasks too short to draw apart; a dark band for the
//! pickling share; a process's start-up grey and hatched), and a time axis. Drawn from the
//! trace's [`LaneGrid`](crate::model::lane_grid::LaneGrid) like the page's lanes, so its size
//! is bounded by its pixels: a run of a million tasks makes a small file.

use crate::model::lane_drawing::GilState;
use crate::model::layout::{chunk_hue, describe_chunk, tick_step, time_span};
use crate::model::sentences::run_heading;
use crate::model::trace::Trace;
use crate::model::words::{count, ms};
use std::fmt::Write;

/// The picture's width, px.
pub const WIDTH: f64 = 1200.0;
/// Room for the lanes' names, px.
const GUTTER: f64 = 150.0;
/// Room right of the plot, px.
const MARGIN: f64 = 16.0;
/// Room for the title, px.
const TITLE: f64 = 40.0;
const LANE: f64 = 24.0;
const GAP: f64 = 6.0;
const AXIS: f64 = 30.0;

/// `text` with the characters XML reserves escaped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A chunk's colour at a lightness, as the page draws it.
fn colour(chunk: usize, lightness: u32) -> String {
    format!("hsl({},70%,{lightness}%)", chunk_hue(chunk))
}

/// The height of the picture of `lanes` lanes, px.
pub fn height(lanes: usize) -> f64 {
    TITLE + lanes as f64 * (LANE + GAP) + AXIS
}

/// `trace`'s lanes as an SVG document.
pub fn svg(trace: &Trace) -> String {
    let grid = trace.binned_lanes();
    let lanes = grid.lane_threads().len();
    let plot = WIDTH - GUTTER - MARGIN;
    let drawing = grid.drawing(plot);
    let heading = escaped(&run_heading(trace));
    let mut out = String::new();
    // Writing to a String cannot fail: the results of `write!` are ignored below.
    let _ = write!(
        out,
        concat!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" ",
            "viewBox=\"0 0 {w} {h}\" font-family=\"system-ui, sans-serif\" font-size=\"12\" ",
            "role=\"img\" data-boxes=\"{boxes}\">\n",
            "<title>{heading}</title>\n",
            "<defs>",
            "<pattern id=\"many\" width=\"3\" height=\"4\" patternUnits=\"userSpaceOnUse\">",
            "<rect x=\"1.5\" width=\"1\" height=\"4\" fill=\"rgba(255,255,255,0.7)\"/></pattern>",
            "<pattern id=\"waiting\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" ",
            "patternTransform=\"rotate(45)\">",
            "<rect width=\"1\" height=\"6\" fill=\"rgba(0,0,0,0.3)\"/></pattern>",
            "<pattern id=\"startup\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" ",
            "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#c9ced8\"/>",
            "<rect width=\"1\" height=\"6\" fill=\"rgba(255,255,255,0.8)\"/></pattern>",
            "</defs>\n",
            "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
            "<text x=\"4\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"#111\">{heading}</text>\n"
        ),
        w = WIDTH,
        h = height(lanes),
        boxes = drawing.boxes.len(),
        heading = heading,
    );
    for (worker, thread) in grid.lane_threads().iter().enumerate() {
        let y = TITLE + worker as f64 * (LANE + GAP);
        let label = match thread {
            Some(_) if trace.processes.is_some() => format!("worker {worker} · process"),
            Some(thread) => format!("worker {worker} · thread {thread}"),
            None => format!("worker {worker} · idle"),
        };
        let _ = writeln!(
            out,
            "<rect class=\"lane\" x=\"{GUTTER}\" y=\"{y}\" width=\"{plot}\" height=\"{LANE}\" fill=\"#eef0f4\"/>\
             <text x=\"4\" y=\"{}\" dominant-baseline=\"middle\" fill=\"#333\">{label}</text>",
            y + LANE / 2.0
        );
    }
    write_process_startup(&mut out, trace, plot);
    // With the GIL on, a box is pale where its thread did not hold the lock.
    let lightness = if trace.gil() { 86 } else { 58 };
    for b in &drawing.boxes {
        let (x, y, w) = (
            GUTTER + b.x0,
            TITLE + b.worker as f64 * (LANE + GAP),
            b.x1 - b.x0,
        );
        let title = if b.merged == 1 {
            describe_chunk(trace, b.chunk).unwrap_or_default()
        } else {
            format!("{} too short to draw apart", count(b.merged, "task"))
        };
        let stroke = if b.merged == 1 && w > 2.0 {
            " stroke=\"rgba(0,0,0,0.35)\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<rect class=\"box\" data-chunk=\"{}\" data-merged=\"{}\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{}\"{stroke}><title>{}</title></rect>",
            b.chunk,
            b.merged,
            y + 1.0,
            LANE - 2.0,
            colour(b.chunk, lightness),
            escaped(&title)
        );
        if b.merged > 1 && w > 3.0 {
            let _ = writeln!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"url(#many)\"/>",
                y + 1.0,
                LANE - 2.0
            );
        }
    }
    for span in &drawing.gil {
        let (x, y, w) = (
            GUTTER + span.x0,
            TITLE + span.worker as f64 * (LANE + GAP),
            span.x1 - span.x0,
        );
        let fill = match span.state {
            GilState::Holding => colour(span.chunk, 50),
            GilState::Waiting => "url(#waiting)".to_owned(),
        };
        let _ = writeln!(
            out,
            "<rect class=\"gil\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{fill}\"/>",
            y + 1.0,
            LANE - 2.0
        );
    }
    for b in drawing.boxes.iter().filter(|b| b.merged == 1) {
        let Some(chunk) = trace.chunk(b.chunk) else {
            continue;
        };
        let (x, y, w) = (
            GUTTER + b.x0,
            TITLE + b.worker as f64 * (LANE + GAP),
            b.x1 - b.x0,
        );
        let crossing = chunk.crossing_share();
        if crossing > 0.0 {
            let _ = writeln!(
                out,
                "<rect class=\"pickling\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"5\" fill=\"rgba(0,0,0,0.55)\"/>",
                y + LANE - 6.0,
                (w * crossing).max(1.0)
            );
        }
        if w > 22.0 {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\" fill=\"#111\">{}</text>",
                x + 4.0,
                y + LANE / 2.0,
                b.chunk
            );
        }
    }
    write_lower_bound(&mut out, trace, lanes, plot);
    write_axis(&mut out, trace, lanes, plot);
    out.push_str("</svg>\n");
    out
}

/// Each process this run started (and each replacement of a dead one), grey and hatched
/// from when it was asked for until it was ready, as the page draws it.
fn write_process_startup(out: &mut String, trace: &Trace, plot: f64) {
    let Some(processes) = &trace.processes else {
        return;
    };
    let span = time_span(trace);
    for startup in processes.spans(&trace.worker_started_ms, trace.wall_ms) {
        let y = TITLE + startup.process as f64 * (LANE + GAP);
        let (x0, width) = (
            startup.from_ms / span * plot,
            (startup.to_ms - startup.from_ms) / span * plot,
        );
        let _ = writeln!(
            out,
            "<rect class=\"startup\" x=\"{}\" y=\"{}\" width=\"{width}\" height=\"{}\" fill=\"url(#startup)\"><title>process start-up: {}</title></rect>",
            GUTTER + x0,
            y + 1.0,
            LANE - 2.0,
            ms(startup.to_ms - startup.from_ms, 1)
        );
        if width > 60.0 {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" dominant-baseline=\"middle\" fill=\"#333\">start-up</text>",
                GUTTER + x0 + 4.0,
                y + LANE / 2.0
            );
        }
    }
}

/// The run's lower bound (the verdict's), a dashed line across the lanes as the page draws it.
fn write_lower_bound(out: &mut String, trace: &Trace, lanes: usize, plot: f64) {
    let (span, bound_ms) = (time_span(trace), trace.verdict().lower_bound_ms);
    if span <= 0.0 || bound_ms <= 0.0 {
        return;
    }
    let x = GUTTER + (bound_ms / span).min(1.0) * plot;
    let anchor = if x + 140.0 > WIDTH { "end" } else { "start" };
    let _ = writeln!(
        out,
        "<line class=\"lower-bound\" x1=\"{x}\" y1=\"{TITLE}\" x2=\"{x}\" y2=\"{}\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#b3261e\">lower bound {}</text>",
        TITLE + lanes as f64 * (LANE + GAP),
        if anchor == "end" { x - 4.0 } else { x + 4.0 },
        TITLE - 4.0,
        ms(bound_ms, 0)
    );
}

/// The time axis under the lanes: round ticks, labelled in ms.
fn write_axis(out: &mut String, trace: &Trace, lanes: usize, plot: f64) {
    let span = time_span(trace);
    let step = tick_step(span, (plot / 90.0).max(2.0));
    let y = TITLE + lanes as f64 * (LANE + GAP);
    let _ = writeln!(
        out,
        "<line x1=\"{GUTTER}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#999\"/>",
        GUTTER + plot
    );
    let mut t = 0.0;
    while t <= span + 1e-9 {
        let x = GUTTER + t / span * plot;
        let label = ms(t, if step < 1.0 { 1 } else { 0 });
        // The last label ends at its tick, so it stays inside the picture.
        let anchor = if x + 60.0 > WIDTH { "end" } else { "start" };
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{y}\" x2=\"{x}\" y2=\"{}\" stroke=\"#999\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#555\">{label}</text>",
            y + 5.0,
            if anchor == "end" { x - 2.0 } else { x + 2.0 },
            y + 18.0
        );
        t += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::tests::{gil_taken_in_turns, round_robin_spans, trace_of};

    fn occurrences(text: &str, what: &str) -> usize {
        text.matches(what).count()
    }

    #[test]
    fn each_wide_task_is_a_box_of_its_colour_under_the_runs_heading() {
        let trace = trace_of(
            &[(0, 3, 0.0, 5.0), (1, 4, 0.0, 10.0), (0, 3, 5.0, 10.0)],
            &[0, 1, 2],
        );
        let text = svg(&trace);
        assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(text.contains(&format!("<title>{}</title>", escaped(&run_heading(&trace)))));
        assert_eq!(occurrences(&text, "class=\"box\""), 3);
        assert!(text.contains("data-boxes=\"3\""));
        assert_eq!(occurrences(&text, "class=\"lane\""), 2);
        assert!(text.contains(">worker 1 · thread 4<"));
        for chunk in 0..3 {
            assert!(text.contains(&format!("data-chunk=\"{chunk}\" data-merged=\"1\"")));
            assert!(text.contains(&colour(chunk, 58)));
        }
        // Chunk 2 takes the second half of lane 0.
        let plot = WIDTH - GUTTER - MARGIN;
        assert!(text.contains(&format!(
            "data-chunk=\"2\" data-merged=\"1\" x=\"{}\"",
            GUTTER + plot / 2.0
        )));
        assert!(
            text.contains(">0 ms<") && text.contains(">10 ms<"),
            "the axis spans the run"
        );
        assert!(text.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn the_lower_bound_is_a_line_across_the_lanes() {
        // 4 + 4 + 6 ms of work on 2 workers: 7 ms, of a 10 ms run.
        let trace = trace_of(
            &[(0, 0, 0.0, 4.0), (1, 1, 0.0, 4.0), (0, 0, 4.0, 10.0)],
            &[0, 1, 2],
        );
        let text = svg(&trace);
        let x = GUTTER + 0.7 * (WIDTH - GUTTER - MARGIN);
        assert!(
            text.contains(&format!("<line class=\"lower-bound\" x1=\"{x}\"")),
            "{text}"
        );
        assert!(text.contains(">lower bound 7 ms<"));
    }

    #[test]
    fn text_is_escaped_and_gil_runs_show_holding_and_waiting() {
        assert_eq!(
            escaped("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        let mut trace = trace_of(&[(0, 0, 0.0, 10.0), (1, 1, 0.0, 10.0)], &[0, 1]);
        trace.config.strategy = crate::model::strategy::Strategy::QueueQueue;
        trace.config.gil = true;
        trace.gil_slices = gil_taken_in_turns();
        let text = svg(&trace);
        assert!(
            text.contains(&colour(0, 86)),
            "pale where the lock was not held"
        );
        assert!(occurrences(&text, "class=\"gil\"") >= 3);
        assert!(text.contains("url(#waiting)"));
    }

    #[test]
    fn processes_are_named_and_their_start_up_drawn() {
        let text = svg(&crate::model::export_formats::chrome_tests::process_trace());
        assert!(text.contains(">worker 1 · process<"));
        assert_eq!(occurrences(&text, "class=\"startup\""), 2);
        let plot = WIDTH - GUTTER - MARGIN;
        let width = 4.0 / 8.0 * plot;
        assert!(
            text.contains(&format!(
                "class=\"startup\" x=\"{GUTTER}\" y=\"71\" width=\"{width}\""
            )),
            "lane 1 ready at 4 of 8 ms"
        );
    }

    #[test]
    fn a_million_tasks_make_a_small_picture() {
        let spans = round_robin_spans(1_000_000);
        let text = svg(&trace_of(&spans, &[]));
        assert!(text.len() < 200_000, "{} bytes", text.len());
        assert!(occurrences(&text, "class=\"box\"") >= 4);
        assert!(text.contains("too short to draw apart"));
    }
}
