//! The four things a user does with vanish, over blocking HTTP: [`Client::send`],
//! [`Client::reveal`], [`Client::status`] and [`Client::burn`]. The last two need only
//! the secret's address and manage token ([`crate::receipt`]), never the link's key.
//!
//! Sealing and opening happen here, on the caller's machine, with vanish-core's envelope;
//! only ciphertext, the iv and the passphrase verifier are ever sent. A file's name and
//! media type go inside the sealed payload (format 2, [`vanish_core::payload`]). The link's
//! `#fragment` never leaves this process: URLs are built from the link's base and id.
//! Error classification lives in [`crate::error`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use ureq::Agent;
use ureq::http::Response;
use vanish_core::api::{CreateResponse, MetaResponse, RevealResponse, StatusResponse};
use vanish_core::envelope::{KEY_BYTES, Keys, Link, LinkKey, Verifier};
use vanish_core::id::SecretId;
use vanish_core::payload::{FileInfo, Payload};
use vanish_core::validate::IV_BYTES;

use crate::api_token::ApiToken;
use crate::error::Error;
use crate::escape;
use crate::receipt::SecretAddress;

/// Time allowed for one whole request, connection to last body byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The base URL of a vanish server, e.g. `https://vanish.example` (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server(String);

impl Server {
    /// Accepts `http://` and `https://` URLs; a trailing `/` is dropped.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let url = url.trim().trim_end_matches('/');
        let has_host = ["https://", "http://"].iter().any(|scheme| {
            url.strip_prefix(scheme)
                .is_some_and(|rest| !rest.is_empty())
        });
        has_host
            .then(|| Self(url.to_owned()))
            .ok_or(Error::BadServer)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a secret is sent. `None` leaves the choice to the server's defaults.
#[derive(Clone, Default)]
pub struct SendOptions {
    /// Lifetime in milliseconds; the server clamps it to its bounds.
    pub ttl_ms: Option<u64>,
    /// How many reveals are allowed.
    pub views: Option<u32>,
    /// Protects the secret with a passphrase on top of the link key.
    pub passphrase: Option<String>,
    /// Sends the bytes as a file (payload format 2) with this name and media type, which
    /// are sealed with it; `None` sends the bytes alone (format 1).
    pub file: Option<FileInfo>,
    /// For servers that require one to create (`CREATE_ACCESS=token`): sent as
    /// `Authorization: Bearer`, with the create request only.
    pub api_token: Option<ApiToken>,
}

impl fmt::Debug for SendOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendOptions")
            .field("ttl_ms", &self.ttl_ms)
            .field("views", &self.views)
            .field("has_passphrase", &self.passphrase.is_some())
            .field("is_file", &self.file.is_some())
            .field("has_api_token", &self.api_token.is_some())
            .finish()
    }
}

/// What the sender gets back: the link to share and the token to manage the secret.
#[derive(Clone)]
pub struct Sent {
    pub link: Link,
    /// Bearer token for `status` and `burn`; shown once, keep it private.
    pub manage_token: String,
    /// Expiry, milliseconds since the epoch.
    pub expires_at: u64,
    pub max_views: u32,
}

impl Sent {
    /// The sender's receipt link, `{server}/?manage={id}#{token}`: what `status` and
    /// `burn` (and the web UI) take, without the share link's key.
    pub fn receipt_link(&self) -> String {
        SecretAddress::from(&self.link).receipt_link(&self.manage_token)
    }
}

impl fmt::Debug for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sent")
            .field("link", &self.link)
            .field("expires_at", &self.expires_at)
            .field("max_views", &self.max_views)
            .finish_non_exhaustive()
    }
}

/// A revealed secret: its bytes, what the sender said about it if it is a file, and how
/// many views remain for others.
pub struct Revealed {
    /// The secret's bytes (a file's content, without the payload's frame).
    pub plaintext: Vec<u8>,
    /// For a file: its name (already made safe) and media type, as the sender gave them.
    pub file: Option<FileInfo>,
    pub views_left: u32,
}

impl fmt::Debug for Revealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revealed")
            .field("bytes", &self.plaintext.len())
            .field("is_file", &self.file.is_some())
            .field("views_left", &self.views_left)
            .finish()
    }
}

