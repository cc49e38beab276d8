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

pub async fn load_long_term(profile: &str) -> Result<LongTermKeys> {
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
    let creds = out
        .credentials()
        .ok_or(Error::BadCredentials("no Credentials"))?;
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
    use aws_smithy_mocks::{mock, mock_client};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn rejected_code_is_reported_as_such() {
        let rule = mock!(aws_sdk_sts::Client::get_session_token).then_error(|| {
            GetSessionTokenError::generic(
                aws_sdk_sts::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message(
                        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sts, [&rule]);
        let err = rt()
            .block_on(get_session_token(
                &client,
                "arn:mfa/dev",
                "123456",
                3600,
                "http://x",
            ))
            .err()
            .unwrap();
        assert!(matches!(err, Error::CodeRejected { .. }), "{err}");
        assert!(err.to_string().contains("rejected the MFA code"));
        assert_eq!(rule.num_calls(), 1, "no retries against STS");
    }

    #[test]
    fn throttling_is_not_retried_and_is_reported() {
        let rule = mock!(aws_sdk_sts::Client::get_session_token).then_error(|| {
            GetSessionTokenError::generic(
                aws_sdk_sts::error::ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sts, [&rule]);
        let err = rt()
            .block_on(get_session_token(
                &client,
                "arn:mfa/dev",
                "123456",
                3600,
                "http://x",
            ))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "STS refused the request: Throttling: Rate exceeded"
        );
        assert_eq!(rule.num_calls(), 1);
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
