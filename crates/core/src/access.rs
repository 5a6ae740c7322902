//! Who may create secrets. Reading a secret never needs an account: the link is the
//! capability. Creating is open by default, and an operator may require an API token, an
//! identity vouched for by an authenticating proxy in front (optionally from a list of
//! e-mail domains), or refuse creation entirely (a read-only instance of a split
//! deployment: an internal one creates, a public one only reveals). docs/operations.md,
//! "Who may create", shows each setup.

use crate::error::ErrorCode;
use crate::id::{ManageToken, TokenHash};

/// The rule for `POST /api/secrets`.
#[derive(Debug, Clone)]
pub enum CreateAccess {
    /// Anyone may create (the original service's behaviour).
    Open,
    /// An `Authorization: Bearer` token whose SHA-256 is listed.
    Token(Vec<TokenHash>),
    /// An identity (an e-mail address) in a header set by a trusted authenticating proxy;
    /// with domains listed, only addresses in those domains.
    Proxy { allowed_domains: Vec<String> },
    /// Nobody: this instance only reveals.
    Closed,
}

/// What a create request presents.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// The `Authorization` header's bearer token, if any.
    pub bearer: Option<&'a str>,
    /// The identity header's value, only if the request came from a trusted proxy.
    pub vouched_identity: Option<&'a str>,
}

impl CreateAccess {
    /// The mode's name, as `GET /api/config` reports it.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Token(_) => "token",
            Self::Proxy { .. } => "proxy",
            Self::Closed => "closed",
        }
    }

    /// Whether `credentials` may create; the error code to answer with if not.
    pub fn check(&self, credentials: Credentials<'_>) -> Result<(), ErrorCode> {
        match self {
            Self::Open => Ok(()),
            Self::Closed => Err(ErrorCode::ReadOnly),
            Self::Token(hashes) => {
                let presented = credentials
                    .bearer
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or(ErrorCode::AuthRequired)?;
                let presented = TokenHash::of(presented.as_bytes());
                // Every listed hash is compared, in constant time each.
                let matched = hashes
                    .iter()
                    .fold(false, |found, hash| hash.matches(&presented) | found);
                matched.then_some(()).ok_or(ErrorCode::AuthRequired)
            }
            Self::Proxy { allowed_domains } => {
                let identity = credentials
                    .vouched_identity
                    .map(str::trim)
                    .filter(|i| !i.is_empty())
                    .ok_or(ErrorCode::AuthRequired)?;
                if allowed_domains.is_empty() || in_domains(identity, allowed_domains) {
                    Ok(())
                } else {
                    Err(ErrorCode::CreatorNotAllowed)
                }
            }
        }
    }
}

/// Whether the address's domain (after its last `@`) is one of `domains`, any letter case.
fn in_domains(address: &str, domains: &[String]) -> bool {
    address.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    })
}

/// A new API token for creating: `vns_` and 256 random bits in base64url. The server keeps
/// only its [`TokenHash`].
pub fn new_api_token(random: [u8; 32]) -> String {
    format!("vns_{}", ManageToken::from_random(random).as_str())
}

/// The `Authorization` header's bearer token: `Bearer <token>`, scheme in any case.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_bearer(token: &str) -> Credentials<'_> {
        Credentials {
            bearer: Some(token),
            vouched_identity: None,
        }
    }

    fn vouched(identity: &str) -> Credentials<'_> {
        Credentials {
            bearer: None,
            vouched_identity: Some(identity),
        }
    }

    #[test]
    fn tokens_are_checked_against_their_hashes() {
        let access = CreateAccess::Token(vec![TokenHash::of(b"vns_right")]);
        assert_eq!(access.check(with_bearer("vns_right")), Ok(()));
        assert_eq!(
            access.check(with_bearer("vns_wrong")),
            Err(ErrorCode::AuthRequired)
        );
        assert_eq!(
            access.check(Credentials::default()),
            Err(ErrorCode::AuthRequired)
        );
        assert_eq!(
            access.check(vouched("a@b.example")),
            Err(ErrorCode::AuthRequired)
        );
    }

    #[test]
    fn proxy_identities_may_be_limited_to_domains() {
        let any = CreateAccess::Proxy {
            allowed_domains: vec![],
        };
        assert_eq!(any.check(vouched("someone@anywhere.example")), Ok(()));
        assert_eq!(
            any.check(Credentials::default()),
            Err(ErrorCode::AuthRequired)
        );
        let staff = CreateAccess::Proxy {
            allowed_domains: vec!["corp.example".into()],
        };
        assert_eq!(staff.check(vouched("ann@Corp.Example")), Ok(()));
        assert_eq!(
            staff.check(vouched("ann@corp.example.evil")),
            Err(ErrorCode::CreatorNotAllowed)
        );
        assert_eq!(
            staff.check(vouched("corp.example")),
            Err(ErrorCode::CreatorNotAllowed)
        );
        assert_eq!(
            staff.check(vouched("@corp.example")),
            Err(ErrorCode::CreatorNotAllowed)
        );
    }

    #[test]
    fn open_and_closed_need_nothing_and_allow_nothing() {
        assert_eq!(CreateAccess::Open.check(Credentials::default()), Ok(()));
        assert_eq!(
            CreateAccess::Closed.check(with_bearer("anything")),
            Err(ErrorCode::ReadOnly)
        );
        assert_eq!(bearer_token("Bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
    }
}
