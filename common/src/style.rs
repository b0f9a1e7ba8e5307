//! The coroutine styles the project compares, named once. Every benchmark id the `benches` crate
//! hands criterion (`BenchmarkId::new(style, parameter)`), every row and ratio of its report, and
//! every command line that picks a style take their names from [`Style`], so a name cannot be
//! spelt two ways.
//!
//! Two kinds of name live side by side, as the benchmarks use them. A mechanism names one way of
//! writing a single coroutine (`native`, `gen`, `genawaiter-rc`, `corosensei`, `manual`, ...). A
//! crate name (`stackless`, `stackful`, with a suffix for a variant such as `stackless-boxed`)
//! names a whole program of that crate, whatever mechanisms it uses inside. `plain`, `thread`,
//! `threaded` and `python` are what the coroutines are held against.
//!
//! ```
//! use common::style::Style;
//!
//! assert_eq!(Style::GenawaiterRc.name(), "genawaiter-rc");
//! assert_eq!("stackless-explicit-stack".parse(), Ok(Style::StacklessExplicitStack));
//! assert_eq!(Style::Corosensei.to_string(), "corosensei");
//! assert!("fibre".parse::<Style>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

/// One coroutine style (or baseline) the project measures. The order of [`Style::ALL`] (and of
/// `Ord`) is the order of the benchmark tables: baselines first, then from stackless to stackful
/// to threads, Python last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// A hand-written state machine (an `enum` and a `match`): the least a coroutine can cost.
    Manual,
    /// One plain loop, no coroutine at all: the pipeline's limit.
    Plain,
    /// A native `#[coroutine]` closure driven through `std::ops::Coroutine` (nightly).
    Native,
    /// A native coroutine whose state stays in the caller's frame (`pin!`).
    NativePinned,
    /// A native coroutine in a `Box::pin`, as an executor holds a task.
    NativeBoxed,
    /// A `gen` block: an `Iterator` written as a coroutine (nightly).
    Gen,
    /// A `genawaiter::rc` generator: a coroutine built on `async`/`await` (stable).
    Genawaiter,
    /// A `genawaiter::stack` generator: its state on the caller's stack.
    GenawaiterStack,
    /// A `genawaiter::rc` generator: its state in an `Rc`.
    GenawaiterRc,
    /// A `genawaiter::sync` generator: its state in an `Arc` and a mutex.
    GenawaiterSync,
    /// A `stackless` crate program, written with native coroutines.
    Stackless,
    /// `stackless`'s tree traversal with one coroutine and a `Vec` of pending steps.
    StacklessExplicitStack,
    /// `stackless`'s tree traversal with one boxed coroutine per node.
    StacklessBoxed,
    /// A `stackless` crate program written with `genawaiter`.
    StacklessGenawaiter,
    /// A `corosensei` stackful coroutine.
    Corosensei,
    /// A `corosensei` coroutine on a stack taken from a warm pool.
    CorosenseiPooled,
    /// A pooled `corosensei` coroutine dropped while suspended (the pool unwinds its stack).
    CorosenseiPooledDropSuspended,
    /// A `corosensei` coroutine on a freshly mapped stack.
    CorosenseiFresh,
    /// A `stackful` crate program, written with `corosensei`.
    Stackful,
    /// `stackful`'s tree traversal: plain recursion on the coroutine's own stack.
    StackfulRecursion,
    /// An OS thread in place of a coroutine (spawn + join, or a channel ping-pong).
    Thread,
    /// A thread per stage, joined by bounded channels (the threaded pipeline).
    Threaded,
    /// The project's Python copy of the article's program, run by `python3`.
    Python,
}

impl Style {
    /// Every style, in table order.
    pub const ALL: [Style; 23] = [
        Style::Manual,
        Style::Plain,
        Style::Native,
        Style::NativePinned,
        Style::NativeBoxed,
        Style::Gen,
        Style::Genawaiter,
        Style::GenawaiterStack,
        Style::GenawaiterRc,
        Style::GenawaiterSync,
        Style::Stackless,
        Style::StacklessExplicitStack,
        Style::StacklessBoxed,
        Style::StacklessGenawaiter,
        Style::Corosensei,
        Style::CorosenseiPooled,
        Style::CorosenseiPooledDropSuspended,
        Style::CorosenseiFresh,
        Style::Stackful,
        Style::StackfulRecursion,
        Style::Thread,
        Style::Threaded,
        Style::Python,
    ];

    /// The four ways of writing a stackless coroutine that each demo of the `stackless` crate
    /// comes in (its `--flavour`), in the order the crate documents them.
    pub const FLAVOURS: [Style; 4] = [Style::Native, Style::Gen, Style::Genawaiter, Style::Manual];

