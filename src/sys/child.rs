//! Running a child process that comes from the user's config (`mfa_process`,
//! `credential_process`, a desktop dialog) so that nothing it does can hold
//! us: it gets its own process group, its stdout and stderr are drained
//! together (a child that fills one pipe while we wait on the other would
//! deadlock), its output is capped, and a hard deadline holds whatever its
//! children do — a background grandchild that keeps a pipe open is not
//! waited for. Whatever is left of the group is killed with SIGKILL when we
//! return, however we return.
//!
//! One thread and poll(2) rather than a reader thread per pipe: a reader
//! thread blocked on a pipe that an escaped grandchild (setsid) keeps open
//! could never be joined; with poll we just stop reading and close our end.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the cancel check runs (Ctrl-C must feel immediate).
const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// How long to keep reading after the direct child exited: output it wrote
/// is already in the pipe; only a background grandchild can keep it open.
const EXIT_GRACE: Duration = Duration::from_millis(200);

pub struct Limits {
    /// From the start; the child and its group are killed when it passes.
    pub deadline: Duration,
    /// Bytes kept of each of stdout and stderr; the rest is read and dropped.
    pub max_output: usize,
}

pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug)]
pub enum Failure {
    /// It could not be started (not found, not executable, …).
    Spawn(std::io::Error),
    /// It was still running at the deadline (which this holds) and was killed.
    TimedOut(Duration),
    /// `cancelled()` said so (Ctrl-C); it was killed.
    Cancelled,
    /// Watching it failed (poll, read, wait).
    Io(std::io::Error),
}

/// Runs `command` in a new process group with `stdin` fed to it (or
/// /dev/null), both outputs captured; see the module comment. Whatever
/// `command` set for stdin/stdout/stderr is replaced.
pub fn run(
    mut command: Command,
    stdin: Option<&[u8]>,
    limits: &Limits,
    cancelled: &dyn Fn() -> bool,
) -> Result<Finished, Failure> {
    let started = Instant::now();
    // If we are killed (kill -9 included) the child goes too, instead of
    // running on with nobody to read it. (Its own children cannot be
    // covered this way: the flag is not inherited.)
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // We died before the flag was set: nobody will read the output.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("awsesh exited"));
            }
            Ok(())
        });
    }
    command
        .process_group(0)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().map_err(Failure::Spawn)?;
    let mut group = Group {
        child,
        reaped: None,
    };
    let mut input = group.child.stdin.take().map(|pipe| Input {
        pipe,
        rest: stdin.unwrap_or_default(),
    });
    let mut out = Output::new(group.child.stdout.take(), limits.max_output);
    let mut err = Output::new(group.child.stderr.take(), limits.max_output);
    for fd in [
        out.fd(),
        err.fd(),
        input.as_ref().map(|i| i.pipe.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd).map_err(Failure::Io)?;
    }

    let hard_stop = started.checked_add(limits.deadline);
    let mut exited_at: Option<Instant> = None;
    loop {
        if cancelled() {
            return Err(Failure::Cancelled);
        }
        let now = Instant::now();
        if hard_stop.is_some_and(|stop| now >= stop) {
            return Err(Failure::TimedOut(limits.deadline));
        }
        if exited_at.is_none() && group.has_exited().map_err(Failure::Io)? {
            exited_at = Some(now);
        }
        let drained = out.is_closed() && err.is_closed();
        match exited_at {
            Some(_) if drained => break,
            Some(at) if now.duration_since(at) >= EXIT_GRACE => break,
            _ => {}
        }

        let mut wait = POLL_INTERVAL;
        if let Some(stop) = hard_stop {
            wait = wait.min(stop.saturating_duration_since(now));
        }
        let mut fds = Vec::with_capacity(3);
        for fd in [out.fd(), err.fd()].into_iter().flatten() {
            fds.push(pollfd(fd, libc::POLLIN));
        }
        if let Some(input) = &input {
            fds.push(pollfd(input.pipe.as_raw_fd(), libc::POLLOUT));
        }
        poll(&mut fds, wait).map_err(Failure::Io)?;
        out.drain().map_err(Failure::Io)?;
        err.drain().map_err(Failure::Io)?;
        if let Some(feed) = input.as_mut()
            && feed.feed().map_err(Failure::Io)?
        {
            // All written, or the child closed its end: close ours (EOF).
            input = None;
        }
    }
    drop(input);
    let status = group.finish().map_err(Failure::Io)?;
    Ok(Finished {
        status,
        stdout: out.kept,
        stderr: err.kept,
    })
}

/// How running a command line from the config went wrong, in words that
/// follow "`KEY` of profile P …" and never contain the command line.
pub enum ConfigCommandError {
    Cancelled,
    Failed(String),
}

