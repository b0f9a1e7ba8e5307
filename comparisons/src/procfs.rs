//! The kernel's own memory accounting, read from `/proc`: `VmRSS`, `VmSize` and `VmPTE` from
//! `/proc/PID/status`, and `Pss` from `/proc/PID/smaps_rollup`.

use anyhow::{Context, Result, bail};

/// Memory figures of one process, in bytes, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusMem {
    /// Resident set size (`VmRSS`).
    pub rss_bytes: u64,
    /// Reserved virtual address space (`VmSize`).
    pub vm_bytes: u64,
    /// Memory used by the process's page tables (`VmPTE`).
    pub pte_bytes: u64,
}

fn proc_path(pid: Option<i32>, file: &str) -> String {
    match pid {
        Some(p) => format!("/proc/{p}/{file}"),
        None => format!("/proc/self/{file}"),
    }
}

fn kb_field(text: &str, name: &str) -> Result<u64> {
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(name)
            && let Some(rest) = rest.strip_prefix(':')
        {
            let num = rest.trim().trim_end_matches("kB").trim();
            let kb: u64 = num
                .parse()
                .with_context(|| format!("bad {name} value {num:?}"))?;
            return Ok(kb * 1024);
        }
    }
    bail!("no {name} line")
}

/// Parses the text of a `/proc/PID/status` file.
///
/// ```
/// let m = comparisons::procfs::parse_status("VmSize:\t  100 kB\nVmRSS:\t 20 kB\nVmPTE:\t 4 kB\n")
///     .expect("valid status");
/// assert_eq!((m.vm_bytes, m.rss_bytes, m.pte_bytes), (102400, 20480, 4096));
/// ```
pub fn parse_status(text: &str) -> Result<StatusMem> {
    Ok(StatusMem {
        rss_bytes: kb_field(text, "VmRSS")?,
        vm_bytes: kb_field(text, "VmSize")?,
        pte_bytes: kb_field(text, "VmPTE")?,
    })
}

/// Reads `/proc/PID/status` (`None`: this process).
pub fn status(pid: Option<i32>) -> Result<StatusMem> {
    let path = proc_path(pid, "status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status(&text).with_context(|| format!("parsing {path}"))
}

/// Parses the `Pss:` line of a `/proc/PID/smaps_rollup` file, in bytes.
///
/// ```
/// let text = "00400000-7fff [rollup]\nRss: 10 kB\nPss: 7 kB\n";
/// assert_eq!(comparisons::procfs::parse_pss(text).expect("valid"), 7168);
/// ```
pub fn parse_pss(text: &str) -> Result<u64> {
    kb_field(text, "Pss")
}

/// Proportional set size of a process (`None`: this process), from `/proc/PID/smaps_rollup`.
pub fn pss(pid: Option<i32>) -> Result<u64> {
    let path = proc_path(pid, "smaps_rollup");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_pss(&text).with_context(|| format!("parsing {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_status_reads() {
        let m = status(None).expect("own /proc status");
        assert!(m.rss_bytes > 0 && m.vm_bytes >= m.rss_bytes);
        assert!(pss(None).expect("own smaps_rollup") > 0);
    }

    #[test]
    fn missing_field_is_an_error() {
        assert!(parse_status("VmRSS: 1 kB\n").is_err());
        assert!(parse_pss("Rss: x kB\nPss: x kB").is_err());
    }
}
