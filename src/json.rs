//! Byte-level JSON scanning: a JSON object's top level walked without parsing its values, and values
//! skipped by matching brackets and strings (a byte scan, several times faster than a parse). The
//! pager reads a page's counters this way, and the decoder finds its way to `data`, which it then
//! parses (and validates) once.

// Public items of a private module: the fuzz crate includes this file by path as a public module
// (fuzz/src/lib.rs) and calls `top_level` from its target.
#![allow(unreachable_pub)]

use std::ops::Range;

/// A body that is not the JSON it must be: what is wrong and at which byte (or row and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub(crate) String);

/// The top-level `(key, value byte range)` pairs of the JSON object in `bytes`, in order.
pub fn top_level(bytes: &[u8]) -> Result<Vec<(String, Range<usize>)>, Malformed> {
    let mut entries = Vec::new();
    walk_object(bytes, |key, start| {
        let end = skip_value(bytes, start)?;
        entries.push((key.to_string(), start..end));
        Ok(end)
    })?;
    Ok(entries)
}

/// Walks the top level of the JSON object in `bytes`: for each key, `value` gets the key and the
/// offset where its value starts, and returns the offset where the value ends.
pub fn walk_object(
    bytes: &[u8],
    mut value: impl FnMut(&str, usize) -> Result<usize, Malformed>,
) -> Result<(), Malformed> {
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return Err(Malformed("the body is not a JSON object".into()));
    }
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return end_of_body(bytes, at);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return Err(Malformed(format!("expected a key at byte {at}")));
        }
        let key_end = skip_string(bytes, at)?;
        let key: String = serde_json::from_slice(&bytes[at..key_end])
            .map_err(|e| Malformed(format!("a key at byte {at} is not valid: {e}")))?;
        at = skip_space(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return Err(Malformed(format!("expected ':' at byte {at}")));
        }
        let end = value(&key, skip_space(bytes, at + 1))?;
        at = skip_space(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b'}') => return end_of_body(bytes, at),
            _ => return Err(Malformed(format!("expected ',' or '}}' at byte {at}"))),
        }
    }
}

/// Checks that nothing but white space follows the object that closes at `at`.
fn end_of_body(bytes: &[u8], at: usize) -> Result<(), Malformed> {
    if skip_space(bytes, at + 1) == bytes.len() {
        Ok(())
    } else {
        Err(Malformed(format!(
            "unexpected bytes after the object at byte {}",
            at + 1
        )))
    }
}

/// The offset of the first byte at or after `at` that is not JSON white space.
#[inline]
pub fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

/// The end of the string that opens at `at`.
pub fn skip_string(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    let mut i = at + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
        let pos = i + found;
        if bytes[pos] == b'"' {
            return Ok(pos + 1);
        }
        i = pos + 2;
    }
    Err(Malformed(format!("the string at byte {at} is not closed")))
}

/// The end of the value that starts at `at`. An array's end is found by counting only `[` and `]`
/// outside strings (an object's, `{` and `}`): in JSON each kind is balanced on its own, so the
/// other kind can be passed over, and `memchr3` finds the next byte that matters with SIMD.
pub fn skip_value(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    let (open, close) = match bytes.get(at) {
        Some(b'"') => return skip_string(bytes, at),
        Some(b'[') => (b'[', b']'),
        Some(b'{') => (b'{', b'}'),
        Some(_) => {
            let end = bytes[at..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                .map_or(bytes.len(), |n| at + n);
            return if end == at {
                Err(Malformed(format!("expected a value at byte {at}")))
            } else {
                Ok(end)
            };
        }
        None => return Err(Malformed("the body ends where a value should be".into())),
    };
    let mut depth = 0usize;
    let mut i = at;
    while let Some(found) = memchr::memchr3(b'"', open, close, &bytes[i..]) {
        let pos = i + found;
        match bytes[pos] {
            b'"' => {
                i = skip_string(bytes, pos)?;
                continue;
            }
            b if b == open => depth += 1,
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Ok(pos + 1);
                }
            }
        }
        i = pos + 1;
    }
    Err(Malformed(format!("the value at byte {at} is not closed")))
}

/// The byte ranges of the elements of the JSON array that `range` of `bytes` holds (v2 pages put
/// their data blocks in `contents[]`).
pub fn array_items(bytes: &[u8], range: Range<usize>) -> Result<Vec<Range<usize>>, Malformed> {
    let mut at = skip_space(bytes, range.start);
    if at >= range.end || bytes[at] != b'[' {
        return Err(Malformed(format!("expected an array at byte {at}")));
    }
    let mut items = Vec::new();
    at = skip_space(bytes, at + 1);
    if bytes.get(at) == Some(&b']') {
        return Ok(items);
    }
    loop {
        let end = skip_value(bytes, at)?;
        if end > range.end {
            return Err(Malformed(format!(
                "the array at byte {} is not closed",
                range.start
            )));
        }
        items.push(at..end);
        at = skip_space(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b']') => return Ok(items),
            _ => return Err(Malformed(format!("expected ',' or ']' at byte {at}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_of_an_array() {
        let body = br#"{"contents": [ {"a":[1,"]"]} , {"b":2}, 3 ]}"#;
        let (_, range) = top_level(body).expect("object").remove(0);
        let items: Vec<&str> = array_items(body, range)
            .expect("array")
            .into_iter()
            .map(|r| std::str::from_utf8(&body[r]).expect("utf-8"))
            .collect();
        assert_eq!(items, [r#"{"a":[1,"]"]}"#, r#"{"b":2}"#, "3"]);
        assert!(array_items(b"[]", 0..2).expect("empty").is_empty());
        for bad in [&b"{}"[..], b"[1 2]", b"[1,", b"[{]"] {
            assert!(array_items(bad, 0..bad.len()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keys_and_value_ranges_of_a_page() {
        let page = br#" {"columnNames":["a","b\"]"],"data":[[1,"x]}"],[null,{"v":{"s":1}}]],"rowCount":2, "samplingRatio" : 1.0 } "#;
        let entries = top_level(page).expect("page");
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["columnNames", "data", "rowCount", "samplingRatio"]);
        let value = |i: usize| std::str::from_utf8(&page[entries[i].1.clone()]).expect("utf-8");
        assert_eq!(value(0), r#"["a","b\"]"]"#);
        assert_eq!(value(1), r#"[[1,"x]}"],[null,{"v":{"s":1}}]]"#);
        assert_eq!(value(2), "2");
        assert_eq!(value(3), "1.0");
    }

    #[test]
    fn broken_bodies_are_errors_not_panics() {
        for body in [
            &b""[..],
            b"[]",
            b"{",
            br#"{"a""#,
            br#"{"a":"#,
            br#"{"a":[1,2"#,
            br#"{"a":"x}"#,
            br#"{"a":1 "b":2}"#,
            br#"{"a":1}x"#,
            br#"{"a":]}"#,
            br#"{"a\"#,
        ] {
            assert!(
                top_level(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(top_level(b"{}").expect("empty"), vec![]);
    }
}
