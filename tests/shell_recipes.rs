//! The README's recipes, as a user types them, in real bash, zsh and fish on
//! a pseudo-terminal with the real AWS CLI against moto.
//!
//! `[profile work-sdk] credential_process = awsesh credential-process
//! --profile default` gives SDKs (and the AWS CLI) the shared session. Its
//! keys are a session, so the `aws` wrapper passes it through as typed: the
//! AWS CLI runs the credential_process, which asks for the code on the
//! terminal once, and never signs with the long-term keys.

mod support;
#[path = "support/term.rs"]
mod term;

use std::fs;

use support::{BIN, Moto, Sandbox};
use term::{Sh, Term, write_rc};

fn setup(sh: Sh) -> Option<&'static Moto> {
    term::setup(sh, &["aws"])
}

const IDENTITY: &str = "sts get-caller-identity --output json";

fn the_work_sdk_recipe_works_through_the_wrapper(sh: Sh) {
    let Some(moto) = setup(sh) else { return };
    let sb = Sandbox::new(moto);
    // `awsesh` on PATH under its own name, as the recipe calls it.
    let bin = sb.path("bin");
    fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(BIN, bin.join("awsesh")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    sb.append_config(
        "[profile work-sdk]\nregion = us-east-1\ncredential_process = awsesh credential-process --profile default\n",
    );
    let rc = write_rc(&sb, sh, "", 1, "");
    let mut t = Term::start(&sb, sh, &rc, &[("PATH", &path)]);

    // Inline profile: the CLI's own credential_process asks for the code.
    let inline = match sh {
        Sh::Fish => format!("env AWS_PROFILE=work-sdk aws {IDENTITY}"),
        _ => format!("AWS_PROFILE=work-sdk aws {IDENTITY}"),
    };
    let n = t.type_cmd(&inline);
    t.expect("MFA code");
    t.send_line("246810");
    let (status, out, _) = t.finish(n);
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(out.contains("\"Arn\""), "{}: {out}", sh.name());
    assert!(
        !out.contains("awsesh: ") || out.contains("MFA code"),
        "{}: the wrapper said something: {out}",
        sh.name()
    );

    // `--profile work-sdk`: the session is cached now, no second code.
    let (status, out, _) = t.run(&format!("aws --profile work-sdk {IDENTITY}"));
    assert_eq!(status, 0, "{}: {out}", sh.name());
    assert!(out.contains("\"Arn\""), "{}: {out}", sh.name());
    assert!(
        !out.contains("MFA code"),
        "{}: asked again: {out}",
        sh.name()
    );

    // One session, started by awsesh; the AWS CLI never signed with the
    // long-term keys.
    assert_eq!(moto.count_calls("GetSessionToken", &sb.access_key_id), 1);
    assert_eq!(
        moto.count_cli_calls("GetCallerIdentity", &sb.access_key_id),
        0,
        "{}: the AWS CLI used the long-term keys",
        sh.name()
    );
    // The shell is on `default`: at its prompt it picked up the session
    // the recipe started for `default` — its own profile's, nothing else.
    assert_eq!(t.var("AWSESH_PROFILE"), "default", "{}", sh.name());
    assert_eq!(t.var("AWS_PROFILE"), "", "{}", sh.name());
}

term::per_shell! {
    the_work_sdk_recipe_works_through_the_wrapper: [Bash, Zsh, Fish];
}
