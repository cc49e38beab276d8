//! One module per subcommand. Each takes its parsed arguments and returns the
//! process exit status; errors bubble up to `main` as one line.

pub mod completions;
pub mod credential_process;
pub mod doctor;
pub mod env;
pub mod exec;
pub mod hook_sync;
pub mod init;
pub mod keys;
pub mod list_profiles;
pub mod login;
pub mod logout;
pub mod man_pages;
pub mod mfa;
pub mod prompt;
pub mod setup;
pub mod status;
pub mod wrap;

use std::process::ExitCode;

use crate::cli::Command;
use crate::sys::error::Result;

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init(args) => init::run(args),
        Command::Login(args) => login::run(args),
        Command::Env(args) => env::run(args),
        Command::Status(args) => status::run(args),
        Command::Logout(args) => logout::run(args),
        Command::Exec(args) => exec::run(args),
        Command::CredentialProcess(args) => credential_process::run(args),
        Command::Prompt(args) => prompt::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Keys(command) => keys::run(command),
        Command::Mfa(command) => mfa::run(command),
        Command::Setup(args) => setup::run(args),
        Command::HookSync(args) => hook_sync::run(args),
        Command::Wrap(args) => wrap::run(args),
        Command::ListProfiles => list_profiles::run(),
        Command::ManPages(args) => man_pages::run(args),
    }
}

/// Writes what is meant to be eval'd or parsed; stdout carries nothing else.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| crate::sys::error::Error::io("cannot write to stdout", e))
}
