//! What awsesh needs from a profile, read with aws-config's own parser
//! (`aws_config::profile::load`): the config and credentials files merged as
//! every AWS SDK and the CLI merge them, `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` honoured, comments, continuation lines and
//! sub-properties as they define them. Long-term secrets are not kept here:
//! `keys.rs` loads them when a session is started.
//!
//! The refresh path, `status`, `doctor` and completion read the files; the
//! prompt hook, `env` and `prompt` never do. A config of thousands of
//! profiles is not parsed on every call: the profile index
//! (`profile_index.rs`) says whether the files parse and lists them, and one
//! profile is read from its own sections (`profile_sections.rs`).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use aws_config::profile::ProfileSet;

use crate::aws::profile_index;
use crate::aws::profile_sections::{self, FileKind};
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

/// Both files' text as read at the first use in this process: every answer
/// of one call comes from the same contents.
struct Files {
    config: String,
    credentials: String,
    /// The profile index's key for these contents.
    digest: String,
    index: Option<PathBuf>,
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let (config_path, credentials_path) = (config_path(), credentials_path());
        // As the SDK reads them: a missing or non-UTF-8 file is empty.
        let config = std::fs::read_to_string(&config_path).unwrap_or_default();
        let credentials = std::fs::read_to_string(&credentials_path).unwrap_or_default();
        Files {
            digest: profile_index::digest(&config, &credentials),
            index: profile_index::path_for(&config_path, &credentials_path),
            config,
            credentials,
        }
    })
}

fn config_error(detail: &str) -> Error {
    Error::Config(format!(
        "{detail}); fix {} or {} — `aws configure list` reads them the same way",
        config_path().display(),
        credentials_path().display()
    ))
}

/// Parses the whole files (once per process), and saves what the index
/// keeps of them. Only on a miss of the index: this is the cost that grows
/// with the number of profiles.
fn whole() -> Result<&'static [profile_index::Entry]> {
    static WHOLE: OnceLock<std::result::Result<Vec<profile_index::Entry>, String>> =
        OnceLock::new();
    let parsed = WHOLE.get_or_init(|| {
        let files = files();
        let set = parse(&files.config, &files.credentials).map_err(|detail| {
            // The files as paths, so the error names the file and line.
            match parse_paths() {
                Err(with_path) => with_path,
                Ok(()) => detail,
            }
        })?;
        let mut entries: Vec<profile_index::Entry> = set
            .profiles()
            .map(|name| index_entry(&Profile::from_set(name, &set)))
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(path) = &files.index {
            profile_index::save(path, &files.digest, &entries);
        }
        Ok(entries)
    });
    parsed
        .as_ref()
        .map(Vec::as_slice)
        .map_err(|detail| config_error(detail))
}

/// Whether the whole files parse, from the index when it is current.
fn check_whole() -> Result<()> {
    let files = files();
    if let Some(path) = &files.index
        && profile_index::is_current(path, &files.digest)
    {
        return Ok(());
    }
    whole().map(|_| ())
}

/// Every profile as the index keeps it, from the index when it is current.
fn entries() -> Result<Vec<profile_index::Entry>> {
    let files = files();
    if let Some(entries) = files
        .index
        .as_ref()
        .and_then(|path| profile_index::load(path, &files.digest))
    {
        return Ok(entries);
    }
    whole().map(<[_]>::to_vec)
}

fn index_entry(profile: &Profile) -> profile_index::Entry {
    profile_index::Entry {
        name: profile.name.clone(),
        role_arn: profile.role_arn.clone(),
        mfa_serial: profile.mfa_serial.clone(),
        other_sign_in: profile.other_sign_in.map(str::to_string),
        returns_awsesh_session: profile.returns_awsesh_session(),
        kept_sign_in: profile.sso.is_some() || profile.login_session.is_some(),
    }
}

/// The files as the SDKs read them, cut down to the sections that decide
/// `name` (see `profile_sections`), once the whole files are known to parse.
fn set_for(name: &str) -> Result<Arc<ProfileSet>> {
    static SETS: Mutex<Vec<(String, Arc<ProfileSet>)>> = Mutex::new(Vec::new());
    if let Some(set) = SETS
        .lock()
        .ok()
        .and_then(|sets| sets.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone()))
    {
        return Ok(set);
    }
    check_whole()?;
    let files = files();
    let set = Arc::new(
        parse(
            &profile_sections::for_profile(&files.config, name, FileKind::Config),
            &profile_sections::for_profile(&files.credentials, name, FileKind::Credentials),
        )
        .map_err(|detail| config_error(&detail))?,
    );
    if let Ok(mut sets) = SETS.lock() {
        sets.push((name.to_string(), set.clone()));
    }
    Ok(set)
}

