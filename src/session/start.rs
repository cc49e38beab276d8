//! Starting one session of each kind, once `refresh.rs` holds the lock:
//! long-term keys, the device, a checked code, the STS call, the answer
//! validated and saved. While the user types the code, GetCallerIdentity
//! checks the keys and the way to STS (it needs no MFA) and leaves a warm
//! connection for the call after Enter; a failure there is reported before
//! the code is spent. Ctrl-C at any step ends the refresh and saves nothing.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::aws::profile::Profile;
use crate::aws::sts::{self, Issued, RoleRequest, Sts};
use crate::mfa::{self, CodeSource};
use crate::session::kind::MfaSession;
use crate::session::longterm;
use crate::session::role::{CHAINED_ROLE_MAX_SECS, Role};
use crate::store::Store;
use crate::store::session::Session;
use crate::sys::cancel;
use crate::sys::error::{Error, Result};

/// What the lock holder is doing, for the terminals waiting on it.
pub type Activity<'a> = &'a dyn Fn(&str);

/// Where a new session goes and who hears about the steps.
pub struct Context<'a> {
    pub store: &'a Store,
    pub activity: Activity<'a>,
    /// The command asked for this session's length itself (`login --force
    /// --duration 1h`): ending sooner than the cached one is what was asked.
    pub shorter_ok: bool,
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// GetSessionToken with the profile's keys, device and a code.
pub fn mfa_session(
    cx: &Context,
    m: &MfaSession,
    source: &mut Option<CodeSource>,
) -> Result<Session> {
    let call = CodeCall {
        profile: &m.profile,
        keys_profile: &m.profile,
        expected_device: m.device.as_deref(),
        region: m.profile.region_or_default(),
        ca_bundle: m.profile.ca_bundle.as_deref(),
        role_arn: None,
    };
    let duration = m.duration;
    with_code(cx, &call, source, async |sts, device, code| {
        sts.get_session_token(device, code, duration).await
    })
}

/// AssumeRole with the source profile's long-term keys, SerialNumber and
/// TokenCode: for role sessions longer than chaining allows.
pub fn role_with_code(
    cx: &Context,
    role: &Role,
    source: &mut Option<CodeSource>,
) -> Result<Session> {
    let call = CodeCall {
        profile: &role.profile,
        keys_profile: &role.source,
        expected_device: role.expected_device(),
        region: role.region(),
        ca_bundle: role.ca_bundle(),
        role_arn: Some(&role.role_arn),
    };
    with_code(cx, &call, source, async |sts, device, code| {
        let request = RoleRequest {
            role_arn: &role.role_arn,
            session_name: &role.session_name,
            external_id: role.profile.external_id.as_deref(),
            duration_secs: role.duration,
            mfa: Some((device, code)),
        };
        sts.assume_role(&request).await
    })
}

/// AssumeRole with the source profile's session: no code, at most 1 h.
pub fn chained_role(cx: &Context, role: &Role, source: &Session) -> Result<Session> {
    (cx.activity)("calling STS (AssumeRole)");
    let runtime = runtime()?;
    let issued = runtime
        .block_on(cancel::or_cancel(async {
            let sts = Sts::connect(
                &role.profile.name,
                role.region(),
                sts::session_credentials(source),
                role.ca_bundle(),
            )
            .await?;
            sts.assume_role(&RoleRequest {
                role_arn: &role.role_arn,
                session_name: &role.session_name,
                external_id: role.profile.external_id.as_deref(),
                duration_secs: role.duration.min(CHAINED_ROLE_MAX_SECS),
                mfa: None,
            })
            .await
        }))
        .map_err(|e| match e {
            Error::Sts { detail, .. } => Error::RoleRefused {
                profile: crate::sys::text::printable(&role.profile.name),
                role_arn: crate::sys::text::printable(&role.role_arn),
                source_profile: crate::sys::text::printable(&role.source.name),
                detail,
            },
            other => other,
        })?;
    save(
        cx,
        Session {
            profile: role.profile.name.clone(),
            mfa_serial: source.mfa_serial.clone(),
            source_access_key_id: source.credentials.access_key_id.clone(),
            credentials: issued.credentials,
            expiration: issued.expiration,
            role_arn: Some(role.role_arn.clone()),
            region: Some(role.profile.region.clone().unwrap_or_default()),
        },
    )
}

/// A new session started with an MFA code.
struct CodeCall<'a> {
    /// The profile the session is for (its cache key, its name at the prompt).
    profile: &'a Profile,
    /// Whose long-term keys sign the call (a role's source profile).
    keys_profile: &'a Profile,
    /// The configured device; None → discovered through IAM.
    expected_device: Option<&'a str>,
    region: String,
    ca_bundle: Option<&'a str>,
    role_arn: Option<&'a str>,
}

/// How many codes the terminal is asked for when AWS refuses them.
const REFUSED_CODE_ATTEMPTS: u32 = 3;

