//! The client address of a request (behind trusted proxies too), as the audit log records it.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::App;
use super::context::CurrentUser;
use crate::service::audit::Actor;

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// X-Forwarded-For entry that is not a trusted proxy. A forwarded entry that is not an IP address
/// is not believed (the peer is used).
pub fn resolve_address(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops = forwarded_for
        .iter()
        .flat_map(|header| header.split(','))
        .map(str::trim)
        .filter(|hop| !hop.is_empty());
    for hop in hops.rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(peer),
        }
    }
    Some(peer)
}

/// The client address of a request, as text (see [`resolve_address`]).
pub fn client_address(req: &HttpRequest) -> Option<String> {
    let trusted = req
        .app_data::<web::Data<App>>()
        .map(|s| s.config.trusted_proxies.clone())
        .unwrap_or_default();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    resolve_address(req.peer_addr().map(|a| a.ip()), &forwarded, &trusted).map(|ip| ip.to_string())
}

/// The client address, as a handler argument.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress(pub Option<String>);

impl FromRequest for ClientAddress {
    type Error = actix_web::Error;
    type Future = Ready<Result<ClientAddress, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddress(client_address(req))))
    }
}

impl ClientAddress {
    /// A logged-in user acting from this address.
    pub fn actor(&self, user: &CurrentUser) -> Actor {
        Actor::user(&user.id, &user.email, self.0.clone())
    }

    /// Someone not logged in (or not yet), known by what they typed.
    pub fn anonymous(&self, email: &str) -> Actor {
        Actor::anonymous(email, self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            resolve_address(Some(ip("203.0.113.7")), &["198.51.100.1"], &[]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(resolve_address(None, &[], &[]), None);
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // A client may forge the left part; the right-most untrusted entry is what our proxy saw.
        assert_eq!(
            resolve_address(
                Some(ip("10.0.0.1")),
                &["6.6.6.6, 203.0.113.7", "10.0.0.2"],
                &trusted
            ),
            Some(ip("203.0.113.7"))
        );
        // Nothing forwarded, or only proxies: the peer.
        assert_eq!(
            resolve_address(Some(ip("10.0.0.1")), &[], &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            resolve_address(Some(ip("10.0.0.1")), &["10.0.0.2"], &trusted),
            Some(ip("10.0.0.1"))
        );
        // Garbage is not believed.
        assert_eq!(
            resolve_address(Some(ip("10.0.0.1")), &["1.2.3.4, nonsense"], &trusted),
            Some(ip("10.0.0.1"))
        );
        // A peer that is not trusted cannot choose its address by header.
        assert_eq!(
            resolve_address(Some(ip("203.0.113.9")), &["1.2.3.4"], &trusted),
            Some(ip("203.0.113.9"))
        );
    }
}
