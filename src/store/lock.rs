//! The per-profile lock: an flock on a private file, so the kernel frees it
//! when its holder dies (kill -9 included). The holder writes its pid and
//! tty into the file so a waiter can say whom it waits for.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::store::file;
use crate::sys::error::{Error, Result};

pub struct LockGuard {
    file: File,
}

/// What a waiter is told about the holder, e.g. `pid 4242, tty /dev/pts/3`.
pub fn describe_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.take(256).read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        "another process".to_string()
    } else {
        text.to_string()
    }
}

/// Takes the lock. If another process holds it, `on_wait` is called with a
/// description of the holder before blocking.
pub fn acquire(path: &Path, on_wait: impl FnOnce(&str)) -> Result<LockGuard> {
    let mut file = file::open_private(path)?;
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => {
            on_wait(&describe_holder(&mut file));
            wait_for(&file, path)?;
        }
        Err(fs4::TryLockError::Error(e)) => {
            return Err(Error::io(format!("cannot lock {}", path.display()), e));
        }
    }
    let mut guard = LockGuard { file };
    guard.record_holder();
    Ok(guard)
}

/// Waits for the lock, polling so that Ctrl-C ends the wait at once whatever
/// the platform does with a signal during a blocking `flock`.
fn wait_for(file: &File, path: &Path) -> Result<()> {
    loop {
        crate::sys::cancel::check()?;
        match fs4::FileExt::try_lock(file) {
            Ok(()) => return Ok(()),
            Err(fs4::TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(fs4::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()), e));
            }
        }
    }
}

impl LockGuard {
    /// Writes who holds the lock in one write, then cuts what an earlier
    /// holder left after it: a waiter (or a holder killed at any point)
    /// never leaves a half-written name.
    fn record_holder(&mut self) {
        self.doing("");
    }

    /// Tells waiters what the holder is doing now (`prompting for the MFA
    /// code`, `calling STS`, `running mfa_process` …).
    pub fn doing(&self, activity: &str) {
        let tty = crate::sys::terminal::tty_name().unwrap_or_else(|| "no tty".to_string());
        let mut text = format!("pid {}, tty {}", std::process::id(), tty);
        if !activity.is_empty() {
            text.push_str(", ");
            text.push_str(activity);
        }
        // One write, then the length: a waiter never reads it empty.
        let mut file = &self.file;
        let _ = file.seek(SeekFrom::Start(0));
        if file.write_all(text.as_bytes()).is_ok() {
            let _ = file.set_len(text.len() as u64);
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}
