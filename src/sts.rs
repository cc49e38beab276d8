//! The only code that talks to AWS: long-term keys through aws-config's
//! profile provider, then STS. Everything here is async and runs on a
//! current-thread runtime built only on the refresh path.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_types::error::display::DisplayErrorContext;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::session::Credentials;

/// Seconds, not minutes: a login that cannot reach STS should say so quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Long-term keys of one profile, as aws-config's profile provider loads
/// them (static keys or `credential_process`) — never from the environment,
/// where a session awsesh exported would win.
pub struct LongTermKeys {
    pub access_key_id: String,
    credentials: aws_credential_types::Credentials,
}

impl LongTermKeys {
    /// For the IAM calls of `keys` and `mfa enroll`.
    pub fn credentials(&self) -> aws_credential_types::Credentials {
        self.credentials.clone()
    }
}

pub async fn load_long_term(profile: &str) -> Result<LongTermKeys> {
    // Keys kept in the OS keyring (`awsesh keys add`) come first.
    if let Some((access_key_id, secret)) = crate::keys::lookup(profile)? {
        let credentials = crate::iam::credentials(&access_key_id, &secret, None);
        return Ok(LongTermKeys {
            access_key_id,
            credentials,
        });
    }
    // The provider builds clients of its own (IMDS for `credential_source`),
    // which need our HTTP client since the SDK's default TLS stack is off.
    let provider_config = ProviderConfig::without_region()
        .with_http_client(http_client())
        .with_behavior_version(Some(BehaviorVersion::latest()));
    let provider = ProfileFileCredentialsProvider::builder()
        .configure(&provider_config)
        .profile_name(profile)
        .build();
    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| Error::NoLongTermKeys {
            profile: profile.to_string(),
            detail: innermost_cause(&e),
        })?;
    Ok(LongTermKeys {
        access_key_id: credentials.access_key_id().to_string(),
        credentials,
    })
}

/// HTTPS through rustls with ring (DESIGN §9: a third of aws-lc's size and build time).
fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// An SDK config signed with `keys`: rustls with ring, explicit region (no
/// IMDS probing), short timeouts, no retries (a code must not be sent twice).
pub async fn sdk_config(
    profile: &str,
    region: String,
    credentials: aws_credential_types::Credentials,
) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .profile_name(profile)
        .region(aws_config::Region::new(region))
        .credentials_provider(credentials)
        .http_client(http_client())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

pub async fn sts_client(profile: &str, region: String, keys: &LongTermKeys) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&sdk_config(profile, region, keys.credentials.clone()).await)
}

/// Where STS requests go, for error messages.
pub fn endpoint_hint(region: &str) -> String {
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.is_empty()))
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"))
}

pub struct Issued {
    pub credentials: Credentials,
    pub expiration: OffsetDateTime,
}

/// GetSessionToken with the MFA device and code.
pub async fn get_session_token(
    client: &aws_sdk_sts::Client,
    device: &str,
    code: &str,
    duration_secs: u64,
    endpoint: &str,
) -> Result<Issued> {
    let out = client
        .get_session_token()
        .serial_number(device)
        .token_code(code)
        .duration_seconds(duration_secs.min(i32::MAX as u64) as i32)
        .send()
        .await
        .map_err(|e| map_sdk_error(e, device, endpoint))?;
    issued_from(out.credentials())
}

/// What an AssumeRole call asks for.
pub struct RoleRequest<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration_secs: u64,
    /// Device and code, when the call itself carries the MFA (no source session).
    pub mfa: Option<(&'a str, &'a str)>,
}

/// AssumeRole, signed with whatever the client holds: the source profile's MFA
/// session (no MFA parameters, chaining caps it at 1 h) or the long-term keys
/// plus SerialNumber and TokenCode.
pub async fn assume_role(
    client: &aws_sdk_sts::Client,
    req: &RoleRequest<'_>,
    endpoint: &str,
) -> Result<Issued> {
    let mut call = client
        .assume_role()
        .role_arn(req.role_arn)
        .role_session_name(req.session_name)
        .duration_seconds(req.duration_secs.min(i32::MAX as u64) as i32)
        .set_external_id(req.external_id.map(str::to_string));
    if let Some((device, code)) = req.mfa {
        call = call.serial_number(device).token_code(code);
    }
    let device = req.mfa.map(|(d, _)| d).unwrap_or("");
    let out = call
        .send()
        .await
        .map_err(|e| map_sdk_error(e, device, endpoint))?;
    issued_from(out.credentials())
}