/// Runs a command line from the AWS config (`mfa_process`,
/// `credential_process`) through `/bin/sh -c`, as the SDKs do, with `limits`;
/// its stdout on success. `timeout_var` names the setting that changes the
/// deadline. The command line may hold a secret: no message shows it, and
/// words of it that the child echoes on stderr are hidden.
pub fn run_config_command(
    command_line: &str,
    limits: &Limits,
    timeout_var: &str,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<u8>, ConfigCommandError> {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(command_line);
    let failed = |detail: String| Err(ConfigCommandError::Failed(detail));
    let done = match run(command, None, limits, cancelled) {
        Ok(done) => done,
        Err(Failure::Cancelled) => return Err(ConfigCommandError::Cancelled),
        Err(Failure::TimedOut(after)) => {
            return failed(format!(
                "timed out after {} s and was stopped ({timeout_var} sets the limit)",
                after.as_secs()
            ));
        }
        Err(Failure::Spawn(e)) => return failed(format!("could not be started ({})", e.kind())),
        Err(Failure::Io(e)) => return failed(format!("could not be watched ({})", e.kind())),
    };
    if !done.status.success() {
        let status = match done.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = hide_command_words(&excerpt(&done.stderr), command_line);
        let said = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        return failed(format!("failed ({status}){said}"));
    }
    Ok(done.stdout)
}

/// One line for an error message from what a child wrote on stderr: control
/// characters dropped, whitespace runs collapsed, cut to about 200 characters.
pub fn excerpt(stderr: &[u8]) -> String {
    const MAX_CHARS: usize = 200;
    let text = String::from_utf8_lossy(stderr);
    let mut line = String::new();
    let mut count = 0;
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !line.is_empty() {
            line.push(' ');
            count += 1;
        }
        for c in word.chars().filter(|c| !is_invisible(*c)) {
            if count >= MAX_CHARS {
                line.push('…');
                return line;
            }
            line.push(c);
            count += 1;
        }
    }
    line
}

/// `text` with every word of `command_line` that looks like a secret
/// replaced by `[hidden]`: a shell reporting `sh: 1: JBSWY3DPEHPK3PXP: not
/// found`, or a tool echoing a bad argument, must not show a seed or a
/// token. Secret-like: eight characters or more mixing letters and digits,
/// or twenty or more of anything. Plain words ("not", "inserted") stay, so
/// the message still says what went wrong.
pub fn hide_command_words(text: &str, command_line: &str) -> String {
    let secret_like = |w: &&str| {
        let letters = w.chars().any(char::is_alphabetic);
        let digits = w.chars().any(|c| c.is_ascii_digit());
        let len = w.chars().count();
        (len >= 8 && letters && digits) || len >= 20
    };
    let mut words: Vec<&str> = command_line
        .split(|c: char| c.is_whitespace() || "'\"=;|&()<>`$,:/".contains(c))
        .filter(secret_like)
        .collect();
    // Longest first, so a word that contains another is hidden whole.
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    words
        .into_iter()
        .fold(text.to_string(), |acc, word| acc.replace(word, "[hidden]"))
}

/// Characters that would let a child's message drive or hide in the
/// terminal: format and bidi controls (controls are already separators).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// The child and its process group (whose id is the child's pid). The group
/// is killed before the child is reaped: until then the child's pid, and so
/// the group id, cannot be reused by an unrelated process.
struct Group {
    child: Child,
    reaped: Option<ExitStatus>,
}

impl Group {
    fn pgid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).unwrap_or(libc::pid_t::MAX)
    }

    /// Whether the direct child has exited, without reaping it (WNOWAIT).
    fn has_exited(&self) -> std::io::Result<bool> {
        // SAFETY: a zeroed siginfo_t is valid; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: waitid on our own child's pid with a valid pointer.
            let rc = unsafe {
                libc::waitid(
                    libc::P_PID,
                    self.child.id(),
                    &mut info,
                    libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
                )
            };
            if rc == 0 {
                // SAFETY: si_pid is valid to read after a successful waitid.
                return Ok(unsafe { info.si_pid() } != 0);
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    fn kill_group(&self) {
        if self.reaped.is_none() {
            // SAFETY: kill with a negative pid signals our child's group.
            unsafe {
                libc::kill(-self.pgid(), libc::SIGKILL);
            }
        }
    }

    /// Kills what is left of the group, then reaps the child.
    fn finish(&mut self) -> std::io::Result<ExitStatus> {
        self.kill_group();
        let status = self.child.wait()?;
        self.reaped = Some(status);
        Ok(status)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            let _ = self.finish();
        }
    }
}

struct Output<R> {
    pipe: Option<R>,
    kept: Vec<u8>,
    max: usize,
}

