//! Locating, creating and vetting the private runtime directory (DESIGN §5).
//! An existing directory is never trusted: it must be a real directory, not a
//! symlink, owned by us, with no group or other permission bits.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::sys::error::{Error, Result};

pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// `$XDG_RUNTIME_DIR/awsesh` when that is set and absolute, else a per-user
/// directory under `$TMPDIR` or `/tmp`. The bool says whether it is the fallback.
pub fn location() -> (PathBuf, bool) {
    if let Some(xdg) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return (xdg.join("awsesh"), false);
    }
    let tmp = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    (tmp.join(format!("awsesh-{}", euid())), true)
}

/// Creates the directory 0700 if missing, then checks it. Returns the path.
pub fn prepare() -> Result<PathBuf> {
    let (path, fallback) = location();
    match fs::DirBuilder::new().mode(0o700).create(&path) {
        Ok(()) => {
            // mkdir honours the umask; a umask like 0777 would leave us 0000.
            fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))?;
            if fallback {
                crate::sys::text::say(&format!(
                    "warning: XDG_RUNTIME_DIR is not set; keeping sessions in {}",
                    path.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io(format!("cannot create {}", path.display()), e)),
    }
    check(&path)?;
    // Ours and private, but without the owner's bits (made under a strict
    // umask by an older version): give them back, or nothing can be saved.
    if fs::symlink_metadata(&path).is_ok_and(|m| m.mode() & 0o700 != 0o700) {
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("cannot set the mode of {}", path.display()), e))?;
    }
    Ok(path)
}

/// The directory rules, on `lstat` so a symlink is seen as one.
pub fn check(path: &Path) -> Result<()> {
    let uid = euid();
    let unsafe_dir = |reason: String| Error::UnsafeDir {
        path: path.to_path_buf(),
        reason,
        uid,
    };
    let meta = fs::symlink_metadata(path)
        .map_err(|e| Error::io(format!("cannot inspect {}", path.display()), e))?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_dir("it is a symlink".into()));
    }
    if !meta.is_dir() {
        return Err(unsafe_dir("it is not a directory".into()));
    }
    if meta.uid() != uid {
        return Err(unsafe_dir(format!("it is owned by uid {}", meta.uid())));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(unsafe_dir(format!("its mode is {mode:04o}")));
    }
    Ok(())
}
