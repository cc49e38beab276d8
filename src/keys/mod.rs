//! Long-term keys: kept in the OS keyring (`keyring`), tracked in a small
//! index so that profiles without keyring keys never touch the keyring
//! (`index`), moved out of or rewritten in the plaintext AWS files
//! (`files`), typed or piped in (`input`), and added (`add`). Rotation is
//! `iam_user/rotate.rs`.
//!
//! Only the refresh path (`sts::load_long_term`) and the `keys`, `mfa` and
//! `setup` commands come here; `prompt`, `env`, `status` and the shell hook
//! never do.

pub mod add;
pub mod files;
pub mod index;
pub mod input;
pub mod keyring;

pub use crate::aws::access_key::Keys;

use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;
use crate::sys::text::printable;

/// The profile's keys from the OS keyring: `Ok(None)` when the profile does
/// not keep its keys there (then aws-config's profile provider reads the
/// files or `credential_process`). Bounded by AWSESH_KEYRING_TIMEOUT.
pub fn lookup(profile: &str) -> Result<Option<(String, Secret)>> {
    if index::find(profile)?.is_none() {
        return Ok(None);
    }
    match keyring::get(profile) {
        Ok(Some(keys)) => Ok(Some((keys.access_key_id, keys.secret_access_key))),
        Ok(None) => Err(Error::Other(format!(
            "profile `{p}` keeps its keys in the OS keyring, but the keyring has no item for it (removed by another program?); add them again with `awsesh keys add --profile {p}`",
            p = printable(profile)
        ))),
        Err(why) => Err(unavailable(profile, &why)),
    }
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
