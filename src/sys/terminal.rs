//! The controlling terminal: where the code is asked for, and its name for
//! "waiting for pid N, tty T".

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::sys::error::{Error, Result};

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

/// Puts the terminal's echo back when dropped, whatever happened.
struct EchoOff {
    fd: i32,
    saved: libc::termios,
}

impl EchoOff {
    fn new(fd: i32) -> Option<EchoOff> {
        // SAFETY: tcgetattr/tcsetattr on a descriptor we own, with a termios
        // we initialised through tcgetattr.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut saved) != 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            if libc::tcsetattr(fd, libc::TCSANOW, &quiet) != 0 {
                return None;
            }
            Some(EchoOff { fd, saved })
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same descriptor.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

/// Asks for one line on the terminal (without echo for a secret). It waits
/// with `poll` rather than a blocking read so that Ctrl-C — whichever thread
/// the signal reaches — and `abandon` (the line is no longer wanted) end it
/// at once; Ctrl-D cancels too. A cancel is printed on a line of its own,
/// not after the prompt's text, and the echo is always put back.
pub fn read_line(
    tty: &mut File,
    prompt: &str,
    echo: bool,
    abandon: Option<&AtomicBool>,
) -> Result<String> {
    crate::sys::cancel::install();
    write!(tty, "{prompt}")
        .and_then(|()| tty.flush())
        .map_err(|e| Error::io("cannot write to the terminal", e))?;
    let _guard = if echo {
        None
    } else {
        EchoOff::new(tty.as_raw_fd())
    };
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if crate::sys::cancel::requested() || abandon.is_some_and(|a| a.load(Ordering::SeqCst)) {
            let _ = writeln!(tty);
            return Err(Error::Cancelled);
        }
        let mut pfd = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on a descriptor we own.
        let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
        if ready <= 0 {
            continue;
        }
        match tty.read(&mut byte) {
            Ok(0) => {
                let _ = writeln!(tty);
                return Err(Error::Cancelled);
            }
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() < 1024 => line.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::io("cannot read from the terminal", e)),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}
