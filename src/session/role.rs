//! Role profiles (`role_arn` + `source_profile`), checked: which role, which
//! source, how long, and whether the role is assumed with the source
//! profile's MFA session (role chaining, at most 1 h) or with the code
//! itself (longer sessions). What to start is decided in `kind.rs`; how it
//! is started in `start.rs`; the lock and re-read in `refresh.rs`.

use crate::aws::profile::Profile;
use crate::store::session::Session;
use crate::sys::error::{Error, Result};

/// Longest role session that role chaining allows.
pub const CHAINED_ROLE_MAX_SECS: u64 = 3_600;
/// AssumeRole's bounds for DurationSeconds.
const ROLE_DURATION: std::ops::RangeInclusive<u64> = 900..=43_200;
/// A role profile may name another role profile as its source; this deep.
pub const MAX_ROLE_DEPTH: usize = 5;

/// A role profile's settings, checked.
pub struct Role {
    pub profile: Profile,
    pub source: Profile,
    pub role_arn: String,
    pub session_name: String,
    pub duration: u64,
    /// Assumed with the source profile's session (≤ 1 h) rather than a code.
    pub chained: bool,
}

impl Role {
    /// Checks a role profile; `duration` is what the command asked for, if
    /// anything (`login --duration`).
    pub fn from_profile(profile: Profile, duration: Option<u64>, depth: usize) -> Result<Role> {
        let role_arn = profile.role_arn.clone().unwrap_or_default();
        let Some(source_name) = profile.source_profile.clone() else {
            return Err(config_error(
                &profile,
                "`role_arn` needs a `source_profile` (the profile whose long-term keys assume the role)",
            ));
        };
        if depth >= MAX_ROLE_DEPTH || source_name == profile.name {
            return Err(config_error(
                &profile,
                "its `source_profile` chain loops or is deeper than 5",
            ));
        }
        let duration = duration
            .or(profile.duration_seconds)
            .unwrap_or(CHAINED_ROLE_MAX_SECS);
        if !ROLE_DURATION.contains(&duration) {
            return Err(config_error(
                &profile,
                &format!(
                    "a role session of {duration} s is outside AssumeRole's 900 to 43200 s (`duration_seconds`)"
                ),
            ));
        }
        let source = Profile::load(&source_name)?;
        let chained = duration <= CHAINED_ROLE_MAX_SECS;
        if !chained && source.role_arn.is_some() {
            return Err(config_error(
                &profile,
                &format!(
                    "a role session of {duration} s needs long-term keys, but source profile `{}` is itself a role and role chaining caps sessions at 3600 s (`duration_seconds`)",
                    crate::sys::text::printable(&source_name)
                ),
            ));
        }
        Ok(Role {
            session_name: session_name(&profile)?,
            profile,
            source,
            role_arn,
            duration,
            chained,
        })
    }

    /// The device the session is made with: a chained role uses the source
    /// session's device (the source profile's own first, so that session is
    /// the same one `awsesh login --profile SOURCE` keeps); a direct one the
    /// role profile's first, as the AWS CLI does.
    pub fn expected_device(&self) -> Option<&str> {
        let role = self.profile.mfa_serial.as_deref();
        let source = self.source.mfa_serial.as_deref();
        if self.chained {
            source.or(role)
        } else {
            role.or(source)
        }
    }

    /// A cached session this role can hand out.
    pub fn matches(&self, session: &Session) -> bool {
        session.role_arn.as_deref() == Some(self.role_arn.as_str())
            && device_matches(session, self.expected_device())
    }

    /// The role profile's `mfa_process`, else its source's.
    pub fn process(&self) -> Option<&str> {
        self.profile
            .mfa_process
            .as_deref()
            .or(self.source.mfa_process.as_deref())
    }

    /// Environment first, then the role profile's region, then the source's,
    /// then the partition of the role's ARN.
    pub fn region(&self) -> String {
        if self.profile.region.is_some() || self.source.region.is_none() {
            self.profile.region_or_default()
        } else {
            self.source.region_or_default()
        }
    }

    /// The role profile's CA bundle, else its source's.
    pub fn ca_bundle(&self) -> Option<&str> {
        self.profile
            .ca_bundle
            .as_deref()
            .or(self.source.ca_bundle.as_deref())
    }
}

/// Whether a session was made with the device a profile names (any, when it
/// names none: the device was discovered).
pub fn device_matches(session: &Session, expected: Option<&str>) -> bool {
    expected.is_none_or(|d| d == session.mfa_serial)
}

fn config_error(profile: &Profile, problem: &str) -> Error {
    Error::RoleConfig {
        profile: crate::sys::text::printable(&profile.name),
        problem: problem.to_string(),
        section: crate::session::discovery::section_of(&crate::sys::text::printable(&profile.name)),
        config: crate::aws::profile::config_path().display().to_string(),
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
        return Err(config_error(
            profile,
            "role_session_name must be 2 to 64 letters, digits or `_+=,.@-`",
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
