//! `awsesh status`: which sessions exist and how long they have left.

use std::process::ExitCode;

use serde_json::json;
use time::OffsetDateTime;

use crate::cli::StatusArgs;
use crate::duration::time_left;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::session::Session;
use crate::text::printable;

/// Local wall-clock time, e.g. `2026-11-24 16:50:31 +01:00`.
pub fn local_time(at: OffsetDateTime) -> String {
    crate::clock::local(at)
}

fn describe(session: &Session, now: OffsetDateTime) -> serde_json::Value {
    json!({
        "profile": session.profile,
        "mfa_serial": session.mfa_serial,
        "role_arn": session.role_arn,
        "expiration": session.expiration_rfc3339(),
        "expires_at_local": local_time(session.expiration),
        "seconds_left": session.seconds_left(now).max(0),
        "time_left": time_left(session.seconds_left(now)),
    })
}

pub fn run(args: StatusArgs) -> Result<ExitCode> {
    let store = Store::open()?;
    let now = crate::clock::now();
    let sessions = if args.all {
        store.list()?
    } else {
        let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
        let session = store
            .load(&profile)?
            .ok_or_else(|| Error::NoSession(printable(&profile)))?;
        vec![session]
    };
    if args.json {
        let list: Vec<_> = sessions.iter().map(|s| describe(s, now)).collect();
        let value = if args.all {
            json!(list)
        } else {
            list.into_iter().next().unwrap_or_default()
        };
        crate::cmd::emit(&format!("{value:#}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    if sessions.is_empty() {
        eprintln!("awsesh: no sessions; start one with `awsesh login`");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if args.all {
        out.push_str(&format!(
            "{:<20} {:<9} {:<27} {}\n",
            "PROFILE", "LEFT", "EXPIRES", "MFA DEVICE"
        ));
        for s in &sessions {
            out.push_str(&format!(
                "{:<20} {:<9} {:<27} {}\n",
                printable(&s.profile),
                time_left(s.seconds_left(now)),
                local_time(s.expiration),
                printable(&s.mfa_serial)
            ));
        }
    } else {
        let s = &sessions[0];
        out.push_str(&format!("profile:     {}\n", printable(&s.profile)));
        out.push_str(&format!("mfa device:  {}\n", printable(&s.mfa_serial)));
        if let Some(role_arn) = &s.role_arn {
            out.push_str(&format!("role:        {}\n", printable(role_arn)));
        }
        out.push_str(&format!("expires at:  {}\n", local_time(s.expiration)));
        out.push_str(&format!(
            "time left:   {}\n",
            time_left(s.seconds_left(now))
        ));
    }
    // Credential endpoints of `exec --server` serving these profiles.
    let profile = (!args.all).then(|| sessions[0].profile.as_str());
    out.push_str(&crate::server::registry::describe(&store, profile));
    crate::cmd::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