/// `POST /api/secrets` body (docs/api.md, "Create").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest<'a> {
    encrypted: &'a str,
    iv: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_views: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase_verifier: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RevealRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase_proof: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManageRequest<'a> {
    manage_token: &'a str,
}

/// A blocking vanish client. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    agent: Agent,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    pub fn new() -> Self {
        let config = Agent::config_builder()
            // Error answers carry the API's code in their body: read them ourselves.
            .http_status_as_error(false)
            // A redirect is reported, never followed: re-sending a create or a reveal to
            // wherever a server points would be surprising for a secret.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .user_agent(concat!("vanish/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
        }
    }

    /// Seals `plaintext` locally and uploads it; returns the link and the manage token.
    pub fn send(
        &self,
        server: &Server,
        plaintext: &[u8],
        options: &SendOptions,
    ) -> Result<Sent, Error> {
        let link_key = LinkKey::from_bytes(random::<KEY_BYTES>()?);
        let keys = Keys::derive(&link_key, options.passphrase.as_deref());
        let payload = match &options.file {
            Some(file) => Cow::Owned(Payload::file(file.clone(), plaintext).encode()),
            None => Cow::Borrowed(plaintext),
        };
        let sealed = keys.seal(random::<IV_BYTES>()?, &payload);
        let request = CreateRequest {
            encrypted: &sealed.encrypted,
            iv: &sealed.iv,
            ttl: options.ttl_ms,
            max_views: options.views,
            passphrase_verifier: keys.verifier().map(Verifier::encode),
        };
        let url = format!("{}/api/secrets", server.as_str());
        let created: CreateResponse =
            parse(&self.post_as(&url, &request, options.api_token.as_ref())?)?;
        let id = SecretId::parse(&created.id)
            .ok_or_else(|| Error::InvalidResponse("the server sent an invalid id".into()))?;
        // The token is printed and put into the receipt link: it must be what a token is.
        if !is_manage_token(&created.manage_token) {
            return Err(Error::InvalidResponse(
                "the server sent an invalid manage token".into(),
            ));
        }
        Ok(Sent {
            link: Link::new(server.as_str(), id, link_key),
            manage_token: created.manage_token,
            expires_at: created.expires_at,
            max_views: created.max_views,
        })
    }

    /// The secret's metadata; never consumes a view.
    pub fn meta(&self, link: &Link) -> Result<MetaResponse, Error> {
        let url = format!("{}/meta", secret_url(link));
        parse(&finish(self.agent.get(&url).call()?)?)
    }

    /// Consumes one view and decrypts it locally.
    ///
    /// The metadata is read first (without consuming); only if it says a passphrase is
    /// required is `passphrase` asked, and `None` from it fails with
    /// [`Error::PassphraseRequired`]. A wrong passphrase fails with
    /// [`Error::PassphraseInvalid`] and consumes nothing.
    pub fn reveal(
        &self,
        link: &Link,
        passphrase: impl FnOnce() -> Option<String>,
    ) -> Result<Revealed, Error> {
        let meta = self.meta(link)?;
        let keys = if meta.passphrase_required {
            let passphrase = passphrase().ok_or(Error::PassphraseRequired)?;
            Keys::derive(link.key(), Some(&passphrase))
        } else {
            Keys::derive(link.key(), None)
        };
        let request = RevealRequest {
            passphrase_proof: keys.verifier().map(Verifier::encode),
        };
        let url = format!("{}/reveal", secret_url(link));
        let revealed: RevealResponse = parse(&self.post(&url, &request)?)?;
        let mut plaintext = keys.open(&revealed.encrypted, &revealed.iv)?;
        let Payload { file, content } = Payload::decode(&plaintext);
        // The content is the payload's tail: drop the frame in place, without a copy.
        let frame = plaintext.len() - content.len();
        plaintext.drain(..frame);
        Ok(Revealed {
            plaintext,
            file,
            views_left: revealed.views_left,
        })
    }

    /// The sender's receipt: pending, viewed (when), burned or expired. Needs the secret's
    /// address (a share [`Link`] converts into one) and its manage token, never a key.
    pub fn status(
        &self,
        secret: &SecretAddress,
        manage_token: &str,
    ) -> Result<StatusResponse, Error> {
        let url = format!("{}/status", address_url(secret));
        parse(&self.post(&url, &ManageRequest { manage_token })?)
    }

    /// Destroys the secret now; later reveals find nothing.
    pub fn burn(&self, secret: &SecretAddress, manage_token: &str) -> Result<(), Error> {
        let url = format!("{}/burn", address_url(secret));
        self.post(&url, &ManageRequest { manage_token }).map(drop)
    }

    /// POSTs `body` as JSON and returns the success body.
    fn post(&self, url: &str, body: &impl Serialize) -> Result<Vec<u8>, Error> {
        self.post_as(url, body, None)
    }

    /// Like [`Client::post`], presenting `token` as `Authorization: Bearer` when given.
    /// Redirects are never followed (see [`Client::new`]), so the token goes to `url` only.
    fn post_as(
        &self,
        url: &str,
        body: &impl Serialize,
        token: Option<&ApiToken>,
    ) -> Result<Vec<u8>, Error> {
        let json = serde_json::to_vec(body).expect("request types always serialize");
        let mut request = self
            .agent
            .post(url)
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", token.authorization());
        }
        finish(request.send(&json[..])?)
    }
}

