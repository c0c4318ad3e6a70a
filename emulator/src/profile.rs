//! Behaviour switches for everything the wire spec leaves open.
//!
//! Each open question of `docs/wire-protocol.md` §7 and each point where sources conflict is one field here.
//! A [`Profile`] picks a value for every field ("v2021" for 2020–22 clusters, "modern" for current ones) and
//! any field can be overridden on its own, from Rust or with `tsexport emulator --set key=value`, so the
//! client can be tested against each variant.

use serde::{Deserialize, Serialize};

/// What a v1 data page past the end of the result looks like (wire-protocol §7 Q1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PastEnd {
    /// `200` with `data: []` and `rowCount: 0`.
    Empty,
    /// `400` with the v1 error body.
    BadRequest,
}

/// What `totalRowCount` reports (wire-protocol §7 Q2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalRowCount {
    /// The size of the full result.
    Exact,
    /// At most the per-call row cap.
    Capped,
}

/// How BOOL cells are encoded (wire-protocol §7 Q3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoolCells {
    /// JSON `true` / `false`.
    Json,
    /// The strings `"true"` / `"false"`.
    String,
}

/// FULL rows when two columns share a name (wire-protocol §7 Q23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullDuplicates {
    /// One key; the later column's value wins.
    LastWins,
    /// Both keys are written, giving an object with a duplicate key.
    KeepBoth,
}

/// The `group/addprivilege` success response (wire-protocol §7 Q9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivilegeResponse {
    /// `204`, empty body (2020–22 docs).
    NoContent,
    /// `200` with the updated group object (2022+ docs).
    Group,
}

/// Which list parameter `user/transfer/ownership` reads (wire-protocol §2.12, §7 Q11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipParam {
    /// `objectsID` and `objectid`, their union when both are sent.
    Both,
    /// Only `objectsID`.
    ObjectsId,
    /// Only `objectid`.
    Objectid,
}

/// What v2 `available_data_row_count` reports (wire-protocol §7 Q13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V2AvailableRowCount {
    /// The page's row count, equal to `returned_data_row_count` (what a live cluster was seen to do).
    Page,
    /// The size of the full result, as the schema describes it.
    Total,
}

/// The shape of `error.message` in v2 error bodies (wire-protocol §4.2, §6, §7 Q19): every shape a client must
/// tolerate, so each can be tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V2ErrorMessage {
    /// `{"code", "incident_id_guid", "trace_id_guid", "debug"}` (the OpenAPI examples).
    Object,
    /// `{"debug": "..."}` only (the playground screenshot).
    DebugOnly,
    /// A plain string holding the debug text.
    String,
    /// The four keys, with `debug` an object whose own `debug` is a JSON array in a string (3p).
    NestedDebug,
}

