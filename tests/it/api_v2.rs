//! The client and the export through REST API v2, against the emulator over HTTP: every v2 call,
//! bearer tokens refreshed before they expire (and replaced when refused), one refresh for many
//! callers, `auto` detection, and v2 exports that write exactly what v1 exports write.

use crate::common;
use crate::common::files::read_parquet_dir;
use crate::common::TempDir;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use futures_util::TryStreamExt;
use tsexport::api::{
    ApiChoice, ApiVersion, Client, Credentials, Error, MetadataSearch, MetadataSelector,
    PinboardRequest, SearchRequest, Secret,
};
use tsexport::export::{Export, ExportOptions};
use tsexport::failure::FailureKind;
use tsexport::pager::PagerConfig;
use tsexport::read::{ReadError, ReadOptions};
use tsexport_emulator::{
    ids, Emulator, Fault, FaultPlan, FaultRule, ManualClock, Profile, V2Endpoint,
};

const ALL_COLUMNS: &str = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] \
    [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] \
    [Loyalty Points] sort by [Order Line ID]";

/// The query behind the "Sales by Product" answer's table viz.
const ANSWER_QUERY: &str = "[Product] [Sales] [Quantity] sort by [Product]";

fn modern(settings: &[&str]) -> Profile {
    common::with_settings(Profile::modern(), settings)
}

async fn start(rows: u64, profile: Profile) -> Emulator {
    common::start_with(Emulator::builder().rows(rows).profile(profile)).await
}

fn builder(emu: &Emulator, api: ApiChoice) -> tsexport::api::ClientBuilder {
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .api(api)
}

fn client(emu: &Emulator, api: ApiChoice) -> Client {
    builder(emu, api).build().expect("client")
}

fn options(page_size: u64) -> ExportOptions {
    ExportOptions {
        read: ReadOptions {
            pager: PagerConfig {
                page_size,
                in_flight: 2,
                ..PagerConfig::default()
            },
            ..ReadOptions::default()
        },
        ..ExportOptions::default()
    }
}

/// A batch's column names and Arrow types, and its columns.
type BatchValues = (Vec<(String, String)>, Vec<arrow_array::ArrayRef>);

/// Column names, Arrow types and every value, batch by batch (schema metadata aside: it names the
/// API the data came through).
fn values(batches: &[RecordBatch]) -> Vec<BatchValues> {
    batches
        .iter()
        .map(|b| {
            let fields = b
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().to_string()))
                .collect();
            (fields, b.columns().to_vec())
        })
        .collect()
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}

async fn export_to(export: Export, out: &Path) -> tsexport::export::Summary {
    export
        .to(out.display().to_string())
        .run()
        .await
        .expect("export commits")
}

#[tokio::test]
async fn the_same_search_through_v1_and_v2_writes_identical_parquet_values() {
    for calendar in [false, true] {
        let emu = common::start_with(
            Emulator::builder()
                .rows(5_000)
                .profile(modern(&[]))
                .custom_calendar(calendar),
        )
        .await;
        let (v1_out, v2_out) = (TempDir::new("v2-search-v1"), TempDir::new("v2-search-v2"));
        let search = |api| {
            Export::search(&client(&emu, api), ALL_COLUMNS, ids::RETAIL_SALES)
                .options(options(1000))
        };
        let v1 = export_to(search(ApiChoice::V1), &v1_out).await;
        let v2 = export_to(search(ApiChoice::V2), &v2_out).await;
        assert_eq!((v1.rows, v2.rows), (5_000, 5_000));
        let (v1_batches, v2_batches) = (read_parquet_dir(&v1_out), read_parquet_dir(&v2_out));
        assert_eq!(rows(&v2_batches), 5_000);
        assert_eq!(
            values(&v1_batches),
            values(&v2_batches),
            "custom calendar: {calendar}"
        );
        // The v2 export typed its columns from metadata/search, as v1 from metadata/details: dates
        // are dates, not the epoch seconds they travel as.
        let schema = v2_batches[0].schema();
        let order_date = schema.field_with_name("Order Date").expect("column");
        assert_eq!(order_date.data_type(), &arrow_schema::DataType::Date32);
        // Pages of the 1000 rows asked for, never v2's default of 10 (which would take 500 calls):
        // five full pages, the end, and at most two asked ahead.
        let calls = emu.request_count(V2Endpoint::SearchData);
        assert!((6..=8).contains(&calls), "{calls} page calls");
        assert_eq!(emu.request_count(V2Endpoint::MetadataSearch), 1);
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(v2_out.join("_manifest.json")).expect("manifest"),
        )
        .expect("json");
        assert_eq!(manifest["source"]["api"], "v2", "{manifest}");
    }
}

