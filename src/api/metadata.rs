//! `metadata` endpoints of the v1 API (written next).
