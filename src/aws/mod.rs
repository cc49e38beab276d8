//! Talking to AWS and reading its files: profiles through aws-config's
//! parser, the line-preserving editor of the AWS files, partitions, the one
//! HTTP client (rustls, proxies, CA bundles), and the STS and IAM calls.
//! Knows nothing of the refresh protocol or the keyring.

pub mod access_key;
pub mod iam;
pub mod ini_edit;
pub mod net;
pub mod partition;
pub mod profile;
pub mod profile_index;
pub mod profile_sections;
pub mod sts;
