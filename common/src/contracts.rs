//! The article's programs' exact outputs: what each demo must print, in every style and flavour,
//! written once. Each is the text of `shared/reference/NAME.out` (a test checks them against those
//! files where the checkout has `../shared` beside it); the pipeline's contract is its three counts
//! on the article's access log, which our `pipeline` prints one per line.
//!
//! ```
//! assert_eq!(common::contracts::TREE, "7 8 1 2 9 10 3 0 4 5 6 \n");
//! ```

/// `counter.py`.
pub const COUNTER: &str = "0\n1\n2\n";

/// `fib.py`.
pub const FIB: &str = "0 1 1 2 3 5 8 13 21 34 \n";

/// `say.py` (the last line stands for "the coroutine is exhausted").
pub const SAY: &str = "C\nJava\nPython\nStopIteration\n";

/// `send.py`.
pub const SEND: &str = "Starting\nConsume data\nHello World\n";

/// `chain.py`.
pub const CHAIN: &str = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]\n";

/// `tree.py`.
pub const TREE: &str = "7 8 1 2 9 10 3 0 4 5 6 \n";

/// `scheduler.py`: 19 lines.
pub const SCHEDULER: &str = "\
I'm foo and I am living in 1 process
Foo 1 is in 0 step
I'm bar and I'm living in 2 process
Foo 1 is in 1 step
Bar 2 is in 0 step
Foo 1 is in 2 step
I'm foo and I am living in 3 process
Foo 3 is in 0 step
Bar 2 is in 1 step
Foo 1 is in 3 step
Foo 3 is in 1 step
Bar 2 is in 2 step
Foo 1 is in 4 step
Foo 3 is in 2 step
Task 1 terminated
Foo 3 is in 3 step
Task 2 terminated
Foo 3 is in 4 step
Task 3 terminated
";

/// `pipeline.py` on the article's access log: each address and its count, in the article's order.
pub const PIPELINE_COUNTS: [(&str, u64); 3] = [
    ("83.149.9.216", 23),
    ("93.114.45.13", 6),
    ("207.241.237.101", 17),
];

/// Every demo's name (its `shared/reference/NAME.py`) with its printed contract.
pub const PRINTED: [(&str, &str); 7] = [
    ("counter", COUNTER),
    ("fib", FIB),
    ("say", SAY),
    ("send", SEND),
    ("chain", CHAIN),
    ("tree", TREE),
    ("scheduler", SCHEDULER),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Where the article's reference programs and outputs are, beside this checkout.
    fn reference() -> Option<&'static Path> {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/reference"
        ));
        dir.is_dir().then_some(dir)
    }

    #[test]
    fn every_contract_is_the_reference_output() -> std::io::Result<()> {
        let Some(dir) = reference() else {
            println!("no ../shared/reference beside this checkout: nothing to compare with");
            return Ok(());
        };
        for (name, contract) in PRINTED {
            let reference = std::fs::read_to_string(dir.join(format!("{name}.out")))?;
            assert_eq!(contract, reference, "{name}");
        }
        let pipeline = std::fs::read_to_string(dir.join("pipeline.out"))?;
        let python: Vec<String> = PIPELINE_COUNTS
            .iter()
            .map(|(address, count)| format!("'{address}': {count}"))
            .collect();
        assert_eq!(pipeline, format!("{{{}}}\n", python.join(", ")));
        Ok(())
    }
}
