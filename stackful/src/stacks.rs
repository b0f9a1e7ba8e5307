//! Stacks for stackful coroutines: sizes chosen on purpose, a pool that reuses them, and the
//! measurement the sizes are checked with. One concern per module:
//!
//! - [`sizes`]: [`SMALL_STACK_SIZE`] for the shallow coroutines of the demos (a few frames, some
//!   formatting, perhaps a panic), [`DEEP_STACK_SIZE`] for coroutines that recurse.
//! - [`pool`]: a [`StackPool`] keeps the stacks of finished coroutines and hands them to new ones,
//!   as many as were recently alive at once, and trims what stays idle. `corosensei`'s own
//!   `DefaultStack` maps a fresh stack with `mmap` (plus a guard page, made inaccessible with
//!   `mprotect`) for each coroutine and unmaps it with `munmap` when the coroutine is dropped:
//!   several system calls and page faults per coroutine, which a warm pool saves. The scheduler's
//!   tasks take their stacks from a per-thread pool ([`pool::with_task_stacks`]).
//! - [`mapping`]: the memory under the pool's [`CoroutineStack`]s: many stacks per `mmap`, a guard
//!   page below each that does not split the mapping, and giving idle pages back to the kernel.
//! - [`stage`]: the stacks of the pipeline's stages, their size and this thread's pool of them.
//! - [`measure`]: [`measure_stack_use`] measures how many bytes some code really touches on a
//!   coroutine stack ([`measure_coroutine`] and [`stack_high_water`] for a whole coroutine), so
//!   the sizes can be checked rather than guessed (`cargo run -p stackful --example stacks`, and
//!   the demos' tests).

pub mod mapping;
pub mod measure;
pub mod pool;
pub mod sizes;
pub mod stage;

pub use mapping::PageRelease;
pub use measure::{measure_coroutine, measure_stack_use, stack_high_water};
pub use pool::{CoroutineStack, StackPool};
pub use sizes::{DEEP_STACK_SIZE, SMALL_STACK_SIZE};
