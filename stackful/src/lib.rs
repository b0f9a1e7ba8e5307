//! The article's demos written with stackful coroutines (`corosensei`): each coroutine runs on a
//! stack of its own and may suspend from any depth of ordinary function calls.
pub mod server;
