//! Robustness scenarios for a server built on [`EventLoop`]: each starts the server in a thread on
//! a free loopback port, plays one kind of client, checks the answers and the server's
//! [`Stats`], then shuts it down and checks that no file descriptor leaked. The integration tests
//! of both `stackless` and `stackful` run every scenario against their own [`Connection`], so
//! both coroutine styles face exactly the same clients.
//!
//! Every client read has a timeout and every wait is bounded, so a broken server fails a scenario
//! instead of hanging it. Scenarios take a process-wide lock, because counting `/proc/self/fd`
//! needs no other test opening fds at the same time.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown as Half, SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

use super::{Connection, EventLoop, ServerOptions, Shutdown, ShutdownHandle, Stats, open_fd_count};

/// How long any client waits for the server before the scenario fails.
const PATIENCE: Duration = Duration::from_secs(10);

static QUIET_FDS: Mutex<()> = Mutex::new(());

/// A server running in a thread.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ShutdownHandle,
    thread: JoinHandle<std::io::Result<Stats>>,
}

impl Running {
    /// Binds a server with `opts` (its address should have port 0) in a new thread and runs it
    /// until [`Running::stop`]. Connections need not be `Send`: the server lives in its thread.
    pub fn start<C: Connection + 'static>(opts: &ServerOptions) -> Result<Running> {
        let (tx, rx) = mpsc::channel();
        let opts = opts.clone();
        let thread = thread::spawn(move || {
            let server = match EventLoop::<C>::bind(&opts) {
                Ok(server) => server,
                Err(e) => {
                    let kind = e.kind();
                    let _ = tx.send(Err(e));
                    return Err(kind.into());
                }
            };
            let _ = tx.send(Ok((server.local_addr(), server.shutdown_handle())));
            server.run_until(Shutdown::Handle)
        });
        let (addr, handle) = rx
            .recv_timeout(PATIENCE)
            .context("server thread did not start")?
            .context("bind")?;
        Ok(Running {
            addr,
            handle,
            thread,
        })
    }

    /// Whether the server thread is still serving.
    pub fn is_running(&self) -> bool {
        !self.thread.is_finished()
    }

    /// Stops the server and returns its counters.
    pub fn stop(self) -> Result<Stats> {
        self.handle.shutdown().context("waking the server")?;
        let deadline = Instant::now() + PATIENCE;
        while !self.thread.is_finished() {
            ensure!(Instant::now() < deadline, "server did not stop");
            thread::sleep(Duration::from_millis(5));
        }
        let stats = self
            .thread
            .join()
            .map_err(|_| anyhow!("server thread panicked"))?;
        stats.context("server failed")
    }
}

/// A client connection with a read timeout.
fn connect(addr: SocketAddr) -> Result<TcpStream> {
    let stream = TcpStream::connect(addr).context("connect")?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    Ok(stream)
}

/// Reads until the server closes; a reset counts as a close.
fn read_to_close(stream: &mut TcpStream) -> Result<Vec<u8>> {
    let mut reply = Vec::new();
    match stream.read_to_end(&mut reply) {
        Ok(_) => Ok(reply),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(reply),
        Err(e) => Err(e).context("reading the reply"),
    }
}

/// Sends `request` and returns everything the server sent before closing.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Result<Vec<u8>> {
    let mut stream = connect(addr)?;
    stream.write_all(request).context("sending")?;
    read_to_close(&mut stream)
}

/// Checks that a normal request is still answered.
fn still_answers(addr: SocketAddr) -> Result<()> {
    let reply = exchange(addr, b"still there?\n\n")?;
    ensure!(
        reply == b"Hello still there?",
        "got {:?}",
        String::from_utf8_lossy(&reply)
    );
    Ok(())
}