#[tokio::test]
async fn pinboards_and_answers_through_v2_write_what_v1_writes() {
    // Without v1's columnDetails both APIs type viz columns from the data, so the files must match.
    let emu = start(3_000, modern(&["column_details=false"])).await;
    let (v1_out, v2_out) = (TempDir::new("v2-board-v1"), TempDir::new("v2-board-v2"));
    let board =
        |api| Export::pinboard(&client(&emu, api), ids::RETAIL_PINBOARD).options(options(1000));
    let v1 = export_to(board(ApiChoice::V1), &v1_out).await;
    let v2 = export_to(board(ApiChoice::V2), &v2_out).await;
    let tables = |s: &tsexport::export::Summary| {
        s.tables
            .iter()
            .map(|t| (t.name.clone(), t.viz.clone(), t.rows))
            .collect::<Vec<_>>()
    };
    assert_eq!(tables(&v1), tables(&v2));
    assert_eq!(v2.tables.len(), 3, "table, chart and headline: no filter");
    for table in &v1.tables {
        assert_eq!(
            values(&read_parquet_dir(&v1_out.join(&table.name))),
            values(&read_parquet_dir(&v2_out.join(&table.name))),
            "{}",
            table.name
        );
    }

    // The answer through v2 holds what its search holds through v1.
    let (search_out, answer_out) = (
        TempDir::new("v2-answer-search"),
        TempDir::new("v2-answer-v2"),
    );
    export_to(
        Export::search(
            &client(&emu, ApiChoice::V1),
            ANSWER_QUERY,
            ids::RETAIL_SALES,
        )
        .options(options(1000)),
        &search_out,
    )
    .await;
    let answer = export_to(
        Export::answer(&client(&emu, ApiChoice::V2), ids::ANSWER_SALES_BY_PRODUCT)
            .options(options(1000)),
        &answer_out,
    )
    .await;
    assert!(answer.rows > 0);
    assert_eq!(
        values(&read_parquet_dir(&search_out)),
        values(&read_parquet_dir(&answer_out))
    );
    assert!(emu.request_count(V2Endpoint::AnswerData) >= 1);

    // Through v1 an answer cannot be read, and the error says what to do.
    let refused = Export::answer(&client(&emu, ApiChoice::V1), ids::ANSWER_SALES_BY_PRODUCT)
        .to(TempDir::new("v2-answer-v1").display().to_string())
        .run()
        .await
        .expect_err("v1 has no answer data call");
    assert_eq!(refused.kind(), FailureKind::Usage);
    assert!(refused.to_string().contains("Read through v2"), "{refused}");
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_cluster_refuses_it() {
    // Pages of 500 rows, each held 300 ms: 11 pages take over 3 s, so 2 s tokens must be renewed
    // at least once mid-export.
    let plan = FaultPlan {
        seed: 1,
        rules: vec![FaultRule::new(
            "v2/searchdata",
            Fault::Delay { millis: 300 },
        )],
    };
    let emu = common::start_with(
        Emulator::builder()
            .rows(5_000)
            .profile(modern(&[]))
            .faults(plan),
    )
    .await;
    let client = builder(&emu, ApiChoice::V2)
        .token_validity(Duration::from_secs(2))
        .build()
        .expect("client");
    let mut options = options(500);
    options.read.pager.in_flight = 1;
    let out = TempDir::new("v2-refresh");
    let summary = export_to(
        Export::search(
            &client,
            "[Order Line ID] sort by [Order Line ID]",
            ids::RETAIL_SALES,
        )
        .options(options),
        &out,
    )
    .await;
    assert_eq!(summary.rows, 5_000);
    assert_eq!(rows(&read_parquet_dir(&out)), 5_000);
    let tokens = emu.request_count(V2Endpoint::TokenFull);
    assert!(tokens >= 2, "the token was refreshed ({tokens} issued)");

    // No page was sent twice (none was refused for an expired token): as many page calls as the
    // same export makes with a token that outlives it.
    let calm = common::start_with(Emulator::builder().rows(5_000).profile(modern(&[])).faults(
        FaultPlan {
            seed: 1,
            rules: vec![FaultRule::new(
                "v2/searchdata",
                Fault::Delay { millis: 300 },
            )],
        },
    ))
    .await;
    let mut options = self::options(500);
    options.read.pager.in_flight = 1;
    export_to(
        Export::search(
            &self::client(&calm, ApiChoice::V2),
            "[Order Line ID] sort by [Order Line ID]",
            ids::RETAIL_SALES,
        )
        .options(options),
        &TempDir::new("v2-calm"),
    )
    .await;
    assert_eq!(calm.request_count(V2Endpoint::TokenFull), 1);
    assert_eq!(
        emu.request_count(V2Endpoint::SearchData),
        calm.request_count(V2Endpoint::SearchData)
    );
}

#[tokio::test]
async fn a_token_refused_mid_export_is_replaced_and_the_export_completes() {
    let clock = ManualClock::new(1_700_000_000_000);
    let emu = common::start_with(
        Emulator::builder()
            .rows(3_000)
            .profile(modern(&[]))
            .clock(Arc::new(clock.clone())),
    )
    .await;
    let client = client(&emu, ApiChoice::V2);
    let mut batches = client
        .search("[Order Line ID] sort by [Order Line ID]", ids::RETAIL_SALES)
        .page_size(1000)
        .options(ReadOptions {
            pager: PagerConfig {
                page_size: 1000,
                in_flight: 1,
                ..PagerConfig::default()
            },
            ..ReadOptions::default()
        })
        .batches()
        .await
        .expect("first page");
    let mut got = 0;
    let first = batches.try_next().await.expect("batch").expect("a batch");
    got += first.num_rows();
    // The cluster's clock jumps past the token's expiry (the client's clock does not): the next
    // page is refused with 401, a new token is fetched once, and the page is sent again.
    clock.advance_secs(3_600);
    while let Some(batch) = batches.try_next().await.expect("batch") {
        got += batch.num_rows();
    }
    assert_eq!(got, 3_000);
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 2);
}

