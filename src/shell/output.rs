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
    hook_vars(&mut lines, store, &session.profile)?;
    Ok(lines)
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