/// Runs `body` against a fresh server and checks the fd count afterwards; returns the stats.
fn scenario<C: Connection + 'static>(
    opts: ServerOptions,
    body: impl FnOnce(&Running) -> Result<()>,
) -> Result<Stats> {
    let _quiet: MutexGuard<()> = QUIET_FDS.lock().unwrap_or_else(|e| e.into_inner());
    let before = open_fd_count()?;
    let server = Running::start::<C>(&opts)?;
    let result = body(&server);
    let running = server.is_running();
    let stats = server.stop()?;
    result?;
    ensure!(running, "the server stopped by itself");
    still_no_leak(before)?;
    Ok(stats)
}

/// The fd count is back to `before` (closing is immediate, but allow the kernel a moment).
fn still_no_leak(before: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let now = open_fd_count()?;
        if now == before {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("fd leak: {before} open before the server, {now} after");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn opts() -> ServerOptions {
    ServerOptions::default()
}

/// Normal requests: whole, terminator split across reads (one byte at a time), empty, binary
/// garbage, many clients at once.
pub fn answers<C: Connection + 'static>() -> Result<()> {
    let stats = scenario::<C>(opts(), |server| {
        let addr = server.addr;
        ensure!(exchange(addr, b"world\n\n")? == b"Hello world");
        ensure!(exchange(addr, b"\n\n")? == b"Hello ");
        // Bytes after the terminator are not part of the request.
        ensure!(exchange(addr, b"a\n\nb\n\n")? == b"Hello a");
        // Binary garbage (NULs, invalid UTF-8, lone CR/LF) is just bytes.
        let garbage: Vec<u8> = (0..=255u8)
            .filter(|&b| b != b'\n')
            .chain([b'\n', 0, b'\n', b'\n'])
            .collect();
        let reply = exchange(addr, &garbage)?;
        ensure!(
            reply[6..] == garbage[..garbage.len() - 2],
            "garbage reply differs"
        );
        // The terminator split across reads: one byte per write, with pauses.
        let mut slow = connect(addr)?;
        slow.set_nodelay(true)?;
        for byte in b"slow\n\n" {
            slow.write_all(&[*byte])?;
            thread::sleep(Duration::from_millis(20));
        }
        ensure!(read_to_close(&mut slow)? == b"Hello slow");
        // Many clients at once, from threads.
        let clients: Vec<_> = (0..50)
            .map(|i| thread::spawn(move || exchange(addr, format!("client {i}\n\n").as_bytes())))
            .collect();
        for (i, client) in clients.into_iter().enumerate() {
            let reply = client.join().map_err(|_| anyhow!("client panicked"))??;
            ensure!(reply == format!("Hello client {i}").as_bytes());
        }
        Ok(())
    })?;
    ensure!(stats.answered == 55, "{stats:?}");
    Ok(())
}

/// A request over `--max-request` is closed unanswered; others are still served.
pub fn over_limit<C: Connection + 'static>() -> Result<()> {
    let stats = scenario::<C>(
        ServerOptions {
            max_request: 1000,
            ..opts()
        },
        |server| {
            // Exactly at the limit (terminator included) is fine.
            let at_limit = [vec![b'x'; 998], b"\n\n".to_vec()].concat();
            ensure!(exchange(server.addr, &at_limit)?.len() == 6 + 998);
            // One byte more is not; the client may see a reset because its bytes were unread.
            let mut big = connect(server.addr)?;
            match big.write_all(&vec![b'y'; 5000]) {
                Ok(()) => {}
                Err(e)
                    if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {}
                Err(e) => return Err(e).context("sending the big request"),
            }
            ensure!(
                read_to_close(&mut big)?.is_empty(),
                "an over-limit request got an answer"
            );
            still_answers(server.addr)
        },
    )?;
    ensure!(stats.too_large == 1 && stats.answered == 2, "{stats:?}");
    Ok(())
}

