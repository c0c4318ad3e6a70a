//! Faults that change a finished response's body on its way out: cut it short, pad it past any sane
//! size, or flip one byte. They work on the body as a stream, so a padded gigabyte costs the emulator
//! no memory, and they apply to every endpoint alike.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use futures_util::stream::{self, BoxStream};
use futures_util::StreamExt;

/// The body faults that fired for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct BodyFaults {
    /// Stop after this many bytes and break the connection.
    pub truncate_after: Option<u64>,
    /// Send this many bytes of JSON whitespace before the body.
    pub pad: Option<u64>,
    /// Replace the byte at this offset of the body.
    pub corrupt: Option<(u64, u8)>,
}

type ByteStream = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl BodyFaults {
    pub(super) fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `response` with the faults applied; `Content-Length` goes, since the length changes.
    pub(super) fn apply(&self, response: Response) -> Response {
        if self.is_empty() {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        let mut bytes: ByteStream = body
            .into_data_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed();
        if let Some((at, byte)) = self.corrupt {
            bytes = corrupt(bytes, at, byte);
        }
        if let Some(pad) = self.pad {
            bytes = padding(pad).chain(bytes).boxed();
        }
        if let Some(limit) = self.truncate_after {
            bytes = truncate(bytes, limit);
        }
        Response::from_parts(parts, Body::from_stream(bytes))
    }
}

/// `total` bytes of spaces in 64 KiB chunks, all sharing one buffer.
fn padding(total: u64) -> ByteStream {
    const CHUNK: usize = 64 * 1024;
    let spaces = Bytes::from(vec![b' '; CHUNK]);
    let full = total / CHUNK as u64;
    let rest = (total % CHUNK as u64) as usize;
    let chunks = (0..full)
        .map(move |_| spaces.clone())
        .chain((rest > 0).then(|| Bytes::from(vec![b' '; rest])));
    stream::iter(chunks.map(Ok)).boxed()
}

/// Replaces the byte at offset `at`, wherever the chunk boundaries fall.
fn corrupt(bytes: ByteStream, at: u64, byte: u8) -> ByteStream {
    let mut seen = 0u64;
    bytes
        .map(move |chunk| {
            let chunk = chunk?;
            let start = seen;
            seen += chunk.len() as u64;
            if (start..seen).contains(&at) {
                let mut owned = chunk.to_vec();
                owned[(at - start) as usize] = byte;
                return Ok(Bytes::from(owned));
            }
            Ok(chunk)
        })
        .boxed()
}

/// Lets `limit` bytes through, then aborts the connection, so the client sees a cut-off message and
/// not a short valid one.
fn truncate(bytes: ByteStream, limit: u64) -> ByteStream {
    // States: `Some(n)` = n bytes may still pass; `None` = bytes were held back, so end in an error.
    let state = (bytes, Some(limit), false);
    stream::unfold(state, |(mut body, remaining, done)| async move {
        if done {
            return None;
        }
        let Some(remaining) = remaining else {
            // The pause lets the server flush what it sent, so the client really gets headers and a
            // partial body before the error aborts the connection.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            return Some((
                Err(std::io::Error::other("truncated by fault plan")),
                (body, None, true),
            ));
        };
        let chunk = match body.next().await? {
            Ok(chunk) => chunk,
            Err(e) => return Some((Err(e), (body, None, true))),
        };
        if (chunk.len() as u64) <= remaining {
            let left = remaining - chunk.len() as u64;
            return Some((Ok(chunk), (body, Some(left), false)));
        }
        let kept = chunk.slice(..remaining as usize);
        Some((Ok(kept), (body, None, false)))
    })
    .boxed()
}
