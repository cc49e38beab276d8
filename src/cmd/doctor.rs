//! `awsesh doctor`: one line per check, with a fix for each failure.

use std::process::ExitCode;

use crate::cli::DoctorArgs;
use crate::error::Result;
use crate::profile::Profile;

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
    fn error(&mut self, e: &crate::error::Error) {
        self.failed = true;
        self.out.push_str(&format!("FAIL  {e}\n"));
    }
}

pub fn run(args: DoctorArgs) -> Result<ExitCode> {
    let name = crate::profile::resolve_name(args.profile.profile.as_deref());
    let shown = crate::text::printable(&name);
    let mut report = Report {
        failed: false,
        out: String::new(),
    };

    // The shell function `awsesh` sets AWSESH_HOOK when it runs us.
    match std::env::var("AWSESH_HOOK") {
        Ok(shell) if !shell.is_empty() => report.ok(&format!("shell hook active ({})", crate::text::printable(&shell))),
        _ => report.fail(
            "shell hook not active in this shell",
            "add `eval \"$(awsesh init bash)\"` (or zsh; fish: `awsesh init fish | source`) to your rc file and open a new terminal",
        ),
    }

    match crate::store::dir::prepare() {
        Ok(dir) => report.ok(&format!("runtime directory {} is private", dir.display())),
        Err(e) => report.error(&e),
    }

    let profile = match Profile::load(&name) {
        Ok(p) => {
            report.ok(&format!("profile {shown} found"));
            Some(p)
        }
        Err(e) => {
            report.error(&e);
            None
        }
    };

    if let Some(key) = profile.as_ref().and_then(|p| p.other_sign_in) {
        report.ok(&format!(
            "profile {shown} signs in through `{key}`: awsesh leaves it to the AWS CLI"
        ));
    } else if let Some(profile) = profile {
        // A role profile's device and keys are its source profile's.
        let keys_profile = match (&profile.role_arn, &profile.source_profile) {
            (Some(role_arn), Some(source)) => {
                report.ok(&format!(
                    "role {} through source profile {}",
                    crate::text::printable(role_arn),
                    crate::text::printable(source)
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
                        crate::discovery::section_of(&shown)
                    ),
                );
                None
            }
            _ => Some(profile.clone()),
        };
        if let Some(keys_profile) = keys_profile {
            match profile.mfa_serial.as_ref().or(keys_profile.mfa_serial.as_ref()) {
                Some(device) => {
                    report.ok(&format!("MFA device {}", crate::text::printable(device)))
                }
                None => report.ok(
                    "no mfa_serial: awsesh finds the MFA device through IAM (GetUser, ListMFADevices) at the next login",
                ),
            }
            check_keys_and_endpoint(&keys_profile, &mut report);
        }
    }

    crate::cmd::emit(&report.out)?;
    Ok(if report.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn check_keys_and_endpoint(profile: &Profile, report: &mut Report) {
    let keys = match crate::longterm::load(profile) {
        Ok(keys) => {
            report.ok(&format!("long-term keys found ({})", keys.access_key_id));
            keys
        }
        Err(e) => {
            report.error(&e);
            return;
        }
    };
    let Ok(runtime) = crate::start::runtime() else {
        report.fail("cannot start the async runtime", "report a bug");
        return;
    };
    let region = profile.region_or_default();
    if let Some(partition) = profile.partition()
        && partition != crate::partition::Partition::Aws
    {
        report.ok(&format!(
            "partition {}: region {region}, endpoints under {}",
            partition.name(),
            partition.dns_suffix()
        ));
    }
    let checked = runtime.block_on(async {
        let sts = crate::sts::Sts::connect(
            &profile.name,
            region,
            keys.credentials(),
            profile.ca_bundle.as_deref(),
        )
        .await?;
        let arn = sts.caller_identity().await?;
        Ok::<_, crate::error::Error>((sts.target().endpoint.clone(), arn))
    });
    match checked {
        Ok((endpoint, arn)) => report.ok(&format!("STS at {endpoint} answers ({arn})")),
        Err(e) => report.error(&e),
    }
}
