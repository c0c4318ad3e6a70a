//! `tsexport users` (written next).
