//! The refresh protocol (DESIGN §6), the one place that decides whether to
//! reuse a cached session or start a new one, for every kind of session:
//! 1. fresh cache → use it, no lock;
//! 2. choose the code source when one will be needed (no terminal and no
//!    other source → fail now, before any lock);
//! 3. lock; if another process holds it, say whom we wait for and what it is
//!    doing;
//! 4. re-read under the lock — the holder may have refreshed for us — and
//!    fail fast if the holder's refresh failed while we waited;
//! 5. start the session (`start.rs`); every failure is recorded for the
//!    terminals queued behind us, and never touches the cached session.
//!
//! A chained role locks the role, then its source (always in that order).

use std::io::Write;

use time::OffsetDateTime;

use crate::aws::profile::Profile;
use crate::mfa::CodeSource;
use crate::session::kind::Kind;
use crate::session::start::{self, Activity};
use crate::store::Store;
use crate::store::session::Session;
use crate::sys::cancel;
use crate::sys::error::{Error, Result};

pub const DEFAULT_MARGIN_SECS: u64 = 300;

/// `credential-process` and the credential endpoint hand credentials to SDKs
/// that refresh them early themselves (botocore from 15 minutes before
/// expiry): a session inside this window is renewed before it is served.
pub const SERVE_WINDOW_SECS: u64 = 900;

/// How long a failed refresh makes other terminals fail fast after it.
const FAILURE_SHARED_SECS: i64 = 10;

/// Seconds before expiry at which a session counts as stale:
/// `AWSESH_REFRESH_MARGIN` (e.g. `10m` or `600`), default 5 minutes. An
/// invalid value is refused rather than silently replaced.
pub fn margin_secs() -> Result<u64> {
    match std::env::var("AWSESH_REFRESH_MARGIN") {
        Ok(text) if !text.trim().is_empty() => crate::sys::duration::parse(&text)
            .ok()
            .filter(|secs| *secs < 129_600)
            .ok_or_else(|| {
                Error::BadMargin(format!(
                    "AWSESH_REFRESH_MARGIN=`{}` is not a duration such as `300`, `10m` or `1h`; fix or unset it",
                    crate::sys::text::printable(&text.chars().take(40).collect::<String>())
                ))
            }),
        _ => Ok(DEFAULT_MARGIN_SECS),
    }
}

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
    /// A window before expiry in which a session is renewed on top of the
    /// configured margin (`AWSESH_REFRESH_MARGIN`, default 5 minutes); at most
    /// half of a session's length, so a short session is not due at once.
    pub window_secs: Option<u64>,
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
            window_secs: None,
            keep_valid: false,
        }
    }

    /// For a program that refreshes on its own schedule (`credential_process`,
    /// the credential endpoint): renewed inside the serving window when that
    /// needs no code or a code can be had, else the still-valid session.
    pub fn serve(profile: &'a str, terminal: bool) -> Self {
        Request {
            window_secs: Some(SERVE_WINDOW_SECS),
            keep_valid: true,
            terminal,
            ..Request::reuse(profile, None)
        }
    }
}

fn now() -> OffsetDateTime {
    crate::sys::clock::now()
}

pub fn ensure(store: &Store, req: &Request) -> Result<Session> {
    cancel::install();
    crate::aws::net::check_endpoint_overrides()?;
    let margin = margin_secs()?;
    let kind = Kind::for_profile(Profile::load(req.profile)?, req.duration_secs)?;
    let mut source = None;
    let result = Protocol { store, req, margin }.ensure(&kind, req.force, &mut source, &|_| {});
    match result {
        Err(Error::NoTerminal { .. }) if req.keep_valid => store
            .load(req.profile)?
            .filter(|s| kind.matches(s) && s.seconds_left(now()) > 0)
            .ok_or_else(|| Error::NoTerminal {
                profile: crate::sys::text::printable(req.profile),
            }),
        // An IAM Identity Center or `aws login` session that cannot be
        // renewed here (a sign-in is needed, the service is down) is still
        // served while it lasts, as an MFA session is without a terminal.
        Err(e) if req.keep_valid && matches!(kind, Kind::Sso(_) | Kind::Login(_)) => store
            .load(req.profile)?
            .filter(|s| kind.matches(s) && s.seconds_left(now()) > 0)
            .ok_or(e),
        result => result,
    }
}

/// One refresh: the request, and the configured margin read once.
struct Protocol<'a> {
    store: &'a Store,
    req: &'a Request<'a>,
    margin: u64,
}

