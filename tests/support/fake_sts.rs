//! A small STS (and IAM GetUser / ListMFADevices) on a free loopback port,
//! std only, one thread per connection, started by the test that needs it
//! and stopped when dropped. Unlike moto it issues DISTINCT keys on every
//! call (so "all processes got the same session" means something), and a
//! test sets how it behaves: delay, hang, close the connection, HTTP errors
//! with an XML body, a rejected MFA code, throttling, garbage, hostile
//! values, odd expirations. It counts and records requests per action.
//!
//! awsesh reaches it through `AWS_ENDPOINT_URL`, as it reaches moto.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a `Hang` holds a connection at most (past every awsesh timeout,
/// short enough that a test binary never waits on it at exit).
const HANG_FOR: Duration = Duration::from_secs(60);

/// What the server answers to one action.
#[derive(Clone, Debug)]
pub enum Answer {
    /// A valid answer; for calls that issue credentials, fresh distinct keys.
    Ok,
    /// Credentials that expire at this RFC 3339 text (any text, even absurd).
    ExpiresAt(String),
    /// Credentials that expire this many seconds from now (negative: past).
    ExpiresIn(i64),
    /// Credentials with these values (None: the usual distinct ones).
    Hostile {
        access_key_id: Option<String>,
        secret: Option<String>,
        token: Option<String>,
    },
    /// An XML error of STS's shape with this HTTP status.
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// 200 with a body that is not XML.
    Garbage,
    /// Read the request, answer nothing, hold the connection.
    Hang,
    /// Read the request and close the connection without a byte.
    Close,
}

impl Answer {
    pub fn mfa_rejected() -> Answer {
        Answer::Error {
            status: 403,
            code: "AccessDenied".into(),
            message: "MultiFactorAuthentication failed with invalid MFA one time pass code. "
                .into(),
        }
    }

    pub fn throttled() -> Answer {
        Answer::Error {
            status: 400,
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
        }
    }

    pub fn server_error(status: u16) -> Answer {
        Answer::Error {
            status,
            code: if status == 503 {
                "ServiceUnavailable".into()
            } else {
                "InternalFailure".into()
            },
            message: "We encountered an internal error. Please try again.".into(),
        }
    }
}

#[derive(Clone, Debug)]
struct Behaviour {
    delay: Duration,
    answer: Answer,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub action: String,
    /// The access key id of the SigV4 `Authorization` header.
    pub signed_by: String,
    pub params: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    /// Per action; "*" for every action without its own.
    behaviours: HashMap<String, Behaviour>,
    seen: Vec<Seen>,
}

