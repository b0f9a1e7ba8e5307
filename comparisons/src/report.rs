//! The report: the JSON document (`comparison.json`, [`model`]) built from each row's samples
//! ([`build`], with the words on how each figure was measured from [`method`]), the markdown report
//! (`comparison.md`, [`mod@markdown`]) with the article's claim next to every figure, and the guide to
//! choosing a style generated from the figures ([`mod@guide`]). [`units`] formats bytes and
//! nanoseconds for all of them and for the charts.

pub mod build;
pub mod guide;
pub mod markdown;
pub mod method;
pub mod model;
pub mod units;

pub use build::build_row;
pub use guide::guide;
pub use markdown::{markdown, summary_table};
pub use model::{Article, Holds, Method, Report, Row};
pub use units::{bytes, nanos};
