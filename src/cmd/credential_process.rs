//! `awsesh credential-process`: the session in the format SDKs and Terraform
//! read from a profile's `credential_process`. SDKs call it again from 15
//! minutes before the expiry it gives (botocore), so a session inside that
//! window is renewed — silently for a role, with a code when one can be had
//! for an MFA session — else the still-valid one is returned.

use std::process::ExitCode;

use crate::cli::ProfileArgs;
use crate::session::refresh::{self, Request};
use crate::store::Store;
use crate::sys::error::Result;

pub fn run(args: ProfileArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.as_deref());
    let store = Store::open()?;
    let session = refresh::ensure(&store, &Request::serve(&profile, true))?;
    crate::cmd::emit(&crate::shell::output::credential_process_json(&session))?;
    Ok(ExitCode::SUCCESS)
}