pub struct FakeSts {
    pub endpoint: String,
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    /// TCP connections accepted (requests can share one: keep-alive).
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

static SERIAL: AtomicU64 = AtomicU64::new(1);

impl FakeSts {
    pub fn start() -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (st, sp, accepted) = (state.clone(), stop.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let (st, sp) = (st.clone(), sp.clone());
                std::thread::spawn(move || serve(stream, &st, &sp));
            }
        });
        FakeSts {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
            stop,
            connections,
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How `action` (e.g. `GetSessionToken`, or `*` for all) is answered,
    /// after `delay`.
    pub fn set(&self, action: &str, delay: Duration, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .behaviours
            .insert(action.to_string(), Behaviour { delay, answer });
    }

    pub fn answer(&self, action: &str, answer: Answer) {
        self.set(action, Duration::ZERO, answer);
    }

    /// Requests of `action` so far.
    pub fn count(&self, action: &str) -> usize {
        self.seen().iter().filter(|s| s.action == action).count()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Waits (up to `within`) until `action` was requested `n` times; false
    /// if it was not.
    pub fn wait_for(&self, action: &str, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.count(action) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.count(action) >= n
    }
}

impl Drop for FakeSts {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    // Keep-alive: one request after another on the connection.
    loop {
        let Some((headers, body)) = read_request(&mut reader) else {
            return;
        };
        let params = parse_form(&body);
        let action = params.get("Action").cloned().unwrap_or_default();
        let signed_by = headers
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or("")
            .to_string();
        let behaviour = {
            let mut st = state.lock().unwrap();
            st.seen.push(Seen {
                action: action.clone(),
                signed_by,
                params: params.clone(),
            });
            st.behaviours
                .get(&action)
                .or_else(|| st.behaviours.get("*"))
                .cloned()
                .unwrap_or(Behaviour {
                    delay: Duration::ZERO,
                    answer: Answer::Ok,
                })
        };
        sleep_unless_stopped(behaviour.delay, stop);
        let response = match &behaviour.answer {
            Answer::Hang => {
                sleep_unless_stopped(HANG_FOR, stop);
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Answer::Close => {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Answer::Garbage => http(200, "text/xml", "\u{0}<<not xml at all>>>\r\n\r\n}{"),
            Answer::Error {
                status,
                code,
                message,
            } => http(*status, "text/xml", &error_xml(code, message)),
            answer => http(200, "text/xml", &success_xml(&action, &params, answer)),
        };
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let deadline = Instant::now() + total;
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20).min(total));
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(HashMap<String, String>, String)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some((headers, String::from_utf8_lossy(&body).into_owned()))
}

fn parse_form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn http(status: u16, content_type: &str, body: &str) -> String {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: fake-{}\r\n\r\n{body}",
        body.len(),
        SERIAL.fetch_add(1, Ordering::SeqCst)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>fake</RequestId></ErrorResponse>",
        escape(code),
        escape(message)
    )
}

/// RFC 3339 in UTC for `now + secs`.
pub fn rfc3339_in(secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = now + secs;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let (days, rem) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Fresh credentials: every call gets keys no other call got.
pub fn distinct_keys() -> (String, String, String) {
    let n = SERIAL.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    (
        format!("ASIAFAKE{pid:06}{n:08}"),
        format!("fakeSecret{pid}x{n}abcdefghijklmnopqrstuvwxyz0123456789+/"),
        // As long as a real one: regional STS tokens run to 1,000 characters
        // and more (AWS promises no maximum), so a size limit on the session
        // file too small for them fails the suite.
        format!(
            "IQoJb3JpZ2luX2VjFakeToken{pid}x{n}{}==",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".repeat(20)
        ),
    )
}

fn credentials_xml(params: &HashMap<String, String>, answer: &Answer) -> String {
    let (mut key, mut secret, mut token) = distinct_keys();
    let requested: i64 = params
        .get("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .unwrap_or(43_200);
    let mut expiration = rfc3339_in(requested);
    match answer {
        Answer::ExpiresAt(text) => expiration = text.clone(),
        Answer::ExpiresIn(secs) => expiration = rfc3339_in(*secs),
        Answer::Hostile {
            access_key_id,
            secret: s,
            token: t,
        } => {
            if let Some(k) = access_key_id {
                key = k.clone();
            }
            if let Some(s) = s {
                secret = s.clone();
            }
            if let Some(t) = t {
                token = t.clone();
            }
        }
        _ => {}
    }
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        escape(&key),
        escape(&secret),
        escape(&token),
        escape(&expiration)
    )
}

fn success_xml(action: &str, params: &HashMap<String, String>, answer: &Answer) -> String {
    let sts = "https://sts.amazonaws.com/doc/2011-06-15/";
    let iam = "https://iam.amazonaws.com/doc/2010-05-08/";
    let meta = "<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>";
    let result = match action {
        "GetSessionToken" => (sts, credentials_xml(params, answer)),
        "AssumeRole" => {
            let arn = params.get("RoleArn").cloned().unwrap_or_default();
            let name = params.get("RoleSessionName").cloned().unwrap_or_default();
            (
                sts,
                format!(
                    "{}<AssumedRoleUser><AssumedRoleId>AROAFAKEFAKEFAKE:{}</AssumedRoleId><Arn>{}/{}</Arn></AssumedRoleUser>",
                    credentials_xml(params, answer),
                    escape(&name),
                    escape(&arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")),
                    escape(&name)
                ),
            )
        }
        "GetCallerIdentity" => (
            sts,
            "<Arn>arn:aws:iam::123456789012:user/fake</Arn><UserId>AIDAFAKEFAKEFAKEFAKE</UserId><Account>123456789012</Account>".to_string(),
        ),
        "GetUser" => (
            iam,
            "<User><Path>/</Path><UserName>fake</UserName><UserId>AIDAFAKEFAKEFAKEFAKE</UserId><Arn>arn:aws:iam::123456789012:user/fake</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate></User>".to_string(),
        ),
        "ListMFADevices" => (
            iam,
            "<IsTruncated>false</IsTruncated><MFADevices><member><UserName>fake</UserName><SerialNumber>arn:aws:iam::123456789012:mfa/fake</SerialNumber><EnableDate>2020-01-01T00:00:00Z</EnableDate></member></MFADevices>".to_string(),
        ),
        _ => return error_xml("InvalidAction", "unknown action"),
    };
    format!(
        "<{action}Response xmlns=\"{}\"><{action}Result>{}</{action}Result>{meta}</{action}Response>",
        result.0, result.1
    )
}

/// A loopback port that never completes a TCP handshake: a listener with a
/// backlog of 0 whose queue is filled and never accepted, so the kernel
/// drops further SYNs and a client's connect hangs until its own timeout.
pub struct BlackHole {
    pub endpoint: String,
    fd: i32,
    _fillers: Vec<TcpStream>,
}

impl BlackHole {
    pub fn start() -> BlackHole {
        // SAFETY: plain socket calls on a descriptor we own; the address is
        // a zeroed sockaddr_in filled with loopback and port 0.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket");
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            assert_eq!(
                libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len),
                0
            );
            assert_eq!(libc::listen(fd, 0), 0);
            let mut bound: libc::sockaddr_in = std::mem::zeroed();
            let mut blen = len;
            libc::getsockname(fd, &mut bound as *mut _ as *mut libc::sockaddr, &mut blen);
            let port = u16::from_be(bound.sin_port);
            // Fill the accept queue; connects beyond it hang (SYN dropped).
            let mut fillers = Vec::new();
            for _ in 0..4 {
                match TcpStream::connect_timeout(
                    &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                    Duration::from_millis(300),
                ) {
                    Ok(s) => fillers.push(s),
                    Err(_) => break,
                }
            }
            BlackHole {
                endpoint: format!("http://127.0.0.1:{port}"),
                fd,
                _fillers: fillers,
            }
        }
    }

    /// Whether a connect to it really hangs (the kernel may differ).
    pub fn swallows_connects(&self) -> bool {
        let port: u16 = self.endpoint.rsplit(':').next().unwrap().parse().unwrap();
        TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(500),
        )
        .is_err()
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        // SAFETY: closing the descriptor we opened.
        unsafe {
            libc::close(self.fd);
        }
    }
}
