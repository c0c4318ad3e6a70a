//! Sessions, trusted-auth login tokens, bearer tokens and the expiring v2 tokens of `auth/token/full`.

use std::collections::HashMap;

use super::rng::{guid, SplitMix64};

/// A trusted-auth token from `session/auth/token`, waiting for `session/login/token`.
#[derive(Debug, Clone)]
struct LoginToken {
    user: String,
    expires_ms: i64,
    used: bool,
}

/// Why a login token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
    OtherUser,
}

/// Every credential an emulator has handed out or accepted since it started, ended or not: what a
/// test greps a client's logs, errors and files for to prove that none of them leaks
/// ([`Emulator::issued_secrets`](super::Emulator::issued_secrets)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuedSecrets {
    /// `JSESSIONID` cookie values, one per session opened (password or token sign-in).
    pub session_ids: Vec<String>,
    /// `clientId` cookie values, set beside each `JSESSIONID`.
    pub client_ids: Vec<String>,
    /// Trusted-authentication login tokens answered by `session/auth/token`.
    pub login_tokens: Vec<String>,
    /// Bearer tokens: configured with `EmulatorBuilder::bearer_token`, made by
    /// `Emulator::issue_bearer_token`, or sent as `authToken` by `session/info`.
    pub bearer_tokens: Vec<String>,
}

impl IssuedSecrets {
    /// Every value, of every kind.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.session_ids
            .iter()
            .chain(&self.client_ids)
            .chain(&self.login_tokens)
            .chain(&self.bearer_tokens)
            .map(String::as_str)
    }

    /// How many values there are, of every kind.
    pub fn len(&self) -> usize {
        self.all().count()
    }

    /// Whether nothing was handed out yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A v2 `auth/token/full` token: reusable until it expires or is revoked (wire-protocol §7 Q20).
#[derive(Debug, Clone)]
struct ExpiringToken {
    user: String,
    expires_ms: i64,
}

/// All credentials the emulator has issued.
#[derive(Debug)]
pub(crate) struct Sessions {
    by_cookie: HashMap<String, String>,
    login_tokens: HashMap<String, LoginToken>,
    /// Bearer tokens without an end: configured, or made by `issue_bearer_token` and `session/info`.
    bearer: HashMap<String, String>,
    /// v2 tokens, judged against the injected clock on every use.
    expiring: HashMap<String, ExpiringToken>,
    /// Everything ever issued, kept when sessions end (the maps above forget them).
    issued: IssuedSecrets,
    rng: SplitMix64,
}

impl Sessions {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            by_cookie: HashMap::new(),
            login_tokens: HashMap::new(),
            bearer: HashMap::new(),
            expiring: HashMap::new(),
            issued: IssuedSecrets::default(),
            rng: SplitMix64::new(seed ^ 0x5E55_1045),
        }
    }

    fn fresh_guid(&mut self) -> String {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        guid(a, b)
    }

    /// An opaque base64-alphabet token, as ThoughtSpot's look.
    fn fresh_token(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..44)
            .map(|i| {
                if i == 43 {
                    '='
                } else {
                    ALPHABET[(self.rng.next_u64() % 64) as usize] as char
                }
            })
            .collect()
    }

    /// Starts a session for `user`; returns the `JSESSIONID` and a `clientId`.
    pub(crate) fn open(&mut self, user: &str) -> (String, String) {
        let id = self.fresh_guid();
        let client = self.fresh_guid();
        self.by_cookie.insert(id.clone(), user.to_string());
        self.issued.session_ids.push(id.clone());
        self.issued.client_ids.push(client.clone());
        (id, client)
    }

    pub(crate) fn user_of(&self, session: &str) -> Option<&str> {
        self.by_cookie.get(session).map(String::as_str)
    }

    pub(crate) fn close(&mut self, session: &str) -> bool {
        self.by_cookie.remove(session).is_some()
    }

    /// Ends every session and token of a user (a deleted user).
    pub(crate) fn forget_user(&mut self, user: &str) {
        self.by_cookie.retain(|_, u| u != user);
        self.bearer.retain(|_, u| u != user);
        self.expiring.retain(|_, t| t.user != user);
        self.login_tokens.retain(|_, t| t.user != user);
    }

    pub(crate) fn issue_login_token(&mut self, user: &str, expires_ms: i64) -> String {
        let token = self.fresh_token();
        self.issued.login_tokens.push(token.clone());
        self.login_tokens.insert(
            token.clone(),
            LoginToken {
                user: user.to_string(),
                expires_ms,
                used: false,
            },
        );
        token
    }

    /// Checks and (if `single_use`) spends a login token.
    pub(crate) fn redeem_login_token(
        &mut self,
        token: &str,
        user: &str,
        now_ms: i64,
        single_use: bool,
    ) -> Result<(), TokenRefusal> {
        let entry = self
            .login_tokens
            .get_mut(token)
            .ok_or(TokenRefusal::Unknown)?;
        if entry.user != user {
            return Err(TokenRefusal::OtherUser);
        }
        if now_ms > entry.expires_ms {
            return Err(TokenRefusal::Expired);
        }
        if entry.used && single_use {
            return Err(TokenRefusal::AlreadyUsed);
        }
        entry.used = true;
        Ok(())
    }

    /// A bearer token for `user`, reused if one exists.
    pub(crate) fn bearer_for(&mut self, user: &str) -> String {
        if let Some((token, _)) = self.bearer.iter().find(|(_, u)| *u == user) {
            return token.clone();
        }
        let token = self.fresh_token();
        self.register_bearer(&token, user);
        token
    }

    pub(crate) fn register_bearer(&mut self, token: &str, user: &str) {
        self.issued.bearer_tokens.push(token.to_string());
        self.bearer.insert(token.to_string(), user.to_string());
    }

    /// Every credential issued so far.
    pub(crate) fn issued(&self) -> &IssuedSecrets {
        &self.issued
    }

    pub(crate) fn user_of_bearer(&self, token: &str) -> Option<&str> {
        self.bearer.get(token).map(String::as_str)
    }

    /// An opaque base64url token (no padding), for v2 `auth/token/full`.
    fn fresh_url_token(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..64)
            .map(|_| ALPHABET[(self.rng.next_u64() % 64) as usize] as char)
            .collect()
    }

    /// Issues a v2 token for `user` that works until `expires_ms` (or until revoked).
    pub(crate) fn issue_expiring_token(&mut self, user: &str, expires_ms: i64) -> String {
        let token = self.fresh_url_token();
        self.issued.bearer_tokens.push(token.clone());
        self.expiring.insert(
            token.clone(),
            ExpiringToken {
                user: user.to_string(),
                expires_ms,
            },
        );
        token
    }

    /// The user of a bearer token of either kind, if it is known, not revoked and (for v2 tokens) not
    /// expired at `now_ms`.
    pub(crate) fn user_of_token(&self, token: &str, now_ms: i64) -> Option<&str> {
        if let Some(user) = self.user_of_bearer(token) {
            return Some(user);
        }
        self.expiring
            .get(token)
            .filter(|t| now_ms < t.expires_ms)
            .map(|t| t.user.as_str())
    }

    /// Revokes a bearer token of either kind; `false` if it was not known.
    pub(crate) fn revoke_token(&mut self, token: &str) -> bool {
        let plain = self.bearer.remove(token).is_some();
        let expiring = self.expiring.remove(token).is_some();
        plain || expiring
    }
}
