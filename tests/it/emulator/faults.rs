//! Every fault kind, from the builder and from a TOML plan, with the emulator's request counters.

use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::Client;
use serde_json::Value;
use tsexport_emulator::{Emulator, Endpoint, Fault, FaultPlan, FaultRule};

async fn with_faults(rules: Vec<FaultRule>) -> Emulator {
    let plan = rules.into_iter().fold(FaultPlan::new(), FaultPlan::rule);
    start_with(Emulator::builder().rows(1000).faults(plan)).await
}

async fn search(
    client: &Client,
    emu: &Emulator,
    extra: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    let mut params = vec![
        ("query_string", "[Order Line ID]"),
        ("data_source_guid", RETAIL),
        ("batchsize", "100"),
    ];
    params.extend_from_slice(extra);
    v1(client.post(url(emu, "searchdata")))
        .query(&params)
        .send()
        .await
}

async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

#[tokio::test]
async fn status_faults_fire_on_the_nth_request_with_retry_after() {
    let emu = with_faults(vec![FaultRule::new(
        "searchdata",
        Fault::Status {
            status: 503,
            code: None,
            retry_after: Some(2),
            debug: None,
        },
    )
    .nth([2])])
    .await;
    let client = login(&emu).await;
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 200);
    let failed = search(&client, &emu, &[]).await.unwrap();
    assert_eq!(failed.status(), 503);
    assert_eq!(failed.headers()["retry-after"], "2");
    let (code, debug) = error_body(failed).await;
    assert_eq!(code, 10000);
    assert!(debug.contains("503"), "{debug}");
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 200);
    assert_eq!(emu.request_count(Endpoint::SearchData), 3);
    assert_eq!(emu.request_count(Endpoint::SessionLogin), 1);
    assert_eq!(emu.request_count(Endpoint::PinboardData), 0);
}

#[tokio::test]
async fn a_429_carries_its_own_code_and_wildcard_rules_match_every_endpoint() {
    let emu = with_faults(vec![FaultRule::new(
        "*",
        Fault::Status {
            status: 429,
            code: Some(10099),
            retry_after: Some(1),
            debug: Some("slow down".into()),
        },
    )
    .nth([2])])
    .await;
    let client = login(&emu).await;
    // The second login and the second search are each the 2nd request to their endpoint.
    let second_login = v1(client.post(url(&emu, "session/login")))
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(second_login.status(), 429);
    assert_eq!(
        error_body(second_login).await,
        (10099, "slow down".to_string())
    );
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 200);
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 429);
}

#[tokio::test]
async fn a_delay_holds_the_headers_back() {
    let emu = with_faults(vec![FaultRule::new(
        "searchdata",
        Fault::Delay { millis: 300 },
    )])
    .await;
    let client = login(&emu).await;
    let started = Instant::now();
    let response = search(&client, &emu, &[]).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the response came before the delay"
    );
    assert_eq!(
        json(response).await["rowCount"],
        100,
        "a delayed response is still complete"
    );
}

#[tokio::test]
async fn a_truncated_body_fails_to_read_and_is_not_valid_json() {
    let emu = with_faults(vec![FaultRule::new(
        "searchdata",
        Fault::Truncate { after_bytes: 200 },
    )
    .nth([1])])
    .await;
    let client = login(&emu).await;
    let response = search(&client, &emu, &[]).await.unwrap();
    assert_eq!(response.status(), 200, "headers arrive; the body is cut");
    let mut received = Vec::new();
    let mut stream = response.bytes_stream();
    let mut failed = false;
    use futures_util::StreamExt;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(
        failed,
        "the client must see an error, not a short clean body"
    );
    assert_eq!(received.len(), 200);
    assert!(serde_json::from_slice::<Value>(&received).is_err());
    assert_eq!(
        json(search(&client, &emu, &[]).await.unwrap()).await["rowCount"],
        100,
        "only the first request is cut"
    );
}

#[tokio::test]
async fn a_dropped_connection_gives_no_response_at_all() {
    let emu = with_faults(vec![FaultRule::new(
        "metadata/listobjectheaders",
        Fault::Drop,
    )
    .nth([1])])
    .await;
    let client = login(&emu).await;
    let target = url(&emu, "metadata/listobjectheaders");
    let list = || {
        v1(client.get(&target))
            .query(&[("type", "PINBOARD_ANSWER_BOOK")])
            .send()
    };
    let error = list().await.expect_err("no response");
    assert!(!error.is_status() && !error.is_timeout(), "{error}");
    assert_eq!(list().await.unwrap().status(), 200);
    assert_eq!(emu.request_count(Endpoint::ListObjectHeaders), 2);
}

