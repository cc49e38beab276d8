//! Renderings of a session shared by several commands: the lines a shell
//! evals (with the hook's bookkeeping) and the JSON formats.

use serde_json::json;

use super::{OutputFormat, Shell};
use crate::shell::exports::Lines;
use crate::store::Store;
use crate::store::session::Session;
use crate::sys::error::Result;

/// The hook's bookkeeping: which profile this shell shows, and the stamp file
/// its prompt polls with `read`.
pub fn hook_vars(lines: &mut Lines, store: &Store, profile: &str) -> Result<()> {
    let stamp = store.session_path(profile)?;
    lines.set_private("_AWSESH_FOR", profile);
    lines.set_private("_AWSESH_STAMP", &stamp.to_string_lossy());
    Ok(())
}

/// The segment as every script shows it: the profile's name unless it is
/// `default`, with anything but `[A-Za-z0-9._@-]` shown as `?` so that no
/// prompt expands it; a space after it.
pub fn segment_text(profile: &str, left: &str) -> String {
    if profile == "default" {
        return format!("aws:{left} ");
    }
    let name: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '?'
            }
        })
        .collect();
    format!("aws:{name} {left} ")
}

/// Everything `env`, `login --shell` print for a session.
pub fn session_text(format: OutputFormat, store: &Store, session: &Session) -> Result<String> {
    let Some(shell) = format.shell() else {
        return Ok(env_json(session));
    };
    Ok(session_lines(shell, store, session)?.finish())
}

pub fn session_lines(shell: Shell, store: &Store, session: &Session) -> Result<Lines> {
    let mut lines = Lines::new(shell);
    lines.session(session);
    lines.set_private("_AWSESH_REGION", &region_for_children(&session.profile));
    hook_vars(&mut lines, store, &session.profile)?;
    Ok(lines)
}

/// The profile's `region`, which a hooked shell exports as `AWS_REGION` and
/// `AWS_DEFAULT_REGION` while it holds the session: its children do not see
/// `AWS_PROFILE` then (see docs/shell-integration.md). Empty when the
/// profile has none, or one that is not a region's name.
pub fn region_for_children(profile: &str) -> String {
    crate::aws::profile::Profile::load_lenient(profile)
        .ok()
        .and_then(|p| p.region)
        .filter(|r| {
            r.len() <= 32
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .unwrap_or_default()
}

/// `env --shell json`: the variables a process would get.
pub fn env_json(session: &Session) -> String {
    let c = &session.credentials;
    let value = json!({
        "AWS_ACCESS_KEY_ID": c.access_key_id,
        "AWS_SECRET_ACCESS_KEY": c.secret_access_key.expose(),
        "AWS_SESSION_TOKEN": c.session_token.expose(),
        "AWS_CREDENTIAL_EXPIRATION": session.expiration_rfc3339(),
        "AWSESH_PROFILE": session.profile,
    });
    format!("{value:#}\n")
}

/// The `credential_process` format (Version 1, with Expiration).
pub fn credential_process_json(session: &Session) -> String {
    let c = &session.credentials;
    let value = json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key.expose(),
        "SessionToken": c.session_token.expose(),
        "Expiration": session.expiration_rfc3339(),
    });
    format!("{value}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_other_profiles_and_neutralises_prompt_syntax() {
        assert_eq!(segment_text("default", "42m"), "aws:42m ");
        assert_eq!(segment_text("prod", "1h05m"), "aws:prod 1h05m ");
        assert_eq!(segment_text("$(id)`x`\\%!", "<1m"), "aws:??id??x???? <1m ");
    }
}
