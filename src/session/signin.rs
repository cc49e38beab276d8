//! The sessions awsesh keeps for sign-ins other than keys plus a code:
//! IAM Identity Center role credentials (`sso_session` / `sso_start_url`)
//! and `aws login` credentials (`login_session`). `refresh.rs` runs them
//! under the same protocol as MFA sessions (lock, re-read, failures shared);
//! this file starts one once the lock is held:
//!
//! 1. the SDK's provider renews the token if it is due (rewriting the CLI's
//!    cache) and hands out credentials; the SSO token itself is renewed
//!    under a second lock, on the sso-session, so two profiles on one
//!    session never race on its rotating refresh token;
//! 2. when the token cannot be renewed, the sign-in happens on the terminal
//!    (the device authorization flow for SSO, `aws login` for a login
//!    session), then step 1 again; without a terminal, one line says what
//!    to run, at once.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::aws::profile::Profile;
use crate::aws::sso::{self, Failure};
use crate::aws::sts::Issued;
use crate::session::kind::{LoginSession, SsoSession};
use crate::session::start::{Context, runtime};
use crate::store::session::Session;
use crate::sys::cancel;
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// How long `aws login` may take on the terminal (a browser sign-in).
const AWS_LOGIN_DEADLINE: Duration = Duration::from_secs(600);

/// Role credentials for an SSO profile, signing in on the terminal when the
/// token cannot be renewed.
pub fn start_sso(cx: &Context, sso: &SsoSession, terminal: bool) -> Result<Session> {
    let runtime = runtime()?;
    let ca_bundle = sso.profile.ca_bundle.as_deref();
    let store = cx.store;
    // The token's own lock: profiles sharing one sso-session renew it one
    // at a time (the profile's lock is already held by refresh.rs).
    let token_lock_name = format!(
        "sso-session {}",
        sso.settings
            .session_name
            .as_deref()
            .unwrap_or(&sso.settings.start_url)
    );
    let attempt = |activity: &str| -> std::result::Result<Issued, Failure> {
        (cx.activity)(activity);
        let _token_lock = crate::store::lock::acquire(&store.lock_path(&token_lock_name)?, |_| {})?;
        cancel::check()?;
        runtime.block_on(async {
            match cancel::or_cancel(async {
                Ok(sso::role_credentials(&sso.settings, ca_bundle).await)
            })
            .await
            {
                Ok(result) => result,
                Err(e) => Err(Failure::Other(e)),
            }
        })
    };
    let issued = match attempt(
        "renewing the IAM Identity Center token and getting role credentials",
    ) {
        Ok(issued) => issued,
        Err(Failure::Other(e)) => return Err(e),
        Err(Failure::SignInNeeded(why)) => {
            let Some(mut tty) = terminal.then(crate::sys::terminal::open_tty).flatten() else {
                return Err(Error::Other(format!(
                    "profile `{}` needs an IAM Identity Center sign-in ({why}) and there is no terminal; run `awsesh login --profile {}` in a terminal",
                    printable(&sso.profile.name),
                    crate::sys::text::shell_word(&sso.profile.name)
                )));
            };
            (cx.activity)("waiting for the IAM Identity Center sign-in in the browser");
            runtime.block_on(cancel::or_cancel(sso::device_sign_in(
                &sso.settings,
                ca_bundle,
                |code| show_device_code(&mut tty, &sso.profile.name, code),
            )))?;
            match attempt("getting role credentials") {
                Ok(issued) => issued,
                Err(Failure::Other(e)) => return Err(e),
                Err(Failure::SignInNeeded(why)) => {
                    return Err(Error::Other(format!(
                        "IAM Identity Center refused the new sign-in for profile `{}` ({why}); check `sso_account_id` and `sso_role_name`",
                        printable(&sso.profile.name)
                    )));
                }
            }
        }
    };
    save(cx, &sso.profile, sso.marker(), issued)
}

