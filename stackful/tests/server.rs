//! The robustness scenarios of `common::server::scenarios` against the stackful server.

use anyhow::Result;
use common::server::scenarios;
use stackful::server::StackfulConnection;

#[test]
fn answers_whole_split_empty_binary_and_concurrent_requests() -> Result<()> {
    scenarios::answers::<StackfulConnection>()
}

#[test]
fn closes_requests_over_the_limit() -> Result<()> {
    scenarios::over_limit::<StackfulConnection>()
}

#[test]
fn closes_silent_clients_at_the_idle_timeout() -> Result<()> {
    scenarios::idle_timeout::<StackfulConnection>()
}

#[test]
fn cleans_up_reset_and_half_closed_clients() -> Result<()> {
    scenarios::reset_and_half_closed::<StackfulConnection>()
}

#[test]
fn writes_large_replies_in_parts() -> Result<()> {
    scenarios::partial_writes::<StackfulConnection>()
}

#[test]
fn holds_new_clients_at_the_connection_limit() -> Result<()> {
    scenarios::connection_limit::<StackfulConnection>()
}

#[test]
fn closes_cleanly_after_a_reply_to_a_client_that_sent_more() -> Result<()> {
    scenarios::trailing_bytes_close_cleanly::<StackfulConnection>()
}

#[test]
fn drip_clients_cannot_hold_every_slot() -> Result<()> {
    scenarios::drip_clients_cannot_lock_others_out::<StackfulConnection>()
}

#[test]
fn gives_memory_back_after_a_flood() -> Result<()> {
    scenarios::memory_returns_after_a_flood::<StackfulConnection>()
}
