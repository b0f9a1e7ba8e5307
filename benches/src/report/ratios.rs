//! The ratios the project reports between two styles of one group, and the targets some of them
//! are held to.

use std::fmt::Write as _;

use common::style::Style;

use super::results::{Results, parameter_order};
use super::tables::format_ns;

/// What a ratio or figure is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Informative only.
    None,
    /// The value must be at most this.
    AtMost(f64),
    /// The value must be at least this.
    AtLeast(f64),
}

impl Target {
    fn verdict(self, v: f64) -> &'static str {
        match self {
            Target::None => "",
            Target::AtMost(t) if v <= t => "met",
            Target::AtLeast(t) if v >= t => "met",
            _ => "**MISSED**",
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Target::None => String::new(),
            Target::AtMost(t) => format!("≤ {t}{unit}"),
            Target::AtLeast(t) => format!("≥ {t}{unit}"),
        }
    }
}

/// A ratio of two measurements of the same group and parameter: `numerator / denominator`.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    /// Criterion group.
    pub group: &'static str,
    /// Style on top.
    pub numerator: Style,
    /// Style below.
    pub denominator: Style,
    /// What the ratio must be.
    pub target: Target,
}

/// The ratios the README reports, with the project's targets: a native coroutine within 1.3x of
/// the hand-written state machine, a pooled stack at least 20x cheaper to create than a fresh one
/// and within 3x of a boxed native coroutine, stackful scheduler tasks within 3x of stackless ones
/// at every size.
pub const RATIOS: &[Ratio] = &[
    Ratio {
        group: "switch",
        numerator: Style::Native,
        denominator: Style::Manual,
        target: Target::AtMost(1.3),
    },
    Ratio {
        group: "fib",
        numerator: Style::Native,
        denominator: Style::Manual,
        target: Target::AtMost(1.3),
    },
    Ratio {
        group: "switch",
        numerator: Style::Corosensei,
        denominator: Style::Native,
        target: Target::None,
    },
    Ratio {
        group: "switch",
        numerator: Style::Thread,
        denominator: Style::Corosensei,
        target: Target::None,
    },
    Ratio {
        group: "create",
        numerator: Style::CorosenseiFresh,
        denominator: Style::CorosenseiPooled,
        target: Target::AtLeast(20.0),
    },
    Ratio {
        group: "create",
        numerator: Style::CorosenseiFresh,
        denominator: Style::NativeBoxed,
        target: Target::None,
    },
    Ratio {
        group: "create",
        numerator: Style::CorosenseiPooled,
        denominator: Style::NativeBoxed,
        target: Target::AtMost(3.0),
    },
    Ratio {
        group: "create",
        numerator: Style::NativeBoxed,
        denominator: Style::Manual,
        target: Target::None,
    },
    Ratio {
        group: "fib",
        numerator: Style::Corosensei,
        denominator: Style::Native,
        target: Target::None,
    },
    Ratio {
        group: "counter",
        numerator: Style::Native,
        denominator: Style::Manual,
        target: Target::None,
    },
    Ratio {
        group: "tree",
        numerator: Style::StackfulRecursion,
        denominator: Style::StacklessExplicitStack,
        target: Target::None,
    },
    Ratio {
        group: "tree",
        numerator: Style::StacklessBoxed,
        denominator: Style::StacklessExplicitStack,
        target: Target::None,
    },
    Ratio {
        group: "scheduler",
        numerator: Style::Stackful,
        denominator: Style::Stackless,
        target: Target::AtMost(3.0),
    },
];

/// Absolute targets: (group, style, at most this many ns per iteration).
pub const ABSOLUTE: &[(&str, Style, f64)] = &[("switch", Style::Corosensei, 10.0)];

/// The ratio table: one row per ratio and parameter both sides were measured at.
pub fn ratios(results: &Results) -> String {
    let mut out =
        String::from("| ratio (medians) | value | target | verdict |\n|---|---:|---|---|\n");
    for r in RATIOS {
        let (numerator, denominator) = (r.numerator.name(), r.denominator.name());
        let mut params: Vec<Option<String>> = results
            .iter()
            .filter(|m| m.group == r.group && m.function == numerator)
            .map(|m| m.parameter.clone())
            .collect();
        params.sort_by(parameter_order);
        let mut any = false;
        for p in params {
            let (Some(num), Some(den)) = (
                results.get(r.group, numerator, p.as_deref()),
                results.get(r.group, denominator, p.as_deref()),
            ) else {
                continue;
            };
            any = true;
            let v = num.median_ns / den.median_ns;
            let at = p.map(|p| format!(" at {p}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{g}`{at}: {numerator} / {denominator} | {v:.2}x | {t} | {verdict} |",
                g = r.group,
                t = r.target.describe("x"),
                verdict = r.target.verdict(v),
            );
        }
        if !any {
            let _ = writeln!(
                out,
                "| `{}`: {numerator} / {denominator} | not measured | {} | |",
                r.group,
                r.target.describe("x")
            );
        }
    }
    for &(group, style, limit) in ABSOLUTE {
        let target = Target::AtMost(limit);
        match results.get(group, style.name(), None) {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "| `{group}`: {style} round trip | {} | {} | {} |",
                    format_ns(m.median_ns),
                    target.describe(" ns"),
                    target.verdict(m.median_ns)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "| `{group}`: {style} round trip | not measured | {} | |",
                    target.describe(" ns")
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Measurement;

    fn m(group: &str, style: Style, median_ns: f64) -> Measurement {
        Measurement {
            group: group.into(),
            function: style.name().into(),
            parameter: None,
            median_ns,
            per_iteration: Some(1),
        }
    }

    #[test]
    fn ratios_and_verdicts() {
        let mut r = Results::default();
        r.insert(m("switch", Style::Manual, 1.0));
        r.insert(m("switch", Style::Native, 1.5));
        r.insert(m("switch", Style::Corosensei, 12.0));
        r.insert(m("create", Style::CorosenseiFresh, 5000.0));
        r.insert(m("create", Style::CorosenseiPooled, 50.0));
        let text = ratios(&r);
        assert!(text.contains("| `switch`: native / manual | 1.50x | ≤ 1.3x | **MISSED** |"));
        assert!(text.contains("corosensei-fresh / corosensei-pooled | 100.00x | ≥ 20x | met |"));
        assert!(
            text.contains("| `switch`: corosensei round trip | 12.0 ns | ≤ 10 ns | **MISSED** |")
        );
        assert!(text.contains("| `fib`: native / manual | not measured |"));
    }
}
