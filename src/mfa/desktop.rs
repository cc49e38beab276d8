//! The MFA prompt on the desktop, for programs with no terminal (an IDE's
//! AWS toolkit calling `credential_process`, the endpoint of
//! `exec --server`): a dialog from zenity or kdialog (Linux, with
//! `DISPLAY` or `WAYLAND_DISPLAY`) or osascript (macOS). Only when the user
//! opted in — `AWSESH_DESKTOP_PROMPT=1`, or `awsesh_desktop_prompt = true`
//! in the profile — since a dialog popping up from a background job is a
//! surprise otherwise. It is a code source like the terminal: the same
//! 6-digit check and retries, under the same lock, and its failures are
//! shared with the waiters the same way. Cancel is a cancel (exit 130).
//!
//! The dialog runs through `child::run`: its own process group, output
//! drained and capped, a deadline, killed with us.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::aws::profile::Profile;
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// The environment setting; it wins over the profile key either way.
pub const ENV: &str = "AWSESH_DESKTOP_PROMPT";
/// The profile key (on the profile asked for, or on the one holding the keys).
pub const KEY: &str = "awsesh_desktop_prompt";
/// How long a dialog may wait for the user (the lock is held meanwhile).
const DIALOG_TIMEOUT: Duration = Duration::from_secs(120);
const ATTEMPTS: u32 = 3;

fn truthy(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

/// Whether the user asked for the desktop prompt: the environment, else the
/// key on `profile` (whose code is asked for) or on `requested` (the
/// profile the command was given, e.g. a role on top of it).
pub fn opted_in(profile: &Profile, requested: &str) -> bool {
    if let Some(choice) = std::env::var(ENV).ok().and_then(|v| truthy(&v)) {
        return choice;
    }
    let said = |p: &Profile| p.get(KEY).and_then(|v| truthy(&v)).unwrap_or(false);
    said(profile)
        || (requested != profile.name && Profile::load_lenient(requested).is_ok_and(|p| said(&p)))
}

/// A dialog program that can be shown now.
pub enum Dialog {
    Zenity(PathBuf),
    Kdialog(PathBuf),
    Osascript(PathBuf),
}

impl Dialog {
    /// The dialog to use, or None when none can be shown (no display, no
    /// program): the caller then fails at once as without a terminal.
    pub fn find() -> Option<Dialog> {
        if cfg!(target_os = "macos") {
            let osascript = PathBuf::from("/usr/bin/osascript");
            return osascript.is_file().then_some(Dialog::Osascript(osascript));
        }
        let display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
        if !display {
            return None;
        }
        find_program("zenity")
            .map(Dialog::Zenity)
            .or_else(|| find_program("kdialog").map(Dialog::Kdialog))
    }

    /// Asks until `validate` accepts what is entered (a few times), as the
    /// terminal does.
    pub fn prompt_until_valid(
        &self,
        device: &str,
        profile: &str,
        abandon: &AtomicBool,
        validate: fn(&str) -> Result<String>,
    ) -> Result<String> {
        let question = format!(
            "MFA code for {} (profile {})",
            printable(device),
            printable(profile)
        );
        let mut text = question.clone();
        for _ in 0..ATTEMPTS {
            let answer = self.ask(&text, profile, abandon)?;
            if let Ok(code) = validate(&answer) {
                return Ok(code);
            }
            text = format!("The MFA code is 6 digits; try again (123456 or 123 456).\n{question}");
        }
        Err(Error::GaveUp {
            profile: printable(profile),
            attempts: ATTEMPTS,
        })
    }

    /// Shows the dialog once; the text typed, or Cancelled.
    fn ask(&self, text: &str, profile: &str, abandon: &AtomicBool) -> Result<String> {
        let command = self.command(text);
        let limits = crate::sys::child::Limits {
            deadline: DIALOG_TIMEOUT,
            max_output: 4096,
        };
        crate::sys::cancel::install();
        let stop = || crate::sys::cancel::requested() || abandon.load(Ordering::SeqCst);
        let failed = |detail: String| Error::ProcessFailed {
            profile: printable(profile),
            key: "awsesh_desktop_prompt",
            detail: format!("(the desktop MFA prompt) {detail}"),
        };
        let done = match crate::sys::child::run(command, None, &limits, &stop) {
            Ok(done) => done,
            Err(crate::sys::child::Failure::Cancelled) => return Err(Error::Cancelled),
            Err(crate::sys::child::Failure::TimedOut(after)) => {
                return Err(failed(format!(
                    "got no answer within {} s and was closed",
                    after.as_secs()
                )));
            }
            Err(crate::sys::child::Failure::Spawn(e)) => {
                return Err(failed(format!("could not be started ({})", e.kind())));
            }
            Err(crate::sys::child::Failure::Io(e)) => {
                return Err(failed(format!("could not be watched ({})", e.kind())));
            }
        };
        match done.status.code() {
            Some(0) => Ok(String::from_utf8_lossy(&done.stdout).into_owned()),
            // Cancel, or the window closed: what Ctrl-C is at the terminal.
            Some(1) => Err(Error::Cancelled),
            Some(code) => Err(failed(format!(
                "failed (exit status {code}): {}",
                crate::sys::child::excerpt(&done.stderr)
            ))),
            None => Err(failed("was killed by a signal".into())),
        }
    }

    fn command(&self, text: &str) -> Command {
        match self {
            Dialog::Zenity(program) => {
                let mut c = Command::new(program);
                c.args(["--entry", "--title=awsesh", "--width=420"])
                    .arg(format!("--text={}", zenity_text(text)));
                c
            }
            Dialog::Kdialog(program) => {
                let mut c = Command::new(program);
                c.args(["--title", "awsesh", "--inputbox"])
                    .arg(markup_escape(text));
                c
            }
            Dialog::Osascript(program) => {
                // The text goes in as an argument, never into the script.
                let mut c = Command::new(program);
                for line in [
                    "on run argv",
                    "display dialog (item 1 of argv) default answer \"\" with title \"awsesh\"",
                    "text returned of result",
                    "end run",
                ] {
                    c.arg("-e").arg(line);
                }
                c.arg(text);
                c
            }
        }
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Names from config files shown as plain text by dialogs that read markup.
fn markup_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// zenity reads `--text` as Pango markup with C escapes (`\n`): escape both,
/// keeping our own line breaks.
fn zenity_text(text: &str) -> String {
    markup_escape(text)
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialog_text_cannot_carry_markup_or_escapes() {
        assert_eq!(zenity_text("a<b>&\\n\nx"), "a&lt;b&gt;&amp;\\\\n\\nx");
        assert_eq!(markup_escape("<i>p</i>"), "&lt;i&gt;p&lt;/i&gt;");
    }

    #[test]
    fn settings_read_as_people_write_them() {
        for yes in ["1", "true", "Yes", " on "] {
            assert_eq!(truthy(yes), Some(true), "{yes}");
        }
        for no in ["0", "false", "NO", "off", ""] {
            assert_eq!(truthy(no), Some(false), "{no}");
        }
        assert_eq!(truthy("maybe"), None);
    }
}
