//! The checks of `common::processes` that need a real process (peak memory on hostile input, a
//! closed stderr, 40,000 addresses), run on this crate's pipeline and server. This binary has no
//! libtest harness: started by a check in a role, it *is* the `pipeline` or `server` example.

use std::process::ExitCode;

use common::processes::{Programs, main as run};
use common::server::serve_cli;
use stackful::server::StackfulConnection;

fn main() -> ExitCode {
    run(Programs {
        pipeline: stackful::pipeline::main,
        server: || serve_cli::<StackfulConnection>(std::env::args_os()),
        // The stages' stacks come from a pool that maps many per mapping, so 40,000 stages need
        // a few hundred mappings, not 80,000: unless the kernel has no guard regions and every
        // guard page splits its mapping in two.
        stage_stacks: stackful::stacks::mapping::guards_split_mappings(),
    })
}
