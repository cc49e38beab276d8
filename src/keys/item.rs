//! Which keyring item holds a profile's keys. An item belongs to one set of
//! AWS files — the canonical paths of the credentials and config files the
//! AWS tools read here — so that a second HOME, or another
//! AWS_SHARED_CREDENTIALS_FILE, on the same keyring gets an item of its own
//! instead of overwriting the first one's. The set is part of the item's
//! lookup key (its user name), since the Secret Service store finds items by
//! service and user name alone.
//!
//! Items written before this (user name = the escaped profile name alone)
//! are `Legacy`: still read, adopted by the files that use them, never
//! overwritten.

use std::path::Path;

use sha2::Digest;

use crate::aws::profile::{config_path, credentials_path};
use crate::sys::error::Result;

/// The set of AWS files an item belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsFiles {
    pub credentials: String,
    pub config: String,
}

impl AwsFiles {
    /// The files the AWS tools read now, canonical: `~/.aws` through a
    /// symlink and the file it points to are one set of files.
    pub fn current() -> AwsFiles {
        AwsFiles {
            credentials: canonical(&credentials_path()),
            config: canonical(&config_path()),
        }
    }

    /// A short digest of both paths, for the item's user name: paths may be
    /// long and hold any byte; the digest is a fixed run of hex digits.
    pub fn tag(&self) -> String {
        let mut hash = sha2::Sha256::new();
        hash.update(self.credentials.as_bytes());
        hash.update([0u8]);
        hash.update(self.config.as_bytes());
        hex::encode(hash.finalize()).chars().take(16).collect()
    }
}

/// The path with every symlink resolved. Of a path not written yet, the
/// deepest folder that exists is resolved and the rest appended, so that
/// creating `~/.aws` or the file later does not change the set (on macOS
/// `/var` is `/private/var`, and a HOME may sit behind a symlink).
fn canonical(path: &Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    let mut base: &Path = &absolute;
    let resolved = loop {
        if let Ok(found) = std::fs::canonicalize(base) {
            break rest.iter().rev().fold(found, |p, part| p.join(part));
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                base = parent;
            }
            _ => break absolute.clone(),
        }
    };
    resolved.to_string_lossy().into_owned()
}

/// One keyring item of a profile.
#[derive(Clone, Debug)]
pub enum Item {
    /// The item of this profile for this set of AWS files.
    ForFiles { profile: String, files: AwsFiles },
    /// An item written by an earlier awsesh: keyed by the profile alone.
    Legacy { profile: String },
}

impl Item {
    /// The profile's item for the AWS files in use now.
    pub fn current(profile: &str) -> Item {
        Item::ForFiles {
            profile: profile.to_string(),
            files: AwsFiles::current(),
        }
    }

    pub fn legacy(profile: &str) -> Item {
        Item::Legacy {
            profile: profile.to_string(),
        }
    }

    pub fn profile(&self) -> &str {
        match self {
            Item::ForFiles { profile, .. } | Item::Legacy { profile } => profile,
        }
    }

    pub fn files(&self) -> Option<&AwsFiles> {
        match self {
            Item::ForFiles { files, .. } => Some(files),
            Item::Legacy { .. } => None,
        }
    }

    /// The item's user name: `p-<escaped profile>` (legacy) or
    /// `p-<escaped profile>@<tag of the files>`. `@` never occurs in an
    /// escaped profile name, so no profile's items can meet another's.
    pub fn user(&self) -> Result<String> {
        let key = crate::store::key_for(self.profile())?;
        Ok(match self {
            Item::ForFiles { files, .. } => format!("{key}@{}", files.tag()),
            Item::Legacy { .. } => key,
        })
    }

    /// The label a keyring manager (seahorse) shows.
    pub fn label(&self) -> String {
        let p = crate::sys::text::printable(self.profile());
        match self {
            Item::ForFiles { files, .. } => format!(
                "awsesh: AWS access key of profile {p} ({})",
                crate::sys::text::printable(&files.credentials)
            ),
            Item::Legacy { .. } => format!("awsesh: AWS access key of profile {p}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(credentials: &str, config: &str) -> AwsFiles {
        AwsFiles {
            credentials: credentials.into(),
            config: config.into(),
        }
    }

    #[test]
    fn each_set_of_files_and_each_profile_has_its_own_user_name() {
        let a = files("/home/a/.aws/credentials", "/home/a/.aws/config");
        let b = files("/home/b/.aws/credentials", "/home/a/.aws/config");
        let c = files("/home/a/.aws/credentials", "/home/b/.aws/config");
        let user = |profile: &str, files: &AwsFiles| {
            Item::ForFiles {
                profile: profile.into(),
                files: files.clone(),
            }
            .user()
            .unwrap()
        };
        assert_ne!(user("default", &a), user("default", &b));
        assert_ne!(user("default", &a), user("default", &c));
        assert_ne!(user("default", &a), user("a.b", &a));
        assert_eq!(user("default", &a), user("default", &a.clone()));
        assert!(user("default", &a).starts_with("p-default@"));
        assert_eq!(Item::legacy("a.b").user().unwrap(), "p-a_2eb");
        // The path bytes are not simply joined: moving the separator changes it.
        assert_ne!(files("/x", "y/z").tag(), files("/xy", "/z").tag());
    }

    #[test]
    fn a_file_not_written_yet_has_the_path_it_will_have() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        // Neither `.aws` nor the file exists yet.
        let before = canonical(&link.join(".aws/credentials"));
        assert!(before.ends_with("/real/.aws/credentials"), "{before}");
        std::fs::create_dir(real.join(".aws")).unwrap();
        std::fs::write(real.join(".aws/credentials"), "").unwrap();
        assert_eq!(before, canonical(&link.join(".aws/credentials")));
        assert_eq!(before, canonical(&real.join(".aws/credentials")));
    }
}