/// Every behaviour switch of the emulator. See the field docs for the spec section each one answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name, shown by `session/info` and the CLI.
    pub name: String,
    /// `releaseVersion` reported by `session/info`.
    pub release_version: String,

    // --- session and auth ---
    /// Status of a successful `session/login` (conflict: 204 in old docs, 200 in newer ones).
    pub login_status: u16,
    /// Status of a successful `session/logout` (conflict: 204 or 200).
    pub logout_status: u16,
    /// Status when `X-Requested-By` is missing (Q6); the body is the v1 error with code 10002.
    pub missing_requested_by_status: u16,
    /// Send 4xx/5xx responses with an empty body, headers only (Q7).
    pub empty_error_bodies: bool,
    /// Accept `Authorization: Bearer <token>` on v1 calls (about 2024+).
    pub bearer_on_v1: bool,
    /// Lifetime of a trusted-auth login token, in seconds (Q8).
    pub login_token_ttl_secs: u64,
    /// A trusted-auth login token works once (Q8).
    pub login_token_single_use: bool,
    /// `session/info` also answers POST (Q12).
    pub session_info_accepts_post: bool,
    /// Status of a basic login for a user with MFA enabled (Q24).
    pub mfa_status: u16,
    /// Status of `session/auth/token` for an unknown user without `autocreate` (Q24).
    pub unknown_user_status: u16,

    // --- data ---
    /// Most rows one data call returns; `batchsize=-1` means this many.
    pub row_cap: u64,
    /// A page past the end (Q1).
    pub past_end: PastEnd,
    /// `totalRowCount` exact or capped (Q2).
    pub total_row_count: TotalRowCount,
    /// BOOL cell encoding (Q3).
    pub bool_cells: BoolCells,
    /// In calendar form, add the end `e` of the day to DATE cells (Q4).
    pub calendar_end: bool,
    /// DATE_TIME cells as `{"v":{"s":..}}` even without a custom calendar (the pre-7.2.1 bug).
    pub datetime_wrapped: bool,
    /// Data endpoints read form-body parameters when the query string lacks them (Q10).
    pub data_form_params: bool,
    /// The first paged call of a query in a session must use `pagenumber=1` if it uses `pagenumber` (Q26).
    pub require_first_page_one: bool,
    /// Read `offset` as 1-based (the one doc page that says so; conflict, default 0-based).
    pub offset_one_based: bool,
    /// Headline vizzes echo `pageSize:-1, offset:-1` when the request used -1 (§2.7 quirk).
    pub headline_echoes_unset: bool,
    /// Put `name` first in pinboarddata viz blocks (key order varies between doc examples).
    pub viz_name_first: bool,
    /// FULL rows with duplicate column names (Q23).
    pub full_duplicates: FullDuplicates,
    /// Lower-case text values (Q25).
    pub lowercase_text: bool,
    /// Honour `include_column_details=true` with a `columnDetails` array (9.10.0+).
    pub column_details: bool,

    // --- metadata ---
    /// `listobjectheaders` adds `isDeleted`, `isHidden`, `tags`, `authorName`, `authorDisplayName` (Q5).
    pub rich_object_headers: bool,
    /// `listvizheaders` adds `size`, `vizType`, `title` (newer builds).
    pub rich_viz_headers: bool,
    /// `user/list` adds `"activate": false` to every entry and `"mail"` to users (2021+ docs).
    pub user_list_activate: bool,

    // --- users and groups ---
    /// `group/addprivilege` success response (Q9).
    pub privilege_response: PrivilegeResponse,
    /// `group/*privilege` and `user/sync` reject anything but multipart with 415 (2022+ docs).
    pub require_multipart: bool,
    /// `user/updatepassword` also accepts `newpassword` (the Python library's spelling).
    pub accept_newpassword: bool,
    /// The list parameter of `user/transfer/ownership` (Q11).
    pub ownership_param: OwnershipParam,
    /// Users whose objects cannot be transferred, to or from (§2.12).
    pub ownership_protected_users: Vec<String>,

    // --- REST API v2.0 (wire-protocol §4) ---
    /// Serve `/api/rest/2.0/` (9.0.0.cl+). Off, every v2 path is an unknown path (v1-style 404).
    pub v2: bool,
    /// What `available_data_row_count` reports (Q13).
    pub v2_available_row_count: V2AvailableRowCount,
    /// The shape of `error.message` in v2 error bodies (§4.2, Q19).
    pub v2_error_message: V2ErrorMessage,
    /// The longest range one `logs/fetch` request may span, in hours; ThoughtSpot documents 24. A
    /// smaller value stands for a cluster that refuses ranges the documentation allows.
    pub logs_max_span_hours: u32,

    // --- cluster model (docs/emulator.md "Cluster model"; `cluster.rs`): every one off at 0 ---
    /// Milliseconds every data page (v1 `searchdata`, `pinboarddata`; v2 `searchdata`,
    /// `metadata/answer/data`, `metadata/liveboard/data`) is at least in service, like a warehouse
    /// query, before its response starts.
    pub page_latency_ms: u64,
    /// Rows a second a data page is served at: its service time grows by its rows / this.
    pub rows_per_second: u64,
    /// Most data pages in service at once; more wait in a first-come-first-served queue.
    pub max_concurrent: u32,
    /// Requests a second each client address may make, all endpoints of both APIs together (a
    /// token bucket; fractions allowed, e.g. 0.5); beyond it, 429 with `Retry-After`. ThoughtSpot
    /// documents about 100.
    pub rate_limit_per_sec: f64,
    /// Requests a client address may make at once before the rate applies (the bucket's size); 0
    /// means a tenth of `rate_limit_per_sec`, rounded up, at least 1 (10 for 100 a second).
    pub rate_limit_burst: u32,
}

