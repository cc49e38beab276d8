//! What the command of `exec --server` is told about AWS, so that its SDK
//! takes its credentials from the endpoint.
//!
//! Every SDK tries a profile's own credentials before the container
//! endpoint: with `AWS_PROFILE=P` and P's long-term keys in
//! `~/.aws/credentials`, the SDK would sign with those keys (no MFA), and for
//! a role profile it would assume the role itself and ask for a code. So the
//! command sees no credentials file (`/dev/null`) and a copy of the config
//! file in which P's section lost the keys that give credentials; all other
//! settings (region, output, endpoints, `s3` blocks, other profiles) stay.
//! Environment keys that would win over the endpoint are removed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::sys::error::{Error, Result};

/// Keys that make a profile produce credentials on its own.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "credential_process",
    "credential_source",
    "role_arn",
    "source_profile",
    "role_session_name",
    "external_id",
    "duration_seconds",
    "mfa_serial",
    "mfa_process",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "login_session",
];

/// Variables removed from the command's environment: keys and sources an
/// SDK would prefer to the endpoint, and a one-time code.
pub const REMOVED_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_VAULT",
];

/// The config file is the user's; a larger one is not copied.
const MAX_CONFIG: u64 = 1024 * 1024;

/// The user's config file (as `AWS_CONFIG_FILE` or `~/.aws/config` names
/// it), with `profile`'s credential keys removed.
pub fn filtered_config(profile: &str) -> Result<String> {
    let path = crate::aws::profile::config_path();
    let text = read_config(&path)?;
    if profile
        .chars()
        .any(|c| c.is_control() || c == '[' || c == ']')
    {
        return Err(Error::Other(format!(
            "profile `{}` cannot be named in a config file section; use a plainer name with --server",
            crate::sys::text::printable(profile)
        )));
    }
    Ok(filter(&text, profile))
}

fn read_config(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_CONFIG {
        return Err(Error::Other(format!(
            "{} is larger than 1 MiB; awsesh exec --server copies it for the command",
            path.display()
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The profile a config section header names (`[default]`,
/// `[profile NAME]`), or None for other sections (`[sso-session x]`, …).
fn section_profile(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?;
    let inner = inner.get(..inner.rfind(']')?)?;
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        ["default"] => Some("default".into()),
        ["profile", rest @ ..] if !rest.is_empty() => Some(rest.join(" ")),
        _ => None,
    }
}

fn is_header(line: &str) -> bool {
    !line.starts_with([' ', '\t']) && line.trim_start().starts_with('[')
}

/// The key of a `key = value` (or `key: value`) line, lowercased as the
/// SDKs' parsers read it.
fn key_of(line: &str) -> Option<String> {
    let end = line.find(['=', ':'])?;
    Some(line[..end].trim().to_ascii_lowercase())
}

/// Drops the credential keys (and their indented continuation lines) from
/// the profile's sections, and adds the section when the profile has none,
/// so that `AWS_PROFILE=profile` names a profile that exists.
fn filter(text: &str, profile: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut in_profile = false;
    let mut seen = false;
    let mut dropping = false;
    for line in text.lines() {
        if is_header(line) {
            in_profile = section_profile(line).as_deref() == Some(profile);
            seen |= in_profile;
            dropping = false;
        } else if in_profile {
            let indented = line.starts_with([' ', '\t']);
            if !indented {
                dropping = key_of(line).is_some_and(|k| CREDENTIAL_KEYS.contains(&k.as_str()));
            }
            if dropping {
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if !seen {
        let header = if profile == "default" {
            "[default]".to_string()
        } else {
            format!("[profile {profile}]")
        };
        out.push_str(&format!("\n{header}\n"));
    }
    out
}

/// The environment changes for the command: variables to remove and to set.
pub fn command_env(
    profile: &str,
    config: &Path,
    uri: &str,
    token: &str,
) -> (Vec<&'static str>, Vec<(&'static str, OsString)>) {
    let set = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.into()),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.into()),
        ("AWS_PROFILE", profile.into()),
        ("AWSESH_PROFILE", profile.into()),
        ("AWS_CONFIG_FILE", config.as_os_str().to_owned()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            PathBuf::from("/dev/null").into(),
        ),
    ];
    (REMOVED_VARS.to_vec(), set)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# my config
[default]
region = eu-west-1
mfa_serial = arn:aws:iam::1:mfa/alice
output = json

[profile prod]
role_arn = arn:aws:iam::2:role/Admin
Source_Profile=default
region = eu-central-1
credential_process = /bin/secret --token hunter2
  continued = hunter3
s3 =
  addressing_style = path
[profile prod-extra]
role_arn = arn:aws:iam::2:role/Other
[  profile   prod  ]
aws_access_key_id: AKIAXXXXXXXXXXXXXXXX
[sso-session prod]
sso_start_url = https://x
";

    #[test]
    fn drops_only_the_profiles_credential_keys() {
        let out = filter(CONFIG, "prod");
        for gone in [
            "role_arn = arn:aws:iam::2:role/Admin",
            "Source_Profile",
            "credential_process",
            "hunter2",
            "hunter3",
            "AKIAX",
        ] {
            assert!(!out.contains(gone), "{gone} left in:\n{out}");
        }
        for kept in [
            "region = eu-central-1",
            "s3 =\n  addressing_style = path",
            "role_arn = arn:aws:iam::2:role/Other",
            "mfa_serial = arn:aws:iam::1:mfa/alice",
            "sso_start_url = https://x",
            "output = json",
        ] {
            assert!(out.contains(kept), "{kept} missing from:\n{out}");
        }
        assert!(!out.contains("[profile prod]\n\n"), "no section added");
    }

    #[test]
    fn default_and_missing_sections() {
        let out = filter(CONFIG, "default");
        assert!(!out.contains("mfa_serial"));
        assert!(out.contains("region = eu-west-1"));
        assert!(out.contains("role_arn = arn:aws:iam::2:role/Admin"));
        let out = filter(CONFIG, "only-creds");
        assert!(out.ends_with("\n[profile only-creds]\n"), "{out}");
        assert_eq!(filter("", "default"), "\n[default]\n");
        let out = filter("[profile default]\naws_secret_access_key = x\n", "default");
        assert!(!out.contains("aws_secret"), "{out}");
    }
}
