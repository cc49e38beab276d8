//! Adding a profile's long-term keys to the OS keyring: checked with STS,
//! stored and read back, then taken out of the plaintext files (migrate) or
//! the profile made known to the AWS CLI. Used by `keys add` and `setup`.

use crate::keys::item::{AwsFiles, Item};
use crate::keys::{Keys, files, index, keyring};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// What to do when the keyring already holds another IAM user's key (or a
/// key whose user cannot be told) for the profile and these AWS files.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Replace {
    /// Ask on the terminal (default no); without one, refuse naming --replace.
    Ask,
    /// `--replace`: replace it, saying so.
    Yes,
}

/// `add_keys_with` asking before another identity's key is replaced.
pub fn add_keys(profile: &str, keys: &Keys, migrate: bool) -> Result<()> {
    add_keys_with(profile, keys, migrate, Replace::Ask)
}

/// Checks the keys with STS, stores them in the keyring (read back), then
/// removes the plaintext lines (`migrate`) or makes sure the AWS CLI knows
/// the profile. Nothing is removed unless the keyring gave the keys back.
pub fn add_keys_with(profile: &str, keys: &Keys, migrate: bool, replace: Replace) -> Result<()> {
    let kept_where = if migrate {
        "they stay in the file, where awsesh and the AWS CLI keep using them"
    } else {
        "nothing was stored; keep them in ~/.aws/credentials (`aws configure`) or a credential_process instead"
    };
    if !files::profile_exists(profile)? && !crate::aws::ini_edit::valid_profile_name(profile) {
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
    if migrate {
        // Before anything is stored: a second key in the files stops it.
        files::check_removable(profile, &keys.access_key_id)?;
    }
    let arn = crate::aws::iam::verify(profile, keys)?;
    check_replacing(profile, keys, &arn, replace, kept_where)?;
    store_in_keyring(profile, keys, &arn, kept_where)?;
    let p = printable(profile);
    if migrate {
        for path in files::remove(profile, &keys.access_key_id)? {
            crate::sys::text::say(&format!(
                "removed the key lines of profile {p} from {}",
                path.display()
            ));
        }
    } else {
        files::ensure_profile_exists(profile)?;
        if let Some(plain) = files::find(profile)? {
            crate::sys::text::say(&format!(
                "{} still holds a plaintext key ({}) for profile {p}, which awsesh no longer uses; delete its lines",
                plain.path.display(),
                plain.access_key_id
            ));
        }
    }
    crate::sys::text::say(&format!(
        "the key {} of {} is in the OS keyring for profile {p}; awsesh uses it for every session of {p}",
        keys.access_key_id,
        printable(&arn)
    ));
    Ok(())
}

/// The key the profile has in the keyring for these AWS files, if it is
/// another identity's: ask (on a terminal), refuse (without one) or, with
/// `--replace`, go on. The same key again, or a new key of the same IAM user
/// (a rotation done in the console), is not a question.
fn check_replacing(
    profile: &str,
    keys: &Keys,
    arn: &str,
    replace: Replace,
    kept_where: &str,
) -> Result<()> {
    let p = printable(profile);
    let held = crate::keys::current(profile)?.map_err(|why| {
        Error::Other(format!(
            "cannot keep the keys of profile `{p}` in the OS keyring: {why}; {kept_where}"
        ))
    })?;
    let Some((_, held)) = held else {
        return Ok(());
    };
    let old_id = held.keys.access_key_id.clone();
    if old_id == keys.access_key_id {
        return Ok(());
    }
    // Who the old key is: recorded when it was stored, else asked of STS
    // (an item of an earlier awsesh records nobody). A key STS refuses is
    // nobody's we can name.
    let old_arn = held
        .arn
        .clone()
        .or_else(|| crate::aws::iam::verify(profile, &held.keys).ok());
    if old_arn.as_deref() == Some(arn) {
        return Ok(());
    }
    let old_who = old_arn.as_deref().map_or_else(
        || "an IAM user STS does not name (a deleted key?)".to_string(),
        printable,
    );
    let both = format!(
        "the OS keyring holds key {old_id} of {old_who} for profile {p}; the new key {} is {}",
        keys.access_key_id,
        printable(arn)
    );
    match replace {
        Replace::Yes => {
            crate::sys::text::say(&format!("{both}: replacing it (--replace)"));
            Ok(())
        }
        Replace::Ask => {
            let refused = || {
                Error::Other(format!(
                    "{both}; nothing was changed (run `awsesh keys add --replace --profile {}` to replace it)",
                    crate::sys::text::shell_word(profile)
                ))
            };
            let Some(mut tty) = crate::sys::terminal::open_tty() else {
                return Err(refused());
            };
            let question = format!(
                "awsesh: {both}.\nReplace key {old_id} with {}?",
                keys.access_key_id
            );
            if crate::keys::input::confirm(&mut tty, &question)? {
                Ok(())
            } else {
                Err(Error::Other(format!(
                    "kept key {old_id} for profile {p}; nothing was changed"
                )))
            }
        }
    }
}

/// Stores the keys in the item of the AWS files in use and reads them back
/// before anything else is changed.
fn store_in_keyring(profile: &str, keys: &Keys, arn: &str, kept_where: &str) -> Result<()> {
    let fail = |why: &dyn std::fmt::Display| {
        Error::Other(format!(
            "cannot keep the keys of profile `{}` in the OS keyring: {why}; {kept_where}",
            printable(profile)
        ))
    };
    let files = AwsFiles::current();
    let item = Item::ForFiles {
        profile: profile.to_string(),
        files: files.clone(),
    };
    keyring::set(&item, keys, Some(arn)).map_err(|why| fail(&why))?;
    match keyring::get(&item) {
        Ok(Some(back)) if crate::keys::same(&back.keys, keys) => {}
        Ok(_) => return Err(fail(&"it did not give the keys back")),
        Err(why) => return Err(fail(&why)),
    }
    index::put(profile, &files, &keys.access_key_id, Some(arn))
}
