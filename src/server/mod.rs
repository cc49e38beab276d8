//! The loopback credential endpoint of `awsesh exec --server`: the ECS
//! container-credentials protocol every AWS SDK and the CLI speak
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
//!
//! It binds 127.0.0.1 only, on a port the kernel picks. A request is served
//! only when its `Host` is exactly that address and port (a browser led
//! there by DNS rebinding sends another name), it is a GET of the one path,
//! and it carries the token, compared in constant time. Heads are bounded,
//! reads have deadlines, connections are few and each has its own thread, so
//! one slow client holds only itself. Nothing is logged: answers hold keys.
//!
//! Only our own user is served: a connection from another uid (`peer.rs`)
//! is closed at once, before it takes a slot or a thread, so other local
//! users cannot starve the owner's SDKs of connections (issue 20).

pub mod child_config;
pub mod http;
pub mod peer;
pub mod registry;
pub mod source;

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::sys::error::{Error, Result};
use crate::sys::secret::Secret;
use http::{Head, ReadError};
use source::{Answer, Source};

/// The one path that is served.
pub const PATH: &str = "/awsesh/credentials";
/// Connections open at once; more are closed at once.
const MAX_CONNECTIONS: usize = 128;
/// Requests on one kept-alive connection before it is closed.
const MAX_REQUESTS_PER_CONNECTION: usize = 1000;
/// 256 bits from the OS random generator (hex): at least 128 are required.
const TOKEN_BYTES: usize = 32;

/// A running endpoint. It stops with the process (the threads are not
/// joined): `exec --server` exits when its command does.
pub struct Endpoint {
    pub port: u16,
    pub token: Secret,
    /// A copy of the listening socket (close-on-exec) for the guardian,
    /// which holds the port for as long as CMD's tree lives.
    pub guard_socket: std::os::fd::OwnedFd,
}

impl Endpoint {
    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}{PATH}", self.port)
    }

    /// Binds 127.0.0.1 on a free port and serves `profile` from `source`.
    pub fn start(source: Arc<Source>) -> Result<Endpoint> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(|e| Error::io("cannot open the credential endpoint on 127.0.0.1", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("cannot open the credential endpoint on 127.0.0.1", e))?
            .port();
        let token = new_token()?;
        let guard_socket = listener
            .try_clone()
            .map_err(|e| Error::io("cannot open the credential endpoint on 127.0.0.1", e))?
            .into();
        let gate = Arc::new(Gate {
            host: format!("127.0.0.1:{port}").into_bytes(),
            token: token.expose().as_bytes().to_vec(),
            source,
            open: AtomicUsize::new(0),
        });
        std::thread::Builder::new()
            .name("awsesh-endpoint".into())
            .spawn(move || accept_loop(listener, gate))
            .map_err(|e| Error::io("cannot start the credential endpoint", e))?;
        Ok(Endpoint {
            port,
            token,
            guard_socket,
        })
    }
}

