//! The OS keyring: Secret Service over D-Bus on Linux (zbus, pure Rust), the
//! Keychain on macOS, both through `keyring-core`. One item per profile and
//! set of AWS files (`item.rs`): service `awsesh`, user the profile's escaped
//! name and the files' tag, secret a small JSON document with the access key
//! id, the secret access key, the IAM user's ARN and the files.
//!
//! Every call runs on a thread of its own with a deadline: a locked keyring
//! whose unlock dialog nobody answers must not hang a refresh. Errors are one
//! line and never carry the secret (keyring-core's errors may hold the raw
//! bytes in `Debug`; only chosen words of their `Display` are used).

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};

use super::Keys;
use super::item::Item;
use crate::sys::secret::Secret;

const SERVICE: &str = "awsesh";
/// Long enough to type a password into an unlock dialog.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// `AWSESH_KEYRING_TIMEOUT` (e.g. `5s`, `1m`), default 20 s.
fn timeout() -> Duration {
    std::env::var("AWSESH_KEYRING_TIMEOUT")
        .ok()
        .and_then(|t| crate::sys::duration::parse(&t).ok())
        .filter(|secs| *secs > 0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}

/// Why the keyring could not be used, in words a user can act on.
#[derive(Debug)]
pub enum Unavailable {
    /// No keyring service at all (no D-Bus session bus, no Secret Service).
    Missing(String),
    /// Locked, or no default collection (WSL), or access refused.
    Locked(String),
    /// No answer before the deadline.
    TimedOut(u64),
    /// Several items match this profile (made by another program).
    Ambiguous,
    /// Anything else the platform reported.
    Failed(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Missing(detail) => write!(
                f,
                "no OS keyring is available ({detail}): awsesh needs a Secret Service (GNOME Keyring, KWallet, KeePassXC) on the D-Bus session bus, which servers, containers and WSL usually lack"
            ),
            Unavailable::Locked(detail) => write!(
                f,
                "the OS keyring is locked or has no default collection ({detail}); unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock`)"
            ),
            Unavailable::TimedOut(secs) => write!(
                f,
                "the OS keyring did not answer within {secs} s (locked, with an unlock dialog nobody answered?); unlock it, or set AWSESH_KEYRING_TIMEOUT to wait longer"
            ),
            Unavailable::Ambiguous => write!(
                f,
                "the OS keyring holds several items for this profile under service `{SERVICE}`; remove them with your keyring manager (seahorse, Keychain Access)"
            ),
            Unavailable::Failed(detail) => write!(f, "the OS keyring failed: {detail}"),
        }
    }
}

/// One line of a platform error, cleaned and cut short.
fn detail(err: &dyn std::error::Error) -> String {
    let mut current: &dyn std::error::Error = err;
    while let Some(source) = current.source() {
        current = source;
    }
    let text = current.to_string();
    let line = crate::sys::text::printable(text.lines().next().unwrap_or(""));
    line.chars().take(160).collect()
}

fn map_error(err: keyring_core::Error) -> Unavailable {
    use keyring_core::Error as E;
    match &err {
        E::NoStorageAccess(inner) => Unavailable::Locked(detail(inner.as_ref())),
        E::PlatformFailure(inner) => Unavailable::Failed(detail(inner.as_ref())),
        E::Ambiguous(_) => Unavailable::Ambiguous,
        // BadEncoding and BadDataFormat hold the raw secret: never shown.
        E::BadEncoding(_) | E::BadDataFormat(..) => {
            Unavailable::Failed("the stored item is not awsesh's".into())
        }
        _ => Unavailable::Failed(crate::sys::text::printable(&err.to_string())),
    }
}

/// Keys as they are kept in the keyring. Version 2 adds who the key is
/// (the IAM user's ARN, when known) and which AWS files the item is for, so
/// the item describes itself on any platform.
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credentials_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_file: Option<String>,
}

/// What an item holds: the keys and, when recorded, the IAM user's ARN.
pub struct Held {
    pub keys: Keys,
    pub arn: Option<String>,
}

#[cfg(target_os = "linux")]
fn open_store() -> Result<Arc<CredentialStore>, Unavailable> {
    // zbus falls back to $XDG_RUNTIME_DIR/bus; say plainly when neither is there.
    let address = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").filter(|a| !a.is_empty());
    let default_bus = std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| std::path::Path::new(&d).join("bus"))
        .is_some_and(|p| p.exists());
    if address.is_none() && !default_bus {
        return Err(Unavailable::Missing(
            "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set".into(),
        ));
    }
    // Connecting is where a missing bus or Secret Service shows.
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(keyring_core::Error::PlatformFailure(inner)) => {
            Err(Unavailable::Missing(detail(inner.as_ref())))
        }
        Err(other) => Err(map_error(other)),
    }
}

