//! The security audit log: the emulator's `logs/fetch` over raw HTTP (shape, limits, privilege,
//! events recorded as they happen), and its export through the library and `tsexport logs`, read
//! back and compared with what the emulator serves when asked directly.

use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use chrono::{Days, NaiveDate, Utc};
use serde_json::{json, Value};
use tsexport::api::{ApiChoice, Client, Credentials, LogType, RetryConfig, Secret};
use tsexport::export::Export;
use tsexport::logs::LogRequest;
use tsexport_emulator::{Emulator, Profile, V2Endpoint};

use crate::common::files::read_parquet_dir;
use crate::common::{
    client, output_text, tsexport_on, v2_error, v2_post, v2_token, with_settings, TempDir,
};

const DAY_MS: i64 = 86_400_000;

/// A "modern" emulator (v2 on) whose days are UTC days, so a day that ended by the test's clock is
/// over for the emulator too.
async fn emulator(profile: Profile) -> Emulator {
    Emulator::builder()
        .rows(1_000)
        .profile(profile)
        .timezone("UTC")
        .start()
        .await
        .expect("emulator")
}

fn admin(emu: &Emulator) -> Client {
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .api(ApiChoice::V2)
        .retry(RetryConfig {
            init_backoff: Duration::from_millis(5),
            ..RetryConfig::default()
        })
        .build()
        .expect("client")
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn midnight_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp_millis()
}

/// The day's entries as the emulator serves them to a direct request in two 12-hour halves, each
/// trimmed to its half (the emulator includes both ends), oldest first: `(date, log)`.
pub(crate) async fn served(emu: &Emulator, token: &str, day: NaiveDate) -> Vec<(String, String)> {
    let start = midnight_ms(day);
    let mut all = Vec::new();
    for (from, to) in [
        (start, start + DAY_MS / 2),
        (start + DAY_MS / 2, start + DAY_MS),
    ] {
        let body = json!({"log_type": "SECURITY_AUDIT", "start_epoch_time_in_millis": from, "end_epoch_time_in_millis": to});
        let (status, entries) = v2_post(&client(), emu, "logs/fetch", Some(token), &body).await;
        assert_eq!(status, 200, "{entries}");
        for entry in entries.as_array().expect("array") {
            let date = entry["date"].as_str().expect("date").to_string();
            let at = chrono::DateTime::parse_from_rfc3339(&date).expect("rfc3339");
            if (from..to).contains(&at.timestamp_millis()) {
                all.push((date, entry["log"].as_str().expect("log").to_string()));
            }
        }
    }
    all.sort();
    all
}

/// `(timestamp µs, log)` rows of an export read back.
fn exported(dir: &std::path::Path) -> Vec<(i64, String)> {
    let mut rows = Vec::new();
    for batch in read_parquet_dir(dir) {
        let ts = batch.column(0).as_primitive::<TimestampMicrosecondType>();
        let log = batch
            .column_by_name("log")
            .expect("log column")
            .as_string::<i32>();
        for i in 0..batch.num_rows() {
            rows.push((ts.value(i), log.value(i).to_string()));
        }
    }
    rows
}

pub(crate) fn micros(date: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(date)
        .expect("date")
        .timestamp_micros()
}

#[tokio::test]
async fn logs_fetch_answers_documented_entries_and_enforces_its_limits() {
    let emu = emulator(Profile::modern()).await;
    let token = v2_token(&emu).await;
    let http = client();
    let day = midnight_ms(today() - Days::new(2));
    let ask = |from: i64, to: i64| json!({"log_type": "SECURITY_AUDIT", "start_epoch_time_in_millis": from, "end_epoch_time_in_millis": to});

    let (status, body) = v2_post(
        &http,
        &emu,
        "logs/fetch",
        Some(&token),
        &ask(day, day + DAY_MS),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entries = body.as_array().expect("an array");
    assert!(!entries.is_empty(), "a seeded day holds events");
    for entry in entries {
        let log: Value =
            serde_json::from_str(entry["log"].as_str().expect("log is text")).expect("log is JSON");
        for key in [
            "id", "ts", "type", "desc", "orgId", "userGUID", "userName", "cIP", "data",
        ] {
            assert!(log.get(key).is_some(), "{key} in {log}");
        }
        let at = micros(entry["date"].as_str().expect("date"));
        assert!((day * 1000..=(day + DAY_MS) * 1000).contains(&at));
    }

    let (status, body) = v2_post(
        &http,
        &emu,
        "logs/fetch",
        Some(&token),
        &ask(day, day + DAY_MS + 1),
    )
    .await;
    assert_eq!(status, 400, "a range over 24 hours is refused: {body}");
    assert!(v2_error(&body).1.contains("24 hours"));
    let (status, _) = v2_post(&http, &emu, "logs/fetch", Some(&token), &json!({})).await;
    assert_eq!(status, 400, "log_type is required");
    let (status, _) = v2_post(
        &http,
        &emu,
        "logs/fetch",
        Some(&token),
        &json!({"log_type": "AUDIT"}),
    )
    .await;
    assert_eq!(status, 400, "an unknown log_type is refused");

    let (status, body) = v2_post(
        &http,
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "alice", "password": "alice"}),
    )
    .await;
    assert_eq!(status, 200);
    let alice = body["token"].as_str().expect("token");
    let (status, body) = v2_post(
        &http,
        &emu,
        "logs/fetch",
        Some(alice),
        &ask(day, day + DAY_MS),
    )
    .await;
    assert_eq!(status, 403, "ADMINISTRATION is needed: {body}");
    assert!(v2_error(&body).1.contains("ADMINISTRATION"));
}

