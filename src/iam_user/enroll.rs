//! `awsesh mfa enroll`: the console's "Assign MFA device" from the terminal.
//! CreateVirtualMFADevice, its QR code and Base32 secret shown on the
//! terminal only (never stdout or a log), two consecutive codes read,
//! EnableMFADevice, then `mfa_serial` pinned in the profile's section of the
//! config file with the line-preserving editor (nothing else changes).
//!
//! Signed with the profile's long-term keys: the usual "manage your own MFA"
//! policy lets a user without MFA create and enable their own device. A
//! device of the same name that exists but is not enabled (an enrollment that
//! stopped halfway) is reused or replaced with the user's consent.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use crate::aws::iam::{self, AwsError, Clients};
use crate::aws::ini_edit::{self, FileKind};
use crate::aws::profile::Profile;
use crate::keys::input::read_line;
use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;
use crate::sys::text::printable;

/// What enrollment found or did.
pub enum Outcome {
    /// The profile already names an enabled device of the user.
    AlreadyPinned(String),
    /// The user had one device; it is now pinned.
    Pinned(String),
    /// A device was enabled and pinned.
    Enrolled(String),
}

/// What to do with a device that exists but is not enabled.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Existing {
    Ask,
    Reuse,
    Replace,
}

/// Enrolls a device for `profile` and says what happened.
pub fn run(profile: &str, device_name: Option<&str>, existing: Existing) -> Result<Outcome> {
    let outcome = enroll(profile, device_name, existing)?;
    report(profile, &outcome);
    Ok(outcome)
}

/// The one line that says what happened.
pub fn report(profile: &str, outcome: &Outcome) {
    let config = crate::aws::profile::config_path();
    let section = crate::session::discovery::section_of(&printable(profile));
    match outcome {
        Outcome::AlreadyPinned(serial) => crate::sys::text::say(&format!(
            "profile {} already uses MFA device {serial}; nothing to do",
            printable(profile)
        )),
        Outcome::Pinned(serial) => crate::sys::text::say(&format!(
            "your IAM user already has MFA device {serial}; pinned it as mfa_serial in [{section}] of {}",
            config.display()
        )),
        Outcome::Enrolled(serial) => crate::sys::text::say(&format!(
            "MFA device {serial} is enabled and pinned as mfa_serial in [{section}] of {}; `awsesh login --profile {}` asks for its codes from now on",
            config.display(),
            printable(profile)
        )),
    }
}

/// Adds (or replaces) `mfa_serial` in the profile's config section, every
/// other byte of the file unchanged.
pub fn pin_mfa_serial(profile: &str, serial: &str) -> Result<PathBuf> {
    let path = crate::aws::profile::config_path();
    ini_edit::edit(&path, FileKind::Config, |doc| {
        doc.set(profile, "mfa_serial", serial)?;
        Ok(true)
    })?;
    Ok(path)
}

fn fail(what: &str, e: &AwsError) -> Error {
    Error::Other(format!("{what} ({e})"))
}

