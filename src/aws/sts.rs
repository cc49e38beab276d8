//! The only code that talks to STS and IAM. Everything here is async and
//! runs on a current-thread runtime built only on the refresh path. Every
//! client goes through `net::http_client` (rustls with ring, proxies, CA
//! bundle), with short timeouts and no retries (a code must not be sent twice).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use time::OffsetDateTime;

use crate::aws::net::Target;
use crate::store::session::{Credentials, Session};
use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;

/// Seconds, not minutes: a login that cannot reach STS should say so quickly.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// An SDK config signed with `credentials`: our HTTP client, an explicit
/// region (no IMDS probing), short timeouts, no retries. `ca_bundle` is the
/// profile's `ca_bundle` (`AWS_CA_BUNDLE` wins).
pub async fn sdk_config(
    profile: &str,
    region: String,
    credentials: aws_credential_types::Credentials,
    ca_bundle: Option<&str>,
) -> Result<aws_config::SdkConfig> {
    crate::aws::net::check_endpoint_overrides()?;
    let http = crate::aws::net::http_client(ca_bundle)?;
    // Only the sections that decide this profile: the loader's answer is the
    // whole files', without parsing thousands of other profiles.
    let profile_files = crate::aws::profile::sdk_files(profile)?;
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .profile_files(profile_files)
        .profile_name(profile)
        .region(aws_config::Region::new(region))
        .credentials_provider(credentials)
        .http_client(http)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::disabled())
        .load()
        .await)
}

/// Credentials of a cached session, for calls signed with it.
pub fn session_credentials(session: &Session) -> aws_credential_types::Credentials {
    let c = &session.credentials;
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.expose().to_string(),
        Some(c.session_token.expose().to_string()),
        Some(session.expiration.into()),
        "awsesh",
    )
}

/// An STS client and where its requests go (for messages). One client per
/// refresh: the connection the early GetCallerIdentity opened while the user
/// typed is the one GetSessionToken uses.
pub struct Sts {
    client: aws_sdk_sts::Client,
    target: Target,
}

impl Sts {
    pub async fn connect(
        profile: &str,
        region: String,
        credentials: aws_credential_types::Credentials,
        ca_bundle: Option<&str>,
    ) -> Result<Sts> {
        let target = Target::sts(&region, ca_bundle)?;
        let config = sdk_config(profile, region, credentials, ca_bundle).await?;
        Ok(Sts {
            client: aws_sdk_sts::Client::new(&config),
            target,
        })
    }

    #[cfg(test)]
    fn from_client(client: aws_sdk_sts::Client) -> Sts {
        Sts {
            client,
            target: Target::for_tests(),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// GetCallerIdentity: needs no MFA and no permission, so it checks the
    /// keys, the network path and TLS before a code is spent — and leaves a
    /// warm connection behind. Returns the caller's ARN.
    pub async fn caller_identity(&self) -> Result<String> {
        let out = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "", &self.target))?;
        Ok(crate::sys::text::printable(out.arn().unwrap_or("?")))
    }

    /// GetSessionToken with the MFA device and code.
    pub async fn get_session_token(
        &self,
        device: &str,
        code: &str,
        duration_secs: u64,
    ) -> Result<Issued> {
        let out = self
            .client
            .get_session_token()
            .serial_number(device)
            .token_code(code)
            .duration_seconds(i32::try_from(duration_secs).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, device, &self.target))?;
        issued_from(out.credentials())
    }

    /// AssumeRole, signed with whatever the client holds: the source
    /// profile's MFA session (no MFA parameters, chaining caps it at 1 h) or
    /// the long-term keys plus SerialNumber and TokenCode.
    pub async fn assume_role(&self, req: &RoleRequest<'_>) -> Result<Issued> {
        let mut call = self
            .client
            .assume_role()
            .role_arn(req.role_arn)
            .role_session_name(req.session_name)
            .duration_seconds(i32::try_from(req.duration_secs).unwrap_or(i32::MAX))
            .set_external_id(req.external_id.map(str::to_string));
        if let Some((device, code)) = req.mfa {
            call = call.serial_number(device).token_code(code);
        }
        let device = req.mfa.map(|(d, _)| d).unwrap_or("");
        let out = call
            .send()
            .await
            .map_err(|e| map_sdk_error(e, device, &self.target))?;
        issued_from(out.credentials())
    }
}

