//! The one HTTP client every AWS call goes through: rustls with ring, the
//! proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, lower case too — as the SDK's default client and the AWS CLI
//! honour them), a CA bundle from `AWS_CA_BUNDLE` or the profile's
//! `ca_bundle` (used instead of the system roots, as the AWS CLI does), and
//! the endpoint overrides checked before a request is built.

use std::path::{Path, PathBuf};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, Provider, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::aws::partition::Partition;
use crate::sys::error::{Error, Result};

/// Variables that override where requests go, most specific first.
pub const STS_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"];
pub const IAM_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL"];

/// The CA bundle to trust instead of the system roots: `AWS_CA_BUNDLE`, else
/// the profile's `ca_bundle`.
pub fn ca_bundle_path(profile_ca_bundle: Option<&str>) -> Option<PathBuf> {
    std::env::var_os("AWS_CA_BUNDLE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            profile_ca_bundle
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .map(crate::aws::profile::expand_home)
}

/// The HTTP client for one profile's calls. Reading the CA bundle is the only
/// thing that can fail here; the proxy settings are read from the environment
/// when a connection is made.
pub fn http_client(profile_ca_bundle: Option<&str>) -> Result<SharedHttpClient> {
    let trust = match ca_bundle_path(profile_ca_bundle) {
        Some(path) => TrustStore::empty().with_pem_certificate(read_bundle(&path)?),
        None => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|_| Error::Other("cannot set up TLS; report a bug".into()))?;
    Ok(
        Builder::new().build_with_connector_fn(move |settings, components| {
            let mut builder = Connector::builder();
            builder.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                builder.set_sleep_impl(components.sleep_impl());
            }
            // The SDK's matcher does not read `NO_PROXY=*` ("no proxy for any
            // host", as curl and the AWS CLI take it): say it here.
            let proxy = if no_proxy_for_any_host() {
                ProxyConfig::disabled()
            } else {
                ProxyConfig::from_env()
            };
            builder
                .proxy_config(proxy)
                .tls_provider(Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
                .tls_context(context.clone())
                .build()
        }),
    )
}

/// A bundle that is missing or holds no certificate would fail every request
/// with a TLS error that names neither: say so up front.
fn read_bundle(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Network(format!(
            "cannot read the CA bundle {} ({}); fix AWS_CA_BUNDLE or `ca_bundle`",
            path.display(),
            crate::sys::error::io_words(&e)
        ))
    })?;
    if !bytes
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(Error::Network(format!(
            "the CA bundle {} holds no PEM certificate; fix AWS_CA_BUNDLE or `ca_bundle`",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The endpoint override in effect, if any, checked: the SDK accepts a URL
/// without a scheme and then fails with its whole request in the message.
pub fn endpoint_override(vars: &[&str]) -> Result<Option<String>> {
    let Some((var, url)) = vars
        .iter()
        .find_map(|v| Some((*v, std::env::var(v).ok().filter(|u| !u.is_empty())?)))
    else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host)
            if !host.is_empty()
                && !host.starts_with('/')
                && !host.contains(char::is_whitespace) =>
        {
            Ok(Some(url))
        }
        _ => Err(Error::Network(format!(
            "{var} must start with http:// or https:// and name a host (it is `{}`)",
            crate::sys::text::printable(&url.chars().take(100).collect::<String>())
        ))),
    }
}

/// Checks every endpoint override a refresh may use.
pub fn check_endpoint_overrides() -> Result<()> {
    endpoint_override(&STS_ENDPOINT_VARS)?;
    endpoint_override(&IAM_ENDPOINT_VARS)?;
    Ok(())
}

fn env_value(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

fn no_proxy_rules() -> Vec<String> {
    env_value(&["NO_PROXY", "no_proxy"])
        .unwrap_or_default()
        .split(',')
        .map(|rule| rule.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|rule| !rule.is_empty())
        .collect()
}

/// `NO_PROXY=*`: every host is reached directly.
fn no_proxy_for_any_host() -> bool {
    no_proxy_rules().iter().any(|rule| rule == "*")
}

/// The proxy a request to `url` goes through, for messages.
pub fn proxy_for(url: &str) -> Option<String> {
    let https = url.starts_with("https://");
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bypassed = no_proxy_rules()
        .iter()
        .any(|rule| rule == "*" || host == *rule || host.ends_with(&format!(".{rule}")));
    if bypassed {
        return None;
    }
    let scheme_proxy = if https {
        env_value(&["HTTPS_PROXY", "https_proxy"])
    } else {
        env_value(&["HTTP_PROXY", "http_proxy"])
    };
    scheme_proxy.or_else(|| env_value(&["ALL_PROXY", "all_proxy"]))
}

/// Where a service's requests go, for messages: the endpoint, and the proxy
/// on the way when there is one.
pub struct Target {
    pub service: &'static str,
    pub endpoint: String,
    pub proxy: Option<String>,
    /// Whether a CA bundle replaces the system roots (changes the TLS advice).
    pub custom_ca: bool,
}

impl Target {
    pub fn sts(region: &str, ca_bundle: Option<&str>) -> Result<Target> {
        let endpoint = endpoint_override(&STS_ENDPOINT_VARS)?
            .unwrap_or_else(|| format!("https://{}", Partition::sts_host(region)));
        Ok(Target::new("STS", endpoint, ca_bundle))
    }

    pub fn iam(region: &str, ca_bundle: Option<&str>) -> Result<Target> {
        let endpoint = endpoint_override(&IAM_ENDPOINT_VARS)?
            .unwrap_or_else(|| format!("https://{}", Partition::iam_host(region)));
        Ok(Target::new("IAM", endpoint, ca_bundle))
    }

    fn new(service: &'static str, endpoint: String, ca_bundle: Option<&str>) -> Target {
        Target {
            service,
            proxy: proxy_for(&endpoint).map(|p| redact_proxy(&p)),
            endpoint,
            custom_ca: ca_bundle_path(ca_bundle).is_some(),
        }
    }

    #[cfg(test)]
    pub fn for_tests() -> Target {
        Target {
            service: "STS",
            endpoint: "https://sts.example".into(),
            proxy: None,
            custom_ca: false,
        }
    }

    /// "cannot reach STS at URL (through proxy P): CAUSE; ADVICE"
    pub fn unreachable(&self, cause: String) -> Error {
        self.unreachable_with(cause, self.default_advice())
    }

    fn unreachable_with(&self, cause: String, advice: String) -> Error {
        let via = match &self.proxy {
            Some(proxy) => format!(" through proxy {proxy}"),
            None => String::new(),
        };
        Error::Unreachable(format!(
            "cannot reach {} at {}{via}: {cause}; {advice}",
            self.service, self.endpoint
        ))
    }

    fn default_advice(&self) -> String {
        if self.proxy.is_some() {
            "check the network, HTTPS_PROXY/HTTP_PROXY/NO_PROXY and AWS_ENDPOINT_URL".into()
        } else {
            "check the network and AWS_ENDPOINT_URL (behind a proxy, set HTTPS_PROXY)".into()
        }
    }

    fn host(&self) -> String {
        self.endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// A request that never got an answer: the cause in words, found by
    /// walking the error's sources (I/O errors, rustls errors, the proxy
    /// tunnel's and the resolver's messages) — never the Debug dump.
    pub fn dispatch_failure(&self, err: &(dyn std::error::Error + 'static)) -> Error {
        let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![err];
        let mut texts = Vec::new();
        while let Some(e) = pending.pop() {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return self.tls_failure(tls);
            }
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                // io::Error::source() skips the error it wraps: look at it too.
                if let Some(inner) = io.get_ref() {
                    pending.push(inner);
                }
                if let Some(error) = self.io_failure(io) {
                    pending.clear();
                    texts.clear();
                    // A wrapped TLS error wins over the I/O kind it came as.
                    if let Some(inner) = io.get_ref()
                        && let Some(tls) = inner.downcast_ref::<rustls::Error>()
                    {
                        return self.tls_failure(tls);
                    }
                    return error;
                }
            }
            texts.push(e.to_string().to_ascii_lowercase());
            if let Some(source) = e.source() {
                pending.push(source);
            }
        }
        let said = |needle: &str| texts.iter().any(|t| t.contains(needle));
        let proxy = self.proxy.clone().unwrap_or_else(|| "the proxy".into());
        if said("proxy authorization required") {
            return self.unreachable_with(
                format!("proxy {proxy} asks for a user name and password"),
                "put them in the proxy URL (http://USER:PASSWORD@HOST:PORT)".into(),
            );
        }
        if said("tunnel error") || said("unsuccessful tunnel") {
            return self.unreachable_with(
                format!("proxy {proxy} refused CONNECT to {}", self.host()),
                "ask for the host to be allowed, or add it to NO_PROXY if it is reachable directly"
                    .into(),
            );
        }
        if said("dns error")
            || said("failed to lookup address")
            || said("name or service not known")
        {
            return self.unreachable(format!("cannot resolve the host name {}", self.host()));
        }
        if said("invalid uri") || said("invalid url") {
            return Error::Network(format!(
                "the {} endpoint {} is not a valid URL; fix AWS_ENDPOINT_URL",
                self.service, self.endpoint
            ));
        }
        self.unreachable("the connection failed".into())
    }

    fn io_failure(&self, io: &std::io::Error) -> Option<Error> {
        use std::io::ErrorKind;
        let words = match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused",
            ErrorKind::ConnectionReset => "the connection was reset",
            ErrorKind::ConnectionAborted => "the connection was aborted",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::UnexpectedEof => "the connection closed before an answer",
            ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => "no route to the host",
            ErrorKind::AddrNotAvailable => "the address is not available",
            _ => return None,
        };
        Some(match (&self.proxy, io.kind()) {
            (Some(proxy), ErrorKind::ConnectionRefused) => self.unreachable_with(
                format!("proxy {proxy}: connection refused"),
                "check HTTPS_PROXY/HTTP_PROXY".into(),
            ),
            _ => self.unreachable(words.into()),
        })
    }

    fn tls_failure(&self, tls: &rustls::Error) -> Error {
        use rustls::CertificateError;
        let host = self.host();
        let bundle_advice = if self.custom_ca {
            "check that AWS_CA_BUNDLE (or `ca_bundle`) holds the CA that signed it".to_string()
        } else {
            "set AWS_CA_BUNDLE (or `ca_bundle` in the profile) to your network's CA bundle"
                .to_string()
        };
        match tls {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => self
                .unreachable_with(
                    format!("TLS: unknown CA — the certificate of {host} is signed by a CA this machine does not trust"),
                    bundle_advice,
                ),
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => self.unreachable_with(
                format!("TLS: the certificate is not valid for {host}"),
                "check AWS_ENDPOINT_URL and the proxy".into(),
            ),
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => self.unreachable_with(
                format!("TLS: the certificate of {host} has expired"),
                "check the system clock and the endpoint".into(),
            ),
            rustls::Error::InvalidCertificate(_) => self.unreachable_with(
                format!("TLS: the certificate of {host} was refused"),
                bundle_advice,
            ),
            _ => self.unreachable_with(
                format!("TLS handshake with {host} failed"),
                "check that the endpoint speaks HTTPS (http:// for a plain-HTTP test server)".into(),
            ),
        }
    }
}

/// A proxy URL for messages: without its user and password.
pub fn redact_proxy(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://{host}"),
            None => url.to_string(),
        },
        None => match url.rsplit_once('@') {
            Some((_, host)) => host.to_string(),
            None => url.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_lose_their_credentials_in_messages() {
        assert_eq!(
            redact_proxy("http://user:pa55@proxy:3128"),
            "http://proxy:3128"
        );
        assert_eq!(redact_proxy("proxy:3128"), "proxy:3128");
        assert_eq!(redact_proxy("u:p@proxy:3128"), "proxy:3128");
    }
}
