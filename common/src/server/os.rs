//! Linux helpers for servers and their tests: the fd limit, the number of open fds, and giving
//! freed heap memory back to the system.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Socket, Type};

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit and returns the new
/// soft limit. A server holding 10,000 connections needs more than the usual soft limit of 1024.
pub fn raise_fd_limit() -> io::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(io::Error::from)?;
    }
    Ok(hard.max(soft))
}

/// The listen queue length every server in the workspace uses (mio's and tokio's default), so
/// that the baselines and the coroutine servers drop or queue bursts of connections alike.
pub const LISTEN_BACKLOG: i32 = 1024;

/// A listening socket at `addr` with `SO_REUSEADDR` and a [`LISTEN_BACKLOG`] queue, in blocking
/// mode (call `set_nonblocking` for an event loop).
pub fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Whether an `accept` error means "no fds or memory right now" (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM): a server should pause accepting and retry, not fail.
pub fn is_resource_exhausted(e: &io::Error) -> bool {
    use nix::errno::Errno;
    [Errno::EMFILE, Errno::ENFILE, Errno::ENOBUFS, Errno::ENOMEM]
        .iter()
        .any(|&errno| e.raw_os_error() == Some(errno as i32))
}

/// Asks the C allocator to give the free memory of its heaps back to the system now. After a
/// flood of connections has gone, the request buffers it freed stay resident otherwise: glibc
/// returns memory by itself only from the very top of a heap, and one live allocation above the
/// freed ones keeps them all. glibc's `malloc_trim` also releases the free pages in the middle of
/// every heap (every arena). Does nothing with other C libraries.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and may be called at any time; it only returns free
    // pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The number of file descriptors this process has open, from `/proc/self/fd` (not counting the
/// one used to read that directory).
pub fn open_fd_count() -> io::Result<usize> {
    let mut count = 0usize;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        entry?;
        count += 1;
    }
    // `read_dir` itself holds one descriptor open while listing.
    Ok(count.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_count_sees_a_new_file() -> io::Result<()> {
        let files = (0..64)
            .map(|_| std::fs::File::open("/proc/self/status"))
            .collect::<io::Result<Vec<_>>>()?;
        // Other tests run in parallel threads and open and close fds too, so only a lower bound
        // holds here; the server's integration tests compare exact counts in a quiet process.
        assert!(open_fd_count()? >= files.len());
        assert!(raise_fd_limit()? >= 1);
        Ok(())
    }
}
