//! The sender's side of a secret: where it lives ([`SecretAddress`], which holds no key)
//! and the receipt link that carries the manage token, `{server}/?manage={id}#{token}`,
//! the form the web UI prints and opens.
//!
//! `status` and `burn` need the address and the token, never the share link's key, so
//! [`ManageTarget::parse`] takes a receipt link, a share link (its key, if any, is ignored
//! and never parsed), or a bare id on a given server. Errors never quote the input: a
//! receipt link holds the token.

use std::fmt;

use vanish_core::envelope::Link;
use vanish_core::id::SecretId;

use crate::client::{Server, is_manage_token};
use crate::error::Error;

/// Where a secret lives: its server's base URL (no trailing `/`) and its id. No key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretAddress {
    base: String,
    id: SecretId,
}

impl SecretAddress {
    pub fn new(server: &Server, id: SecretId) -> Self {
        Self {
            base: server.as_str().to_owned(),
            id,
        }
    }

    /// The server's base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn id(&self) -> &SecretId {
        &self.id
    }

    /// The receipt link for this secret: `{base}/?manage={id}#{token}`.
    pub fn receipt_link(&self, manage_token: &str) -> String {
        format!("{}/?manage={}#{manage_token}", self.base, self.id)
    }
}

impl From<&Link> for SecretAddress {
    fn from(link: &Link) -> Self {
        Self {
            base: link.base().to_owned(),
            id: link.id().clone(),
        }
    }
}

/// Why a `status`/`burn` target was refused. Never quotes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error(
        "expected a receipt link, a share link (http:// or https:// and a host) or a secret id"
    )]
    NotALinkOrId,
    #[error("the link has no /s/{{id}} path, ?manage= or ?id= parameter")]
    MissingId,
    #[error("the secret id is not 8-64 letters and digits")]
    InvalidId,
    #[error("the receipt link's #token is not a manage token (was it cut short?)")]
    InvalidToken,
}

/// What the sender's commands are pointed at: the secret, and the manage token when the
/// target was a receipt link that carries one.
#[derive(Clone, PartialEq, Eq)]
pub struct ManageTarget {
    pub address: SecretAddress,
    pub manage_token: Option<String>,
}

impl fmt::Debug for ManageTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManageTarget")
            .field("base", &self.address.base)
            .field("has_token", &self.manage_token.is_some())
            .finish_non_exhaustive()
    }
}

impl ManageTarget {
    /// Parses `{base}/?manage={id}#{token}`, `{base}/s/{id}[#key]`, `{base}/?id={id}[#key]`,
    /// or a bare id, which is looked up on `server` (only then parsed, so a bad default
    /// server does not get in the way of a link).
    pub fn parse(raw: &str, server: &str) -> Result<Self, Error> {
        let raw = raw.trim();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            let id = SecretId::parse(raw).ok_or(TargetError::NotALinkOrId)?;
            return Ok(Self {
                address: SecretAddress::new(&Server::parse(server)?, id),
                manage_token: None,
            });
        }
        let (location, fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let (base, id, is_receipt) = match location.split_once('?') {
            Some((path, query)) => {
                let (id, is_receipt) = query_id(query)?;
                (path, id, is_receipt)
            }
            None => {
                let (base, id) = split_path(location)?;
                (base, id, false)
            }
        };
        let id = SecretId::parse(id).ok_or(TargetError::InvalidId)?;
        let host = base.split_once("://").map_or("", |(_, rest)| rest);
        if host.is_empty() || host.starts_with('/') {
            return Err(TargetError::NotALinkOrId.into());
        }
        // A share link's fragment is its key: not needed here, so not even looked at.
        let manage_token = match (is_receipt, fragment) {
            (false, _) | (true, "") => None,
            (true, token) if is_manage_token(token) => Some(token.to_owned()),
            (true, _) => return Err(TargetError::InvalidToken.into()),
        };
        Ok(Self {
            address: SecretAddress {
                base: base.trim_end_matches('/').to_owned(),
                id,
            },
            manage_token,
        })
    }
}

/// The id of `?manage={id}` (a receipt link) or `?id={id}` (the original's share link).
fn query_id(query: &str) -> Result<(&str, bool), TargetError> {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
    };
    param("manage")
        .map(|id| (id, true))
        .or_else(|| param("id").map(|id| (id, false)))
        .ok_or(TargetError::MissingId)
}

/// Splits `{base}/s/{id}` (a trailing `/` tolerated) into base and id.
fn split_path(location: &str) -> Result<(&str, &str), TargetError> {
    let location = location.strip_suffix('/').unwrap_or(location);
    location.rsplit_once("/s/").ok_or(TargetError::MissingId)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcde";
    const KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

    fn parse(raw: &str) -> Result<ManageTarget, Error> {
        ManageTarget::parse(raw, "http://default:8080/")
    }

    #[test]
    fn a_receipt_link_gives_the_address_and_the_token() -> Result<(), Error> {
        let target = parse(&format!("https://h/tools/?manage=abcdefgh#{TOKEN}"))?;
        assert_eq!(target.address.base(), "https://h/tools");
        assert_eq!(target.address.id().as_str(), "abcdefgh");
        assert_eq!(target.manage_token.as_deref(), Some(TOKEN));
        assert_eq!(
            target.address.receipt_link(TOKEN),
            format!("https://h/tools/?manage=abcdefgh#{TOKEN}")
        );
        Ok(())
    }

    #[test]
    fn share_links_and_ids_give_the_address_only() -> Result<(), Error> {
        for raw in [
            format!("https://h/s/abcdefgh#{KEY}"),
            "https://h/s/abcdefgh/".to_owned(),
            format!("https://h/?id=abcdefgh#{KEY}"),
            "https://h/?manage=abcdefgh".to_owned(),
        ] {
            let target = parse(&raw)?;
            assert_eq!(target.address.base(), "https://h", "{raw}");
            assert_eq!(target.address.id().as_str(), "abcdefgh", "{raw}");
            assert_eq!(target.manage_token, None, "{raw}");
        }
        let bare = parse(" abcdefgh ")?;
        assert_eq!(bare.address.base(), "http://default:8080");
        Ok(())
    }

    #[test]
    fn bad_targets_say_why_without_quoting_them() {
        let cases = [
            (
                format!("https://h/?manage=abcdefgh#{}", &TOKEN[..10]),
                TargetError::InvalidToken,
            ),
            (
                format!("https://h/?manage=abc#{TOKEN}"),
                TargetError::InvalidId,
            ),
            (
                format!("https://h/x/abcdefgh#{TOKEN}"),
                TargetError::MissingId,
            ),
            (
                format!("ftp://h/?manage=abcdefgh#{TOKEN}"),
                TargetError::NotALinkOrId,
            ),
            (
                format!("https:///?manage=abcdefgh#{TOKEN}"),
                TargetError::NotALinkOrId,
            ),
            ("abc".to_owned(), TargetError::NotALinkOrId),
        ];
        for (raw, expected) in cases {
            match parse(&raw) {
                Err(Error::BadTarget(error)) => {
                    assert_eq!(error, expected, "{raw}");
                    assert!(!error.to_string().contains(&TOKEN[..10]));
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
        assert!(matches!(
            ManageTarget::parse("abcdefgh", "not a url"),
            Err(Error::BadServer)
        ));
    }
}
