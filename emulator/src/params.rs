//! Request parameters from the query string, urlencoded forms and multipart bodies, read leniently as
//! wire-protocol §1.3–§1.5 require.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{header, request::Parts, Request};

use super::error::V1Error;

/// How the request body was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Empty,
    Form,
    Multipart,
    Json,
    Other,
}

/// An uploaded file part.
#[derive(Debug, Clone)]
pub(crate) struct FilePart {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// All parameters of one request.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub query: Vec<(String, String)>,
    pub body: Vec<(String, String)>,
    pub files: Vec<FilePart>,
    pub body_kind: BodyKind,
}

/// Largest body the emulator reads (user sync files are the big ones).
const MAX_BODY: usize = 64 * 1024 * 1024;

impl Params {
    /// Reads the query string and, by content type, the body.
    pub(crate) async fn read(parts: &Parts, body: Body) -> Result<Params, V1Error> {
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded(q.as_bytes()))
            .unwrap_or_default();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut params = Params {
            query,
            body: Vec::new(),
            files: Vec::new(),
            body_kind: BodyKind::Empty,
        };
        if content_type.starts_with("multipart/form-data") {
            params.body_kind = BodyKind::Multipart;
            let request = Request::from_parts(parts.clone(), body);
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|e| V1Error::bad_request(format!("unreadable multipart body: {e}")))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| V1Error::bad_request(format!("unreadable multipart part: {e}")))?
            {
                let name = field.name().unwrap_or_default().to_string();
                let is_file = field.file_name().is_some();
                let bytes = field.bytes().await.map_err(|e| {
                    V1Error::bad_request(format!("unreadable multipart part '{name}': {e}"))
                })?;
                // python-requests sends every `files={...}` entry with a filename, plain values
                // included (ThoughtSpot's own client sends `privilege` that way), and the server reads
                // them as fields: so a text part is a field whatever its filename, and a file too.
                if is_file {
                    if let Ok(text) = std::str::from_utf8(&bytes) {
                        params.body.push((name.clone(), text.to_string()));
                    }
                    params.files.push(FilePart {
                        name,
                        bytes: bytes.to_vec(),
                    });
                } else {
                    params
                        .body
                        .push((name, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
            return Ok(params);
        }
        let bytes = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|e| V1Error::bad_request(format!("unreadable request body: {e}")))?;
        if bytes.is_empty() {
            return Ok(params);
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            params.body_kind = BodyKind::Form;
            params.body = form_urlencoded(&bytes);
        } else if content_type.starts_with("application/json") {
            params.body_kind = BodyKind::Json;
        } else {
            params.body_kind = BodyKind::Other;
        }
        Ok(params)
    }

    /// The first value of `name` in the query string.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name` in the body.
    pub(crate) fn form(&self, name: &str) -> Option<&str> {
        self.body
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query string's value, else the body's: the query string wins when both are present.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.query(name).or_else(|| self.form(name))
    }

    /// Every value of `name`, query string first (repeated `val1` runtime-filter values).
    pub(crate) fn all(&self, name: &str, include_body: bool) -> Vec<&str> {
        let body = if include_body {
            self.body.as_slice()
        } else {
            &[]
        };
        self.query
            .iter()
            .chain(body)
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A file part's bytes, or a plain part of the same name (some clients send JSON as a text field).
    pub(crate) fn file_or_field(&self, name: &str) -> Option<Vec<u8>> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.bytes.clone())
            .or_else(|| self.form(name).map(|v| v.as_bytes().to_vec()))
    }
}

fn form_urlencoded(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |&b| b == b'=');
            let key = percent_decode(kv.next().unwrap_or_default());
            let value = percent_decode(kv.next().unwrap_or_default());
            (key, value)
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => {
                let hex = std::str::from_utf8(&input[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a JSON-array parameter in any of the spellings of wire-protocol §1.4: strict JSON, single quotes,
/// unquoted items in brackets, or a bare single value. `[]` and blank mean "not given".
pub(crate) fn parse_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) else {
        return vec![value.to_string()];
    };
    inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            for quote in ['"', '\''] {
                if let Some(unquoted) = item.strip_prefix(quote).and_then(|i| i.strip_suffix(quote))
                {
                    return unquoted.to_string();
                }
            }
            item.to_string()
        })
        .collect()
}

/// Reads a boolean: `true`/`false` in any case, or `1`/`0`.
pub(crate) fn parse_bool(name: &str, value: Option<&str>, default: bool) -> Result<bool, V1Error> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(v) => Err(V1Error::bad_request(format!(
            "Invalid parameter value for {name}: '{v}' is not a boolean"
        ))),
    }
}

/// Reads an integer parameter, `default` when absent.
pub(crate) fn parse_int(name: &str, value: Option<&str>, default: i64) -> Result<i64, V1Error> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            V1Error::bad_request(format!(
                "Invalid parameter value for {name}: '{v}' is not an integer"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_every_spelling() {
        let want = vec!["a1".to_string(), "b2".to_string()];
        assert_eq!(parse_list(r#"["a1", "b2"]"#), want);
        assert_eq!(parse_list("['a1','b2']"), want);
        assert_eq!(parse_list("[a1, b2]"), want);
        assert_eq!(parse_list(" WORKSHEET "), vec!["WORKSHEET".to_string()]);
        assert!(parse_list("[]").is_empty());
        assert!(parse_list("").is_empty());
    }

    #[test]
    fn urlencoding_and_scalars() {
        assert_eq!(
            form_urlencoded(b"q=%5BSales%5D+by&x=1&bad=%zz&end=%4"),
            vec![
                ("q".into(), "[Sales] by".into()),
                ("x".into(), "1".into()),
                ("bad".into(), "%zz".into()),
                ("end".into(), "%4".into())
            ]
        );
        assert!(parse_bool("b", Some("True"), false).unwrap());
        assert!(!parse_bool("b", Some("0"), true).unwrap());
        assert!(parse_bool("b", Some("yes"), true).is_err());
        assert_eq!(parse_int("n", Some("-1"), 5).unwrap(), -1);
        assert_eq!(parse_int("n", None, 5).unwrap(), 5);
    }
}
