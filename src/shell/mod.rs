//! Everything a shell evaluates: quoting, export lines, init scripts, and the
//! renderings of a session shared by several commands.

pub mod exports;
pub mod init;
pub mod output;
pub mod quote;
pub mod rc_line;

use clap::ValueEnum;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    /// POSIX sh: dash, ksh, mksh, busybox sh (`init posix`, or `sh`).
    #[value(alias = "sh")]
    Posix,
    Tcsh,
    /// The script is Python; what awsesh tells it is JSON data.
    Xonsh,
    /// The session comes to it as JSON data, never as code.
    Elvish,
    /// The script is saved to a file and sourced; told everything as JSON data.
    Nushell,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Bash,
    Zsh,
    Fish,
    /// POSIX sh exports (`sh` is accepted too)
    #[value(alias = "sh")]
    Posix,
    Tcsh,
    Xonsh,
    Elvish,
    Nushell,
    Json,
}

impl OutputFormat {
    /// The shell of an output format, or None for JSON.
    pub fn shell(self) -> Option<Shell> {
        match self {
            OutputFormat::Bash => Some(Shell::Bash),
            OutputFormat::Zsh => Some(Shell::Zsh),
            OutputFormat::Fish => Some(Shell::Fish),
            OutputFormat::Posix => Some(Shell::Posix),
            OutputFormat::Tcsh => Some(Shell::Tcsh),
            OutputFormat::Xonsh => Some(Shell::Xonsh),
            OutputFormat::Elvish => Some(Shell::Elvish),
            OutputFormat::Nushell => Some(Shell::Nushell),
            OutputFormat::Json => None,
        }
    }
}
