//! The page decoder of tsexport, from its own source files: `tsexport::decode` here is
//! `../src/decode/`, and `crate::json` is `../src/json.rs`, exactly as in the main crate. The decoder
//! depends on nothing else of the crate; if it ever does, this file says so by failing to build.

#[path = "../../src/decode/mod.rs"]
pub mod decode;

/// Public here (private in the crate) so the target can find a page's `data` value the way the
/// decoder does.
#[path = "../../src/json.rs"]
pub mod json;
