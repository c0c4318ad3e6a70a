//! Fault plans: make the emulator fail on purpose, deterministically.
//!
//! A plan is a list of rules. Each rule names an endpoint (`searchdata`, `session/login`, ..., the v2
//! endpoints as `v2/searchdata`, `v2/metadata/liveboard/data`, `v2/auth/token/full`, ..., or `*`),
//! when it fires (the n-th request to that endpoint, counted from 1 since start; or with a probability,
//! drawn from a generator seeded by the plan; or always), and what happens. Plans are written in TOML:
//!
//! ```toml
//! seed = 7
//!
//! [[rule]]
//! endpoint = "searchdata"
//! nth = [2, 3]
//! kind = "status"
//! status = 503
//! retry_after = 1
//!
//! [[rule]]
//! endpoint = "pinboarddata"
//! probability = 0.25
//! kind = "truncate"
//! after_bytes = 1000
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::rng::{unit_f64, SplitMix64};

/// What a matching rule does to the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this status and the error body of the request's API instead of serving.
    Status {
        /// The HTTP status.
        status: u16,
        /// ThoughtSpot error code in the body; defaults by status (10002, 10003 or 10000).
        #[serde(default)]
        code: Option<i64>,
        /// Seconds for a `Retry-After` header.
        #[serde(default)]
        retry_after: Option<u64>,
        /// The error's debug text; defaults to `Injected failure: HTTP <status>`.
        #[serde(default)]
        debug: Option<String>,
    },
    /// Wait this long before sending headers, then serve normally.
    Delay {
        /// Milliseconds to wait.
        millis: u64,
    },
    /// Serve normally but cut the body off after this many bytes and close the connection.
    Truncate {
        /// Bytes of the body sent before the cut.
        after_bytes: u64,
    },
    /// Close the connection without any response.
    Drop,
    /// Treat the request's session as expired: 401, and the session is gone for later calls too.
    ExpireSession,
    /// Report this `samplingRatio` (< 1 means incomplete data) on data pages.
    Sampling {
        /// The `samplingRatio` reported.
        ratio: f64,
    },
    /// Serve the page as if `rows` rows had been inserted (positive) or deleted (negative) before it
    /// since the previous page: the data window moves, `totalRowCount` follows, `offset` echoes the
    /// request as a real server would. On the first page (offset 0) it does nothing: there is no
    /// earlier page for rows to move against.
    ShiftRows {
        /// Rows inserted (positive) or deleted (negative).
        rows: i64,
    },
    /// Report this `totalRowCount`.
    WrongTotal {
        /// The `totalRowCount` reported.
        total: u64,
    },
    /// Answer 200 with exactly this body instead of serving: hostile or malformed responses (deep
    /// nesting, wrong types, `NaN`, columns and rows that disagree, dangerous names).
    Body {
        /// The whole body.
        body: String,
    },
    /// Serve normally, but send this many bytes of JSON whitespace first: a valid body far larger than
    /// any page should be, streamed so the emulator holds none of it.
    Pad {
        /// Bytes of whitespace before the page.
        bytes: u64,
    },
    /// Serve normally, but replace the body's byte at `at_byte` (from 0) with `byte`, e.g. 0xFF for
    /// invalid UTF-8.
    Corrupt {
        /// Offset of the replaced byte, from 0.
        at_byte: u64,
        /// The byte written there.
        byte: u8,
    },
}

/// One rule of a plan. (Unknown keys are still refused: the flattened [`Fault`] denies them.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The endpoint path after `tspublic/v1/` (e.g. `searchdata`, `metadata/listobjectheaders`), `v2/`
    /// and the path after `/api/rest/2.0/` (e.g. `v2/searchdata`, `v2/metadata/liveboard/data`), or `*`.
    pub endpoint: String,
    /// Fire on these request numbers (1-based, per endpoint).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nth: Vec<u64>,
    /// Fire with this probability (0..=1) instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// What the rule does when it fires.
    #[serde(flatten)]
    pub fault: Fault,
}

impl FaultRule {
    /// A rule that fires on every request to `endpoint` until narrowed with [`nth`](Self::nth) or
    /// [`probability`](Self::probability).
    pub fn new(endpoint: impl Into<String>, fault: Fault) -> Self {
        Self {
            endpoint: endpoint.into(),
            nth: Vec::new(),
            probability: None,
            fault,
        }
    }

    /// Fires on these request numbers only (1-based, counted per endpoint).
    pub fn nth(mut self, requests: impl IntoIterator<Item = u64>) -> Self {
        self.nth = requests.into_iter().collect();
        self
    }

    /// Fires with probability `p` (0..=1), drawn from the plan's seed.
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }
}

/// A whole plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// Seed of the generator behind `probability` rules.
    #[serde(default)]
    pub seed: u64,
    /// The rules, tried in order (TOML `[[rule]]` tables).
    #[serde(default, rename = "rule")]
    pub rules: Vec<FaultRule>,
}

