//! tsexport's integration tests, as one binary so that arrow, parquet and object_store link once.
//! Everything runs for real: HTTP to the emulator, Parquet read back, an S3-compatible server
//! in-process, the `tsexport` binary as a user runs it.
//!
//! - `common`: helpers shared by every module (an emulator, a signed-in HTTP client, the S3 test
//!   server, Parquet read back).
//! - `emulator`: the emulator alone, over raw HTTP.
//! - `cli`: the binary.
//! - the rest: the library, module by module, over the emulator.

mod common;

mod cli;
mod emulator;

mod api_admin;
mod api_core;
mod api_v2;
mod concurrency;
mod decode_property;
mod delta;
mod delta_faults;
mod deploy;
mod export;
mod fault_matrix;
mod hostile;
mod kill;
mod logs;
mod pager;
mod secrets;
mod sink;
mod storage_faults;
mod tls;
