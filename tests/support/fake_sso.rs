//! A fake IAM Identity Center and AWS Sign-In on a free loopback port, std
//! only: SSO OIDC (RegisterClient, StartDeviceAuthorization, CreateToken
//! with `authorization_pending` until the test approves the device, and
//! refresh tokens that rotate: each one works once), the portal's
//! GetRoleCredentials (checking the bearer token: issued here, not expired),
//! and the Sign-In token endpoint of `aws login` renewal (the refresh token
//! rotates; a DPoP proof header is required). Every call is counted.
//!
//! The SDKs reach it through `AWS_ENDPOINT_URL_SSO`,
//! `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SIGNIN` (the paths do
//! not overlap, so one server plays all three).
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const ACCOUNT: &str = "111122223333";
pub const ROLE: &str = "ReadOnly";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[derive(Default)]
struct State {
    /// access token → epoch seconds it expires at.
    access_tokens: HashMap<String, u64>,
    /// SSO refresh tokens still valid (each is used once: rotation).
    refresh_tokens: HashSet<String>,
    /// device code → approved.
    devices: HashMap<String, bool>,
    /// Sign-In refresh tokens still valid.
    login_refresh_tokens: HashSet<String>,
    /// Calls per operation: RegisterClient, StartDeviceAuthorization,
    /// CreateToken (device), CreateToken (refresh), GetRoleCredentials,
    /// SignInToken, and `Refused:<op>` for refused ones.
    calls: HashMap<String, usize>,
    /// Seconds the access tokens issued by CreateToken live.
    token_ttl: u64,
    /// Seconds the role credentials live.
    role_ttl: u64,
    /// Whether a Sign-In request came without a DPoP header.
    login_without_dpop: bool,
}

pub struct FakeSso {
    pub endpoint: String,
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

static SERIAL: AtomicU64 = AtomicU64::new(1);

fn serial() -> u64 {
    SERIAL.fetch_add(1, Ordering::SeqCst)
}

impl FakeSso {
    pub fn start() -> FakeSso {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            token_ttl: 3600,
            role_ttl: 3600,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(stream, &st));
            }
        });
        FakeSso {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            state,
            stop,
        }
    }

    /// The environment that points every SDK (awsesh, boto3, the CLI) here.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SSO", self.endpoint.clone()),
            ("AWS_ENDPOINT_URL_SSO_OIDC", self.endpoint.clone()),
            ("AWS_ENDPOINT_URL_SIGNIN", self.endpoint.clone()),
        ]
    }

    pub fn calls(&self, operation: &str) -> usize {
        *self
            .state
            .lock()
            .unwrap()
            .calls
            .get(operation)
            .unwrap_or(&0)
    }

    /// An access token the portal accepts for `ttl` seconds (negative: one
    /// that expired that long ago).
    pub fn access_token(&self, ttl: i64) -> String {
        let token = format!("aoa-access-{}", serial());
        let at = (now() as i64 + ttl).max(0) as u64;
        self.state
            .lock()
            .unwrap()
            .access_tokens
            .insert(token.clone(), at);
        token
    }

    /// A refresh token CreateToken accepts once.
    pub fn refresh_token(&self) -> String {
        let token = format!("aor-refresh-{}", serial());
        self.state
            .lock()
            .unwrap()
            .refresh_tokens
            .insert(token.clone());
        token
    }

    /// A Sign-In refresh token accepted once.
    pub fn login_refresh_token(&self) -> String {
        let token = format!("login-refresh-{}", serial());
        self.state
            .lock()
            .unwrap()
            .login_refresh_tokens
            .insert(token.clone());
        token
    }

    /// Whether `token` would still be accepted (not yet rotated away).
    pub fn refresh_token_valid(&self, token: &str) -> bool {
        self.state.lock().unwrap().refresh_tokens.contains(token)
    }

    pub fn set_role_ttl(&self, secs: u64) {
        self.state.lock().unwrap().role_ttl = secs;
    }

    pub fn login_without_dpop(&self) -> bool {
        self.state.lock().unwrap().login_without_dpop
    }

    /// Approves every device authorization started so far.
    pub fn approve_all(&self) -> usize {
        let mut st = self.state.lock().unwrap();
        let n = st.devices.len();
        for approved in st.devices.values_mut() {
            *approved = true;
        }
        n
    }

    /// Waits (up to `within`) until `operation` was called `n` times.
    pub fn wait_for(&self, operation: &str, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.calls(operation) >= n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.calls(operation) >= n
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: serde_json::Value,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_string();
    let target = words.next()?.to_string();
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
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q),
        None => (target.clone(), ""),
    };
    let query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Some(Request {
        method,
        path,
        query,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    })
}

