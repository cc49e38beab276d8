//! Long-term keys written in plaintext in the AWS files: found, removed
//! (`keys add --migrate`) or replaced (`keys rotate`) with the line-preserving
//! editor, so nothing else in the files changes.

use std::path::PathBuf;

use crate::aws::ini_edit::{self, FileKind};
use crate::aws::profile::{config_path, credentials_path};
use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;

pub const ACCESS_KEY_ID: &str = "aws_access_key_id";
pub const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
pub const SESSION_TOKEN: &str = "aws_session_token";

/// The two AWS files, credentials first: its keys win over the config file's.
fn files() -> [(PathBuf, FileKind); 2] {
    [
        (credentials_path(), FileKind::Credentials),
        (config_path(), FileKind::Config),
    ]
}

/// Keys found in a file.
pub struct Plaintext {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// The file they were read from (the credentials file when both have them).
    pub path: PathBuf,
    /// A session token sits beside them: these are not long-term keys.
    pub has_session_token: bool,
}

/// The keys aws-config would read for the profile from the files, if any;
/// else keys another reader would use (the AWS CLI reads `[default]` of the
/// config file when it comes after `[profile default]`).
pub fn find(profile: &str) -> Result<Option<Plaintext>> {
    for (path, kind) in files() {
        let (_, _, doc) = ini_edit::load(&path, kind)?;
        if let (Some(id), Some(secret)) = (
            doc.get(profile, ACCESS_KEY_ID),
            doc.get(profile, SECRET_ACCESS_KEY),
        ) {
            return Ok(Some(Plaintext {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                has_session_token: doc.get(profile, SESSION_TOKEN).is_some(),
                path,
            }));
        }
    }
    for (path, kind) in files() {
        let (_, _, doc) = ini_edit::load(&path, kind)?;
        if let (Some(id), Some(secret)) = (
            doc.values_for_any_reader(profile, ACCESS_KEY_ID).pop(),
            doc.values_for_any_reader(profile, SECRET_ACCESS_KEY).pop(),
        ) {
            return Ok(Some(Plaintext {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                has_session_token: !doc.values_for_any_reader(profile, SESSION_TOKEN).is_empty(),
                path,
            }));
        }
    }
    Ok(None)
}

/// Removes the profile's key lines from both files, from every section any
/// reader uses; returns the files changed. Refuses, changing nothing, when
/// one of those sections holds a key other than `access_key_id` (the one
/// now kept elsewhere): removing it would lose it.
pub fn remove(profile: &str, access_key_id: &str) -> Result<Vec<PathBuf>> {
    check_removable(profile, access_key_id)?;
    let mut changed: Vec<PathBuf> = Vec::new();
    for (path, kind) in files() {
        let edited = ini_edit::edit(&path, kind, |doc| {
            Ok(doc.remove(profile, &[ACCESS_KEY_ID, SECRET_ACCESS_KEY]) > 0)
        })
        .map_err(|e| match changed.first() {
            // Say what was done before the failure.
            Some(done) => Error::Other(format!(
                "removed the key lines from {}, but {e}",
                done.display()
            )),
            None => e,
        })?;
        if edited {
            changed.push(path);
        }
    }
    Ok(changed)
}

/// An error when a section any reader uses holds a key other than
/// `access_key_id` for the profile: `remove` would lose it.
pub fn check_removable(profile: &str, access_key_id: &str) -> Result<()> {
    for (path, kind) in files() {
        let (_, _, doc) = ini_edit::load(&path, kind)?;
        if let Some(other) = doc
            .values_for_any_reader(profile, ACCESS_KEY_ID)
            .into_iter()
            .find(|id| id != access_key_id)
        {
            return Err(Error::Other(format!(
                "{} also holds another key ({}) for profile `{}` (the AWS CLI and the SDKs may read different sections: [default] and [profile default]); nothing was removed from the files; keep one key there, then run the command again",
                path.display(),
                crate::sys::text::printable(&other),
                crate::sys::text::printable(profile)
            )));
        }
    }
    Ok(())
}

/// Replaces the key values wherever any reader may read the profile's keys;
/// returns the files changed (none: the profile had no keys in the files).
pub fn replace(profile: &str, access_key_id: &str, secret: &Secret) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for (path, kind) in files() {
        let edited = ini_edit::edit(&path, kind, |doc| {
            if doc.values_for_any_reader(profile, ACCESS_KEY_ID).is_empty()
                && doc
                    .values_for_any_reader(profile, SECRET_ACCESS_KEY)
                    .is_empty()
            {
                return Ok(false);
            }
            doc.set(profile, ACCESS_KEY_ID, access_key_id)?;
            doc.set(profile, SECRET_ACCESS_KEY, secret.expose())?;
            Ok(true)
        })?;
        if edited {
            changed.push(path);
        }
    }
    Ok(changed)
}

/// Whether either file has a section for the profile.
pub fn profile_exists(profile: &str) -> Result<bool> {
    for (path, kind) in files() {
        let (_, _, doc) = ini_edit::load(&path, kind)?;
        if doc.has_section(profile) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Gives the profile a section in the config file if it has none in either
/// file, so the AWS CLI knows the profile (`AWS_PROFILE=P aws …`).
pub fn ensure_profile_exists(profile: &str) -> Result<bool> {
    if profile_exists(profile)? {
        return Ok(false);
    }
    ini_edit::edit(&config_path(), FileKind::Config, |doc| {
        if doc.has_section(profile) {
            return Ok(false);
        }
        doc.add_section(profile)?;
        Ok(true)
    })
}

/// Profiles with keys (or a `credential_process`) in the files: (profile,
/// access key id or "", where).
pub fn listed() -> Result<Vec<(String, String, String)>> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for (path, kind) in files() {
        let (_, _, doc) = ini_edit::load(&path, kind)?;
        for profile in doc.profiles() {
            if out.iter().any(|(p, _, _)| *p == profile) {
                continue;
            }
            let where_ = match kind {
                FileKind::Credentials => "credentials file (plaintext)",
                FileKind::Config => "config file (plaintext)",
            };
            if let Some(id) = doc.get(&profile, ACCESS_KEY_ID) {
                out.push((profile, id, where_.to_string()));
            } else if kind == FileKind::Config && doc.get(&profile, "credential_process").is_some()
            {
                out.push((profile, String::new(), "credential_process".to_string()));
            }
        }
    }
    Ok(out)
}

/// Whether the profile's config section names a `credential_process`.
pub fn has_credential_process(profile: &str) -> Result<bool> {
    let (_, _, doc) = ini_edit::load(&config_path(), FileKind::Config)?;
    Ok(doc.get(profile, "credential_process").is_some())
}

/// An error for a profile whose keys are not long-term ones.
pub fn session_keys_error(profile: &str, path: &std::path::Path) -> Error {
    Error::Other(format!(
        "profile `{}` in {} holds temporary session keys (aws_session_token), not long-term keys; nothing was changed",
        crate::sys::text::printable(profile),
        path.display()
    ))
}
