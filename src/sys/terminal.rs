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
    // Echo goes off before the prompt appears: whatever is typed or pasted
    // as soon as the prompt shows is never echoed.
    let _guard = if echo {
        None
    } else {
        EchoOff::new(tty.as_raw_fd())
    };
    write!(tty, "{prompt}")
        .and_then(|()| tty.flush())
        .map_err(|e| Error::io("cannot write to the terminal", e))?;
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

#[cfg(test)]
mod tests {
    use std::os::fd::FromRawFd;
    use std::time::{Duration, Instant};

    use super::*;

    /// A fresh pseudo-terminal: (master, slave).
    fn pty() -> (File, File) {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty fills two new descriptors, which the Files then own.
        unsafe {
            let rc = libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            );
            assert_eq!(rc, 0, "openpty");
            (File::from_raw_fd(master), File::from_raw_fd(slave))
        }
    }

    fn echoes(tty: &File) -> bool {
        // SAFETY: tcgetattr into a zeroed termios, on a descriptor we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(tty.as_raw_fd(), &mut t), 0);
            t.c_lflag & libc::ECHO != 0
        }
    }

    #[test]
    fn echo_is_off_before_a_secrets_prompt_appears() {
        let (mut master, slave) = pty();
        // A second, non-blocking handle on the terminal fills its output
        // until nothing more fits: the prompt's write then waits for the
        // reader, and the echo setting at that moment is what a user
        // typing (or pasting) as soon as the prompt shows would get.
        let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd())).unwrap();
        let mut filler = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .unwrap();
        while filler.write(&[b'x'; 4096]).is_ok() {}

        let mut tty = slave;
        let reader = std::thread::spawn(move || read_line(&mut tty, "Secret: ", false, None));
        let deadline = Instant::now() + Duration::from_secs(10);
        while echoes(&filler) {
            assert!(
                Instant::now() < deadline,
                "echo was still on while the prompt waited to be shown"
            );
            std::thread::sleep(Duration::from_millis(5));
        }

        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        while !shown.ends_with(b"Secret: ") {
            let n = master.read(&mut buf).unwrap();
            shown.extend_from_slice(&buf[..n]);
        }
        master.write_all(b"s3cret-typed\n").unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), "s3cret-typed");
        assert!(echoes(&filler), "the echo is put back");
        let n = master.read(&mut buf).unwrap();
        let after = String::from_utf8_lossy(&buf[..n]);
        assert!(
            !after.contains("s3cret"),
            "the secret was echoed: {after:?}"
        );
    }
}
