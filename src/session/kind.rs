//! The kinds of session awsesh starts, and which one a profile needs:
//! - an MFA session: GetSessionToken with the profile's long-term keys;
//! - a chained role: AssumeRole signed with the source profile's session
//!   (itself any kind), no code, at most 1 h;
//! - a role with the code: AssumeRole signed with the source profile's
//!   long-term keys, carrying the device and code (sessions over 1 h);
//! - IAM Identity Center role credentials and `aws login` credentials
//!   (started by `signin.rs`): no keys and no code, a token the SDK renews.
//!
//! A kind only describes; `refresh.rs` runs the protocol (lock, re-read,
//! failure sharing) the same way for every kind, and `start.rs` starts one.

use crate::aws::profile::{Profile, SsoSettings};
use crate::session::role::{Role, device_matches};
use crate::store::session::Session;
use crate::sys::error::{Error, Result};

pub const DEFAULT_DURATION_SECS: u64 = 43_200;

pub enum Kind {
    Mfa(MfaSession),
    ChainedRole { role: Role, source: Box<Kind> },
    RoleWithCode(Role),
    Sso(SsoSession),
    Login(LoginSession),
}

/// What role credentials last, for the margin check (the portal says the
/// real expiry; permission sets default to 1 h).
pub const SSO_DURATION_SECS: u64 = 3600;
/// `aws login` credentials last 15 minutes.
pub const LOGIN_DURATION_SECS: u64 = 900;

/// An IAM Identity Center profile.
pub struct SsoSession {
    pub profile: Profile,
    pub settings: SsoSettings,
}

/// An `aws login` profile.
pub struct LoginSession {
    pub profile: Profile,
    pub session_arn: String,
}

impl SsoSession {
    /// What the cached session records in place of an MFA device: the
    /// account, role and token it came from, so a changed profile is a miss.
    pub fn marker(&self) -> String {
        let s = &self.settings;
        format!(
            "sso:{}/{}@{}",
            s.account_id,
            s.role_name,
            s.session_name.as_deref().unwrap_or(&s.start_url)
        )
    }
}

impl LoginSession {
    pub fn marker(&self) -> String {
        format!("login:{}", self.session_arn)
    }
}

/// GetSessionToken for a profile with long-term keys.
pub struct MfaSession {
    pub profile: Profile,
    /// The device to use: the profile's `mfa_serial`, else the one a role
    /// profile on top names; None → discovered through IAM.
    pub device: Option<String>,
    /// The profile's `mfa_process`, else the role profile's.
    pub mfa_process: Option<String>,
    pub duration: u64,
}

impl Kind {
    /// What `profile` needs. `duration` is what the command asked for
    /// (`login --duration`), which only applies to the profile itself.
    pub fn for_profile(profile: Profile, duration: Option<u64>) -> Result<Kind> {
        Kind::build(profile, duration, None, 0)
    }

    fn build(
        profile: Profile,
        duration: Option<u64>,
        on_top: Option<&Profile>,
        depth: usize,
    ) -> Result<Kind> {
        if profile.role_arn.is_none() {
            if let Some(settings) = profile.sso.clone() {
                return Ok(Kind::Sso(SsoSession { profile, settings }));
            }
            if let Some(session_arn) = profile.login_session.clone() {
                return Ok(Kind::Login(LoginSession {
                    profile,
                    session_arn,
                }));
            }
        }
        if let Some(key) = profile.other_sign_in {
            return Err(Error::NotForAwsesh {
                profile: crate::sys::text::printable(&profile.name),
                key,
            });
        }
        if profile.role_arn.is_none() {
            let duration = match duration {
                Some(d) => d,
                None => match profile.duration_seconds {
                    Some(d) => crate::sys::duration::parse_session(&d.to_string())?,
                    None => DEFAULT_DURATION_SECS,
                },
            };
            let device = profile
                .mfa_serial
                .clone()
                .or_else(|| on_top.and_then(|p| p.mfa_serial.clone()));
            let mfa_process = profile
                .mfa_process
                .clone()
                .or_else(|| on_top.and_then(|p| p.mfa_process.clone()));
            return Ok(Kind::Mfa(MfaSession {
                profile,
                device,
                mfa_process,
                duration,
            }));
        }
        let role = Role::from_profile(profile, duration, depth)?;
        if !role.chained {
            return Ok(Kind::RoleWithCode(role));
        }
        let source = Kind::build(role.source.clone(), None, Some(&role.profile), depth + 1)?;
        Ok(Kind::ChainedRole {
            role,
            source: Box::new(source),
        })
    }

    /// Whose long-term keys start this kind (a chained role: its source's).
    pub fn keys_profile(&self) -> &Profile {
        match self {
            Kind::Mfa(m) => &m.profile,
            Kind::RoleWithCode(role) => &role.source,
            Kind::ChainedRole { source, .. } => source.keys_profile(),
            Kind::Sso(s) => &s.profile,
            Kind::Login(l) => &l.profile,
        }
    }

    /// The profile whose cache entry and lock this kind uses.
    pub fn profile(&self) -> &Profile {
        match self {
            Kind::Mfa(m) => &m.profile,
            Kind::ChainedRole { role, .. } | Kind::RoleWithCode(role) => &role.profile,
            Kind::Sso(s) => &s.profile,
            Kind::Login(l) => &l.profile,
        }
    }

    pub fn duration(&self) -> u64 {
        match self {
            Kind::Mfa(m) => m.duration,
            Kind::ChainedRole { role, .. } | Kind::RoleWithCode(role) => role.duration,
            Kind::Sso(_) => SSO_DURATION_SECS,
            Kind::Login(_) => LOGIN_DURATION_SECS,
        }
    }

    /// A cached session of this kind, with the expected device and role.
    pub fn matches(&self, session: &Session) -> bool {
        match self {
            Kind::Mfa(m) => {
                session.role_arn.is_none() && device_matches(session, m.device.as_deref())
            }
            Kind::ChainedRole { role, .. } | Kind::RoleWithCode(role) => role.matches(session),
            Kind::Sso(s) => session.role_arn.is_none() && session.mfa_serial == s.marker(),
            Kind::Login(l) => session.role_arn.is_none() && session.mfa_serial == l.marker(),
        }
    }

    /// The `mfa_process` that would give the code this kind needs, if any.
    pub fn mfa_process(&self) -> Option<&str> {
        match self {
            Kind::Mfa(m) => m.mfa_process.as_deref(),
            Kind::RoleWithCode(role) => role.process(),
            Kind::ChainedRole { source, .. } => source.mfa_process(),
            Kind::Sso(_) | Kind::Login(_) => None,
        }
    }

    /// The session in this kind's chain whose renewal needs an MFA code:
    /// itself, or for a chained role its source's (a chained role itself is
    /// renewed from that session without a code). None for sign-ins.
    pub fn needing_code(&self) -> Option<&Kind> {
        match self {
            Kind::Mfa(_) | Kind::RoleWithCode(_) => Some(self),
            Kind::ChainedRole { source, .. } => source.needing_code(),
            Kind::Sso(_) | Kind::Login(_) => None,
        }
    }

    /// Whether starting this kind needs a code, given the sessions cached
    /// now: a chained role needs one only when its source does.
    pub fn needs_code(&self, fresh: &dyn Fn(&Kind) -> bool) -> bool {
        match self {
            Kind::Mfa(_) | Kind::RoleWithCode(_) => true,
            Kind::ChainedRole { source, .. } => !fresh(source) && source.needs_code(fresh),
            Kind::Sso(_) | Kind::Login(_) => false,
        }
    }
}
