//! What `send.py`'s coroutine receives, shared by both styles' `send` demos.
//!
//! ```
//! use common::send::{Sent, shown};
//! let nothing: Sent = None;
//! assert_eq!((shown(nothing), shown(Some("data"))), ("None", "data"));
//! ```

/// What `send(x)` receives: Python's `None` or a string.
pub type Sent = Option<&'static str>;

/// How Python prints the received value in `print('Consume', val)`: the string, or `None`.
pub fn shown(val: Sent) -> &'static str {
    val.unwrap_or("None")
}
