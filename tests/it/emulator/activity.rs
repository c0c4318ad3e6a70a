//! The "TS: BI Server" activity worksheet over real HTTP: listed like any worksheet, searched one day
//! window at a time through v1 and v2, with days that do not depend on when the emulator started.

use std::sync::Arc;

use crate::common::*;
use chrono::{NaiveDate, TimeZone};
use reqwest::Client;
use serde_json::{json, Value};
use tsexport_emulator::data::BI_SERVER_DAYS;
use tsexport_emulator::{ids, Emulator, ManualClock, Profile};

/// 2026-12-02 12:00 UTC: the emulators' "now".
const NOW_MS: i64 = 1_796_212_800_000;
const DAY_MS: i64 = 86_400_000;
const NAME: &str = "TS: BI Server";

async fn at(now_ms: i64, profile: Profile) -> Emulator {
    start_with(
        Emulator::builder()
            .rows(100)
            .profile(profile)
            .clock(Arc::new(ManualClock::new(now_ms))),
    )
    .await
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Epoch seconds of local midnight in the emulators' default zone, America/Chicago.
fn chicago_midnight(day: NaiveDate) -> i64 {
    chrono_tz::America::Chicago
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp()
}

/// The job files' window: the events of one local day, in incident order.
fn window_query(columns: &str, day: NaiveDate) -> String {
    let next = day.succ_opt().unwrap();
    format!("{columns} [Timestamp] >= '{day}' [Timestamp] < '{next}' sort by [Incident ID]")
}

const COLUMNS: &str = "[Timestamp] [User] [User Action] [Incident ID]";

/// `searchdata` on the worksheet, every row in one page; returns the body (asserting 200).
async fn search_v1(emu: &Emulator, client: &Client, query: &str) -> Value {
    let response = v1(client.post(url(emu, "searchdata")))
        .query(&[
            ("query_string", query),
            ("data_source_guid", ids::BI_SERVER),
            ("batchsize", "-1"),
        ])
        .send()
        .await
        .expect("searchdata");
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn rows(body: &Value) -> Vec<Value> {
    body["data"].as_array().expect("data").clone()
}

#[tokio::test]
async fn the_worksheet_is_listed_and_described_by_name() {
    let emu = at(NOW_MS, Profile::modern()).await;
    let client = login(&emu).await;
    let headers: Value = v1(client.get(url(&emu, "metadata/listobjectheaders")))
        .query(&[("type", "LOGICAL_TABLE"), ("subtypes", "[WORKSHEET]")])
        .send()
        .await
        .expect("listobjectheaders")
        .json()
        .await
        .expect("JSON");
    let listed = headers
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == NAME)
        .unwrap_or_else(|| panic!("{NAME} not listed: {headers}"));
    assert_eq!(listed["id"], ids::BI_SERVER);

    let details: Value = v1(client.get(url(&emu, "metadata/details")))
        .query(&[
            ("type", "LOGICAL_TABLE"),
            ("id", &format!(r#"["{}"]"#, ids::BI_SERVER)),
        ])
        .send()
        .await
        .expect("details")
        .json()
        .await
        .expect("JSON");
    let ws = &details["storables"][0];
    assert_eq!(ws["type"], "WORKSHEET");
    let columns: Vec<(String, String)> = ws["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["header"]["name"].as_str().unwrap().to_string(),
                c["dataType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("Timestamp", "DATE_TIME"),
        ("User", "VARCHAR"),
        ("User Action", "VARCHAR"),
        ("Answer Book GUID", "VARCHAR"),
        ("Answer Book Name", "VARCHAR"),
        ("Visualization ID", "VARCHAR"),
        ("Client Type", "VARCHAR"),
        ("Query Text", "VARCHAR"),
        ("URL", "VARCHAR"),
        ("HTTP Response Code", "INT64"),
        ("Incident ID", "VARCHAR"),
        ("Latency (us)", "INT64"),
        ("Database Latency (us)", "INT64"),
        ("Response Size", "INT64"),
        ("Attribute Count", "INT64"),
        ("Measure Count", "INT64"),
        ("Join Count", "INT64"),
        ("Top Count", "INT64"),
        ("Uses Worksheet", "BOOL"),
        ("Uses System Table", "BOOL"),
        ("Uses User Data", "BOOL"),
        ("Impressions", "DOUBLE"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(columns, want);

    let token = v2_token(&emu).await;
    let (status, found) = v2_post(
        &client,
        &emu,
        "metadata/search",
        Some(&token),
        &json!({"metadata": [{"type": "LOGICAL_TABLE", "identifier": NAME}]}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found[0]["metadata_id"], ids::BI_SERVER, "{found}");
    assert_eq!(found[0]["metadata_name"], NAME);
}

#[tokio::test]
async fn one_day_window_returns_that_days_rows_sorted_through_v1_and_v2() {
    let emu = at(NOW_MS, Profile::modern()).await;
    let client = login(&emu).await;
    let day = date(2026, 11, 1);
    let query = window_query(COLUMNS, day);
    let body = search_v1(&emu, &client, &query).await;
    assert_eq!(
        body["columnNames"],
        json!(["Timestamp", "User", "User Action", "Incident ID"])
    );
    let data = rows(&body);
    assert!(
        (150..=450).contains(&data.len()),
        "{} events on {day}",
        data.len()
    );
    assert_eq!(body["totalRowCount"], data.len());
    let (start, end) = (chicago_midnight(day), chicago_midnight(date(2026, 11, 2)));
    let users = ["alice", "bob", "carol", "tsadmin", "mfa.user"];
    let actions = [
        "answer_view",
        "answer_saved",
        "answer_unsaved",
        "pinboard_view",
        "pinboard_filter",
        "pinboard_tspublic_no_runtime_filter",
        "data_export",
        "pinboard_embed_view",
    ];
    for row in &data {
        let t = row[0].as_i64().expect("Timestamp is epoch seconds");
        assert!(t >= start && t < end, "{t} outside {day}");
        assert!(users.contains(&row[1].as_str().unwrap()), "{row}");
        assert!(actions.contains(&row[2].as_str().unwrap()), "{row}");
        assert_eq!(row[3].as_str().unwrap().len(), 36, "a GUID: {row}");
    }
    let incidents: Vec<&str> = data.iter().map(|r| r[3].as_str().unwrap()).collect();
    assert!(incidents.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
    let times: Vec<i64> = data.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");

    // A moment in the window's literal is the cluster zone's wall-clock time too.
    let noon = search_v1(
        &emu,
        &client,
        &format!("{COLUMNS} [Timestamp] >= '{day} 12:00:00' [Timestamp] < '2026-11-02' sort by [Incident ID]"),
    )
    .await;
    let afternoon = rows(&noon);
    assert!(!afternoon.is_empty() && afternoon.len() < data.len());
    assert!(afternoon
        .iter()
        .all(|r| r[0].as_i64().unwrap() >= start + 12 * 3600));
    assert_eq!(afternoon[..], data[data.len() - afternoon.len()..]);

    // v2 serves the same rows for the same search.
    let token = v2_token(&emu).await;
    let (status, v2) = v2_post(
        &client,
        &emu,
        "searchdata",
        Some(&token),
        &json!({"query_string": query, "logical_table_identifier": ids::BI_SERVER, "record_size": -1}),
    )
    .await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["contents"][0]["data_rows"], json!(data));
    // And by the worksheet's name.
    let (status, by_name) = v2_post(
        &client,
        &emu,
        "searchdata",
        Some(&token),
        &json!({"query_string": query, "logical_table_identifier": NAME, "record_size": -1}),
    )
    .await;
    assert_eq!(status, 200, "{by_name}");
    assert_eq!(by_name["contents"][0]["data_rows"], json!(data));
}

#[tokio::test]
async fn emulators_started_days_apart_serve_the_same_rows_for_a_shared_day() {
    let early = at(NOW_MS, Profile::v2021()).await;
    let late = at(NOW_MS + 3 * DAY_MS, Profile::v2021()).await;
    let all = "[Timestamp] [User] [User Action] [Answer Book GUID] [Answer Book Name] \
               [Visualization ID] [Client Type] [Query Text] [URL] [HTTP Response Code] \
               [Incident ID] [Latency (us)] [Database Latency (us)] [Response Size] \
               [Attribute Count] [Measure Count] [Join Count] [Top Count] [Uses Worksheet] \
               [Uses System Table] [Uses User Data] [Impressions]";
    for day in [date(2026, 6, 20), date(2026, 11, 1), date(2026, 12, 1)] {
        let query = window_query(all, day);
        let a = rows(&search_v1(&early, &login(&early).await, &query).await);
        let b = rows(&search_v1(&late, &login(&late).await, &query).await);
        assert!(!a.is_empty(), "{day}");
        assert_eq!(a, b, "{day}");
    }
    // Each keeps its own 183 days: the late one has dropped the early one's first three.
    let first = date(2026, 6, 2);
    let query = window_query(COLUMNS, first);
    assert!(!rows(&search_v1(&early, &login(&early).await, &query).await).is_empty());
    assert!(rows(&search_v1(&late, &login(&late).await, &query).await).is_empty());
}

#[tokio::test]
async fn only_the_183_days_before_now_are_kept_and_the_windows_add_up() {
    let emu = at(NOW_MS, Profile::v2021()).await;
    let client = login(&emu).await;
    let today = date(2026, 12, 2);
    let count = |day: NaiveDate| {
        let (emu, client) = (&emu, &client);
        async move {
            let body = search_v1(emu, client, &window_query("[Incident ID]", day)).await;
            body["totalRowCount"].as_u64().unwrap()
        }
    };
    let oldest = today - chrono::Days::new(u64::from(BI_SERVER_DAYS));
    assert_eq!(oldest, date(2026, 6, 2));
    assert_eq!(count(oldest.pred_opt().unwrap()).await, 0, "184 days ago");
    assert_eq!(count(today).await, 0, "today is not served yet");
    let mut sum = 0;
    let mut day = oldest;
    while day < today {
        let n = count(day).await;
        assert!((150..=450).contains(&n), "{n} events on {day}");
        sum += n;
        day = day.succ_opt().unwrap();
    }
    let whole = search_v1(&emu, &client, "[Incident ID] sort by [Incident ID]").await;
    assert_eq!(whole["totalRowCount"].as_u64().unwrap(), sum);
    assert_eq!(rows(&whole).len() as u64, sum);
}
