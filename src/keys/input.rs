//! Reading an access key from the user: on the terminal (the secret not
//! echoed, Ctrl-C restoring the terminal), or from stdin for scripts: two
//! lines (access key id, then secret) or the CSV file the IAM console offers.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::secret::Secret;

use super::keyring::Keys;

/// What a long-term access key id looks like (temporary ones start with ASIA).
pub fn check_access_key_id(id: &str) -> Result<()> {
    if id.starts_with("ASIA") {
        return Err(Error::Other(
            "this is a temporary access key id (ASIA…); store the long-term key of your IAM user (AKIA…)".into(),
        ));
    }
    if (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(Error::Other(
            "that is not an access key id (16 to 128 capital letters and digits, e.g. AKIA…); try again".into(),
        ))
    }
}

/// What a secret access key looks like: base64 characters.
pub fn check_secret(secret: &str) -> Result<()> {
    if (16..=128).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        Ok(())
    } else {
        Err(Error::Other(
            "that is not a secret access key (16 to 128 letters, digits and +/=); try again".into(),
        ))
    }
}

/// Keys from stdin: `ID\nSECRET\n`, or the console's CSV (`Access key ID,
/// Secret access key` header, then `ID,SECRET`).
pub fn from_reader(reader: impl Read) -> Result<Keys> {
    let mut text = String::new();
    reader
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Error::io("cannot read the keys from stdin", e))?;
    let mut fields: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.to_ascii_lowercase().starts_with("access key id") {
            continue;
        }
        fields.extend(line.split(',').map(|f| f.trim().to_string()));
    }
    match fields.as_slice() {
        [id, secret, ..] => {
            check_access_key_id(id)?;
            check_secret(secret)?;
            Ok(Keys {
                access_key_id: id.clone(),
                secret_access_key: Secret::new(secret.clone()),
            })
        }
        _ => Err(Error::Other(
            "expected the access key id and the secret access key on stdin, one per line (or the IAM console's CSV file)".into(),
        )),
    }
}

/// Keys typed on the terminal.
pub fn from_terminal(tty: &mut File, profile: &str) -> Result<Keys> {
    let profile = crate::text::printable(profile);
    let id = loop {
        let id = read_line(tty, &format!("Access key ID for profile {profile}: "), true)?;
        match check_access_key_id(id.trim()) {
            Ok(()) => break id.trim().to_string(),
            Err(e) => {
                let _ = writeln!(tty, "awsesh: {e}");
            }
        }
    };
    let secret = loop {
        let secret = Secret::new(read_line(tty, "Secret access key (not shown): ", false)?.trim());
        match check_secret(secret.expose()) {
            Ok(()) => break secret,
            Err(e) => {
                let _ = writeln!(tty, "awsesh: {e}");
            }
        }
    };
    Ok(Keys {
        access_key_id: id,
        secret_access_key: secret,
    })
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
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

/// Reads one line from the terminal; Ctrl-C or end of input cancels (130).
/// SIGINT is caught without SA_RESTART so the blocking read returns and the
/// echo is restored before we exit.
pub fn read_line(tty: &mut File, prompt: &str, echo: bool) -> Result<String> {
    // SAFETY: a zeroed sigaction with a plain handler is valid; the handler
    // only stores to an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as *const () as usize;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
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
        match tty.read(&mut byte) {
            Ok(0) => return Err(Error::Cancelled),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() < 1024 => line.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    let _ = writeln!(tty);
                    return Err(Error::Cancelled);
                }
            }
            Err(e) => return Err(Error::io("cannot read from the terminal", e)),
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_as_two_lines_or_the_consoles_csv() {
        let k = from_reader("AKIAABCDEFGHIJKLMNOP\nc2VjcmV0c2VjcmV0c2VjcmV0\n".as_bytes()).unwrap();
        assert_eq!(k.access_key_id, "AKIAABCDEFGHIJKLMNOP");
        assert_eq!(k.secret_access_key.expose(), "c2VjcmV0c2VjcmV0c2VjcmV0");
        let csv = "\u{feff}Access key ID,Secret access key\r\nAKIAABCDEFGHIJKLMNOP,abc/def+ghi=jklmnopq\r\n";
        let k = from_reader(csv.as_bytes()).unwrap();
        assert_eq!(k.secret_access_key.expose(), "abc/def+ghi=jklmnopq");
        assert!(from_reader("AKIAABCDEFGHIJKLMNOP\n".as_bytes()).is_err());
        assert!(from_reader("ASIAABCDEFGHIJKLMNOP\nc2VjcmV0c2VjcmV0c2Vj\n".as_bytes()).is_err());
        assert!(from_reader("AKIA$(id)EFGHIJKLMNOP\nc2VjcmV0c2VjcmV0c2Vj\n".as_bytes()).is_err());
        let err = from_reader("AKIAABCDEFGHIJKLMNOP\nsecret with spaces'\n".as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("secret with"), "{err}");
    }
}
