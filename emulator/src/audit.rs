//! The security audit log that `POST /api/rest/2.0/logs/fetch` serves (wire-protocol §4, "logs").
//!
//! Two kinds of events share one log:
//! - **seeded**: the 30 UTC days before the emulator started each hold a number of events drawn from
//!   `(seed, day)` alone, so two emulators started days apart agree on every day both keep;
//! - **live**: sign-ins, failed sign-ins, sign-outs and admin calls made to this emulator, recorded
//!   at the clock's time as they happen.
//!
//! As on a cluster, events older than the retention (30 days before the clock's now) are dropped from
//! answers.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::rng::{below, guid, hash3};

/// How long the log keeps an event, as ThoughtSpot documents for security events.
pub(crate) const RETENTION_MS: i64 = 30 * DAY_MS;
const DAY_MS: i64 = 86_400_000;
/// Seeded events per day: at least this many...
const MIN_PER_DAY: u64 = 20;
/// ...and fewer than this many more.
const SPREAD_PER_DAY: u64 = 40;
/// Random streams of [`hash3`], apart from every other data set's.
const STREAM_COUNT: u64 = 9_100;
const STREAM_EVENT: u64 = 9_101;

/// One security event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuditEvent {
    /// When it happened, in epoch microseconds (the entry's `date` carries microseconds).
    pub at_us: i64,
    pub id: String,
    pub user_guid: Option<String>,
    pub user_name: Option<String>,
    pub client_ip: Option<String>,
    pub kind: &'static str,
    pub description: &'static str,
    pub data: Value,
}

impl AuditEvent {
    /// The entry as `logs/fetch` returns it: the date, and the event as a JSON string.
    pub(crate) fn entry(&self) -> Value {
        let log = json!({
            "version": "1.1",
            "id": self.id,
            "ts": format_time(self.at_us, false),
            "orgId": 0,
            "userGUID": self.user_guid,
            "userName": self.user_name,
            "cIP": self.client_ip,
            "type": self.kind,
            "desc": self.description,
            "data": self.data,
        });
        json!({"date": format_time(self.at_us, true), "log": log.to_string()})
    }
}

/// `2024-07-01T05:04:09.290175Z` with microseconds, `2024-07-01T05:04:09Z` without.
fn format_time(at_us: i64, micros: bool) -> String {
    let time = DateTime::<Utc>::from_timestamp_micros(at_us).unwrap_or_default();
    if micros {
        time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// What a seeded event can be: type, description, and whether it names a user who signed in.
const SEEDED_KINDS: [(&str, &str); 8] = [
    ("LOGIN_SUCCESSFUL", "User login successful"),
    ("LOGIN_SUCCESSFUL", "User login successful"),
    ("LOGIN_SUCCESSFUL", "User login successful"),
    ("LOGOUT_SUCCESSFUL", "User logout successful"),
    ("LOGIN_FAILED", "User login failed"),
    ("ANSWER_UPDATE", "Answer updated"),
    ("LIVEBOARD_UPDATE", "Liveboard updated"),
    ("GROUP_PRIVILEGE_UPDATE", "Group privileges updated"),
];

/// The log: seeded events fixed at start, live ones appended.
#[derive(Debug)]
pub(crate) struct AuditLog {
    seeded: Vec<AuditEvent>,
    live: Mutex<Vec<AuditEvent>>,
    seed: u64,
}

impl AuditLog {
    /// The seeded events of the 30 UTC days before `start_ms`, by `users` (name, GUID).
    pub(crate) fn new(seed: u64, start_ms: i64, users: &[(String, String)]) -> Self {
        let today = start_ms.div_euclid(DAY_MS);
        let seeded = (today - RETENTION_MS / DAY_MS..today)
            .flat_map(|day| seeded_day(seed, day, users))
            .collect();
        Self {
            seeded,
            live: Mutex::new(Vec::new()),
            seed,
        }
    }

    /// Records an event that happens now (`now_ms`).
    pub(crate) fn record(
        &self,
        now_ms: i64,
        kind: &'static str,
        description: &'static str,
        user: Option<(&str, &str)>,
        data: Value,
    ) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let n = live.len() as u64;
        live.push(AuditEvent {
            // Microseconds from the event's sequence, so events of one millisecond stay apart.
            at_us: now_ms * 1000 + (n % 1000) as i64,
            id: format!(
                "TS-{}",
                guid(hash3(self.seed, STREAM_EVENT, n), now_ms as u64)
            ),
            user_guid: user.map(|(_, guid)| guid.to_string()),
            user_name: user.map(|(name, _)| name.to_string()),
            client_ip: Some("127.0.0.1".into()),
            kind,
            description,
            data,
        });
    }

    /// Entries from `start_ms` to `end_ms`, both included, newest first, minus those past retention
    /// at `now_ms`.
    pub(crate) fn between(&self, start_ms: i64, end_ms: i64, now_ms: i64) -> Vec<AuditEvent> {
        let oldest = (now_ms - RETENTION_MS).max(start_ms) * 1000;
        let newest = end_ms * 1000 + 999;
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<AuditEvent> = self
            .seeded
            .iter()
            .chain(live.iter())
            .filter(|e| (oldest..=newest).contains(&e.at_us))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.at_us.cmp(&a.at_us).then_with(|| a.id.cmp(&b.id)));
        found
    }
}

