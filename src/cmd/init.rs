//! `awsesh init <shell>`: print the shell integration script.

use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::shell::Shell;
use crate::shell::init::{InitOptions, render, self_path, valid_cmd, wrong_shell_message};
use crate::sys::error::{Error, Result};

pub fn run(args: InitArgs) -> Result<ExitCode> {
    if !valid_cmd(&args.cmd) {
        return Err(Error::Other(format!(
            "invalid --cmd `{}`: use letters, digits, `_` and `-`",
            crate::sys::text::printable(&args.cmd)
        )));
    }
    if args.shell == Shell::Posix && args.cmd.contains('-') {
        return Err(Error::Other(format!(
            "invalid --cmd `{}` for posix: POSIX sh function names cannot contain `-`",
            args.cmd
        )));
    }
    if let Some(running) = evaluating_shell().filter(|&s| s != args.shell) {
        return Err(Error::Other(
            wrong_shell_message(args.shell, running)
                .trim_start_matches("awsesh: ")
                .to_string(),
        ));
    }
    let options = InitOptions {
        exe: self_path(),
        cmd: args.cmd,
        prompt: !args.no_prompt,
    };
    crate::cmd::emit(&render(args.shell, &options))?;
    Ok(ExitCode::SUCCESS)
}

/// The shell about to evaluate our output, when that is plain: stdout is a
/// pipe (`eval "$(awsesh init …)"`, `awsesh init … | source`) and the parent
/// process is bash, zsh or fish. fish cannot parse the bash and zsh scripts,
/// nor they fish's, so none of them could say which line to use instead; the
/// bash and zsh scripts also check for each other themselves. Output written
/// to a file (to be loaded later) is never refused.
fn evaluating_shell() -> Option<Shell> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let stdout = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    if !std::fs::File::from(stdout)
        .metadata()
        .ok()?
        .file_type()
        .is_fifo()
    {
        return None;
    }
    let parent = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
    match comm.trim_end() {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        // dash: the POSIX script's shell (ksh and others are not named here,
        // as they may run any of them).
        "dash" => Some(Shell::Posix),
        "tcsh" => Some(Shell::Tcsh),
        "xonsh" => Some(Shell::Xonsh),
        "elvish" => Some(Shell::Elvish),
        _ => None,
    }
}
