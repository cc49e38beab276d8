//! The AWS config and credentials files: which profile is meant, and the keys
//! awsesh reads from its section. Long-term secrets are NOT read here — they
//! come through aws-config's profile provider (see `sts.rs`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// `--profile`, else `AWS_PROFILE`, else `default`.
pub fn resolve_name(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

pub fn config_path() -> PathBuf {
    env_path("AWS_CONFIG_FILE", ".aws/config")
}

pub fn credentials_path() -> PathBuf {
    env_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
}

fn env_path(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(path) => expand_home(PathBuf::from(path)),
        None => home_dir().join(default),
    }
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn expand_home(path: PathBuf) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home_dir().join(rest),
        Err(_) => path,
    }
}

/// Keys of profiles that sign in without long-term keys.
const OTHER_SIGN_IN: [&str; 4] = [
    "sso_session",
    "sso_start_url",
    "credential_source",
    "web_identity_token_file",
];

/// What awsesh needs to know about one profile.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub name: String,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u64>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub source_profile: Option<String>,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_process: Option<String>,
    /// The config key that makes this a profile signing in some other way
    /// (IAM Identity Center, an instance or web identity): no long-term keys
    /// for awsesh to trade.
    pub other_sign_in: Option<&'static str>,
    /// The profile has a section in the config file.
    pub in_config: bool,
    /// The profile has a section in the credentials file.
    pub in_credentials: bool,
}

impl Profile {
    /// Loads the profile's settings; a profile in neither file is an error.
    pub fn load(name: &str) -> Result<Profile> {
        let profile = Profile::load_lenient(name);
        if !profile.in_config && !profile.in_credentials {
            return Err(Error::NoSuchProfile {
                profile: name.to_string(),
                config: config_path().display().to_string(),
                credentials: credentials_path().display().to_string(),
            });
        }
        Ok(profile)
    }

    /// Loads what there is; missing files or sections give an empty profile.
    pub fn load_lenient(name: &str) -> Profile {
        let config = read_ini(&config_path());
        let credentials = read_ini(&credentials_path());
        let config_section = if name == "default" {
            config
                .get("default")
                .or_else(|| config.get("profile default"))
        } else {
            config.get(&format!("profile {name}"))
        };
        let get = |key: &str| -> Option<String> {
            config_section
                .and_then(|s| s.get(key))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        Profile {
            name: name.to_string(),
            mfa_serial: get("mfa_serial"),
            duration_seconds: get("duration_seconds").and_then(|v| v.parse().ok()),
            region: get("region"),
            role_arn: get("role_arn"),
            source_profile: get("source_profile"),
            role_session_name: get("role_session_name"),
            external_id: get("external_id"),
            mfa_process: get("mfa_process"),
            other_sign_in: OTHER_SIGN_IN.into_iter().find(|key| get(key).is_some()),
            in_config: config_section.is_some(),
            in_credentials: credentials.contains_key(name),
        }
    }

    /// The region for STS: environment, then the profile, then us-east-1
    /// (so no IMDS lookup ever delays a login).
    pub fn region_or_default(&self) -> String {
        ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty()))
            .or_else(|| self.region.clone())
            .unwrap_or_else(|| "us-east-1".to_string())
    }
}

type Sections = HashMap<String, HashMap<String, String>>;

/// A forgiving INI reader with the AWS files' rules: `[section]`, `key = value`,
/// `#`/`;` comments, indented lines belong to a nested block and are skipped.
fn read_ini(path: &std::path::Path) -> Sections {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse_ini(&text)
}

fn parse_ini(text: &str) -> Sections {
    let mut sections = Sections::new();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        if raw.starts_with([' ', '\t']) {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = header.split_whitespace().collect::<Vec<_>>().join(" ");
            sections.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            let value = value.trim();
            let value = value.split(" #").next().unwrap_or(value).trim();
            sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.to_string());
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_keys_and_skips_comments() {
        let ini = parse_ini(
            "# top\n[default]\nregion = eu-west-1\nmfa_serial=arn:x # device\n\n[profile prod]\n\
             role_arn = arn:role\n  nested = skipped\n; c\n",
        );
        assert_eq!(ini["default"]["region"], "eu-west-1");
        assert_eq!(ini["default"]["mfa_serial"], "arn:x");
        assert_eq!(ini["profile prod"]["role_arn"], "arn:role");
        assert!(!ini["profile prod"].contains_key("nested"));
    }
}
