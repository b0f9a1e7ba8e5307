//! The robustness scenarios of `common::server::scenarios` against the stackless server.

use anyhow::Result;
use common::server::scenarios;
use stackless::server::NativeConnection;

#[test]
fn answers_whole_split_empty_binary_and_concurrent_requests() -> Result<()> {
    scenarios::answers::<NativeConnection>()
}

#[test]
fn closes_requests_over_the_limit() -> Result<()> {
    scenarios::over_limit::<NativeConnection>()
}

#[test]
fn closes_silent_clients_at_the_idle_timeout() -> Result<()> {
    scenarios::idle_timeout::<NativeConnection>()
}

#[test]
fn cleans_up_reset_and_half_closed_clients() -> Result<()> {
    scenarios::reset_and_half_closed::<NativeConnection>()
}

#[test]
fn writes_large_replies_in_parts() -> Result<()> {
    scenarios::partial_writes::<NativeConnection>()
}

#[test]
fn holds_new_clients_at_the_connection_limit() -> Result<()> {
    scenarios::connection_limit::<NativeConnection>()
}

#[test]
fn closes_cleanly_after_a_reply_to_a_client_that_sent_more() -> Result<()> {
    scenarios::trailing_bytes_close_cleanly::<NativeConnection>()
}

#[test]
fn drip_clients_cannot_hold_every_slot() -> Result<()> {
    scenarios::drip_clients_cannot_lock_others_out::<NativeConnection>()
}

#[test]
fn gives_memory_back_after_a_flood() -> Result<()> {
    scenarios::memory_returns_after_a_flood::<NativeConnection>()
}
