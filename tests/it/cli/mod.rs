//! The `tsexport` binary, run as a user runs it: flags, output, exit codes.

mod activity;
mod admin;
mod basics;
mod client;
mod docs;
mod export;
mod jobs;
mod metadata;
mod runtime;
mod shard;
mod v2;
