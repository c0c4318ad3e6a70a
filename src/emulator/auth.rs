//! Sessions, trusted-auth login tokens and bearer tokens.

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
pub enum TokenRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
    OtherUser,
}

/// All credentials the emulator has issued.
#[derive(Debug)]
pub struct Sessions {
    by_cookie: HashMap<String, String>,
    login_tokens: HashMap<String, LoginToken>,
    bearer: HashMap<String, String>,
    rng: SplitMix64,
}

impl Sessions {
    pub fn new(seed: u64) -> Self {
        Self {
            by_cookie: HashMap::new(),
            login_tokens: HashMap::new(),
            bearer: HashMap::new(),
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
    pub fn open(&mut self, user: &str) -> (String, String) {
        let id = self.fresh_guid();
        let client = self.fresh_guid();
        self.by_cookie.insert(id.clone(), user.to_string());
        (id, client)
    }

    pub fn user_of(&self, session: &str) -> Option<&str> {
        self.by_cookie.get(session).map(String::as_str)
    }

    pub fn close(&mut self, session: &str) -> bool {
        self.by_cookie.remove(session).is_some()
    }

    /// Ends every session and token of a user (a deleted user).
    pub fn forget_user(&mut self, user: &str) {
        self.by_cookie.retain(|_, u| u != user);
        self.bearer.retain(|_, u| u != user);
        self.login_tokens.retain(|_, t| t.user != user);
    }

    pub fn issue_login_token(&mut self, user: &str, expires_ms: i64) -> String {
        let token = self.fresh_token();
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
    pub fn redeem_login_token(
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
    pub fn bearer_for(&mut self, user: &str) -> String {
        if let Some((token, _)) = self.bearer.iter().find(|(_, u)| *u == user) {
            return token.clone();
        }
        let token = self.fresh_token();
        self.bearer.insert(token.clone(), user.to_string());
        token
    }

    pub fn register_bearer(&mut self, token: &str, user: &str) {
        self.bearer.insert(token.to_string(), user.to_string());
    }

    pub fn user_of_bearer(&self, token: &str) -> Option<&str> {
        self.bearer.get(token).map(String::as_str)
    }
}
