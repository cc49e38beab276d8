//! Private files: created 0600 with O_EXCL|O_NOFOLLOW, replaced atomically,
//! read strictly (fstat of the open descriptor: a regular file, ours, no
//! group/other bits, not huge).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::dir::euid;

/// Larger files are not ours: they are treated as a cache miss.
pub const MAX_SIZE: u64 = 64 * 1024;

fn unsafe_file(path: &Path, reason: impl Into<String>) -> Error {
    Error::UnsafeFile {
        path: path.to_path_buf(),
        reason: reason.into(),
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
    let file = OpenOptions::new()
        .read(true)
        // O_NONBLOCK so a FIFO planted in our place cannot block the open.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(unsafe_file(path, "a symlink"));
        }
        Err(e) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    vet(&file, path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(unsafe_file(path, "larger than 64 KiB"));
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
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))
}

/// Opens (creating if needed) a long-lived private file such as a lock.
pub fn open_private(path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                unsafe_file(path, "a symlink")
            } else {
                Error::io(format!("cannot open {}", path.display()), e)
            }
        })?;
    vet(&file, path)?;
    Ok(file)
}

fn temp_path(path: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{nanos}.tmp", std::process::id()))
}

/// Removes a file if it is there.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("cannot remove {}", path.display()), e)),
    }
}
