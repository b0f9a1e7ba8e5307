//! Thin, checked wrappers over the few system calls the process row needs (pipes, fork, wait),
//! and the kernel thread id used by the "managed by OS" experiment.

use anyhow::{Result, bail};
use std::io;

/// The calling thread's kernel thread id (`gettid`).
pub fn gettid() -> i64 {
    // SAFETY: gettid has no preconditions and cannot fail.
    i64::from(unsafe { libc::gettid() })
}

/// A pipe's two raw ends; both are closed when dropped (in the process that drops it).
#[derive(Debug)]
pub struct Pipe {
    /// Read end.
    pub r: i32,
    /// Write end.
    pub w: i32,
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
        Ok(Pipe {
            r: fds[0],
            w: fds[1],
        })
    }

    /// Closes the write end now (so readers see end of file once every other copy is closed).
    pub fn close_write(&mut self) {
        if self.w >= 0 {
            // SAFETY: w is an fd this struct owns; it is marked closed so it is closed only once.
            unsafe { libc::close(self.w) };
            self.w = -1;
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.close_write();
        if self.r >= 0 {
            // SAFETY: r is an fd this struct owns and is closed only here.
            unsafe { libc::close(self.r) };
        }
    }
}

/// Writes all of `buf` to `fd`, async-signal-safe (usable in a forked child). Returns false on error.
pub fn write_all_raw(fd: i32, buf: &[u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the live, unwritten tail of `buf`.
        let n = unsafe { libc::write(fd, buf[done..].as_ptr().cast(), buf.len() - done) };
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
pub fn read_exact_raw(fd: i32, buf: &mut [u8]) -> bool {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n = unsafe { libc::read(fd, buf[done..].as_mut_ptr().cast(), buf.len() - done) };
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
pub fn write_all(fd: i32, buf: &[u8]) -> Result<()> {
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
pub fn read_exact(fd: i32, buf: &mut [u8]) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let mut p = libc::pollfd {
            fd,
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
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n = unsafe { libc::read(fd, buf[done..].as_mut_ptr().cast(), buf.len() - done) };
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

/// Forks. In the child, runs `child` (which must only make async-signal-safe calls: no allocation,
/// no locks) and then `_exit`s with its return code; in the parent returns the child's pid.
pub fn fork_with(child: impl FnOnce() -> i32) -> Result<i32> {
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
        let w = p.w;
        let pid = fork_with(|| if write_all_raw(w, b"ok") { 0 } else { 1 }).expect("fork");
        let mut buf = [0u8; 2];
        read_exact(p.r, &mut buf).expect("read");
        wait(pid).expect("wait");
        assert_eq!(&buf, b"ok");
    }

    #[test]
    fn read_reports_end_of_file() {
        let mut p = Pipe::new().expect("pipe");
        write_all(p.w, b"a").expect("write");
        p.close_write();
        let mut buf = [0u8; 2];
        let e = read_exact(p.r, &mut buf).expect_err("only one byte was written");
        assert!(e.to_string().contains("closed"), "{e}");
    }
}
