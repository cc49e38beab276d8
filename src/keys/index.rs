//! Which profiles keep their keys in the OS keyring, and their access key
//! ids (not secrets): `$XDG_CONFIG_HOME/awsesh/keyring.json`, mode 0600.
//! A profile not listed here never makes awsesh talk to the keyring, so
//! users without one (servers, WSL) are never slowed down or prompted.
//! Each entry names the set of AWS files it is for (`item.rs`): one
//! configuration directory may serve several (AWS_SHARED_CREDENTIALS_FILE).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::item::{AwsFiles, Item};
use crate::store::file;
use crate::sys::error::{Error, Result};

/// One profile's keys in the keyring, for one set of AWS files. Entries
/// written by earlier versions have no files: they are the legacy item's,
/// adopted by the first set of files that uses them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub profile: String,
    pub access_key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// The IAM user the key belongs to, as STS named it when it was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Entry {
    fn files(&self) -> Option<AwsFiles> {
        Some(AwsFiles {
            credentials: self.credentials_file.clone()?,
            config: self.config_file.clone()?,
        })
    }

    /// The keyring item this entry stands for.
    pub fn item(&self) -> Item {
        match self.files() {
            Some(files) => Item::ForFiles {
                profile: self.profile.clone(),
                files,
            },
            None => Item::legacy(&self.profile),
        }
    }

    pub fn is_legacy(&self) -> bool {
        self.files().is_none()
    }

    /// Whether the entry belongs to the AWS files in use now (or is legacy).
    pub fn is_for(&self, files: &AwsFiles) -> bool {
        self.files().is_none_or(|f| f == *files)
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Index {
    version: u32,
    profiles: Vec<Entry>,
}

pub fn path() -> Option<PathBuf> {
    let base = directories::BaseDirs::new()?;
    Some(base.config_dir().join("awsesh").join("keyring.json"))
}

/// Every entry, sorted by profile. An unreadable index is reported: losing
/// track of keyring keys silently would send awsesh to the plaintext file.
pub fn entries() -> Result<Vec<Entry>> {
    let Some(path) = path() else {
        return Ok(Vec::new());
    };
    remove_stale_temps(&path);
    let Some(bytes) = file::read(&path)? else {
        return Ok(Vec::new());
    };
    let index: Index = serde_json::from_slice(&bytes).map_err(|_| {
        Error::Other(format!(
            "{} is corrupt; remove it and run `awsesh keys add` for each profile whose keys are in the keyring",
            path.display()
        ))
    })?;
    let mut profiles = index.profiles;
    profiles.sort_by(|a, b| a.profile.cmp(&b.profile));
    Ok(profiles)
}

/// Removes the temp copies of the index a killed run left beside it.
fn remove_stale_temps(path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        file::remove_stale_temps_of(dir, file::STALE_TEMP_AGE, |target| target == "keyring.json");
    }
}

/// The profile's entry for the AWS files in use now: its own, else a
/// legacy one (which those files then adopt). Entries of other files are
/// not this profile's keys here.
pub fn find(profile: &str) -> Result<Option<Entry>> {
    find_for(profile, &AwsFiles::current())
}

pub fn find_for(profile: &str, files: &AwsFiles) -> Result<Option<Entry>> {
    let mine: Vec<Entry> = entries()?
        .into_iter()
        .filter(|e| e.profile == profile && e.is_for(files))
        .collect();
    Ok(mine
        .iter()
        .find(|e| !e.is_legacy())
        .or(mine.first())
        .cloned())
}

/// The entries of the AWS files in use now (and legacy ones), sorted.
pub fn entries_here() -> Result<Vec<Entry>> {
    let files = AwsFiles::current();
    let all = entries()?;
    Ok(all
        .iter()
        .filter(|e| e.is_for(&files))
        .filter(|e| {
            // A legacy entry is shadowed by the profile's own.
            !e.is_legacy()
                || !all
                    .iter()
                    .any(|o| o.profile == e.profile && !o.is_legacy() && o.is_for(&files))
        })
        .cloned()
        .collect())
}

fn write(profiles: Vec<Entry>) -> Result<()> {
    let path = path().ok_or_else(|| {
        Error::Other("cannot tell where the configuration directory is; set HOME".into())
    })?;
    if let Some(dir) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let text = serde_json::to_string_pretty(&Index {
        version: 2,
        profiles,
    })
    .map_err(|e| Error::Other(e.to_string()))?;
    file::write_atomic(&path, format!("{text}\n").as_bytes())
}

/// Records (or updates) the profile's entry for these files; a legacy
/// entry of the profile is replaced by it (adopted by these files).
pub fn put(profile: &str, files: &AwsFiles, access_key_id: &str, arn: Option<&str>) -> Result<()> {
    let mut profiles: Vec<Entry> = entries()?
        .into_iter()
        .filter(|e| !(e.profile == profile && e.is_for(files)))
        .collect();
    profiles.push(Entry {
        profile: profile.to_string(),
        access_key_id: access_key_id.to_string(),
        credentials_file: Some(files.credentials.clone()),
        config_file: Some(files.config.clone()),
        arn: arn.map(str::to_string),
    });
    write(profiles)
}

/// Forgets the profile's entries for these files (its own and a legacy
/// one); Ok(false) when there was none.
pub fn remove(profile: &str, files: &AwsFiles) -> Result<bool> {
    let all = entries()?;
    let before = all.len();
    let kept: Vec<Entry> = all
        .into_iter()
        .filter(|e| !(e.profile == profile && e.is_for(files)))
        .collect();
    if kept.len() == before {
        return Ok(false);
    }
    write(kept)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(profile: &str, credentials: Option<&str>) -> Entry {
        Entry {
            profile: profile.into(),
            access_key_id: "AKIAEXAMPLEEXAMPLE01".into(),
            credentials_file: credentials.map(str::to_string),
            config_file: credentials.map(|_| "/h/.aws/config".to_string()),
            arn: None,
        }
    }

    #[test]
    fn an_entry_is_for_its_own_files_and_a_legacy_one_for_any() {
        let a = AwsFiles {
            credentials: "/a/.aws/credentials".into(),
            config: "/h/.aws/config".into(),
        };
        let b = AwsFiles {
            credentials: "/b/.aws/credentials".into(),
            config: "/h/.aws/config".into(),
        };
        let own = entry("team", Some("/a/.aws/credentials"));
        assert!(own.is_for(&a) && !own.is_for(&b) && !own.is_legacy());
        assert!(matches!(own.item(), Item::ForFiles { files, .. } if files == a));
        let legacy = entry("team", None);
        assert!(legacy.is_for(&a) && legacy.is_for(&b) && legacy.is_legacy());
        assert!(matches!(legacy.item(), Item::Legacy { .. }));
        // An index of an earlier awsesh reads as legacy entries.
        let old: Index = serde_json::from_str(
            r#"{"version":1,"profiles":[{"profile":"team","access_key_id":"AKIAEXAMPLEEXAMPLE01"}]}"#,
        )
        .unwrap();
        assert_eq!(old.profiles, vec![legacy]);
    }
}
