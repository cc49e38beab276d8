//! The controlling terminal: where the code is asked for, and its name for
//! "waiting for pid N, tty T".

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;

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