#[cfg(target_os = "macos")]
fn open_store() -> Result<Arc<CredentialStore>, Unavailable> {
    match apple_native_keyring_store::keychain::Store::new() {
        Ok(store) => Ok(store),
        Err(err) => Err(Unavailable::Missing(crate::sys::text::printable(
            &err.to_string(),
        ))),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn open_store() -> Result<Arc<CredentialStore>, Unavailable> {
    Err(Unavailable::Missing(
        "no keyring support on this platform".into(),
    ))
}

fn entry(store: &Arc<CredentialStore>, user: &str, label: &str) -> keyring_core::Result<Entry> {
    if cfg!(target_os = "linux") {
        let modifiers = std::collections::HashMap::from([("label", label)]);
        Entry::new_in_store_with_modifiers(store, SERVICE, user, &modifiers)
    } else {
        Entry::new_in_store(store, SERVICE, user)
    }
}

/// Runs `work` against the keyring on a thread of its own, giving up at the
/// deadline (the thread is left behind; the process ends soon after).
fn with_deadline<T: Send + 'static>(
    work: impl FnOnce(Arc<CredentialStore>) -> Result<T, Unavailable> + Send + 'static,
) -> Result<T, Unavailable> {
    let limit = timeout();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(open_store().and_then(work));
        })
        .map_err(|e| Unavailable::Failed(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(_) => Err(Unavailable::TimedOut(limit.as_secs())),
    }
}

fn user_of(item: &Item) -> Result<String, Unavailable> {
    item.user().map_err(|e| Unavailable::Failed(e.to_string()))
}

/// The item's keys, or None when the keyring has no such item.
pub fn get(item: &Item) -> Result<Option<Held>, Unavailable> {
    let user = user_of(item)?;
    let label = item.label();
    with_deadline(move |store| {
        let entry = entry(&store, &user, &label).map_err(map_error)?;
        let text = match entry.get_password() {
            Ok(text) => text,
            Err(keyring_core::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(map_error(e)),
        };
        let stored: Stored = serde_json::from_str(&text)
            .map_err(|_| Unavailable::Failed("the stored item is not awsesh's".into()))?;
        Ok(Some(Held {
            keys: Keys {
                access_key_id: stored.access_key_id,
                secret_access_key: Secret::new(stored.secret_access_key),
            },
            arn: stored.arn,
        }))
    })
}

/// Stores (or replaces) the item's keys, with the IAM user's ARN if known.
/// On the Secret Service the files and the access key id (not secrets) are
/// also set as attributes, for keyring managers and `secret-tool search`.
pub fn set(item: &Item, keys: &Keys, arn: Option<&str>) -> Result<(), Unavailable> {
    let user = user_of(item)?;
    let label = item.label();
    let files = item.files().cloned();
    let text = serde_json::to_string(&Stored {
        version: 2,
        access_key_id: keys.access_key_id.clone(),
        secret_access_key: keys.secret_access_key.expose().to_string(),
        arn: arn.map(str::to_string),
        credentials_file: files.as_ref().map(|f| f.credentials.clone()),
        config_file: files.as_ref().map(|f| f.config.clone()),
    })
    .map_err(|e| Unavailable::Failed(e.to_string()))?;
    let text = Secret::new(text);
    let access_key_id = keys.access_key_id.clone();
    with_deadline(move |store| {
        let entry = entry(&store, &user, &label).map_err(map_error)?;
        entry.set_password(text.expose()).map_err(map_error)?;
        if cfg!(target_os = "linux")
            && let Some(files) = files
        {
            let attributes = std::collections::HashMap::from([
                ("aws_credentials_file", files.credentials.as_str()),
                ("aws_config_file", files.config.as_str()),
                ("aws_access_key_id", access_key_id.as_str()),
            ]);
            // For people and keyring managers only (lookups go by user
            // name): a store that refuses them still holds the keys.
            let _ = entry.update_attributes(&attributes);
        }
        Ok(())
    })
}

/// Deletes the item; Ok(false) when there was none.
pub fn delete(item: &Item) -> Result<bool, Unavailable> {
    let user = user_of(item)?;
    let label = item.label();
    with_deadline(move |store| {
        let entry = entry(&store, &user, &label).map_err(map_error)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    })
}

/// Whether a keyring can be reached at all (for `setup` and `doctor`).
pub fn probe() -> Result<(), Unavailable> {
    with_deadline(|_store| Ok(()))
}
