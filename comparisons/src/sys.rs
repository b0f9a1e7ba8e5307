//! Thin, checked wrappers over the few system calls the process row needs (pipes, fork, wait),
//! and the kernel thread id used by the "managed by OS" experiment.
//!
//! File descriptors are owned ([`OwnedFd`]) or borrowed ([`BorrowedFd`]), never bare integers, so
//! no safe call here can close or use a descriptor that belongs to someone else.

use anyhow::{Result, bail};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// The calling thread's kernel thread id (`gettid`).
pub fn gettid() -> i64 {
    // SAFETY: gettid has no preconditions and cannot fail.
    i64::from(unsafe { libc::gettid() })
}

/// A pipe that owns its two ends; each is closed when dropped (in the process that drops it).
#[derive(Debug)]
pub struct Pipe {
    read: OwnedFd,
    /// `None` once [`Pipe::close_write`] closed it.
    write: Option<OwnedFd>,
}

impl Pipe {
    /// Creates a pipe.
    pub fn new() -> Result<Pipe> {
        let mut fds = [0i32; 2];
        // SAFETY: fds is a valid array of two ints for pipe to fill.
        let rc = unsafe { libc::pipe(fds.as_mut_ptr()) };
        if rc != 0 {
            bail!("pipe: {}", io::Error::last_os_error());
        }
        // SAFETY: pipe succeeded, so both are open descriptors that nothing else owns.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Pipe {
            read,
            write: Some(write),
        })
    }

    /// The read end.
    pub fn reader(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// The write end, or an error once it was closed.
    pub fn writer(&self) -> Result<BorrowedFd<'_>> {
        match &self.write {
            Some(write) => Ok(write.as_fd()),
            None => bail!("the pipe's write end is closed"),
        }
    }

    /// Its two ends, owned apart (the write end `None` once closed).
    pub fn into_ends(self) -> (OwnedFd, Option<OwnedFd>) {
        (self.read, self.write)
    }

    /// Closes the write end now (so readers see end of file once every other copy is closed).
    pub fn close_write(&mut self) {
        self.write = None;
    }
}

/// Writes all of `buf` to `fd`, async-signal-safe (usable in a forked child). Returns false on error.
pub fn write_all_raw(fd: BorrowedFd<'_>, buf: &[u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: fd is open for the borrow; the pointer and length describe the live, unwritten
        // tail of `buf`.
        let n = unsafe {
            libc::write(
                fd.as_raw_fd(),
                buf[done..].as_ptr().cast(),
                buf.len() - done,
            )
        };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        done += n as usize;
    }
    true
}

/// Reads exactly `buf.len()` bytes from `fd`, async-signal-safe. Returns false on error or end of file.
pub fn read_exact_raw(fd: BorrowedFd<'_>, buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: fd is open for the borrow; the pointer and length describe the unfilled tail of
        // `buf`.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
            )
        };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        if n == 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

/// [`write_all_raw`] with an error for the parent side.
pub fn write_all(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<()> {
    if !write_all_raw(fd, buf) {
        bail!("write to pipe: {}", io::Error::last_os_error());
    }
    Ok(())
}

/// How long the parent waits for a child's message before giving up (a child that died before
/// writing must not hang the run).
pub const READ_TIMEOUT_MS: i32 = 30_000;

/// Reads exactly `buf.len()` bytes from `fd` for the parent side: an error on end of file, on a
/// read error, or when nothing arrives within [`READ_TIMEOUT_MS`].
pub fn read_exact(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: p is one valid pollfd, matching the count of 1.
        let rc = unsafe { libc::poll(&mut p, 1, READ_TIMEOUT_MS) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            bail!("poll on pipe: {e}");
        }
        if rc == 0 {
            bail!("no message from a child within {READ_TIMEOUT_MS} ms");
        }
        // SAFETY: fd is open for the borrow; the pointer and length describe the unfilled tail of
        // `buf`.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            bail!("read from pipe: {e}");
        }
        if n == 0 {
            bail!("pipe closed before the message arrived");
        }
        done += n as usize;
    }
    Ok(())
}

/// Closes, in a forked child, the child's copy of a descriptor it must not hold (e.g. a pipe's
/// write end, so that the parent closing its own copy gives readers end of file).
/// Async-signal-safe.
///
/// # Safety
///
/// Call only in a child of [`fork_with`], which never returns to the code that owns `fd` (it
/// `_exit`s), and do not use `fd` afterwards: the owner's copy in the parent stays open, but in
/// this process the number is closed under the feet of its `OwnedFd`.
pub unsafe fn close_in_child(fd: BorrowedFd<'_>) {
    // SAFETY: by the contract, nothing in this process uses or closes `fd` again.
    unsafe { libc::close(fd.as_raw_fd()) };
}

/// Forks. In the child, runs `child` and then `_exit`s with its return code (no destructors, no
/// atexit handlers); in the parent returns the child's pid.
///
/// # Safety
///
/// `child` must make only async-signal-safe calls: no allocation, no locks, no `println!`, nothing
/// that may wait for a lock another thread of the parent held when it forked (that thread does not
/// exist in the child, so the lock would never be released). `read`, `write`, `close`,
/// `clock_gettime`, atomics and plain computation are fine; see `signal-safety(7)`.
pub unsafe fn fork_with(child: impl FnOnce() -> i32) -> Result<i32> {
    // SAFETY: the child only runs `child`, which by this function's contract makes only
    // async-signal-safe calls, then `_exit`s without running destructors or atexit handlers.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        bail!("fork: {}", io::Error::last_os_error());
    }
    if pid == 0 {
        let code = child();
        // SAFETY: _exit ends the forked child immediately; nothing of the parent's state is touched.
        unsafe { libc::_exit(code) };
    }
    Ok(pid)
}

/// Waits for child `pid` to end.
pub fn wait(pid: i32) -> Result<()> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid int for waitpid to fill.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            bail!("waitpid({pid}): {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_pipe_roundtrip() {
        let p = Pipe::new().expect("pipe");
        let w = p.writer().expect("write end");
        // SAFETY: the child only writes to a pipe, an async-signal-safe call.
        let pid =
            unsafe { fork_with(|| if write_all_raw(w, b"ok") { 0 } else { 1 }) }.expect("fork");
        let mut buf = [0u8; 2];
        read_exact(p.reader(), &mut buf).expect("read");
        wait(pid).expect("wait");
        assert_eq!(&buf, b"ok");
    }

    #[test]
    fn read_reports_end_of_file() {
        let mut p = Pipe::new().expect("pipe");
        write_all(p.writer().expect("write end"), b"a").expect("write");
        p.close_write();
        assert!(
            p.writer().is_err(),
            "the closed write end is still lent out"
        );
        let mut buf = [0u8; 2];
        let e = read_exact(p.reader(), &mut buf).expect_err("only one byte was written");
        assert!(e.to_string().contains("closed"), "{e}");
    }

    #[test]
    fn a_child_closing_its_copy_leaves_the_parents_open() {
        let p = Pipe::new().expect("pipe");
        let w = p.writer().expect("write end");
        // SAFETY: the child only closes its copy of the write end (async-signal-safe) and exits
        // without touching it again.
        let pid = unsafe {
            fork_with(|| {
                // This is the forked child, and it never uses `w` again.
                close_in_child(w);
                0
            })
        }
        .expect("fork");
        wait(pid).expect("wait");
        write_all(p.writer().expect("write end"), b"x").expect("the parent's copy is still open");
        let mut buf = [0u8; 1];
        read_exact(p.reader(), &mut buf).expect("read");
        assert_eq!(&buf, b"x");
    }
}
