//! Byte counts and nanoseconds as the report and the charts print them.

/// Formats a byte count with a binary unit.
///
/// ```
/// assert_eq!(comparisons::report::bytes(1536.0), "1.5 KiB");
/// assert_eq!(comparisons::report::bytes(40.0), "40 B");
/// ```
pub fn bytes(b: f64) -> String {
    let a = b.abs();
    if a >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    } else if a >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", b / (1024.0 * 1024.0))
    } else if a >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// Formats nanoseconds with a suitable unit.
///
/// ```
/// assert_eq!(comparisons::report::nanos(1500.0), "1.50 µs");
/// assert_eq!(comparisons::report::nanos(2.25), "2.2 ns");
/// ```
pub fn nanos(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
