//! What awsesh needs from a profile, read with aws-config's own parser
//! (`aws_config::profile::load`): the config and credentials files merged as
//! every AWS SDK and the CLI merge them, `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` honoured, comments, continuation lines and
//! sub-properties as they define them. Long-term secrets are not kept here:
//! `keys.rs` loads them when a session is started.
//!
//! Only the refresh path, `doctor` and completion read the files; the prompt
//! hook, `env` and `status` never do.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::OnceLock;

use aws_config::profile::ProfileSet;

use crate::sys::error::{Error, Result};

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

/// `~/x` → `$HOME/x`, as the AWS tools expand paths from the environment.
pub fn expand_home(path: PathBuf) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home_dir().join(rest),
        Err(_) => path,
    }
}

/// Keys of profiles that sign in some other way than long-term keys plus an
/// MFA code: IAM Identity Center, an instance or container role, a web
/// identity, `aws login`, or keys that already are a session.
const OTHER_SIGN_IN: [&str; 6] = [
    "sso_session",
    "sso_start_url",
    "credential_source",
    "web_identity_token_file",
    "login_session",
    "aws_session_token",
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
    /// A CA bundle to trust instead of the system roots (`AWS_CA_BUNDLE` wins).
    pub ca_bundle: Option<String>,
    /// The command that prints this profile's long-term keys (a secret: it
    /// may hold a token; never shown).
    pub credential_process: Option<String>,
    /// Whether `aws_access_key_id` is set (the keys themselves are read when
    /// a session is started).
    pub has_static_keys: bool,
    /// The config key that makes this a profile signing in some other way:
    /// no long-term keys for awsesh to trade.
    pub other_sign_in: Option<&'static str>,
    /// The profile is in the config or the credentials file.
    pub exists: bool,
    /// IAM Identity Center role credentials (`sso_session` or the legacy
    /// `sso_start_url`, with `sso_account_id` and `sso_role_name`): a kind
    /// awsesh keeps itself (issue 22).
    pub sso: Option<SsoSettings>,
    /// `login_session` (`aws login`): a kind awsesh keeps itself.
    pub login_session: Option<String>,
}

/// What IAM Identity Center needs for one profile's role credentials.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SsoSettings {
    /// `sso_session` (the token cache is keyed by it); None for the legacy
    /// form, whose cache is keyed by the start URL and never refreshed.
    pub session_name: Option<String>,
    pub start_url: String,
    pub region: String,
    pub account_id: String,
    pub role_name: String,
}

/// The files as the SDKs read them, once per process.
fn profile_set() -> Result<&'static ProfileSet> {
    static SET: OnceLock<std::result::Result<ProfileSet, String>> = OnceLock::new();
    SET.get_or_init(load_set).as_ref().map_err(|detail| {
        Error::Config(format!(
            "{detail}); fix {} or {} — `aws configure list` reads them the same way",
            config_path().display(),
            credentials_path().display()
        ))
    })
}

