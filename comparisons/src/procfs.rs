//! The kernel's own accounting, read from `/proc`: `VmRSS`, `VmSize` and `VmPTE` from
//! `/proc/PID/status`, `Pss` from `/proc/PID/smaps_rollup`, the kernel's own memory for tasks and
//! page tables from `/proc/meminfo` (system-wide), and how many kernel threads and child processes
//! this process has (and which).

use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;

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

/// The kernel's memory that grows with every task and mapping, system-wide, from `/proc/meminfo`,
/// in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KernelMem {
    /// `KernelStack`: the kernel stacks of all tasks (16 KiB per thread or process on x86-64).
    pub kernel_stack: u64,
    /// `PageTables`: every process's page tables.
    pub page_tables: u64,
    /// `SUnreclaim`: unreclaimable slab (task structs, memory maps, file tables, ...).
    pub slab_unreclaimable: u64,
}

impl KernelMem {
    /// The sum of the three.
    pub fn total(&self) -> u64 {
        self.kernel_stack + self.page_tables + self.slab_unreclaimable
    }
}

/// Parses the three kernel figures of a `/proc/meminfo` text.
///
/// ```
/// let text = "MemTotal: 100 kB\nSUnreclaim: 30 kB\nKernelStack: 16 kB\nPageTables: 8 kB\n";
/// let k = comparisons::procfs::parse_meminfo(text).expect("valid meminfo");
/// assert_eq!((k.kernel_stack, k.page_tables, k.slab_unreclaimable), (16384, 8192, 30720));
/// assert_eq!(k.total(), 54 * 1024);
/// ```
pub fn parse_meminfo(text: &str) -> Result<KernelMem> {
    Ok(KernelMem {
        kernel_stack: kb_field(text, "KernelStack")?,
        page_tables: kb_field(text, "PageTables")?,
        slab_unreclaimable: kb_field(text, "SUnreclaim")?,
    })
}

/// Reads the kernel figures of `/proc/meminfo` now (system-wide: every process's tasks count).
pub fn kernel_mem() -> Result<KernelMem> {
    let text = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    parse_meminfo(&text).context("parsing /proc/meminfo")
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
pub fn mem_total() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    kb_field(&text, "MemTotal")
}

/// The number of kernel threads (tasks) of this process, from the `Threads:` line of
/// `/proc/self/status`.
pub fn threads() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    text.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no Threads line in /proc/self/status")
}

/// The parent pid field of a `/proc/PID/stat` text (the name in brackets may hold spaces and
/// brackets itself, so the fields are read after the last `)`).
///
/// ```
/// assert_eq!(comparisons::procfs::parse_stat_ppid("42 (a) b)) S 7 42 42 0"), Some(7));
/// assert_eq!(comparisons::procfs::parse_stat_ppid("garbage"), None);
/// ```
pub fn parse_stat_ppid(text: &str) -> Option<i32> {
    let rest = &text[text.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The pids of the live processes whose parent is this process (found by scanning
/// `/proc/*/stat`, which works without the kernel's optional `children` files).
pub fn child_pids() -> Result<BTreeSet<i64>> {
    let me = std::process::id() as i32;
    let mut pids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").context("listing /proc")? {
        let Ok(entry) = entry else { continue };
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i64>() else {
            continue;
        };
        // a process may end between the listing and the read: skip it
        if let Ok(text) = std::fs::read_to_string(entry.path().join("stat"))
            && parse_stat_ppid(&text) == Some(me)
        {
            pids.insert(pid);
        }
    }
    Ok(pids)
}

/// The number of live processes whose parent is this process.
pub fn children() -> Result<u64> {
    Ok(child_pids()?.len() as u64)
}

/// The kernel thread ids of this process's tasks now, from the listing of `/proc/self/task`.
pub fn thread_ids() -> Result<BTreeSet<i64>> {
    let mut tids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc/self/task").context("listing /proc/self/task")? {
        let entry = entry.context("listing /proc/self/task")?;
        if let Ok(tid) = entry.file_name().to_string_lossy().parse::<i64>() {
            tids.insert(tid);
        }
    }
    Ok(tids)
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
    fn threads_and_children_are_counted() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::spawn(move || rx.recv());
        // the harness's main thread, this test's thread and the one just spawned
        assert!(threads().unwrap() >= 3);
        let ids = thread_ids().unwrap();
        assert!(ids.contains(&crate::sys::gettid()), "{ids:?}");
        drop(tx);
        h.join().unwrap().unwrap_err();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        assert!(children().unwrap() >= 1);
        assert!(child_pids().unwrap().contains(&i64::from(child.id())));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(kernel_mem().unwrap().kernel_stack > 0);
    }

    #[test]
    fn missing_field_is_an_error() {
        assert!(parse_status("VmRSS: 1 kB\n").is_err());
        assert!(parse_pss("Rss: x kB\nPss: x kB").is_err());
    }
}