    /// The style's id: its benchmark id, its row in reports and its name on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Style::Manual => "manual",
            Style::Plain => "plain",
            Style::Native => "native",
            Style::NativePinned => "native-pinned",
            Style::NativeBoxed => "native-boxed",
            Style::Gen => "gen",
            Style::Genawaiter => "genawaiter",
            Style::GenawaiterStack => "genawaiter-stack",
            Style::GenawaiterRc => "genawaiter-rc",
            Style::GenawaiterSync => "genawaiter-sync",
            Style::Stackless => "stackless",
            Style::StacklessExplicitStack => "stackless-explicit-stack",
            Style::StacklessBoxed => "stackless-boxed",
            Style::StacklessGenawaiter => "stackless-genawaiter",
            Style::Corosensei => "corosensei",
            Style::CorosenseiPooled => "corosensei-pooled",
            Style::CorosenseiPooledDropSuspended => "corosensei-pooled-drop-suspended",
            Style::CorosenseiFresh => "corosensei-fresh",
            Style::Stackful => "stackful",
            Style::StackfulRecursion => "stackful-recursion",
            Style::Thread => "thread",
            Style::Threaded => "threaded",
            Style::Python => "python",
        }
    }

    /// The style named `name`, if there is one.
    ///
    /// ```
    /// use common::style::Style;
    /// assert_eq!(Style::from_name("thread"), Some(Style::Thread));
    /// assert_eq!(Style::from_name("Thread"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|s| s.name() == name)
    }

    /// One line on what the style is, for `--help` and reports.
    pub fn about(self) -> &'static str {
        match self {
            Style::Manual => "hand-written state machine",
            Style::Plain => "one plain loop, no coroutine",
            Style::Native => "native #[coroutine] closure",
            Style::NativePinned => "native coroutine pinned in the caller's frame",
            Style::NativeBoxed => "native coroutine in a Box::pin",
            Style::Gen => "gen block",
            Style::Genawaiter => "genawaiter::rc generator",
            Style::GenawaiterStack => "genawaiter::stack generator",
            Style::GenawaiterRc => "genawaiter::rc generator",
            Style::GenawaiterSync => "genawaiter::sync generator",
            Style::Stackless => "the stackless crate (native coroutines)",
            Style::StacklessExplicitStack => "stackless, one coroutine and an explicit stack",
            Style::StacklessBoxed => "stackless, one boxed coroutine per level",
            Style::StacklessGenawaiter => "the stackless crate with genawaiter",
            Style::Corosensei => "corosensei stackful coroutine",
            Style::CorosenseiPooled => "corosensei on a pooled stack",
            Style::CorosenseiPooledDropSuspended => {
                "corosensei on a pooled stack, dropped suspended"
            }
            Style::CorosenseiFresh => "corosensei on a freshly mapped stack",
            Style::Stackful => "the stackful crate (corosensei)",
            Style::StackfulRecursion => "stackful, plain recursion on the coroutine's stack",
            Style::Thread => "an OS thread",
            Style::Threaded => "a thread per stage, bounded channels",
            Style::Python => "the Python copy of the article's program",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a name that is no [`Style`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStyle(pub String);

impl fmt::Display for UnknownStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown style `{}` (expected one of:", self.0)?;
        for style in Style::ALL {
            write!(f, " {style}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownStyle {}

impl FromStr for Style {
    type Err = UnknownStyle;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Style::from_name(name).ok_or_else(|| UnknownStyle(name.to_owned()))
    }
}

/// Command lines take a style by its [`Style::name`], `--help` lists them with [`Style::about`].
impl clap::ValueEnum for Style {
    fn value_variants<'a>() -> &'a [Self] {
        &Style::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.about()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, style) in Style::ALL.iter().enumerate() {
            assert_eq!(style.name().parse(), Ok(*style));
            assert!(
                Style::ALL[..i].iter().all(|s| s.name() != style.name()),
                "{style} twice"
            );
        }
    }

    #[test]
    fn table_order_is_the_declaration_order() {
        let mut sorted = Style::ALL;
        sorted.sort();
        assert_eq!(sorted, Style::ALL);
    }

    #[test]
    fn clap_takes_the_same_names() {
        for style in Style::ALL {
            assert_eq!(
                <Style as ValueEnum>::from_str(style.name(), false),
                Ok(style)
            );
        }
        assert!(<Style as ValueEnum>::from_str("native-unboxed", false).is_err());
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = "fibre".parse::<Style>().expect_err("fibre is no style");
        let text = err.to_string();
        assert!(text.starts_with("unknown style `fibre`"), "{text}");
        assert!(text.contains(" stackless-explicit-stack "), "{text}");
    }

    #[test]
    fn flavours_are_the_stackless_crates_four() {
        let names = Style::FLAVOURS.map(Style::name);
        assert_eq!(names, ["native", "gen", "genawaiter", "manual"]);
    }
}
