//! `awsesh status`: a profile's session and its time left; with `--all`,
//! every configured profile (and every cached session of a profile no longer
//! configured) with its state. No network, no async runtime beyond the
//! profile reader's.
//!
//! Exit status (README, "Exit status"): one profile — 0 valid, 4 none or
//! expired, 3 not awsesh's, 1 not configured at all; `--all` — 0 once the
//! list is printed, since one status cannot describe many profiles.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::aws::profile::{Listed, Profile};
use crate::cli::StatusArgs;
use crate::store::Store;
use crate::store::session::Session;
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// How a profile signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Long-term keys and an MFA code: awsesh's.
    Mfa,
    /// `role_arn`: assumed with the source profile's MFA session.
    Role,
    /// IAM Identity Center role credentials: awsesh's (issue 22).
    Sso,
    /// `aws login` credentials: awsesh's (issue 22).
    Login,
    /// Signs in another way (the key that says so): not awsesh's.
    Other(&'static str),
}

impl Kind {
    fn of(profile: &Profile) -> Kind {
        if crate::session::longterm::returns_awsesh_session(profile) {
            return Kind::Other("credential_process");
        }
        match (profile.other_sign_in, &profile.role_arn) {
            (Some(key), _) => Kind::Other(key),
            (None, None) if profile.sso.is_some() => Kind::Sso,
            (None, None) if profile.login_session.is_some() => Kind::Login,
            (None, Some(_)) => match crate::session::kind::Kind::for_profile(profile.clone(), None)
            {
                // A role whose source signs in another way is not awsesh's
                // either: passed through, exit 3, like login says.
                Err(Error::NotForAwsesh { key, .. }) => Kind::Other(key),
                _ => Kind::Role,
            },
            (None, None) => Kind::Mfa,
        }
    }

    /// A profile as the profile index lists it (`status --all`).
    fn of_listed(profile: &Listed) -> Kind {
        if profile.returns_awsesh_session {
            return Kind::Other("credential_process");
        }
        match (profile.other_sign_in, &profile.role_arn) {
            (Some(key), _) => Kind::Other(key),
            (None, Some(_)) => Kind::Role,
            (None, None) => Kind::Mfa,
        }
    }

    /// For a session whose profile is gone: what the session was.
    fn of_session(session: &Session) -> Kind {
        if session.role_arn.is_some() {
            Kind::Role
        } else if session.mfa_serial.starts_with("sso:") {
            Kind::Sso
        } else if session.mfa_serial.starts_with("login:") {
            Kind::Login
        } else {
            Kind::Mfa
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Mfa => "mfa",
            Kind::Role => "role",
            Kind::Sso => "iam-identity-center",
            Kind::Login => "aws-login",
            Kind::Other(_) => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Valid,
    Expired,
    None,
    NotAwsesh,
}

impl State {
    /// The token in `--json`.
    fn token(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expired => "expired",
            State::None => "none",
            State::NotAwsesh => "not_awsesh",
        }
    }

    /// The word in the table.
    fn word(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expired => "expired",
            State::None => "none",
            State::NotAwsesh => "not awsesh's",
        }
    }

    fn exit_code(self) -> ExitCode {
        match self {
            State::Valid => ExitCode::SUCCESS,
            State::Expired | State::None => ExitCode::from(Error::EXIT_NO_SESSION),
            State::NotAwsesh => ExitCode::from(Error::EXIT_NOT_AWSESH),
        }
    }
}

/// One line of `status --all`, or the one profile of `status`.
struct Entry {
    name: String,
    configured: bool,
    kind: Kind,
    role_arn: Option<String>,
    mfa_serial: Option<String>,
    session: Option<Session>,
    /// For IAM Identity Center and `aws login`: the token and what renews it.
    sign_in: Option<crate::session::signin::Report>,
}