/// The steps every call that carries a code shares.
fn with_code(
    cx: &Context,
    call: &CodeCall,
    source: &mut Option<CodeSource>,
    request: impl AsyncFn(&Sts, &str, &str) -> Result<Issued>,
) -> Result<Session> {
    let (store, activity) = (cx.store, cx.activity);
    let keys_profile = call.keys_profile;
    activity(
        if keys_profile.credential_process.is_some() && !keys_profile.has_static_keys {
            "running credential_process for the long-term keys"
        } else {
            "loading the long-term keys"
        },
    );
    let keys = longterm::load(keys_profile)?;
    cancel::check()?;
    let runtime = runtime()?;
    let sts = runtime.block_on(Sts::connect(
        &keys_profile.name,
        call.region.clone(),
        keys.credentials(),
        call.ca_bundle,
    ))?;
    let (device, remembered) = match call.expected_device {
        Some(device) => (device.to_string(), false),
        None => {
            activity("looking up the MFA device in IAM");
            runtime.block_on(cancel::or_cancel(crate::session::discovery::device_for(
                keys_profile,
                &call.region,
                call.ca_bundle,
                &keys,
            )))?
        }
    };
    if source.is_none() {
        *source = Some(CodeSource::choose(None, None, true, false)?);
    }
    let Some(code_source) = source.as_mut() else {
        return Err(Error::NoTerminal {
            profile: crate::sys::text::printable(&call.profile.name),
        });
    };
    let mut tries = 0;
    let issued = loop {
        tries += 1;
        activity(code_source.activity());
        let code = code_while_checking(&runtime, &sts, code_source, &device, &call.profile.name)?;
        let issued = match mfa::check_not_reused(store, &device, &code) {
            Ok(()) => {
                activity("calling STS");
                let issued = runtime.block_on(cancel::or_cancel(request(&sts, &device, &code)));
                if mfa::reached_sts(&issued) {
                    mfa::remember_used(store, &device, &code);
                }
                issued
            }
            Err(e) => Err(e),
        };
        // A code AWS refused (mistyped, or the one that just went by) is
        // asked again at the terminal, as a typo is, while the device is
        // the one named in the profile: a discovered device AWS refuses may
        // be gone, and is looked up again on the next run instead.
        let refused = match &issued {
            Err(Error::CodeRejected { .. }) => Some("AWS rejected that MFA code"),
            Err(Error::CodeReused) => Some("that MFA code was already used in the last 90 seconds"),
            _ => None,
        };
        if let Some(why) = refused
            && !remembered
            && tries < REFUSED_CODE_ATTEMPTS
            && let Some(tty) = code_source.terminal()
        {
            let _ = writeln!(tty, "awsesh: {why}; type the next one your app shows");
            continue;
        }
        break issued;
    };
    if remembered && matches!(issued, Err(Error::CodeRejected { .. })) {
        // AWS refused the code for this device: maybe the device was
        // removed. A network failure says nothing about the device.
        crate::session::discovery::forget(&keys_profile.name, &keys.access_key_id);
    }
    let issued = issued?;
    save(
        cx,
        Session {
            profile: call.profile.name.clone(),
            mfa_serial: device,
            source_access_key_id: keys.access_key_id.clone(),
            credentials: issued.credentials,
            expiration: issued.expiration,
            role_arn: call.role_arn.map(str::to_string),
            region: Some(call.profile.region.clone().unwrap_or_default()),
        },
    )
}

/// The code, read while GetCallerIdentity checks the keys and the way to STS.
/// A failed check abandons the prompt: no code is spent on a dead endpoint
/// or a revoked key. A code that comes first (given, or from a fast
/// `mfa_process`) does not wait for the check.
fn code_while_checking(
    runtime: &tokio::runtime::Runtime,
    sts: &Sts,
    source: &mut CodeSource,
    device: &str,
    profile: &str,
) -> Result<String> {
    let abandon = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let abandon = &abandon;
        scope.spawn(move || {
            let _ = tx.send(source.get(device, profile, abandon));
        });
        let outcome = runtime.block_on(cancel::or_cancel(async {
            let check = sts.caller_identity();
            tokio::pin!(check);
            let mut rx = rx;
            tokio::select! {
                biased;
                code = &mut rx => code.unwrap_or(Err(Error::Cancelled)),
                checked = &mut check => match checked {
                    Err(e) => Err(e),
                    Ok(_) => rx.await.unwrap_or(Err(Error::Cancelled)),
                },
            }
        }));
        if outcome.is_err() {
            abandon.store(true, Ordering::SeqCst);
        }
        outcome
    })
}

/// Saves a new session unless it would replace a valid one with one that
/// ends sooner: whatever STS said, a refresh never worsens what is cached.
fn save(cx: &Context, session: Session) -> Result<Session> {
    let store = cx.store;
    if !cx.shorter_ok
        && let Some(old) = store.load(&session.profile)?
        && old.seconds_left(crate::sys::clock::now()) > 0
        && old.expiration > session.expiration
    {
        return Err(Error::BadCredentials(
            "an Expiration earlier than the cached session's",
        ));
    }
    store.save(&session)?;
    Ok(session)
}