fn load_set() -> std::result::Result<ProfileSet, String> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let config = std::fs::read_to_string(config_path()).unwrap_or_default();
    let files = match default_section_as_the_cli_reads_it(&config) {
        None => EnvConfigFiles::default(),
        // Same files, same order (credentials over config), one header changed.
        Some(config) => EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, config)
            .with_contents(
                EnvConfigFileKind::Credentials,
                std::fs::read_to_string(credentials_path()).unwrap_or_default(),
            )
            .build(),
    };
    let load = aws_config::profile::load(&fs, &env, &files, Some(Cow::Borrowed("default")));
    crate::sys::block_on::on_ready(load).map_err(|e| {
        // The parse error (file, line, what) is the source; its text spans lines.
        let detail = std::error::Error::source(&e)
            .map(ToString::to_string)
            .unwrap_or_else(|| e.to_string());
        crate::sys::text::printable(&detail.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// Whether a name can be offered as one shell word on one line.
fn offerable(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Every configured profile name, sorted, as the SDKs see them (a profile
/// only in the credentials file counts; `[sso-session x]` does not); names a
/// terminal or a shell word could not carry are left out. For completion and
/// `status --all`.
pub fn names() -> Result<Vec<String>> {
    let mut names: Vec<String> = profile_set()?
        .profiles()
        .filter(|name| offerable(name))
        .map(str::to_string)
        .collect();
    names.sort();
    Ok(names)
}

/// The configured profile a mistyped name most likely meant: the same name
/// in another case, else the closest one within a third of its length in
/// edits (at least one edit allowed), as clap suggests subcommands.
fn similar_name(typed: &str) -> Option<String> {
    let names = names().ok()?;
    if let Some(same) = names.iter().find(|n| n.eq_ignore_ascii_case(typed)) {
        return Some(same.clone());
    }
    let allowed = (typed.chars().count() / 3).max(1);
    names
        .into_iter()
        .map(|n| (strsim::damerau_levenshtein(typed, &n), n))
        .filter(|(distance, _)| *distance <= allowed)
        .min()
        .map(|(_, n)| n)
}

/// With both `[default]` and `[profile default]` in the config file, the AWS
/// CLI (botocore) takes whichever comes last, while the SDKs' parser always
/// takes `[profile default]`. Users check their files with the CLI, so when
/// `[default]` comes last the `[profile default]` headers are renamed to a
/// name the parser ignores; everything else is the parser's.
fn default_section_as_the_cli_reads_it(config: &str) -> Option<String> {
    let header = |line: &str| -> Option<Vec<String>> {
        let inside = line.strip_prefix('[')?.split(']').next()?;
        Some(inside.split_whitespace().map(str::to_string).collect())
    };
    let is_plain = |words: &[String]| matches!(words, [d] if d == "default");
    let is_prefixed =
        |words: &[String]| matches!(words, [p, d] if p == "profile" && d == "default");
    let defaults: Vec<bool> = config
        .lines()
        .filter_map(header)
        .filter(|w| is_plain(w) || is_prefixed(w))
        .map(|w| is_plain(&w))
        .collect();
    if defaults.last() != Some(&true) || !defaults.contains(&false) {
        return None;
    }
    let lines: Vec<String> = config
        .lines()
        .map(|line| match header(line) {
            Some(words) if is_prefixed(&words) => {
                "[profile default shadowed-by-a-later-default]".to_string()
            }
            _ => line.to_string(),
        })
        .collect();
    Some(lines.join("\n") + "\n")
}

impl Profile {
    /// Loads the profile's settings; a profile in neither file is an error.
    pub fn load(name: &str) -> Result<Profile> {
        let profile = Profile::load_lenient(name)?;
        if !profile.exists {
            return Err(Error::NoSuchProfile {
                profile: crate::sys::text::printable(name),
                config: config_path().display().to_string(),
                credentials: credentials_path().display().to_string(),
                similar: similar_name(name)
                    .map(|n| format!(" (did you mean `{}`?)", crate::sys::text::printable(&n)))
                    .unwrap_or_default(),
            });
        }
        Ok(profile)
    }

    /// Loads what there is; a profile in neither file has no settings.
    pub fn load_lenient(name: &str) -> Result<Profile> {
        let section = profile_set()?.get_profile(name);
        let get = |key: &str| -> Option<String> {
            section
                .and_then(|s| s.get(key))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let sso = sso_settings(&get);
        let login_session = get("login_session");
        Ok(Profile {
            name: name.to_string(),
            mfa_serial: get("mfa_serial"),
            duration_seconds: get("duration_seconds").and_then(|v| v.parse().ok()),
            region: get("region"),
            role_arn: get("role_arn"),
            source_profile: get("source_profile"),
            role_session_name: get("role_session_name"),
            external_id: get("external_id"),
            mfa_process: get("mfa_process"),
            ca_bundle: get("ca_bundle"),
            credential_process: get("credential_process"),
            has_static_keys: get("aws_access_key_id").is_some(),
            // The sign-ins awsesh keeps itself are not "other".
            other_sign_in: OTHER_SIGN_IN.into_iter().find(|key| {
                get(key).is_some()
                    && !(key.starts_with("sso_") && sso.is_some())
                    && !(*key == "login_session" && login_session.is_some())
            }),
            exists: section.is_some(),
            sso,
            login_session,
        })
    }

    /// A key of this profile that is not one of the fields above.
    pub fn get(&self, key: &str) -> Option<String> {
        profile_set()
            .ok()?
            .get_profile(&self.name)?
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The partition of the profile's account, from its `mfa_serial` or
    /// `role_arn` (`arn:PARTITION:…`).
    pub fn partition(&self) -> Option<crate::aws::partition::Partition> {
        [&self.mfa_serial, &self.role_arn]
            .into_iter()
            .flatten()
            .find_map(|arn| crate::aws::partition::of_arn(arn))
    }

    /// The region for STS: the environment, then the profile, then the
    /// partition's default region (`aws-cn` → a China region), so no IMDS
    /// lookup ever delays a login and no account signs for the wrong partition.
    pub fn region_or_default(&self) -> String {
        region_from_env()
            .or_else(|| self.region.clone())
            .unwrap_or_else(|| {
                self.partition()
                    .unwrap_or_default()
                    .default_region()
                    .to_string()
            })
    }
}

/// A profile's IAM Identity Center settings, complete, or None: with
/// `sso_session` the start URL and region come from `[sso-session NAME]`
/// (the profile's own values as a fallback, as the CLI reads them).
fn sso_settings(get: &dyn Fn(&str) -> Option<String>) -> Option<SsoSettings> {
    let account_id = get("sso_account_id")?;
    let role_name = get("sso_role_name")?;
    let session_name = get("sso_session");
    let from_session = |key: &str| -> Option<String> {
        let set = profile_set().ok()?;
        set.sso_session(session_name.as_deref()?)?
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Some(SsoSettings {
        start_url: from_session("sso_start_url").or_else(|| get("sso_start_url"))?,
        region: from_session("sso_region").or_else(|| get("sso_region"))?,
        session_name,
        account_id,
        role_name,
    })
}

/// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
pub fn region_from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_or_blanks_are_not_offered() {
        assert!(offerable("prod-eu_1.x@y:z/w%+"));
        for bad in ["", "a\nb", "a\u{1b}[31m", "a b"] {
            assert!(!offerable(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_later_plain_default_section_wins_as_in_the_aws_cli() {
        let later_plain = "[profile default]\nregion = a\n[default] # x\nregion = b\n";
        let renamed = default_section_as_the_cli_reads_it(later_plain).unwrap();
        assert!(
            renamed.starts_with("[profile default shadowed"),
            "{renamed}"
        );
        assert!(renamed.contains("[default] # x\nregion = b"));
        for unchanged in [
            "[default]\nregion = a\n[profile   default]\nregion = b\n",
            "[default]\nregion = a\n",
            "[profile default]\nregion = a\n",
            "[profile dev]\n[default]\n",
        ] {
            assert_eq!(
                default_section_as_the_cli_reads_it(unchanged),
                None,
                "{unchanged}"
            );
        }
    }
}