/// A token from the OS random generator, as hex.
fn new_token() -> Result<Secret> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::io(
            "cannot get random bytes from the OS for the endpoint token",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

struct Gate {
    host: Vec<u8>,
    token: Vec<u8>,
    source: Arc<Source>,
    open: AtomicUsize,
}

/// Counts a connection for as long as its thread lives.
struct Slot(Arc<Gate>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Connections taken from the queue at once, checked against one read of
/// the socket tables.
const ACCEPT_BATCH: usize = 256;

fn accept_loop(listener: TcpListener, gate: Arc<Gate>) {
    let Ok(ours) = listener.local_addr() else {
        return;
    };
    let mut batch = Vec::with_capacity(ACCEPT_BATCH);
    loop {
        // Wait for one, then take what else is queued without waiting.
        let _ = listener.set_nonblocking(false);
        match listener.accept() {
            Ok(accepted) => batch.push(accepted),
            Err(_) => {
                // Out of descriptors or the like: let connections drain.
                std::thread::sleep(std::time::Duration::from_millis(20));
                continue;
            }
        }
        let _ = listener.set_nonblocking(true);
        while batch.len() < ACCEPT_BATCH {
            match listener.accept() {
                Ok(accepted) => batch.push(accepted),
                Err(_) => break,
            }
        }
        // Read after the accepts: every peer's end is in the tables by now.
        let mut tables = peer::Tables::read();
        for (stream, peer) in batch.drain(..) {
            if !tables.is_our_user(ours, peer) {
                reset(stream);
                continue;
            }
            let _ = stream.set_nonblocking(false);
            serve(stream, &gate);
        }
    }
}

/// Gives an accepted connection of our user its own thread, if a slot is free.
fn serve(stream: TcpStream, gate: &Arc<Gate>) {
    if gate.open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        gate.open.fetch_sub(1, Ordering::SeqCst);
        return; // dropped: closed at once
    }
    let slot = Slot(Arc::clone(gate));
    let spawned = std::thread::Builder::new()
        .name("awsesh-conn".into())
        .spawn(move || serve_connection(stream, slot));
    // On failure the closure (and its slot) is dropped, which frees the count.
    drop(spawned);
}

/// Closes a refused connection with a reset: nothing is sent, and no
/// TIME_WAIT entry is left to lengthen the socket table read for the next.
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `linger` for the socket we own; the size is its own.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

fn serve_connection(mut stream: TcpStream, slot: Slot) {
    let gate = &slot.0;
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::new();
    for served in 1..=MAX_REQUESTS_PER_CONNECTION {
        let (status, body, close) = match http::read_head(&mut stream, &mut buffer) {
            Ok(head) => {
                let (status, body) = gate.answer(&head);
                let close = head.close || status != 200 || served == MAX_REQUESTS_PER_CONNECTION;
                (status, body, close)
            }
            Err(ReadError::Gone) => return,
            Err(ReadError::Bad(status)) => {
                (status, error_body("BadRequest", "malformed request"), true)
            }
        };
        if http::respond(&mut stream, status, &body, close).is_err() || close {
            break;
        }
    }
    // Let the client read the answer before the close resets the connection.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(100)));
    let _ = stream.read(&mut [0u8; 256]);
}

impl Gate {
    /// The status and body for one request.
    fn answer(&self, head: &Head) -> (u16, String) {
        if !matches!(&head.host, Some(Ok(host)) if *host == self.host) {
            return (
                403,
                error_body(
                    "InvalidHost",
                    "the Host header must be this endpoint's address",
                ),
            );
        }
        if head.method != "GET" {
            return (405, error_body("MethodNotAllowed", "only GET is served"));
        }
        if head.path != PATH {
            return (404, error_body("NotFound", "no such path"));
        }
        match &head.authorization {
            None => {
                return (
                    401,
                    error_body("MissingToken", "the Authorization header is missing"),
                );
            }
            Some(Ok(token)) if constant_time_eq(token, &self.token) => {}
            Some(_) => return (403, error_body("InvalidToken", "wrong token")),
        }
        match self.source.answer() {
            Answer::Credentials(session) => {
                let c = &session.credentials;
                let body = json!({
                    "AccessKeyId": c.access_key_id,
                    "SecretAccessKey": c.secret_access_key.expose(),
                    "Token": c.session_token.expose(),
                    "Expiration": session.expiration_rfc3339(),
                });
                (200, body.to_string())
            }
            // 503: the SDKs retry it, and botocore shows the message.
            Answer::Unavailable(reason) => (503, error_body("NoSession", &reason)),
        }
    }
}

/// The error shape SDKs read (`Code`/`Message`; Go matches it case-insensitively).
fn error_body(code: &str, message: &str) -> String {
    json!({ "Code": code, "Message": format!("awsesh: {message}") }).to_string()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    // The length is not secret (every token has the same), the bytes are.
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"abcd"));
    }
}
