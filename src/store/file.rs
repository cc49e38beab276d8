//! Private files: created 0600 with O_EXCL|O_NOFOLLOW (and fchmod, so the
//! umask cannot change the mode), replaced atomically, read strictly (fstat
//! of the open descriptor: a regular file, ours, one hard link, no
//! group/other bits, not huge). Temp files a killed writer left behind are
//! removed.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::store::dir::euid;
use crate::sys::error::{Error, Result};

/// Larger files are not ours: they are treated as a cache miss.
pub const MAX_SIZE: u64 = 64 * 1024;

fn unsafe_file(path: &Path, reason: impl Into<String>) -> Error {
    Error::UnsafeFile {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Why an open failed because of what is at `path` — a symlink (refused by
/// O_NOFOLLOW) or something that is not a regular file (a socket answers
/// ENXIO) — or `None` when the failure is not about the file's kind.
fn refused_open(path: &Path, e: &std::io::Error) -> Option<Error> {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Some(unsafe_file(path, "a symlink"));
    }
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Some(unsafe_file(path, "not a regular file")),
        _ => None,
    }
}

/// Checks an open descriptor against the file rules.
pub fn vet(file: &File, path: &Path) -> Result<()> {
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("cannot inspect {}", path.display()), e))?;
    if !meta.file_type().is_file() {
        return Err(unsafe_file(path, "not a regular file"));
    }
    if meta.uid() != euid() {
        return Err(unsafe_file(path, format!("owned by uid {}", meta.uid())));
    }
    // Another name for the same file (a hard link to ~/.ssh/id_rsa, say)
    // must never be read as ours or written through.
    if meta.nlink() != 1 {
        return Err(unsafe_file(
            path,
            format!("it has {} hard links", meta.nlink()),
        ));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(unsafe_file(
            path,
            format!("mode {:04o}", meta.mode() & 0o7777),
        ));
    }
    Ok(())
}

/// Reads a private file. `Ok(None)` when it does not exist; an error when it
/// breaks a rule (symlink, FIFO, wrong owner or mode, too large).
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    read_up_to(path, MAX_SIZE)
}

/// Opens a private file for reading and vets it; `Ok(None)` when missing.
fn open_vetted(path: &Path) -> Result<Option<File>> {
    let file = OpenOptions::new()
        .read(true)
        // O_NONBLOCK so a FIFO planted in our place cannot block the open.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // Whatever else is in our place (a socket answers ENXIO, a file we
        // may not open EACCES) is not a file we wrote: unsafe, so a miss
        // that the next save replaces, and said in words.
        Err(e) => {
            return Err(refused_open(path, &e).unwrap_or_else(|| {
                unsafe_file(path, format!("it cannot be opened ({})", e.kind()))
            }));
        }
    };
    vet(&file, path)?;
    Ok(Some(file))
}

/// The first `len` bytes of a private file (its header), vetted as `read`
/// vets the whole file.
pub fn read_head(path: &Path, len: u64) -> Result<Option<Vec<u8>>> {
    let Some(file) = open_vetted(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
    Ok(Some(bytes))
}

/// `read` for a file that may be larger than a session (the profile index
/// of a config with thousands of profiles): at most `max_size` bytes.
pub fn read_up_to(path: &Path, max_size: u64) -> Result<Option<Vec<u8>>> {
    let Some(file) = open_vetted(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(max_size + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
    if bytes.len() as u64 > max_size {
        return Err(unsafe_file(
            path,
            format!("larger than {} KiB", max_size / 1024),
        ));
    }
    Ok(Some(bytes))
}

/// Replaces `path` atomically: a new 0600 temp file in the same directory,
/// written, fsynced, renamed over the target. rename() replaces a symlink at
/// the target instead of following it.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with_mtime(path, contents, None)
}

/// `write_atomic`, with the file's modification time set to `mtime` (epoch
/// seconds) before the rename, so readers never see the new contents with
/// the old time. The session file's mtime is its expiry: fish reads the time
/// left with `path mtime --relative`, a builtin.
pub fn write_atomic_with_mtime(path: &Path, contents: &[u8], mtime: Option<i64>) -> Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = create_new(&tmp)?;
        file.write_all(contents)
            .and_then(|()| match mtime {
                Some(secs) => set_mtime(&file, secs),
                None => Ok(()),
            })
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
        fs::rename(&tmp, path)
            .map_err(|e| Error::io(format!("cannot replace {}", path.display()), e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn set_mtime(file: &File, secs: i64) -> std::io::Result<()> {
    let times = fs::FileTimes::new().set_modified(
        std::time::UNIX_EPOCH
            .checked_add(std::time::Duration::from_secs(secs.max(0).unsigned_abs()))
            .ok_or_else(|| std::io::Error::other("time out of range"))?,
    );
    file.set_times(times)
}

/// Creates a new private file; fails if anything (a symlink included) exists.
pub fn create_new(path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
    make_private(&file, path)?;
    Ok(file)
}

/// Sets 0600 on an open file of ours: open(2) applies the umask, and under
/// a umask such as 0277 or 0777 the owner could not read or write it back.
fn make_private(file: &File, path: &Path) -> Result<()> {
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("cannot inspect {}", path.display()), e))?;
    if meta.mode() & 0o777 == 0o600 {
        return Ok(());
    }
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))
}

/// Opens (creating if needed) a long-lived private file such as a lock.
/// Never truncates at open, and refuses a file with another name (a hard
/// link) before anything is written to it.
pub fn open_private(path: &Path) -> Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
    };
    let opened = match open() {
        // Left 0400 or 0000 by a run under a strict umask: ours to repair.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            repair_mode(path)?;
            open()
        }
        other => other,
    };
    let file = opened.map_err(|e| {
        refused_open(path, &e)
            .unwrap_or_else(|| Error::io(format!("cannot open {}", path.display()), e))
    })?;
    vet(&file, path)?;
    make_private(&file, path)?;
    Ok(file)
}

