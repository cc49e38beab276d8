//! The refresh protocol (DESIGN §6), the one place that decides whether to
//! reuse a cached session or prompt for a new one:
//! 1. fresh cache → use it, no lock;
//! 2. choose the code source (no terminal → fail now, before any lock);
//! 3. lock; if another process holds it, say whom we wait for;
//! 4. re-read under the lock — the holder may have refreshed for us — and fail
//!    fast if its prompt failed while we waited;
//! 5. get a code, call STS, save atomically; a failure is recorded for the
//!    waiters and never touches the cached session.

use std::io::Write;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::mfa::{self, CodeSource};
use crate::profile::Profile;
use crate::store::Store;
use crate::store::session::Session;
use crate::sts;

pub const DEFAULT_DURATION_SECS: u64 = 43_200;
pub const DEFAULT_MARGIN_SECS: u64 = 300;

/// Seconds before expiry at which a session counts as stale:
/// `AWSESH_REFRESH_MARGIN` (e.g. `10m` or `600`), default 5 minutes.
pub fn margin_secs() -> u64 {
    std::env::var("AWSESH_REFRESH_MARGIN")
        .ok()
        .and_then(|m| crate::duration::parse(&m).ok())
        .unwrap_or(DEFAULT_MARGIN_SECS)
}

pub struct Request<'a> {
    pub profile: &'a str,
    pub token_code: Option<&'a str>,
    /// Session length in seconds; None → profile's `duration_seconds` or 12 h.
    pub duration_secs: Option<u64>,
    /// Start a new session even if the cached one is fresh.
    pub force: bool,
}

/// Whether a cached session can stand for this profile as configured now.
fn usable(session: &Session, profile: &Profile, now: OffsetDateTime, margin: u64) -> bool {
    let same_device = profile
        .mfa_serial
        .as_deref()
        .is_none_or(|d| d == session.mfa_serial);
    same_device && session.is_fresh(now, margin)
}

pub fn ensure(store: &Store, req: &Request) -> Result<Session> {
    let profile = Profile::load(req.profile)?;
    let margin = margin_secs();
    let seen = store.load(req.profile)?;
    if !req.force
        && let Some(session) = &seen
        && usable(session, &profile, OffsetDateTime::now_utc(), margin)
    {
        return Ok(session.clone());
    }

    let device = profile
        .mfa_serial
        .clone()
        .ok_or_else(|| Error::NoMfaSerial {
            profile: req.profile.to_string(),
            config: crate::profile::config_path().display().to_string(),
        })?;
    let duration = match req.duration_secs {
        Some(d) => d,
        None => match profile.duration_seconds {
            Some(d) => crate::duration::parse_session(&d.to_string())?,
            None => DEFAULT_DURATION_SECS,
        },
    };
    let mut source = CodeSource::choose(req.token_code, profile.mfa_process.as_deref())?;

    let wait_started = OffsetDateTime::now_utc().unix_timestamp();
    let mut waited = false;
    let _lock = crate::store::lock::acquire(&store.lock_path(req.profile)?, |holder| {
        waited = true;
        let message = format!(
            "awsesh: waiting for another terminal to finish the MFA prompt for profile {} ({holder}); Ctrl-C to stop waiting\n",
            mfa::printable(req.profile)
        );
        match source.terminal() {
            Some(tty) => {
                let _ = tty.write_all(message.as_bytes());
            }
            None => eprint!("{message}"),
        }
    })?;

    if waited {
        if let Some(reason) = store.failure_since(req.profile, wait_started)? {
            return Err(Error::PeerFailed(reason));
        }
        let current = store.load(req.profile)?;
        if let Some(session) = current {
            let replaced = seen.as_ref().is_none_or(|old| {
                old.credentials.access_key_id != session.credentials.access_key_id
                    || old.expiration != session.expiration
                    || old.credentials.session_token != session.credentials.session_token
            });
            // Another process just did what we were about to do.
            if replaced && usable(&session, &profile, OffsetDateTime::now_utc(), margin) {
                return Ok(session);
            }
        }
    } else if !req.force
        && let Some(session) = store.load(req.profile)?
        && usable(&session, &profile, OffsetDateTime::now_utc(), margin)
    {
        return Ok(session);
    }

    let result = start_session(store, &profile, &device, duration, &mut source);
    match &result {
        Ok(_) => store.clear_failure(req.profile)?,
        Err(
            e @ (Error::Cancelled
            | Error::CodeRejected { .. }
            | Error::BadCodeFormat
            | Error::CodeReused),
        ) => {
            store.record_failure(req.profile, &e.to_string())?;
        }
        Err(_) => {}
    }
    result
}

fn start_session(
    store: &Store,
    profile: &Profile,
    device: &str,
    duration: u64,
    source: &mut CodeSource,
) -> Result<Session> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let region = profile.region_or_default();
    let endpoint = sts::endpoint_hint(&region);
    // Keys first: a profile without keys should fail before asking for a code.
    let keys = runtime.block_on(sts::load_long_term(&profile.name))?;
    let code = source.get(device, &profile.name)?;
    mfa::check_not_reused(store, device, &code)?;
    let client = runtime.block_on(sts::sts_client(&profile.name, region, &keys));
    let issued = runtime.block_on(sts::get_session_token(
        &client, device, &code, duration, &endpoint,
    ));
    mfa::remember_used(store, device, &code);
    let issued = issued?;
    let session = Session {
        profile: profile.name.clone(),
        mfa_serial: device.to_string(),
        source_access_key_id: keys.access_key_id.clone(),
        credentials: issued.credentials,
        expiration: issued.expiration,
    };
    store.save(&session)?;
    Ok(session)
}