/// A silent client, and one that stops halfway through its request, are closed at the idle
/// timeout while an active client is served.
pub fn idle_timeout<C: Connection + 'static>() -> Result<()> {
    let timeout = Duration::from_millis(300);
    let stats = scenario::<C>(
        ServerOptions {
            idle_timeout: timeout,
            ..opts()
        },
        |server| {
            let started = Instant::now();
            let mut silent = connect(server.addr)?;
            let mut halfway = connect(server.addr)?;
            halfway.write_all(b"I was about to say")?;
            still_answers(server.addr)?;
            ensure!(read_to_close(&mut silent)?.is_empty());
            ensure!(read_to_close(&mut halfway)?.is_empty());
            let waited = started.elapsed();
            ensure!(
                waited >= timeout,
                "closed after {waited:?}, before the idle timeout"
            );
            Ok(())
        },
    )?;
    ensure!(stats.timed_out == 2 && stats.answered == 1, "{stats:?}");
    Ok(())
}

/// Clients that reset (RST) or half-close are cleaned up; a half-closed client that sent its
/// whole request still gets its answer.
pub fn reset_and_half_closed<C: Connection + 'static>() -> Result<()> {
    let stats = scenario::<C>(opts(), |server| {
        // Reset halfway through a request (SO_LINGER 0 makes close send RST).
        let reset = connect(server.addr)?;
        (&reset).write_all(b"partial")?;
        socket2::SockRef::from(&reset).set_linger(Some(Duration::ZERO))?;
        drop(reset);
        // Reset without reading the answer to a whole request.
        let rude = connect(server.addr)?;
        socket2::SockRef::from(&rude).set_linger(Some(Duration::ZERO))?;
        (&rude).write_all(b"never mind\n\n")?;
        drop(rude);
        // Half-closed after a whole request: still answered.
        let mut done_sending = connect(server.addr)?;
        done_sending.write_all(b"bye\n\n")?;
        done_sending.shutdown(Half::Write)?;
        ensure!(read_to_close(&mut done_sending)? == b"Hello bye");
        // Half-closed before the terminator: closed unanswered.
        let mut gave_up = connect(server.addr)?;
        gave_up.write_all(b"bye\n")?;
        gave_up.shutdown(Half::Write)?;
        ensure!(read_to_close(&mut gave_up)?.is_empty());
        still_answers(server.addr)?;
        // Give the server time to see the resets before it is stopped.
        thread::sleep(Duration::from_millis(100));
        Ok(())
    })?;
    // The rude client may be answered before its reset arrives, or fail writing.
    ensure!(stats.accepted == 5, "{stats:?}");
    ensure!(
        stats.closed_early + stats.failed >= 2 && stats.answered >= 2,
        "{stats:?}"
    );
    ensure!(stats.open_at_shutdown == 0, "{stats:?}");
    Ok(())
}

/// A reply far larger than the socket buffers, to a client that reads late: the server writes
/// it in parts, waiting for writability between them.
pub fn partial_writes<C: Connection + 'static>() -> Result<()> {
    const SIZE: usize = 8 << 20;
    let stats = scenario::<C>(
        ServerOptions {
            max_request: 2 * SIZE,
            ..opts()
        },
        |server| {
            // A fixed, small receive buffer turns off the kernel's autotuning (which may grow to
            // tens of MiB), so the reply cannot fit in the buffers: the server's send buffer is at
            // most `net.ipv4.tcp_wmem`'s maximum (4 MiB by default), well under SIZE.
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            socket.set_recv_buffer_size(64 << 10)?;
            socket.connect(&server.addr.into())?;
            let mut client = TcpStream::from(socket);
            client.set_read_timeout(Some(PATIENCE))?;
            let body: Vec<u8> = (0..SIZE).map(|i| b'a' + (i % 26) as u8).collect();
            client.write_all(&body)?;
            client.write_all(b"\n\n")?;
            // Let the server fill the buffers and wait before anything is read.
            thread::sleep(Duration::from_millis(300));
            let reply = read_to_close(&mut client)?;
            ensure!(
                reply.len() == SIZE + 6 && reply[6..] == body[..],
                "reply of {} bytes",
                reply.len()
            );
            Ok(())
        },
    )?;
    ensure!(stats.answered == 1 && stats.write_waits >= 1, "{stats:?}");
    Ok(())
}

