//! The IAM calls (and the STS identity check) behind `keys` and `mfa
//! enroll`, on clients built from `sts::sdk_config`: the same rustls HTTP
//! client, timeouts and endpoint overrides (`AWS_ENDPOINT_URL_IAM`) as every
//! other AWS call. Errors keep the service's code, so callers can tell
//! "already two keys" from "access denied".

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;

use super::access_key::Keys;
use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;
use crate::sys::text::printable;

/// A failed AWS call: the service's error code (if it answered) and one line.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl AwsError {
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

fn aws_error<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            AwsError {
                code: Some(e.code().unwrap_or("Unknown").to_string()),
                message: printable(e.message().unwrap_or("")),
            }
        }
        SdkError::TimeoutError(_) => AwsError {
            code: None,
            message: "timed out; check the network or AWS_ENDPOINT_URL".into(),
        },
        _ => {
            let text = DisplayErrorContext(&err).to_string();
            AwsError {
                code: None,
                message: printable(&without_debug_tail(text.lines().next().unwrap_or(""))),
            }
        }
    }
}

/// The SDK appends the `Debug` form of nested errors (`… (ConstructionFailure(
/// ConstructionFailure { … }))`); users need the sentence before it.
fn without_debug_tail(text: &str) -> String {
    let mut search = 0;
    while let Some(found) = text[search..].find(" (") {
        let at = search + found;
        let rest = &text[at + 2..];
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if ident.starts_with(|c: char| c.is_ascii_uppercase())
            && rest[ident.len()..].starts_with(['(', ' ', '{'])
        {
            return text[..at].to_string();
        }
        search = at + 2;
    }
    text.to_string()
}

/// Static credentials for a client.
pub fn credentials(
    access_key_id: &str,
    secret: &Secret,
    session_token: Option<&Secret>,
) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        access_key_id,
        secret.expose(),
        session_token.map(|t| t.expose().to_string()),
        None,
        "awsesh",
    )
}

/// IAM and STS clients signed with one set of credentials.
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
}

/// Through the one HTTP client (proxies, the profile's `ca_bundle`).
pub async fn clients(
    profile: &str,
    region: String,
    credentials: aws_credential_types::Credentials,
) -> crate::sys::error::Result<Clients> {
    let ca_bundle = crate::aws::profile::Profile::load_lenient(profile)
        .ok()
        .and_then(|p| p.ca_bundle);
    let config =
        crate::aws::sts::sdk_config(profile, region, credentials, ca_bundle.as_deref()).await?;
    Ok(Clients {
        iam: aws_sdk_iam::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
    })
}

/// The caller's ARN (GetCallerIdentity: needs no permission and no MFA).
pub async fn caller_arn(sts: &aws_sdk_sts::Client) -> Result<String, AwsError> {
    let out = sts.get_caller_identity().send().await.map_err(aws_error)?;
    Ok(out.arn().unwrap_or_default().to_string())
}

