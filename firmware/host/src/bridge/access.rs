//! Who may open the bridge's WebSocket: a check of the upgrade request's `Origin` and `Host`
//! headers (docs/PROTOCOL.md §5).
//!
//! Browsers let any web page open a WebSocket to any address, loopback included, and the
//! serial console behind the bridge needs no password. So an upgrade is accepted only when:
//! - `Origin` is absent (not a browser: a CLI tool, a test), a loopback origin
//!   (`http(s)://localhost`, `127.0.0.1` or `[::1]`, any port), or one given with
//!   `--allow-origin` (`*` allows every origin);
//! - `Host` is absent, an IP address, `localhost`, the host of `--listen`, or the host of an
//!   allowed origin — a DNS name that resolves to the bridge only by a rebinding trick is
//!   refused. With `--allow-origin *` the `Host` is not checked either.
//!
//! Must never accept a browser page from a non-loopback origin that was not allowed.

use std::net::IpAddr;

use ferrite_protocols::http::Request;

/// The allowed origins and host names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// `--allow-origin *`: every origin and host.
    allow_all: bool,
    /// `--allow-origin` values, lower case, without a trailing slash.
    origins: Vec<String>,
    /// Host names (lower case, without a port) accepted in `Host` besides IP addresses and
    /// `localhost`: the `--listen` host and the hosts of the allowed origins.
    hosts: Vec<String>,
}

/// `scheme://host[:port]` of an origin: (scheme, host without brackets for IPv6, lower case).
fn split_origin(origin: &str) -> Option<(String, String)> {
    let origin = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://")?;
    let rest = rest.trim_end_matches('/');
    if rest.contains(['/', '?', '#', '@']) || rest.is_empty() {
        return None;
    }
    Some((scheme.to_string(), host_of(rest)?))
}

/// The host of `host[:port]` (`[v6]:port` gives `v6`), lower case.
fn host_of(authority: &str) -> Option<String> {
    let a = authority.trim().to_ascii_lowercase();
    if let Some(rest) = a.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.starts_with(':')) {
            return None;
        }
        return Some(h.to_string());
    }
    let h = match a.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => a.as_str(),
    };
    (!h.is_empty()).then(|| h.to_string())
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Access {
    /// The policy for a bridge listening on `listen` (`HOST:PORT`) with these
    /// `--allow-origin` values.
    pub fn new(listen: &str, allowed_origins: &[String]) -> Access {
        let mut a = Access::default();
        if let Some(h) = host_of(listen) {
            a.hosts.push(h);
        }
        for o in allowed_origins {
            if o.trim() == "*" {
                a.allow_all = true;
                continue;
            }
            let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
            if let Some((_, h)) = split_origin(&o) {
                a.hosts.push(h);
            }
            a.origins.push(o);
        }
        a
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if self.allow_all {
            return true;
        }
        let normalized = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        if self.origins.contains(&normalized) {
            return true;
        }
        matches!(split_origin(origin), Some((scheme, host))
            if (scheme == "http" || scheme == "https") && is_loopback_host(&host))
    }

    fn host_allowed(&self, host: &str) -> bool {
        if self.allow_all {
            return true;
        }
        let Some(h) = host_of(host) else {
            return false;
        };
        h == "localhost" || h.parse::<IpAddr>().is_ok() || self.hosts.contains(&h)
    }

    /// `Ok` if the upgrade request may open the bridge; else why not (for the 403 body).
    pub fn check(&self, req: &Request) -> Result<(), String> {
        if let Some(origin) = req.header("Origin") {
            if !self.origin_allowed(origin) {
                return Err(format!(
                    "origin {origin} is not allowed (start the bridge with --allow-origin {origin})"
                ));
            }
        }
        if let Some(host) = req.header("Host") {
            if !self.host_allowed(host) {
                return Err(format!(
                    "host {host} is not allowed (use an IP address, localhost or the --listen host)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut text = String::from("GET / HTTP/1.1\r\n");
        for (k, v) in headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        text.push_str("\r\n");
        let mut p = ferrite_protocols::http::RequestParser::new(8192);
        p.feed(text.as_bytes());
        p.next_request().unwrap().unwrap()
    }

    #[test]
    fn loopback_origins_and_no_origin_are_allowed_by_default() {
        let a = Access::new("127.0.0.1:8765", &[]);
        for o in [
            "http://127.0.0.1:8000",
            "http://localhost:8080",
            "https://localhost",
            "http://[::1]:3000",
            "HTTP://LOCALHOST:1",
        ] {
            assert!(
                a.check(&req(&[("Host", "127.0.0.1:8765"), ("Origin", o)]))
                    .is_ok(),
                "{o}"
            );
        }
        assert!(a.check(&req(&[("Host", "127.0.0.1:8765")])).is_ok());
        assert!(a.check(&req(&[])).is_ok());
        for o in [
            "http://evil.example",
            "null",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "file://",
            "ftp://localhost",
        ] {
            let e = a
                .check(&req(&[("Host", "127.0.0.1:8765"), ("Origin", o)]))
                .unwrap_err();
            assert!(e.contains("not allowed"), "{o}: {e}");
        }
    }

    #[test]
    fn allowed_origins_and_their_hosts() {
        let a = Access::new(
            "0.0.0.0:8765",
            &[
                "http://192.168.1.5:8080".into(),
                "http://mybox.lan:8080/".into(),
            ],
        );
        let ok = |h: &str, o: &str| a.check(&req(&[("Host", h), ("Origin", o)])).is_ok();
        assert!(ok("192.168.1.5:8765", "http://192.168.1.5:8080"));
        assert!(ok("mybox.lan:8765", "http://MyBox.lan:8080"));
        assert!(!ok("192.168.1.5:8765", "http://192.168.1.5:9999"));
        // DNS rebinding: a loopback origin page reached under a foreign name.
        assert!(!ok("attacker.example:8765", "http://attacker.example:8765"));
        assert!(a.check(&req(&[("Host", "attacker.example:8765")])).is_err());
        assert!(a.check(&req(&[("Host", "[::1]:8765")])).is_ok());
        assert!(a.check(&req(&[("Host", "localhost")])).is_ok());
        let named = Access::new("mybox.lan:8765", &[]);
        assert!(named.check(&req(&[("Host", "mybox.lan:8765")])).is_ok());
        let all = Access::new("127.0.0.1:1", &["*".into()]);
        assert!(all
            .check(&req(&[
                ("Host", "x.example"),
                ("Origin", "http://evil.example")
            ]))
            .is_ok());
    }
}