/// `{base}/api/secrets/{id}`; the key stays out of every URL.
fn secret_url(link: &Link) -> String {
    address_url(&SecretAddress::from(link))
}

fn address_url(secret: &SecretAddress) -> String {
    format!("{}/api/secrets/{}", secret.base(), secret.id())
}

/// Reads the body of a 2xx answer, or classifies any other one.
fn finish(mut response: Response<ureq::Body>) -> Result<Vec<u8>, Error> {
    let status = response.status();
    let body = response.body_mut().read_to_vec()?;
    if status.is_success() {
        return Ok(body);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Err(Error::from_response(status.as_u16(), retry_after, &body))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    // serde's messages quote the offending value, which the server chose.
    serde_json::from_slice(body)
        .map_err(|error| Error::InvalidResponse(escape::server_text(&error.to_string())))
}

/// The shape of a manage token (vanish's are 43 base64url characters); the web UI checks
/// receipt links against the same rule.
pub fn is_manage_token(token: &str) -> bool {
    (16..=200).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| Error::Entropy(error.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_must_be_http_and_lose_their_trailing_slash() {
        let server = Server::parse("https://vanish.example/").expect("valid");
        assert_eq!(server.as_str(), "https://vanish.example");
        assert!(matches!(
            Server::parse("vanish.example"),
            Err(Error::BadServer)
        ));
        assert!(matches!(Server::parse("http://"), Err(Error::BadServer)));
    }

    #[test]
    fn secret_urls_never_contain_the_key() {
        let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
        let link = Link::parse(&format!("http://h:1/?id=abcdefgh#{key}")).expect("valid");
        assert_eq!(secret_url(&link), "http://h:1/api/secrets/abcdefgh");
    }

    #[test]
    fn a_create_body_has_the_api_field_names_and_omits_defaults() -> Result<(), serde_json::Error> {
        let request = CreateRequest {
            encrypted: "e",
            iv: "i",
            ttl: Some(600_000),
            max_views: None,
            passphrase_verifier: Some("v".into()),
        };
        assert_eq!(
            serde_json::to_string(&request)?,
            r#"{"encrypted":"e","iv":"i","ttl":600000,"passphraseVerifier":"v"}"#
        );
        Ok(())
    }

    #[test]
    fn debug_output_hides_the_passphrase_and_plaintext() {
        let options = SendOptions {
            passphrase: Some("hunter2".into()),
            api_token: ApiToken::parse("vns_api_secret"),
            ..SendOptions::default()
        };
        let revealed = Revealed {
            plaintext: b"top secret".to_vec(),
            file: Some(FileInfo::new(Some("diary.txt"), None)),
            views_left: 0,
        };
        let shown = format!("{options:?} {revealed:?}");
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("top secret")
                && !shown.contains("diary")
                && !shown.contains("api_secret"),
            "{shown}"
        );
    }
}
