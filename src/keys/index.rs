//! Which profiles keep their keys in the OS keyring, and their access key
//! ids (not secrets): `$XDG_CONFIG_HOME/awsesh/keyring.json`, mode 0600.
//! A profile not listed here never makes awsesh talk to the keyring, so
//! users without one (servers, WSL) are never slowed down or prompted.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::store::file;
use crate::sys::error::{Error, Result};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub profile: String,
    pub access_key_id: String,
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

pub fn find(profile: &str) -> Result<Option<Entry>> {
    Ok(entries()?.into_iter().find(|e| e.profile == profile))
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
        version: 1,
        profiles,
    })
    .map_err(|e| Error::Other(e.to_string()))?;
    file::write_atomic(&path, format!("{text}\n").as_bytes())
}

/// Records (or updates) the profile's entry.
pub fn put(profile: &str, access_key_id: &str) -> Result<()> {
    let mut profiles: Vec<Entry> = entries()?
        .into_iter()
        .filter(|e| e.profile != profile)
        .collect();
    profiles.push(Entry {
        profile: profile.to_string(),
        access_key_id: access_key_id.to_string(),
    });
    write(profiles)
}

/// Forgets the profile's entry; Ok(false) when there was none.
pub fn remove(profile: &str) -> Result<bool> {
    let all = entries()?;
    let before = all.len();
    let kept: Vec<Entry> = all.into_iter().filter(|e| e.profile != profile).collect();
    if kept.len() == before {
        return Ok(false);
    }
    write(kept)?;
    Ok(true)
}