#[tokio::test]
async fn an_expired_session_stays_expired_until_a_new_login() {
    let emu = with_faults(vec![
        FaultRule::new("searchdata", Fault::ExpireSession).nth([2])
    ])
    .await;
    let client = login(&emu).await;
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 200);
    let expired = search(&client, &emu, &[]).await.unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(error_body(expired).await.0, 10003);
    let info = v1(client.get(url(&emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 401, "the session is gone for every endpoint");
    let client = login(&emu).await;
    assert_eq!(search(&client, &emu, &[]).await.unwrap().status(), 200);
}

#[tokio::test]
async fn data_faults_change_the_counters_and_the_window() {
    let emu = with_faults(vec![
        FaultRule::new("searchdata", Fault::Sampling { ratio: 0.5 }).nth([1]),
        FaultRule::new("searchdata", Fault::WrongTotal { total: 42 }).nth([2]),
        FaultRule::new("searchdata", Fault::ShiftRows { rows: 3 }).nth([3]),
        FaultRule::new("searchdata", Fault::ShiftRows { rows: -2 }).nth([4]),
    ])
    .await;
    let client = login(&emu).await;
    let page = |offset: &'static str| {
        let (client, emu) = (&client, &emu);
        async move { search(client, emu, &[("offset", offset)]).await }
    };
    let sampled = json(page("0").await.unwrap()).await;
    assert_eq!(sampled["samplingRatio"], 0.5);
    let wrong = json(page("0").await.unwrap()).await;
    assert_eq!(
        (
            wrong["totalRowCount"].as_i64(),
            wrong["samplingRatio"].as_i64()
        ),
        (Some(42), Some(1))
    );
    let inserted = json(page("100").await.unwrap()).await;
    assert_eq!(inserted["offset"], 100, "the requested offset is echoed");
    assert_eq!(
        inserted["data"][0][0], 98,
        "3 rows inserted before the page: rows 98..100 come again"
    );
    assert_eq!(inserted["totalRowCount"], 1003);
    let deleted = json(page("100").await.unwrap()).await;
    assert_eq!(
        deleted["data"][0][0], 103,
        "2 rows deleted: rows 101 and 102 are skipped"
    );
    assert_eq!(deleted["totalRowCount"], 998);
    let normal = json(page("100").await.unwrap()).await;
    assert_eq!(
        (
            normal["data"][0][0].as_i64(),
            normal["totalRowCount"].as_i64()
        ),
        (Some(101), Some(1000))
    );
}

#[tokio::test]
async fn probability_rules_follow_the_plan_seed() {
    let pattern = |seed: u64| async move {
        let plan = FaultPlan::new().seed(seed).rule(
            FaultRule::new(
                "user/list",
                Fault::Status {
                    status: 502,
                    code: None,
                    retry_after: None,
                    debug: None,
                },
            )
            .probability(0.5),
        );
        let emu = start_with(Emulator::builder().rows(10).faults(plan)).await;
        let client = login(&emu).await;
        let mut statuses = Vec::new();
        for _ in 0..24 {
            statuses.push(
                v1(client.get(url(&emu, "user/list")))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        statuses
    };
    let (a, b, c) = (pattern(5).await, pattern(5).await, pattern(6).await);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains(&502) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn toml_plans_load_from_a_file() {
    let dir = TempDir::new("emulator-faults");
    let path = dir.join("plan.toml");
    std::fs::write(
        &path,
        r#"
        seed = 1
        [[rule]]
        endpoint = "pinboarddata"
        nth = [1]
        kind = "status"
        status = 504
        "#,
    )
    .unwrap();
    let plan = FaultPlan::from_file(&path).unwrap();
    let emu = start_with(Emulator::builder().rows(10).faults(plan)).await;
    let client = login(&emu).await;
    let first = v1(client.post(url(&emu, "pinboarddata")))
        .query(&[("id", PINBOARD)])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 504);
    let second = v1(client.post(url(&emu, "pinboarddata")))
        .query(&[("id", PINBOARD)])
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let missing = FaultPlan::from_file(&dir.join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("missing.toml"), "{missing}");
}
