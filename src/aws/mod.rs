//! Talking to AWS and reading its files: profiles through aws-config's
//! parser, the line-preserving editor of the AWS files, partitions, the one
//! HTTP client (rustls, proxies, CA bundles), the STS and IAM calls, and
//! IAM Identity Center and `aws login` through the SDK's providers.
//! Knows nothing of the refresh protocol or the keyring.

pub mod access_key;
pub mod iam;
pub mod ini_edit;
pub mod net;
pub mod partition;
pub mod profile;
pub mod profile_index;
pub mod profile_sections;
pub mod sso;
pub mod sts;
