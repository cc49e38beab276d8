//! IAM Identity Center and `aws login` through the SDK's own providers:
//! aws-config's `SsoCredentialsProvider` (token refresh with the refresh
//! token, portal GetRoleCredentials) and `LoginCredentialsProvider` (Sign-In
//! refresh with DPoP), and aws-sdk-ssooidc for the device authorization
//! sign-in. Nothing here speaks OAuth by hand: the only thing awsesh writes
//! itself is the token cache after a device sign-in, in the CLI's format and
//! place, so the CLI, boto3 and the SDKs read it.
//!
//! Every call goes through `net::http_client` (rustls, proxies, CA bundle)
//! with the short timeouts of STS calls; the endpoints are the SDKs' own
//! (`AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_SSO_OIDC`,
//! `AWS_ENDPOINT_URL_SIGNIN` over `AWS_ENDPOINT_URL`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use sha1::Digest;
use time::OffsetDateTime;

use crate::aws::profile::SsoSettings;
use crate::aws::sts::{CONNECT_TIMEOUT, Issued, OPERATION_TIMEOUT};
use crate::sys::error::{Error, Result};

pub const SSO_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL"];
pub const SSO_OIDC_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL"];
pub const SIGNIN_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_SIGNIN", "AWS_ENDPOINT_URL"];

/// Why no credentials came: the sign-in must be done again (no token, an
/// expired one that cannot be renewed, or one the service refused), or
/// something else went wrong (network, service), said in one line.
#[derive(Debug)]
pub enum Failure {
    SignInNeeded(String),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Other(e)
    }
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `~/.aws/sso/cache/<sha1 of the sso_session, or of the start URL>.json`,
/// as the CLI and every SDK name it.
pub fn sso_cache_path(settings: &SsoSettings) -> PathBuf {
    let key = settings
        .session_name
        .as_deref()
        .unwrap_or(&settings.start_url);
    home().join(".aws/sso/cache").join(sso_cache_name(key))
}

/// The SSO cache file's name for an sso_session name or start URL.
fn sso_cache_name(key: &str) -> String {
    format!("{}.json", hex::encode(sha1::Sha1::digest(key.as_bytes())))
}

/// The `aws login` cache file's name for a login_session ARN (trimmed).
fn login_cache_name(session_arn: &str) -> String {
    let digest = hex::encode(sha2::Sha256::digest(session_arn.trim().as_bytes()));
    format!("{digest}.json")
}

/// `~/.aws/login/cache/<sha256 of the login_session>.json`
/// (`AWS_LOGIN_CACHE_DIRECTORY` wins), as the CLI and the SDKs name it.
pub fn login_cache_path(session_arn: &str) -> PathBuf {
    let dir = std::env::var_os("AWS_LOGIN_CACHE_DIRECTORY")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".aws/login/cache"));
    dir.join(login_cache_name(session_arn))
}

/// What a token cache file says about renewal, for `status` and `doctor`
/// and for deciding whether a sign-in is needed. Never holds a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenState {
    /// When the access token (SSO) or the credentials (`aws login`) end.
    pub expires_at: OffsetDateTime,
    /// A refresh token is there (and for SSO, the client registration that
    /// must go with it has not expired).
    pub renewable: bool,
}

fn read_json(path: &std::path::Path) -> Option<serde_json::Value> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn rfc3339(value: Option<&serde_json::Value>) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(
        value?.as_str()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()
}