/// Gives the owner back read and write on a file of ours that passes the
/// rules (opened without following a symlink, vetted on the descriptor).
fn repair_mode(path: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .read(false)
        .write(false)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    vet(&file, path)?;
    // fchmod does not work on an O_PATH descriptor; /proc/self/fd does, and
    // names exactly the file vetted above.
    let by_fd = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    fs::set_permissions(&by_fd, fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))
}

fn temp_path(path: &Path) -> PathBuf {
    temp_path_tagged(path, "")
}

/// `.NAME{tag}.PID.NANOS.tmp` beside `path`: the writer's pid in the name,
/// so `remove_stale_temps` can tell a dead writer's file from a live one.
pub fn temp_path_tagged(path: &Path, tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{tag}.{}.{nanos}.tmp", std::process::id()))
}

/// Removes a file if it is there.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("cannot remove {}", path.display()), e)),
    }
}

/// Temp files older than this are stale even if their writer's pid is alive
/// (it may have been reused): a write takes milliseconds.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(120);

/// The writer's pid of a temp file name `.NAME.PID.NANOS.tmp`.
#[cfg(test)]
fn temp_writer(name: &str) -> Option<libc::pid_t> {
    temp_target_and_writer(name).map(|(_, pid)| pid)
}

/// `.NAME.PID.NANOS.tmp` → (NAME, PID).
fn temp_target_and_writer(name: &str) -> Option<(&str, libc::pid_t)> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = rest.rsplitn(3, '.');
    let nanos = parts.next()?;
    let pid = parts.next()?;
    let target = parts.next()?;
    if target.is_empty() || !nanos.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse()
        .ok()
        .filter(|pid| *pid > 0)
        .map(|pid| (target, pid))
}

/// Whether a process with this pid exists (it may be another one).
pub fn is_alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Removes the temp files in `dir` whose writer is dead or that are older
/// than `max_age` (by ctime: the mtime of a session temp is its expiry).
/// They hold a whole session, secret and token. Returns how many went.
pub fn remove_stale_temps(dir: &Path, max_age: std::time::Duration) -> usize {
    remove_stale_temps_of(dir, max_age, |_| true)
}

/// `remove_stale_temps` for the temp files whose target name passes
/// `ours`: in a directory shared with other programs (`~/.aws`), only the
/// names awsesh gives its own temp files.
pub fn remove_stale_temps_of(
    dir: &Path,
    max_age: std::time::Duration,
    ours: impl Fn(&str) -> bool,
) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = crate::sys::clock::now_epoch();
    let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some((target, pid)) = temp_target_and_writer(&name) else {
            continue;
        };
        if !ours(target) {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() || meta.uid() != euid() {
            continue;
        }
        let old = crate::sys::clock::seconds_left(now, meta.ctime()) >= max_age;
        let orphan = pid != std::process::id().try_into().unwrap_or(0) && !is_alive(pid);
        if (old || orphan) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead_pid() -> libc::pid_t {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid as libc::pid_t
    }

    #[test]
    fn temp_names_give_their_writer() {
        assert_eq!(temp_writer(".p-a.session.42.123.tmp"), Some(42));
        assert_eq!(temp_writer(".used-0f.7.0.tmp"), Some(7));
        for name in [
            "p-a.session",
            ".p-a.session.tmp",
            ".x.0.1.tmp",
            "..1.2.tmp",
            ".a.b.c.tmp",
        ] {
            assert_eq!(temp_writer(name), None, "{name}");
        }
    }

    #[test]
    fn stale_temps_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir
            .path()
            .join(format!(".p-a.session.{}.1.tmp", dead_pid()));
        let live = dir
            .path()
            .join(format!(".p-a.session.{}.2.tmp", std::process::id()));
        let other = dir.path().join("p-a.session");
        for path in [&dead, &live, &other] {
            create_new(path).unwrap();
        }
        assert_eq!(remove_stale_temps(dir.path(), STALE_TEMP_AGE), 1);
        assert!(!dead.exists() && live.exists() && other.exists());
        // Old enough, even with a live writer.
        assert_eq!(remove_stale_temps(dir.path(), std::time::Duration::ZERO), 1);
        assert!(!live.exists() && other.exists());
    }

    #[test]
    fn a_hard_linked_file_is_refused_and_never_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let precious = dir.path().join("precious");
        fs::write(&precious, b"keep me").unwrap();
        fs::set_permissions(&precious, fs::Permissions::from_mode(0o600)).unwrap();
        let lock = dir.path().join("p-a.lock");
        fs::hard_link(&precious, &lock).unwrap();
        let err = open_private(&lock)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("hard link"), "{err}");
        assert!(read(&lock).is_err());
        assert_eq!(fs::read(&precious).unwrap(), b"keep me");
        write_atomic(&lock, b"new").unwrap();
        assert_eq!(
            fs::read(&precious).unwrap(),
            b"keep me",
            "replaced, not written through"
        );
    }

    #[test]
    fn a_lock_left_without_owner_bits_is_given_back() {
        // (Modes under a umask are tested from outside: the umask is
        // process-wide and would leak into the other tests' threads.)
        let dir = tempfile::tempdir().unwrap();
        let locked = dir.path().join("locked");
        open_private(&locked).unwrap();
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o400)).unwrap();
        open_private(&locked).unwrap();
        assert_eq!(fs::metadata(&locked).unwrap().mode() & 0o777, 0o600);
    }
}
