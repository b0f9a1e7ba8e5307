//! The benchmark report: reads the medians criterion saved under `target/criterion`
//! ([`results`]), renders the README's benchmark tables ([`mod@tables`]) and the ratios the project
//! sets targets for ([`mod@ratios`]: native vs manual, corosensei vs native, thread vs corosensei,
//! pooled vs fresh stacks), so every published figure is computed from a run. Rows and ratios
//! name their styles with [`common::style::Style`], the names the benchmarks gave criterion.

pub mod ratios;
pub mod results;
pub mod tables;

pub use ratios::{ABSOLUTE, RATIOS, Ratio, Target, ratios};
pub use results::{Measurement, Results, default_dir, load};
pub use tables::{format_ns, tables};
