//! Reading an access key from the user: on the terminal (the secret not
//! echoed, Ctrl-C restoring the terminal), or from stdin for scripts: two
//! lines (access key id, then secret) or the CSV file the IAM console offers.

use std::fs::File;
use std::io::{Read, Write};

use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;

use super::Keys;

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
    let profile = crate::sys::text::printable(profile);
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

/// One line from the terminal; Ctrl-C or end of input cancels (130).
pub fn read_line(tty: &mut File, prompt: &str, echo: bool) -> Result<String> {
    crate::sys::terminal::read_line(tty, prompt, echo, None)
}

/// A yes/no question on the terminal; anything but yes (Enter too) is no.
pub fn confirm(tty: &mut File, question: &str) -> Result<bool> {
    let answer = read_line(tty, &format!("{question} [y/N] "), true)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
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