impl Profile {
    /// Clusters of 2020–22 (Software 6.x–7.x, Cloud ts7–8.x): the spec's primary target.
    pub fn v2021() -> Self {
        Self {
            name: "v2021".into(),
            release_version: "7.1.1".into(),
            login_status: 204,
            logout_status: 204,
            missing_requested_by_status: 400,
            empty_error_bodies: false,
            bearer_on_v1: false,
            login_token_ttl_secs: 300,
            login_token_single_use: true,
            session_info_accepts_post: true,
            mfa_status: 401,
            unknown_user_status: 400,
            row_cap: 100_000,
            past_end: PastEnd::Empty,
            total_row_count: TotalRowCount::Exact,
            bool_cells: BoolCells::Json,
            calendar_end: false,
            datetime_wrapped: false,
            data_form_params: true,
            require_first_page_one: false,
            offset_one_based: false,
            headline_echoes_unset: true,
            viz_name_first: true,
            full_duplicates: FullDuplicates::LastWins,
            lowercase_text: false,
            column_details: false,
            rich_object_headers: false,
            rich_viz_headers: true,
            user_list_activate: true,
            privilege_response: PrivilegeResponse::NoContent,
            require_multipart: false,
            accept_newpassword: true,
            ownership_param: OwnershipParam::Both,
            ownership_protected_users: vec!["system".into(), "su".into(), "tsadmin".into()],
            v2: false,
            v2_available_row_count: V2AvailableRowCount::Page,
            v2_error_message: V2ErrorMessage::Object,
            logs_max_span_hours: 24,
            page_latency_ms: 0,
            rows_per_second: 0,
            max_concurrent: 0,
            rate_limit_per_sec: 0.0,
            rate_limit_burst: 0,
        }
    }

    /// Current clusters: v1 still served, with the newer documented behaviours, and REST API v2.0.
    pub fn modern() -> Self {
        Self {
            name: "modern".into(),
            release_version: "10.1.0.cl".into(),
            login_status: 200,
            logout_status: 200,
            bearer_on_v1: true,
            viz_name_first: false,
            column_details: true,
            privilege_response: PrivilegeResponse::Group,
            require_multipart: true,
            v2: true,
            ..Self::v2021()
        }
    }

    /// A profile by name: `v2021` or `modern`.
    pub fn named(name: &str) -> Result<Self, ProfileError> {
        match name {
            "v2021" => Ok(Self::v2021()),
            "modern" => Ok(Self::modern()),
            other => Err(ProfileError::UnknownProfile(other.to_string())),
        }
    }

    /// The names of all settings, for help texts and error messages.
    pub fn setting_names() -> Vec<String> {
        match toml::Value::try_from(Self::v2021()) {
            Ok(toml::Value::Table(table)) => table.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Overrides one setting from text, e.g. `("past_end", "bad_request")` or `("row_cap", "5000")`.
    /// The value is read as TOML, and as a plain string if that fails, so enums need no quotes.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ProfileError> {
        let mut table = match toml::Value::try_from(&*self) {
            Ok(toml::Value::Table(table)) => table,
            _ => return Err(ProfileError::Internal),
        };
        if !table.contains_key(key) {
            return Err(ProfileError::UnknownSetting {
                key: key.to_string(),
                known: Self::setting_names().join(", "),
            });
        }
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        table.insert(key.to_string(), parsed);
        let updated: Self =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ProfileError::BadValue {
                    key: key.to_string(),
                    value: value.to_string(),
                    reason: e.message().to_string(),
                })?;
        let rate = updated.rate_limit_per_sec;
        if key == "rate_limit_per_sec" && !(rate.is_finite() && rate >= 0.0) {
            return Err(ProfileError::BadValue {
                key: key.to_string(),
                value: value.to_string(),
                reason: "rate_limit_per_sec is requests a second, 0 or more (0: no limit)"
                    .to_string(),
            });
        }
        *self = updated;
        Ok(())
    }

