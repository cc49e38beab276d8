//! Role profiles (`role_arn` + `source_profile`): credentials by AssumeRole,
//! cached under the role profile's own key with the same lock rules.
//! Up to 1 h they are assumed with the source profile's MFA session, itself
//! obtained by the refresh protocol (lock order: role, then source), so one
//! code serves every role of that source while its session lives. Above 1 h
//! (role chaining's cap) AssumeRole carries the code itself.

use crate::error::{Error, Result};
use crate::mfa::CodeSource;
use crate::profile::Profile;
use crate::refresh::{
    CodeCall, MfaRequest, Request, device_matches, ensure_mfa, margin_secs, now, runtime,
    start_with_code, under_lock,
};
use crate::store::Store;
use crate::store::session::Session;
use crate::sts;

/// Longest role session that role chaining allows.
pub const CHAINED_ROLE_MAX_SECS: u64 = 3_600;
/// AssumeRole's bounds for DurationSeconds.
const ROLE_DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;
/// A role profile may name another role profile as its source; this deep.
const MAX_ROLE_DEPTH: usize = 5;

/// A role profile's settings, checked.
struct Role<'a> {
    profile: &'a Profile,
    source: Profile,
    role_arn: &'a str,
    session_name: String,
    /// Assumed with the source profile's session (≤ 1 h) rather than a code.
    chained: bool,
}

impl Role<'_> {
    /// The device the session is made with: a chained role uses the source
    /// session's device (the source profile's own first, so that session is
    /// the same one `awsesh login --profile SOURCE` keeps); a direct one the
    /// role profile's first, as the AWS CLI does.
    fn expected_device(&self) -> Option<&str> {
        let role = self.profile.mfa_serial.as_deref();
        let source = self.source.mfa_serial.as_deref();
        if self.chained {
            source.or(role)
        } else {
            role.or(source)
        }
    }

    fn usable(&self, session: &Session, margin: u64) -> bool {
        session.role_arn.as_deref() == Some(self.role_arn)
            && device_matches(session, self.expected_device())
            && session.is_fresh(now(), margin)
    }

    fn process(&self) -> Option<&str> {
        self.profile
            .mfa_process
            .as_deref()
            .or(self.source.mfa_process.as_deref())
    }

    /// Environment first, then the role profile's region, then the source's.
    fn region(&self) -> String {
        if self.profile.region.is_some() {
            self.profile.region_or_default()
        } else {
            self.source.region_or_default()
        }
    }
}

fn role_config_error(profile: &Profile, problem: String) -> Error {
    Error::RoleConfig {
        profile: profile.name.clone(),
        problem,
        section: crate::discovery::section_of(&profile.name),
        config: crate::profile::config_path().display().to_string(),
    }
}

/// `role_session_name` as configured, or `awsesh-<user>`; AWS allows 2–64 of
/// `[\w+=,.@-]`.
fn session_name(profile: &Profile) -> Result<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if let Some(name) = &profile.role_session_name {
        if (2..=64).contains(&name.len()) && name.chars().all(allowed) {
            return Ok(name.clone());
        }
        return Err(role_config_error(
            profile,
            "role_session_name must be 2 to 64 letters, digits or `_+=,.@-`".into(),
        ));
    }
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        // SAFETY: getuid cannot fail.
        .unwrap_or_else(|| unsafe { libc::getuid() }.to_string());
    let user: String = user
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .collect();
    Ok(format!("awsesh-{user}").chars().take(64).collect())
}