fn respond(status: u16, error_type: Option<&str>, body: &serde_json::Value) -> String {
    let body = body.to_string();
    let reason = if status == 200 { "OK" } else { "Error" };
    let error_header = error_type
        .map(|t| format!("x-amzn-ErrorType: {t}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{error_header}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn error(status: u16, error_type: &str, oauth_error: &str) -> String {
    respond(
        status,
        Some(error_type),
        &serde_json::json!({"error": oauth_error, "error_description": error_type, "message": error_type}),
    )
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut stream = stream;
    while let Some(req) = read_request(&mut reader) {
        let response = handle(&req, state);
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn count(st: &mut State, operation: &str) {
    *st.calls.entry(operation.to_string()).or_default() += 1;
}

fn issue_access(st: &mut State) -> String {
    let token = format!("aoa-access-{}", serial());
    let at = now() + st.token_ttl;
    st.access_tokens.insert(token.clone(), at);
    token
}

fn handle(req: &Request, state: &Mutex<State>) -> String {
    let mut st = state.lock().unwrap();
    let text = |key: &str| req.body.get(key).and_then(|v| v.as_str()).unwrap_or("");
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/client/register") => {
            count(&mut st, "RegisterClient");
            let n = serial();
            respond(
                200,
                None,
                &serde_json::json!({
                    "clientId": format!("client-{n}"),
                    "clientSecret": format!("secret-{n}"),
                    "clientIdIssuedAt": now(),
                    "clientSecretExpiresAt": now() + 90 * 86400,
                }),
            )
        }
        ("POST", "/device_authorization") => {
            count(&mut st, "StartDeviceAuthorization");
            let n = serial();
            let device = format!("device-{n}");
            st.devices.insert(device.clone(), false);
            respond(
                200,
                None,
                &serde_json::json!({
                    "deviceCode": device,
                    "userCode": format!("ABCD-{n:04}"),
                    "verificationUri": "https://device.sso.example/",
                    "verificationUriComplete": format!("https://device.sso.example/?user_code=ABCD-{n:04}"),
                    "expiresIn": 600,
                    "interval": 1,
                }),
            )
        }
        ("POST", "/token") => match text("grantType") {
            "urn:ietf:params:oauth:grant-type:device_code" => {
                count(&mut st, "CreateToken(device)");
                match st.devices.get(text("deviceCode")).copied() {
                    Some(true) => {
                        st.devices.remove(text("deviceCode"));
                        let access = issue_access(&mut st);
                        let refresh = format!("aor-refresh-{}", serial());
                        st.refresh_tokens.insert(refresh.clone());
                        respond(
                            200,
                            None,
                            &serde_json::json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": st.token_ttl, "refreshToken": refresh}),
                        )
                    }
                    Some(false) => error(
                        400,
                        "AuthorizationPendingException",
                        "authorization_pending",
                    ),
                    None => error(400, "InvalidGrantException", "invalid_grant"),
                }
            }
            "refresh_token" => {
                count(&mut st, "CreateToken(refresh)");
                if st.refresh_tokens.remove(text("refreshToken")) {
                    let access = issue_access(&mut st);
                    let refresh = format!("aor-refresh-{}", serial());
                    st.refresh_tokens.insert(refresh.clone());
                    respond(
                        200,
                        None,
                        &serde_json::json!({"accessToken": access, "tokenType": "Bearer", "expiresIn": st.token_ttl, "refreshToken": refresh}),
                    )
                } else {
                    count(&mut st, "Refused:CreateToken(refresh)");
                    error(400, "InvalidGrantException", "invalid_grant")
                }
            }
            _ => error(
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
            ),
        },
        ("GET", "/federation/credentials") => {
            count(&mut st, "GetRoleCredentials");
            let bearer = req
                .headers
                .get("x-amz-sso_bearer_token")
                .cloned()
                .unwrap_or_default();
            let valid = st.access_tokens.get(&bearer).is_some_and(|at| *at > now());
            let right_role = req.query.get("account_id").map(String::as_str) == Some(ACCOUNT)
                && req.query.get("role_name").map(String::as_str) == Some(ROLE);
            if !valid {
                count(&mut st, "Refused:GetRoleCredentials");
                return respond(
                    401,
                    Some("UnauthorizedException"),
                    &serde_json::json!({"message": "Session token not found or invalid"}),
                );
            }
            if !right_role {
                return respond(
                    403,
                    Some("ForbiddenException"),
                    &serde_json::json!({"message": "No access"}),
                );
            }
            let n = serial();
            respond(
                200,
                None,
                &serde_json::json!({"roleCredentials": {
                    "accessKeyId": format!("ASIASSOFAKE{n:09}"),
                    "secretAccessKey": format!("ssoSecret{n}abcdefghijklmnopqrstuvwxyz0123"),
                    "sessionToken": format!("ssoSessionToken{n}AAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                    "expiration": (now() + st.role_ttl) * 1000,
                }}),
            )
        }
        ("POST", "/v1/token") => {
            count(&mut st, "SignInToken");
            if !req.headers.contains_key("dpop") {
                st.login_without_dpop = true;
            }
            if text("grantType") == "refresh_token"
                && st.login_refresh_tokens.remove(text("refreshToken"))
            {
                let refresh = format!("login-refresh-{}", serial());
                st.login_refresh_tokens.insert(refresh.clone());
                let n = serial();
                respond(
                    200,
                    None,
                    &serde_json::json!({
                        "accessToken": {
                            "accessKeyId": format!("ASIALOGINFAKE{n:07}"),
                            "secretAccessKey": format!("loginSecret{n}abcdefghijklmnopqrstuvwxyz01"),
                            "sessionToken": format!("loginSessionToken{n}AAAAAAAAAAAAAAAAAAAAAAAA"),
                        },
                        "tokenType": "aws_sigv4",
                        "expiresIn": 900,
                        "refreshToken": refresh,
                    }),
                )
            } else {
                count(&mut st, "Refused:SignInToken");
                respond(
                    400,
                    Some("AccessDeniedException"),
                    &serde_json::json!({"error": "TOKEN_EXPIRED", "message": "expired"}),
                )
            }
        }
        _ => respond(
            404,
            Some("UnknownOperationException"),
            &serde_json::json!({}),
        ),
    }
}