/// With `--max-connections 2`, a third client waits in the listen queue and is served once one
/// of the first two leaves.
pub fn connection_limit<C: Connection + 'static>() -> Result<()> {
    let stats = scenario::<C>(
        ServerOptions {
            max_connections: 2,
            ..opts()
        },
        |server| {
            let first = connect(server.addr)?;
            let _second = connect(server.addr)?;
            let mut third = connect(server.addr)?;
            third.write_all(b"third\n\n")?;
            third.set_read_timeout(Some(Duration::from_millis(300)))?;
            let mut byte = [0u8; 1];
            match third.read(&mut byte) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                other => bail!("the third client was served over the limit: {other:?}"),
            }
            drop(first);
            third.set_read_timeout(Some(PATIENCE))?;
            ensure!(read_to_close(&mut third)? == b"Hello third");
            Ok(())
        },
    )?;
    ensure!(stats.limit_paused >= 1 && stats.answered == 1, "{stats:?}");
    Ok(())
}

/// Running out of file descriptors pauses accepting instead of crashing: with the fd table full,
/// a client waits unaccepted; once fds are free again it is served, and nothing leaked.
///
/// Lowers this process's `RLIMIT_NOFILE` for the duration, so run it in a test binary of its own.
pub fn fd_exhaustion<C: Connection + 'static>() -> Result<()> {
    let stats = scenario::<C>(opts(), |server| {
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
        // The client's socket exists before the table fills; it connects afterwards.
        let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        setrlimit(
            Resource::RLIMIT_NOFILE,
            (open_fd_count()? + 64) as u64,
            hard,
        )?;
        let mut fillers = Vec::new();
        let filled = loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => fillers.push(file),
                Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EMFILE as i32) => {
                    break Ok(());
                }
                Err(e) => break Err(e),
            }
            if fillers.len() > 100_000 {
                break Err(std::io::Error::other("the fd table did not fill"));
            }
        };
        let waited = filled.context("filling the fd table").and_then(|()| {
            client.connect(&server.addr.into())?;
            let mut client = TcpStream::from(client);
            client.write_all(b"after the drought\n\n")?;
            client.set_read_timeout(Some(Duration::from_millis(400)))?;
            let mut byte = [0u8; 1];
            match client.read(&mut byte) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                other => bail!("served without a free fd? {other:?}"),
            }
            ensure!(server.is_running(), "the server died when fds ran out");
            Ok(client)
        });
        drop(fillers);
        setrlimit(Resource::RLIMIT_NOFILE, soft, hard)?;
        let mut client = waited?;
        client.set_read_timeout(Some(PATIENCE))?;
        let reply = read_to_close(&mut client)?;
        ensure!(
            reply == b"Hello after the drought",
            "got {:?}",
            String::from_utf8_lossy(&reply)
        );
        still_answers(server.addr)
    })?;
    ensure!(stats.accept_paused >= 1 && stats.answered == 2, "{stats:?}");
    Ok(())
}