pub(crate) fn ensure_role(
    store: &Store,
    req: &Request,
    profile: &Profile,
    depth: usize,
) -> Result<Session> {
    let role_arn = profile.role_arn.as_deref().unwrap_or_default();
    let Some(source_name) = profile.source_profile.as_deref() else {
        return Err(role_config_error(
            profile,
            "`role_arn` needs a `source_profile` (the profile whose long-term keys assume the role)".into(),
        ));
    };
    if depth >= MAX_ROLE_DEPTH || source_name == profile.name {
        return Err(role_config_error(
            profile,
            "its `source_profile` chain loops or is deeper than 5".into(),
        ));
    }
    let duration = req
        .duration_secs
        .or(profile.duration_seconds)
        .unwrap_or(CHAINED_ROLE_MAX_SECS);
    if !ROLE_DURATION.contains(&duration) {
        return Err(role_config_error(
            profile,
            format!(
                "a role session of {duration} s is outside AssumeRole's 900 to 43200 s (`duration_seconds`)"
            ),
        ));
    }
    let role = Role {
        profile,
        source: Profile::load(source_name)?,
        role_arn,
        session_name: session_name(profile)?,
        chained: duration <= CHAINED_ROLE_MAX_SECS,
    };
    let margin = req.margin_secs.unwrap_or_else(margin_secs);
    let seen = store.load(&profile.name)?;
    if !req.force
        && let Some(session) = &seen
        && role.usable(session, margin)
    {
        return Ok(session.clone());
    }
    let usable = |s: &Session| role.usable(s, margin);

    if !role.chained {
        // Role chaining caps at 1 h: assume the role with the code itself.
        if role.source.role_arn.is_some() {
            return Err(role_config_error(
                profile,
                format!(
                    "a role session of {duration} s needs long-term keys, but source profile `{source_name}` is itself a role and role chaining caps sessions at 3600 s (`duration_seconds`)"
                ),
            ));
        }
        let mut source = Some(CodeSource::choose(
            req.token_code,
            role.process(),
            req.terminal,
        )?);
        return under_lock(
            store,
            &profile.name,
            seen.as_ref(),
            req.force,
            &usable,
            &mut source,
            |source| assume_with_code(store, &role, duration, source),
        );
    }

    let source_req = MfaRequest {
        profile: &role.source,
        token_code: req.token_code,
        duration_secs: None,
        force: false,
        terminal: req.terminal,
        margin,
        device_hint: profile.mfa_serial.as_deref(),
        process_hint: profile.mfa_process.as_deref(),
    };
    // No terminal and no valid source session: fail now, before any lock.
    let mut source = if role.source.role_arn.is_some()
        || store
            .load(source_name)?
            .is_some_and(|s| source_req.usable(&s, margin))
    {
        None
    } else {
        Some(source_req.code_source()?)
    };
    under_lock(
        store,
        &profile.name,
        seen.as_ref(),
        req.force,
        &usable,
        &mut source,
        |source| {
            let source_session = if role.source.role_arn.is_some() {
                let nested = Request {
                    profile: source_name,
                    duration_secs: None,
                    force: false,
                    ..*req
                };
                ensure_role(store, &nested, &role.source, depth + 1)?
            } else {
                ensure_mfa(store, &source_req, source.take())?
            };
            assume_chained(store, &role, &source_session, duration)
        },
    )
}

/// AssumeRole with the source profile's session: no code, at most 1 h.
fn assume_chained(store: &Store, role: &Role, source: &Session, duration: u64) -> Result<Session> {
    let runtime = runtime()?;
    let region = role.region();
    let endpoint = sts::endpoint_hint(&region);
    let client = runtime.block_on(sts::sts_client_for_session(
        &role.profile.name,
        region,
        source,
    ));
    let issued = runtime
        .block_on(sts::assume_role(
            &client,
            &sts::RoleRequest {
                role_arn: role.role_arn,
                session_name: &role.session_name,
                external_id: role.profile.external_id.as_deref(),
                duration_secs: duration.min(CHAINED_ROLE_MAX_SECS),
                mfa: None,
            },
            &endpoint,
        ))
        .map_err(|e| match e {
            Error::Sts(detail) => Error::RoleRefused {
                profile: role.profile.name.clone(),
                role_arn: role.role_arn.to_string(),
                source_profile: role.source.name.clone(),
                detail,
            },
            other => other,
        })?;
    let session = Session {
        profile: role.profile.name.clone(),
        mfa_serial: source.mfa_serial.clone(),
        source_access_key_id: source.credentials.access_key_id.clone(),
        credentials: issued.credentials,
        expiration: issued.expiration,
        role_arn: Some(role.role_arn.to_string()),
    };
    store.save(&session)?;
    Ok(session)
}

/// AssumeRole with the source profile's long-term keys, SerialNumber and
/// TokenCode: for role sessions longer than chaining allows.
fn assume_with_code(
    store: &Store,
    role: &Role,
    duration: u64,
    source: &mut Option<CodeSource>,
) -> Result<Session> {
    let call = CodeCall {
        profile: role.profile,
        keys_profile: &role.source,
        expected_device: role.expected_device(),
        region: role.region(),
        role_arn: Some(role.role_arn),
    };
    start_with_code(
        store,
        &call,
        source,
        async |client, device, code, endpoint| {
            let request = sts::RoleRequest {
                role_arn: role.role_arn,
                session_name: &role.session_name,
                external_id: role.profile.external_id.as_deref(),
                duration_secs: duration,
                mfa: Some((device, code)),
            };
            sts::assume_role(client, &request, endpoint).await
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        Profile {
            name: name.into(),
            ..Profile::default()
        }
    }

    #[test]
    fn default_session_names_are_safe() {
        let name = session_name(&profile("r")).unwrap();
        assert!(name.starts_with("awsesh-"), "{name}");
        assert!(name.len() <= 64);
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        );
    }

    #[test]
    fn configured_session_names_are_checked() {
        let mut p = profile("r");
        p.role_session_name = Some("alice@example.com".into());
        assert_eq!(session_name(&p).unwrap(), "alice@example.com");
        for bad in ["a", "has space", "x/y", &"x".repeat(65)] {
            p.role_session_name = Some(bad.to_string());
            let err = session_name(&p).unwrap_err().to_string();
            assert!(err.contains("role_session_name"), "{err}");
        }
    }
}