/// A device name IAM accepts.
fn valid_device_name(name: &str) -> bool {
    (1..=226).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

pub fn enroll(profile: &str, device_name: Option<&str>, existing: Existing) -> Result<Outcome> {
    let p = printable(profile);
    let loaded = Profile::load(profile)?;
    if loaded.role_arn.is_some() {
        let source = loaded
            .source_profile
            .as_deref()
            .unwrap_or("its source profile");
        return Err(Error::Other(format!(
            "profile `{p}` is a role; enroll the MFA device of its source profile with `awsesh mfa enroll --profile {}`",
            printable(source)
        )));
    }
    let runtime = iam::runtime()?;
    let keys = crate::session::longterm::load(&loaded)?;
    let clients = runtime.block_on(iam::clients(
        profile,
        loaded.region_or_default(),
        keys.credentials(),
    ))?;
    let arn = runtime
        .block_on(iam::caller_arn(&clients.sts))
        .map_err(|e| fail(&format!("AWS did not accept the keys of profile `{p}`"), &e))?;
    let user = iam::user_name_from_arn(&arn).ok_or_else(|| {
        Error::Other(format!(
            "the keys of profile `{p}` belong to {}, not an IAM user; enroll its MFA device in the console",
            printable(&arn)
        ))
    })?;
    let account = iam::account_from_arn(&arn).unwrap_or_default();

    // A device the user already has: pinned, or pinned now.
    let devices: Vec<String> = runtime
        .block_on(iam::list_mfa_devices(&clients.iam, &user))
        .map_err(|e| {
            fail(
                &format!("IAM could not list the MFA devices of user {user}"),
                &e,
            )
        })?
        .into_iter()
        .filter(|s| !s.contains(":u2f/"))
        .collect();
    if let Some(pinned) = &loaded.mfa_serial
        && devices.contains(pinned)
    {
        return Ok(Outcome::AlreadyPinned(pinned.clone()));
    }
    match devices.as_slice() {
        [] => {}
        [one] => {
            pin_mfa_serial(profile, one)?;
            return Ok(Outcome::Pinned(one.clone()));
        }
        several => {
            return Err(Error::Other(format!(
                "IAM user {user} already has several MFA devices ({}); pin one with `mfa_serial = …` in [{}] of {}",
                several.join(", "),
                crate::session::discovery::section_of(&p),
                crate::aws::profile::config_path().display()
            )));
        }
    }

    let name = device_name.unwrap_or(&user).to_string();
    if !valid_device_name(&name) {
        return Err(Error::Other(format!(
            "`{}` cannot name an MFA device: use letters, digits and +=,.@_-",
            printable(&name)
        )));
    }
    let mut tty = crate::sys::terminal::open_tty().ok_or_else(|| {
        Error::Other(
            "enrolling an MFA device shows a QR code and reads two codes: run `awsesh mfa enroll` in a terminal".into(),
        )
    })?;

    // The seed is shown on the alternate screen, left (and so wiped from
    // the terminal) once the device is enabled or the command stops.
    let mut screen: Option<SeedScreen> = None;
    let mut key: Option<Secret> = None;
    let serial = match runtime.block_on(iam::create_virtual_mfa_device(&clients.iam, &name)) {
        Ok(device) => {
            screen = Some(SeedScreen::enter(&tty)?);
            key = Some(show(&mut tty, &device.seed, &user, &account)?);
            device.serial
        }
        Err(e) if e.is("EntityAlreadyExists") => {
            let serial = format!("arn:aws:iam::{account}:mfa/{name}");
            // Listing may be denied; then enabling or deleting will tell.
            if let Ok(false) = runtime.block_on(iam::unassigned_device(&clients.iam, &serial)) {
                return Err(Error::Other(format!(
                    "an MFA device named {} already exists and is in use by another IAM user; choose another name with --device-name",
                    printable(&name)
                )));
            }
            match choose(&mut tty, &name, existing)? {
                Existing::Replace => {
                    runtime
                        .block_on(iam::delete_virtual_mfa_device(&clients.iam, &serial))
                        .map_err(|e| {
                            fail(&format!("cannot delete the MFA device {serial}; choose another name with --device-name"), &e)
                        })?;
                    let device = runtime
                        .block_on(iam::create_virtual_mfa_device(&clients.iam, &name))
                        .map_err(|e| fail("IAM refused to create the MFA device", &e))?;
                    screen = Some(SeedScreen::enter(&tty)?);
                    key = Some(show(&mut tty, &device.seed, &user, &account)?);
                    device.serial
                }
                _ => serial,
            }
        }
        Err(e) => return Err(fail("IAM refused to create a virtual MFA device", &e)),
    };

    let (code1, code2) = two_codes(&mut tty, key.as_ref())?;
    let enabled = enable(&runtime, &clients, &user, &serial, &code1, &code2);
    drop(screen);
    enabled?;
    pin_mfa_serial(profile, &serial)?;
    Ok(Outcome::Enrolled(serial))
}

fn enable(
    runtime: &tokio::runtime::Runtime,
    clients: &Clients,
    user: &str,
    serial: &str,
    code1: &str,
    code2: &str,
) -> Result<()> {
    let outcome = runtime.block_on(iam::enable_mfa_device(
        &clients.iam,
        user,
        serial,
        code1,
        code2,
    ));
    // Codes IAM has seen are spent, as codes sent to STS are: the session
    // started right after (setup, a first login) must not send one again.
    let reached = outcome.as_ref().err().is_none_or(|e| e.code.is_some());
    if reached && let Ok(store) = crate::store::Store::open() {
        crate::mfa::remember_used(&store, serial, code1);
        crate::mfa::remember_used(&store, serial, code2);
    }
    outcome.map_err(|e| {
            if e.is("InvalidAuthenticationCode") {
                fail(
                    &format!(
                        "AWS rejected the two codes for {serial}: check the phone's clock, then run `awsesh mfa enroll --reuse` and type two new consecutive codes"
                    ),
                    &e,
                )
            } else {
                fail(
                    &format!(
                        "IAM refused to enable {serial}; the device exists but is not enabled: run `awsesh mfa enroll --reuse` to try again"
                    ),
                    &e,
                )
            }
        })
}

/// Asks whether to reuse or replace a device that is not enabled.
fn choose(tty: &mut File, name: &str, existing: Existing) -> Result<Existing> {
    if existing != Existing::Ask {
        return Ok(existing);
    }
    let _ = writeln!(
        tty,
        "awsesh: an MFA device named {} exists in IAM but is not enabled (an enrollment that stopped halfway?).\n  r  reuse it: it is already in your authenticator app\n  n  replace it: delete it and show a new QR code\n  q  stop",
        printable(name)
    );
    loop {
        let answer = read_line(tty, "Reuse, new or quit? [r/n/q] ", true)?;
        match answer.trim() {
            "r" | "R" => return Ok(Existing::Reuse),
            "n" | "N" => return Ok(Existing::Replace),
            "q" | "Q" => return Err(Error::Cancelled),
            _ => {}
        }
    }
}

/// `otpauth://` as the IAM console encodes it, for authenticator apps.
fn otpauth_uri(seed: &str, user: &str, account: &str) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let issuer = encode("Amazon Web Services");
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}",
        encode(&format!("{user}@{account}")),
        encode(seed)
    )
}

