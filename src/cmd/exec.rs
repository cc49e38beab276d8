//! `awsesh exec [--profile P] [--server] CMD…`.
//!
//! Plain: replace ourselves with CMD, the session in its environment, so its
//! exit status and signals are its own. `--server`: CMD gets no keys, only
//! the address and token of a loopback credential endpoint that lives as long
//! as CMD and renews what it serves (see `server/`).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use crate::cli::ExecArgs;
use crate::server::{Endpoint, child_config, registry, source::Source};
use crate::session::refresh::{self, Request};
use crate::store::{Store, file};
use crate::sys::error::{Error, Result};

pub fn run(args: ExecArgs) -> Result<ExitCode> {
    let Some((program, rest)) = args.command.split_first() else {
        crate::sys::text::say(
            "no command given; usage: awsesh exec [--profile P] [--server] CMD [ARGS…]",
        );
        return Ok(ExitCode::from(2));
    };
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    if args.server {
        return run_server(&profile, args.code.token_code, program, rest);
    }
    let store = Store::open()?;
    let session = refresh::ensure(
        &store,
        &Request::reuse(&profile, args.code.token_code.as_deref()),
    )?;
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

fn run_server(
    profile: &str,
    token_code: Option<String>,
    program: &OsString,
    rest: &[OsString],
) -> Result<ExitCode> {
    // A code given for the start is used once: the background refreshes must
    // not send it again (AWS rejects a reused code), nor must CMD see it.
    let code = token_code
        .or_else(|| std::env::var("AWSESH_MFA_CODE").ok())
        .or_else(|| std::env::var("TOTP_CODE").ok());
    // SAFETY: no other thread exists yet (nothing before this point starts one).
    unsafe {
        std::env::remove_var("AWSESH_MFA_CODE");
        std::env::remove_var("TOTP_CODE");
    }
    let store = Store::open()?;
    // Start with a full session: the terminal may be asked now, never later.
    refresh::ensure(
        &store,
        &Request {
            token_code: code.as_deref(),
            ..Request::serve(profile, true)
        },
    )?;

    let config_text = child_config::filtered_config(profile)?;
    // Blocked before any thread starts, so that every thread inherits the mask.
    let signals = crate::sys::supervise::Signals::block();
    let endpoint = Endpoint::start(Source::start(profile)?)?;
    let config = registry::companion_path(&store, std::process::id(), "config");
    // Registered first: the entry removes the config file when it goes.
    let _entry = registry::register(&store, endpoint.port, profile, vec![config.clone()])?;
    file::write_atomic(&config, config_text.as_bytes())?;

    let (remove, set) =
        child_config::command_env(profile, &config, &endpoint.uri(), endpoint.token.expose());
    let mut command = std::process::Command::new(program);
    command.args(rest);
    for name in remove {
        command.env_remove(name);
    }
    command.envs(set);
    let status = crate::sys::supervise::run(command, &program.to_string_lossy(), signals)?;
    Ok(ExitCode::from(u8::try_from(status).unwrap_or(1)))
}
