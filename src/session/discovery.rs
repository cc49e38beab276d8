//! MFA device discovery for profiles without `mfa_serial`, as the team's
//! script does it: IAM GetUser, then ListMFADevices for that user. A device
//! found this way is remembered (its ARN is not a secret) in
//! `$XDG_CONFIG_HOME/awsesh/mfa-devices.json`, keyed by profile and long-term
//! AccessKeyId, so IAM is asked once per key, and the user is told how to pin it.
//! Runs only on the refresh path, never for prompt/env/hook-sync.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::aws::profile::Profile;
use crate::aws::sts;
use crate::session::longterm::LongTermKeys;
use crate::store::file;
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// Where discovered devices are remembered.
pub fn memory_path() -> Option<PathBuf> {
    let base = directories::BaseDirs::new()?;
    Some(base.config_dir().join("awsesh").join("mfa-devices.json"))
}

/// The section header of a profile in the config file, for messages.
pub fn section_of(profile: &str) -> String {
    if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    }
}

/// An MFA serial as IAM prints them: an ARN or a hardware serial.
fn plausible_serial(serial: &str) -> bool {
    (9..=256).contains(&serial.len())
        && serial
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b))
}

fn read_entries() -> Vec<Value> {
    let Some(path) = memory_path() else {
        return Vec::new();
    };
    // The same strict read as the session cache: ours, 0600, no symlink.
    let Ok(Some(bytes)) = file::read(&path) else {
        return Vec::new();
    };
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("devices")?.as_array().cloned())
        .unwrap_or_default()
}

fn matches(entry: &Value, profile: &str, key_id: &str) -> bool {
    entry["profile"].as_str() == Some(profile) && entry["access_key_id"].as_str() == Some(key_id)
}

/// The device remembered for this profile and key, if any.
pub fn remembered(profile: &str, key_id: &str) -> Option<String> {
    read_entries()
        .iter()
        .find(|e| matches(e, profile, key_id))
        .and_then(|e| e["mfa_serial"].as_str())
        .filter(|s| plausible_serial(s))
        .map(str::to_string)
}

fn write_entries(entries: Vec<Value>) -> Result<()> {
    let Some(path) = memory_path() else {
        return Ok(());
    };
    if let Some(dir) = path.parent() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    }
    let text = json!({ "version": 1, "devices": entries }).to_string();
    file::write_atomic(&path, format!("{text}\n").as_bytes())
}

/// Remembers a discovered device (best effort: a failure only costs a lookup).
pub fn remember(profile: &str, key_id: &str, serial: &str) {
    let mut entries: Vec<Value> = read_entries()
        .into_iter()
        .filter(|e| !matches(e, profile, key_id))
        .collect();
    entries.push(json!({
        "profile": profile,
        "access_key_id": key_id,
        "mfa_serial": serial,
    }));
    let _ = write_entries(entries);
}

/// Forgets a remembered device, e.g. after AWS refused it.
pub fn forget(profile: &str, key_id: &str) {
    let entries = read_entries();
    if entries.iter().any(|e| matches(e, profile, key_id)) {
        let _ = write_entries(
            entries
                .into_iter()
                .filter(|e| !matches(e, profile, key_id))
                .collect(),
        );
    }
}

/// The device to use for a profile without `mfa_serial`, and whether it came
/// from memory (so a refusal can forget it). A network failure is reported
/// as such: it says nothing about the device.
pub async fn device_for(
    profile: &Profile,
    region: &str,
    ca_bundle: Option<&str>,
    keys: &LongTermKeys,
) -> Result<(String, bool)> {
    if let Some(serial) = remembered(&profile.name, &keys.access_key_id) {
        return Ok((serial, true));
    }
    let config = crate::aws::profile::config_path().display().to_string();
    let section = section_of(&printable(&profile.name));
    let found = sts::list_mfa_devices(
        &profile.name,
        region.to_string(),
        keys.credentials(),
        ca_bundle,
    )
    .await
    .map_err(|e| match e {
        Error::Sts { detail, .. } => Error::DiscoveryFailed {
            profile: printable(&profile.name),
            detail,
            section: section.clone(),
            config: config.clone(),
        },
        other => other,
    })?;
    let serials: Vec<String> = found
        .serials
        .into_iter()
        .filter(|s| plausible_serial(s))
        .collect();
    match serials.as_slice() {
        // GetSessionToken takes a TOTP code only; AWS points passkey users
        // at `aws login`, which awsesh keeps as a session kind of its own.
        [] if found.passkeys > 0 => Err(Error::Other(format!(
            "IAM user {} has only passkeys or security keys, and GetSessionToken cannot take a passkey; sign in with `aws login --profile {}` (AWS CLI 2.32+) instead and awsesh keeps that session (see docs/sign-ins.md)",
            printable(&found.user),
            crate::sys::text::shell_word(&profile.name)
        ))),
        [] => Err(Error::NoMfaDevice {
            profile: printable(&profile.name),
            user: printable(&found.user),
        }),
        [one] => {
            remember(&profile.name, &keys.access_key_id, one);
            crate::sys::text::say(&format!(
                "found MFA device {one} for profile {} through IAM; pin it by adding `mfa_serial = {one}` to [{section}] in {config}",
                printable(&profile.name)
            ));
            Ok((one.clone(), false))
        }
        several => Err(Error::SeveralMfaDevices {
            profile: printable(&profile.name),
            user: printable(&found.user),
            devices: several.join(", "),
            section,
            config,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_checked_before_use() {
        assert!(plausible_serial("arn:aws:iam::123456789012:mfa/alice"));
        assert!(plausible_serial("GAHT12345678"));
        assert!(!plausible_serial("arn:aws:iam::1:mfa/a b"));
        assert!(!plausible_serial("$(id)"));
        assert!(!plausible_serial("short"));
    }

    #[test]
    fn sections_are_named_as_in_the_config_file() {
        assert_eq!(section_of("default"), "default");
        assert_eq!(section_of("dev"), "profile dev");
    }
}
