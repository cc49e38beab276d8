//! Where an MFA code comes from — flag, environment, `mfa_process`, or a
//! prompt on the terminal — and the checks every code passes: exactly six
//! digits, and not one already sent in the last 90 seconds.

pub mod desktop;

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::store::{Store, file};
use crate::sys::error::{Error, Result};
use crate::sys::terminal::open_tty;
use crate::sys::text::printable;

/// How long AWS keeps rejecting a code that was already used.
pub const REUSE_WINDOW_SECS: i64 = 90;
/// How long an `mfa_process` may take (a YubiKey touch included), unless
/// `AWSESH_MFA_PROCESS_TIMEOUT` (e.g. `30s`, `2m`) says otherwise.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

fn process_timeout() -> Duration {
    std::env::var("AWSESH_MFA_PROCESS_TIMEOUT")
        .ok()
        .and_then(|t| crate::sys::duration::parse(&t).ok())
        .filter(|secs| *secs > 0)
        .map_or(PROCESS_TIMEOUT, Duration::from_secs)
}

pub enum CodeSource {
    Given(String),
    Process(String),
    Terminal(File),
    /// A dialog on the desktop, without a terminal, when opted in (`desktop.rs`).
    Desktop(crate::mfa::desktop::Dialog),
}

/// How many times a mistyped code is asked for again.
const PROMPT_ATTEMPTS: u32 = 3;

impl CodeSource {
    /// Chooses the source up front so that a missing terminal fails at once,
    /// before any lock is taken. `terminal`: whether the terminal may be asked;
    /// `desktop`: whether the user opted in to a desktop dialog without one.
    pub fn choose(
        flag: Option<&str>,
        mfa_process: Option<&str>,
        terminal: bool,
        desktop: bool,
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
            .or_else(|| {
                desktop
                    .then(crate::mfa::desktop::Dialog::find)
                    .flatten()
                    .map(CodeSource::Desktop)
            })
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
            CodeSource::Desktop(_) => "asking for a code on the desktop",
        }
    }

    /// Gets a validated code. `abandon` is set when the code is no longer
    /// wanted (the check of the keys failed meanwhile): the prompt ends.
    pub fn get(&mut self, device: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
        match self {
            CodeSource::Given(code) => validate(code),
            CodeSource::Process(cmd) => validate(&run_process(cmd, profile, abandon)?),
            CodeSource::Terminal(tty) => prompt_until_valid(tty, device, profile, abandon),
            CodeSource::Desktop(dialog) => {
                dialog.prompt_until_valid(device, profile, abandon, validate)
            }
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

/// The prompt's text names the device and the profile (cleaned of control
/// characters, which a config file could hold).
fn prompt(tty: &mut File, device: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
    let text = format!(
        "awsesh: MFA code for {} (profile {}): ",
        printable(device),
        printable(profile)
    );
    crate::sys::terminal::read_line(tty, &text, true, Some(abandon))
}

/// Runs `mfa_process` through `sh -c` (see `child`: own process group, both
/// pipes drained, hard deadline, Ctrl-C kills it); its stdout is the code.
/// Errors name the profile and the key, never the command line, which may
/// hold a secret (`oathtool --totp -b SEED`).
fn run_process(cmd: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
    let fail = |detail: String| Error::ProcessFailed {
        profile: printable(profile),
        key: "mfa_process",
        detail,
    };
    let limits = crate::sys::child::Limits {
        deadline: process_timeout(),
        // A code is 6 digits; anything much longer is not one.
        max_output: 4096,
    };
    crate::sys::cancel::install();
    let stop = || crate::sys::cancel::requested() || abandon.load(Ordering::SeqCst);
    let stdout =
        crate::sys::child::run_config_command(cmd, &limits, "AWSESH_MFA_PROCESS_TIMEOUT", &stop)
            .map_err(|e| match e {
                crate::sys::child::ConfigCommandError::Cancelled => Error::Cancelled,
                crate::sys::child::ConfigCommandError::Failed(detail) => fail(detail),
            })?;
    validate(&String::from_utf8_lossy(&stdout))
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
            let age = crate::sys::clock::seconds_left(now, at);
            let recent = (-crate::sys::clock::SKEW_SECS..REUSE_WINDOW_SECS).contains(&age);
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
    let now = crate::sys::clock::now_epoch();
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
    let now = crate::sys::clock::now_epoch();
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
        Err(
            Error::CodeRejected { .. }
            | Error::Sts { .. }
            | Error::KeysRejected { .. }
            | Error::BadCredentials(_),
        ) => true,
        Err(_) => false,
    }
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
        assert_eq!(
            run_process("echo 654321", "p", &AtomicBool::new(false)).unwrap(),
            "654321"
        );
        let err = run_process("echo boom >&2; exit 3", "dev", &AtomicBool::new(false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("boom"), "{err}");
        assert!(err.contains("exit status 3"), "{err}");
        assert!(
            err.contains("profile `dev`") && err.contains("mfa_process"),
            "{err}"
        );
        assert!(run_process("echo nope", "p", &AtomicBool::new(false)).is_err());
    }

    #[test]
    fn process_errors_never_show_the_command_line() {
        let seed = "JBSWY3DPEHPK3PXPSEEDSEED";
        for cmd in [
            format!("oathtool --totp -b {seed} >/dev/null; exit 1"),
            format!("echo not-a-code-{seed}x >/dev/null; echo 12"),
            format!("/nonexistent/{seed}"),
        ] {
            let err = run_process(&cmd, "p", &AtomicBool::new(false))
                .unwrap_err()
                .to_string();
            assert!(!err.contains(seed), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn process_output_is_read_whole_and_a_background_child_does_not_hold_it() {
        // More than a pipe's buffer on stderr before the code: no deadlock.
        let started = std::time::Instant::now();
        let code = run_process(
            "head -c 300000 /dev/zero >&2; sleep 30 & echo 111222",
            "p",
            &AtomicBool::new(false),
        );
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
        let now = crate::sys::clock::now_epoch();
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
        assert!(reached_sts::<()>(&Err(Error::Sts {
            service: "STS",
            detail: "Throttling".into()
        })));
        let unreachable: Result<()> = Err(Error::Unreachable("refused".into()));
        assert!(!reached_sts(&unreachable));
        assert!(!reached_sts::<()>(&Err(Error::NoTerminal {
            profile: "p".into()
        })));
        assert!(!reached_sts::<()>(&Err(Error::Cancelled)));
    }
}