/// A request followed by more bytes (200 KB of them, in the same write and after a pause) gets its
/// reply and then a clean end of stream, not a reset: the server shuts down its write side and
/// drops what the client still sends until the client closes.
pub fn trailing_bytes_close_cleanly<C: Connection + 'static>() -> Result<()> {
    let trailing = vec![b't'; 200_000];
    let stats = scenario::<C>(opts(), |server| {
        for pause in [None, Some(Duration::from_millis(100))] {
            let mut client = connect(server.addr)?;
            match pause {
                // All in one go: the trailing bytes arrive with the request.
                None => client.write_all(&[&b"first\n\n"[..], &trailing].concat())?,
                // The trailing bytes arrive after the reply was sent.
                Some(pause) => {
                    client.write_all(b"first\n\n")?;
                    thread::sleep(pause);
                    client.write_all(&trailing)?;
                }
            }
            // Not `read_to_close`: a reset here is the failure this scenario is about.
            let mut reply = Vec::new();
            client
                .read_to_end(&mut reply)
                .with_context(|| format!("reading the reply to the end ({pause:?})"))?;
            ensure!(
                reply == b"Hello first",
                "got {:?}",
                String::from_utf8_lossy(&reply)
            );
        }
        still_answers(server.addr)
    })?;
    ensure!(
        stats.answered == 3 && stats.linger_cut == 0 && stats.failed == 0,
        "{stats:?}"
    );
    Ok(())
}

/// With `--max-connections 50 --request-timeout 3`, 50 clients that each send one byte a second
/// (so the idle timeout never fires) hold every slot; a normal client is still answered within
/// 10 s, because it takes the slot of the one that has waited longest on its request, and the
/// others are closed at the request deadline however steadily they drip.
pub fn drip_clients_cannot_lock_others_out<C: Connection + 'static>() -> Result<()> {
    const DRIPPERS: usize = 50;
    let deadline = Duration::from_secs(3);
    let stats = scenario::<C>(
        ServerOptions {
            max_connections: DRIPPERS,
            request_timeout: deadline,
            ..opts()
        },
        |server| {
            let started = Instant::now();
            let mut drippers = (0..DRIPPERS)
                .map(|_| {
                    let stream = connect(server.addr)?;
                    stream.set_nonblocking(true)?;
                    Ok(Some(stream))
                })
                .collect::<Result<Vec<_>>>()?;
            let drip = |drippers: &mut Vec<Option<TcpStream>>| {
                for slot in drippers.iter_mut() {
                    let closed = match slot {
                        Some(stream) => {
                            let mut byte = [0u8; 1];
                            // Closed by the server: end of stream or a reset.
                            matches!(stream.read(&mut byte), Ok(0))
                                || stream
                                    .read(&mut byte)
                                    .is_err_and(|e| e.kind() != ErrorKind::WouldBlock)
                                || stream.write(b"x").is_err()
                        }
                        None => false,
                    };
                    if closed {
                        *slot = None;
                    }
                }
            };
            drip(&mut drippers);
            // A normal client, once every slot is taken by a dripper.
            let normal = thread::spawn({
                let addr = server.addr;
                move || {
                    let asked = Instant::now();
                    let reply = exchange(addr, b"let me in\n\n");
                    (reply, asked.elapsed())
                }
            });
            // Drip a byte a second until the normal client is served and the deadline passed.
            while !(normal.is_finished() && started.elapsed() > deadline + Duration::from_secs(1)) {
                ensure!(started.elapsed() < PATIENCE, "the scenario did not end");
                thread::sleep(Duration::from_millis(1000));
                drip(&mut drippers);
            }
            let (reply, waited) = normal.join().map_err(|_| anyhow!("client panicked"))?;
            ensure!(
                reply? == b"Hello let me in",
                "the normal client was not answered"
            );
            ensure!(waited < PATIENCE, "the normal client waited {waited:?}");
            // Dripping did not keep any of them past the deadline (with a second's slack).
            thread::sleep(Duration::from_millis(500));
            drip(&mut drippers);
            let open = drippers.iter().filter(|d| d.is_some()).count();
            ensure!(
                open == 0,
                "{open} drippers still open after {:?}",
                started.elapsed()
            );
            Ok(())
        },
    )?;
    ensure!(
        stats.evicted >= 1
            && stats.evicted + stats.too_slow == DRIPPERS as u64
            && stats.answered == 1
            && stats.timed_out == 0,
        "{stats:?}"
    );
    Ok(())
}

