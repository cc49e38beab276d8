//! `awsesh credential-process`: the session in the format SDKs and Terraform
//! read from a profile's `credential_process`, refreshing (and prompting on
//! the terminal) when needed.

use std::process::ExitCode;

use crate::cli::ProfileArgs;
use crate::error::Result;
use crate::refresh::{self, Request};
use crate::store::Store;

pub fn run(args: ProfileArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.as_deref());
    let store = Store::open()?;
    let session = refresh::ensure(&store, &Request::reuse(&profile, None))?;
    crate::cmd::emit(&crate::output::credential_process_json(&session))?;
    Ok(ExitCode::SUCCESS)
}