#[tokio::test]
async fn callers_needing_a_fresh_token_at_once_share_one_refresh() {
    let emu = start(100, modern(&[])).await;
    let client = builder(&emu, ApiChoice::V2)
        .token_validity(Duration::from_secs(2))
        .build()
        .expect("client");
    client
        .table_columns_v2(ids::RETAIL_SALES)
        .await
        .expect("first call");
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 1);
    // Past the refresh point (1.5 s of a 2 s token), eight calls at once.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let calls = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.table_columns_v2(ids::RETAIL_SALES).await })
    });
    for call in futures_util::future::join_all(calls).await {
        assert!(!call.expect("task").expect("call").is_empty());
    }
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 2, "one refresh");
    assert_eq!(emu.request_count(V2Endpoint::MetadataSearch), 9);

    // Signing out revokes the token: the cluster refuses it from then on, and the client fetches
    // a new one when it is used again.
    client.logout().await.expect("sign out");
    assert_eq!(emu.request_count(V2Endpoint::TokenRevoke), 1);
    client
        .table_columns_v2(ids::RETAIL_SALES)
        .await
        .expect("after sign-out");
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 3);
}

#[tokio::test]
async fn auto_asks_once_and_picks_v2_only_where_it_is_served() {
    for (profile, expected) in [
        (modern(&[]), ApiVersion::V2),
        (Profile::v2021(), ApiVersion::V1),
        (modern(&["v2=false"]), ApiVersion::V1),
    ] {
        let emu = start(1_200, profile.clone()).await;
        let client = client(&emu, ApiChoice::Auto);
        assert_eq!(client.data_api().await.expect("probe"), expected);
        let out = TempDir::new("v2-auto");
        let summary = export_to(
            Export::search(
                &client,
                "[Order Line ID] sort by [Order Line ID]",
                ids::RETAIL_SALES,
            )
            .options(options(500)),
            &out,
        )
        .await;
        assert_eq!(summary.rows, 1_200);
        assert_eq!(client.data_api().await.expect("cached"), expected);
        // Where v2 is served, one probe: a token request, whose token v2 then uses for every call.
        // (A cluster without v2 counts no v2 endpoint: the probe met its unknown-path answer.)
        let probes = u64::from(expected == ApiVersion::V2);
        assert_eq!(
            emu.request_count(V2Endpoint::TokenFull),
            probes,
            "{}",
            profile.name
        );
        let (v1_pages, v2_pages) = (
            emu.request_count(tsexport_emulator::Endpoint::SearchData),
            emu.request_count(V2Endpoint::SearchData),
        );
        match expected {
            ApiVersion::V2 => assert!(v1_pages == 0 && v2_pages >= 3, "{v2_pages}"),
            ApiVersion::V1 => assert!(v2_pages == 0 && v1_pages >= 3, "{v1_pages}"),
        }

        // A bearer token the user gave is probed with a one-row metadata/search.
        let token = emu.issue_bearer_token("tsadmin");
        let bearer = Client::builder(emu.base_url())
            .credentials(Credentials::bearer(Secret::new(token)))
            .api(ApiChoice::Auto)
            .build()
            .expect("client");
        assert_eq!(bearer.data_api().await.expect("probe"), expected);
    }
}

