//! A session handed to a command through its environment (`exec`, the tcsh
//! wrapper): the keys, their expiry, whose session it is, and the profile —
//! which still names the region and other settings, while the keys in the
//! environment win over its credentials in every SDK's chain.

use std::process::Command;

use crate::store::session::Session;

pub fn give<'a>(command: &'a mut Command, session: &Session) -> &'a mut Command {
    let c = &session.credentials;
    command
        .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose())
        .env("AWS_SESSION_TOKEN", c.session_token.expose())
        .env("AWS_CREDENTIAL_EXPIRATION", session.expiration_rfc3339())
        .env("AWSESH_PROFILE", &session.profile)
        .env("AWS_PROFILE", &session.profile)
        // The old name of the token: a stale one would confuse older tools.
        .env_remove("AWS_SECURITY_TOKEN")
}