impl Entry {
    fn new(name: &str, profile: Option<Profile>, session: Option<Session>) -> Entry {
        let kind = match (&profile, &session) {
            (Some(p), _) => Kind::of(p),
            (None, Some(s)) => Kind::of_session(s),
            (None, None) => Kind::Mfa,
        };
        let from_session = |f: fn(&Session) -> Option<String>| session.as_ref().and_then(f);
        Entry {
            name: name.to_string(),
            configured: profile.is_some(),
            kind,
            role_arn: from_session(|s| s.role_arn.clone())
                .or_else(|| profile.as_ref().and_then(|p| p.role_arn.clone())),
            mfa_serial: from_session(|s| Some(s.mfa_serial.clone()))
                .or_else(|| profile.as_ref().and_then(|p| p.mfa_serial.clone())),
            sign_in: profile
                .as_ref()
                .and_then(crate::session::signin::Report::of),
            session,
        }
    }

    /// A row of `status --all`: the profile as the index lists it, so that
    /// ten thousand profiles are not parsed one by one.
    fn listed(profile: Listed, session: Option<Session>) -> Entry {
        // The few sign-in profiles are read whole: their token's state.
        if profile.kept_sign_in
            && let Ok(full) = Profile::load(&profile.name)
        {
            return Entry::new(&profile.name, Some(full), session);
        }
        let from_session = |f: fn(&Session) -> Option<String>| session.as_ref().and_then(f);
        Entry {
            kind: Kind::of_listed(&profile),
            role_arn: from_session(|s| s.role_arn.clone()).or(profile.role_arn),
            mfa_serial: from_session(|s| Some(s.mfa_serial.clone())).or(profile.mfa_serial),
            name: profile.name,
            configured: true,
            session,
            sign_in: None,
        }
    }

    fn state(&self, now: OffsetDateTime) -> State {
        match (&self.kind, &self.session) {
            (Kind::Other(_), _) => State::NotAwsesh,
            (_, Some(s)) if s.seconds_left(now) > 0 => State::Valid,
            (_, Some(_)) => State::Expired,
            (_, None) => State::None,
        }
    }

    /// The stable `--json` object (README, "status --json").
    fn to_json(&self, now: OffsetDateTime) -> Value {
        let session = self.session.as_ref();
        json!({
            "profile": self.name,
            "configured": self.configured,
            "kind": self.kind.name(),
            "sign_in": match self.kind { Kind::Other(key) => Some(key), _ => None },
            "role_arn": self.role_arn,
            "mfa_serial": self.mfa_serial,
            "state": self.state(now).token(),
            "expiration": session.map(Session::expiration_rfc3339),
            "expires_at_local": session.map(|s| crate::sys::clock::local(s.expiration)),
            "seconds_left": session.map(|s| s.seconds_left(now).max(0)),
            "time_left": session.map(|s| crate::sys::duration::time_left(s.seconds_left(now))),
            "token": self.sign_in.as_ref().map(|r| json!({
                "cached": r.token.is_some(),
                "expiration": r.token.as_ref().map(|t| crate::sys::clock::rfc3339(t.expires_at)),
                "seconds_left": r.token.as_ref().map(|t| (t.expires_at.unix_timestamp() - now.unix_timestamp()).max(0)),
                "refresh_token_valid": r.refresh_token_valid(),
                "sign_in": r.sign_in,
            })),
        })
    }

    /// What a table row says after the time columns.
    fn detail(&self) -> String {
        let mut detail = match (self.kind, &self.role_arn, &self.mfa_serial) {
            (Kind::Other(key), _, _) => format!("signs in through `{key}`"),
            (Kind::Sso | Kind::Login, _, _) if self.sign_in.is_some() => {
                self.sign_in.as_ref().map_or(String::new(), |r| {
                    format!("{}; {}", r.what, r.token_line(crate::sys::clock::now()))
                })
            }
            (Kind::Role, Some(arn), _) => format!("role {}", printable(arn)),
            (_, _, Some(serial)) => format!("mfa {}", printable(serial)),
            (kind, _, _) => kind.name().to_string(),
        };
        if !self.configured {
            detail.push_str(" (no longer configured)");
        }
        detail
    }
}

pub fn run(args: StatusArgs) -> Result<ExitCode> {
    if args.all {
        all(args.json)
    } else {
        one(
            &crate::aws::profile::resolve_name(args.profile.profile.as_deref()),
            args.json,
        )
    }
}