#[tokio::test]
async fn every_v2_call_reads_its_documented_shape() {
    let emu = start(2_000, modern(&[])).await;
    let client = client(&emu, ApiChoice::V2);

    let liveboards = client
        .metadata_search_all(&MetadataSearch {
            metadata: vec![MetadataSelector::of_type("LIVEBOARD")],
            record_size: 1,
            ..MetadataSearch::default()
        })
        .await
        .expect("liveboards");
    let mut names: Vec<&str> = liveboards
        .iter()
        .map(|i| i.metadata_name.as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["Retail Overview", "Store Footprint"]);
    assert!(liveboards.iter().all(|i| i.metadata_type == "LIVEBOARD"));

    let answers = client
        .metadata_search(&MetadataSearch {
            metadata: vec![MetadataSelector {
                name_pattern: Some("%product%".into()),
                ..MetadataSelector::of_type("ANSWER")
            }],
            ..MetadataSearch::default()
        })
        .await
        .expect("answers");
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].metadata_id, ids::ANSWER_SALES_BY_PRODUCT);

    let columns = client
        .table_columns_v2(ids::RETAIL_SALES)
        .await
        .expect("columns");
    let order_date = columns
        .iter()
        .find(|c| c.name == "Order Date")
        .expect("Order Date");
    assert_eq!(order_date.data_type, "DATE");
    assert!(client
        .table_columns_v2("00000000-0000-4000-8000-000000000000")
        .await
        .expect("no such table")
        .is_empty());

    let mut filtered = SearchRequest::new(
        "[Order Line ID] [Region] sort by [Order Line ID]",
        ids::RETAIL_SALES,
    );
    filtered
        .filters
        .push(("Region".into(), "IN".into(), vec!["East".into()]));
    let page = client
        .search_page_v2(&filtered, 0, 100_000)
        .await
        .expect("page");
    let body: serde_json::Value = serde_json::from_slice(&page.bytes).expect("json");
    let regions: Vec<&str> = body["data_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r[1].as_str().expect("region"))
        .collect();
    assert!(
        !regions.is_empty() && regions.iter().all(|r| *r == "East"),
        "{regions:?}"
    );
    assert_eq!(page.counters.row_count, Some(regions.len() as f64));

    let vizzes = client
        .liveboard_page_v2(&PinboardRequest::new("Retail Overview"), 0, 10)
        .await
        .expect("liveboard by name");
    let found: Vec<(&str, Option<&str>)> = vizzes
        .iter()
        .map(|v| (v.viz.as_str(), v.counters.name.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (ids::VIZ_ORDER_LINES, Some("Order Lines")),
            (ids::VIZ_SALES_BY_REGION, Some("Sales by Region")),
            (ids::VIZ_TOTAL_SALES, Some("Total Sales")),
        ]
    );
    assert_eq!(vizzes[0].counters.row_count, Some(10.0));

    let answer = client
        .answer_page_v2(
            &tsexport::api::AnswerRequest::new("Sales by Product"),
            0,
            1_000,
        )
        .await
        .expect("answer by name");
    assert_eq!(
        answer.counters.column_names,
        ["Product", "Total Sales", "Total Quantity"]
    );

    // Errors keep ThoughtSpot's status, code and message, from the v2 error body.
    let bad = client
        .search_page_v2(&SearchRequest::new("[Nope]", ids::RETAIL_SALES), 0, 10)
        .await
        .expect_err("unknown column");
    match &bad {
        Error::Api {
            endpoint,
            status: 400,
            code: Some(10002),
            debug: Some(debug),
            incident_id: Some(_),
            ..
        } => {
            assert_eq!(endpoint, "v2/searchdata");
            assert!(debug.contains("Nope"), "{debug}");
        }
        other => panic!("expected a 400 with the v2 body read, got {other:?}"),
    }
    let wrong = builder(&emu, ApiChoice::V2)
        .credentials(Credentials::password("tsadmin", Secret::new("wrong")))
        .build()
        .expect("client")
        .table_columns_v2(ids::RETAIL_SALES)
        .await
        .expect_err("wrong password");
    assert!(
        matches!(wrong, Error::Auth { status: 401, .. }),
        "{wrong:?}"
    );
    assert!(!wrong.to_string().contains("wrong"), "{wrong}");
}

