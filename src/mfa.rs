//! Where an MFA code comes from — flag, environment, `mfa_process`, or a
//! prompt on the terminal — and the checks every code passes: exactly six
//! digits, and not one already sent in the last 90 seconds.

use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::{Store, file};

/// How long AWS keeps rejecting a code that was already used.
pub const REUSE_WINDOW_SECS: i64 = 90;
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
            .ok_or(Error::NoTerminal)
    }

    /// The terminal, if the code will be typed there (for messages to the user).
    pub fn terminal(&mut self) -> Option<&mut File> {
        match self {
            CodeSource::Terminal(tty) => Some(tty),
            _ => None,
        }
    }

    /// Gets a validated code.
    pub fn get(&mut self, device: &str, profile: &str) -> Result<String> {
        match self {
            CodeSource::Given(code) => validate(code),
            CodeSource::Process(cmd) => validate(&run_process(cmd, profile)?),
            CodeSource::Terminal(tty) => prompt_until_valid(tty, device, profile),
        }
    }
}

/// A typo at the prompt asks again (a few times) instead of failing the
/// command and every terminal queued behind it.
fn prompt_until_valid(tty: &mut File, device: &str, profile: &str) -> Result<String> {
    let mut attempts_left = 3;
    loop {
        let result = validate(&prompt(tty, device, profile)?);
        attempts_left -= 1;
        match result {
            Err(_) if attempts_left > 0 => {
                let _ = writeln!(tty, "awsesh: the MFA code is 6 digits; try again");
            }
            other => return other,
        }
    }
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

/// Exactly six digits after trimming.
pub fn validate(code: &str) -> Result<String> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err(Error::BadCodeFormat)
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs a SIGINT handler without SA_RESTART so a blocking read returns
/// EINTR and we can record the cancel for the waiters, then exit 130.
fn catch_sigint() {
    // SAFETY: a zeroed sigaction with a plain handler is valid; the handler
    // only stores to an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as usize;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

fn prompt(tty: &mut File, device: &str, profile: &str) -> Result<String> {
    catch_sigint();
    let device = printable(device);
    let profile = printable(profile);
    write!(tty, "awsesh: MFA code for {device} (profile {profile}): ")
        .and_then(|()| tty.flush())
        .map_err(|e| Error::io("cannot write to the terminal", e))?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        // File::read does not retry on EINTR (read_line would), which is how
        // Ctrl-C reaches us.
        match tty.read(&mut byte) {
            Ok(0) => return Err(Error::Cancelled),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() < 64 => line.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    let _ = writeln!(tty);
                    return Err(Error::Cancelled);
                }
            }
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

/// Runs `mfa_process` through `sh -c` (see `child`: own process group, both
/// pipes drained, hard deadline, Ctrl-C kills it); its stdout is the code.
/// Errors name the profile and the key, never the command line, which may
/// hold a secret (`oathtool --totp -b SEED`).
fn run_process(cmd: &str, profile: &str) -> Result<String> {
    let fail = |detail: String| {
        Error::Other(format!(
            "the mfa_process of profile `{}` {detail}; fix `mfa_process` in your AWS config",
            printable(profile)
        ))
    };
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(cmd);
    let limits = crate::child::Limits {
        deadline: process_timeout(),
        // A code is 6 digits; anything much longer is not one.
        max_output: 4096,
    };
    catch_sigint();
    let interrupted = || INTERRUPTED.load(Ordering::SeqCst);
    let done = match crate::child::run(command, None, &limits, &interrupted) {
        Ok(done) => done,
        Err(crate::child::Failure::Cancelled) => return Err(Error::Cancelled),
        Err(crate::child::Failure::TimedOut(after)) => {
            return Err(fail(format!(
                "timed out after {} s and was stopped with what it started (AWSESH_MFA_PROCESS_TIMEOUT sets the limit)",
                after.as_secs()
            )));
        }
        Err(crate::child::Failure::Spawn(e)) => {
            return Err(fail(format!("could not be started ({e})")));
        }
        Err(crate::child::Failure::Io(e)) => return Err(fail(format!("failed ({e})"))),
    };
    if !done.status.success() {
        let status = match done.status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = crate::child::hide_command_words(&crate::child::excerpt(&done.stderr), cmd);
        let said = if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        };
        return Err(fail(format!("failed ({status}){said}")));
    }
    validate(&String::from_utf8_lossy(&done.stdout))
        .map_err(|_| fail("printed something that is not a 6-digit code".into()))
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

/// At most this many codes are remembered per device (a TOTP device shows
/// about three in 90 s; the bound keeps the file small whatever happens).
const MAX_REMEMBERED: usize = 32;

/// The codes a device sent in the reuse window, as (epoch seconds, digest),
/// oldest first. A line that does not parse, or a time outside the window
/// (a clock moved back by more than the allowed skew counts as outside), is
/// dropped.
fn recent_codes(store: &Store, device: &str, now: i64) -> Vec<(i64, String)> {
    let Ok(Some(bytes)) = file::read(&used_code_path(store, device)) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut codes: Vec<(i64, String)> = text
        .lines()
        .filter_map(|line| {
            let (at, digest) = line.split_once(' ')?;
            let at = at.parse::<i64>().ok()?;
            let age = crate::clock::seconds_left(now, at);
            let recent = (-crate::clock::SKEW_SECS..REUSE_WINDOW_SECS).contains(&age);
            let digest_ok = digest.len() == 16 && digest.bytes().all(|b| b.is_ascii_hexdigit());
            (recent && digest_ok).then(|| (at, digest.to_string()))
        })
        .collect();
    let excess = codes.len().saturating_sub(MAX_REMEMBERED);
    codes.drain(..excess);
    codes
}

/// Refuses a code this device already sent to AWS within the reuse window
/// (AWS rejects a reused code, and a rejected code fails every terminal
/// queued behind this one). Every code of the last 90 s counts, not only the
/// last one.
pub fn check_not_reused(store: &Store, device: &str, code: &str) -> Result<()> {
    let digest = code_digest(code);
    let now = crate::clock::now_epoch();
    if recent_codes(store, device, now)
        .iter()
        .any(|(_, seen)| *seen == digest)
    {
        return Err(Error::CodeReused);
    }
    Ok(())
}

/// Remembers that `code` was sent to AWS for `device` (a digest, not the
/// code), next to the other codes of the last 90 s.
///
/// Call it only once the code REACHED STS: when STS answered, accepting or
/// rejecting it (see `reached_sts`). A code that never left this machine —
/// an unreachable endpoint, missing keys, a code refused by our own checks —
/// must not be remembered: AWS has not seen it, and refusing it would make
/// the user wait for the next one for nothing.
pub fn remember_used(store: &Store, device: &str, code: &str) {
    let now = crate::clock::now_epoch();
    let mut codes = recent_codes(store, device, now);
    codes.push((now, code_digest(code)));
    let excess = codes.len().saturating_sub(MAX_REMEMBERED);
    codes.drain(..excess);
    let text: String = codes
        .iter()
        .map(|(at, digest)| format!("{at} {digest}\n"))
        .collect();
    // Best effort: losing the record costs at most one rejected code.
    let _ = file::write_atomic(&used_code_path(store, device), text.as_bytes());
}

/// Whether the outcome of a call carrying a code shows that STS received
/// it: it answered, with credentials or with an error of its own. An
/// unreachable endpoint (refused, timed out, TLS or proxy failure) does not.
pub fn reached_sts<T>(outcome: &Result<T>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(Error::CodeRejected { .. } | Error::Sts(_) | Error::BadCredentials(_)) => true,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_after_trimming() {
        assert_eq!(validate(" 123456\n").unwrap(), "123456");
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn process_output_is_the_code_and_stderr_is_reported() {
        assert_eq!(run_process("echo 654321", "p").unwrap(), "654321");
        let err = run_process("echo boom >&2; exit 3", "dev")
            .unwrap_err()
            .to_string();
        assert!(err.contains("boom"), "{err}");
        assert!(err.contains("exit status 3"), "{err}");
        assert!(
            err.contains("profile `dev`") && err.contains("mfa_process"),
            "{err}"
        );
        assert!(run_process("echo nope", "p").is_err());
    }

    #[test]
    fn process_errors_never_show_the_command_line() {
        let seed = "JBSWY3DPEHPK3PXPSEEDSEED";
        for cmd in [
            format!("oathtool --totp -b {seed} >/dev/null; exit 1"),
            format!("echo not-a-code-{seed}x >/dev/null; echo 12"),
            format!("/nonexistent/{seed}"),
        ] {
            let err = run_process(&cmd, "p").unwrap_err().to_string();
            assert!(!err.contains(seed), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn process_output_is_read_whole_and_a_background_child_does_not_hold_it() {
        // More than a pipe's buffer on stderr before the code: no deadlock.
        let started = std::time::Instant::now();
        let code = run_process("head -c 300000 /dev/zero >&2; sleep 30 & echo 111222", "p");
        assert_eq!(code.unwrap(), "111222");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    fn store_in(dir: &std::path::Path) -> Store {
        Store::at(dir.to_path_buf())
    }

    #[test]
    fn every_code_of_the_window_is_remembered_per_device() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let (a, b) = ("arn:aws:iam::1:mfa/a", "arn:aws:iam::1:mfa/b");
        for code in ["111111", "222222", "333333"] {
            check_not_reused(&store, a, code).unwrap();
            remember_used(&store, a, code);
        }
        for code in ["111111", "222222", "333333"] {
            assert!(
                matches!(check_not_reused(&store, a, code), Err(Error::CodeReused)),
                "{code} reused after another"
            );
            assert!(check_not_reused(&store, b, code).is_ok(), "other device");
        }
        assert!(check_not_reused(&store, a, "444444").is_ok());
    }

    #[test]
    fn codes_older_than_the_window_or_from_a_broken_file_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let device = "arn:aws:iam::1:mfa/a";
        let now = crate::clock::now_epoch();
        let digest = code_digest("555555");
        for (text, refused) in [
            (format!("{} {digest}\n", now - 10), true),
            (format!("{} {digest}\n", now - REUSE_WINDOW_SECS), false),
            (format!("{} {digest}\n", i64::MAX), false),
            (format!("{} {digest}\n", i64::MIN), false),
            (format!("garbage\n{} {digest}\n\u{0}\n", now), true),
            (format!("{now} {digest}x\n"), false),
        ] {
            file::write_atomic(&used_code_path(&store, device), text.as_bytes()).unwrap();
            assert_eq!(
                check_not_reused(&store, device, "555555").is_err(),
                refused,
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_record_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let device = "d";
        for n in 0..100 {
            remember_used(&store, device, &format!("{n:06}"));
        }
        let text = std::fs::read_to_string(used_code_path(&store, device)).unwrap();
        assert_eq!(text.lines().count(), MAX_REMEMBERED);
        assert!(check_not_reused(&store, device, "000099").is_err());
    }

    #[test]
    fn only_answers_from_sts_count_as_reaching_it() {
        assert!(reached_sts(&Ok(())));
        let rejected: Result<()> = Err(Error::CodeRejected {
            device: "d".into(),
            message: "m".into(),
        });
        assert!(reached_sts(&rejected));
        assert!(reached_sts::<()>(&Err(Error::Sts("Throttling".into()))));
        let unreachable: Result<()> = Err(Error::Unreachable {
            endpoint: "e".into(),
            detail: "refused".into(),
        });
        assert!(!reached_sts(&unreachable));
        assert!(!reached_sts::<()>(&Err(Error::NoTerminal)));
    }
}
