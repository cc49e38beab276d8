//! The errors a user can meet. Each renders as one line: what went wrong and
//! what to do. Secrets never appear in them.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "profile `{profile}` is not in {config} or {credentials}, so it is not configured{similar}; add it with `awsesh setup --profile {arg}`, or list the configured ones with `awsesh status --all`",
        arg = crate::sys::text::shell_word(profile)
    )]
    NoSuchProfile {
        profile: String,
        config: String,
        credentials: String,
        /// ` (did you mean `prod`?)`, or empty.
        similar: String,
    },

    #[error(
        "profile `{profile}` has no long-term keys ({detail}); add them with `awsesh keys add --profile {profile}` (or `awsesh setup --profile {profile}` for a new profile)"
    )]
    NoLongTermKeys { profile: String, detail: String },

    #[error(
        "profile `{profile}` has no `mfa_serial` and IAM could not tell its MFA device ({detail}); add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME` to [{section}] in {config}"
    )]
    DiscoveryFailed {
        profile: String,
        detail: String,
        section: String,
        config: String,
    },

    #[error(
        "profile `{profile}` has no `mfa_serial` and IAM user {user} has no MFA device; enroll one with `awsesh mfa enroll --profile {profile}` and run the command again"
    )]
    NoMfaDevice { profile: String, user: String },

    #[error(
        "profile `{profile}` has no `mfa_serial` and IAM user {user} has several MFA devices ({devices}); choose one by adding `mfa_serial = <one of them>` to [{section}] in {config}"
    )]
    SeveralMfaDevices {
        profile: String,
        user: String,
        devices: String,
        section: String,
        config: String,
    },

    #[error("role profile `{profile}`: {problem}; fix [{section}] in {config}")]
    RoleConfig {
        profile: String,
        problem: String,
        section: String,
        config: String,
    },

    #[error(
        "cannot assume role {role_arn} for profile `{profile}` with the MFA session of profile `{source_profile}`: {detail}; check the role's trust policy, or start a new session with `awsesh login --force --profile {source_profile}`"
    )]
    RoleRefused {
        profile: String,
        role_arn: String,
        source_profile: String,
        detail: String,
    },

    #[error(
        "AWS rejected the MFA code for {device}: {message}; wait for the next code and try again"
    )]
    CodeRejected { device: String, message: String },

    /// A request that got no answer (the code, if any, never reached AWS).
    #[error("{0}")]
    Unreachable(String),

    /// The network settings themselves are wrong (endpoint URL, CA bundle).
    #[error("{0}")]
    Network(String),

    #[error("{service} refused the request: {detail}")]
    Sts {
        service: &'static str,
        detail: String,
    },

    #[error(
        "{service} rejected the long-term keys ({detail}); check them with `aws configure list`, or replace them (`aws configure`)"
    )]
    KeysRejected {
        service: &'static str,
        detail: String,
    },

    #[error("cannot read the AWS config files ({0})")]
    Config(String),

    #[error("profile `{profile}`: `{key}` {detail}; fix it in your AWS config")]
    ProcessFailed {
        profile: String,
        key: &'static str,
        detail: String,
    },

    #[error("{0}")]
    BadMargin(String),

    #[error("STS returned credentials that fail validation ({0}); nothing was saved")]
    BadCredentials(&'static str),

    #[error("the MFA code must be exactly 6 digits; try again")]
    BadCodeFormat,

    #[error(
        "this MFA code was already used in the last 90 seconds; AWS rejects reused codes, wait for the next one"
    )]
    CodeReused,

    #[error(
        "no terminal to ask for the MFA code of profile `{profile}`; run `awsesh login --profile {profile}` in a terminal first, or set `mfa_process` for the profile (or pass --token-code / AWSESH_MFA_CODE)"
    )]
    NoTerminal { profile: String },

    #[error(
        "no valid MFA code after {attempts} tries (a code is 6 digits, e.g. 123456 or 123 456); run the command again to start over, e.g. `awsesh login --profile {profile}`"
    )]
    GaveUp { profile: String, attempts: u32 },

    #[error("cancelled")]
    Cancelled,

    #[error(
        "another terminal's refresh of this session just failed ({0}); fix that first, then run the command again"
    )]
    PeerFailed(String),

    #[error(
        "no valid session for profile `{0}`; start one with `awsesh login --profile {arg}`",
        arg = crate::sys::text::shell_word(.0)
    )]
    NoSession(String),

    #[error(
        "unsafe runtime directory {path}: {reason}; remove it or fix it with `chmod 700` (it must be a directory owned by uid {uid}, not a symlink)"
    )]
    UnsafeDir {
        path: PathBuf,
        reason: String,
        uid: u32,
    },

    #[error("unsafe file {path}: {reason}; remove it")]
    UnsafeFile { path: PathBuf, reason: String },

    #[error(
        "invalid duration `{0}`: use e.g. `12h`, `90m`, `1h30m` or seconds, between 15m and 36h"
    )]
    BadDuration(String),

    #[error("invalid profile name `{0}`: it is empty or too long")]
    BadProfileName(String),

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("cannot run `{program}`: {source}; check that it is installed and on PATH")]
    Exec {
        program: String,
        source: std::io::Error,
    },

    #[error(
        "profile `{profile}` signs in through `{key}`, not long-term keys and an MFA code; use it with `command aws` or the AWS CLI's own sign-in"
    )]
    NotForAwsesh { profile: String, key: &'static str },

    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The profile signs in another way; the shell wrapper runs the command untouched on it.
    pub const EXIT_NOT_AWSESH: u8 = 3;
    /// No valid session (none, or expired) where one was only looked up.
    pub const EXIT_NO_SESSION: u8 = 4;

    /// Exit status, as the README's table says: 1 an error, 3 not awsesh's
    /// profile, 4 no or expired session, 130 cancelled (as a shell reports
    /// Ctrl-C), 126/127 a command `exec` cannot run or find. (2, a wrong
    /// command line, is clap's.)
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Cancelled => 130,
            Error::NotForAwsesh { .. } => Self::EXIT_NOT_AWSESH,
            Error::NoSession(_) => Self::EXIT_NO_SESSION,
            // As a shell reports a command it cannot find (127) or run (126).
            Error::Exec { source, .. } if source.kind() == std::io::ErrorKind::NotFound => 127,
            Error::Exec { .. } => 126,
            _ => 1,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// An I/O error in words, without the `(os error N)` tail.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "not found".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "it is a directory".into(),
        _ => {
            let text = e.to_string();
            match text.split_once(" (os error") {
                Some((words, _)) => words.to_string(),
                None => text,
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