impl Protocol<'_> {
    /// Seconds before its expiry at which a session of `kind` is renewed: the
    /// configured margin, or the request's window when that is wider (capped
    /// at half the session).
    fn margin_for(&self, kind: &Kind) -> u64 {
        let window = self
            .req
            .window_secs
            .map_or(0, |w| w.min(kind.duration() / 2));
        self.margin.max(window)
    }

    /// A session of `kind` fresh beyond its margin.
    fn usable(&self, kind: &Kind, session: &Session) -> bool {
        kind.matches(session) && session.is_fresh(now(), self.margin_for(kind))
    }

    fn cached_usable(&self, kind: &Kind) -> bool {
        self.store
            .load(&kind.profile().name)
            .ok()
            .flatten()
            .is_some_and(|s| self.usable(kind, &s))
    }

    /// A configured margin as long as the session would make every call
    /// start a new one.
    fn check_margin(&self, kind: &Kind) -> Result<()> {
        if self.margin >= kind.duration() {
            return Err(Error::BadMargin(format!(
                "the refresh margin ({}) is not shorter than the {} session of profile `{}`, so every command would ask for a new code; lower AWSESH_REFRESH_MARGIN or raise `duration_seconds`",
                crate::sys::duration::short(self.margin),
                crate::sys::duration::short(kind.duration()),
                crate::sys::text::printable(&kind.profile().name)
            )));
        }
        Ok(())
    }

    fn ensure(
        &self,
        kind: &Kind,
        force: bool,
        source: &mut Option<CodeSource>,
        outer: Activity,
    ) -> Result<Session> {
        let name = kind.profile().name.as_str();
        let seen = self.store.load(name)?;
        if !force
            && let Some(session) = &seen
            && self.usable(kind, session)
        {
            return Ok(session.clone());
        }
        self.check_margin(kind)?;
        if source.is_none() && kind.needs_code(&|k| self.cached_usable(k)) {
            // The keys first: a profile without keys, or whose keys already
            // are a session (passed through), is known before anyone is
            // asked for a code.
            crate::session::longterm::load(kind.keys_profile())?;
            *source = Some(
                CodeSource::choose(
                    self.req.token_code,
                    kind.mfa_process(),
                    self.req.terminal,
                    crate::mfa::desktop::opted_in(kind.profile(), self.req.profile),
                )
                .map_err(|e| match e {
                    Error::NoTerminal { .. } => Error::NoTerminal {
                        profile: crate::sys::text::printable(self.req.profile),
                    },
                    other => other,
                })?,
            );
        }
        self.under_lock(kind, seen.as_ref(), force, source, outer)
    }

    /// Steps 3–5 for one cache entry.
    fn under_lock(
        &self,
        kind: &Kind,
        seen: Option<&Session>,
        force: bool,
        source: &mut Option<CodeSource>,
        outer: Activity,
    ) -> Result<Session> {
        let name = kind.profile().name.as_str();
        let wait_started = now().unix_timestamp();
        let mut waited = false;
        let lock = crate::store::lock::acquire(&self.store.lock_path(name)?, |holder| {
            waited = true;
            let message = format!(
                "awsesh: waiting for another terminal ({holder}) to finish refreshing profile {}; Ctrl-C to stop waiting\n",
                crate::sys::text::printable(name)
            );
            match source.as_mut().and_then(CodeSource::terminal) {
                Some(tty) => {
                    let _ = tty.write_all(message.as_bytes());
                }
                None => eprint!("{message}"),
            }
        })?;
        cancel::check()?;

        // A failure shared with the queue: anyone who waited through it, and
        // for a short while anyone on another terminal who came just after
        // (started with the others, but later to the lock) — so one
        // terminal prompts, not each in turn.
        if let Some(failure) = self.store.last_failure(name)? {
            let now = now().unix_timestamp();
            // A record from the future was written under a clock that has
            // since stepped back (NTP, a resumed VM): it says nothing about
            // this refresh, and honouring it would block for the whole skew.
            let shared = failure.at <= now
                && if waited {
                    failure.at >= wait_started
                } else {
                    failure.other_terminal && failure.at >= now - FAILURE_SHARED_SECS
                };
            if shared {
                return Err(Error::PeerFailed(failure.reason));
            }
        }
        if waited {
            if let Some(session) = self.store.load(name)? {
                let replaced = seen.is_none_or(|old| {
                    old.credentials.access_key_id != session.credentials.access_key_id
                        || old.expiration != session.expiration
                        || old.credentials.session_token != session.credentials.session_token
                });
                // Another process just did what we were about to do.
                if replaced && self.usable(kind, &session) {
                    return Ok(session);
                }
            }
        } else if !force
            && let Some(session) = self.store.load(name)?
            && self.usable(kind, &session)
        {
            return Ok(session);
        }

        let activity = |what: &str| {
            outer(what);
            lock.doing(what);
        };
        let cx = start::Context {
            store: self.store,
            activity: &activity,
            shorter_ok: force && self.req.duration_secs.is_some(),
        };
        let result = self.start(kind, source, &cx);
        match &result {
            Ok(_) => self.store.clear_failure(name)?,
            // A cancel is the user's choice in that terminal, not a fault:
            // the next terminal in the queue asks for the code itself.
            Err(Error::Cancelled) => {}
            // Whatever else made this refresh fail — a refused code, an
            // unreachable or failing STS, missing keys — would make the next
            // terminal in the queue fail too, after asking for a code.
            Err(e) => self.store.record_failure(name, &e.to_string())?,
        }
        result
    }

    fn start(
        &self,
        kind: &Kind,
        source: &mut Option<CodeSource>,
        cx: &start::Context,
    ) -> Result<Session> {
        match kind {
            Kind::Mfa(m) => start::mfa_session(cx, m, source),
            Kind::RoleWithCode(role) => start::role_with_code(cx, role, source),
            Kind::Sso(sso) => crate::session::signin::start_sso(cx, sso, self.req.terminal),
            Kind::Login(login) => crate::session::signin::start_login(cx, login, self.req.terminal),
            Kind::ChainedRole {
                role,
                source: inner,
            } => {
                let source_session = self.ensure(inner, false, source, cx.activity)?;
                start::chained_role(cx, role, &source_session)
            }
        }
    }
}
