//! `awsesh keys add|list|remove|rotate`: long-term keys in the OS keyring.
//! Messages go to stderr; only `list` writes to stdout (a table to read or
//! parse). No command here ever prints a secret access key.

use std::process::ExitCode;

use crate::cli::{KeysAddArgs, KeysCommand, KeysRemoveArgs, KeysRotateArgs};
use crate::keys::add::Replace;
use crate::keys::item::{AwsFiles, Item};
use crate::keys::{Keys, files, index, input, keyring};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

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
                crate::aws::profile::credentials_path().display(),
                crate::aws::profile::config_path().display(),
                p = printable(profile)
            ))),
        };
    }
    if stdin_is_terminal() {
        let mut tty = crate::sys::terminal::open_tty().ok_or_else(|| Error::NoTerminal {
            profile: printable(profile),
        })?;
        input::from_terminal(&mut tty, profile)
    } else {
        input::from_reader(std::io::stdin().lock())
    }
}

fn add(args: KeysAddArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    crate::store::key_for(&profile)?;
    let keys = keys_to_add(&profile, args.migrate)?;
    let replace = if args.replace {
        Replace::Yes
    } else {
        Replace::Ask
    };
    crate::keys::add::add_keys_with(&profile, &keys, args.migrate, replace)?;
    Ok(ExitCode::SUCCESS)
}

fn list() -> Result<ExitCode> {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut problem = None;
    for entry in index::entries_here()? {
        let where_ = match crate::keys::held(&entry) {
            Ok(Some((_, held))) if held.keys.access_key_id == entry.access_key_id => {
                "OS keyring".to_string()
            }
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
        crate::sys::text::say(&why.to_string());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(args: KeysRemoveArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    let p = printable(&profile);
    let Some(entry) = index::find(&profile)? else {
        return Err(Error::Other(format!(
            "profile `{p}` has no keys in the OS keyring; `awsesh keys list` shows where each profile's keys are"
        )));
    };
    let cannot = |why: &dyn std::fmt::Display| {
        Error::Other(format!(
            "cannot remove the keys of profile `{p}` from the OS keyring: {why}; nothing was changed"
        ))
    };
    let (item, arn) = match crate::keys::held(&entry).map_err(|why| cannot(&why))? {
        Some((item, held)) => (item, held.arn.or(entry.arn.clone())),
        None => (entry.item(), entry.arn.clone()),
    };
    let id = &entry.access_key_id;
    let who = arn
        .as_deref()
        .map(|a| format!(" of {}", printable(a)))
        .unwrap_or_default();
    // A plaintext copy of the same key in the AWS files survives the removal.
    let copy = files::find(&profile)?
        .filter(|plain| plain.access_key_id == *id)
        .map(|plain| plain.path);
    let only_copy = match &copy {
        Some(path) => format!("a copy stays in {}", path.display()),
        None => "the OS keyring holds the only copy of its secret that awsesh knows of (it is in neither AWS file): once removed it is gone, though the key stays active in IAM".to_string(),
    };
    if !args.yes {
        let Some(mut tty) = crate::sys::terminal::open_tty() else {
            return Err(Error::Other(format!(
                "removing key {id} of profile {p} asks first, and there is no terminal; {only_copy}; run `awsesh keys remove --yes --profile {}` to remove it",
                crate::sys::text::shell_word(&profile)
            )));
        };
        let question = format!(
            "awsesh: {only_copy}.\nRemove key {id}{who} of profile {p} from the OS keyring?"
        );
        if !input::confirm(&mut tty, &question)? {
            return Err(Error::Other(format!(
                "kept key {id} of profile {p} in the OS keyring; nothing was changed"
            )));
        }
    }
    keyring::delete(&item).map_err(|why| cannot(&why))?;
    index::remove(&profile, &AwsFiles::current())?;
    let rest = match &copy {
        Some(path) => format!("a copy stays in {}", path.display()),
        None => {
            "the key is still active in IAM: delete it there unless you keep it elsewhere".into()
        }
    };
    crate::sys::text::say(&format!(
        "removed the key {id}{who} of profile {p} from the OS keyring; {rest}"
    ));
    if !matches!(item, Item::Legacy { .. })
        && let Ok(Some(legacy)) = keyring::get(&Item::legacy(&profile))
    {
        crate::sys::text::say(&format!(
            "the keyring also holds key {} for profile {p} in an item of an earlier awsesh (user {}), which other AWS files on this keyring may still use; it was left as it is",
            legacy.keys.access_key_id,
            Item::legacy(&profile).user().unwrap_or_default()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn rotate(args: KeysRotateArgs) -> Result<ExitCode> {
    let profile = crate::aws::profile::resolve_name(args.profile.profile.as_deref());
    crate::iam_user::rotate::run(&profile, args.code.token_code.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
