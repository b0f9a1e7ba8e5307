//! `tree.py` with `genawaiter`, beside the native and `gen` flavours in [`super`]: recursion in
//! `async` code must be boxed too, so each level is a boxed future, and all of them yield through
//! the one `Co` handle of the generator.

use std::pin::Pin;

use ::genawaiter::rc::{Co, Gen};

use super::Node;

/// One level of the `genawaiter` traversal: a boxed future (async recursion must be boxed) that
/// yields through the shared `Co` and returns the number of nodes visited.
fn visit_co<'a>(co: &'a Co<u64>, node: &'a Node) -> Pin<Box<dyn Future<Output = u64> + 'a>> {
    Box::pin(async move {
        let mut visited = 1;
        for child in &node.left {
            visited += visit_co(co, child).await;
        }
        co.yield_(node.value).await;
        for child in &node.right {
            visited += visit_co(co, child).await;
        }
        visited
    })
}

/// `Node.visit` with `genawaiter`: recursive boxed futures sharing one `Co`; completes with the
/// number of nodes visited.
pub fn genawaiter(root: &Node) -> Gen<u64, (), impl Future<Output = u64> + '_> {
    Gen::new(move |co| async move { visit_co(&co, root).await })
}
