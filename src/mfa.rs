//! Where an MFA code comes from — flag, environment, `mfa_process`, or a
//! prompt on the terminal — and the checks every code passes: exactly six
//! digits, and not one already sent in the last 90 seconds.

use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::store::{Store, file};

/// How long AWS keeps rejecting a code that was already used.
const REUSE_WINDOW_SECS: i64 = 90;
/// How long an `mfa_process` may take (a YubiKey touch included), unless
/// `AWSESH_MFA_PROCESS_TIMEOUT` (e.g. `30s`, `2m`) says otherwise.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

fn process_timeout() -> Duration {
    std::env::var("AWSESH_MFA_PROCESS_TIMEOUT")
        .ok()
        .and_then(|t| crate::duration::parse(&t).ok())
        .filter(|secs| *secs > 0)
        .map_or(PROCESS_TIMEOUT, Duration::from_secs)
}

pub enum CodeSource {
    Given(String),
    Process(String),
    Terminal(File),
}

/// How many times a mistyped code is asked for again.
const PROMPT_ATTEMPTS: u32 = 3;

impl CodeSource {
    /// Chooses the source up front so that a missing terminal fails at once,
    /// before any lock is taken. `terminal`: whether the terminal may be asked.
    pub fn choose(
        flag: Option<&str>,
        mfa_process: Option<&str>,
        terminal: bool,
    ) -> Result<CodeSource> {
        let given = flag
            .map(str::to_string)
            .or_else(|| std::env::var("AWSESH_MFA_CODE").ok())
            .or_else(|| std::env::var("TOTP_CODE").ok())
            .filter(|c| !c.trim().is_empty());
        if let Some(code) = given {
            return Ok(CodeSource::Given(code));
        }
        if let Some(cmd) = mfa_process {
            return Ok(CodeSource::Process(cmd.to_string()));
        }
        terminal
            .then(open_tty)
            .flatten()
            .map(CodeSource::Terminal)
            .ok_or(Error::NoTerminal {
                profile: String::new(),
            })
    }

    /// The terminal, if the code will be typed there (for messages to the user).
    pub fn terminal(&mut self) -> Option<&mut File> {
        match self {
            CodeSource::Terminal(tty) => Some(tty),
            _ => None,
        }
    }

    /// What the holder of the lock is doing while it gets a code from here.
    pub fn activity(&self) -> &'static str {
        match self {
            CodeSource::Given(_) => "calling STS",
            CodeSource::Process(_) => "running mfa_process",
            CodeSource::Terminal(_) => "prompting for a code",
        }
    }

    /// Gets a validated code. `abandon` is set when the code is no longer
    /// wanted (the check of the keys failed meanwhile): the prompt ends.
    pub fn get(&mut self, device: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
        match self {
            CodeSource::Given(code) => validate(code),
            CodeSource::Process(cmd) => validate(&run_process(cmd)?),
            CodeSource::Terminal(tty) => prompt_until_valid(tty, device, profile, abandon),
        }
    }
}

/// A typo at the prompt asks again (a few times) instead of failing the
/// command and every terminal queued behind it.
fn prompt_until_valid(
    tty: &mut File,
    device: &str,
    profile: &str,
    abandon: &AtomicBool,
) -> Result<String> {
    for attempt in 1..=PROMPT_ATTEMPTS {
        if let Ok(code) = validate(&prompt(tty, device, profile, abandon)?) {
            return Ok(code);
        }
        if attempt < PROMPT_ATTEMPTS {
            let _ = writeln!(
                tty,
                "awsesh: the MFA code is 6 digits; try again (123456 or 123 456)"
            );
        }
    }
    Err(Error::GaveUp {
        profile: printable(profile),
        attempts: PROMPT_ATTEMPTS,
    })
}

pub fn open_tty() -> Option<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY)
        .open("/dev/tty")
        .ok()
}

/// The name of our controlling terminal, for "waiting for pid N, tty T".
pub fn tty_name() -> Option<String> {
    [0, 2, 1].into_iter().find_map(|fd| {
        // SAFETY: isatty/ttyname read a descriptor we own; ttyname returns a
        // pointer to a static buffer that we copy at once.
        unsafe {
            if libc::isatty(fd) != 1 {
                return None;
            }
            let name = libc::ttyname(fd);
            if name.is_null() {
                return None;
            }
            Some(
                std::ffi::CStr::from_ptr(name)
                    .to_string_lossy()
                    .into_owned(),
            )
        }
    })
}

