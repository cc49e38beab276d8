//! The refresh protocol (DESIGN §6), the one place that decides whether to
//! reuse a cached session or prompt for a new one:
//! 1. fresh cache → use it, no lock;
//! 2. choose the code source (no terminal → fail now, before any lock);
//! 3. lock; if another process holds it, say whom we wait for;
//! 4. re-read under the lock — the holder may have refreshed for us — and fail
//!    fast if its prompt failed while we waited;
//! 5. get a code, call STS, save atomically; a failure is recorded for the
//!    waiters and never touches the cached session.
//!
//! Role profiles run the same steps under their own key: see `role.rs`.

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

/// `credential-process` and the credential endpoint hand credentials to SDKs
/// that refresh them early themselves (botocore from 15 minutes before
/// expiry): a session inside this window is renewed before it is served.
pub const SERVE_WINDOW_SECS: u64 = 900;

pub struct Request<'a> {
    pub profile: &'a str,
    pub token_code: Option<&'a str>,
    /// Session length in seconds; None → profile's `duration_seconds` or 12 h.
    pub duration_secs: Option<u64>,
    /// Start a new session even if the cached one is fresh.
    pub force: bool,
    /// Whether the MFA code may be asked for on the terminal. Without it only
    /// a given code or `mfa_process` can start a session.
    pub terminal: bool,
    /// Seconds before expiry at which a session is renewed; None → the
    /// configured margin (`AWSESH_REFRESH_MARGIN`, default 5 minutes).
    pub margin_secs: Option<u64>,
    /// When no code can be had (no terminal, no `mfa_process`), hand out the
    /// cached session if it is still valid, though inside the margin.
    pub keep_valid: bool,
}

impl<'a> Request<'a> {
    /// Reuse a fresh session, else start one of the configured length.
    pub fn reuse(profile: &'a str, token_code: Option<&'a str>) -> Self {
        Request {
            profile,
            token_code,
            duration_secs: None,
            force: false,
            terminal: true,
            margin_secs: None,
            keep_valid: false,
        }
    }

    /// For a program that refreshes on its own schedule (`credential_process`,
    /// the credential endpoint): renewed inside the serving window when that
    /// needs no code or a code can be had, else the still-valid session.
    pub fn serve(profile: &'a str, terminal: bool) -> Self {
        Request {
            margin_secs: Some(margin_secs().max(SERVE_WINDOW_SECS)),
            keep_valid: true,
            terminal,
            ..Request::reuse(profile, None)
        }
    }

    fn margin(&self) -> u64 {
        self.margin_secs.unwrap_or_else(margin_secs)
    }
}

pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Whether a session was made with the device this profile names (any, when
/// the profile names none: the device was discovered).
pub(crate) fn device_matches(session: &Session, expected: Option<&str>) -> bool {
    expected.is_none_or(|d| d == session.mfa_serial)
}

pub fn ensure(store: &Store, req: &Request) -> Result<Session> {
    let profile = Profile::load(req.profile)?;
    if let Some(key) = profile.other_sign_in {
        return Err(Error::NotForAwsesh {
            profile: req.profile.to_string(),
            key,
        });
    }
    match ensure_profile(store, req, &profile, 0) {
        Err(Error::NoTerminal) if req.keep_valid => store
            .load(req.profile)?
            .filter(|s| s.seconds_left(now()) > 0)
            .ok_or(Error::NoTerminal),
        result => result,
    }
}

pub(crate) fn ensure_profile(
    store: &Store,
    req: &Request,
    profile: &Profile,
    depth: usize,
) -> Result<Session> {
    if profile.role_arn.is_some() {
        return crate::role::ensure_role(store, req, profile, depth);
    }
    ensure_mfa(
        store,
        &MfaRequest {
            profile,
            token_code: req.token_code,
            duration_secs: req.duration_secs,
            force: req.force,
            terminal: req.terminal,
            margin: req.margin(),
            device_hint: None,
            process_hint: None,
        },
        None,
    )
}

/// An MFA session (GetSessionToken) for a profile with long-term keys.
pub(crate) struct MfaRequest<'a> {
    pub(crate) profile: &'a Profile,
    pub(crate) token_code: Option<&'a str>,
    pub(crate) duration_secs: Option<u64>,
    pub(crate) force: bool,
    pub(crate) terminal: bool,
    pub(crate) margin: u64,
    /// A role profile's `mfa_serial` / `mfa_process`, used when this (its
    /// source) profile names none.
    pub(crate) device_hint: Option<&'a str>,
    pub(crate) process_hint: Option<&'a str>,
}

