//! Secrets kept out of error messages: what a cluster echoes back of a request (a form body, a
//! header) is masked before it reaches an error, a log or a run report.

/// Form fields whose values are secrets: passwords, the trusted-auth secret key and login token.
pub(super) const SECRET_FIELDS: [&str; 5] = [
    "password",
    "currentpassword",
    "newpassword",
    "secret_key",
    "auth_token",
];

/// `text` with each of `secrets` masked as `***` wherever it stands whole (not inside a longer word:
/// a password `admin` leaves `tsadmin` alone), as sent or form-encoded. A cluster, or a proxy in front
/// of it, may echo the request (a form body, a header) in an error message, and error messages go
/// to logs and run reports.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let forms = [
            secret.to_string(),
            form_encoded(secret, "+"),
            form_encoded(secret, "%20"),
        ];
        for form in forms {
            text = mask_whole(&text, &form);
        }
    }
    text
}

/// `value` as `application/x-www-form-urlencoded` writes it, with `space` for a space.
fn form_encoded(value: &str, space: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `text` with every occurrence of `needle` that is not part of a longer word replaced by `***`.
fn mask_whole(text: &str, needle: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let (starts_word, ends_word) = (word(needle.chars().next()), word(needle.chars().last()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if (starts_word && word(before)) || (ends_word && word(after)) {
            out.push_str(needle);
        } else {
            out.push_str("***");
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn echoed_secrets_are_masked_as_sent_and_form_encoded() {
        let secrets = ["admin", "p@ss w0rd&x", "tok/en+="];
        assert_eq!(
            redact("username=tsadmin&password=admin", &secrets),
            "username=tsadmin&password=***"
        );
        assert_eq!(
            redact("password=p%40ss+w0rd%26x; raw p@ss w0rd&x", &secrets),
            "password=***; raw ***"
        );
        assert_eq!(
            redact("Authorization: Bearer tok/en+= (tok%2Fen%2B%3D)", &secrets),
            "Authorization: Bearer *** (***)"
        );
        assert_eq!(
            redact("user tsadmin, administrator", &secrets),
            "user tsadmin, administrator"
        );
        assert_eq!(redact("nothing here", &[""]), "nothing here");
    }
}