fn one(name: &str, as_json: bool) -> Result<ExitCode> {
    let store = Store::open()?;
    let now = crate::sys::clock::now();
    let session = store.load(name)?;
    let profile = match Profile::load(name) {
        Ok(profile) => Some(profile),
        // A session outlives its profile's section: still shown.
        Err(Error::NoSuchProfile { .. }) if session.is_some() => None,
        Err(e) => return Err(e),
    };
    let entry = Entry::new(name, profile, session);
    let state = entry.state(now);
    if as_json {
        crate::cmd::emit(&format!("{:#}\n", entry.to_json(now)))?;
        return Ok(state.exit_code());
    }
    let Some(s) = entry.session.as_ref().filter(|_| state != State::NotAwsesh) else {
        if let Some(report) = &entry.sign_in {
            crate::sys::text::say(&format!(
                "no session for profile `{}` yet ({}); {}",
                printable(name),
                report.what,
                report.token_line(now)
            ));
            return Ok(state.exit_code());
        }
        crate::sys::text::say(
            &printable(&crate::session::no_session_error(name).to_string()).to_string(),
        );
        return Ok(state.exit_code());
    };
    let mut out = String::new();
    out.push_str(&format!("profile:     {}\n", printable(&s.profile)));
    match &entry.sign_in {
        Some(report) => {
            out.push_str(&format!("sign-in:     {}\n", report.what));
            out.push_str(&format!("token:       {}\n", report.token_line(now)));
        }
        None => out.push_str(&format!("mfa device:  {}\n", printable(&s.mfa_serial))),
    }
    if let Some(role_arn) = &s.role_arn {
        out.push_str(&format!("role:        {}\n", printable(role_arn)));
    }
    out.push_str(&format!(
        "expires at:  {}\n",
        crate::sys::clock::local(s.expiration)
    ));
    out.push_str(&format!(
        "time left:   {}\n",
        crate::sys::duration::time_left(s.seconds_left(now))
    ));
    // Credential endpoints of `exec --server` serving this profile.
    out.push_str(&crate::server::registry::describe(&store, Some(name)));
    crate::cmd::emit(&out)?;
    if state == State::Expired {
        crate::sys::text::say(&format!(
            "the session of profile `{}` has expired; start a new one with `awsesh login --profile {}`",
            printable(name),
            crate::sys::text::shell_word(name)
        ));
    }
    if !entry.configured {
        crate::sys::text::say(&format!(
            "profile `{}` is no longer in the AWS config files; `awsesh logout --profile {}` forgets its session",
            printable(name),
            crate::sys::text::shell_word(name)
        ));
    }
    Ok(state.exit_code())
}

fn all(as_json: bool) -> Result<ExitCode> {
    let store = Store::open()?;
    let now = crate::sys::clock::now();
    let mut sessions: BTreeMap<String, Session> = store
        .list()?
        .into_iter()
        .map(|s| (s.profile.clone(), s))
        .collect();
    let mut entries: Vec<Entry> = crate::aws::profile::listed()?
        .into_iter()
        .map(|profile| {
            let session = sessions.remove(&profile.name);
            Entry::listed(profile, session)
        })
        .collect();
    entries.extend(
        sessions
            .into_iter()
            .map(|(name, session)| Entry::new(&name, None, Some(session))),
    );
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    if as_json {
        let list: Vec<Value> = entries.iter().map(|e| e.to_json(now)).collect();
        crate::cmd::emit(&format!("{:#}\n", Value::Array(list)))?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        crate::sys::text::say(
            "no profiles in the AWS config files and no sessions; add one with `awsesh setup`",
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = table(&entries, now);
    // Credential endpoints of `exec --server`, for every profile.
    out.push_str(&crate::server::registry::describe(&store, None));
    crate::cmd::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn table(entries: &[Entry], now: OffsetDateTime) -> String {
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            let session = e.session.as_ref();
            [
                printable(&e.name),
                e.state(now).word().to_string(),
                session.map_or("-".into(), |s| {
                    crate::sys::duration::time_left(s.seconds_left(now))
                }),
                session.map_or("-".into(), |s| crate::sys::clock::local(s.expiration)),
                e.detail(),
            ]
        })
        .collect();
    let header = ["PROFILE", "STATE", "LEFT", "EXPIRES", "DETAIL"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // Written in place: ten thousand rows are ten thousand lines to build.
    let mut out = String::with_capacity(rows.len() * 128);
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter().zip(row) {
            let _ = write!(out, "{cell:<width$}  ");
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    out
}
