//! `tsexport ls` (written next).
