//! Writes a run's outputs: `comparison.json`, `comparison.md` and the SVG charts.

use std::path::Path;

use anyhow::{Context, Result};

use crate::report::{self, Report};

/// Writes `comparison.json`, `comparison.md` and the three SVG charts into `dir`.
pub fn write_outputs(report: &Report, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let json = serde_json::to_string_pretty(report).context("encoding the report")?;
    let path = dir.join("comparison.json");
    std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    let path = dir.join("comparison.md");
    std::fs::write(&path, report::markdown(report))
        .with_context(|| format!("writing {}", path.display()))?;
    crate::chart::write_charts(report, dir)
}
