//! Running out of file descriptors, against the stackless server. Alone in its test binary because it
//! lowers the process's fd limit.

use anyhow::Result;
use common::server::scenarios;
use stackless::server::NativeConnection;

#[test]
fn pauses_accepting_when_fds_run_out() -> Result<()> {
    scenarios::fd_exhaustion::<NativeConnection>()
}
