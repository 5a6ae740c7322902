//! Who the client is. The socket peer, unless the peer is a trusted proxy
//! (`TRUSTED_PROXIES`): then the one header the operator named (`CLIENT_IP_HEADER`) says
//! who the proxy spoke for, and no other header is ever believed. A client that reaches the
//! server directly, or sends its own `CF-Connecting-IP` through a generic proxy, cannot pick
//! its identity (docs/security.md, "Client identity").
//!
//! `X-Forwarded-For` is walked from the right on its raw bytes: the right-most address that
//! is not a trusted proxy is the client, and whatever stands left of it (what the client
//! itself sent, garbage included) never matters.
//!
//! Written by hand: the `axum-client-ip` crate reads one header as a whole, but does not
//! check that the peer is a trusted proxy first, nor skip trusted hops in a chain.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use vanish_core::ratelimit::ClientKey;

use crate::config::ClientIpHeader;

/// The client's address as decided here; in request extensions for the access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Present on requests whose socket peer is a trusted proxy: only then may headers that
/// proxy sets (the client's address, a signed-in identity) be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViaTrustedProxy;

/// How to tell who a request comes from.
#[derive(Debug, Clone)]
pub struct Resolver {
    trusted: Arc<[IpNet]>,
    header: ClientIpHeader,
}

pub async fn layer(State(resolver): State<Resolver>, mut req: Request, next: Next) -> Response {
    // Without a socket (in-process tests) the peer is the loopback.
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    let ip = resolver.client_ip(peer, req.headers());
    if resolver.is_trusted(canonical(peer)) {
        req.extensions_mut().insert(ViaTrustedProxy);
    }
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(ClientKey::of(ip));
    next.run(req).await
}

impl Resolver {
    pub fn new(trusted: &[IpNet], header: ClientIpHeader) -> Self {
        Self {
            trusted: trusted.into(),
            header,
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.is_trusted(peer) {
            return peer;
        }
        let named = match self.header {
            ClientIpHeader::None => None,
            ClientIpHeader::CfConnectingIp => single_address(headers, "cf-connecting-ip"),
            ClientIpHeader::XRealIp => single_address(headers, "x-real-ip"),
            ClientIpHeader::XForwardedFor => self.rightmost_untrusted(headers),
        };
        named.unwrap_or(peer)
    }

    /// The right-most `X-Forwarded-For` entry that is not a trusted proxy. If every entry
    /// up to an unreadable one is trusted, the left-most of those trusted entries: the
    /// proxy nearest the unknown sender.
    fn rightmost_untrusted(&self, headers: &HeaderMap) -> Option<IpAddr> {
        // Several X-Forwarded-For headers form one list, in order; walk it backwards.
        let entries = headers
            .get_all("x-forwarded-for")
            .iter()
            .rev()
            .flat_map(|value| value.as_bytes().rsplit(|b| *b == b','));
        let mut nearest_trusted = None;
        for entry in entries {
            let Some(ip) = parse_address(entry) else {
                break;
            };
            if !self.is_trusted(ip) {
                return Some(ip);
            }
            nearest_trusted = Some(ip);
        }
        nearest_trusted
    }
}

/// A header holding one address, as `CF-Connecting-IP` and `X-Real-IP` do.
fn single_address(headers: &HeaderMap, name: &str) -> Option<IpAddr> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    // Two copies of a one-address header mean someone added their own: believe neither.
    if values.next().is_some() {
        return None;
    }
    parse_address(first.as_bytes())
}

