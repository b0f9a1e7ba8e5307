//! `tree.py` as `gen` blocks, beside the native flavour in [`super`]: a `gen` block is an
//! iterator and cannot contain itself either, so each level is a boxed iterator; and `gen` blocks
//! have no `yield from`, so each level passes its children's values up with a `for` loop.

use super::Node;

/// `Node.visit` as recursive `gen` blocks: one boxed iterator per node; values are passed up by
/// a `for` loop per level (`gen` blocks have no `yield from`).
pub fn gen_block(node: &Node) -> Box<dyn Iterator<Item = u64> + '_> {
    Box::new(gen move {
        for child in &node.left {
            for value in gen_block(child) {
                yield value;
            }
        }
        yield node.value;
        for child in &node.right {
            for value in gen_block(child) {
                yield value;
            }
        }
    })
}