#[tokio::test]
async fn sign_ins_and_privilege_changes_are_recorded_as_they_happen() {
    let emu = emulator(Profile::modern()).await;
    let http = client();
    let (status, _) = v2_post(
        &http,
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "bob", "password": "wrong"}),
    )
    .await;
    assert_eq!(status, 401);
    let admin = crate::common::login(&emu).await;
    let form = reqwest::multipart::Form::new()
        .text("privilege", "DATADOWNLOADING")
        .text("groupNames", "[\"Analyst\"]");
    let response = crate::common::v1(admin.post(crate::common::url(&emu, "group/addprivilege")))
        .multipart(form)
        .send()
        .await
        .expect("addprivilege");
    assert!(response.status().is_success(), "{}", response.status());
    let token = v2_token(&emu).await;
    let now = Utc::now().timestamp_millis();
    let (status, body) = v2_post(
        &http,
        &emu,
        "logs/fetch",
        Some(&token),
        &json!({"log_type": "SECURITY_AUDIT", "start_epoch_time_in_millis": now - 600_000, "end_epoch_time_in_millis": now + 600_000}),
    )
    .await;
    assert_eq!(status, 200);
    let events: Vec<Value> = body
        .as_array()
        .expect("array")
        .iter()
        .map(|e| serde_json::from_str(e["log"].as_str().expect("log")).expect("json"))
        .collect();
    let failed = events
        .iter()
        .find(|e| e["type"] == "LOGIN_FAILED")
        .expect("the failed sign-in");
    assert_eq!(failed["data"]["userName"], "bob");
    assert!(failed["userName"].is_null());
    let signed_in = events
        .iter()
        .find(|e| e["type"] == "LOGIN_SUCCESSFUL" && e["userName"] == "tsadmin")
        .expect("the sign-in");
    assert!(signed_in["userGUID"].is_string());
    let granted = events
        .iter()
        .find(|e| e["type"] == "GROUP_PRIVILEGE_UPDATE")
        .expect("the privilege change");
    assert_eq!(granted["userName"], "tsadmin");
    assert_eq!(granted["data"]["privilege"], "DATADOWNLOADING");
    assert_eq!(granted["data"]["groupNames"], json!(["Analyst"]));
}

#[tokio::test]
async fn an_export_of_three_days_holds_exactly_what_the_cluster_serves_for_them() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("logs-export");
    let (from, to) = (today() - Days::new(4), today() - Days::new(1));
    let summary = Export::log(
        &admin(&emu),
        LogRequest::days(LogType::SecurityAudit, from, to),
    )
    .to(dir.display().to_string())
    .run()
    .await
    .expect("export");
    let token = v2_token(&emu).await;
    let mut expected = Vec::new();
    for offset in 0..3 {
        expected.extend(served(&emu, &token, from + Days::new(offset)).await);
    }
    let rows = exported(&dir);
    assert_eq!(summary.rows as usize, expected.len());
    assert_eq!(
        rows,
        expected
            .iter()
            .map(|(date, log)| (micros(date), log.clone()))
            .collect::<Vec<_>>(),
        "every event once, oldest first, the event's JSON as sent"
    );
    assert_eq!(summary.tables[0].pages, 3, "one request a day");
    let batch = &read_parquet_dir(&dir)[0];
    let schema = batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "timestamp",
            "event_id",
            "event_type",
            "description",
            "user_name",
            "user_guid",
            "client_ip",
            "org_id",
            "data",
            "version",
            "log"
        ]
    );
    assert_eq!(
        schema.field(0).data_type(),
        &arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into()))
    );
}