/// `aws login` credentials, renewed by the SDK; when they cannot be, `aws
/// login --profile P` runs on the terminal (AWS CLI v2), else one line says how.
pub fn start_login(cx: &Context, login: &LoginSession, terminal: bool) -> Result<Session> {
    let runtime = runtime()?;
    let ca_bundle = login.profile.ca_bundle.as_deref();
    let region = login.profile.region_or_default();
    let attempt = |activity: &str| -> std::result::Result<Issued, Failure> {
        (cx.activity)(activity);
        runtime.block_on(async {
            match cancel::or_cancel(async {
                Ok(sso::login_credentials(&login.session_arn, &region, ca_bundle).await)
            })
            .await
            {
                Ok(result) => result,
                Err(e) => Err(Failure::Other(e)),
            }
        })
    };
    let name = printable(&login.profile.name);
    let issued = match attempt("renewing the `aws login` session") {
        Ok(issued) => issued,
        Err(Failure::Other(e)) => return Err(e),
        Err(Failure::SignInNeeded(why)) => {
            let shown = crate::sys::text::shell_word(&login.profile.name);
            let tty = terminal.then(crate::sys::terminal::open_tty).flatten();
            let how = match &tty {
                None => Some(format!(
                    "run `aws login --profile {shown}` (AWS CLI 2.32+) in a terminal"
                )),
                Some(_) if !aws_cli_v2() => Some(format!(
                    "install the AWS CLI v2 (2.32 or later) and run `aws login --profile {shown}`"
                )),
                Some(_) => None,
            };
            let (Some(tty), None) = (tty, how.as_ref()) else {
                return Err(Error::Other(format!(
                    "profile `{name}` needs `aws login` again ({why}); {}",
                    how.unwrap_or_default()
                )));
            };
            (cx.activity)("waiting for `aws login` in the browser");
            run_aws_login(&login.profile.name, tty)?;
            match attempt("reading the new `aws login` session") {
                Ok(issued) => issued,
                Err(Failure::Other(e)) => return Err(e),
                Err(Failure::SignInNeeded(why)) => {
                    return Err(Error::Other(format!(
                        "`aws login --profile {name}` left no usable session ({why}); run it again"
                    )));
                }
            }
        }
    };
    save(cx, &login.profile, login.marker(), issued)
}

fn save(cx: &Context, profile: &Profile, marker: String, issued: Issued) -> Result<Session> {
    let session = Session {
        profile: profile.name.clone(),
        mfa_serial: marker,
        source_access_key_id: String::new(),
        credentials: issued.credentials,
        expiration: issued.expiration,
        role_arn: None,
        region: Some(profile.region.clone().unwrap_or_default()),
    };
    cx.store.save(&session)?;
    Ok(session)
}

/// The URL and code on the terminal, and the browser opened on the URL.
fn show_device_code(tty: &mut std::fs::File, profile: &str, code: &sso::DeviceCode) {
    let url = code
        .verification_uri_complete
        .as_deref()
        .unwrap_or(&code.verification_uri);
    let _ = write!(
        tty,
        "awsesh: IAM Identity Center sign-in for profile {}\r\n  open {}\r\n  and confirm the code {}\r\n  (waiting for the approval; Ctrl-C to stop)\r\n",
        printable(profile),
        printable(url),
        printable(&code.user_code)
    );
    if let Some(opener) = open_browser(url) {
        let _ = write!(tty, "  (opened with {})\r\n", printable(&opener));
    }
}

/// `$BROWSER`, else `xdg-open`, else `open`, started on the URL and not
/// waited for (a browser may run for hours); reaped by a thread of its own.
/// The URL comes from IAM Identity Center and is passed as one argument.
fn open_browser(url: &str) -> Option<String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let candidates = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .into_iter()
        .chain(["xdg-open".to_string(), "open".to_string()]);
    for program in candidates {
        let spawned = std::process::Command::new(&program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if let Ok(mut child) = spawned {
            std::thread::spawn(move || child.wait());
            return Some(program);
        }
    }
    None
}

