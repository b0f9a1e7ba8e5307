//! SVG bar charts of the measured medians (log scale, min – max whiskers), drawn with plotters'
//! SVG backend only, so no font or system libraries are needed.

use crate::report::Report;
use crate::stats::Stat;
use anyhow::{Result, anyhow};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::path::Path;

/// One bar: a label and its figure.
pub type Bar = (String, Stat);

/// Draws a bar chart of `bars` with a logarithmic y axis into the SVG file `path`.
pub fn bar_chart(
    path: &Path,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    unit: fn(f64) -> String,
) -> Result<()> {
    let e = |err: &dyn std::fmt::Display| anyhow!("drawing {}: {err}", path.display());
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    if bars.is_empty() {
        root.present().map_err(|x| e(&x))?;
        return Ok(());
    }
    // log scale needs positive values: a figure at or below zero is drawn at the floor
    let floor = 0.1f64;
    let lo = bars
        .iter()
        .map(|(_, s)| s.min.max(floor))
        .fold(f64::INFINITY, f64::min)
        / 2.0;
    let hi = bars
        .iter()
        .map(|(_, s)| s.max.max(floor))
        .fold(0.0, f64::max)
        * 2.0;
    let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
    let n = bars.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((0..(n - 1).max(1)).into_segmented(), (lo..hi).log_scale())
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_label)
        .y_label_formatter(&|v| unit(*v))
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(|x| e(&x))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, s))| {
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), lo),
                    (SegmentValue::Exact(i + 1), s.median.max(floor)),
                ],
                Palette99::pick(i).filled(),
            );
            r.set_margin(0, 0, 12, 12);
            r
        }))
        .map_err(|x| e(&x))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, s))| {
            PathElement::new(
                vec![
                    (SegmentValue::CenterOf(i), s.min.max(floor)),
                    (SegmentValue::CenterOf(i), s.max.max(floor)),
                ],
                BLACK.stroke_width(2),
            )
        }))
        .map_err(|x| e(&x))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, s))| {
            Text::new(
                unit(s.median),
                (SegmentValue::Exact(i), s.max.max(floor) * 1.15),
                ("sans-serif", 14),
            )
        }))
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// Writes `memory.svg`, `switch.svg` and `create.svg` for the measured rows of `report` into `dir`.
pub fn write_charts(report: &Report, dir: &Path) -> Result<()> {
    let pick = |f: fn(&crate::report::Row) -> Option<Stat>| -> Vec<Bar> {
        report
            .rows
            .iter()
            .filter_map(|r| f(r).map(|s| (r.kind.as_str().to_string(), s)))
            .collect()
    };
    bar_chart(
        &dir.join("memory.svg"),
        "Resident memory per live suspended unit (median, min-max)",
        "per unit (log scale)",
        &pick(|r| r.memory_bytes),
        crate::report::bytes,
    )?;
    bar_chart(
        &dir.join("switch.svg"),
        "Switch round trip, two switches (median, min-max)",
        "time (log scale)",
        &pick(|r| r.switch_ns),
        crate::report::nanos,
    )?;
    bar_chart(
        &dir.join("create.svg"),
        "Create, run to first suspension, destroy (median, min-max)",
        "time (log scale)",
        &pick(|r| r.create_ns),
        crate::report::nanos,
    )?;
    Ok(())
}
