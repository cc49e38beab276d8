//! Long-term keys: kept in the OS keyring (`keyring`), one item per profile
//! and set of AWS files (`item`), tracked in a small index so that profiles
//! without keyring keys never touch the keyring (`index`), checked against
//! the profile's MFA device (`identity`), moved out of or rewritten in the plaintext AWS files
//! (`files`), typed or piped in (`input`), and added (`add`). Rotation is
//! `iam_user/rotate.rs`.
//!
//! Only the refresh path (`sts::load_long_term`) and the `keys`, `mfa` and
//! `setup` commands come here; `prompt`, `env`, `status` and the shell hook
//! never do.

pub mod add;
pub mod files;
pub mod identity;
pub mod index;
pub mod input;
pub mod item;
pub mod keyring;

pub use crate::aws::access_key::Keys;

use item::{AwsFiles, Item};

use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;
use crate::sys::text::printable;

/// The profile's keys from the OS keyring: `Ok(None)` when the profile does
/// not keep its keys there (then aws-config's profile provider reads the
/// files or `credential_process`). Bounded by AWSESH_KEYRING_TIMEOUT.
pub fn lookup(profile: &str) -> Result<Option<(String, Secret)>> {
    let Some(entry) = index::find(profile)? else {
        return Ok(None);
    };
    match held(&entry) {
        Ok(Some((_, held))) => Ok(Some((held.keys.access_key_id, held.keys.secret_access_key))),
        Ok(None) => Err(missing(&entry)),
        Err(why) => Err(unavailable(profile, &why)),
    }
}

/// The one-line error for an index entry whose keys the keyring lacks.
fn missing(entry: &index::Entry) -> Error {
    let p = printable(&entry.profile);
    let add = format!(
        "add your key again with `awsesh keys add --profile {}`",
        crate::sys::text::shell_word(&entry.profile)
    );
    if entry.is_legacy()
        && let Ok(Some(other)) = keyring::get(&entry.item())
    {
        return Error::Other(format!(
            "profile `{p}` keeps its key {} in the OS keyring, but the item an earlier awsesh made for it now holds key {} (other AWS files on this keyring replaced it), which is not used here; {add}",
            entry.access_key_id, other.keys.access_key_id
        ));
    }
    Error::Other(format!(
        "profile `{p}` keeps its keys in the OS keyring, but the keyring has no item for it (removed by another program?); {add}"
    ))
}

/// The keys an index entry stands for, and the item that now holds them. A
/// legacy entry (written by an earlier awsesh, keyed by the profile alone)
/// is adopted: its keys are copied into the item of the AWS files in use,
/// read back, and the entry rewritten. The legacy item itself is left as it
/// is — other AWS files on this keyring may still use it, and a secret is
/// never dropped on the way. A failed adoption still serves the keys. A
/// legacy item holding another key than the entry recorded was overwritten
/// by other AWS files: it is not these files' (None).
pub fn held(
    entry: &index::Entry,
) -> std::result::Result<Option<(Item, keyring::Held)>, keyring::Unavailable> {
    if !entry.is_legacy() {
        let item = entry.item();
        return Ok(keyring::get(&item)?.map(|held| (item, held)));
    }
    let own = Item::current(&entry.profile);
    if let Some(held) = keyring::get(&own)? {
        return Ok(Some((own, held)));
    }
    let legacy = entry.item();
    let Some(held) = keyring::get(&legacy)? else {
        return Ok(None);
    };
    if held.keys.access_key_id != entry.access_key_id {
        // Another set of AWS files overwrote the item with its own key (the
        // bug this item layout ends): that key is not this profile's here.
        return Ok(None);
    }
    let files = AwsFiles::current();
    let copied = keyring::set(&own, &held.keys, held.arn.as_deref()).is_ok()
        && matches!(keyring::get(&own), Ok(Some(back)) if same(&back.keys, &held.keys));
    if copied
        && index::put(
            &entry.profile,
            &files,
            &held.keys.access_key_id,
            held.arn.as_deref(),
        )
        .is_ok()
    {
        return Ok(Some((own, held)));
    }
    Ok(Some((legacy, held)))
}

/// The item and keys the profile uses with the AWS files in use now: its
/// index entry's, else an item of these files the index lost track of (a
/// run killed between storing the item and recording it). The outer error
/// is the index's, the inner one the keyring's.
pub fn current(
    profile: &str,
) -> Result<std::result::Result<Option<(Item, keyring::Held)>, keyring::Unavailable>> {
    if let Some(entry) = index::find(profile)? {
        return Ok(held(&entry));
    }
    let own = Item::current(profile);
    Ok(keyring::get(&own).map(|held| held.map(|held| (own, held))))
}

/// The one-line error for a keyring that cannot serve a profile's keys.
pub fn unavailable(profile: &str, why: &keyring::Unavailable) -> Error {
    Error::Other(format!(
        "profile `{}` keeps its keys in the OS keyring, but {why}; then run the command again",
        printable(profile)
    ))
}

/// Where a profile's long-term keys are.
pub enum Location {
    Keyring(index::Entry),
    File(files::Plaintext),
    /// A `credential_process` (or nothing awsesh can see).
    Elsewhere,
}

pub fn locate(profile: &str) -> Result<Location> {
    if let Some(entry) = index::find(profile)? {
        return Ok(Location::Keyring(entry));
    }
    Ok(match files::find(profile)? {
        Some(plain) => Location::File(plain),
        None => Location::Elsewhere,
    })
}

/// Whether two keys are the same key (id and secret).
pub fn same(a: &Keys, b: &Keys) -> bool {
    a.access_key_id == b.access_key_id && a.secret_access_key == b.secret_access_key
}