pub struct Issued {
    pub credentials: Credentials,
    pub expiration: OffsetDateTime,
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

/// The IAM user behind some long-term keys and the MFA devices it has.
pub struct Devices {
    /// The user's name, or its ARN when IAM gave no name (root keys).
    pub user: String,
    /// TOTP devices only: FIDO security keys cannot sign GetSessionToken.
    pub serials: Vec<String>,
    /// How many FIDO security keys / passkeys the user has (left out above).
    pub passkeys: usize,
}

/// MFA device discovery, as the team's script does it: GetUser (no name: the
/// caller), then ListMFADevices for that user.
pub async fn list_mfa_devices(
    profile: &str,
    region: String,
    credentials: aws_credential_types::Credentials,
    ca_bundle: Option<&str>,
) -> Result<Devices> {
    let target = Target::iam(&region, ca_bundle)?;
    let config = sdk_config(profile, region.clone(), credentials, ca_bundle).await?;
    let iam = aws_sdk_iam::Client::new(&config);
    // GetUser needs iam:GetUser on oneself; when that is denied, the user name
    // is the last part of the caller's ARN.
    let user_name = match iam.get_user().send().await {
        Ok(out) => out
            .user()
            .map(|u| u.user_name().to_string())
            .filter(|n| !n.is_empty()),
        Err(e) => {
            let iam_error = map_sdk_error(e, "", &target);
            if matches!(iam_error, Error::Unreachable { .. }) {
                return Err(iam_error);
            }
            let sts = Sts {
                client: aws_sdk_sts::Client::new(&config),
                target: Target::sts(&region, ca_bundle)?,
            };
            let arn = sts.caller_identity().await.map_err(|_| iam_error)?;
            arn.split_once(":user/")
                .and_then(|(_, path_and_name)| path_and_name.rsplit('/').next())
                .map(str::to_string)
        }
    };
    let out = iam
        .list_mfa_devices()
        .set_user_name(user_name.clone())
        .send()
        .await
        .map_err(|e| map_sdk_error(e, "", &target))?;
    let (passkeys, serials): (Vec<String>, Vec<String>) = out
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_string())
        .partition(|s| s.contains(":u2f/"));
    Ok(Devices {
        user: user_name.unwrap_or_else(|| "(root)".to_string()),
        serials,
        passkeys: passkeys.len(),
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
    let expiration =
        crate::sys::clock::issued_expiry(expiration_epoch, crate::sys::clock::now_epoch())
            .map_err(Error::BadCredentials)?;
    Ok(Issued {
        credentials,
        expiration,
    })
}

/// One line per failure a user can act on; STS's own message cleaned of
/// control characters, never the request.
pub fn map_sdk_error<E>(
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    device: &str,
    target: &Target,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            let code = crate::sys::text::printable(e.code().unwrap_or(""));
            let message = crate::sys::text::printable(e.message().unwrap_or(""));
            let message: String = message.chars().take(300).collect();
            if code.is_empty() {
                return Error::Sts {
                    service: target.service,
                    detail: format!(
                        "HTTP {status} without an AWS error in the answer{}",
                        if target.proxy.is_some() {
                            " (from the proxy?)"
                        } else {
                            ""
                        }
                    ),
                };
            }
            let mfa_words = ["MultiFactorAuthentication", "MFA", "one time pass code"];
            if code == "AccessDenied" && mfa_words.iter().any(|w| message.contains(w)) {
                Error::CodeRejected {
                    device: device.to_string(),
                    message,
                }
            } else if ["InvalidClientTokenId", "SignatureDoesNotMatch"].contains(&code.as_str()) {
                Error::KeysRejected {
                    service: target.service,
                    detail: format!("{code}: {message}"),
                }
            } else {
                Error::Sts {
                    service: target.service,
                    detail: format!("{code}: {message}"),
                }
            }
        }
        SdkError::TimeoutError(_) => target.unreachable(format!(
            "timed out after {} s without an answer",
            OPERATION_TIMEOUT.as_secs()
        )),
        SdkError::DispatchFailure(failure) => {
            let connect_timeout = failure.as_connector_error().is_some_and(|c| c.is_timeout());
            if connect_timeout {
                target.unreachable(format!(
                    "connecting timed out after {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            } else {
                target.dispatch_failure(&err)
            }
        }
        SdkError::ResponseError(_) => target.unreachable(
            "the answer was not an AWS response (a proxy or captive portal in the way?)".into(),
        ),
        _ => Error::Sts {
            service: target.service,
            detail:
                "the request could not be built; check the profile's region and AWS_ENDPOINT_URL"
                    .into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sts::operation::get_session_token::GetSessionTokenError;
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, create_mock_http_client, mock};

    /// A client built from our own SDK config (timeouts, no retries), with
    /// the HTTP layer replaced by aws-smithy-mocks: what moto cannot do.
    fn client_with(rule: &Rule) -> Sts {
        let keys = aws_credential_types::Credentials::new(
            "AKIAMOCKMOCKMOCKMOCK",
            "c2Vj",
            None,
            None,
            "test",
        );
        let sdk = rt()
            .block_on(sdk_config("default", "us-east-1".into(), keys, None))
            .unwrap();
        let conf = aws_sdk_sts::config::Builder::from(&sdk)
            .http_client(create_mock_http_client())
            .interceptor(MockResponseInterceptor::new().with_rule(rule))
            .build();
        Sts::from_client(aws_sdk_sts::Client::from_conf(conf))
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
        let sts = client_with(&rule);
        let result = rt().block_on(sts.get_session_token("arn:mfa/dev", "123456", 3600));
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
    fn invalid_credentials_from_sts_are_refused() {
        let later = crate::sys::clock::now_epoch() + 3600;
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "c2Vj", "dG9r", later).is_ok());
        assert!(issued("ASIA'; rm -rf ~", "c2Vj", "dG9r", later).is_err());
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "a$(id)", "dG9r", later).is_err());
        assert!(issued("ASIAAAAAAAAAAAAAAAAA", "c2Vj", "x\ny", later).is_err());
    }

    #[test]
    fn expirations_in_the_past_or_out_of_range_are_refused() {
        let now = crate::sys::clock::now_epoch();
        for epoch in [
            now - 1,
            0,
            i64::MIN,
            now + 10 * 86_400,
            253_402_300_799,
            i64::MAX,
        ] {
            let err = issued("ASIAAAAAAAAAAAAAAAAA", "c2Vj", "dG9r", epoch).err();
            assert!(
                matches!(err, Some(Error::BadCredentials(why)) if why.contains("Expiration")),
                "{epoch}: {err:?}"
            );
        }
    }
}