/// The files the SDK's own loader reads for `name` (endpoint settings,
/// `[services …]`): the sections that decide that profile, as they are in
/// the files, so its answer is the one the whole files give.
pub fn sdk_files(name: &str) -> Result<aws_runtime::env_config::file::EnvConfigFiles> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    check_whole()?;
    let files = files();
    Ok(EnvConfigFiles::builder()
        .with_contents(
            EnvConfigFileKind::Config,
            profile_sections::for_profile(&files.config, name, FileKind::Config),
        )
        .with_contents(
            EnvConfigFileKind::Credentials,
            profile_sections::for_profile(&files.credentials, name, FileKind::Credentials),
        )
        .build())
}

/// aws-config's parser on these texts (credentials over config, as the SDKs
/// merge them), `[default]` read as the CLI reads it.
fn parse(config: &str, credentials: &str) -> std::result::Result<ProfileSet, String> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let config = default_section_as_the_cli_reads_it(config).unwrap_or_else(|| config.to_string());
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, config)
        .with_contents(EnvConfigFileKind::Credentials, credentials.to_string())
        .build();
    load(&files)
}

/// The parse error as the parser words it when it reads the files from
/// their paths (it then names the file).
fn parse_paths() -> std::result::Result<(), String> {
    load(&aws_runtime::env_config::file::EnvConfigFiles::default()).map(|_| ())
}

fn load(
    files: &aws_runtime::env_config::file::EnvConfigFiles,
) -> std::result::Result<ProfileSet, String> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let load = aws_config::profile::load(&fs, &env, files, Some(Cow::Borrowed("default")));
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
    let files = files();
    let mut names = match files
        .index
        .as_ref()
        .and_then(|path| profile_index::load_names(path, &files.digest))
    {
        Some(names) => names,
        None => whole()?.iter().map(|e| e.name.clone()).collect(),
    };
    names.retain(|name| offerable(name));
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

/// A configured profile as `status --all` lists it: what a parse of the
/// whole files says, kept in the profile index.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub role_arn: Option<String>,
    pub mfa_serial: Option<String>,
    pub other_sign_in: Option<&'static str>,
    /// See `Profile::returns_awsesh_session`.
    pub returns_awsesh_session: bool,
    /// IAM Identity Center or `aws login`: see `profile_index::Entry`.
    pub kept_sign_in: bool,
}