/// A flood of 300 clients that each send 60,000 bytes of a request and stop holds about 18 MB of
/// request buffers; once they are gone, the server gives that memory back to the system: the
/// process's resident size falls back to within a tenth of the rise. (The server runs in a thread
/// here, whose heap glibc trims more readily than a main thread's: `memory_after_a_flood` checks
/// the same of a server process.)
pub fn memory_returns_after_a_flood<C: Connection + 'static>() -> Result<()> {
    const CLIENTS: usize = 300;
    const SENT: usize = 60_000;
    let stats = scenario::<C>(opts(), |server| {
        let rss = || crate::processes::status_bytes(std::process::id(), "VmRSS");
        let before = rss()?;
        let fds = open_fd_count()?;
        let mut clients = (0..CLIENTS)
            .map(|_| connect(server.addr))
            .collect::<Result<Vec<_>>>()?;
        // Every client accepted (its server side is an fd of this process too), so that all are
        // open at once before they send.
        let waited = Instant::now();
        while open_fd_count()? < fds + 2 * CLIENTS {
            ensure!(
                waited.elapsed() < PATIENCE,
                "the clients were not all accepted"
            );
            thread::sleep(Duration::from_millis(10));
        }
        let chunk = vec![b'f'; SENT];
        for client in &mut clients {
            client.write_all(&chunk)?;
        }
        // Wait until the server has read most of it.
        let rise_wanted = (CLIENTS * SENT) as u64 * 3 / 4;
        let waited = Instant::now();
        let during = loop {
            let now = rss()?;
            if now >= before + rise_wanted {
                break now;
            }
            ensure!(
                waited.elapsed() < PATIENCE,
                "the flood raised the resident size by only {} bytes",
                now.saturating_sub(before)
            );
            thread::sleep(Duration::from_millis(20));
        };
        drop(clients);
        // Every server side closed too: the server has seen the flood go.
        let waited = Instant::now();
        while open_fd_count()? > fds {
            ensure!(
                waited.elapsed() < PATIENCE,
                "the server did not close the flood's connections"
            );
            thread::sleep(Duration::from_millis(10));
        }
        let rise = during - before;
        let waited = Instant::now();
        loop {
            let after = rss()?;
            // ASan's allocator keeps what was freed in quarantine: nothing to measure there.
            if after <= before + rise / 10 || crate::processes::SANITIZED {
                break;
            }
            ensure!(
                waited.elapsed() < PATIENCE,
                "resident size {before} before the flood, {during} during, still {after} after"
            );
            thread::sleep(Duration::from_millis(50));
        }
        still_answers(server.addr)
    })?;
    ensure!(
        stats.closed_early == CLIENTS as u64 && stats.memory_released >= 1,
        "{stats:?}"
    );
    Ok(())
}

/// Starts a server process from `command` (stdout is piped to read its `listening on IP:PORT`).
fn start_process(mut command: std::process::Command) -> Result<(std::process::Child, SocketAddr)> {
    use std::io::BufRead;
    let mut child = command
        .arg("--addr")
        .arg("127.0.0.1:0")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        std::io::BufReader::new(stdout).read_line(&mut first)?;
    }
    match first
        .trim()
        .strip_prefix("listening on")
        .map(|a| a.trim().parse())
    {
        Some(Ok(addr)) => Ok((child, addr)),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server's first line was {first:?}")
        }
    }
}

/// Sends `signal` to a running child and returns how it ended (killed after [`PATIENCE`]).
fn stop_process(
    mut child: std::process::Child,
    signal: nix::sys::signal::Signal,
) -> Result<std::process::ExitStatus> {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).context("pid")?);
    nix::sys::signal::kill(pid, signal).context("signalling the server")?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the server did not stop on {signal}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A server whose stderr is a pipe nobody reads any more (every write fails with `EPIPE`) still
