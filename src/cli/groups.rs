//! `tsexport groups` (written next).