/// Whether `aws --version` says AWS CLI v2 (within 10 s).
fn aws_cli_v2() -> bool {
    let mut command = std::process::Command::new("aws");
    command.arg("--version");
    let limits = crate::sys::child::Limits {
        deadline: Duration::from_secs(10),
        max_output: 4096,
    };
    match crate::sys::child::run(command, None, &limits, &cancel::requested) {
        Ok(done) => {
            let text = [done.stdout, done.stderr].concat();
            done.status.success() && String::from_utf8_lossy(&text).starts_with("aws-cli/2")
        }
        Err(_) => false,
    }
}

/// `aws login --profile P` on the terminal, with a deadline; Ctrl-C (which
/// the terminal sends to it too) ends it and the refresh with 130.
fn run_aws_login(profile: &str, tty: std::fs::File) -> Result<()> {
    let io = |f: &std::fs::File| f.try_clone().map(std::process::Stdio::from);
    let spawn = || -> std::io::Result<std::process::Child> {
        std::process::Command::new("aws")
            .args(["login", "--profile", profile])
            .stdin(io(&tty)?)
            .stdout(io(&tty)?)
            .stderr(io(&tty)?)
            .spawn()
    };
    let mut child = spawn().map_err(|e| Error::io("cannot run `aws login`", e))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(_)) => {
                return Err(Error::Other(format!(
                    "`aws login --profile {}` failed; see its message above and run it again",
                    printable(profile)
                )));
            }
            Ok(None) => {}
            Err(e) => return Err(Error::io("cannot watch `aws login`", e)),
        }
        if cancel::requested() || started.elapsed() > AWS_LOGIN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            cancel::check()?;
            return Err(Error::Other(
                "`aws login` did not finish within 10 minutes; run it again".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `status` and `doctor` say about a profile of these kinds: read from
/// the CLI's token cache, no network, no secret.
pub struct Report {
    /// "IAM Identity Center role R in account A" / "`aws login` as ARN".
    pub what: String,
    /// The token cache entry; None when there is none (a sign-in is needed).
    pub token: Option<sso::TokenState>,
    /// The command that signs in again.
    pub sign_in: String,
}

impl Report {
    pub fn of(profile: &Profile) -> Option<Report> {
        if profile.role_arn.is_some() {
            return None;
        }
        let name = crate::sys::text::shell_word(&profile.name);
        if let Some(s) = &profile.sso {
            return Some(Report {
                what: format!(
                    "IAM Identity Center role {} in account {} ({})",
                    printable(&s.role_name),
                    printable(&s.account_id),
                    printable(&s.start_url)
                ),
                token: sso::sso_token_state(s),
                sign_in: format!("awsesh login --profile {name}"),
            });
        }
        let arn = profile.login_session.as_ref()?;
        Some(Report {
            what: format!("`aws login` as {}", printable(arn)),
            token: sso::login_token_state(arn),
            sign_in: format!("aws login --profile {name}"),
        })
    }

    /// Whether the token can be renewed without a sign-in.
    pub fn refresh_token_valid(&self) -> bool {
        self.token.as_ref().is_some_and(|t| t.renewable)
    }

    /// One line: the token's time left and what renews it.
    pub fn token_line(&self, now: time::OffsetDateTime) -> String {
        match &self.token {
            None => format!("no token cached; sign in with `{}`", self.sign_in),
            Some(t) => {
                let left = crate::sys::duration::time_left(crate::sys::clock::seconds_left(
                    t.expires_at.unix_timestamp(),
                    now.unix_timestamp(),
                ));
                let renew = if t.renewable {
                    "refresh token valid: renewed without a sign-in".to_string()
                } else if t.expires_at > now {
                    format!(
                        "no refresh token: sign in again with `{}` when it ends",
                        self.sign_in
                    )
                } else {
                    format!("cannot be renewed: sign in with `{}`", self.sign_in)
                };
                format!("token {left} left, {renew}")
            }
        }
    }
}
