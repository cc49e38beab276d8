//! `awsesh doctor`: one line per check, with a fix for each failure.
//!
//! What only the shell knows comes from the shell function `awsesh`, which
//! sets these for this one call: `AWSESH_HOOK` (the shell whose script is
//! loaded), `AWSESH_HOOK_REGISTERED` (`yes`/`no`: the hook is still where the
//! shell calls it), `AWSESH_HOOK_CMD` and `AWSESH_HOOK_CMD_IS` (what the
//! wrapped command's name runs: `wrapper`, `alias`, `function`, …) and
//! `AWSESH_HOOK_PROFILE_EXPORTED` (`yes`/`no`: whether programs started from
//! the shell see AWS_PROFILE, which the function hands awsesh either way).

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

    /// Something that does not stop awsesh but makes programs bypass it.
    fn warn(&mut self, what: &str, fix: &str) {
        self.out.push_str(&format!("WARN  {what} — fix: {fix}\n"));
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
        "xonsh" => Some(Shell::Xonsh),
        "elvish" => Some(Shell::Elvish),
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
    for (what, fix) in environment_warnings(var) {
        report.warn(&what, &fix);
    }

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
                Shell::Xonsh => (
                    "the prompt hook is no longer an on_pre_prompt handler (removed after the init line)",
                    "move the `execx($(awsesh init xonsh), ...)` line to the end of ~/.xonshrc",
                ),
                Shell::Elvish => (
                    "the prompt hook is no longer in edit:before-readline (set again after the init line)",
                    "move `eval (awsesh init elvish | slurp)` below the line that sets edit:before-readline, or append to it instead of replacing it",
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

/// Variables in the environment that make an SDK started from this shell
/// use something else than the session's keys, each with what to do.
/// (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_* and the like come
/// after the keys in every SDK's chain: not reported.)
fn environment_warnings(var: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let mut warnings = Vec::new();
    let Some(key) = var("AWS_ACCESS_KEY_ID") else {
        return warnings;
    };
    let key = printable(&key);
    if var("AWSESH_PROFILE").is_none() {
        warnings.push((
            format!("AWS_ACCESS_KEY_ID ({key}) was exported by hand, not by awsesh: programs use those keys, not a session"),
            "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN (the next prompt loads the session)".to_string(),
        ));
    }
    // The shell function hands awsesh the profile even where it keeps it
    // from other programs; without the function, the environment says.
    let profile_exported = match var("AWSESH_HOOK_PROFILE_EXPORTED").as_deref() {
        Some(answer) => answer == "yes",
        None => var("AWS_PROFILE").is_some(),
    };
    if profile_exported && var("AWS_SECRET_ACCESS_KEY").is_some() {
        let profile = printable(&var("AWS_PROFILE").unwrap_or_default());
        // xonsh, elvish and nushell have no unexported environment variables.
        let fix = match var("AWSESH_HOOK").as_deref() {
            Some(shell @ ("xonsh" | "elvish" | "nushell")) => format!(
                "{shell} exports every variable, AWS_PROFILE too: run such programs as `awsesh exec -- CMD`, which gives them the session without the profile"
            ),
            _ => "stop exporting it (bash `export -n AWS_PROFILE`, zsh `typeset +x AWS_PROFILE`, fish `set -gu AWS_PROFILE $AWS_PROFILE`; the bash, zsh and fish hooks do this at each prompt)".to_string(),
        };
        warnings.push((
            format!("AWS_PROFILE ({profile}) is exported alongside the keys: the AWS SDK for JavaScript v3 (and CDK) and the .NET SDK use the profile and ignore the keys"),
            fix,
        ));
    }
    if let Some(old) = var("AWS_SECURITY_TOKEN")
        && var("AWS_SESSION_TOKEN").as_deref() != Some(old.as_str())
    {
        warnings.push((
            "AWS_SECURITY_TOKEN is set and is not the session's token: botocore (the AWS CLI, boto3) reads it before AWS_SESSION_TOKEN".to_string(),
            "unset AWS_SECURITY_TOKEN".to_string(),
        ));
    }
    warnings
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
    let device = profile
        .mfa_serial
        .as_ref()
        .or(keys_profile.mfa_serial.as_ref());
    match device {
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
    // Whose key it is: STS's answer, else what the keyring item recorded.
    let (key_arn, online) = match checked {
        Ok((endpoint, arn)) => {
            report.ok(&format!("STS at {endpoint} answers ({arn})"));
            (Some(arn), true)
        }
        Err(e) => {
            report.error(&e);
            (recorded_arn(keys_profile, &keys), false)
        }
    };
    if let (Some(device), Some(key_arn)) = (device, key_arn) {
        let owner = Owner {
            key_arn: &key_arn,
            device,
            online,
        };
        check_key_owns_device(&runtime, keys_profile, &keys, &owner, report);
    }
}

/// The IAM user recorded with the profile's keyring key (`keys add`), if
/// the key doctor found is that one.
fn recorded_arn(profile: &Profile, keys: &LongTermKeys) -> Option<String> {
    let entry = crate::keys::index::find(&profile.name).ok().flatten()?;
    (entry.access_key_id == keys.access_key_id)
        .then_some(entry.arn)
        .flatten()
}

/// A key of another identity than the profile's MFA device: sessions would
/// fail with AccessDenied at every code. Only a device not named after the
/// key's user costs an IAM call (the user's own devices).
struct Owner<'a> {
    /// The IAM user of the profile's key.
    key_arn: &'a str,
    /// The profile's `mfa_serial`.
    device: &'a str,
    /// Whether AWS answered: offline, no IAM call is tried.
    online: bool,
}

fn check_key_owns_device(
    runtime: &tokio::runtime::Runtime,
    profile: &Profile,
    keys: &LongTermKeys,
    owner: &Owner,
    report: &mut Report,
) {
    use crate::keys::identity::{Match, compare};
    let Owner {
        key_arn,
        device,
        online,
    } = *owner;
    let shown = printable(&profile.name);
    let fix = format!(
        "the profile's key is another identity's than its device: add the right key with `awsesh keys add --replace --profile {p}`, or fix mfa_serial in [{}]",
        crate::session::discovery::section_of(&shown),
        p = crate::sys::text::shell_word(&profile.name)
    );
    let what = |why: &str| {
        format!(
            "key {} of profile {shown} is {}'s, but its MFA device {} {why}",
            keys.access_key_id,
            printable(key_arn),
            printable(device)
        )
    };
    match compare(key_arn, device) {
        Match::Same | Match::Unknown => {}
        Match::OtherAccount {
            device: account, ..
        } => {
            report.fail(&what(&format!("is in another account ({account})")), &fix);
        }
        Match::OtherName if !online => report.ok(&what(
            "is named after another user; AWS did not answer, so whose it is could not be checked",
        )),
        Match::OtherName => {
            let found = runtime.block_on(crate::aws::sts::list_mfa_devices(
                &profile.name,
                profile.region_or_default(),
                keys.credentials(),
                profile.ca_bundle.as_deref(),
            ));
            match found {
                Ok(found) if found.serials.iter().any(|s| s == device) => {}
                Ok(_) => report.fail(&what("is not one of that user's devices"), &fix),
                Err(_) => report.ok(&what(
                    "is named after another user; IAM could not list the user's devices to tell whose it is",
                )),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings_for(env: &[(&str, &str)]) -> Vec<String> {
        let get = |name: &str| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        environment_warnings(get)
            .into_iter()
            .map(|(what, _)| what)
            .collect()
    }

    const SESSION: [(&str, &str); 4] = [
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_SESSION_TOKEN", "t"),
        ("AWSESH_PROFILE", "work"),
    ];

    #[test]
    fn a_session_without_exported_profile_is_quiet() {
        assert!(warnings_for(&SESSION).is_empty());
        let hidden = [
            &SESSION[..],
            &[
                ("AWS_PROFILE", "work"),
                ("AWSESH_HOOK_PROFILE_EXPORTED", "no"),
            ],
        ]
        .concat();
        assert!(warnings_for(&hidden).is_empty());
        assert!(warnings_for(&[("AWS_PROFILE", "work")]).is_empty());
    }

    #[test]
    fn each_variable_that_makes_an_sdk_bypass_the_session_is_named() {
        let exported = [&SESSION[..], &[("AWS_PROFILE", "work")]].concat();
        let w = warnings_for(&exported);
        assert!(w.len() == 1 && w[0].contains("JavaScript"), "{w:?}");
        let told = [
            &SESSION[..],
            &[
                ("AWS_PROFILE", "work"),
                ("AWSESH_HOOK_PROFILE_EXPORTED", "yes"),
            ],
        ]
        .concat();
        assert_eq!(warnings_for(&told).len(), 1);
        // xonsh, elvish and nushell export every variable: the fix is
        // another way to run the programs.
        for shell in ["xonsh", "elvish", "nushell"] {
            let env = [&exported[..], &[("AWSESH_HOOK", shell)]].concat();
            let get = |name: &str| {
                env.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            };
            let fixes: Vec<String> = environment_warnings(get)
                .into_iter()
                .map(|(_, fix)| fix)
                .collect();
            assert!(
                fixes.len() == 1
                    && fixes[0].starts_with(shell)
                    && fixes[0].contains("`awsesh exec -- CMD`")
                    && !fixes[0].contains("export -n"),
                "{shell}: {fixes:?}"
            );
        }
        let stale = [&SESSION[..], &[("AWS_SECURITY_TOKEN", "old")]].concat();
        let w = warnings_for(&stale);
        assert!(w.len() == 1 && w[0].contains("AWS_SECURITY_TOKEN"), "{w:?}");
        let by_hand = [
            ("AWS_ACCESS_KEY_ID", "AKIA\u{1b}[31m"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ];
        let w = warnings_for(&by_hand);
        assert!(
            w.len() == 1 && w[0].contains("by hand") && !w[0].contains('\u{1b}'),
            "{w:?}"
        );
    }
}
