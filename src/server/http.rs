//! The little HTTP/1.1 the credential endpoint speaks: one bounded request
//! head at a time (parsed by httparse), no request bodies, and plain
//! responses with a length. Every read has a deadline so that a client that
//! sends slowly or not at all only ever holds its own connection, briefly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A request head larger than this is refused (431).
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send one request head, or stay idle
/// between two requests on a kept-alive connection. SDKs send the head at
/// once and reconnect when a kept-alive connection was closed, so a short
/// bound costs them nothing and frees a slot quickly (issue 20).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How long writing a response may block on a client that does not read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_HEADERS: usize = 32;

/// What the endpoint needs from a request head.
#[derive(Debug, Default)]
pub struct Head {
    pub method: String,
    pub path: String,
    /// None when absent; Err(()) when sent more than once.
    pub host: Option<Result<Vec<u8>, ()>>,
    pub authorization: Option<Result<Vec<u8>, ()>>,
    /// The client asked to close, or speaks HTTP/1.0.
    pub close: bool,
}

/// Why no request could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The client closed the connection (or went idle) between requests.
    Gone,
    /// A malformed or unacceptable request: answer with this status, then close.
    Bad(u16),
}

/// Reads one request head from `stream`. `buffer` carries bytes the client
/// already sent after the previous request (pipelining).
pub fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Head, ReadError> {
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut chunk = [0u8; 1024];
    loop {
        if !buffer.is_empty()
            && let Some((head, used)) = parse(buffer)?
        {
            buffer.drain(..used);
            return Ok(head);
        }
        if buffer.len() > MAX_HEAD {
            return Err(ReadError::Bad(431));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(timeout(buffer));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ReadError::Gone),
            Ok(n) => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timeout(buffer));
            }
            Err(_) => return Err(ReadError::Gone),
        }
    }
}

/// An idle keep-alive connection just ends; a request that stalled halfway
/// gets a 408.
fn timeout(buffer: &[u8]) -> ReadError {
    if buffer.is_empty() {
        ReadError::Gone
    } else {
        ReadError::Bad(408)
    }
}

/// Parses a complete head from the front of `bytes`; None when more is needed.
fn parse(bytes: &[u8]) -> Result<Option<(Head, usize)>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(bytes) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(ReadError::Bad(431)),
        Err(_) => return Err(ReadError::Bad(400)),
    };
    if used > MAX_HEAD {
        return Err(ReadError::Bad(431));
    }
    let mut head = Head {
        method: request.method.unwrap_or_default().to_string(),
        path: request.path.unwrap_or_default().to_string(),
        close: request.version != Some(1),
        ..Head::default()
    };
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("host") {
            set_once(&mut head.host, header.value);
        } else if name.eq_ignore_ascii_case("authorization") {
            set_once(&mut head.authorization, header.value);
        } else if name.eq_ignore_ascii_case("connection") {
            let value = String::from_utf8_lossy(header.value).to_ascii_lowercase();
            if value.split(',').any(|v| v.trim() == "close") {
                head.close = true;
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || (name.eq_ignore_ascii_case("content-length") && header.value.trim_ascii() != b"0")
        {
            // A GET has no body; one we would have to skip is refused instead.
            return Err(ReadError::Bad(400));
        }
    }
    Ok(Some((head, used)))
}

fn set_once(slot: &mut Option<Result<Vec<u8>, ()>>, value: &[u8]) {
    *slot = match slot {
        None => Some(Ok(value.trim_ascii().to_vec())),
        Some(_) => Some(Err(())),
    };
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Writes a JSON response; `close` says whether the connection ends after it.
pub fn respond(
    stream: &mut TcpStream,
    status: u16,
    body: &str,
    close: bool,
) -> std::io::Result<()> {
    let allow = if status == 405 { "Allow: GET\r\n" } else { "" };
    let connection = if close { "close" } else { "keep-alive" };
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\n{allow}Connection: {connection}\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(Head, usize)>, ReadError> {
        parse(text.as_bytes())
    }

    #[test]
    fn parses_what_sdks_send() {
        let (h, used) = head(
            "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nAuthorization: abc\r\n\
             Accept: application/json\r\n\r\nGET",
        )
        .unwrap()
        .unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/credentials");
        assert_eq!(h.host, Some(Ok(b"127.0.0.1:4000".to_vec())));
        assert_eq!(h.authorization, Some(Ok(b"abc".to_vec())));
        assert!(!h.close);
        assert_eq!(used, "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nAuthorization: abc\r\nAccept: application/json\r\n\r\n".len());
        let (h, _) = head("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(h.close, "HTTP/1.0 closes");
        assert!(head("GET / HTTP/1.1\r\nHost: x").unwrap().is_none());
    }

    #[test]
    fn refuses_duplicates_bodies_and_garbage() {
        let (h, _) = head("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.host, Some(Err(())));
        for bad in [
            "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
            "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "\u{1}\u{2} nonsense\r\n\r\n",
        ] {
            assert_eq!(head(bad).err(), Some(ReadError::Bad(400)), "{bad:?}");
        }
        let many: String = (0..40).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(
            head(&format!("GET / HTTP/1.1\r\n{many}\r\n")).err(),
            Some(ReadError::Bad(431))
        );
    }
}
