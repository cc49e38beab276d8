//! Every subcommand and flag of awsesh, with the help text users see.

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use crate::shell::{OutputFormat, Shell};

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
    /// Start an MFA session for a profile; a still-valid cached one is kept unless --force
    ///
    /// A cached session with more than the refresh margin left ($AWSESH_REFRESH_MARGIN,
    /// default 5m) is kept and no code is asked for; otherwise the MFA code comes from
    /// --token-code, $AWSESH_MFA_CODE, $TOTP_CODE, the profile's `mfa_process` or a prompt
    /// on the terminal. --force starts a new session even when the cached one is valid.
    Login(LoginArgs),
    /// Print the cached session as shell exports or JSON
    Env(EnvArgs),
    /// Show a profile's session and its time left; --all: every configured profile
    Status(StatusArgs),
    /// Forget cached sessions
    Logout(LogoutArgs),
    /// Run a command with the session: keys in its environment, or `--server`
    /// for a local credential endpoint that renews them while it runs
    Exec(ExecArgs),
    /// Print the session in the `credential_process` format for SDKs and Terraform
    CredentialProcess(ProfileArgs),
    /// Print the time left of the session for a prompt (`11h42m`), or nothing
    Prompt(PromptArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Check the setup and say how to fix what is wrong
    Doctor(DoctorArgs),
    /// Keep long-term keys in the OS keyring: add (or move them there), list, remove, rotate
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Enroll a virtual MFA device from the terminal
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// The first day in one command: keys into the keyring, a region, an MFA device, the shell line
    Setup(SetupArgs),
    /// Used by the shell hook: print the session (or unset lines) and the paths the hook polls
    #[command(hide = true)]
    HookSync(HookSyncArgs),
    /// Used by shell completion: every configured profile's name, one per line
    #[command(hide = true)]
    ListProfiles,
    /// Used by packaging: write awsesh.1 and one man page per subcommand into DIR
    #[command(hide = true)]
    ManPages(ManPagesArgs),
    /// Used by the tcsh wrapper (aliases cannot carry the logic): run the
    /// wrapped command with the session of the profile it will use
    #[command(hide = true)]
    Wrap(WrapArgs),
}

#[derive(Args, Debug)]
pub struct ManPagesArgs {
    /// The directory to write the pages into (created when missing)
    pub dir: std::path::PathBuf,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ProfileArgs {
    /// AWS profile (default: $AWS_PROFILE, then `default`)
    #[arg(
        long,
        short = 'p',
        value_name = "PROFILE",
        add = ArgValueCandidates::new(profile_candidates)
    )]
    pub profile: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct SetupArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The profile's region, instead of asking for it (e.g. eu-west-1)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Used by setup itself: the run goes on in a fresh image of awsesh
    /// after writing the AWS files (they are read once per process)
    #[arg(long, hide = true)]
    pub resumed: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CodeArgs {
    /// The 6-digit MFA code (otherwise $AWSESH_MFA_CODE, $TOTP_CODE, the profile's
    /// `mfa_process`, or a prompt on the terminal)
    #[arg(long, value_name = "CODE")]
    pub token_code: Option<String>,
}

#[derive(Args, Debug, Default)]
pub struct PromptArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Used by the POSIX sh prompt: the whole segment (`aws:prod 42m `) of
    /// the session the shell holds ($AWSESH_PROFILE), nothing when none
    #[arg(long, hide = true, conflicts_with = "profile")]
    pub held: bool,
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
    /// Start a new session even when the cached one is still valid (without
    /// it, a session with more than the refresh margin left is kept)
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
    /// Every configured profile (and every session of one no longer
    /// configured) with its state
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,
    /// Machine-readable output (the schema is in docs/commands.md)
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
    /// is not one of awsesh's flags on (`--` before it is accepted too);
    /// none opens $SHELL (else /bin/sh) with the session
    #[arg(trailing_var_arg = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    pub shell: CompletionShell,
}

/// The shells `completions` writes for: clap_complete's own, and nushell
/// (clap_complete_nushell).
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Elvish,
    Fish,
    Powershell,
    Zsh,
    Nushell,
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

#[derive(Args, Debug)]
pub struct WrapArgs {
    /// The wrapped command (the real one, found on PATH)
    #[arg(long, default_value = "aws", value_name = "NAME")]
    pub cmd: String,
    /// The words are `env`'s: `NAME=value … CMD ARGS`, wrapped only when
    /// CMD is the wrapped command
    #[arg(long)]
    pub via_env: bool,
    /// The command's arguments, as typed
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Store a profile's access key in the OS keyring (typed on the terminal,
    /// piped on stdin as two lines or the IAM console's CSV, or with
    /// --migrate moved out of ~/.aws/credentials)
    Add(KeysAddArgs),
    /// Show where each profile's long-term keys are (never the secrets)
    List,
    /// Remove a profile's keys from the OS keyring (asks first; --yes without a terminal)
    Remove(KeysRemoveArgs),
    /// Replace a profile's access key with a new one (IAM), then delete the old one
    Rotate(KeysRotateArgs),
}

#[derive(Args, Debug)]
pub struct KeysAddArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Move the profile's keys out of the AWS credentials (and config) file
    /// into the keyring, removing only their lines from the file
    #[arg(long)]
    pub migrate: bool,
    /// The keyring holds another IAM user's key for the profile: replace it
    /// without asking
    #[arg(long)]
    pub replace: bool,
}

#[derive(Args, Debug)]
pub struct KeysRemoveArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Remove without asking (needed without a terminal)
    #[arg(long, alias = "force")]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct KeysRotateArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub code: CodeArgs,
}

#[derive(Subcommand, Debug)]
pub enum MfaCommand {
    /// Create a virtual MFA device for your IAM user, show its QR code, enable
    /// it with two codes and pin `mfa_serial` in the profile
    Enroll(EnrollArgs),
}

#[derive(Args, Debug)]
pub struct EnrollArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Name of the new device in IAM (default: your IAM user name)
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
    /// A device of that name exists but is not enabled: use it (it is already
    /// in your authenticator app)
    #[arg(long, conflicts_with = "replace")]
    pub reuse: bool,
    /// A device of that name exists but is not enabled: delete it and create a new one
    #[arg(long)]
    pub replace: bool,
}

/// The candidates for `--profile`: never an error on a TAB, at worst nothing.
fn profile_candidates() -> Vec<clap_complete::CompletionCandidate> {
    crate::aws::profile::names()
        .unwrap_or_default()
        .into_iter()
        .map(clap_complete::CompletionCandidate::new)
        .collect()
}
