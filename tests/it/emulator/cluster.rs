//! The cluster model (profile `page_latency_ms`, `rows_per_second`, `max_concurrent`,
//! `rate_limit_per_sec`, `rate_limit_burst`): slow data pages, a queue for service slots, and a
//! per-client token bucket answering 429. Timing checks are lower bounds only: a loaded machine can
//! make anything slower, never faster.

use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::{Client, Response};
use serde_json::json;
use tsexport_emulator::{ids, Emulator, Endpoint, Profile};

async fn cluster(profile: Profile, settings: &[&str]) -> Emulator {
    start_with(
        Emulator::builder()
            .rows(1000)
            .profile(with_settings(profile, settings)),
    )
    .await
}

async fn search(client: &Client, emu: &Emulator, batchsize: &str) -> Response {
    v1(client.post(url(emu, "searchdata")))
        .query(&[
            ("query_string", "[Order Line ID]"),
            ("data_source_guid", RETAIL),
            ("batchsize", batchsize),
        ])
        .send()
        .await
        .expect("searchdata")
}

/// Times from `start` at which each of `requests` finished, sorted, after checking each is 200.
async fn finish_times(
    start: Instant,
    requests: Vec<tokio::task::JoinHandle<u16>>,
) -> Vec<Duration> {
    let mut times = Vec::new();
    for request in requests {
        assert_eq!(request.await.expect("request task"), 200);
        times.push(start.elapsed());
    }
    times.sort();
    times
}

#[tokio::test]
async fn pages_beyond_max_concurrent_wait_in_a_queue_and_are_served_in_waves() {
    let emu = cluster(
        Profile::v2021(),
        &["page_latency_ms=200", "max_concurrent=2"],
    )
    .await;
    let client = login(&emu).await;
    let url = url(&emu, "searchdata");
    let start = Instant::now();
    let mut requests = Vec::new();
    for _ in 0..4 {
        let (client, url) = (client.clone(), url.clone());
        requests.push(tokio::spawn(async move {
            let response = v1(client.post(url))
                .query(&[
                    ("query_string", "[Order Line ID]"),
                    ("data_source_guid", RETAIL),
                    ("batchsize", "10"),
                ])
                .send()
                .await
                .expect("searchdata");
            let status = response.status().as_u16();
            response.bytes().await.expect("page body");
            status
        }));
    }
    // Handles are awaited in order, so a time is when that page and every page before it was done:
    // sorted, the two last are the second wave's, which queued for a whole first wave.
    let times = finish_times(start, requests).await;
    assert_eq!(emu.max_concurrent_queries(), 2);
    assert!(times[0] >= Duration::from_millis(190), "{times:?}");
    assert!(times[3] >= Duration::from_millis(350), "{times:?}");
    // The wait in the queue is not service time: a slot freed by the first wave serves the second
    // at once, so four pages through two slots take two rounds, not four.
    assert_eq!(emu.request_count(Endpoint::SearchData), 4);
    assert_eq!(emu.rate_limited_count(), 0);
}

