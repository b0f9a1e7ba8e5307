//! SVG bar charts of the measured medians (log scale, min – max whiskers), drawn with plotters'
//! SVG backend only, so no font or system libraries are needed. A bar may carry a second segment
//! stacked on it (memory: the kernel's part on top of user space).

use crate::report::Report;
use crate::report::model::Timing;
use crate::stats::Stat;
use anyhow::{Result, anyhow};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::path::Path;

/// One bar: a label, its figure, and optionally a second figure stacked on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Under the bar.
    pub label: String,
    /// The bar (median, with a min – max whisker).
    pub stat: Stat,
    /// A segment stacked on it, in another colour (its median is added to the bar's).
    pub on_top: Option<Stat>,
}

impl Bar {
    fn top(&self) -> f64 {
        self.stat.median + self.on_top.as_ref().map_or(0.0, |t| t.median.max(0.0))
    }

    fn whisker(&self) -> (f64, f64) {
        let (lo, hi) = self
            .on_top
            .as_ref()
            .map_or((0.0, 0.0), |t| (t.min.max(0.0), t.max.max(0.0)));
        (self.stat.min + lo, self.stat.max + hi)
    }
}

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
        .map(|b| b.stat.min.max(floor))
        .fold(f64::INFINITY, f64::min)
        / 2.0;
    let hi = bars
        .iter()
        .map(|b| b.whisker().1.max(floor))
        .fold(0.0, f64::max)
        * 2.0;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
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
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), lo),
                    (SegmentValue::Exact(i + 1), b.stat.median.max(floor)),
                ],
                Palette99::pick(i).filled(),
            );
            r.set_margin(0, 0, 12, 12);
            r
        }))
        .map_err(|x| e(&x))?;
    chart
        .draw_series(
            bars.iter()
                .enumerate()
                .filter(|(_, b)| b.on_top.is_some())
                .map(|(i, b)| {
                    let mut r = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), b.stat.median.max(floor)),
                            (SegmentValue::Exact(i + 1), b.top().max(floor)),
                        ],
                        BLACK.mix(0.35).filled(),
                    );
                    r.set_margin(0, 0, 12, 12);
                    r
                }),
        )
        .map_err(|x| e(&x))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let (min, max) = b.whisker();
            PathElement::new(
                vec![
                    (SegmentValue::CenterOf(i), min.max(floor)),
                    (SegmentValue::CenterOf(i), max.max(floor)),
                ],
                BLACK.stroke_width(2),
            )
        }))
        .map_err(|x| e(&x))?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            Text::new(
                unit(b.top()),
                (SegmentValue::Exact(i), b.whisker().1.max(floor) * 1.15),
                ("sans-serif", 14),
            )
        }))
        .map_err(|x| e(&x))?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// A row's timed figures of one chart, each with the suffix of its bar's label.
type RowTimings = fn(&crate::report::Row) -> [(&'static str, Option<&Timing>); 3];

/// Writes `memory.svg`, `switch.svg` and `create.svg` for the measured rows of `report` into `dir`.
pub fn write_charts(report: &Report, dir: &Path) -> Result<()> {
    let memory: Vec<Bar> = report
        .rows
        .iter()
        .filter_map(|r| {
            Some(Bar {
                label: r.kind.as_str().to_string(),
                stat: r.memory_bytes.clone()?,
                on_top: r.kernel_bytes.clone(),
            })
        })
        .collect();
    bar_chart(
        &dir.join("memory.svg"),
        "Memory per live suspended unit: user space, kernel (grey) on top (median, min-max)",
        "per unit (log scale)",
        &memory,
        crate::report::bytes,
    )?;
    let timed = |f: RowTimings| -> Vec<Bar> {
        report
            .rows
            .iter()
            .flat_map(|r| {
                f(r).into_iter().filter_map(|(suffix, t)| {
                    Some(Bar {
                        label: format!("{}{suffix}", r.kind.as_str()),
                        stat: t?.stat.clone(),
                        on_top: None,
                    })
                })
            })
            .collect()
    };
    bar_chart(
        &dir.join("switch.svg"),
        "Switch round trip, two switches (median, min-max); x: ends on two CPUs, u: unpinned",
        "time (log scale)",
        &timed(|r| {
            [
                ("", r.switch_ns.as_ref()),
                (" x", r.switch_cross_cpu_ns.as_ref()),
                (" u", r.switch_unpinned_ns.as_ref()),
            ]
        }),
        crate::report::nanos,
    )?;
    bar_chart(
        &dir.join("create.svg"),
        "Create, run to first suspension, destroy (median, min-max); u: unpinned, p: pooled stack",
        "time (log scale)",
        &timed(|r| {
            [
                ("", r.create_ns.as_ref()),
                (" u", r.create_unpinned_ns.as_ref()),
                (" p", r.create_pooled_ns.as_ref()),
            ]
        }),
        crate::report::nanos,
    )?;
    Ok(())
}