/// `arn:aws:iam::123:user/path/alice` → `alice`; None for roots and roles.
pub fn user_name_from_arn(arn: &str) -> Option<String> {
    let (_, path_and_name) = arn.split_once(":user/")?;
    path_and_name
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// `arn:aws:iam::123456789012:user/alice` → `123456789012`.
pub fn account_from_arn(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// One of the user's access keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub access_key_id: String,
    pub active: bool,
}

pub async fn list_access_keys(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<KeyInfo>, AwsError> {
    let out = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(out
        .access_key_metadata()
        .iter()
        .map(|k| KeyInfo {
            access_key_id: k.access_key_id().unwrap_or_default().to_string(),
            active: k.status() == Some(&aws_sdk_iam::types::StatusType::Active),
        })
        .collect())
}

pub async fn create_access_key(iam: &aws_sdk_iam::Client, user: &str) -> Result<Keys, AwsError> {
    let out = iam
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(aws_error)?;
    let key = out.access_key().ok_or_else(|| AwsError {
        code: None,
        message: "IAM returned no access key".into(),
    })?;
    Ok(Keys {
        access_key_id: key.access_key_id().to_string(),
        secret_access_key: Secret::new(key.secret_access_key()),
    })
}

pub async fn delete_access_key(
    iam: &aws_sdk_iam::Client,
    user: &str,
    access_key_id: &str,
) -> Result<(), AwsError> {
    iam.delete_access_key()
        .user_name(user)
        .access_key_id(access_key_id)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(())
}

/// A virtual MFA device just created: its serial and its Base32 seed.
pub struct NewDevice {
    pub serial: String,
    pub seed: Secret,
}

pub async fn create_virtual_mfa_device(
    iam: &aws_sdk_iam::Client,
    name: &str,
) -> Result<NewDevice, AwsError> {
    let out = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(name)
        .send()
        .await
        .map_err(aws_error)?;
    let device = out.virtual_mfa_device().ok_or_else(|| AwsError {
        code: None,
        message: "IAM returned no device".into(),
    })?;
    let seed = device
        .base32_string_seed()
        .map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned())
        .unwrap_or_default();
    Ok(NewDevice {
        serial: device.serial_number().to_string(),
        seed: Secret::new(seed),
    })
}

pub async fn enable_mfa_device(
    iam: &aws_sdk_iam::Client,
    user: &str,
    serial: &str,
    code1: &str,
    code2: &str,
) -> Result<(), AwsError> {
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(serial)
        .authentication_code1(code1)
        .authentication_code2(code2)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(())
}

pub async fn delete_virtual_mfa_device(
    iam: &aws_sdk_iam::Client,
    serial: &str,
) -> Result<(), AwsError> {
    iam.delete_virtual_mfa_device()
        .serial_number(serial)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(())
}

/// The serials of the user's (enabled) MFA devices.
pub async fn list_mfa_devices(
    iam: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Vec<String>, AwsError> {
    let out = iam
        .list_mfa_devices()
        .user_name(user)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(out
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_string())
        .collect())
}

/// Whether a virtual device with this serial exists, unassigned.
pub async fn unassigned_device(iam: &aws_sdk_iam::Client, serial: &str) -> Result<bool, AwsError> {
    let out = iam
        .list_virtual_mfa_devices()
        .assignment_status(aws_sdk_iam::types::AssignmentStatusType::Unassigned)
        .send()
        .await
        .map_err(aws_error)?;
    Ok(out
        .virtual_mfa_devices()
        .iter()
        .any(|d| d.serial_number() == serial))
}

/// A runtime for the commands that make a few AWS calls in a row.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
}

/// Asks STS whose keys these are (GetCallerIdentity: no permission needed);
/// returns the caller's ARN, or a one-line error when AWS refuses them.
pub fn verify(profile: &str, keys: &Keys) -> crate::sys::error::Result<String> {
    let region = crate::aws::profile::Profile::load_lenient(profile)?.region_or_default();
    let runtime = runtime()?;
    let clients = runtime.block_on(clients(
        profile,
        region,
        credentials(&keys.access_key_id, &keys.secret_access_key, None),
    ))?;
    runtime
        .block_on(caller_arn(&clients.sts))
        .map_err(|e| match e.code {
            Some(_) => crate::sys::error::Error::Other(format!(
                "AWS did not accept access key {} ({e}); check the key and try again",
                keys.access_key_id
            )),
            None => crate::sys::error::Error::Other(format!(
                "cannot reach AWS to check access key {} ({e}); check the network or AWS_ENDPOINT_URL",
                keys.access_key_id
            )),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_debug_tails_are_cut_from_messages() {
        assert_eq!(
            without_debug_tail(
                "failed to construct request: bad region (ConstructionFailure(ConstructionFailure { source: X }))"
            ),
            "failed to construct request: bad region"
        );
        assert_eq!(without_debug_tail("keep (this) as is"), "keep (this) as is");
    }

    #[test]
    fn user_and_account_come_from_the_arn() {
        let arn = "arn:aws:iam::123456789012:user/team/alice";
        assert_eq!(user_name_from_arn(arn).as_deref(), Some("alice"));
        assert_eq!(account_from_arn(arn).as_deref(), Some("123456789012"));
        assert_eq!(user_name_from_arn("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            user_name_from_arn("arn:aws:sts::123456789012:assumed-role/R/s"),
            None
        );
    }
}
