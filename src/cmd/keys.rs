//! `awsesh keys add|list|remove|rotate`: long-term keys in the OS keyring.
//! Messages go to stderr; only `list` writes to stdout (a table to read or
//! parse). No command here ever prints a secret access key.

use std::process::ExitCode;

use crate::cli::{KeysAddArgs, KeysCommand, KeysRotateArgs, ProfileArgs};
use crate::error::{Error, Result};
use crate::keys::{Keys, files, index, input, keyring};
use crate::text::printable;

pub fn run(command: KeysCommand) -> Result<ExitCode> {
    match command {
        KeysCommand::Add(args) => add(args),
        KeysCommand::List => list(),
        KeysCommand::Remove(args) => remove(args),
        KeysCommand::Rotate(args) => rotate(args),
    }
}

fn stdin_is_terminal() -> bool {
    // SAFETY: isatty only inspects descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

/// The keys to store: from the files (--migrate), typed, or piped.
fn keys_to_add(profile: &str, migrate: bool) -> Result<Keys> {
    if migrate {
        return match files::find(profile)? {
            Some(plain) if plain.has_session_token => {
                Err(files::session_keys_error(profile, &plain.path))
            }
            Some(plain) => Ok(Keys {
                access_key_id: plain.access_key_id,
                secret_access_key: plain.secret_access_key,
            }),
            None => Err(Error::Other(format!(
                "profile `{p}` has no keys in {} or {} to move; type them with `awsesh keys add --profile {p}`",
                crate::profile::credentials_path().display(),
                crate::profile::config_path().display(),
                p = printable(profile)
            ))),
        };
    }
    if stdin_is_terminal() {
        let mut tty = crate::terminal::open_tty().ok_or_else(|| Error::NoTerminal {
            profile: printable(profile),
        })?;
        input::from_terminal(&mut tty, profile)
    } else {
        input::from_reader(std::io::stdin().lock())
    }
}

/// Stores the keys and reads them back before anything else is changed.
pub fn store_in_keyring(profile: &str, keys: &Keys, kept_where: &str) -> Result<()> {
    let fail = |why: &dyn std::fmt::Display| {
        Error::Other(format!(
            "cannot keep the keys of profile `{}` in the OS keyring: {why}; {kept_where}",
            printable(profile)
        ))
    };
    keyring::set(profile, keys).map_err(|why| fail(&why))?;
    match keyring::get(profile) {
        Ok(Some(back))
            if back.access_key_id == keys.access_key_id
                && back.secret_access_key == keys.secret_access_key => {}
        Ok(_) => return Err(fail(&"it did not give the keys back")),
        Err(why) => return Err(fail(&why)),
    }
    index::put(profile, &keys.access_key_id)
}

fn add(args: KeysAddArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
    crate::store::key_for(&profile)?;
    let keys = keys_to_add(&profile, args.migrate)?;
    add_keys(&profile, &keys, args.migrate)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks the keys with STS, stores them in the keyring (read back), then
/// removes the plaintext lines (`migrate`) or makes sure the AWS CLI knows
/// the profile. Nothing is removed unless the keyring gave the keys back.
pub fn add_keys(profile: &str, keys: &Keys, migrate: bool) -> Result<()> {
    let kept_where = if migrate {
        "they stay in the file, where awsesh and the AWS CLI keep using them"
    } else {
        "nothing was stored; keep them in ~/.aws/credentials (`aws configure`) or a credential_process instead"
    };
    if !files::profile_exists(profile)? && !crate::ini_edit::valid_profile_name(profile) {
        return Err(Error::Other(format!(
            "profile `{}` is in neither AWS file, and the AWS tools only read profile names of letters, digits and _-/.%@:+; nothing was stored",
            printable(profile)
        )));
    }
    // A missing keyring is told before any network call.
    keyring::probe().map_err(|why| {
        Error::Other(format!(
            "cannot keep the keys of profile `{}` in the OS keyring: {why}; {kept_where}",
            printable(profile)
        ))
    })?;
    let arn = crate::iam::verify(profile, keys)?;
    store_in_keyring(profile, keys, kept_where)?;
    let p = printable(profile);
    if migrate {
        for path in files::remove(profile)? {
            crate::text::say(&format!(
                "removed the key lines of profile {p} from {}",
                path.display()
            ));
        }
    } else {
        files::ensure_profile_exists(profile)?;
        if let Some(plain) = files::find(profile)? {
            crate::text::say(&format!(
                "{} still holds a plaintext key ({}) for profile {p}, which awsesh no longer uses; delete its lines",
                plain.path.display(),
                plain.access_key_id
            ));
        }
    }
    crate::text::say(&format!(
        "the key {} of {} is in the OS keyring for profile {p}; awsesh uses it for every session of {p}",
        keys.access_key_id,
        printable(&arn)
    ));
    Ok(())
}

fn list() -> Result<ExitCode> {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut problem = None;
    for entry in index::entries()? {
        let where_ = match keyring::get(&entry.profile) {
            Ok(Some(keys)) if keys.access_key_id == entry.access_key_id => "OS keyring".to_string(),
            Ok(Some(_)) => "OS keyring (another key than recorded)".to_string(),
            Ok(None) => "OS keyring (missing: add it again)".to_string(),
            Err(why) => {
                problem = Some(why.to_string());
                "OS keyring (unreachable)".to_string()
            }
        };
        rows.push((entry.profile, entry.access_key_id, where_));
    }
    for (profile, id, where_) in files::listed()? {
        if let Some(row) = rows.iter_mut().find(|(p, _, _)| *p == profile) {
            row.2
                .push_str(&format!(", unused plaintext copy in the {where_}"));
        } else {
            rows.push((profile, id, where_));
        }
    }
    rows.sort();
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!("{:width$}  {:20}  WHERE\n", "PROFILE", "ACCESS KEY ID");
    for (profile, id, where_) in &rows {
        let id = if id.is_empty() { "-" } else { id };
        out.push_str(&format!(
            "{:width$}  {id:20}  {where_}\n",
            printable(profile)
        ));
    }
    crate::cmd::emit(&out)?;
    if let Some(why) = problem {
        crate::text::say(&why.to_string());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(args: ProfileArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.as_deref());
    let p = printable(&profile);
    let Some(entry) = index::find(&profile)? else {
        return Err(Error::Other(format!(
            "profile `{p}` has no keys in the OS keyring; `awsesh keys list` shows where each profile's keys are"
        )));
    };
    keyring::delete(&profile).map_err(|why| {
        Error::Other(format!(
            "cannot remove the keys of profile `{p}` from the OS keyring: {why}; nothing was changed"
        ))
    })?;
    index::remove(&profile)?;
    crate::text::say(&format!(
        "removed the key {} of profile {p} from the OS keyring; the key is still active in IAM: delete it there unless you keep it elsewhere",
        entry.access_key_id
    ));
    Ok(ExitCode::SUCCESS)
}

fn rotate(args: KeysRotateArgs) -> Result<ExitCode> {
    let profile = crate::profile::resolve_name(args.profile.profile.as_deref());
    crate::rotate::run(&profile, args.code.token_code.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
