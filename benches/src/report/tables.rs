//! The README's benchmark tables: one markdown table per criterion group, a row per style (in
//! [`Style`] order), a column per parameter.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use common::style::Style;

use super::results::{Measurement, Results, parameter_order};

/// Formats nanoseconds with a unit that keeps three significant figures.
pub fn format_ns(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v < 10.0 {
        format!("{v:.2} {unit}")
    } else if v < 100.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// Where a row goes: the styles in [`Style::ALL`] order, so tables of two runs line up; a
/// function id that names no style (a benchmark this crate did not write) comes after them.
fn row_rank(function: &str) -> usize {
    Style::from_name(function).map_or(Style::ALL.len(), |style| style as usize)
}

/// One markdown table per group: a row per style, a column per parameter, each cell the median
/// time per iteration and, when an iteration handles several elements, the time per element.
pub fn tables(results: &Results) -> String {
    let mut groups: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    for m in results.iter() {
        groups.entry(m.group.as_str()).or_default().push(m);
    }
    let mut out = String::new();
    for (group, ms) in groups {
        let mut params: Vec<Option<String>> = Vec::new();
        let mut functions: Vec<&str> = Vec::new();
        for m in &ms {
            if !params.contains(&m.parameter) {
                params.push(m.parameter.clone());
            }
            if !functions.contains(&m.function.as_str()) {
                functions.push(&m.function);
            }
        }
        params.sort_by(parameter_order);
        functions.sort_by_key(|f| (row_rank(f), *f));
        let _ = writeln!(out, "### `{group}`\n");
        let _ = write!(out, "| style |");
        for p in &params {
            let _ = write!(out, " {} |", p.as_deref().unwrap_or("median"));
        }
        let _ = write!(out, "\n|---|");
        for _ in &params {
            let _ = write!(out, "---:|");
        }
        out.push('\n');
        for f in functions {
            let _ = write!(out, "| {f} |");
            for p in &params {
                let cell = match results.get(group, f, p.as_deref()) {
                    None => "–".to_owned(),
                    Some(m) => match (m.per_iteration, m.ns_per_element()) {
                        (Some(n), Some(per)) if n > 1 => {
                            format!("{} ({}/elem)", format_ns(m.median_ns), format_ns(per))
                        }
                        _ => format_ns(m.median_ns),
                    },
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, function: &str, parameter: Option<&str>, median_ns: f64) -> Measurement {
        Measurement {
            group: group.into(),
            function: function.into(),
            parameter: parameter.map(Into::into),
            median_ns,
            per_iteration: Some(1),
        }
    }

    #[test]
    fn tables_order_parameters_numerically() {
        let mut r = Results::default();
        r.insert(m(
            "tree",
            Style::StackfulRecursion.name(),
            Some("16"),
            100.0,
        ));
        r.insert(m(
            "tree",
            Style::StackfulRecursion.name(),
            Some("4"),
            2_500.0,
        ));
        let text = tables(&r);
        assert!(text.contains("| style | 4 | 16 |"), "{text}");
        assert!(
            text.contains("| stackful-recursion | 2.50 µs | 100 ns |"),
            "{text}"
        );
    }

    #[test]
    fn rows_follow_the_style_order_and_unknown_ids_come_last() {
        let mut r = Results::default();
        for f in [
            "zz-other",
            "thread",
            "corosensei",
            "aa-other",
            "manual",
            "native",
        ] {
            r.insert(m("switch", f, None, 1.0));
        }
        let text = tables(&r);
        let rows: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" |").next())
            .filter(|f| *f != "style")
            .collect();
        assert_eq!(
            rows,
            [
                "manual",
                "native",
                "corosensei",
                "thread",
                "aa-other",
                "zz-other"
            ]
        );
    }

    #[test]
    fn formats_units() {
        assert_eq!(format_ns(1.234), "1.23 ns");
        assert_eq!(format_ns(12_345.0), "12.3 µs");
        assert_eq!(format_ns(2.5e9), "2.50 s");
    }
}
