//! A profile's long-term keys, the ones traded for a session: from the
//! profile's static keys (config or credentials file, as aws-config's parser
//! merges them) or its `credential_process`, which runs as every child
//! process does (own process group, pipes drained, hard deadline). Never
//! from the environment, where the session awsesh exported would win.
//!
//! Keys that already are a session (a `SessionToken` from the process) are
//! not awsesh's to trade: the profile is passed through as typed.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::aws::profile::Profile;
use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;

/// How long a `credential_process` may take unless
/// `AWSESH_CREDENTIAL_PROCESS_TIMEOUT` says otherwise: long enough for a
/// password manager to ask for its own unlock.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// Its output is a small JSON document.
const MAX_OUTPUT: usize = 64 * 1024;

#[derive(Clone)]
pub struct LongTermKeys {
    pub access_key_id: String,
    secret_access_key: Secret,
}

impl LongTermKeys {
    pub fn new(access_key_id: String, secret_access_key: Secret) -> LongTermKeys {
        LongTermKeys {
            access_key_id,
            secret_access_key,
        }
    }

    /// The keys as the SDK signs with them.
    pub fn credentials(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.expose().to_string(),
            None,
            None,
            "awsesh-long-term",
        )
    }
}

/// The profile's long-term keys, loaded once per process: a refresh looks at
/// them before it asks for a code, and uses them after.
pub fn load(profile: &Profile) -> Result<LongTermKeys> {
    static LOADED: Mutex<Vec<(String, LongTermKeys)>> = Mutex::new(Vec::new());
    let cached = |loaded: &Vec<(String, LongTermKeys)>| {
        loaded
            .iter()
            .find(|(name, _)| *name == profile.name)
            .map(|(_, keys)| keys.clone())
    };
    if let Some(keys) = LOADED.lock().ok().and_then(|l| cached(&l)) {
        return Ok(keys);
    }
    let keys = load_now(profile)?;
    if let Ok(mut loaded) = LOADED.lock() {
        loaded.push((profile.name.clone(), keys.clone()));
    }
    Ok(keys)
}

fn load_now(profile: &Profile) -> Result<LongTermKeys> {
    // Keys kept in the OS keyring (`awsesh keys add`) come first.
    if let Some((access_key_id, secret)) = crate::keys::lookup(&profile.name)? {
        return Ok(LongTermKeys::new(access_key_id, secret));
    }
    if profile.has_static_keys {
        return static_keys(profile);
    }
    if returns_awsesh_session(profile) {
        return Err(session_keys(profile));
    }
    if let Some(command) = &profile.credential_process {
        return from_process(profile, command);
    }
    Err(no_keys(
        profile,
        "neither `aws_access_key_id` nor `credential_process` is set",
    ))
}

fn no_keys(profile: &Profile, detail: &str) -> Error {
    Error::NoLongTermKeys {
        profile: crate::sys::text::printable(&profile.name),
        detail: detail.to_string(),
    }
}

/// Keys that already are a session belong to whoever issued them.
fn session_keys(profile: &Profile) -> Error {
    Error::NotForAwsesh {
        profile: crate::sys::text::printable(&profile.name),
        key: "credential_process",
    }
}

fn static_keys(profile: &Profile) -> Result<LongTermKeys> {
    let id = profile.get("aws_access_key_id").unwrap_or_default();
    let Some(secret) = profile.get("aws_secret_access_key") else {
        return Err(no_keys(
            profile,
            "`aws_access_key_id` is set but `aws_secret_access_key` is not",
        ));
    };
    checked(profile, id, Secret::new(secret), "aws_access_key_id")
}

/// The id goes into messages and signatures, the secret into signatures:
/// both must look like keys.
fn checked(profile: &Profile, id: String, secret: Secret, source: &str) -> Result<LongTermKeys> {
    let plausible_id = (16..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !plausible_id {
        return Err(no_keys(
            profile,
            &format!(
                "the access key id from `{source}` is not 16 to 128 capital letters and digits"
            ),
        ));
    }
    let s = secret.expose();
    if s.is_empty() || s.len() > 1024 || s.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(no_keys(
            profile,
            &format!("the secret access key from `{source}` is empty or malformed"),
        ));
    }
    Ok(LongTermKeys::new(id, secret))
}

/// Whether the profile's keys are known, without running anything, to be
/// awsesh's own session (`credential_process = awsesh credential-process …`).
pub fn returns_awsesh_session(profile: &Profile) -> bool {
    profile.returns_awsesh_session()
}

fn process_timeout() -> Duration {
    std::env::var("AWSESH_CREDENTIAL_PROCESS_TIMEOUT")
        .ok()
        .and_then(|t| crate::sys::duration::parse(&t).ok())
        .filter(|secs| *secs > 0)
        .map_or(PROCESS_TIMEOUT, Duration::from_secs)
}

/// Runs the profile's `credential_process` through `/bin/sh -c`, as the Rust
/// SDK does. Its command line is never shown: it may hold a token.
fn from_process(profile: &Profile, command: &str) -> Result<LongTermKeys> {
    let name = crate::sys::text::printable(&profile.name);
    let fail = |detail: String| Error::ProcessFailed {
        profile: name.clone(),
        key: "credential_process",
        detail,
    };
    let limits = crate::sys::child::Limits {
        deadline: process_timeout(),
        max_output: MAX_OUTPUT,
    };
    let stdout = crate::sys::child::run_config_command(
        command,
        &limits,
        "AWSESH_CREDENTIAL_PROCESS_TIMEOUT",
        &crate::sys::cancel::requested,
    )
    .map_err(|e| match e {
        crate::sys::child::ConfigCommandError::Cancelled => Error::Cancelled,
        crate::sys::child::ConfigCommandError::Failed(detail) => fail(detail),
    })?;
    let bad_output = || {
        fail("printed something that is not the credential_process JSON (Version 1, AccessKeyId, SecretAccessKey)".into())
    };
    let json: Value = serde_json::from_slice(&stdout).map_err(|_| bad_output())?;
    if json.get("Version").and_then(Value::as_u64) != Some(1) {
        return Err(bad_output());
    }
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_string);
    if text("SessionToken").is_some_and(|t| !t.is_empty()) {
        return Err(session_keys(profile));
    }
    let (Some(id), Some(secret)) = (text("AccessKeyId"), text("SecretAccessKey")) else {
        return Err(bad_output());
    };
    checked(profile, id, Secret::new(secret), "credential_process")
}
