//! The tree of `tree.py` and the trees the tests and benches walk: a value, the subtrees visited
//! before it and those visited after. Both coroutine styles traverse this one type, so the demos
//! differ only in how they walk it.
//!
//! ```
//! use common::tree::Node;
//!
//! let tree = Node::article();
//! assert_eq!((tree.len(), tree.depth()), (11, 3));
//! assert_eq!(Node::left_chain(10_000).depth(), 10_000); // built and dropped without recursion
//! ```

/// A node of `tree.py`'s tree: a value, the subtrees visited before it, and those visited after.
///
/// Dropping a tree does not recurse (see the `Drop` impl), so degenerate trees of any depth can be
/// dropped on a small stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value yielded for this node.
    pub value: u64,
    /// Children visited before `value` (Python's `left_nodes`).
    pub left: Vec<Node>,
    /// Children visited after `value` (Python's `right_nodes`).
    pub right: Vec<Node>,
}

impl Node {
    /// A node with children.
    pub fn new(value: u64, left: Vec<Node>, right: Vec<Node>) -> Self {
        Node { value, left, right }
    }

    /// A node without children.
    pub fn leaf(value: u64) -> Self {
        Node::new(value, Vec::new(), Vec::new())
    }

    /// The tree of `tree.py` (11 nodes, depth 3).
    pub fn article() -> Self {
        Node::new(
            0,
            vec![
                Node::new(1, vec![Node::leaf(7), Node::leaf(8)], vec![]),
                Node::new(2, vec![], vec![Node::leaf(9), Node::leaf(10)]),
                Node::leaf(3),
            ],
            vec![Node::leaf(4), Node::leaf(5), Node::leaf(6)],
        )
    }

    /// A complete binary tree with `depth` levels (`2^depth - 1` nodes; `depth` 0 counts as 1):
    /// every inner node has one left and one right child. Values are numbered in visiting order,
    /// so an in-order traversal yields `0, 1, 2, ...`.
    pub fn complete(depth: u32) -> Self {
        fn build(depth: u32, next: &mut u64) -> Node {
            if depth <= 1 {
                let node = Node::leaf(*next);
                *next += 1;
                return node;
            }
            let left = build(depth - 1, next);
            let value = *next;
            *next += 1;
            let right = build(depth - 1, next);
            Node::new(value, vec![left], vec![right])
        }
        build(depth, &mut 0)
    }

    /// A degenerate tree: a chain of `depth` nodes (`depth` 0 counts as 1), each the only left
    /// child of the one above. In-order traversal yields `0, 1, ..., depth - 1`, deepest first.
    /// Built without recursion.
    pub fn left_chain(depth: usize) -> Self {
        let mut node = Node::leaf(0);
        for value in 1..depth.max(1) as u64 {
            node = Node::new(value, vec![node], Vec::new());
        }
        node
    }

    /// The number of nodes (counted without recursion).
    pub fn len(&self) -> usize {
        let mut count = 0;
        let mut todo = vec![self];
        while let Some(node) = todo.pop() {
            count += 1;
            todo.extend(node.left.iter().chain(&node.right));
        }
        count
    }

    /// Always `false`: a tree has at least its root. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The number of levels: 1 for a leaf (computed without recursion).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 1)];
        while let Some((node, depth)) = todo.pop() {
            deepest = deepest.max(depth);
            todo.extend(node.left.iter().chain(&node.right).map(|c| (c, depth + 1)));
        }
        deepest
    }
}

impl Drop for Node {
    /// Moves the descendants into a flat list before they drop, so that dropping a chain 10,000
    /// deep does not recurse 10,000 times (and cannot overflow the stack).
    fn drop(&mut self) {
        let mut todo: Vec<Node> = Vec::new();
        todo.append(&mut self.left);
        todo.append(&mut self.right);
        while let Some(mut node) = todo.pop() {
            todo.append(&mut node.left);
            todo.append(&mut node.right);
            // `node` drops here with no children left.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders() {
        let article = Node::article();
        assert_eq!((article.len(), article.depth()), (11, 3));
        for depth in 1..=10 {
            let tree = Node::complete(depth);
            assert_eq!(tree.len(), (1 << depth) - 1);
            assert_eq!(tree.depth(), depth as usize);
        }
        let chain = Node::left_chain(10_000);
        assert_eq!((chain.len(), chain.depth()), (10_000, 10_000));
    }
}