/// One address from raw header bytes: `192.0.2.1`, `2001:db8::1`, or either with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`), which some proxies append.
fn parse_address(raw: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    let ip = text
        .parse::<IpAddr>()
        .or_else(|_| text.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()?;
    Some(canonical(ip))
}

/// IPv4-mapped IPv6 addresses are IPv4 clients.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::extract::Extension;
    use axum::http::{HeaderValue, Method};
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;
    use crate::pipeline::test_request::{request, text};

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_bytes(value).expect("header value"));
        }
        map
    }

    fn behind(header: ClientIpHeader) -> Resolver {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
        Resolver::new(&trusted, header)
    }

    const PROXY: &str = "10.0.0.1";

    #[test]
    fn untrusted_peers_cannot_spoof() {
        let h = headers(&[
            ("x-forwarded-for", b"1.1.1.1"),
            ("cf-connecting-ip", b"2.2.2.2"),
            ("x-real-ip", b"3.3.3.3"),
        ]);
        for header in [
            ClientIpHeader::XForwardedFor,
            ClientIpHeader::CfConnectingIp,
            ClientIpHeader::XRealIp,
        ] {
            let resolver = Resolver::new(&[], header);
            assert_eq!(resolver.client_ip(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        }
    }

    #[test]
    fn behind_a_generic_proxy_a_clients_own_cf_connecting_ip_is_ignored() {
        // The proxy appended the real client to X-Forwarded-For and passed the client's
        // CF-Connecting-IP through untouched.
        let h = headers(&[
            ("cf-connecting-ip", b"203.0.113.7"),
            ("x-forwarded-for", b"198.51.100.4"),
        ]);
        let resolver = behind(ClientIpHeader::XForwardedFor);
        assert_eq!(resolver.client_ip(ip(PROXY), &h), ip("198.51.100.4"));
    }

    #[test]
    fn only_the_named_header_is_believed() {
        let h = headers(&[
            ("cf-connecting-ip", b"203.0.113.7"),
            ("x-real-ip", b"203.0.113.8"),
            ("x-forwarded-for", b"198.51.100.4"),
        ]);
        let cf = behind(ClientIpHeader::CfConnectingIp);
        assert_eq!(cf.client_ip(ip(PROXY), &h), ip("203.0.113.7"));
        let real = behind(ClientIpHeader::XRealIp);
        assert_eq!(real.client_ip(ip(PROXY), &h), ip("203.0.113.8"));
        let none = behind(ClientIpHeader::None);
        assert_eq!(none.client_ip(ip(PROXY), &h), ip(PROXY));
        let doubled = headers(&[
            ("cf-connecting-ip", b"203.0.113.7"),
            ("cf-connecting-ip", b"203.0.113.9"),
        ]);
        assert_eq!(cf.client_ip(ip(PROXY), &doubled), ip(PROXY));
    }

    #[test]
    fn the_rightmost_untrusted_forwarded_address_wins() {
        let resolver = behind(ClientIpHeader::XForwardedFor);
        let h = headers(&[
            ("x-forwarded-for", b"6.6.6.6, 198.51.100.4"),
            ("x-forwarded-for", b"10.1.1.1"),
        ]);
        assert_eq!(resolver.client_ip(ip(PROXY), &h), ip("198.51.100.4"));
        assert_eq!(
            resolver.client_ip(ip(PROXY), &HeaderMap::new()),
            ip(PROXY),
            "no header: the proxy itself"
        );
        let all_trusted = headers(&[("x-forwarded-for", b"10.9.9.9, 10.1.1.1")]);
        assert_eq!(resolver.client_ip(ip(PROXY), &all_trusted), ip("10.9.9.9"));
        let with_port = headers(&[("x-forwarded-for", b"[2001:db8::5]:4711")]);
        assert_eq!(resolver.client_ip(ip(PROXY), &with_port), ip("2001:db8::5"));
    }

    #[test]
    fn garbage_left_of_the_client_does_not_matter() {
        let resolver = behind(ClientIpHeader::XForwardedFor);
        for raw in [
            &b"\x80, 198.51.100.66"[..],
            b"not-an-ip, 198.51.100.66",
            b"\xff\xfe garbage , , 198.51.100.66",
            b"198.51.100.66",
        ] {
            let h = headers(&[("x-forwarded-for", raw)]);
            assert_eq!(
                resolver.client_ip(ip(PROXY), &h),
                ip("198.51.100.66"),
                "{raw:?}"
            );
        }
        // Garbage right of every untrusted entry: the nearest trusted hop answers for it.
        let h = headers(&[("x-forwarded-for", b"198.51.100.66, \x80, 10.2.2.2")]);
        assert_eq!(resolver.client_ip(ip(PROXY), &h), ip("10.2.2.2"));
    }

    #[tokio::test]
    async fn the_layer_puts_the_client_and_its_key_on_the_request() {
        let echo = |Extension(ClientIp(ip)): Extension<ClientIp>,
                    Extension(key): Extension<ClientKey>| async move {
            format!("{ip} {}", key.as_str())
        };
        let app = Router::new()
            .route("/", get(echo))
            .layer(from_fn_with_state(
                behind(ClientIpHeader::XForwardedFor),
                layer,
            ));
        let mut req = request(
            Method::GET,
            "/",
            &[("x-forwarded-for", b"\x80, 2001:db8:1:2::9")],
        );
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        let response = app.oneshot(req).await.expect("infallible");
        assert_eq!(text(response).await, "2001:db8:1:2::9 2001:db8:1:2::/64");
    }
}