#[tokio::test]
async fn every_data_page_of_both_apis_takes_a_slot_and_its_latency() {
    let emu = cluster(
        Profile::modern(),
        &["page_latency_ms=150", "max_concurrent=1"],
    )
    .await;
    let client = login(&emu).await;
    let token = v2_token(&emu).await;
    let start = Instant::now();
    let mut requests = Vec::new();
    let pinboard = {
        let (client, url) = (client.clone(), url(&emu, "pinboarddata"));
        tokio::spawn(async move {
            let response = v1(client.post(url))
                .query(&[("id", PINBOARD), ("batchsize", "5")])
                .send()
                .await
                .expect("pinboarddata");
            let status = response.status().as_u16();
            response.bytes().await.expect("page body");
            status
        })
    };
    requests.push(pinboard);
    for (path, body) in [
        (
            "searchdata",
            json!({"query_string": "[Order Line ID]", "logical_table_identifier": RETAIL, "record_size": 5}),
        ),
        (
            "metadata/answer/data",
            json!({"metadata_identifier": ids::ANSWER_SALES_BY_PRODUCT, "record_size": 5}),
        ),
        (
            "metadata/liveboard/data",
            json!({"metadata_identifier": PINBOARD, "record_size": 5}),
        ),
    ] {
        let (client, emu_url, token) = (client.clone(), v2_url(&emu, path), token.clone());
        requests.push(tokio::spawn(async move {
            let response = client
                .post(emu_url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("v2 data call");
            let status = response.status().as_u16();
            response.bytes().await.expect("page body");
            status
        }));
    }
    let times = finish_times(start, requests).await;
    // One slot: the four pages were served one after another, 150 ms each at least.
    assert_eq!(emu.max_concurrent_queries(), 1);
    assert!(times[3] >= Duration::from_millis(560), "{times:?}");
}

#[tokio::test]
async fn only_data_pages_take_a_slot() {
    let emu = cluster(
        Profile::v2021(),
        &["page_latency_ms=1500", "max_concurrent=1"],
    )
    .await;
    let client = login(&emu).await;
    let mut pages = Vec::new();
    for _ in 0..2 {
        let client = client.clone();
        let url = url(&emu, "searchdata");
        pages.push(tokio::spawn(async move {
            v1(client.post(url))
                .query(&[
                    ("query_string", "[Order Line ID]"),
                    ("data_source_guid", RETAIL),
                    ("batchsize", "10"),
                ])
                .send()
                .await
                .expect("searchdata")
                .status()
                .as_u16()
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The slot is busy and a page is queued for it, yet session/info answers: it is no query.
    let info = v1(client.get(url(&emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    assert!(
        pages.iter().any(|p| !p.is_finished()),
        "the queued page cannot be done after 1.5 s of the other's service"
    );
    for page in pages {
        assert_eq!(page.await.unwrap(), 200);
    }
    assert_eq!(emu.max_concurrent_queries(), 1);
}

#[tokio::test]
async fn rows_per_second_adds_time_for_the_rows_of_the_page() {
    let emu = cluster(Profile::v2021(), &["rows_per_second=500"]).await;
    let client = login(&emu).await;
    let start = Instant::now();
    let response = search(&client, &emu, "250").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["rowCount"], 250);
    // 250 rows at 500 a second: half a second in service.
    assert!(start.elapsed() >= Duration::from_millis(450));
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_once_the_burst_is_spent() {
    let emu = cluster(
        Profile::v2021(),
        &["rate_limit_per_sec=2", "rate_limit_burst=3"],
    )
    .await;
    let client = client();
    let start = Instant::now();
    let mut statuses = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..5 {
        let response = v1(client.post(url(&emu, "session/login")))
            .form(&[("username", "tsadmin"), ("password", "admin")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            refused.push(response);
        }
    }
    let elapsed = start.elapsed();
    let ok = statuses.iter().filter(|s| **s == 204).count();
    if elapsed < Duration::from_millis(500) {
        // No token came back yet: exactly the burst was served.
        assert_eq!(statuses, [204, 204, 204, 429, 429]);
    } else {
        // A slow machine: one token a half second came back meanwhile.
        assert!(ok >= 3 && ok + refused.len() == 5, "{statuses:?}");
    }
    assert!(!refused.is_empty(), "{statuses:?} in {elapsed:?}");
    assert_eq!(emu.rate_limited_count(), refused.len() as u64);
    // Refused requests reach no endpoint.
    assert_eq!(emu.request_count(Endpoint::SessionLogin), ok as u64);
    for response in refused {
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after >= 1);
        assert!(retry_after <= 1, "one token comes back in half a second");
        let (code, debug) = error_body(response).await;
        assert_eq!(code, 10002);
        assert!(debug.contains("Too many requests"), "{debug}");
    }
    // Waiting as told gives a token back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let response = v1(client.post(url(&emu, "session/login")))
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn a_v2_request_over_the_limit_gets_the_v2_error_body() {
    let emu = cluster(
        Profile::modern(),
        &["rate_limit_per_sec=0.5", "rate_limit_burst=1"],
    )
    .await;
    let body = json!({"username": "tsadmin", "password": "admin"});
    let (status, _) = v2_post(&client(), &emu, "auth/token/full", None, &body).await;
    assert_eq!(status, 200);
    let response = client()
        .post(v2_url(&emu, "metadata/search"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    // Half a token a second, none left: two seconds until the next (less the time since).
    let retry_after = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(retry_after == "2" || retry_after == "1", "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    let (code, debug) = v2_error(&body);
    assert_eq!(code, 10002);
    assert!(debug.contains("Too many requests"), "{debug}");
    // Every path counts, unknown ones too, and is refused in its API's body.
    let unknown = client()
        .get(format!("{}/no/such/path", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 429);
    let (code, _) = error_body(unknown).await;
    assert_eq!(code, 10002);
    assert_eq!(emu.rate_limited_count(), 2);
}

#[tokio::test]
async fn the_cluster_model_is_off_by_default() {
    let emu = emulator(1000).await;
    let p = emu.profile();
    assert_eq!(
        (p.page_latency_ms, p.rows_per_second, p.max_concurrent),
        (0, 0, 0)
    );
    assert_eq!((p.rate_limit_per_sec, p.rate_limit_burst), (0.0, 0));
    let client = login(&emu).await;
    let mut requests = Vec::new();
    for _ in 0..200 {
        let client = client.clone();
        let url = url(&emu, "searchdata");
        requests.push(tokio::spawn(async move {
            v1(client.post(url))
                .query(&[
                    ("query_string", "[Order Line ID]"),
                    ("data_source_guid", RETAIL),
                    ("batchsize", "5"),
                ])
                .send()
                .await
                .expect("searchdata")
                .status()
                .as_u16()
        }));
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    for _ in 0..100 {
        let info = v1(client.get(url(&emu, "session/info")))
            .send()
            .await
            .unwrap();
        assert_eq!(info.status(), 200);
    }
    assert_eq!(emu.rate_limited_count(), 0);
    assert!(emu.max_concurrent_queries() >= 1);
}

#[tokio::test]
async fn the_settings_are_set_from_the_command_line_like_any_other() {
    let output = run_cli(
        &[
            "emulator",
            "--show-profile",
            "--set",
            "page_latency_ms=250",
            "--set",
            "rate_limit_per_sec=100",
            "--set",
            "max_concurrent=8",
        ],
        &[],
    )
    .await;
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("page_latency_ms = 250"), "{text}");
    assert!(text.contains("rate_limit_per_sec = 100"), "{text}");
    assert!(text.contains("max_concurrent = 8"), "{text}");
    assert!(text.contains("rate_limit_burst = 0"), "{text}");
    let output = run_cli(
        &[
            "emulator",
            "--show-profile",
            "--set",
            "rate_limit_per_sec=-5",
        ],
        &[],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        output_text(&output).contains("rate_limit_per_sec"),
        "{}",
        output_text(&output)
    );
}