    /// Applies `key=value` overrides in order.
    pub fn with_overrides<'a>(
        mut self,
        overrides: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ProfileError> {
        for item in overrides {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| ProfileError::NotKeyValue(item.to_string()))?;
            self.set(key.trim(), value.trim())?;
        }
        Ok(self)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self::v2021()
    }
}

/// A profile name or override that cannot be applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// A profile name other than `v2021` and `modern`.
    #[error("unknown emulator profile '{0}': use 'v2021' or 'modern'")]
    UnknownProfile(String),
    /// An override of a setting that does not exist.
    #[error("unknown emulator setting '{key}'; settings are: {known}")]
    UnknownSetting {
        /// The setting named.
        key: String,
        /// Every setting there is, for the message.
        known: String,
    },
    /// An override with a value the setting cannot take.
    #[error("emulator setting '{key}' cannot be '{value}': {reason}")]
    BadValue {
        /// The setting.
        key: String,
        /// The value given.
        value: String,
        /// Why it does not fit.
        reason: String,
    },
    /// An override not written `key=value`.
    #[error("'{0}' is not a setting override: write it as key=value, e.g. past_end=bad_request")]
    NotKeyValue(String),
    /// The profile did not survive its own TOML round trip.
    #[error("the profile could not be represented as TOML (a bug in tsexport)")]
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_one_by_one() {
        let p = Profile::v2021()
            .with_overrides(["past_end=bad_request", "row_cap=5000", "bearer_on_v1=true"])
            .unwrap();
        assert_eq!(p.past_end, PastEnd::BadRequest);
        assert_eq!(p.row_cap, 5000);
        assert!(p.bearer_on_v1);
        assert_eq!(p.login_status, 204);
        let p = Profile::modern()
            .with_overrides([
                "v2=false",
                "v2_available_row_count=total",
                "v2_error_message=nested_debug",
            ])
            .unwrap();
        assert!(!p.v2 && Profile::modern().v2 && !Profile::v2021().v2);
        assert_eq!(p.v2_available_row_count, V2AvailableRowCount::Total);
        assert_eq!(p.v2_error_message, V2ErrorMessage::NestedDebug);
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let e = Profile::v2021().set("nope", "1").unwrap_err().to_string();
        assert!(
            e.contains("unknown emulator setting 'nope'") && e.contains("past_end"),
            "{e}"
        );
        let e = Profile::v2021()
            .set("past_end", "sideways")
            .unwrap_err()
            .to_string();
        assert!(e.contains("past_end") && e.contains("sideways"), "{e}");
        assert!(Profile::named("v1999").is_err());
        let e = Profile::v2021()
            .set("rate_limit_per_sec", "-1")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rate_limit_per_sec") && e.contains("0 or more"),
            "{e}"
        );
        assert!(Profile::v2021().set("rate_limit_per_sec", "nan").is_err());
        assert!(Profile::v2021().set("max_concurrent", "-1").is_err());
    }

    #[test]
    fn the_cluster_model_is_off_by_default_and_set_like_the_rest() {
        for p in [Profile::v2021(), Profile::modern()] {
            assert_eq!(
                (p.page_latency_ms, p.rows_per_second, p.max_concurrent),
                (0, 0, 0)
            );
            assert_eq!((p.rate_limit_per_sec, p.rate_limit_burst), (0.0, 0));
        }
        let p = Profile::v2021()
            .with_overrides([
                "page_latency_ms=200",
                "rows_per_second=50000",
                "max_concurrent=4",
                "rate_limit_per_sec=100",
                "rate_limit_burst=10",
            ])
            .unwrap();
        assert_eq!(
            (p.page_latency_ms, p.rows_per_second, p.max_concurrent),
            (200, 50_000, 4)
        );
        assert_eq!((p.rate_limit_per_sec, p.rate_limit_burst), (100.0, 10));
        let p = Profile::v2021()
            .with_overrides(["rate_limit_per_sec=0.5"])
            .unwrap();
        assert_eq!(p.rate_limit_per_sec, 0.5);
        assert!(Profile::setting_names().contains(&"rate_limit_burst".to_string()));
    }
}
