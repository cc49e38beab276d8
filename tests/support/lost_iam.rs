//! A fake IAM on loopback whose CreateAccessKey answer never arrives: every
//! request is passed to moto (so IAM's state is real — the key *is*
//! created and later ListAccessKeys shows it), but the answer to
//! CreateAccessKey is dropped and the client's connection held open until
//! the client gives up. Point `AWS_ENDPOINT_URL_IAM` at `endpoint`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct LostIam {
    pub endpoint: String,
    swallowed: Arc<AtomicUsize>,
}

impl LostIam {
    /// Forwards to `upstream` (`http://127.0.0.1:PORT`, moto).
    pub fn start(upstream: &str) -> LostIam {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let swallowed = Arc::new(AtomicUsize::new(0));
        let count = swallowed.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let count = count.clone();
                std::thread::spawn(move || serve(client, &upstream, &count));
            }
        });
        LostIam {
            endpoint,
            swallowed,
        }
    }

    /// How many CreateAccessKey answers were dropped.
    pub fn swallowed(&self) -> usize {
        self.swallowed.load(Ordering::SeqCst)
    }
}

/// Headers and body of one HTTP/1.1 message with a Content-Length.
fn read_message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// The head with `Connection: close` instead of any Connection header.
fn closing(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

fn serve(mut client: TcpStream, upstream: &str, swallowed: &AtomicUsize) {
    let Some((head, body)) = read_message(&mut client) else {
        return;
    };
    let Ok(mut moto) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = moto.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = moto
        .write_all(closing(&head).as_bytes())
        .and_then(|()| moto.write_all(&body));
    let mut answer = Vec::new();
    let _ = moto.read_to_end(&mut answer);
    if String::from_utf8_lossy(&body).contains("Action=CreateAccessKey") {
        swallowed.fetch_add(1, Ordering::SeqCst);
        // IAM made the key; its answer never comes. Hold the connection
        // until the client gives up (or a minute).
        let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
        let mut sink = [0u8; 256];
        while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
        return;
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(answer.len());
    let (answer_head, answer_body) = answer.split_at(split);
    let _ = client
        .write_all(closing(&String::from_utf8_lossy(answer_head)).as_bytes())
        .and_then(|()| client.write_all(answer_body));
}