#[tokio::test]
async fn every_shape_of_the_v2_error_body_is_read() {
    for shape in ["object", "debug_only", "string", "nested_debug"] {
        let emu = start(10, modern(&[&format!("v2_error_message={shape}")])).await;
        let error = client(&emu, ApiChoice::V2)
            .search_page_v2(&SearchRequest::new("[Nope]", ids::RETAIL_SALES), 0, 10)
            .await
            .expect_err("unknown column");
        assert_eq!(error.status(), Some(400), "{shape}");
        let Error::Api {
            debug: Some(debug), ..
        } = &error
        else {
            panic!("{shape}: {error:?}");
        };
        assert!(debug.contains("Nope"), "{shape}: {debug}");
        assert!(!debug.contains('{'), "{shape}: unwrapped: {debug}");
    }
}

#[tokio::test]
async fn the_row_counter_is_a_floor_when_it_is_a_total_and_ignored_when_it_is_the_page() {
    for (mode, expected) in [("page", None), ("total", Some(2_500))] {
        let emu = start(2_500, modern(&[&format!("v2_available_row_count={mode}")])).await;
        let summary = export_to(
            Export::search(
                &client(&emu, ApiChoice::V2),
                "[Order Line ID] sort by [Order Line ID]",
                ids::RETAIL_SALES,
            )
            .options(options(1000)),
            &TempDir::new("v2-counter"),
        )
        .await;
        assert_eq!(summary.rows, 2_500, "{mode}");
        assert_eq!(summary.tables[0].rows_expected, expected, "{mode}");
    }
    // A total above what arrives is a short result, as on v1.
    let emu = common::start_with(Emulator::builder().rows(2_500).profile(modern(&[])).faults(
        FaultPlan {
            seed: 0,
            rules: vec![FaultRule::new(
                "v2/searchdata",
                Fault::WrongTotal { total: 9_999 },
            )],
        },
    ))
    .await;
    let error = Export::search(
        &client(&emu, ApiChoice::V2),
        "[Order Line ID] sort by [Order Line ID]",
        ids::RETAIL_SALES,
    )
    .options(options(1000))
    .to(TempDir::new("v2-short").display().to_string())
    .run()
    .await
    .expect_err("short");
    assert_eq!(error.kind(), FailureKind::Incomplete, "{error}");
}

#[tokio::test]
async fn a_v1_only_cluster_reading_through_v2_fails_clearly() {
    let emu = start(10, Profile::v2021()).await;
    let error = client(&emu, ApiChoice::V2)
        .search("[Region] sort by [Region]", ids::RETAIL_SALES)
        .batches()
        .await
        .expect_err("no v2 here");
    let ReadError::Pager(_) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error.kind(), FailureKind::Usage, "{error}");
    let text = error.to_string();
    assert!(
        text.contains("does not serve REST API v2") && text.contains("Read through v1"),
        "{text}"
    );
}

