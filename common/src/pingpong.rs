//! A round trip between two kernel-scheduled units through a pair of pipes: the caller writes a
//! value, the echo reads it and writes back the value plus one and the CPU it ran on, the caller
//! reads that. Each round trip is two blocking reads, so two switches (or two wake-ups across
//! CPUs) on the kernel's scheduler.
//!
//! The same code serves an echo *thread* ([`ThreadEcho`]) and an echo *process* (the comparison
//! forks a child that runs [`Echo::serve`]), so between the two the only difference is the
//! address space. The `switch` benchmark's `thread` subject is a [`ThreadEcho`] too.
//!
//! ```
//! use common::pingpong::ThreadEcho;
//!
//! let mut echo = ThreadEcho::spawn(None).expect("a thread");
//! let reply = echo.round_trip(41).expect("the echo answers");
//! assert_eq!(reply.value, 42);
//! ```

use nix::errno::Errno;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::thread::{self, JoinHandle};

/// The value that asks the echo to return instead of answering.
const STOP: u64 = u64::MAX;

/// What came back from one round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// The value sent, plus one (wrapping): feed it into the next round trip.
    pub value: u32,
    /// The CPU the echo ran on when it answered, if the kernel said.
    pub echo_cpu: Option<u32>,
}

fn to_io(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Writes all of `buf`, retrying on `EINTR`. No allocation: usable in a forked child.
fn write_all(fd: impl AsFd, buf: &[u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        match nix::unistd::write(fd.as_fd(), &buf[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes, retrying on `EINTR`; `Ok(false)` at end of file. No
/// allocation: usable in a forked child.
fn read_exact(fd: impl AsFd, buf: &mut [u8]) -> Result<bool, Errno> {
    let mut done = 0;
    while done < buf.len() {
        match nix::unistd::read(fd.as_fd(), &mut buf[done..]) {
            Ok(0) => return Ok(false),
            Ok(n) => done += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// The caller's ends: it writes requests and reads replies.
#[derive(Debug)]
pub struct Caller {
    to_echo: OwnedFd,
    from_echo: OwnedFd,
}

/// The echo's ends: it reads requests and writes replies.
#[derive(Debug)]
pub struct Echo {
    from_caller: OwnedFd,
    to_caller: OwnedFd,
}

/// Two pipes joining a [`Caller`] and an [`Echo`]. Hand the echo to a thread, or keep it across a
/// `fork` and drop the parent's copy.
///
/// # Errors
///
/// The `pipe` error (out of file descriptors).
pub fn pair() -> io::Result<(Caller, Echo)> {
    let (from_caller, to_echo) = nix::unistd::pipe().map_err(to_io)?;
    let (from_echo, to_caller) = nix::unistd::pipe().map_err(to_io)?;
    Ok((
        Caller { to_echo, from_echo },
        Echo {
            from_caller,
            to_caller,
        },
    ))
}

impl Caller {
    /// Sends `x` and waits for the echo's reply.
    ///
    /// # Errors
    ///
    /// A read or write error, or `UnexpectedEof` if the echo is gone.
    pub fn round_trip(&mut self, x: u32) -> io::Result<Reply> {
        write_all(&self.to_echo, &u64::from(x).to_ne_bytes()).map_err(to_io)?;
        let mut buf = [0u8; 8];
        if !read_exact(&self.from_echo, &mut buf).map_err(to_io)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the echo closed its pipe",
            ));
        }
        let reply = u64::from_ne_bytes(buf);
        let cpu = (reply >> 32) as u32;
        Ok(Reply {
            value: reply as u32,
            echo_cpu: (cpu != u32::MAX).then_some(cpu),
        })
    }

    /// Asks the echo to return from [`Echo::serve`].
    ///
    /// # Errors
    ///
    /// The write error (the echo is already gone).
    pub fn stop(&mut self) -> io::Result<()> {
        write_all(&self.to_echo, &STOP.to_ne_bytes()).map_err(to_io)
    }
}

impl Echo {
    /// Pins the calling thread to `cpu` (if given), then answers every request until asked to
    /// stop ([`Caller::stop`]) or the caller's end is closed. Returns false on an error (a CPU
    /// that cannot be pinned, a failed read or write).
    ///
    /// It only makes the system calls `sched_setaffinity`, `read`, `write` and `getcpu` and
    /// allocates nothing, so a forked child may run it.
    pub fn serve(self, cpu: Option<usize>) -> bool {
        if let Some(c) = cpu
            && crate::affinity::set_current_thread_cpu(c).is_err()
        {
            return false;
        }
        let mut buf = [0u8; 8];
        loop {
            match read_exact(&self.from_caller, &mut buf) {
                Ok(true) => {}
                Ok(false) => return true,
                Err(_) => return false,
            }
            let x = u64::from_ne_bytes(buf);
            if x == STOP {
                return true;
            }
            let here = crate::affinity::current_cpu().map_or(u32::MAX, |c| c as u32);
            let reply = (u64::from(here) << 32) | u64::from((x as u32).wrapping_add(1));
            if write_all(&self.to_caller, &reply.to_ne_bytes()).is_err() {
                return false;
            }
        }
    }
}

/// An echo thread: the caller's ends, and the thread that serves the other ends. Dropping it stops
/// and joins the thread.
#[derive(Debug)]
pub struct ThreadEcho {
    caller: Caller,
    handle: Option<JoinHandle<bool>>,
}

impl ThreadEcho {
    /// Spawns an echo thread, pinned to `cpu` if given.
    ///
    /// # Errors
    ///
    /// The `pipe` or thread-spawn error.
    pub fn spawn(cpu: Option<usize>) -> io::Result<ThreadEcho> {
        let (caller, echo) = pair()?;
        let handle = thread::Builder::new()
            .name("echo".into())
            .spawn(move || echo.serve(cpu))?;
        Ok(ThreadEcho {
            caller,
            handle: Some(handle),
        })
    }

    /// One round trip with the echo thread (see [`Caller::round_trip`]).
    ///
    /// # Errors
    ///
    /// As [`Caller::round_trip`].
    pub fn round_trip(&mut self, x: u32) -> io::Result<Reply> {
        self.caller.round_trip(x)
    }

    /// Stops the echo and joins it; false if it failed (it could not pin itself, or a pipe broke).
    pub fn finish(mut self) -> bool {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> bool {
        let Some(h) = self.handle.take() else {
            return true;
        };
        let _ = self.caller.stop();
        h.join().unwrap_or(false)
    }
}

impl Drop for ThreadEcho {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_plus_one_and_the_echo_says_where_it_ran() {
        let cpu = crate::affinity::allowed_cpus().unwrap()[0];
        let mut echo = ThreadEcho::spawn(Some(cpu)).unwrap();
        let mut x = u32::MAX - 2;
        for _ in 0..5 {
            let r = echo.round_trip(x).unwrap();
            assert_eq!(r.value, x.wrapping_add(1));
            assert_eq!(r.echo_cpu, Some(cpu as u32));
            x = r.value;
        }
        assert!(echo.finish());
    }

    #[test]
    fn an_echo_that_cannot_pin_itself_fails_and_the_caller_sees_it() {
        let mut echo = ThreadEcho::spawn(Some(usize::MAX / 2)).unwrap();
        let e = echo.round_trip(1).unwrap_err();
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
            ),
            "{e}"
        );
        assert!(!echo.finish());
    }

    #[test]
    fn a_closed_caller_end_ends_the_echo() {
        let (caller, echo) = pair().unwrap();
        let h = thread::spawn(move || echo.serve(None));
        drop(caller);
        assert!(h.join().unwrap());
    }
}
