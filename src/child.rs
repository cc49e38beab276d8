//! Running a child process with a hard deadline (placeholder until the
//! hardened runner lands): own process group, both pipes drained, the group
//! killed at the deadline.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Limits {
    pub deadline: Duration,
    pub max_output: usize,
}

pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

pub enum Failure {
    Spawn(std::io::Error),
    TimedOut(Duration),
    Cancelled,
    Io(std::io::Error),
}

fn drain(pipe: Option<impl Read + Send + 'static>, max: usize) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut pipe) = pipe {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
            }
        }
        kept
    })
}

pub fn run(
    mut command: std::process::Command,
    _stdin: Option<&[u8]>,
    limits: &Limits,
    cancelled: &dyn Fn() -> bool,
) -> Result<Finished, Failure> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().map_err(Failure::Spawn)?;
    let pgid = child.id() as i32;
    let kill_group = || {
        // SAFETY: kill on our own child's process group.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    };
    let out = drain(child.stdout.take(), limits.max_output);
    let err = drain(child.stderr.take(), limits.max_output);
    let deadline = Instant::now() + limits.deadline;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if cancelled() => {
                kill_group();
                let _ = child.wait();
                return Err(Failure::Cancelled);
            }
            Ok(None) if Instant::now() >= deadline => {
                kill_group();
                let _ = child.wait();
                return Err(Failure::TimedOut(limits.deadline));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill_group();
                return Err(Failure::Io(e));
            }
        }
    };
    kill_group();
    Ok(Finished {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

pub fn describe_failure(failure: &Failure, timeout_var: &str) -> String {
    match failure {
        Failure::Spawn(e) => format!("could not start ({e})"),
        Failure::TimedOut(d) => format!("timed out after {} s ({timeout_var})", d.as_secs()),
        Failure::Cancelled => "was cancelled".into(),
        Failure::Io(e) => format!("failed ({e})"),
    }
}

pub fn describe_status(status: ExitStatus) -> String {
    status.to_string()
}

pub fn stderr_excerpt(stderr: &[u8]) -> Option<String> {
    let text = crate::mfa::printable(String::from_utf8_lossy(stderr).trim());
    (!text.is_empty()).then(|| text.chars().take(200).collect())
}