#[tokio::test]
async fn a_cluster_that_refuses_a_days_range_gets_smaller_spans_and_every_event() {
    let emu = emulator(with_settings(Profile::modern(), &["logs_max_span_hours=5"])).await;
    let dir = TempDir::new("logs-split");
    let day = today() - Days::new(2);
    let summary = Export::log(
        &admin(&emu),
        LogRequest::days(LogType::SecurityAudit, day, day + Days::new(1)),
    )
    .to(dir.display().to_string())
    .run()
    .await
    .expect("export");
    // The same seed serves the same past day; this emulator takes the documented 24 hours.
    let documented = emulator(Profile::modern()).await;
    let expected = served(&documented, &v2_token(&documented).await, day).await;
    assert_eq!(
        exported(&dir),
        expected
            .iter()
            .map(|(date, log)| (micros(date), log.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(summary.rows as usize, expected.len());
    // 24 h refused, two 12 h refused, four 6 h refused, eight 3 h answered.
    assert_eq!(emu.request_count(V2Endpoint::LogsFetch), 1 + 2 + 4 + 8);
    assert_eq!(summary.tables[0].pages, 8);
}

#[tokio::test]
async fn the_command_exports_a_range_and_refuses_what_it_cannot_prove_complete() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("logs-cli");
    let out = dir.join("audit");
    let from = (today() - Days::new(2)).to_string();
    let to = today().to_string();
    let output = tsexport_on(
        &emu,
        &[
            "logs",
            "--from",
            &from,
            "--to",
            &to,
            "--out",
            &out.display().to_string(),
            "--json",
        ],
        &[],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("json summary");
    let rows = exported(&out);
    assert_eq!(summary["rows"].as_u64(), Some(rows.len() as u64));
    assert!(!rows.is_empty());

    let output = tsexport_on(
        &emu,
        &[
            "logs",
            "--from",
            &from,
            "--sort",
            "user_name",
            "--out",
            &dir.join("sorted").display().to_string(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("time order"),
        "{}",
        output_text(&output)
    );

    let old = (today() - Days::new(45)).to_string();
    let stale = dir.join("stale");
    let output = tsexport_on(
        &emu,
        &[
            "logs",
            "--from",
            &old,
            "--out",
            &stale.display().to_string(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(4), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("30 days"),
        "{}",
        output_text(&output)
    );
    assert!(!stale.exists(), "nothing is written");

    let output = tsexport_on(
        &emu,
        &[
            "logs",
            "--from",
            &from,
            "--out",
            &dir.join("alice").display().to_string(),
        ],
        &[
            ("TSEXPORT_USERNAME", "alice"),
            ("TSEXPORT_PASSWORD", "alice"),
        ],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        output_text(&output).contains("ADMINISTRATION"),
        "{}",
        output_text(&output)
    );
}

#[tokio::test]
async fn nightly_log_windows_into_a_delta_table_replace_their_days_and_never_duplicate() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("logs-delta");
    let table = dir.join("security_audit");
    let jobs = dir.join("jobs.toml");
    std::fs::write(
        &jobs,
        format!(
            "[[export]]\nname = \"security_audit\"\nlogs = \"security_audit\"\nout = \"{}\"\n\
             format = \"delta\"\nwindow = \"day\"\nlookback = 1\npartition_by = \"timestamp:day\"\n",
            table.display()
        ),
    )
    .expect("job file");
    let jobs = jobs.display().to_string();
    let today = today();
    for night in [1, 0] {
        let run_date = (today - Days::new(night)).to_string();
        let output = tsexport_on(&emu, &["run", &jobs, "--run-date", &run_date], &[]).await;
        assert!(output.status.success(), "{}", output_text(&output));
    }
    let (_, rows_by_day) = crate::common::delta::read_by_crate(&table).await;
    let token = v2_token(&emu).await;
    let mut expected = std::collections::BTreeMap::new();
    for n in 1..=3 {
        let day = today - Days::new(n);
        expected.insert(Some(day.to_string()), served(&emu, &token, day).await.len());
    }
    assert_eq!(
        rows_by_day, expected,
        "each day once, though the lookback read one twice"
    );
}
