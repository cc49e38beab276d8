//! What a parse of the whole AWS config and credentials files found, kept in
//! the private runtime directory so that a call on a 10,000-profile config
//! does not parse 10,000 profiles again: that the files parse, and, for
//! completion and `status --all`, each profile's name and the few settings
//! the list shows.
//!
//! Never trusted over the files: it is keyed by a SHA-256 of both files'
//! contents (read on every call), so any change — within the same second,
//! at the same size, a file renamed over the other — is a miss. Timestamps
//! and inode numbers could miss an edit made within the clock's granularity;
//! the contents cannot. A file of another awsesh version, of other files, or
//! corrupt in any byte (its body has its own digest) is a miss too, and is
//! replaced. It holds no secret: no keys, no `credential_process` or
//! `mfa_process` command line (they may hold tokens), only names, ARNs and
//! which sign-in key a profile has.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The first word of the header line; the number changes with the format.
const FORMAT: &str = "awsesh-profile-index/2";
/// Far above what 100,000 profiles take (about 100 bytes each).
const MAX_SIZE: u64 = 64 * 1024 * 1024;

/// One profile as `status --all` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<String>,
    /// The config key that makes it sign in some other way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_sign_in: Option<String>,
    /// Its `credential_process` is `awsesh credential-process` (the command
    /// itself is not kept).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub returns_awsesh_session: bool,
    /// An IAM Identity Center or `aws login` profile, a kind awsesh keeps:
    /// `status --all` reads its whole profile (the token's cache is named
    /// by its settings).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kept_sign_in: bool,
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(parts: &[&[u8]]) -> String {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    for part in parts {
        // Each part with its length first, so no two splits hash alike.
        context.update(&(part.len() as u64).to_le_bytes());
        context.update(part);
    }
    hex(context.finish().as_ref())
}

/// The key of the index: both files' contents, and the awsesh build that
/// parsed them (another version may read them differently).
pub fn digest(config: &str, credentials: &str) -> String {
    sha256(&[
        FORMAT.as_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
        config.as_bytes(),
        credentials.as_bytes(),
    ])
}

/// Where the index of these two files lives: one per pair of paths, so
/// that switching `AWS_CONFIG_FILE` between projects does not rebuild it
/// each time. `None` when the runtime directory is unusable (then every
/// call parses the files, as before there was an index).
pub fn path_for(config: &Path, credentials: &Path) -> Option<PathBuf> {
    let dir = crate::store::dir::prepare().ok()?;
    let of_paths = sha256(&[
        config.as_os_str().as_encoded_bytes(),
        credentials.as_os_str().as_encoded_bytes(),
    ]);
    Some(dir.join(format!("profiles-{}.index", of_paths.get(..16)?)))
}

/// The index's body when it is the index of files with `digest` and intact;
/// `None` for a missing, foreign, stale, unsafe or corrupt file.
fn body(path: &Path, digest: &str) -> Option<Vec<u8>> {
    let bytes = crate::store::file::read_up_to(path, MAX_SIZE).ok()??;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(bytes.get(..newline)?).ok()?;
    let body = bytes.get(newline + 1..)?;
    let mut words = header.split(' ');
    let intact = words.next() == Some(FORMAT)
        && words.next() == Some(digest)
        && words.next() == Some(sha256(&[body]).as_str())
        && words.next().is_none();
    intact.then(|| body.to_vec())
}

/// Whether the index says that files with `digest` parse: only its header
/// is read (a body damaged behind an intact header does not change that
/// answer; the calls that read the body check it).
pub fn is_current(path: &Path, digest: &str) -> bool {
    let Some(head) = crate::store::file::read_head(path, 256).ok().flatten() else {
        return false;
    };
    let mut words = head.split(|&b| b == b' ' || b == b'\n');
    words.next() == Some(FORMAT.as_bytes()) && words.next() == Some(digest.as_bytes())
}

/// The profiles of files with `digest`, sorted by name, if the index has them.
pub fn load(path: &Path, digest: &str) -> Option<Vec<Entry>> {
    serde_json::from_slice(&body(path, digest)?).ok()
}

/// Only their names (completion): the rest of each entry is skipped, not
/// built.
pub fn load_names(path: &Path, digest: &str) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Name {
        name: String,
    }
    let names: Vec<Name> = serde_json::from_slice(&body(path, digest)?).ok()?;
    Some(names.into_iter().map(|n| n.name).collect())
}

/// Replaces the index (atomically: readers see the old or the new one).
/// Failing to save only costs the next call a parse.
pub fn save(path: &Path, digest: &str, entries: &[Entry]) {
    let Ok(body) = serde_json::to_vec(entries) else {
        return;
    };
    let mut contents = format!("{FORMAT} {digest} {}\n", sha256(&[&body])).into_bytes();
    contents.extend_from_slice(&body);
    let _ = crate::store::file::write_atomic(path, &contents);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn entry(name: &str) -> Entry {
        Entry {
            name: name.into(),
            role_arn: None,
            mfa_serial: Some("arn:aws:iam::1:mfa/x".into()),
            other_sign_in: None,
            returns_awsesh_session: false,
            kept_sign_in: false,
        }
    }

    #[test]
    fn an_index_is_read_back_only_for_the_same_contents_and_intact() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = dir.path().join("profiles-x.index");
        let digest = digest("[default]\nregion = a\n", "");
        save(&path, &digest, &[entry("a"), entry("b")]);
        assert_eq!(load(&path, &digest), Some(vec![entry("a"), entry("b")]));
        assert_eq!(
            load_names(&path, &digest),
            Some(vec!["a".into(), "b".into()])
        );
        assert!(is_current(&path, &digest));
        // One byte changed in the config: another digest.
        assert!(!is_current(
            &path,
            &super::digest("[default]\nregion = b\n", "")
        ));
        // One byte changed in the body: corrupt.
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(load(&path, &digest), None);
        assert_eq!(load_names(&path, &digest), None);
        // Garbage, an empty file, no file.
        for garbage in [&b"\x00\xff garbage\n[]"[..], b"", b"awsesh-profile-index/1"] {
            std::fs::write(&path, garbage).unwrap();
            assert!(!is_current(&path, &digest));
        }
        std::fs::remove_file(&path).unwrap();
        assert!(!is_current(&path, &digest));
    }

    #[test]
    fn the_digest_separates_the_two_files() {
        assert_ne!(digest("ab", "c"), digest("a", "bc"));
    }
}
