//! `awsesh exec -- CMD`: replace ourselves with CMD, the session in its
//! environment, so its exit status and signals are its own.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::cli::ExecArgs;
use crate::error::{Error, Result};
use crate::refresh::{self, Request};
use crate::store::Store;

pub fn run(args: ExecArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
    let store = Store::open()?;
    let session = refresh::ensure(
        &store,
        &Request::reuse(&profile, args.code.token_code.as_deref()),
    )?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Other("no command given".into()))?;
    let c = &session.credentials;
    let mut command = std::process::Command::new(program);
    command
        .args(rest)
        .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", c.secret_access_key.expose())
        .env("AWS_SESSION_TOKEN", c.session_token.expose())
        .env("AWS_CREDENTIAL_EXPIRATION", session.expiration_rfc3339())
        .env("AWSESH_PROFILE", &session.profile)
        // The profile still names the region and other settings; env keys win
        // over its credentials in every SDK's chain.
        .env("AWS_PROFILE", &session.profile)
        .env_remove("AWS_SECURITY_TOKEN");
    let source = command.exec();
    Err(Error::Exec {
        program: program.to_string_lossy().into_owned(),
        source,
    })
}
