//! Every subcommand and flag of awsesh, with the help text users see.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "awsesh",
    version,
    about = "One MFA-protected AWS session per profile, shared by every shell",
    long_about = "awsesh trades a profile's long-term keys plus a 6-digit MFA code for an STS \
session, caches it in a private runtime directory and hands it to every shell and program \
that asks. Add `eval \"$(awsesh init bash)\"` to your rc file and `aws` asks for the code \
by itself when the session is gone."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print the shell integration script: `eval "$(awsesh init bash)"`
    Init(InitArgs),
    /// Start a new MFA session for a profile, replacing the cached one
    Login(LoginArgs),
    /// Print the cached session as shell exports or JSON
    Env(EnvArgs),
    /// Show the cached sessions and their time left
    Status(StatusArgs),
    /// Forget cached sessions
    Logout(LogoutArgs),
    /// Run a command with the session: keys in its environment, or `--server`
    /// for a local credential endpoint that renews them while it runs
    Exec(ExecArgs),
    /// Print the session in the `credential_process` format for SDKs and Terraform
    CredentialProcess(ProfileArgs),
    /// Print the time left of the session for a prompt (`11h42m`), or nothing
    Prompt(ProfileArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Check the setup and say how to fix what is wrong
    Doctor(DoctorArgs),
    /// Used by the shell hook: print the session (or unset lines) and the paths the hook polls
    #[command(hide = true)]
    HookSync(HookSyncArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Bash,
    Zsh,
    Fish,
    Json,
}

impl OutputFormat {
    /// The shell of an output format, or None for JSON.
    pub fn shell(self) -> Option<Shell> {
        match self {
            OutputFormat::Bash => Some(Shell::Bash),
            OutputFormat::Zsh => Some(Shell::Zsh),
            OutputFormat::Fish => Some(Shell::Fish),
            OutputFormat::Json => None,
        }
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct ProfileArgs {
    /// AWS profile (default: $AWS_PROFILE, then `default`)
    #[arg(long, short = 'p', value_name = "PROFILE")]
    pub profile: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CodeArgs {
    /// The 6-digit MFA code (otherwise $AWSESH_MFA_CODE, $TOTP_CODE, the profile's
    /// `mfa_process`, or a prompt on the terminal)
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    pub shell: Shell,
    /// Name of the wrapped command
    #[arg(long, default_value = "aws", value_name = "NAME")]
    pub cmd: String,
    /// Leave the prompt alone (the segment stays available in $AWSESH_PROMPT_SEGMENT)
    #[arg(long)]
    pub no_prompt: bool,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Session length, e.g. `12h`, `90m`, `3600` (default: the profile's
    /// `duration_seconds`, else 12h)
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    #[command(flatten)]
    pub code: CodeArgs,
    /// Start a new session even when the cached one is still valid
    #[arg(long)]
    pub force: bool,
    /// Also print the exports for this shell on stdout
    #[arg(long, value_name = "SHELL")]
    pub shell: Option<OutputFormat>,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "bash")]
    pub shell: OutputFormat,
    /// Start or refresh the session first, prompting for the MFA code if needed
    #[arg(long)]
    pub ensure: bool,
    #[command(flatten)]
    pub code: CodeArgs,
    /// Used by the aws wrapper: exit 3 without a word for a profile awsesh
    /// does not sign in for (SSO, instance or web identity)
    #[arg(long, hide = true)]
    pub pass_other_sign_in: bool,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Every cached session
    #[arg(long)]
    pub all: bool,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Every cached session
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
    /// Print the lines that unset the session in this shell
    #[arg(long, value_name = "SHELL")]
    pub shell: Option<Shell>,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub code: CodeArgs,
    /// Serve the credentials to CMD from a local endpoint for as long as it
    /// runs (renewed as they run out) instead of putting keys in its environment
    #[arg(long)]
    pub server: bool,
    /// The command and its arguments: everything from the first argument that
    /// is not one of awsesh's flags on (`--` before it is accepted too)
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
}

#[derive(Args, Debug)]
pub struct HookSyncArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[arg(long)]
    pub shell: Shell,
}
