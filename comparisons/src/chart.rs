//! SVG bar charts of the measured medians (log scale, min – max whiskers), drawn with plotters'
//! SVG backend only, so no font or system libraries are needed. A bar may carry a second segment
//! stacked on it (memory: the kernel's part on top of user space). The scaling chart is two
//! log-log panels of lines, one per row.

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
    /// Colour index (bars of one series share one); `None`: one colour per bar.
    pub color: Option<usize>,
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
                Palette99::pick(b.color.unwrap_or(i)).filled(),
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

/// Writes `memory.svg`, `switch.svg`, `create.svg` and `scaling.svg` for the measured rows of
/// `report` into `dir`.
pub fn write_charts(report: &Report, dir: &Path) -> Result<()> {
    let memory: Vec<Bar> = report
        .rows
        .iter()
        .filter_map(|r| {
            Some(Bar {
                label: r.kind.as_str().to_string(),
                stat: r.memory_bytes.clone()?,
                on_top: r.kernel_bytes.clone(),
                color: None,
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
                        color: None,
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
    let (handoff, memory) = scaling_lines(report);
    scaling_chart(
        &dir.join("scaling.svg"),
        "A ring of N live units passing a token (each N in a fresh process on one CPU)",
        &handoff,
        &memory,
    )?;
    Ok(())
}

/// One line of a log-log chart: a label and its (x, y) points, x increasing.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// In the legend.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// Draws `lines` on a log-log panel of `area`.
fn log_log_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    y_label: &str,
    lines: &[Line],
    unit: fn(f64) -> String,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: &dyn std::fmt::Display| anyhow!("drawing {title}: {err}");
    let all = lines.iter().flat_map(|l| l.points.iter());
    let (mut x_max, mut y_min, mut y_max) = (1.0f64, f64::INFINITY, 0.0f64);
    for &(x, y) in all {
        x_max = x_max.max(x);
        if y > 0.0 {
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
    }
    if !y_min.is_finite() {
        (y_min, y_max) = (1.0, 10.0);
    }
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(72)
        .build_cartesian_2d(
            (0.5f64..x_max * 2.0).log_scale(),
            (y_min / 2.0..y_max * 2.0).log_scale(),
        )
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .x_desc("live units N (log scale)")
        .y_desc(y_label)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| unit(*v))
        .draw()
        .map_err(|x| e(&x))?;
    for (i, l) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let pts: Vec<(f64, f64)> = l.points.iter().copied().filter(|p| p.1 > 0.0).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|x| e(&x))?
            .label(l.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(|x| e(&x))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|x| e(&x))?;
    Ok(())
}

/// Draws the scaling chart into the SVG file `path`: cost per hand-off (left) and memory per
/// unit (right) against the number of live units, log-log, one line per row.
pub fn scaling_chart(path: &Path, title: &str, handoff: &[Line], memory: &[Line]) -> Result<()> {
    let e = |err: &dyn std::fmt::Display| anyhow!("drawing {}: {err}", path.display());
    let root = SVGBackend::new(path, (1400, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let root = root.titled(title, ("sans-serif", 22)).map_err(|x| e(&x))?;
    let (left, right) = root.split_horizontally(700);
    log_log_panel(
        &left,
        "Time per hand-off",
        "per hand-off (log scale)",
        handoff,
        crate::report::nanos,
    )?;
    log_log_panel(
        &right,
        "Memory per live unit, user + kernel",
        "per unit (log scale)",
        memory,
        crate::report::bytes,
    )?;
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The scaling chart's lines of `report`: per row, hand-off time and memory per unit by N.
pub fn scaling_lines(report: &Report) -> (Vec<Line>, Vec<Line>) {
    let mut handoff = Vec::new();
    let mut memory = Vec::new();
    for r in &report.rows {
        let points: Vec<&crate::scaling::ScalingPoint> =
            report.scaling.iter().filter(|p| p.kind == r.kind).collect();
        if points.is_empty() {
            continue;
        }
        let label = r.kind.as_str().to_string();
        handoff.push(Line {
            label: label.clone(),
            points: points.iter().map(|p| (p.n as f64, p.handoff_ns)).collect(),
        });
        memory.push(Line {
            label,
            points: points
                .iter()
                .map(|p| (p.n as f64, p.total_bytes()))
                .collect(),
        });
    }
    (handoff, memory)
}