#[tokio::test]
async fn through_v2_the_zone_comes_from_v1_or_must_be_given() {
    let plan = FaultPlan {
        seed: 0,
        rules: vec![FaultRule::new(
            "session/login",
            Fault::Status {
                status: 401,
                code: None,
                retry_after: None,
                debug: None,
            },
        )],
    };
    let emu = common::start_with(
        Emulator::builder()
            .rows(1_000)
            .profile(modern(&[]))
            .faults(plan),
    )
    .await;
    let search = |options| {
        Export::search(
            &client(&emu, ApiChoice::V2),
            "[Order Line ID] [Order Date] sort by [Order Line ID]",
            ids::RETAIL_SALES,
        )
        .options(options)
        .to(TempDir::new("v2-zone").display().to_string())
    };
    // v1 sign-in refused: no guessing UTC (dates would become timestamps), but a clear error.
    let error = search(options(500)).run().await.expect_err("no zone");
    assert_eq!(error.kind(), FailureKind::Usage, "{error}");
    assert!(error.to_string().contains("`time_zone` setting"), "{error}");
    // With the zone given, the export needs no v1 call at all.
    let logins = emu.request_count(tsexport_emulator::Endpoint::SessionLogin);
    let mut given = options(500);
    given.read.time_zone = Some(chrono_tz::America::Chicago);
    let summary = search(given).run().await.expect("export");
    assert_eq!(summary.rows, 1_000);
    assert_eq!(
        summary.tables[0]
            .schema
            .field_with_name("Order Date")
            .expect("column")
            .data_type(),
        &arrow_schema::DataType::Date32
    );
    assert_eq!(
        emu.request_count(tsexport_emulator::Endpoint::SessionLogin),
        logins
    );
}

#[tokio::test]
async fn rows_inserted_or_deleted_between_v2_pages_stop_the_export() {
    // 2,500 rows in pages of 1,000; the second or third page sees rows moved before it.
    for (nth, rows, expected) in [
        (2, 3, "changed between pages"),
        (2, -3, "changed between pages"),
        (3, -2_000, "is gone"),
    ] {
        let run = |allow_incomplete: bool| async move {
            let plan = FaultPlan {
                seed: 0,
                rules: vec![FaultRule::new("v2/searchdata", Fault::ShiftRows { rows }).nth([nth])],
            };
            let emu = common::start_with(
                Emulator::builder()
                    .rows(2_500)
                    .profile(modern(&[]))
                    .faults(plan),
            )
            .await;
            let mut options = options(1000);
            options.read.pager.in_flight = 1;
            options.read.pager.allow_incomplete = allow_incomplete;
            Export::search(
                &client(&emu, ApiChoice::V2),
                "[Order Line ID] sort by [Order Line ID]",
                ids::RETAIL_SALES,
            )
            .options(options)
            .to(TempDir::new("v2-moved").display().to_string())
            .run()
            .await
        };
        let error = run(false).await.expect_err("moved rows");
        assert_eq!(error.kind(), FailureKind::Incomplete, "{rows}: {error}");
        assert!(error.to_string().contains(expected), "{rows}: {error}");
        // Accepted when asked to: the export commits what came.
        let summary = run(true).await.expect("accepted");
        assert!(summary.rows > 0, "{rows}");
    }
}

/// v2 echoes the page size asked for, so a cluster that caps pages lower does not say so: the
/// short first page must not be taken for the end (2,345 rows in pages of at most 1,000).
#[tokio::test]
async fn a_cluster_capping_v2_pages_below_the_size_asked_still_gives_every_row() {
    for rows_total in [2_345u64, 1_000, 999] {
        let emu = start(rows_total, modern(&["row_cap=1000"])).await;
        let out = TempDir::new("v2-capped");
        let summary = export_to(
            Export::search(&client(&emu, ApiChoice::V2), ALL_COLUMNS, ids::RETAIL_SALES)
                .options(options(100_000)),
            &out,
        )
        .await;
        assert_eq!(summary.rows, rows_total);
        assert_eq!(rows(&read_parquet_dir(&out)), rows_total as usize);
    }
}