/// The terminal's alternate screen while the seed is on it: when dropped,
/// the screen is cleared and the main screen comes back, so neither the QR
/// code nor the key stays on the terminal or in its scrollback.
struct SeedScreen {
    tty: File,
}

/// xterm's alternate screen on (cursor home, cleared) and off.
const ALTERNATE_SCREEN: &str = "\x1b[?1049h\x1b[H\x1b[2J";
const MAIN_SCREEN: &str = "\x1b[H\x1b[2J\x1b[?1049l";

impl SeedScreen {
    fn enter(tty: &File) -> Result<SeedScreen> {
        let mut tty = tty
            .try_clone()
            .map_err(|e| Error::io("cannot write to the terminal", e))?;
        tty.write_all(ALTERNATE_SCREEN.as_bytes())
            .and_then(|()| tty.flush())
            .map_err(|e| Error::io("cannot write to the terminal", e))?;
        Ok(SeedScreen { tty })
    }
}

impl Drop for SeedScreen {
    fn drop(&mut self) {
        let _ = self.tty.write_all(MAIN_SCREEN.as_bytes());
        let _ = self.tty.flush();
    }
}

/// What the user types at a code prompt to see the key again.
const SHOW_KEY: &str = "k";

/// The QR code on the terminal only; returns the key to type by hand
/// (grouped by four), which is shown only when asked for.
fn show(tty: &mut File, seed: &Secret, user: &str, account: &str) -> Result<Secret> {
    let uri = Secret::new(otpauth_uri(seed.expose(), user, account));
    let code = qrcode::QrCode::new(uri.expose().as_bytes())
        .map_err(|e| Error::Other(format!("cannot draw the QR code: {e}")))?;
    // Inverted, so that it scans on dark terminals too (light modules on a
    // dark background read as a normal code once the quiet zone is light).
    let picture = code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    let grouped: Vec<String> = seed
        .expose()
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    write!(
        tty,
        "Scan this QR code with your authenticator app (Google Authenticator, 1Password, Authy, …):\n\n{picture}\n\nCannot scan it? Type {SHOW_KEY} at the prompt to show the key to enter by hand.\nThe code and the key leave the screen once the device is enabled.\n\n"
    )
    .and_then(|()| tty.flush())
    .map_err(|e| Error::io("cannot write to the terminal", e))?;
    Ok(Secret::new(grouped.join(" ")))
}

/// Two consecutive codes, each six digits, the second different; `k`
/// shows the key (when there is one) instead.
fn two_codes(tty: &mut File, key: Option<&Secret>) -> Result<(String, String)> {
    let ask = |tty: &mut File, prompt: &str| -> Result<String> {
        loop {
            let typed = read_line(tty, prompt, true)?;
            if let Some(key) = key.filter(|_| typed.trim() == SHOW_KEY) {
                let _ = writeln!(
                    tty,
                    "Enter this key by hand (time-based, 6 digits): {}",
                    key.expose()
                );
                continue;
            }
            match crate::mfa::validate(&typed) {
                Ok(code) => return Ok(code),
                Err(_) => {
                    let _ = writeln!(tty, "awsesh: the MFA code is 6 digits; try again");
                }
            }
        }
    };
    let first = ask(tty, "First MFA code from the app: ")?;
    loop {
        let second = ask(tty, "Next MFA code (wait until the app shows a new one): ")?;
        if second != first {
            return Ok((first, second));
        }
        let _ = writeln!(tty, "awsesh: that is the same code; wait for the next one");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_otpauth_uri_is_the_consoles() {
        assert_eq!(
            otpauth_uri("ABCD2345", "alice+ops", "123456789012"),
            "otpauth://totp/Amazon%20Web%20Services:alice%2Bops%40123456789012?secret=ABCD2345&issuer=Amazon%20Web%20Services"
        );
    }

    #[test]
    fn device_names_are_checked() {
        assert!(valid_device_name("alice.ops@corp"));
        assert!(!valid_device_name("a/b"));
        assert!(!valid_device_name(""));
        assert!(!valid_device_name("$(id)"));
    }
}
