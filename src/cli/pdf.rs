//! `tsexport pdf` (written next).
