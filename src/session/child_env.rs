//! A session handed to a command through its environment: the keys, their
//! expiry and whose session it is. The `aws` wrappers also hand the profile
//! (the CLI reads its `output`, `cli_pager`, … and prefers the keys in the
//! environment); `exec` runs any program, and the AWS SDK for JavaScript v3
//! and the .NET SDK prefer a profile to the keys, so it gets the profile's
//! region instead, as aws-vault's `exec` does.

use std::process::Command;

use crate::store::session::Session;

/// For the `aws` wrappers: the session and its profile.
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

/// For any program (`exec`): the session, its region unless the user set
/// one, and no profile — with `AWS_PROFILE` beside the keys some SDKs would
/// sign with the profile's long-term keys or fail.
pub fn give_to_program<'a>(command: &'a mut Command, session: &Session) -> &'a mut Command {
    give(command, session)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE");
    let region = session.region_for_children();
    let user_has_one = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !region.is_empty() && !user_has_one {
        command
            .env("AWS_REGION", &region)
            .env("AWS_DEFAULT_REGION", &region);
    }
    command
}
