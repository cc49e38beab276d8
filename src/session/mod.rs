//! Sessions: the refresh protocol (`refresh`, the one place that decides
//! "prompt or reuse"), the kinds of session a profile needs (`kind`, `role`),
//! starting one (`start`), the long-term keys it is made from (`longterm`)
//! finding the MFA device through IAM (`discovery`), and the IAM Identity
//! Center and `aws login` kinds (`signin`).

pub mod child_env;
pub mod discovery;
pub mod kind;
pub mod longterm;
pub mod refresh;
pub mod role;
pub mod signin;
pub mod start;

use crate::aws::profile::Profile;
use crate::sys::error::Error;
use crate::sys::text::printable;

/// The error for a profile without a valid session, saying what will work:
/// a profile that is not configured, or not awsesh's, says so; otherwise
/// `awsesh login --profile P`.
/// A session saved before sessions recorded their profile's region (by the
/// awsesh before an upgrade) gets it from the config, once per call until
/// its next refresh; a recorded one — empty when the profile has none — is
/// used as it is, so the hot path reads no config.
pub fn with_region(mut session: crate::store::session::Session) -> crate::store::session::Session {
    if session.region.is_none() {
        session.region = Some(
            Profile::load_lenient(&session.profile)
                .ok()
                .and_then(|p| p.region)
                .unwrap_or_default(),
        );
    }
    session
}

pub fn no_session_error(name: &str) -> Error {
    match Profile::load(name) {
        Err(e) => e,
        // Not awsesh's, itself or through a role's source: exit 3 on every
        // command, as `login` and `env --ensure` say it.
        Ok(profile) => match kind::Kind::for_profile(profile, None) {
            Err(e @ Error::NotForAwsesh { .. }) => e,
            _ => Error::NoSession(printable(name)),
        },
    }
}