/// answers, and on SIGTERM (which makes it write what it did to stderr) exits 0, not with a panic.
pub fn closed_stderr(program: &crate::processes::Program) -> Result<()> {
    let (reader, writer) = std::io::pipe().context("pipe")?;
    drop(reader);
    let mut command = program.command(crate::processes::Role::Server);
    command.stderr(writer);
    let (child, addr) = start_process(command)?;
    let reply = exchange(addr, b"no stderr\n\n");
    let status = stop_process(child, nix::sys::signal::Signal::SIGTERM)?;
    ensure!(reply? == b"Hello no stderr", "the server did not answer");
    ensure!(
        status.code() == Some(0),
        "exited {status} on SIGTERM with a closed stderr"
    );
    Ok(())
}

/// A server process gives back the memory of a flood once it has gone: 1,000 clients each send
/// 60,000 bytes of a request and stop (60 MB of request buffers, more with the allocator's
/// slack), then leave; the resident size (`/proc/PID/status` `VmRSS`) falls back to within a tenth
/// of the rise. The figures are printed. (Without the loop's `malloc_trim`, about 20 MiB of the
/// 70 stay resident here, and 126 of 128 MiB after 2,000 clients in a release build.)
pub fn memory_after_a_flood(program: &crate::processes::Program) -> Result<()> {
    use crate::processes::{mib, status_bytes};
    // Under ASan nothing is measured (its allocator keeps what was freed): fewer clients do.
    let clients_count = if crate::processes::SANITIZED {
        300
    } else {
        1000
    };
    const SENT: usize = 60_000;
    let mut command = program.command(crate::processes::Role::Server);
    command.stderr(std::process::Stdio::null());
    let (child, addr) = start_process(command)?;
    let pid = child.id();
    let measured = (|| -> Result<(u64, u64, u64)> {
        let before = status_bytes(pid, "VmRSS")?;
        let fds = || -> Result<usize> { Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count()) };
        let fds_before = fds()?;
        // Each client connects and sends at once, as in a flood: the server's allocations for
        // connections and for their requests interleave.
        let chunk = vec![b'f'; SENT];
        let clients = (0..clients_count)
            .map(|_| {
                let mut client = connect(addr)?;
                client.write_all(&chunk)?;
                Ok(client)
            })
            .collect::<Result<Vec<_>>>()?;
        let waited = Instant::now();
        while fds()? < fds_before + clients_count {
            ensure!(
                waited.elapsed() < PATIENCE,
                "the clients were not all accepted"
            );
            thread::sleep(Duration::from_millis(10));
        }
        let waited = Instant::now();
        let during = loop {
            let now = status_bytes(pid, "VmRSS")?;
            if now >= before + (clients_count * SENT) as u64 * 3 / 4 {
                break now;
            }
            ensure!(
                waited.elapsed() < PATIENCE,
                "the flood raised the resident size by only {}",
                mib(now.saturating_sub(before))
            );
            thread::sleep(Duration::from_millis(20));
        };
        drop(clients);
        let rise = during - before;
        let waited = Instant::now();
        loop {
            let after = status_bytes(pid, "VmRSS")?;
            // ASan's allocator keeps what was freed in quarantine: nothing to measure there.
            if after <= before + rise / 10 || crate::processes::SANITIZED {
                return Ok((before, during, after));
            }
            ensure!(
                waited.elapsed() < PATIENCE,
                "resident size {} before the flood, {} during, still {} after",
                mib(before),
                mib(during),
                mib(after)
            );
            thread::sleep(Duration::from_millis(50));
        }
    })();
    let status = stop_process(child, nix::sys::signal::Signal::SIGTERM)?;
    let (before, during, after) = measured?;
    ensure!(status.code() == Some(0), "exited {status} on SIGTERM");
    println!(
        "    server resident size: {} before, {} during a flood of {clients_count} x {SENT} bytes, {} after",
        mib(before),
        mib(during),
        mib(after)
    );
    Ok(())
}