fn non_empty(value: Option<&serde_json::Value>) -> bool {
    value
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

/// The SSO token cache entry's state; None when there is none (or it is
/// unreadable, which the SDK would refuse too).
pub fn sso_token_state(settings: &SsoSettings) -> Option<TokenState> {
    let v = read_json(&sso_cache_path(settings))?;
    let expires_at = rfc3339(v.get("expiresAt"))?;
    let registration_valid =
        rfc3339(v.get("registrationExpiresAt")).is_some_and(|t| t > crate::sys::clock::now());
    // The legacy form (no sso_session) is never refreshed by the SDKs.
    let renewable = settings.session_name.is_some()
        && non_empty(v.get("refreshToken"))
        && non_empty(v.get("clientId"))
        && non_empty(v.get("clientSecret"))
        && registration_valid;
    Some(TokenState {
        expires_at,
        renewable,
    })
}

/// The `aws login` cache entry's state.
pub fn login_token_state(session_arn: &str) -> Option<TokenState> {
    let v = read_json(&login_cache_path(session_arn))?;
    let expires_at = rfc3339(v.get("accessToken")?.get("expiresAt"))?;
    Some(TokenState {
        expires_at,
        renewable: non_empty(v.get("refreshToken")) && non_empty(v.get("dpopKey")),
    })
}

/// The providers' configuration: our HTTP client, the service's region, the
/// STS timeouts, no retries (a rotating refresh token must not be sent twice).
fn provider_config(region: &str, ca_bundle: Option<&str>) -> Result<ProviderConfig> {
    for vars in [
        &SSO_ENDPOINT_VARS,
        &SSO_OIDC_ENDPOINT_VARS,
        &SIGNIN_ENDPOINT_VARS,
    ] {
        crate::aws::net::endpoint_override(vars)?;
    }
    Ok(ProviderConfig::default()
        .with_http_client(crate::aws::net::http_client(ca_bundle)?)
        .with_region(Some(aws_config::Region::new(region.to_string())))
        .with_timeout_config(timeouts())
        .with_retry_config(RetryConfig::disabled()))
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Role credentials from the portal, the access token renewed by the SDK's
/// token provider first when it is due (which rewrites the CLI's cache).
pub async fn role_credentials(
    settings: &SsoSettings,
    ca_bundle: Option<&str>,
) -> std::result::Result<Issued, Failure> {
    let state = sso_token_state(settings);
    let now = crate::sys::clock::now();
    match &state {
        None => {
            return Err(Failure::SignInNeeded(
                "no IAM Identity Center token is cached".into(),
            ));
        }
        Some(s) if s.expires_at <= now && !s.renewable => {
            return Err(Failure::SignInNeeded(
                "the IAM Identity Center token expired and cannot be renewed".into(),
            ));
        }
        Some(_) => {}
    }
    let config = provider_config(&settings.region, ca_bundle)?;
    let mut builder = aws_config::sso::SsoCredentialsProvider::builder()
        .configure(&config)
        .account_id(&settings.account_id)
        .role_name(&settings.role_name)
        .start_url(&settings.start_url)
        .region(aws_config::Region::new(settings.region.clone()));
    if let Some(name) = &settings.session_name {
        builder = builder.session_name(name);
    }
    let provider = builder.build();
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| classify("IAM Identity Center", &SSO_ENDPOINT_VARS, &e))?;
    to_issued(&credentials)
}

/// `aws login` credentials, renewed by the SDK's Sign-In provider (DPoP)
/// when they are due, which rewrites the CLI's cache.
pub async fn login_credentials(
    session_arn: &str,
    region: &str,
    ca_bundle: Option<&str>,
) -> std::result::Result<Issued, Failure> {
    if login_token_state(session_arn).is_none() {
        return Err(Failure::SignInNeeded(
            "no `aws login` session is cached".into(),
        ));
    }
    let config = provider_config(region, ca_bundle)?;
    let provider = aws_config::login::LoginCredentialsProvider::builder(session_arn)
        .configure(&config)
        .build();
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| classify("AWS Sign-In", &SIGNIN_ENDPOINT_VARS, &e))?;
    to_issued(&credentials)
}

fn to_issued(c: &aws_credential_types::Credentials) -> std::result::Result<Issued, Failure> {
    let expiry = c
        .expiry()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .ok_or(Failure::Other(Error::BadCredentials("Expiration")))?;
    let epoch = i64::try_from(expiry.as_secs())
        .map_err(|_| Failure::Other(Error::BadCredentials("Expiration")))?;
    Ok(crate::aws::sts::issued(
        c.access_key_id(),
        c.secret_access_key(),
        c.session_token().unwrap_or_default(),
        epoch,
    )?)
}

