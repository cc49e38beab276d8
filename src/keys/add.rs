//! Adding a profile's long-term keys to the OS keyring: checked with STS,
//! stored and read back, then taken out of the plaintext files (migrate) or
//! the profile made known to the AWS CLI. Used by `keys add` and `setup`.

use crate::keys::{Keys, files, index, keyring};
use crate::sys::error::{Error, Result};
use crate::sys::text::printable;

/// Checks the keys with STS, stores them in the keyring (read back), then
/// removes the plaintext lines (`migrate`) or makes sure the AWS CLI knows
/// the profile. Nothing is removed unless the keyring gave the keys back.
pub fn add_keys(profile: &str, keys: &Keys, migrate: bool) -> Result<()> {
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
    store_in_keyring(profile, keys, kept_where)?;
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

/// Stores the keys and reads them back before anything else is changed.
fn store_in_keyring(profile: &str, keys: &Keys, kept_where: &str) -> Result<()> {
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