/// Six digits once spaces are taken out: authenticator apps show `123 456`.
pub fn validate(code: &str) -> Result<String> {
    let code: String = code.chars().filter(|c| *c != ' ' && *c != '\t').collect();
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err(Error::BadCodeFormat)
    }
}

/// Asks for one line on the terminal. It waits with `poll` rather than a
/// blocking read so that Ctrl-C (whichever thread the signal reaches) and
/// an abandoned prompt end it at once; Ctrl-D cancels too. The cancel is
/// printed on a line of its own, not after the prompt's text.
fn prompt(tty: &mut File, device: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
    crate::cancel::install();
    let device = printable(device);
    let profile = printable(profile);
    write!(tty, "awsesh: MFA code for {device} (profile {profile}): ")
        .and_then(|()| tty.flush())
        .map_err(|e| Error::io("cannot write to the terminal", e))?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if crate::cancel::requested() {
            let _ = writeln!(tty);
            return Err(Error::Cancelled);
        }
        if abandon.load(Ordering::SeqCst) {
            let _ = writeln!(tty);
            return Err(Error::Cancelled);
        }
        let mut pfd = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on a descriptor we own.
        let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
        if ready <= 0 {
            continue;
        }
        match tty.read(&mut byte) {
            Ok(0) => {
                let _ = writeln!(tty);
                return Err(Error::Cancelled);
            }
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() < 64 => line.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::io("cannot read from the terminal", e)),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Strips control characters so names from config files cannot drive the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Runs `mfa_process` through `sh -c`; its stdout is the code. stderr is shown
/// when it fails; it is killed after a timeout.
fn run_process(cmd: &str) -> Result<String> {
    let fail = |detail: String| {
        Error::Other(format!(
            "mfa_process `{cmd}` {detail}; fix the command in your AWS config"
        ))
    };
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("could not start: {e}")))?;
    let timeout = process_timeout();
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "timed out after {} s (AWSESH_MFA_PROCESS_TIMEOUT)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(format!("failed: {e}"))),
        }
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = out.take(4096).read_to_string(&mut stdout);
    }
    if let Some(err) = child.stderr.take() {
        let _ = err.take(4096).read_to_string(&mut stderr);
    }
    if !status.success() {
        let stderr = printable(stderr.trim());
        return Err(fail(format!("failed ({status}): {stderr}")));
    }
    validate(&stdout).map_err(|_| fail("printed something that is not a 6-digit code".into()))
}

fn used_code_path(store: &Store, device: &str) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    device.hash(&mut h);
    store.dir().join(format!("used-{:016x}", h.finish()))
}

fn code_digest(code: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    code.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Refuses a code this device already sent within the reuse window.
pub fn check_not_reused(store: &Store, device: &str, code: &str) -> Result<()> {
    let Ok(Some(bytes)) = file::read(&used_code_path(store, device)) else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut parts = text.split_whitespace();
    let at = parts
        .next()
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    let digest = parts.next().unwrap_or("");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if digest == code_digest(code) && now - at < REUSE_WINDOW_SECS {
        return Err(Error::CodeReused);
    }
    Ok(())
}

/// Remembers that a code was sent (a digest, not the code).
pub fn remember_used(store: &Store, device: &str, code: &str) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let _ = file::write_atomic(
        &used_code_path(store, device),
        format!("{now} {}", code_digest(code)).as_bytes(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_after_trimming() {
        assert_eq!(validate(" 123456\n").unwrap(), "123456");
        assert_eq!(validate("123 456").unwrap(), "123456");
        assert_eq!(validate(" 12 34 56 ").unwrap(), "123456");
        for bad in [
            "12345",
            "1234567",
            "12345a",
            "",
            "１２３４５６",
            "123-456",
            "123\n456",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn process_output_is_the_code_and_stderr_is_reported() {
        assert_eq!(run_process("echo 654321").unwrap(), "654321");
        let err = run_process("echo boom >&2; exit 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("boom"), "{err}");
        assert!(run_process("echo nope").is_err());
    }
}