/// An STS client signed with a cached session's credentials.
pub async fn sts_client_for_session(
    profile: &str,
    region: String,
    session: &crate::store::session::Session,
) -> aws_sdk_sts::Client {
    let c = &session.credentials;
    let credentials = aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_string(),
        Some(c.session_token.expose().to_string()),
        Some(session.expiration.into()),
        "awsesh",
    );
    aws_sdk_sts::Client::new(&sdk_config(profile, region, credentials).await)
}

/// Where IAM requests go, for error messages.
pub fn iam_endpoint_hint() -> String {
    ["AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.is_empty()))
        .unwrap_or_else(|| "https://iam.amazonaws.com".to_string())
}

/// The IAM user behind some long-term keys and the MFA devices it has.
pub struct Devices {
    /// The user's name, or its ARN when IAM gave no name (root keys).
    pub user: String,
    /// TOTP devices only: FIDO security keys cannot sign GetSessionToken.
    pub serials: Vec<String>,
}

/// MFA device discovery, as the team's script does it: GetUser (no name: the
/// caller), then ListMFADevices for that user. Errors are one short line.
pub async fn list_mfa_devices(
    profile: &str,
    region: String,
    keys: &LongTermKeys,
) -> std::result::Result<Devices, String> {
    let config = sdk_config(profile, region, keys.credentials.clone()).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let endpoint = iam_endpoint_hint();
    let describe = |e: Error| match e {
        Error::Sts(detail) => detail,
        other => other.to_string(),
    };
    // GetUser needs iam:GetUser on oneself; when that is denied, the user name
    // is the last part of the caller's ARN.
    let user_name = match iam.get_user().send().await {
        Ok(out) => out
            .user()
            .map(|u| u.user_name().to_string())
            .filter(|n| !n.is_empty()),
        Err(e) => {
            let iam_error = describe(map_sdk_error(e, "", &endpoint));
            let sts = aws_sdk_sts::Client::new(&config);
            let arn = sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|_| iam_error.clone())?
                .arn()
                .map(str::to_string)
                .unwrap_or_default();
            match arn.split_once(":user/") {
                Some((_, path_and_name)) => path_and_name.rsplit('/').next().map(str::to_string),
                None => return Err(iam_error),
            }
        }
    };
    let out = iam
        .list_mfa_devices()
        .set_user_name(user_name.clone())
        .send()
        .await
        .map_err(|e| describe(map_sdk_error(e, "", &endpoint)))?;
    let serials = out
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_string())
        .filter(|s| !s.contains(":u2f/"))
        .collect();
    Ok(Devices {
        user: user_name.unwrap_or_else(|| "(root)".to_string()),
        serials,
    })
}

/// The credentials of a GetSessionToken or AssumeRole answer, validated.
fn issued_from(creds: Option<&aws_sdk_sts::types::Credentials>) -> Result<Issued> {
    let creds = creds.ok_or(Error::BadCredentials("no Credentials"))?;
    issued(
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
        creds.expiration().secs(),
    )
}

/// Validates what STS returned before anything is stored or printed.
pub fn issued(
    access_key_id: &str,
    secret: &str,
    token: &str,
    expiration_epoch: i64,
) -> Result<Issued> {
    let credentials = Credentials {
        access_key_id: access_key_id.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: Secret::new(token),
    };
    credentials.validate().map_err(Error::BadCredentials)?;
    let expiration = OffsetDateTime::from_unix_timestamp(expiration_epoch)
        .map_err(|_| Error::BadCredentials("Expiration"))?;
    Ok(Issued {
        credentials,
        expiration,
    })
}

