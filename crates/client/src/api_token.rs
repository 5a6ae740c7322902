//! The API token a server may require to create secrets (`CREATE_ACCESS=token`,
//! docs/api.md "Who may create"). It is a bearer credential: it goes only into the
//! `Authorization: Bearer` header of a create request (never into a URL, a body or a
//! message), and its `Debug` output hides it.

use std::fmt;

/// The longest token accepted; vanish's own (`vanish token`) are 47 characters.
const MAX_LEN: usize = 512;

/// An API token, checked to fit an HTTP header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Takes a token as given (in a file, a variable, an option): surrounding whitespace
    /// is dropped, and what is left must be 1 to 512 visible ASCII characters, as a
    /// header value without spaces can hold. `None` otherwise; the caller says where
    /// the token came from, never what it was.
    pub fn parse(text: &str) -> Option<Self> {
        let token = text.trim();
        let fits =
            (1..=MAX_LEN).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic());
        fits.then(|| Self(token.to_owned()))
    }

    /// The value of the `Authorization` header that carries it.
    pub(crate) fn authorization(&self) -> String {
        format!("Bearer {}", self.0)
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_loses_surrounding_whitespace_and_must_fit_a_header() {
        let token = ApiToken::parse("  vns_abc-DEF_123\n").expect("a token");
        assert_eq!(token.authorization(), "Bearer vns_abc-DEF_123");
        for bad in [
            "",
            " \n",
            "two words",
            "vns_\u{e9}",
            "a\u{7f}b",
            &"x".repeat(513),
        ] {
            assert_eq!(ApiToken::parse(bad), None, "{bad:?}");
        }
        assert!(ApiToken::parse(&"x".repeat(512)).is_some());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = ApiToken::parse("vns_very_secret").expect("a token");
        assert_eq!(format!("{token:?}"), "ApiToken(..)");
    }
}
