//! Which credential endpoints are running, for `awsesh status`: one private
//! file per server in the runtime directory, `server-<pid>.json` (pid, port,
//! profile, start time — no token), written when the server starts and
//! removed when it ends. A file whose process is gone (kill -9) is removed by
//! the next reader, with the server's other files.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::store::{Store, file};
use crate::sys::error::Result;

const PREFIX: &str = "server-";
const SUFFIX: &str = ".json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: u32,
    pub port: u16,
    pub profile: String,
    /// Epoch seconds.
    pub started: i64,
}

/// A server's entry; removed (with the files named by `extra`) when dropped.
pub struct Entry {
    path: PathBuf,
    extra: Vec<PathBuf>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let _ = file::remove(&self.path);
        for path in &self.extra {
            let _ = file::remove(path);
        }
    }
}

fn entry_path(store: &Store, pid: u32) -> PathBuf {
    store.dir().join(format!("{PREFIX}{pid}{SUFFIX}"))
}

/// Other files that belong to the server of `pid` (the AWS config its
/// command reads), removed with its entry.
pub fn companion_path(store: &Store, pid: u32, what: &str) -> PathBuf {
    store.dir().join(format!("{PREFIX}{pid}.{what}"))
}

/// Records this process's server.
pub fn register(store: &Store, port: u16, profile: &str, extra: Vec<PathBuf>) -> Result<Entry> {
    let pid = std::process::id();
    let path = entry_path(store, pid);
    let value = json!({
        "pid": pid,
        "port": port,
        "profile": profile,
        "started": crate::sys::clock::now_epoch(),
        "start_ticks": start_ticks(pid),
    });
    file::write_atomic(&path, value.to_string().as_bytes())?;
    Ok(Entry { path, extra })
}

/// The running servers, sorted by profile then pid; entries of dead
/// processes are cleaned up on the way.
pub fn list(store: &Store) -> Vec<Running> {
    let Ok(entries) = std::fs::read_dir(store.dir()) else {
        return Vec::new();
    };
    let mut running: Vec<Running> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid: u32 = name
                .strip_prefix(PREFIX)?
                .strip_suffix(SUFFIX)?
                .parse()
                .ok()?;
            let value = file::read(&entry.path())
                .ok()
                .flatten()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
            match value.and_then(|v| parse(pid, &v)) {
                Some(server) => Some(server),
                None => {
                    // Dead, reused pid, or not ours: forget it.
                    let _ = file::remove(&entry.path());
                    let _ = file::remove(&companion_path(store, pid, "config"));
                    None
                }
            }
        })
        .collect();
    running.sort_by(|a, b| a.profile.cmp(&b.profile).then(a.pid.cmp(&b.pid)));
    running
}

fn parse(pid: u32, v: &Value) -> Option<Running> {
    if v.get("pid")?.as_u64()? != u64::from(pid) || !alive(pid, v.get("start_ticks")) {
        return None;
    }
    Some(Running {
        pid,
        port: u16::try_from(v.get("port")?.as_u64()?).ok()?,
        profile: v.get("profile")?.as_str()?.to_string(),
        started: v.get("started")?.as_i64()?,
    })
}

/// Whether `pid` is still the process that registered (its start time, where
/// the system tells it, guards against a reused pid).
fn alive(pid: u32, recorded: Option<&Value>) -> bool {
    let Ok(raw) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(raw, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists
        && match (recorded.and_then(Value::as_u64), start_ticks(pid)) {
            (Some(then), Some(now)) => then == now,
            _ => true,
        }
}

/// The process's start time in clock ticks since boot (Linux), which a
/// reused pid does not share.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // fields after its closing parenthesis. starttime is field 22.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    after.split_whitespace().nth(19)?.parse().ok()
}

/// The lines `status` shows: the servers for `profile`, or all of them.
pub fn describe(store: &Store, profile: Option<&str>) -> String {
    let servers: Vec<Running> = list(store)
        .into_iter()
        .filter(|s| profile.is_none_or(|p| p == s.profile))
        .collect();
    if servers.is_empty() {
        return String::new();
    }
    let mut out = String::from("credential servers (awsesh exec --server):\n");
    for s in servers {
        let since = time::OffsetDateTime::from_unix_timestamp(s.started)
            .map(crate::sys::clock::local)
            .unwrap_or_default();
        out.push_str(&format!(
            "  profile {:<16} pid {:<8} http://127.0.0.1:{}  since {}\n",
            crate::sys::text::printable(&s.profile),
            s.pid,
            s.port,
            since
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_start_time_is_read() {
        let me = std::process::id();
        let ticks = start_ticks(me);
        if cfg!(target_os = "linux") {
            assert!(ticks.is_some());
            assert!(alive(me, Some(&json!(ticks.unwrap()))));
            assert!(!alive(me, Some(&json!(ticks.unwrap() + 1))), "a reused pid");
        }
        assert!(!alive(u32::MAX, None));
    }
}
