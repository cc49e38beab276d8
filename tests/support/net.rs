//! Real network parts for the tests: a CONNECT-capable HTTP proxy that
//! counts what passes (and can refuse), a private CA made with openssl, a
//! moto server speaking TLS with a certificate of that CA, and a server that
//! answers every request with the same canned bytes.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy does with a request for a host.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProxyRule {
    /// Forward to 127.0.0.1 on the requested port.
    Allow,
    /// Answer 403 Forbidden.
    Refuse,
    /// Answer 407 Proxy Authentication Required.
    AskAuth,
}

/// A small HTTP proxy on loopback: CONNECT tunnels and absolute-form
/// requests, every host resolved to 127.0.0.1 (so names that resolve
/// nowhere else are reachable only through it).
pub struct Proxy {
    pub url: String,
    pub connects: Arc<AtomicUsize>,
    pub forwards: Arc<AtomicUsize>,
    rules: Arc<Mutex<HashMap<String, ProxyRule>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connects = Arc::new(AtomicUsize::new(0));
        let forwards = Arc::new(AtomicUsize::new(0));
        let rules: Arc<Mutex<HashMap<String, ProxyRule>>> = Arc::default();
        let (c, f, r) = (connects.clone(), forwards.clone(), rules.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (c, f, r) = (c.clone(), f.clone(), r.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &c, &f, &r);
                });
            }
        });
        Proxy {
            url,
            connects,
            forwards,
            rules,
        }
    }

    /// What to do for `host` (default: allow).
    pub fn rule(&self, host: &str, rule: ProxyRule) {
        self.rules.lock().unwrap().insert(host.to_string(), rule);
    }

    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }

    pub fn forwards(&self) -> usize {
        self.forwards.load(Ordering::SeqCst)
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    Ok(lines)
}

fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(Shutdown::Write);
    let _ = t.join();
}

fn serve(
    client: TcpStream,
    connects: &AtomicUsize,
    forwards: &AtomicUsize,
    rules: &Mutex<HashMap<String, ProxyRule>>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let head = read_head(&mut reader)?;
    let Some(request) = head.first() else {
        return Ok(());
    };
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let authority = if method == "CONNECT" {
        target.to_string()
    } else {
        target
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let (host, port) = authority
        .rsplit_once(':')
        .map(|(h, p)| (h.to_string(), p.parse::<u16>().unwrap_or(80)))
        .unwrap_or((authority.clone(), 80));
    let rule = rules
        .lock()
        .unwrap()
        .get(&host)
        .copied()
        .unwrap_or(ProxyRule::Allow);
    let mut client_w = client.try_clone()?;
    match rule {
        ProxyRule::Refuse => {
            client_w.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
        ProxyRule::AskAuth => {
            client_w.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            return Ok(());
        }
        ProxyRule::Allow => {}
    }
    let upstream = TcpStream::connect(("127.0.0.1", port))?;
    if method == "CONNECT" {
        connects.fetch_add(1, Ordering::SeqCst);
        client_w.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        // Whatever the reader buffered belongs to the tunnel.
        let mut upstream_w = upstream.try_clone()?;
        upstream_w.write_all(reader.buffer())?;
        pipe(client, upstream);
    } else {
        forwards.fetch_add(1, Ordering::SeqCst);
        // Origin-form for the server; one request per connection.
        let path = target
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .unwrap_or_else(|| "/".into());
        let mut out = format!("{method} {path} HTTP/1.1\r\n");
        for line in &head[1..] {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("proxy-") || lower.starts_with("connection:") {
                continue;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut upstream_w = upstream.try_clone()?;
        upstream_w.write_all(out.as_bytes())?;
        upstream_w.write_all(reader.buffer())?;
        pipe(client, upstream);
    }
    Ok(())
}

/// A private CA and a server certificate it signed, made with openssl.
pub struct TestCa {
    pub dir: PathBuf,
    pub ca_pem: PathBuf,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestCa {
    /// A CA and a certificate for `names` (DNS names) and 127.0.0.1, or None
    /// (after saying so) when openssl is missing.
    pub fn new(dir: &Path, names: &[&str]) -> Option<TestCa> {
        if super::which("openssl").is_none() {
            super::missing("openssl");
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=awsesh test CA",
        ]);
        openssl(dir, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=awsesh test server",
        ]);
        openssl(dir, &csr);
        let sans: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
        std::fs::write(
            dir.join("ext"),
            format!(
                "subjectAltName={},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
                sans.join(",")
            ),
        )
        .unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "ext",
            ],
        );
        Some(TestCa {
            dir: dir.to_path_buf(),
            ca_pem: dir.join("ca.pem"),
            cert_pem: dir.join("server.pem"),
            key_pem: dir.join("server.key"),
        })
    }
}

/// moto speaking HTTPS with the test CA's certificate, for this test only.
pub struct MotoTls {
    pub port: u16,
    child: std::process::Child,
}

impl MotoTls {
    pub fn start(ca: &TestCa) -> Option<MotoTls> {
        let program = super::which("moto_server")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string(), "-s", "-c"])
            .arg(&ca.cert_pem)
            .arg("-k")
            .arg(&ca.key_pem)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = MotoTls { port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto over TLS did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }
}

impl Drop for MotoTls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server that reads each request and answers with `response`, counting
/// requests; `None` as response: accept and never answer.
pub struct Canned {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
}

impl Canned {
    pub fn start(response: Option<Vec<u8>>) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for mut stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let Some(response) = &response else {
                    held.push(stream);
                    continue;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 65536];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(response);
                let _ = stream.shutdown(Shutdown::Both);
            }
        });
        Canned { url, requests }
    }

    /// An HTTP answer with `status` and an XML or text `body`.
    pub fn http(status: &str, body: &str) -> Vec<u8> {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}
