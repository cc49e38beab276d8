//! `awsesh init <shell>`: print the shell integration script.

use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::error::{Error, Result};
use crate::shell::init::{InitOptions, render, valid_cmd};

/// How the script calls us: the name as typed when it came from PATH (so an
/// upgrade that moves the binary keeps working), else the path as given made
/// absolute — never a resolved symlink target.
fn self_path() -> String {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let argv0 = std::path::PathBuf::from(argv0);
    if argv0.components().count() == 1 && !argv0.as_os_str().is_empty() {
        return argv0.to_string_lossy().into_owned();
    }
    if argv0.is_absolute() {
        return argv0.to_string_lossy().into_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) if !argv0.as_os_str().is_empty() => cwd.join(argv0).to_string_lossy().into_owned(),
        _ => std::env::current_exe()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "awsesh".to_string()),
    }
}

pub fn run(args: InitArgs) -> Result<ExitCode> {
    if !valid_cmd(&args.cmd) {
        return Err(Error::Other(format!(
            "invalid --cmd `{}`: use letters, digits, `_` and `-`",
            crate::text::printable(&args.cmd)
        )));
    }
    let options = InitOptions {
        exe: self_path(),
        cmd: args.cmd,
        prompt: !args.no_prompt,
        margin_secs: crate::refresh::margin_secs()?,
    };
    crate::cmd::emit(&render(args.shell, &options))?;
    Ok(ExitCode::SUCCESS)
}