/// The seeded events of UTC day `day` (days since the epoch), in time order.
fn seeded_day(seed: u64, day: i64, users: &[(String, String)]) -> Vec<AuditEvent> {
    let count = MIN_PER_DAY + below(hash3(seed, STREAM_COUNT, day as u64), SPREAD_PER_DAY);
    let slot_us = DAY_MS * 1000 / count as i64;
    (0..count)
        .map(|k| {
            let r = hash3(seed, STREAM_EVENT, (day as u64) << 16 | k);
            let at_us = day * DAY_MS * 1000 + k as i64 * slot_us + below(r, slot_us as u64) as i64;
            let (kind, description) =
                SEEDED_KINDS[below(r >> 7, SEEDED_KINDS.len() as u64) as usize];
            let (name, user_guid) = &users[below(r >> 17, users.len().max(1) as u64) as usize];
            let failed = kind == "LOGIN_FAILED";
            let data = match kind {
                "LOGIN_SUCCESSFUL" | "LOGIN_FAILED" => json!({"userName": name}),
                "ANSWER_UPDATE" | "LIVEBOARD_UPDATE" => {
                    json!({"objectId": guid(r, r.rotate_left(29))})
                }
                "GROUP_PRIVILEGE_UPDATE" => {
                    json!({"groupNames": ["Analyst"], "privilege": "DATADOWNLOADING"})
                }
                _ => json!({}),
            };
            AuditEvent {
                at_us,
                id: format!("TS-{}", guid(r, r.rotate_left(17))),
                // A failed sign-in has no user yet: ThoughtSpot names the attempted one in `data`.
                user_guid: (!failed).then(|| user_guid.clone()),
                user_name: (!failed).then(|| name.clone()),
                client_ip: Some(format!(
                    "10.0.{}.{}",
                    below(r >> 40, 4),
                    10 + below(r >> 48, 200)
                )),
                kind,
                description,
                data,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Vec<(String, String)> {
        vec![
            ("alice".into(), "a-guid".into()),
            ("bob".into(), "b-guid".into()),
        ]
    }

    #[test]
    fn a_day_is_the_same_whenever_the_emulator_starts() {
        let day = 20_400 * DAY_MS;
        let early = AuditLog::new(7, day + 2 * DAY_MS, &users());
        let late = AuditLog::new(7, day + 9 * DAY_MS, &users());
        let now = day + 9 * DAY_MS;
        let a = early.between(day, day + DAY_MS - 1, now);
        assert!(!a.is_empty());
        assert_eq!(a, late.between(day, day + DAY_MS - 1, now));
    }

    #[test]
    fn retention_and_bounds_are_kept() {
        let start = 20_400 * DAY_MS;
        let log = AuditLog::new(7, start, &users());
        assert!(log.between(start - 40 * DAY_MS, start, start).len() < 60 * 30);
        assert!(log
            .between(0, start, start + 29 * DAY_MS)
            .iter()
            .all(|e| e.at_us >= (start - DAY_MS) * 1000));
        log.record(
            start + 5,
            "LOGIN_SUCCESSFUL",
            "User login successful",
            Some(("alice", "a-guid")),
            json!({}),
        );
        let newest = log.between(start, start + 5, start + 5);
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].user_name.as_deref(), Some("alice"));
    }
}