/// The whole error chain, one line, without control characters.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    let line = parts.join(": ");
    crate::sys::text::printable(&line.split_whitespace().collect::<Vec<_>>().join(" "))
        .chars()
        .take(400)
        .collect()
}

/// A refused or expired token means signing in again; anything else is said
/// as it is, with where the request went.
fn classify(service: &'static str, vars: &[&str], e: &CredentialsError) -> Failure {
    let text = chain(e);
    let sign_in_words = [
        "Unauthorized",
        "expired",
        "Expired",
        "reauthenticate",
        "InvalidGrant",
        "invalid_grant",
        "No such file",
        "AccessDenied",
    ];
    if sign_in_words.iter().any(|w| text.contains(w)) {
        return Failure::SignInNeeded(text);
    }
    let endpoint = crate::aws::net::endpoint_override(vars)
        .ok()
        .flatten()
        .map(|url| format!(" at {url}"))
        .unwrap_or_default();
    Failure::Other(Error::Sts {
        service,
        detail: format!("{text} (request{endpoint})"),
    })
}

/// What the device authorization sign-in shows the user.
pub struct DeviceCode {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
}

/// The device authorization sign-in (RegisterClient,
/// StartDeviceAuthorization, then CreateToken until the user approves),
/// and the token written to the CLI's cache. `show` is called once with
/// the URL and code. Ctrl-C ends the wait (the caller wraps this in
/// `cancel::or_cancel`).
pub async fn device_sign_in(
    settings: &SsoSettings,
    ca_bundle: Option<&str>,
    show: impl FnOnce(&DeviceCode),
) -> Result<()> {
    use aws_sdk_ssooidc::error::ProvideErrorMetadata;
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(settings.region.clone()))
        .http_client(crate::aws::net::http_client(ca_bundle)?)
        .timeout_config(timeouts())
        .retry_config(RetryConfig::disabled())
        .build();
    let mut oidc_config = aws_sdk_ssooidc::config::Builder::from(&config);
    if let Some(url) = crate::aws::net::endpoint_override(&SSO_OIDC_ENDPOINT_VARS)? {
        oidc_config = oidc_config.endpoint_url(url);
    }
    let client = aws_sdk_ssooidc::Client::from_conf(oidc_config.build());
    let oidc_error = |what: &str, e: &dyn std::error::Error| -> Error {
        Error::Sts {
            service: "IAM Identity Center",
            detail: format!("{what} failed: {}", chain_dyn(e)),
        }
    };
    let mut register = client
        .register_client()
        .client_name("awsesh")
        .client_type("public");
    if settings.session_name.is_some() {
        register = register
            .grant_types("urn:ietf:params:oauth:grant-type:device_code")
            .grant_types("refresh_token")
            .scopes("sso:account:access");
    }
    let registration = register
        .send()
        .await
        .map_err(|e| oidc_error("RegisterClient", &e))?;
    let (Some(client_id), Some(client_secret)) =
        (registration.client_id(), registration.client_secret())
    else {
        return Err(Error::Other(
            "IAM Identity Center's RegisterClient answered without a client; try again".into(),
        ));
    };
    let device = client
        .start_device_authorization()
        .client_id(client_id)
        .client_secret(client_secret)
        .start_url(&settings.start_url)
        .send()
        .await
        .map_err(|e| oidc_error("StartDeviceAuthorization", &e))?;
    let (Some(device_code), Some(user_code), Some(uri)) = (
        device.device_code(),
        device.user_code(),
        device.verification_uri(),
    ) else {
        return Err(Error::Other(
            "IAM Identity Center's StartDeviceAuthorization answered without a code; try again"
                .into(),
        ));
    };
    show(&DeviceCode {
        verification_uri: uri.to_string(),
        verification_uri_complete: device.verification_uri_complete().map(str::to_string),
        user_code: user_code.to_string(),
    });
    let mut interval = Duration::from_secs(u64::try_from(device.interval().max(1)).unwrap_or(5));
    let deadline = std::time::Instant::now()
        + Duration::from_secs(u64::try_from(device.expires_in().clamp(60, 1800)).unwrap_or(600));
    let token = loop {
        if std::time::Instant::now() > deadline {
            return Err(Error::Other(
                "the IAM Identity Center sign-in was not approved in time; run the command again"
                    .into(),
            ));
        }
        tokio::time::sleep(interval).await;
        match client
            .create_token()
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .device_code(device_code)
            .client_id(client_id)
            .client_secret(client_secret)
            .send()
            .await
        {
            Ok(token) => break token,
            Err(e) => match e.code() {
                Some("AuthorizationPendingException") => {}
                Some("SlowDownException") => interval += Duration::from_secs(5),
                _ => return Err(oidc_error("CreateToken", &e)),
            },
        }
    };
    let Some(access_token) = token.access_token() else {
        return Err(Error::Other(
            "IAM Identity Center's CreateToken answered without a token; try again".into(),
        ));
    };
    let now = crate::sys::clock::now();
    let expires_at = now + time::Duration::seconds(i64::from(token.expires_in().max(0)));
    let registration_expires =
        OffsetDateTime::from_unix_timestamp(registration.client_secret_expires_at()).unwrap_or(now);
    let mut entry = serde_json::json!({
        "startUrl": settings.start_url,
        "region": settings.region,
        "accessToken": access_token,
        "expiresAt": crate::sys::clock::rfc3339(expires_at),
    });
    if settings.session_name.is_some()
        && let (Some(map), Some(refresh)) = (entry.as_object_mut(), token.refresh_token())
    {
        map.insert("clientId".into(), client_id.into());
        map.insert("clientSecret".into(), client_secret.into());
        map.insert(
            "registrationExpiresAt".into(),
            crate::sys::clock::rfc3339(registration_expires).into(),
        );
        map.insert("refreshToken".into(), refresh.into());
    }
    write_cache(&sso_cache_path(settings), &entry)
}