/// One line per failure a user can act on.
pub fn map_sdk_error<E>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    device: &str,
    endpoint: &str,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = crate::mfa::printable(e.message().unwrap_or(""));
            let mfa_words = ["MultiFactorAuthentication", "MFA", "one time pass code"];
            if code == "AccessDenied" && mfa_words.iter().any(|w| message.contains(w)) {
                Error::CodeRejected {
                    device: device.to_string(),
                    message,
                }
            } else {
                Error::Sts(format!("{code}: {message}"))
            }
        }
        SdkError::TimeoutError(_) => Error::Unreachable {
            endpoint: endpoint.to_string(),
            detail: "timed out".to_string(),
        },
        SdkError::DispatchFailure(_) => Error::Unreachable {
            endpoint: endpoint.to_string(),
            detail: first_line(&DisplayErrorContext(&err).to_string()),
        },
        _ => Error::Sts(first_line(&DisplayErrorContext(&err).to_string())),
    }
}

/// The most specific message in an error chain, on one line: the provider's
/// outer layers only repeat it.
fn innermost_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    strip_debug_tail(&first_line(&current.to_string()))
}

/// aws-config appends the Debug form of nested errors, e.g.
/// `… (CredentialsNotLoaded(CredentialsNotLoaded { … }))`; users need only
/// the sentence before it.
fn strip_debug_tail(text: &str) -> String {
    let mut search = 0;
    while let Some(found) = text[search..].find(" (") {
        let at = search + found;
        let rest = &text[at + 2..];
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if ident.starts_with(|c: char| c.is_ascii_uppercase())
            && rest[ident.len()..].starts_with(['(', ' '])
        {
            return text[..at].to_string();
        }
        search = at + 2;
    }
    text.to_string()
}

fn first_line(text: &str) -> String {
    crate::mfa::printable(text.lines().next().unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::get_session_token::GetSessionTokenError;
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, create_mock_http_client, mock};

    /// A client built from our own SDK config (timeouts, no retries), with
    /// the HTTP layer replaced by aws-smithy-mocks: what moto cannot do.
    fn client_with(rule: &Rule) -> aws_sdk_sts::Client {
        let keys = aws_credential_types::Credentials::new(
            "AKIAMOCKMOCKMOCKMOCK",
            "c2Vj",
            None,
            None,
            "test",
        );
        let sdk = rt().block_on(sdk_config("default", "us-east-1".into(), keys));
        let conf = aws_sdk_sts::config::Builder::from(&sdk)
            .http_client(create_mock_http_client())
            .interceptor(MockResponseInterceptor::new().with_rule(rule))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// GetSessionToken against STS answering with an error: what we report,
    /// and how many requests were sent.
    fn session_token_error(code: &'static str, message: &'static str) -> (Error, usize) {
        let rule = mock!(aws_sdk_sts::Client::get_session_token).then_error(move || {
            GetSessionTokenError::generic(
                aws_sdk_sts::error::ErrorMetadata::builder()
                    .code(code)
                    .message(message)
                    .build(),
            )
        });
        let client = client_with(&rule);
        let result = rt().block_on(get_session_token(
            &client,
            "arn:mfa/dev",
            "123456",
            3600,
            "http://x",
        ));
        (result.err().expect("an error"), rule.num_calls())
    }

    #[test]
    fn rejected_code_is_reported_as_such() {
        let (err, calls) = session_token_error(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        );
        assert!(matches!(err, Error::CodeRejected { .. }), "{err}");
        assert!(err.to_string().contains("rejected the MFA code"));
        assert_eq!(calls, 1, "no retries against STS");
    }

    #[test]
    fn throttling_is_not_retried_and_is_reported() {
        let (err, calls) = session_token_error("Throttling", "Rate exceeded");
        assert_eq!(
            err.to_string(),
            "STS refused the request: Throttling: Rate exceeded"
        );
        assert_eq!(calls, 1, "no retries against STS");
    }

    #[test]
    fn debug_tails_are_stripped_from_provider_messages() {
        assert_eq!(
            strip_debug_tail(
                "profile `x` was not defined (CredentialsNotLoaded(CredentialsNotLoaded { source: None }))"
            ),
            "profile `x` was not defined"
        );
        assert_eq!(
            strip_debug_tail("keep (this part) as is"),
            "keep (this part) as is"
        );
    }

    #[test]
    fn invalid_credentials_from_sts_are_refused() {
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "c2Vj", "dG9r", 1_800_000_000).is_ok());
        assert!(issued("ASIA'; rm -rf ~", "c2Vj", "dG9r", 1_800_000_000).is_err());
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "a$(id)", "dG9r", 1_800_000_000).is_err());
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "c2Vj", "x\ny", 1_800_000_000).is_err());
    }
}