impl MfaRequest<'_> {
    fn expected_device(&self) -> Option<&str> {
        self.profile.mfa_serial.as_deref().or(self.device_hint)
    }

    pub(crate) fn usable(&self, session: &Session, margin: u64) -> bool {
        session.role_arn.is_none()
            && device_matches(session, self.expected_device())
            && session.is_fresh(now(), margin)
    }

    pub(crate) fn code_source(&self) -> Result<CodeSource> {
        let process = self.profile.mfa_process.as_deref().or(self.process_hint);
        CodeSource::choose(self.token_code, process, self.terminal)
    }
}

pub(crate) fn ensure_mfa(
    store: &Store,
    req: &MfaRequest,
    source: Option<CodeSource>,
) -> Result<Session> {
    let name = req.profile.name.as_str();
    let margin = req.margin;
    let seen = store.load(name)?;
    if !req.force
        && let Some(session) = &seen
        && req.usable(session, margin)
    {
        return Ok(session.clone());
    }
    let duration = match req.duration_secs {
        Some(d) => d,
        None => match req.profile.duration_seconds {
            Some(d) => crate::duration::parse_session(&d.to_string())?,
            None => DEFAULT_DURATION_SECS,
        },
    };
    let mut source = Some(match source {
        Some(source) => source,
        None => req.code_source()?,
    });
    under_lock(
        store,
        name,
        seen.as_ref(),
        req.force,
        &|s| req.usable(s, margin),
        &mut source,
        |source| start_session(store, req.profile, req.expected_device(), duration, source),
    )
}

