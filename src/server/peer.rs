//! Who is at the other end of a loopback connection. Any local user can
//! connect to 127.0.0.1; the endpoint serves only its own user, so a flood
//! of connections from another one is closed at once and never holds a
//! slot the owner's SDKs need.
//!
//! On Linux the socket table (`/proc/net/tcp`, and `/proc/net/tcp6` for a
//! dual-stack socket reaching 127.0.0.1 as `::ffff:127.0.0.1`) lists the
//! peer's own end of the connection — local address = the peer's, remote =
//! ours — with the uid that created it. An end that cannot be found (the
//! peer already closed, or no /proc) counts as a stranger: refused.
//! Elsewhere there is no such table and every peer is accepted.

use std::net::SocketAddr;

/// TCP state ESTABLISHED as the table writes it.
const ESTABLISHED: &str = "01";

/// The socket tables as read once, for a batch of connections just
/// accepted: under a flood, one read serves hundreds of them.
pub struct Tables {
    v4: Option<String>,
    v6: Option<String>,
}

impl Tables {
    #[cfg(target_os = "linux")]
    pub fn read() -> Tables {
        Tables {
            v4: std::fs::read_to_string("/proc/net/tcp").ok(),
            // Read only if some peer is not in the IPv4 table.
            v6: None,
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn read() -> Tables {
        Tables { v4: None, v6: None }
    }

    /// Whether the peer of the connection `ours` ← `peer` belongs to our uid.
    #[cfg(target_os = "linux")]
    pub fn is_our_user(&mut self, ours: SocketAddr, peer: SocketAddr) -> bool {
        let mut uid = self.v4.as_deref().and_then(|t| peer_uid(t, peer, ours));
        if uid.is_none() {
            let v6 = self.v6.get_or_insert_with(|| {
                std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default()
            });
            uid = peer_uid(v6, peer, ours);
        }
        // SAFETY: geteuid cannot fail.
        uid == Some(unsafe { libc::geteuid() })
    }

    #[cfg(not(target_os = "linux"))]
    pub fn is_our_user(&mut self, _ours: SocketAddr, _peer: SocketAddr) -> bool {
        true
    }
}

/// The uid of the established socket whose local address is `local` and
/// remote `remote`, in the text of a /proc/net/tcp{,6} table.
fn peer_uid(table: &str, local: SocketAddr, remote: SocketAddr) -> Option<u32> {
    let six = table.lines().nth(1)?.split_whitespace().nth(1)?.len() > 13;
    let pair = format!(" {} {} ", encode(local, six)?, encode(remote, six)?);
    table.lines().find_map(|line| {
        let at = line.find(&pair)?;
        // After the two addresses: st, tx:rx, tr:when, retrnsmt, uid.
        let mut fields = line.get(at + pair.len()..)?.split_whitespace();
        (fields.next()? == ESTABLISHED).then_some(())?;
        fields.nth(3)?.parse().ok()
    })
}

/// An IPv4 address and port as the table writes them: the address as the
/// hex of its 32-bit word in host order (little-endian: 127.0.0.1 is
/// 0100007F), the port in hex; in the IPv6 table, as `::ffff:a.b.c.d`.
fn encode(address: SocketAddr, six: bool) -> Option<String> {
    let SocketAddr::V4(v4) = address else {
        return None;
    };
    let word = u32::from_ne_bytes(v4.ip().octets());
    let prefix = if six { "0000000000000000FFFF0000" } else { "" };
    Some(format!("{prefix}{word:08X}:{:04X}", v4.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:A3D2 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0 100 0 0 10 0\n\
   1: 0100007F:A3D2 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4712 1 0 20 4 30 10 -1\n\
   2: 0100007F:C350 0100007F:A3D2 06 00000000:00000000 03:00000DA8 00000000     0        0 0 3\n\
   3: 0100007F:C350 0100007F:A3D2 01 00000000:00000000 00:00000000 00000000  1001        0 4713 1 0 20 4 30 10 -1\n";

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn the_peers_own_established_end_gives_its_uid() {
        if cfg!(target_endian = "big") {
            return; // the sample table is a little-endian machine's
        }
        // Our endpoint is 0xA3D2; the peer connected from 0xC350. The
        // TIME_WAIT line of an older connection with the same ports is skipped.
        assert_eq!(peer_uid(V4, addr(0xC350), addr(0xA3D2)), Some(1001));
        assert_eq!(peer_uid(V4, addr(0xA3D2), addr(0xC350)), Some(1000));
        assert_eq!(peer_uid(V4, addr(0xC351), addr(0xA3D2)), None);
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0000000000000000FFFF00000100007F:C350 0000000000000000FFFF00000100007F:A3D2 01 00000000:00000000 00:00000000 00000000  1002        0 4714 1 0 20 4 30 10 -1\n";
        assert_eq!(peer_uid(v6, addr(0xC350), addr(0xA3D2)), Some(1002));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_of_our_own_is_ours() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let ours = listener.local_addr().unwrap();
        assert!(Tables::read().is_our_user(ours, peer));
        drop(client);
        // A peer that is not in the table (no such connection) is refused.
        assert!(!Tables::read().is_our_user(ours, addr(1)));
    }
}