/// A plan file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultPlanError {
    /// The file cannot be read.
    #[error("cannot read fault plan {path}: {source}")]
    Read {
        /// The plan file.
        path: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The text is not a plan: bad TOML, an unknown key or fault kind.
    #[error("fault plan is not valid TOML for tsexport: {0}")]
    Parse(String),
    /// A rule that cannot fire as written.
    #[error("fault rule {index} ({endpoint}): {problem}")]
    Rule {
        /// The rule's place in the plan, from 1.
        index: usize,
        /// The endpoint it names.
        endpoint: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl FaultPlan {
    /// An empty plan: every request is served.
    pub fn new() -> Self {
        Self::default()
    }

    /// Seeds the generator behind `probability` rules.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a rule after the others.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// A plan from TOML text (`seed = ..` and `[[rule]]` tables), validated.
    pub fn from_toml(text: &str) -> Result<Self, FaultPlanError> {
        let plan: Self = toml::from_str(text).map_err(|e| FaultPlanError::Parse(e.to_string()))?;
        plan.validate()?;
        Ok(plan)
    }

    /// [`from_toml`](Self::from_toml) of a file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, FaultPlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| FaultPlanError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// Checks each rule for values that cannot mean anything.
    pub fn validate(&self) -> Result<(), FaultPlanError> {
        for (index, rule) in self.rules.iter().enumerate() {
            let problem = |problem: &str| {
                Err(FaultPlanError::Rule {
                    index: index + 1,
                    endpoint: rule.endpoint.clone(),
                    problem: problem.into(),
                })
            };
            if !rule.nth.is_empty() && rule.probability.is_some() {
                return problem("give either nth or probability, not both");
            }
            if rule.nth.contains(&0) {
                return problem("nth counts requests from 1");
            }
            if rule.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
                return problem("probability must be between 0 and 1");
            }
            if !super::is_rule_endpoint(&rule.endpoint) {
                return problem(
                    "unknown endpoint; use a path after tspublic/v1/ such as searchdata, v2/ and a \
                     path after /api/rest/2.0/ such as v2/searchdata, or *",
                );
            }
            match &rule.fault {
                Fault::Status { status, .. } if !(400..=599).contains(status) && *status != 429 => {
                    return problem("status must be 400-599")
                }
                Fault::Sampling { ratio } if !(*ratio > 0.0 && *ratio <= 1.0) => {
                    return problem("sampling ratio must be in (0, 1]")
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The plan in force plus the per-endpoint request counters.
#[derive(Debug)]
pub(crate) struct FaultEngine {
    plan: FaultPlan,
    rng: Mutex<SplitMix64>,
    counts: Mutex<HashMap<&'static str, u64>>,
    total: AtomicU64,
    /// Requests being handled now, and the most there ever were at once.
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// A request being handled; counted out when dropped.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FaultEngine {
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let rng = Mutex::new(SplitMix64::new(plan.seed));
        Self {
            plan,
            rng,
            counts: Mutex::new(HashMap::new()),
            total: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        }
    }

    /// Counts a request in until the returned guard drops, keeping the high-water mark.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    /// The most requests handled at once so far.
    pub(crate) fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Counts a request to `endpoint` and returns the faults that fire for it, in plan order.
    pub(crate) fn on_request(&self, endpoint: &'static str) -> Vec<Fault> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let n = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry(endpoint).or_insert(0);
            *n += 1;
            *n
        };
        self.plan
            .rules
            .iter()
            .filter(|rule| rule.endpoint == "*" || rule.endpoint == endpoint)
            .filter(|rule| {
                if let Some(p) = rule.probability {
                    let draw = unit_f64(
                        self.rng
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .next_u64(),
                    );
                    draw < p
                } else {
                    rule.nth.is_empty() || rule.nth.contains(&n)
                }
            })
            .map(|rule| rule.fault.clone())
            .collect()
    }

    /// Requests served so far to `endpoint` (the path after `tspublic/v1/`, or a `v2/` name).
    pub(crate) fn count(&self, endpoint: &str) -> u64 {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests served so far, all endpoints.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_plans_parse_and_validate() {
        let plan = FaultPlan::from_toml(
            r#"
            seed = 3
            [[rule]]
            endpoint = "searchdata"
            nth = [2]
            kind = "status"
            status = 503
            retry_after = 1
            [[rule]]
            endpoint = "*"
            probability = 0.5
            kind = "delay"
            millis = 10
            "#,
        )
        .unwrap();
        assert_eq!(plan.rules.len(), 2);
        assert_eq!(
            plan.rules[0].fault,
            Fault::Status {
                status: 503,
                code: None,
                retry_after: Some(1),
                debug: None
            }
        );
        let bad = FaultPlan::from_toml("[[rule]]\nendpoint = \"nowhere\"\nkind = \"drop\"\n")
            .unwrap_err();
        assert!(bad.to_string().contains("unknown endpoint"), "{bad}");
        for good in ["v2/searchdata", "v2/metadata/search", "v2/auth/token/full"] {
            FaultPlan::from_toml(&format!(
                "[[rule]]\nendpoint = \"{good}\"\nkind = \"drop\"\n"
            ))
            .unwrap();
        }
        assert!(FaultPlan::from_toml(
            "[[rule]]\nendpoint = \"v2/pinboarddata\"\nkind = \"drop\"\n"
        )
        .is_err());
        let bad = FaultPlan::from_toml("[[rule]]\nendpoint = \"searchdata\"\nkind = \"explode\"\n")
            .unwrap_err();
        assert!(bad.to_string().contains("explode"), "{bad}");
    }

    #[test]
    fn nth_counts_per_endpoint_and_probability_is_seeded() {
        let engine = FaultEngine::new(
            FaultPlan::new().rule(FaultRule::new("searchdata", Fault::Drop).nth([2])),
        );
        assert!(engine.on_request("searchdata").is_empty());
        assert!(engine.on_request("pinboarddata").is_empty());
        assert_eq!(engine.on_request("searchdata"), vec![Fault::Drop]);
        assert_eq!(engine.count("searchdata"), 2);
        let draws = |seed| {
            let e = FaultEngine::new(
                FaultPlan::new()
                    .seed(seed)
                    .rule(FaultRule::new("*", Fault::Drop).probability(0.5)),
            );
            (0..64)
                .map(|_| !e.on_request("user/list").is_empty())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
    }
}