/// Steps 3–5 of the protocol for one cache key: lock (saying whom we wait
/// for), re-read, fail fast on a peer's failed prompt, else `work`, and record
/// a prompt failure for the waiters.
pub(crate) fn under_lock(
    store: &Store,
    name: &str,
    seen: Option<&Session>,
    force: bool,
    usable: &dyn Fn(&Session) -> bool,
    source: &mut Option<CodeSource>,
    work: impl FnOnce(&mut Option<CodeSource>) -> Result<Session>,
) -> Result<Session> {
    let wait_started = now().unix_timestamp();
    let mut waited = false;
    let _lock = crate::store::lock::acquire(&store.lock_path(name)?, |holder| {
        waited = true;
        let message = format!(
            "awsesh: waiting for another terminal to finish the MFA prompt for profile {} ({holder}); Ctrl-C to stop waiting\n",
            mfa::printable(name)
        );
        match source.as_mut().and_then(CodeSource::terminal) {
            Some(tty) => {
                let _ = tty.write_all(message.as_bytes());
            }
            None => eprint!("{message}"),
        }
    })?;

    if waited {
        if let Some(reason) = store.failure_since(name, wait_started)? {
            return Err(Error::PeerFailed(reason));
        }
        if let Some(session) = store.load(name)? {
            let replaced = seen.is_none_or(|old| {
                old.credentials.access_key_id != session.credentials.access_key_id
                    || old.expiration != session.expiration
                    || old.credentials.session_token != session.credentials.session_token
            });
            // Another process just did what we were about to do.
            if replaced && usable(&session) {
                return Ok(session);
            }
        }
    } else if !force
        && let Some(session) = store.load(name)?
        && usable(&session)
    {
        return Ok(session);
    }

    let result = work(source);
    match &result {
        Ok(_) => store.clear_failure(name)?,
        Err(
            e @ (Error::Cancelled
            | Error::CodeRejected { .. }
            | Error::BadCodeFormat
            | Error::CodeReused),
        ) => {
            store.record_failure(name, &e.to_string())?;
        }
        Err(_) => {}
    }
    result
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// The device to use: the configured one, else discovery through IAM.
/// Returns whether it came from the remembered discoveries.
fn resolve_device(
    runtime: &tokio::runtime::Runtime,
    expected: Option<&str>,
    profile: &Profile,
    keys: &sts::LongTermKeys,
) -> Result<(String, bool)> {
    match expected {
        Some(device) => Ok((device.to_string(), false)),
        None => crate::discovery::device_for(runtime, profile, keys),
    }
}

/// Gets a code from `source` (choosing one now if none was chosen yet).
fn get_code(source: &mut Option<CodeSource>, device: &str, profile: &str) -> Result<String> {
    if source.is_none() {
        *source = Some(CodeSource::choose(None, None, true)?);
    }
    match source {
        Some(source) => source.get(device, profile),
        None => Err(Error::NoTerminal),
    }
}

fn start_session(
    store: &Store,
    profile: &Profile,
    expected_device: Option<&str>,
    duration: u64,
    source: &mut Option<CodeSource>,
) -> Result<Session> {
    let call = CodeCall {
        profile,
        keys_profile: profile,
        expected_device,
        region: profile.region_or_default(),
        role_arn: None,
    };
    start_with_code(
        store,
        &call,
        source,
        async |client, device, code, endpoint| {
            sts::get_session_token(client, device, code, duration, endpoint).await
        },
    )
}

/// A new session started with an MFA code: GetSessionToken, or AssumeRole
/// carrying the code for long role sessions.
pub(crate) struct CodeCall<'a> {
    /// The profile the session is for (its cache key, its name at the prompt).
    pub(crate) profile: &'a Profile,
    /// Whose long-term keys sign the call (a role's source profile).
    pub(crate) keys_profile: &'a Profile,
    /// The configured device; None → discovered through IAM.
    pub(crate) expected_device: Option<&'a str>,
    pub(crate) region: String,
    pub(crate) role_arn: Option<&'a str>,
}

/// The steps every call that carries a code shares: keys first (a profile
/// without keys fails before a code is asked for), the device, a checked
/// code, the STS `request`, then the session saved atomically.
pub(crate) fn start_with_code(
    store: &Store,
    call: &CodeCall,
    source: &mut Option<CodeSource>,
    request: impl AsyncFnOnce(&aws_sdk_sts::Client, &str, &str, &str) -> Result<sts::Issued>,
) -> Result<Session> {
    let runtime = runtime()?;
    let endpoint = sts::endpoint_hint(&call.region);
    let keys_profile = call.keys_profile;
    let keys = runtime.block_on(sts::load_long_term(&keys_profile.name))?;
    let (device, remembered) = resolve_device(&runtime, call.expected_device, keys_profile, &keys)?;
    let code = get_code(source, &device, &call.profile.name)?;
    mfa::check_not_reused(store, &device, &code)?;
    let client = runtime.block_on(sts::sts_client(
        &call.profile.name,
        call.region.clone(),
        &keys,
    ));
    let issued = runtime.block_on(request(&client, &device, &code, &endpoint));
    if mfa::reached_sts(&issued) {
        mfa::remember_used(store, &device, &code);
    }
    if remembered && issued.is_err() {
        // Maybe the device was removed: look it up again next time.
        crate::discovery::forget(&keys_profile.name, &keys.access_key_id);
    }
    let issued = issued?;
    let session = Session {
        profile: call.profile.name.clone(),
        mfa_serial: device,
        source_access_key_id: keys.access_key_id.clone(),
        credentials: issued.credentials,
        expiration: issued.expiration,
        role_arn: call.role_arn.map(str::to_string),
    };
    store.save(&session)?;
    Ok(session)
}
