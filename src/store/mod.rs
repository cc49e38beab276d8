//! The private runtime directory and what lives in it, per profile:
//! `<key>.session` (the session: its first line is the expiry in epoch
//! seconds, which the shell hook loads with the `read` builtin, and its mtime
//! is that expiry, which fish reads with `path mtime`; one file, so the
//! session and what the prompt shows change in one rename), `<key>.lock` and
//! `<key>.fail` (a failed refresh, so that queued waiters fail fast). The key is an escaped form of the profile name:
//! a raw name never reaches a path.

pub mod dir;
pub mod file;
pub mod lock;
pub mod session;

use std::path::{Path, PathBuf};

use crate::sys::error::{Error, Result};
use session::Session;

const SESSION_EXT: &str = "session";
const SESSION_SUFFIX: &str = ".session";

/// A failed refresh, as recorded for the terminals queued behind it.
pub struct Failure {
    /// Epoch seconds.
    pub at: i64,
    /// Recorded from another terminal than the one this process runs on
    /// (false when either has none: then nothing tells them apart).
    pub other_terminal: bool,
    pub reason: String,
}

/// This process's terminal as one word, `-` without one.
fn terminal_word() -> String {
    crate::sys::terminal::tty_name()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join("_"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

pub struct Store {
    dir: PathBuf,
}

/// Bytes kept as they are in a file name; everything else becomes `_xx`.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// An injective, path-safe encoding of a profile name: `prod.eu` → `p-prod_2eeu`.
pub fn key_for(profile: &str) -> Result<String> {
    if profile.is_empty() || profile.len() > 64 {
        return Err(Error::BadProfileName(profile.chars().take(80).collect()));
    }
    let mut key = String::from("p-");
    for b in profile.bytes() {
        if is_plain(b) {
            key.push(b as char);
        } else {
            key.push_str(&format!("_{b:02x}"));
        }
    }
    Ok(key)
}

/// The refresh protocol reads a session up to three times (before the lock,
/// under it, after): one warning is enough.
fn warn_once(line: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if let Ok(mut said) = SAID.lock() {
        if said.iter().any(|s| s == line) {
            return;
        }
        said.push(line.to_string());
    }
    eprintln!("{}", crate::sys::text::printable(line));
}

impl Store {
    /// Creates (if needed) and vets the runtime directory.
    pub fn open() -> Result<Store> {
        Ok(Store {
            dir: dir::prepare()?,
        })
    }

    /// A store in `dir` as it is (tests).
    #[cfg(test)]
    pub fn at(dir: PathBuf) -> Store {
        Store { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, profile: &str, ext: &str) -> Result<PathBuf> {
        Ok(self.dir.join(format!("{}.{ext}", key_for(profile)?)))
    }

    /// The session file, which is also the stamp the shell hook polls.
    pub fn session_path(&self, profile: &str) -> Result<PathBuf> {
        self.path(profile, SESSION_EXT)
    }

    pub fn lock_path(&self, profile: &str) -> Result<PathBuf> {
        self.path(profile, "lock")
    }

    pub fn fail_path(&self, profile: &str) -> Result<PathBuf> {
        self.path(profile, "fail")
    }

    /// The cached session, or `None` — a missing, unsafe or corrupt file is a
    /// miss (an unsafe one is reported on stderr, its contents never are).
    pub fn load(&self, profile: &str) -> Result<Option<Session>> {
        let path = self.session_path(profile)?;
        match file::read(&path) {
            Ok(Some(bytes)) => Ok(Session::from_file(&bytes).filter(|s| s.profile == profile)),
            Ok(None) => Ok(None),
            Err(e @ Error::UnsafeFile { .. }) => {
                warn_once(&format!("awsesh: ignoring the cached session: {e}"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Saves the session in one rename, its mtime set to its expiry; then
    /// removes the temp files killed writers left (each holds a secret).
    pub fn save(&self, session: &Session) -> Result<()> {
        file::write_atomic_with_mtime(
            &self.session_path(&session.profile)?,
            session.to_file().as_bytes(),
            Some(session.expiration_epoch()),
        )?;
        file::remove_stale_temps(&self.dir, file::STALE_TEMP_AGE);
        Ok(())
    }

    /// Forgets every session: the profiles of the valid ones (for the
    /// user), and how many other files went with them — corrupt sessions,
    /// failure records, files of format version 1 (`.json`, `.exp`) and
    /// temp files left by killed writers. Locks stay (a holder may be
    /// using one) and so do the used-code records (AWS still rejects those
    /// codes).
    pub fn remove_all(&self) -> Result<(Vec<String>, usize)> {
        let profiles: Vec<String> = self.list()?.into_iter().map(|s| s.profile).collect();
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::io(format!("cannot list {}", self.dir.display()), e))?;
        let mut others = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours = name.starts_with("p-")
                && [".session", ".fail", ".json", ".exp"]
                    .iter()
                    .any(|ext| name.ends_with(ext));
            if ours && !entry.file_type().is_ok_and(|t| t.is_dir()) {
                file::remove(&entry.path())?;
                others += 1;
            }
        }
        others += file::remove_stale_temps(&self.dir, file::STALE_TEMP_AGE);
        Ok((profiles.clone(), others.saturating_sub(profiles.len())))
    }

    /// Forgets a profile's session.
    pub fn remove(&self, profile: &str) -> Result<bool> {
        let existed = self.session_path(profile)?.exists();
        file::remove(&self.session_path(profile)?)?;
        file::remove(&self.fail_path(profile)?)?;
        Ok(existed)
    }

    /// Every valid cached session, sorted by profile.
    pub fn list(&self) -> Result<Vec<Session>> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| Error::io(format!("cannot list {}", self.dir.display()), e))?;
        let mut sessions: Vec<Session> = entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.starts_with("p-") && name.ends_with(SESSION_SUFFIX)
            })
            .filter_map(|entry| {
                let bytes = file::read(&entry.path()).ok().flatten()?;
                let session = Session::from_file(&bytes)?;
                // A file under another profile's name is not that profile's.
                let key = key_for(&session.profile).ok()?;
                (entry.file_name().to_string_lossy() == format!("{key}{SESSION_SUFFIX}"))
                    .then_some(session)
            })
            .collect();
        sessions.sort_by(|a, b| a.profile.cmp(&b.profile));
        Ok(sessions)
    }

    /// Records that a refresh failed, for the terminals queued behind it:
    /// when, from which terminal (`-` for none), and why.
    pub fn record_failure(&self, profile: &str, reason: &str) -> Result<()> {
        let now = crate::sys::clock::now_epoch();
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let tty = terminal_word();
        file::write_atomic(
            &self.fail_path(profile)?,
            format!("{now} {tty} {reason}").as_bytes(),
        )
    }

    /// The last recorded failure, if it is readable.
    pub fn last_failure(&self, profile: &str) -> Result<Option<Failure>> {
        let Some(bytes) = file::read(&self.fail_path(profile)?).ok().flatten() else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut parts = text.splitn(3, ' ');
        let (Some(at), Some(tty), Some(reason)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        let mine = terminal_word();
        Ok(at.parse::<i64>().ok().map(|at| Failure {
            at,
            other_terminal: tty != "-" && mine != "-" && tty != mine,
            reason: reason.to_string(),
        }))
    }

    pub fn clear_failure(&self, profile: &str) -> Result<()> {
        file::remove(&self.fail_path(profile)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_path_safe_and_distinct() {
        assert_eq!(key_for("default").unwrap(), "p-default");
        assert_eq!(key_for("prod.eu").unwrap(), "p-prod_2eeu");
        assert_eq!(key_for("../x").unwrap(), "p-_2e_2e_2fx");
        assert_ne!(key_for("a_2e").unwrap(), key_for("a.").unwrap());
        assert!(key_for("").is_err());
        assert!(key_for(&"x".repeat(65)).is_err());
        let key = key_for("$(rm -rf ~)'\n").unwrap();
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
