//! The emulator on its own, over raw HTTP (reqwest): every endpoint, profile switch and fault as
//! the wire protocol describes them. No tsexport client code runs here.

mod activity;
mod cluster;
mod data;
mod faults;
mod metadata;
mod multipart;
mod pdf;
mod profile_switches;
mod routing;
mod runtime;
mod session;
mod users_groups;
mod v2;
