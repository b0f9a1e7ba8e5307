//! The rows of the comparison (JSON `kind`). What the article claims for each is in
//! [`crate::claims`].

use common::style::Style;
use serde::{Deserialize, Serialize};

/// One row of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A forked process.
    Process,
    /// A `std::thread` OS thread.
    OsThread,
    /// A `may` coroutine: an M:N green thread.
    GreenThread,
    /// A goroutine, measured by the Go program the crate ships.
    Goroutine,
    /// A tokio task (`tokio::spawn`) on a multi-thread runtime, one worker per core.
    AsyncTaskMt,
    /// A tokio task (`tokio::spawn`) on a current-thread runtime.
    AsyncTask,
    /// A future polled inside one tokio task (`FuturesUnordered`), never spawned.
    AsyncJoined,
    /// A `corosensei` stackful coroutine.
    Stackful,
    /// A native Rust `#[coroutine]` closure.
    Stackless,
    /// A `genawaiter` generator (async/await based).
    StacklessGenawaiter,
    /// A Python generator, measured by the Python script the crate ships.
    PythonGenerator,
}

impl Kind {
    /// Every row, in report order.
    pub const ALL: [Kind; 11] = [
        Kind::Process,
        Kind::OsThread,
        Kind::GreenThread,
        Kind::Goroutine,
        Kind::AsyncTaskMt,
        Kind::AsyncTask,
        Kind::AsyncJoined,
        Kind::Stackful,
        Kind::Stackless,
        Kind::StacklessGenawaiter,
        Kind::PythonGenerator,
    ];

    /// The coroutine style a coroutine row measures, under the name the benchmarks give it; `None`
    /// for the rows that are no coroutine of this project (processes, threads, green threads,
    /// goroutines, Python generators).
    pub fn style(self) -> Option<Style> {
        match self {
            Kind::Stackful => Some(Style::Stackful),
            Kind::Stackless => Some(Style::Stackless),
            Kind::StacklessGenawaiter => Some(Style::StacklessGenawaiter),
            Kind::Process
            | Kind::OsThread
            | Kind::GreenThread
            | Kind::Goroutine
            | Kind::AsyncTaskMt
            | Kind::AsyncTask
            | Kind::AsyncJoined
            | Kind::PythonGenerator => None,
        }
    }

    /// The JSON `kind` string: a coroutine row's [`Style`] name, or the row's own.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Process => "process",
            Kind::OsThread => "os-thread",
            Kind::GreenThread => "green-thread",
            Kind::Goroutine => "goroutine",
            Kind::AsyncTaskMt => "async-task-mt",
            Kind::AsyncTask => "async-task",
            Kind::AsyncJoined => "async-joined",
            Kind::PythonGenerator => "python-generator",
            Kind::Stackful => Style::Stackful.name(),
            Kind::Stackless => Style::Stackless.name(),
            Kind::StacklessGenawaiter => Style::StacklessGenawaiter.name(),
        }
    }

    /// Human label: what was measured.
    pub fn label(self) -> String {
        match self {
            Kind::Process => "Process (fork)".into(),
            Kind::OsThread => "OS thread (std::thread)".into(),
            Kind::GreenThread => "Green thread (may 0.3, M:N)".into(),
            Kind::Goroutine => "Goroutine (Go)".into(),
            Kind::AsyncTaskMt => "Async task (tokio::spawn, multi-thread runtime)".into(),
            Kind::AsyncTask => "Async task (tokio::spawn, current-thread runtime)".into(),
            Kind::AsyncJoined => "Async future joined in one task (FuturesUnordered)".into(),
            Kind::Stackful => format!(
                "Stackful coroutine (corosensei, {} KiB stack)",
                crate::rows::stackful::STACK_BYTES / 1024
            ),
            Kind::Stackless => "Stackless coroutine (native #[coroutine])".into(),
            Kind::StacklessGenawaiter => "Stackless coroutine (genawaiter::rc)".into(),
            Kind::PythonGenerator => "Python generator (python3)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialise_as_json_kind() {
        for k in Kind::ALL {
            let s = serde_json::to_string(&k).expect("serialise");
            assert_eq!(s, format!("\"{}\"", k.as_str()));
        }
    }

    #[test]
    fn coroutine_rows_are_named_after_their_style() {
        let coroutines: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.style().is_some())
            .collect();
        assert_eq!(
            coroutines,
            [Kind::Stackful, Kind::Stackless, Kind::StacklessGenawaiter]
        );
        for k in coroutines {
            assert_eq!(k.style().map(Style::name), Some(k.as_str()));
        }
    }
}
