//! The man pages, from the same clap definitions as `--help` (clap_mangen):
//! awsesh(1) with the ENVIRONMENT, FILES and EXIT STATUS sections, and one
//! page per visible subcommand (awsesh-login(1), awsesh-keys-add(1), …).
//! Packagers take the copies checked in under `man/`, which
//! `tests/packaging.rs` keeps equal to what this prints; regenerate them with
//! `cargo run -q -- man-pages man`.

use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::{Cli, ManPagesArgs};
use crate::sys::error::{Error, Result};

/// The pages' date (mandoc needs one); bump it when their text changes for a release.
const DATE: &str = "2026-12-04";

/// Variables awsesh reads, as docs/commands.md lists them.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AWS_PROFILE",
        "The profile, when --profile is not given (else `default`).",
    ),
    (
        "AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE",
        "The AWS config and credentials files (default ~/.aws/config and ~/.aws/credentials).",
    ),
    (
        "AWSESH_REFRESH_MARGIN",
        "Refresh this long before expiry (5m by default; 600, 10m, 1h30m).",
    ),
    ("AWSESH_MFA_CODE, TOTP_CODE", "The MFA code, for scripts."),
    (
        "AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_IAM",
        "Another STS or IAM endpoint (e.g. moto); must start with http:// or https://.",
    ),
    (
        "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY",
        "The proxy for STS and IAM (lower case too).",
    ),
    (
        "AWS_CA_BUNDLE",
        "A PEM bundle to trust instead of the system roots (wins over the profile's ca_bundle).",
    ),
    (
        "AWS_REGION, AWS_DEFAULT_REGION",
        "The region STS is called in (else the profile's, else its partition's).",
    ),
    (
        "AWSESH_MFA_PROCESS_TIMEOUT, AWSESH_CREDENTIAL_PROCESS_TIMEOUT",
        "Deadlines of the profile's mfa_process and credential_process (60s by default).",
    ),
    (
        "AWSESH_DESKTOP_PROMPT",
        "1 asks for the code in a desktop dialog when there is no terminal, 0 never \
         (wins over the profile's awsesh_desktop_prompt).",
    ),
    (
        "AWSESH_KEYRING_TIMEOUT",
        "How long to wait for the OS keyring, e.g. an unlock dialog (20s by default).",
    ),
    (
        "AWSESH_ROTATE_TIMEOUT",
        "How long keys rotate waits for STS to accept a new key (60s by default).",
    ),
    (
        "XDG_RUNTIME_DIR",
        "Where sessions live ($XDG_RUNTIME_DIR/awsesh; without it ${TMPDIR:-/tmp}/awsesh-UID).",
    ),
    (
        "XDG_CONFIG_HOME",
        "Where awsesh keeps its own settings (default ~/.config).",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "~/.aws/config, ~/.aws/credentials",
        "The profiles, read with the AWS SDKs' own parser; awsesh edits them only when asked \
         (keys add --migrate, keys rotate, mfa enroll, setup).",
    ),
    (
        "$XDG_RUNTIME_DIR/awsesh/",
        "The cached sessions (p-NAME.session), their locks and failure records; \
         a private directory (0700, files 0600).",
    ),
    (
        "$XDG_CONFIG_HOME/awsesh/keyring.json",
        "The profiles whose keys are in the OS keyring, with their access key ids (no secrets).",
    ),
    (
        "$XDG_CONFIG_HOME/awsesh/mfa-devices.json",
        "MFA devices found through IAM, by profile and access key id.",
    ),
];

/// As docs/commands.md ("Exit status") lists them.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success; for status, a valid session."),
    (
        "1",
        "An error; the one line on stderr says what went wrong and what to do.",
    ),
    (
        "2",
        "A wrong command line: unknown flag, missing value, invalid choice.",
    ),
    (
        "3",
        "The profile is not awsesh's: it signs in through SSO, credential_source, a web \
         identity or aws login, or its keys already are a session.",
    ),
    (
        "4",
        "No session, or an expired one, where one was only looked up (status, env without --ensure).",
    ),
    (
        "130",
        "Cancelled: Ctrl-C at any moment of a refresh, Ctrl-D or Cancel at the prompt.",
    ),
];

pub fn run(args: ManPagesArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::io(format!("cannot create {}", args.dir.display()), e))?;
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    collect(&root, &mut pages);
    for command in &pages {
        let man = Man::new(command.clone())
            .date(DATE)
            .source(format!("awsesh {}", env!("CARGO_PKG_VERSION")))
            .manual("awsesh manual");
        let mut page = Vec::new();
        render(&man, command, &mut page).map_err(|e| Error::io("cannot render a man page", e))?;
        let path = args.dir.join(man.get_filename());
        write(&path, tidy(&String::from_utf8_lossy(&page)).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The command and every visible subcommand, depth first.
fn collect(command: &clap::Command, pages: &mut Vec<clap::Command>) {
    pages.push(command.clone());
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
}

fn render(man: &Man, command: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let is_root = command.get_bin_name() == Some("awsesh") || command.get_name() == "awsesh";
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    let mut roff = Roff::new();
    if is_root {
        definitions(&mut roff, "ENVIRONMENT", ENVIRONMENT);
        definitions(&mut roff, "FILES", FILES);
        definitions(&mut roff, "EXIT STATUS", EXIT_STATUS);
    }
    see_also(&mut roff, command, is_root);
    roff.to_writer(out)?;
    if is_root {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// clap_mangen puts a blank line (a paragraph break) next to the `.br` in
/// front of a flag's "Possible values"; mandoc -Tlint warns about each pair.
fn tidy(page: &str) -> String {
    page.replace("\n.br\n\n.br\n", "\n.br\n")
        .replace("\n\n.br\n", "\n.br\n")
        .replace("\n.br\n\n", "\n.br\n")
}

fn definitions(roff: &mut Roff, title: &str, items: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (term, text) in items {
        roff.control("TP", []);
        roff.text([bold(*term)]);
        roff.text([roman(*text)]);
    }
}

fn see_also(roff: &mut Roff, command: &clap::Command, is_root: bool) {
    roff.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = Vec::new();
    if is_root {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            refs.push(format!("awsesh-{}(1)", sub.get_name()));
        }
    } else {
        refs.push("awsesh(1)".to_string());
    }
    refs.push("aws(1)".to_string());
    let text = refs.join(", ");
    roff.text([roman(format!(
        "{text}. The reference: docs/ in the source, or /usr/share/doc/awsesh."
    ))]);
}

fn write(path: &Path, page: &[u8]) -> Result<()> {
    std::fs::write(path, page).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}