fn chain_dyn(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    crate::sys::text::printable(&text.split_whitespace().collect::<Vec<_>>().join(" "))
        .chars()
        .take(400)
        .collect()
}

/// The token cache entry, written as the CLI writes it (JSON in
/// `~/.aws/sso/cache`, 0600 in a 0700 directory), atomically: a reader
/// never sees half a file, and a failed write leaves the old one.
fn write_cache(path: &std::path::Path, entry: &serde_json::Value) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path
        .parent()
        .ok_or_else(|| Error::Other("the SSO cache path has no directory".into()))?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("cannot create the SSO token cache directory", e))?;
    let temp = dir.join(format!(".awsesh-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)?;
        file.write_all(entry.to_string().as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e| Error::io("cannot write the SSO token cache", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the CLI and aws-config give the cache files (their own
    /// test vectors), so every tool finds what another wrote.
    #[test]
    fn cache_file_names_are_the_clis() {
        assert_eq!(
            sso_cache_name("admin"),
            "d033e22ae348aeb5660fc2140aec35850c4da997.json"
        );
        assert_eq!(
            sso_cache_name("https://d-92671207e4.awsapps.com/start"),
            "13f9d35043871d073ab260e020f0ffde092cb14b.json"
        );
        for arn in [
            "arn:aws:iam::0123456789012:user/Admin",
            "  arn:aws:iam::0123456789012:user/Admin  ",
        ] {
            assert_eq!(
                login_cache_name(arn),
                "36db1d138ff460920374e4c3d8e01f53f9f73537e89c88d639f68393df0e2726.json"
            );
        }
    }

    #[test]
    fn only_a_refused_or_expired_token_asks_for_a_sign_in() {
        let err = |text: &str| CredentialsError::provider_error(text.to_string());
        for text in [
            "UnauthorizedException: Session token not found or invalid",
            "the cached SSO token is expired",
            "Your session has expired. Please reauthenticate.",
        ] {
            assert!(
                matches!(classify("X", &[], &err(text)), Failure::SignInNeeded(_)),
                "{text}"
            );
        }
        assert!(matches!(
            classify("X", &[], &err("dispatch failure: connection refused")),
            Failure::Other(_)
        ));
    }
}