impl<R: Read + AsRawFd> Output<R> {
    fn new(pipe: Option<R>, max: usize) -> Self {
        Output {
            pipe,
            kept: Vec::new(),
            max,
        }
    }

    fn fd(&self) -> Option<RawFd> {
        self.pipe.as_ref().map(AsRawFd::as_raw_fd)
    }

    fn is_closed(&self) -> bool {
        self.pipe.is_none()
    }

    /// Reads what is available now (at most 1 MiB, so a fast writer cannot
    /// keep us here), keeping up to `max` bytes.
    fn drain(&mut self) -> std::io::Result<()> {
        let mut buf = [0u8; 16 * 1024];
        for _ in 0..64 {
            let Some(pipe) = self.pipe.as_mut() else {
                return Ok(());
            };
            match pipe.read(&mut buf) {
                Ok(0) => self.pipe = None,
                Ok(n) => {
                    let room = self.max.saturating_sub(self.kept.len());
                    self.kept
                        .extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

struct Input<'a> {
    pipe: std::process::ChildStdin,
    rest: &'a [u8],
}

impl Input<'_> {
    /// Writes what the pipe takes now; true when done (all written, or the
    /// child closed its end, which is its business).
    fn feed(&mut self) -> std::io::Result<bool> {
        while !self.rest.is_empty() {
            match self.pipe.write(self.rest) {
                Ok(0) => return Ok(true),
                Ok(n) => self.rest = self.rest.get(n..).unwrap_or_default(),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// poll(2) for at most `wait`; EINTR counts as a wake-up (the caller loops).
fn poll(fds: &mut [libc::pollfd], wait: Duration) -> std::io::Result<()> {
    let millis = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    let count = libc::nfds_t::try_from(fds.len()).unwrap_or(0);
    // SAFETY: fds points to `count` valid pollfd structs (or none, a sleep).
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), count, millis) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

fn set_nonblocking(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    fn limits(deadline_ms: u64, max_output: usize) -> Limits {
        Limits {
            deadline: Duration::from_millis(deadline_ms),
            max_output,
        }
    }

    fn never() -> bool {
        false
    }

    /// Processes whose process group is `pgid` and that are not zombies.
    fn live_members(pgid: u32) -> Vec<u32> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp …: comm may hold spaces, so split after ')'.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields[0] != "Z" && fields[2] == pgid.to_string() {
                found.push(pid);
            }
        }
        found
    }

    /// Waits up to 2 s for the group to be gone (SIGKILL is delivered
    /// asynchronously) and fails naming the survivors.
    fn assert_group_gone(pgid: u32) {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let alive = live_members(pgid);
            if alive.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "processes of group {pgid} survived: {alive:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The script prints `$$` (its pid = the group id) on stderr's first line.
    fn pgid_from(stderr: &[u8]) -> u32 {
        String::from_utf8_lossy(stderr)
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no pid in {:?}", String::from_utf8_lossy(stderr)))
    }

    #[test]
    fn megabytes_before_exit_are_drained_and_capped() {
        let started = Instant::now();
        let done = run(
            sh("head -c 5000000 /dev/zero; head -c 3000000 /dev/zero >&2; echo $$ >&2; exit 0"),
            None,
            &limits(20_000, 4096),
            &never,
        )
        .unwrap();
        assert!(done.status.success());
        assert_eq!(done.stdout.len(), 4096, "stdout capped");
        assert_eq!(done.stderr.len(), 4096, "stderr capped");
        assert!(started.elapsed() < Duration::from_secs(10), "no deadlock");
    }

    #[test]
    fn a_background_child_holding_the_pipe_does_not_hold_us() {
        let started = Instant::now();
        let done = run(
            sh("echo $$ >&2; sleep 30 & echo 123456"),
            None,
            &limits(20_000, 4096),
            &never,
        )
        .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "held for {:?}",
            started.elapsed()
        );
        assert_eq!(String::from_utf8_lossy(&done.stdout), "123456\n");
        assert!(done.status.success());
        assert_group_gone(pgid_from(&done.stderr));
    }

    #[test]
    fn a_background_writer_is_capped_and_killed() {
        let done = run(
            sh("echo $$ >&2; yes & yes >&2 & echo started"),
            None,
            &limits(20_000, 1000),
            &never,
        )
        .unwrap();
        assert_eq!(done.stdout.len(), 1000);
        assert_group_gone(pgid_from(&done.stderr));
    }

    /// Runs `script` (which records its group id in a file, since a timed
    /// out run returns no output) and expects it to be killed at the deadline.
    fn times_out(script: &str) {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir
            .path()
            .join(format!("pid{}", N.fetch_add(1, Ordering::SeqCst)));
        let script = format!("echo $$ > '{}'; {script}", pid_file.display());
        let started = Instant::now();
        let result = run(sh(&script), None, &limits(1000, 4096), &never);
        let elapsed = started.elapsed();
        assert!(
            matches!(result, Err(Failure::TimedOut(d)) if d == Duration::from_secs(1)),
            "{:?}",
            result.err()
        );
        assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
        let pgid = std::fs::read_to_string(&pid_file).unwrap();
        assert_group_gone(pgid.trim().parse().unwrap());
    }

    #[test]
    fn a_hanging_child_is_killed_at_the_deadline() {
        times_out("sleep 1000");
    }

    #[test]
    fn a_child_ignoring_sigterm_is_killed_with_its_children() {
        times_out("trap '' TERM INT HUP; (trap '' TERM; sleep 1000) & sleep 1000");
    }

    #[test]
    fn a_child_that_closes_its_pipes_and_hangs_is_killed() {
        times_out("exec >/dev/null 2>&1; sleep 1000");
    }

    #[test]
    fn stderr_and_the_exit_status_of_a_failure_are_reported() {
        let done = run(
            sh("echo 'boom: \x1b[31mbad\x1b[0m seed' >&2; exit 3"),
            None,
            &limits(10_000, 4096),
            &never,
        )
        .unwrap();
        assert_eq!(done.status.code(), Some(3));
        assert_eq!(excerpt(&done.stderr), "boom: [31mbad [0m seed");
        assert!(done.stdout.is_empty());
    }

    #[test]
    fn cancel_kills_the_group_at_once() {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("echo $$ > '{}'; sleep 1000", pid_file.display());
        let result = run(sh(&script), None, &limits(20_000, 4096), &|| {
            started.elapsed() > Duration::from_millis(300)
        });
        assert!(
            matches!(result, Err(Failure::Cancelled)),
            "{:?}",
            result.err()
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        let pgid = std::fs::read_to_string(&pid_file).unwrap();
        assert_group_gone(pgid.trim().parse().unwrap());
    }

    #[test]
    fn stdin_is_fed_while_output_is_drained() {
        let input: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let done = run(
            Command::new("cat"),
            Some(&input),
            &limits(20_000, usize::MAX),
            &never,
        )
        .unwrap();
        assert!(done.status.success());
        assert!(
            done.stdout == input,
            "cat echoed {} bytes",
            done.stdout.len()
        );
        let done = run(
            sh("cat >/dev/null; echo ok"),
            None,
            &limits(5_000, 64),
            &never,
        )
        .unwrap();
        assert_eq!(done.stdout, b"ok\n", "no stdin is /dev/null");
    }

    #[test]
    fn a_child_not_reading_its_input_does_not_hold_us() {
        let input = vec![b'x'; 4_000_000];
        let done = run(sh("echo hi"), Some(&input), &limits(5_000, 64), &never).unwrap();
        assert_eq!(done.stdout, b"hi\n");
    }

    #[test]
    fn a_missing_program_is_a_spawn_failure() {
        let result = run(
            Command::new("/nonexistent/awsesh-test"),
            None,
            &limits(1000, 64),
            &never,
        );
        assert!(matches!(result, Err(Failure::Spawn(_))));
    }

    #[test]
    fn excerpts_are_one_short_clean_line() {
        assert_eq!(excerpt(b"  a\n\tb\r\n\x07c  "), "a b c");
        assert_eq!(excerpt(b""), "");
        assert_eq!(excerpt("x\u{202e}y".as_bytes()), "xy");
        let long = excerpt(&[b'z'; 10_000]);
        assert_eq!(long.chars().count(), 201);
        assert!(long.ends_with('…'));
        assert_eq!(excerpt(&[0xff, b'o', b'k']), "\u{fffd}ok");
    }

    #[test]
    fn command_words_are_hidden_from_excerpts() {
        let cmd = "oathtool --totp -b 'JBSWY3DPEHPK3PXP' --key=hunter22secret /opt/x/tok3n9999";
        let said = "sh: 1: oathtool --totp -b JBSWY3DPEHPK3PXP hunter22secret tok3n9999: not found";
        let shown = hide_command_words(said, cmd);
        for secret in ["JBSWY3DPEHPK3PXP", "hunter22secret", "tok3n9999"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("oathtool") && shown.contains("not found"),
            "{shown}"
        );
        let plain = "echo 'yubikey not inserted' >&2; exit 2";
        assert_eq!(
            hide_command_words("yubikey not inserted", plain),
            "yubikey not inserted"
        );
        let long = "x".repeat(25);
        assert_eq!(
            hide_command_words(&format!("a {long} b"), &long),
            "a [hidden] b"
        );
    }
}