/// Every configured profile, sorted by name, with the same filter as `names`.
pub fn listed() -> Result<Vec<Listed>> {
    let to_listed = |e: profile_index::Entry| -> Option<Listed> {
        let other_sign_in = match e.other_sign_in.as_deref() {
            None => None,
            // A key this build does not know: not an index it wrote.
            Some(key) => Some(OTHER_SIGN_IN.into_iter().find(|k| *k == key)?),
        };
        Some(Listed {
            name: e.name,
            role_arn: e.role_arn,
            mfa_serial: e.mfa_serial,
            other_sign_in,
            returns_awsesh_session: e.returns_awsesh_session,
            kept_sign_in: e.kept_sign_in,
        })
    };
    let entries = entries()?;
    let mut listed: Vec<Listed> = match entries.into_iter().map(to_listed).collect() {
        Some(listed) => listed,
        None => whole()?.iter().cloned().filter_map(to_listed).collect(),
    };
    listed.retain(|p| offerable(&p.name));
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
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
        Ok(Profile::from_set(name, set_for(name)?.as_ref()))
    }

    /// The profile `name` of a parsed set (its `[sso-session]` sections too).
    fn from_set(name: &str, set: &ProfileSet) -> Profile {
        let section = set.get_profile(name);
        let get = |key: &str| -> Option<String> {
            section
                .and_then(|s| s.get(key))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let sso = sso_settings(set, &get);
        let login_session = get("login_session");
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
        }
    }

    /// Its keys are a session awsesh itself hands out: no static keys and
    /// `credential_process = awsesh credential-process …` (the README's
    /// recipe for SDKs), known without running it, which would ask for a
    /// code inside a child with a deadline.
    pub fn returns_awsesh_session(&self) -> bool {
        !self.has_static_keys
            && self
                .credential_process
                .as_deref()
                .is_some_and(runs_awsesh_credential_process)
    }

    /// A key of this profile that is not one of the fields above.
    pub fn get(&self, key: &str) -> Option<String> {
        set_for(&self.name)
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
fn sso_settings(set: &ProfileSet, get: &dyn Fn(&str) -> Option<String>) -> Option<SsoSettings> {
    let account_id = get("sso_account_id")?;
    let role_name = get("sso_role_name")?;
    let session_name = get("sso_session");
    let from_session = |key: &str| -> Option<String> {
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

fn runs_awsesh_credential_process(command: &str) -> bool {
    let words: Vec<&str> = command
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        let program = w.rsplit('/').next().unwrap_or(w);
        program == "awsesh"
            && words
                .get(i + 1..)
                .is_some_and(|rest| rest.contains(&"credential-process"))
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

    #[test]
    fn the_readme_recipe_is_recognised_without_running_it() {
        for yes in [
            "awsesh credential-process --profile default",
            "/usr/local/bin/awsesh credential-process",
            "'/opt/my tools/awsesh' credential-process -p x",
            "env FOO=1 awsesh credential-process",
        ] {
            assert!(runs_awsesh_credential_process(yes), "{yes}");
        }
        for no in [
            "aws-vault export --format=json x",
            "awsesh-like credential-process",
            "echo awsesh",
            "pass show aws | awsesh-fmt",
        ] {
            assert!(!runs_awsesh_credential_process(no), "{no}");
        }
    }

    /// Every profile of `config` + `credentials`: its settings from the
    /// sections `profile_sections` keeps are its settings from the whole
    /// files (the claim the partial reads rest on), for files as people
    /// write them.
    fn assert_partial_reads_equal_whole(config: &str, credentials: &str) {
        let keys = [
            "region",
            "mfa_serial",
            "role_arn",
            "x",
            "s3",
            "aws_access_key_id",
            "sso_session",
            "services",
            "credential_process",
        ];
        let whole = parse(config, credentials).unwrap();
        let mut names: Vec<&str> = whole.profiles().collect();
        names.extend(["absent", "a", "prod"]);
        for name in names {
            let partial = parse(
                &profile_sections::for_profile(config, name, FileKind::Config),
                &profile_sections::for_profile(credentials, name, FileKind::Credentials),
            )
            .unwrap();
            let (w, p) = (whole.get_profile(name), partial.get_profile(name));
            assert_eq!(w.is_some(), p.is_some(), "{name} in {config}");
            for key in keys {
                assert_eq!(
                    w.and_then(|s| s.get(key)),
                    p.and_then(|s| s.get(key)),
                    "{name}.{key} in {config:?} / {credentials:?}"
                );
            }
            for session in ["s", "prod"] {
                assert_eq!(
                    whole.sso_session(session).and_then(|s| s.get("sso_region")),
                    partial
                        .sso_session(session)
                        .and_then(|s| s.get("sso_region")),
                );
            }
        }
    }

    /// Two differently spelled headers of one profile (`[profile a]`,
    /// `[ profile  a ]`) are merged in the parser's hash-map order, which
    /// varies between runs even for the whole files: they set other keys here.
    #[test]
    fn partial_reads_give_the_whole_files_answer() {
        let config = "# generated\n\n[profile prod]\nregion = a\nx = 1\n[profile prod-eu] # eu\nregion = b\n\
            [default]\nregion = d1\n[profile a]\ns3 =\n  max_concurrent_requests = 2\nmfa_serial = m\n\
            [sso-session s]\nsso_region = r\n[profile sso]\nsso_session = s\n\
            [services prod]\ns3 =\n  endpoint_url = http://x\n[profile\tprod]\nx = 2\n[profile prod]\nrole_arn = arn:r\n\
            [profile default]\nregion = d2\n[default]\nregion = d3\n[prod]\nregion = ignored\n\
            [profile a.b]\nregion = c ; not a comment\n[ profile  a ]\nregion = spaced\n";
        let credentials = "[prod]\naws_access_key_id = AKIA1\nregion = c\n[profile prod]\nx = 3\n\
            [default]\naws_access_key_id = AKIA2\n[a]\nx = 4\n[prod]\nx = 5\n";
        assert_partial_reads_equal_whole(config, credentials);
        // `[default]` last: the CLI's reading of both default sections.
        assert_partial_reads_equal_whole(
            "[profile default]\nregion = a\n[profile b]\n[default] # x\nregion = b\n",
            "",
        );
        assert_partial_reads_equal_whole("", "[only]\nregion = a\n");
        assert_partial_reads_equal_whole("[profile a]\r\nregion = a\r\n[profile b]\r\n", "");
    }
}
