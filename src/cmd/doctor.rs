//! `awsesh doctor`: one line per check, with a fix for each failure.
//!
//! What only the shell knows comes from the shell function `awsesh`, which
//! sets these for this one call: `AWSESH_HOOK` (the shell whose script is
//! loaded), `AWSESH_HOOK_REGISTERED` (`yes`/`no`: the hook is still where the
//! shell calls it), `AWSESH_HOOK_CMD` and `AWSESH_HOOK_CMD_IS` (what the
//! wrapped command's name runs: `wrapper`, `alias`, `function`, …).

use std::process::ExitCode;

use crate::aws::profile::Profile;
use crate::cli::DoctorArgs;
use crate::session::longterm::LongTermKeys;
use crate::shell::Shell;
use crate::shell::init::{init_line, name};
use crate::sys::error::Result;
use crate::sys::text::printable;

struct Report {
    failed: bool,
    out: String,
}

impl Report {
    fn ok(&mut self, what: &str) {
        self.out.push_str(&format!("ok    {what}\n"));
    }

    fn fail(&mut self, what: &str, fix: &str) {
        self.failed = true;
        self.out.push_str(&format!("FAIL  {what} — fix: {fix}\n"));
    }

    /// An awsesh error already says what to do.
    fn error(&mut self, e: &crate::sys::error::Error) {
        self.failed = true;
        self.out.push_str(&format!("FAIL  {e}\n"));
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn shell_named(name: &str) -> Option<Shell> {
    match name {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        "posix" | "dash" => Some(Shell::Posix),
        "tcsh" => Some(Shell::Tcsh),
        "nu" | "nushell" => Some(Shell::Nushell),
        _ => None,
    }
}

/// The shell that ran us, from the parent process's name (Linux).
fn parent_shell() -> Option<Shell> {
    let parent = std::os::unix::process::parent_id();
    let comm = std::fs::read_to_string(format!("/proc/{parent}/comm")).ok()?;
    shell_named(comm.trim_end())
}

pub fn run(args: DoctorArgs) -> Result<ExitCode> {
    let profile_name = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    let shown = printable(&profile_name);
    let mut report = Report {
        failed: false,
        out: String::new(),
    };

    check_shell(&mut report);
    check_default_profile(&mut report);

    match crate::store::dir::prepare() {
        Ok(dir) => report.ok(&format!("runtime directory {} is private", dir.display())),
        Err(e) => report.error(&e),
    }

    let profile = match Profile::load(&profile_name) {
        Ok(p) => {
            report.ok(&format!("profile {shown} found"));
            Some(p)
        }
        Err(e) => {
            report.error(&e);
            None
        }
    };

    let sign_in = profile
        .as_ref()
        .and_then(crate::session::signin::Report::of);
    if let Some(sign_in) = sign_in {
        // IAM Identity Center / `aws login`: awsesh's, renewed from the token.
        let now = crate::sys::clock::now();
        report.ok(&format!("profile {shown}: {}", sign_in.what));
        let line = sign_in.token_line(now);
        let usable = sign_in
            .token
            .as_ref()
            .is_some_and(|t| t.renewable || t.expires_at > now);
        if usable {
            report.ok(&line);
        } else {
            report.fail(&line, &format!("run `{}` in a terminal", sign_in.sign_in));
        }
    } else if let Some(key) = profile.as_ref().and_then(|p| p.other_sign_in) {
        report.ok(&format!(
            "profile {shown} signs in through `{key}`: awsesh leaves it to the AWS CLI"
        ));
    } else if let Some(profile) = profile
        && let Some(keys_profile) = keys_profile(&profile, &shown, &mut report)
    {
        check_keys_device_and_endpoint(&profile, &keys_profile, &mut report);
    }

    crate::cmd::emit(&report.out)?;
    Ok(if report.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The hook, as the shell that runs us has it.
fn check_shell(report: &mut Report) {
    let Some(script) = var("AWSESH_HOOK") else {
        report.fail(
            "shell hook not active in this shell",
            "add `eval \"$(awsesh init bash)\"` (or zsh; fish: `awsesh init fish | source`) to your rc file and open a new terminal",
        );
        return;
    };
    let Some(script) = shell_named(&script) else {
        report.fail(
            &format!("unknown shell hook `{}`", printable(&script)),
            "load the init line of your shell again",
        );
        return;
    };
    let script_name = name(script);
    match parent_shell() {
        Some(running) if running != script => {
            let (line, file) = init_line(running);
            report.fail(
                &format!("the {script_name} script is loaded in {}", name(running)),
                &format!("put `{line}` in {file} instead of the {script_name} line"),
            );
            return;
        }
        _ => report.ok(&format!("shell hook active ({script_name})")),
    }
    // Older scripts do not say; then there is nothing more to check.
    match var("AWSESH_HOOK_REGISTERED").as_deref() {
        Some("no") => {
            let (what, fix) = match script {
                Shell::Bash => (
                    "the prompt hook is no longer in PROMPT_COMMAND (set again after the init line)",
                    "move the init line below the line that sets PROMPT_COMMAND, or append to it (`PROMPT_COMMAND+=(...)`) instead of replacing it",
                ),
                Shell::Zsh => (
                    "the prompt hook is no longer in precmd_functions (reset after the init line)",
                    "move the init line below whatever sets precmd_functions, or add to it (`add-zsh-hook precmd ...`) instead of replacing it",
                ),
                Shell::Fish => (
                    "the prompt hook is no longer a fish_prompt handler (_awsesh_hook was erased after the init line)",
                    "move `awsesh init fish | source` to the end of config.fish",
                ),
                Shell::Tcsh => (
                    "the prompt hook is no longer in the precmd alias (set again after the init line)",
                    "move the init line below the line that sets `alias precmd`",
                ),
                Shell::Nushell => (
                    "the prompt hook is no longer in $env.config.hooks.pre_prompt (set again after the source line)",
                    "move `source ~/.awsesh.nu` to the end of config.nu, or append to pre_prompt instead of replacing it",
                ),
                // The POSIX script has no hook to lose (it never says `no`).
                Shell::Posix => (
                    "the prompt segment is no longer in PS1 (set again after the init line)",
                    "move `eval \"$(awsesh init posix)\"` below the line that sets PS1",
                ),
            };
            report.fail(what, fix);
        }
        Some(_) => report.ok("prompt hook registered"),
        None => {}
    }
    let cmd = var("AWSESH_HOOK_CMD")
        .map(|c| printable(&c))
        .unwrap_or_else(|| "aws".to_string());
    match var("AWSESH_HOOK_CMD_IS").as_deref() {
        None => {}
        Some("wrapper") => report.ok(&format!("`{cmd}` runs the awsesh wrapper")),
        Some(kind) => {
            let what = match kind {
                "alias" => format!("`{cmd}` is an alias, so the awsesh wrapper never runs"),
                "function" => format!("`{cmd}` is another shell function, not the awsesh wrapper"),
                other => format!(
                    "`{cmd}` runs a {} and not the awsesh wrapper",
                    printable(other)
                ),
            };
            let (line, _) = init_line(script);
            report.fail(
                &what,
                &format!(
                    "remove the `{cmd}` alias or function defined after `{line}` in your rc file (or move the init line below it), then open a new terminal"
                ),
            );
        }
    }
}

/// botocore reads AWS_DEFAULT_PROFILE before AWS_PROFILE: when they differ,
/// the AWS CLI and awsesh mean different profiles.
fn check_default_profile(report: &mut Report) {
    let Some(default) = var("AWS_DEFAULT_PROFILE") else {
        return;
    };
    let profile = var("AWS_PROFILE");
    if profile.as_deref() == Some(default.as_str()) {
        return;
    }
    let ours = profile.as_deref().unwrap_or("default");
    report.fail(
        &format!(
            "AWS_DEFAULT_PROFILE is {} but awsesh uses AWS_PROFILE ({}), and the AWS CLI prefers AWS_DEFAULT_PROFILE",
            printable(&default),
            printable(ours)
        ),
        "unset AWS_DEFAULT_PROFILE, or set AWS_PROFILE to the same profile",
    );
}

/// The profile whose long-term keys and device a session of `profile` uses:
/// itself, or a role profile's source profile.
fn keys_profile(profile: &Profile, shown: &str, report: &mut Report) -> Option<Profile> {
    match (&profile.role_arn, &profile.source_profile) {
        (Some(role_arn), Some(source)) => {
            report.ok(&format!(
                "role {} through source profile {}",
                printable(role_arn),
                printable(source)
            ));
            match Profile::load(source) {
                Ok(source) => Some(source),
                Err(e) => {
                    report.error(&e);
                    None
                }
            }
        }
        (Some(_), None) => {
            report.fail(
                &format!("role profile {shown} has no source_profile"),
                &format!(
                    "add `source_profile = NAME` (a profile with long-term keys) to [{}]",
                    crate::session::discovery::section_of(shown)
                ),
            );
            None
        }
        _ => Some(profile.clone()),
    }
}

/// Where the profile's long-term keys are kept, in words, with the way to
/// the keyring when they are plaintext.
fn where_keys_live(profile: &Profile) -> String {
    match crate::keys::locate(&profile.name) {
        Ok(crate::keys::Location::Keyring(_)) => "in the OS keyring".into(),
        Ok(crate::keys::Location::File(plain)) => format!(
            "in plaintext in {} (move them to the OS keyring with `awsesh keys add --migrate --profile {}`)",
            plain.path.display(),
            crate::sys::text::shell_word(&profile.name)
        ),
        Ok(crate::keys::Location::Elsewhere) if profile.credential_process.is_some() => {
            "from the profile's credential_process".into()
        }
        Ok(crate::keys::Location::Elsewhere) | Err(_) => "where aws-config finds them".into(),
    }
}

fn check_keys_device_and_endpoint(profile: &Profile, keys_profile: &Profile, report: &mut Report) {
    let keys = match crate::session::longterm::load(keys_profile) {
        Ok(keys) => {
            report.ok(&format!(
                "long-term keys found ({}) {}",
                keys.access_key_id,
                where_keys_live(keys_profile)
            ));
            keys
        }
        // Keys that already are a session: not a failure, just not awsesh's.
        Err(crate::sys::error::Error::NotForAwsesh { key, .. }) => {
            report.ok(&format!(
                "profile {} gets a session from its `{key}` (not long-term keys): awsesh passes it through to the AWS CLI as typed",
                printable(&keys_profile.name)
            ));
            return;
        }
        Err(e) => {
            report.error(&e);
            return;
        }
    };
    let Ok(runtime) = crate::session::start::runtime() else {
        report.fail("cannot start the async runtime", "report a bug");
        return;
    };
    // A role's device may sit on the role profile or on its source profile.
    match profile
        .mfa_serial
        .as_ref()
        .or(keys_profile.mfa_serial.as_ref())
    {
        Some(device) => report.ok(&format!("MFA device {}", printable(device))),
        None => check_device_through_iam(&runtime, keys_profile, &keys, report),
    }
    let region = keys_profile.region_or_default();
    if let Some(partition) = keys_profile.partition()
        && partition != crate::aws::partition::Partition::Aws
    {
        report.ok(&format!(
            "partition {}: region {region}, endpoints under {}",
            partition.name(),
            partition.dns_suffix()
        ));
    }
    let checked = runtime.block_on(async {
        let sts = crate::aws::sts::Sts::connect(
            &keys_profile.name,
            region,
            keys.credentials(),
            keys_profile.ca_bundle.as_deref(),
        )
        .await?;
        let arn = sts.caller_identity().await?;
        Ok::<_, crate::sys::error::Error>((sts.target().endpoint.clone(), arn))
    });
    match checked {
        Ok((endpoint, arn)) => report.ok(&format!("STS at {endpoint} answers ({arn})")),
        Err(e) => report.error(&e),
    }
}

/// No `mfa_serial`: the device remembered from an earlier discovery, else
/// what IAM says now (nothing is remembered here; the next login does that).
fn check_device_through_iam(
    runtime: &tokio::runtime::Runtime,
    profile: &Profile,
    keys: &LongTermKeys,
    report: &mut Report,
) {
    let shown = printable(&profile.name);
    let section = crate::session::discovery::section_of(&shown);
    let pin = |device: &str| format!("pin it with `mfa_serial = {device}` in [{section}]");
    if let Some(device) = crate::session::discovery::remembered(&profile.name, &keys.access_key_id)
    {
        report.ok(&format!(
            "MFA device {device} (remembered: found through IAM earlier; {})",
            pin(&device)
        ));
        return;
    }
    let found = runtime.block_on(crate::aws::sts::list_mfa_devices(
        &profile.name,
        profile.region_or_default(),
        keys.credentials(),
        profile.ca_bundle.as_deref(),
    ));
    match found {
        Ok(found) => match found.serials.as_slice() {
            [] => report.fail(
                &format!(
                    "IAM user {} has no MFA device, and profile {shown} names none",
                    printable(&found.user)
                ),
                &format!(
                    "enroll one with `awsesh mfa enroll --profile {}`",
                    crate::sys::text::shell_word(&profile.name)
                ),
            ),
            [one] => report.ok(&format!(
                "MFA device {} (found through IAM; {})",
                printable(one),
                pin(&printable(one))
            )),
            several => report.fail(
                &format!(
                    "IAM user {} has several MFA devices ({})",
                    printable(&found.user),
                    printable(&several.join(", "))
                ),
                &format!("choose one with `mfa_serial = <one of them>` in [{section}]"),
            ),
        },
        Err(e) => report.fail(
            &format!(
                "profile {shown} names no MFA device and IAM could not list them: {}",
                printable(&e.to_string())
            ),
            &format!(
                "add `mfa_serial = arn:aws:iam::<account>:mfa/<name>` to [{section}], or allow iam:GetUser and iam:ListMFADevices"
            ),
        ),
    }
}
