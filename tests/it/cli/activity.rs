//! `tsexport jobs init --template activity`, run as an admin would run it: three nights in a row
//! against the emulator, after which every day folder holds exactly what the emulator serves for
//! that day when asked directly (raw `searchdata` for TS: BI Server, raw `logs/fetch` for the audit
//! log).

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::Array;
use chrono::{Days, NaiveDate, Utc};
use serde_json::Value;
use tsexport_emulator::{ids, Emulator, Profile};

use crate::common::files::read_parquet_dir;
use crate::common::{login, output_text, run_cli, tsexport_on, url, v1, v2_token, TempDir};
use crate::logs::{micros, served};

/// The template's TS: BI Server columns, in its order.
const BI_COLUMNS: &str = "[Timestamp] [User] [User Action] [Answer Book GUID] [Answer Book Name] \
    [Visualization ID] [Client Type] [Query Text] [URL] [HTTP Response Code] [Incident ID] \
    [Latency (us)] [Database Latency (us)] [Response Size] [Impressions]";

/// The days in the folders under `root` (`day=YYYY-MM-DD`), in order.
fn days_in(root: &Path) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = std::fs::read_dir(root)
        .expect("export folder")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_prefix("day=")?.parse().ok()
        })
        .collect();
    days.sort();
    days
}

/// `(Timestamp in epoch seconds, Incident ID)` of a TS: BI Server day as searchdata serves it.
async fn bi_server_served(emu: &Emulator, day: NaiveDate) -> Vec<(i64, String)> {
    let client = login(emu).await;
    let next = day + Days::new(1);
    let query =
        format!("{BI_COLUMNS} [Timestamp] >= '{day}' [Timestamp] < '{next}' sort by [Incident ID]");
    let response = v1(client.post(url(emu, "searchdata")))
        .query(&[
            ("query_string", query.as_str()),
            ("data_source_guid", ids::BI_SERVER),
            ("batchsize", "-1"),
        ])
        .send()
        .await
        .expect("searchdata");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    let names: Vec<&str> = body["columnNames"]
        .as_array()
        .expect("columnNames")
        .iter()
        .map(|n| n.as_str().expect("name"))
        .collect();
    let at = |name: &str| names.iter().position(|n| *n == name).expect(name);
    let (time, incident) = (at("Timestamp"), at("Incident ID"));
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|row| {
            (
                row[time].as_i64().expect("epoch seconds"),
                row[incident].as_str().expect("id").to_string(),
            )
        })
        .collect()
}

/// `(Timestamp in epoch seconds, Incident ID)` of a day folder read back.
fn bi_server_exported(folder: &Path) -> Vec<(i64, String)> {
    let mut rows = Vec::new();
    for batch in read_parquet_dir(folder) {
        let time = batch
            .column_by_name("Timestamp")
            .expect("Timestamp")
            .as_primitive::<TimestampMicrosecondType>();
        let incident = batch
            .column_by_name("Incident ID")
            .expect("Incident ID")
            .as_string::<i32>();
        assert_eq!(time.null_count(), 0);
        for i in 0..batch.num_rows() {
            rows.push((time.value(i) / 1_000_000, incident.value(i).to_string()));
        }
    }
    rows
}

#[tokio::test]
async fn the_activity_template_run_three_nights_archives_each_day_as_the_cluster_serves_it() {
    // UTC days, so the days this test's clock calls over are over for the emulator too.
    let emu = Emulator::builder()
        .rows(1_000)
        .profile(Profile::modern())
        .timezone("UTC")
        .start()
        .await
        .expect("emulator");
    let dir = TempDir::new("activity-template");
    let jobs = dir.join("activity.toml");
    let jobs_arg = jobs.display().to_string();
    let output = run_cli(&["jobs", "init", "--template", "activity", &jobs_arg], &[]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    // Only the destination's root changes: the file is run as the template writes it.
    let root = dir.join("lake");
    let text = std::fs::read_to_string(&jobs).expect("template");
    assert!(text.contains("TS: BI Server") && text.contains("logs = \"security_audit\""));
    let text = text.replace("\"thoughtspot-activity/", &format!("\"{}/", root.display()));
    std::fs::write(&jobs, text).expect("template");
    let output = tsexport_on(&emu, &["check", &jobs_arg], &[]).await;
    assert!(output.status.success(), "check: {}", output_text(&output));

    let today = Utc::now().date_naive();
    for night in [2, 1, 0] {
        let run_date = (today - Days::new(night)).to_string();
        let report = dir.join(format!("report-{night}.json"));
        let output = tsexport_on(
            &emu,
            &[
                "run",
                &jobs_arg,
                "--run-date",
                &run_date,
                "--report",
                &report.display().to_string(),
            ],
            &[],
        )
        .await;
        assert!(
            output.status.success(),
            "night {run_date}: {}",
            output_text(&output)
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
        assert_eq!(report["succeeded"], 2, "{report}");
    }

    // Lookback 2: the first night takes the newest day and the two before it; each later night
    // adds its day and takes the two before it again.
    let bi_root = root.join("ts_bi_server");
    let bi_days = days_in(&bi_root);
    assert_eq!(
        bi_days,
        (1..=5)
            .rev()
            .map(|n| today - Days::new(n))
            .collect::<Vec<_>>()
    );
    for day in bi_days {
        let expected = bi_server_served(&emu, day).await;
        assert!(
            expected.len() >= 150,
            "a day of activity: {}",
            expected.len()
        );
        assert_eq!(
            bi_server_exported(&bi_root.join(format!("day={day}"))),
            expected,
            "TS: BI Server on {day}"
        );
    }

    let audit_root = root.join("security_audit");
    let audit_days = days_in(&audit_root);
    assert_eq!(
        audit_days,
        (1..=4)
            .rev()
            .map(|n| today - Days::new(n))
            .collect::<Vec<_>>()
    );
    let token = v2_token(&emu).await;
    for day in audit_days {
        let expected: Vec<(i64, String)> = served(&emu, &token, day)
            .await
            .into_iter()
            .map(|(date, log)| (micros(&date), log))
            .collect();
        assert!(!expected.is_empty());
        let mut exported = Vec::new();
        for batch in read_parquet_dir(&audit_root.join(format!("day={day}"))) {
            let time = batch.column(0).as_primitive::<TimestampMicrosecondType>();
            let log = batch.column_by_name("log").expect("log").as_string::<i32>();
            for i in 0..batch.num_rows() {
                exported.push((time.value(i), log.value(i).to_string()));
            }
        }
        assert_eq!(exported, expected, "security audit on {day}");
    }
}
