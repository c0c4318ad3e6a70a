//! The emulator's REST API v2.0 subset (wire-protocol §4) over raw HTTP: tokens and sessions, JSON bodies,
//! data paging, Liveboards and Answers, metadata/search, the error body and its shapes, the profile
//! switches, and every fault kind on a v2 page.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::Client;
use serde_json::{json, Value};
use tsexport_emulator::{
    ids, Emulator, Endpoint, Fault, FaultPlan, FaultRule, ManualClock, Profile, V2Endpoint,
    DEFAULT_SECRET_KEY,
};

async fn modern(rows: u64) -> Emulator {
    start(rows, Profile::modern()).await
}

/// `v2_post` with a bearer token.
async fn call(emu: &Emulator, token: &str, path: &str, body: Value) -> (u16, Value) {
    v2_post(&client(), emu, path, Some(token), &body).await
}

async fn search(emu: &Emulator, token: &str, body: Value) -> (u16, Value) {
    call(emu, token, "searchdata", body).await
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

const CONTENT_KEYS: [&str; 7] = [
    "available_data_row_count",
    "column_names",
    "data_rows",
    "record_offset",
    "record_size",
    "returned_data_row_count",
    "sampling_ratio",
];

fn first_column(content: &Value) -> Vec<i64> {
    content["data_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_i64().unwrap())
        .collect()
}

// --- auth ---

#[tokio::test]
async fn token_full_has_the_exact_token_keys_and_opens_the_data_calls() {
    let clock = ManualClock::new(1_700_000_000_000);
    let emu = start_with(
        Emulator::builder()
            .rows(100)
            .profile(Profile::modern())
            .clock(Arc::new(clock.clone())),
    )
    .await;
    let (status, body) = v2_post(
        &client(),
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "tsadmin", "password": "admin", "org_id": 0, "unknown_field": [1]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        keys(&body),
        key_set(&[
            "token",
            "creation_time_in_millis",
            "expiration_time_in_millis",
            "scope",
            "valid_for_user_id",
            "valid_for_username"
        ])
    );
    assert_eq!(body["creation_time_in_millis"], 1_700_000_000_000i64);
    assert_eq!(body["expiration_time_in_millis"], 1_700_000_300_000i64);
    assert_eq!(
        body["scope"],
        json!({"access_type": "FULL", "org_id": 0, "metadata_id": null})
    );
    assert_eq!(body["valid_for_username"], "tsadmin");
    assert_eq!(body["valid_for_user_id"].as_str().unwrap().len(), 36);
    let token = body["token"].as_str().unwrap();
    assert!(token.len() >= 32, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url: {token}"
    );
    assert!(emu
        .issued_secrets()
        .bearer_tokens
        .iter()
        .any(|t| t == token));
    // Reusable: two calls with the same token.
    for _ in 0..2 {
        let (status, _) = search(
            &emu,
            token,
            json!({"query_string": "[Region]", "logical_table_identifier": RETAIL}),
        )
        .await;
        assert_eq!(status, 200);
    }
    // A second token differs.
    assert_ne!(v2_token(&emu).await, token);
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 2);
    assert_eq!(emu.request_count(V2Endpoint::SearchData), 2);
}

#[tokio::test]
async fn tokens_expire_by_the_injected_clock() {
    let clock = ManualClock::new(1_700_000_000_000);
    let emu = start_with(
        Emulator::builder()
            .rows(100)
            .profile(Profile::modern())
            .clock(Arc::new(clock.clone())),
    )
    .await;
    let (_, body) = v2_post(
        &client(),
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "tsadmin", "password": "admin", "validity_time_in_sec": 60}),
    )
    .await;
    assert_eq!(body["expiration_time_in_millis"], 1_700_000_060_000i64);
    let token = body["token"].as_str().unwrap();
    let query = json!({"query_string": "[Region]", "logical_table_identifier": RETAIL});
    clock.advance_secs(59);
    assert_eq!(search(&emu, token, query.clone()).await.0, 200);
    clock.advance_secs(1);
    let (status, body) = search(&emu, token, query.clone()).await;
    assert_eq!(status, 401);
    let (code, debug) = v2_error(&body);
    assert_eq!(code, 10003);
    assert!(debug.contains("expired"), "{debug}");
    // Unknown tokens and no credential at all are 401 too.
    assert_eq!(search(&emu, "not-a-token", query.clone()).await.0, 401);
    let (status, body) = v2_post(&client(), &emu, "searchdata", None, &query).await;
    assert_eq!((status, v2_error(&body).0), (401, 10003));
}

#[tokio::test]
async fn secret_key_wins_over_password_and_bad_credentials_are_10097() {
    let emu = modern(10).await;
    let token = |body: Value| {
        let emu = &emu;
        async move { v2_post(&client(), emu, "auth/token/full", None, &body).await }
    };
    let (status, body) = token(
        json!({"username": "tsadmin", "password": "wrong", "secret_key": DEFAULT_SECRET_KEY}),
    )
    .await;
    assert_eq!(status, 200, "the secret key wins: {body}");
    let (status, body) =
        token(json!({"username": "tsadmin", "password": "admin", "secret_key": "wrong"})).await;
    assert_eq!(
        (status, v2_error(&body).0),
        (401, 10097),
        "the secret key wins even when wrong"
    );
    let (status, body) = token(json!({"username": "tsadmin", "password": "nope"})).await;
    assert_eq!((status, v2_error(&body).0), (401, 10097));
    let (status, body) = token(json!({"username": "tsadmin"})).await;
    assert_eq!((status, v2_error(&body).0), (400, 10002));
    let (status, body) = token(json!({"password": "admin"})).await;
    assert_eq!((status, v2_error(&body).0), (400, 10002));
    assert!(v2_error(&body).1.contains("username"));
    let (status, _) =
        token(json!({"username": "newcomer", "secret_key": DEFAULT_SECRET_KEY})).await;
    assert_eq!(status, 401, "unknown user without auto_create");
    let (status, body) = token(
        json!({"username": "newcomer", "secret_key": DEFAULT_SECRET_KEY, "auto_create": true}),
    )
    .await;
    assert_eq!(
        (status, body["valid_for_username"].as_str()),
        (200, Some("newcomer"))
    );
}

#[tokio::test]
async fn trusted_auth_switched_off_is_403_10023() {
    let emu = start_with(
        Emulator::builder()
            .rows(10)
            .profile(Profile::modern())
            .secret_key(None),
    )
    .await;
    let (status, body) = v2_post(
        &client(),
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "tsadmin", "secret_key": DEFAULT_SECRET_KEY}),
    )
    .await;
    assert_eq!((status, v2_error(&body).0), (403, 10023));
    assert!(!v2_token(&emu).await.is_empty(), "passwords still work");
}

#[tokio::test]
async fn revoke_and_cookie_sessions() {
    let emu = modern(50).await;
    let token = v2_token(&emu).await;
    let query = json!({"query_string": "[Region]", "logical_table_identifier": RETAIL});
    let revoke = client()
        .post(v2_url(&emu, "auth/token/revoke"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(search(&emu, &token, query.clone()).await.0, 401);

    let session = client();
    let login = session
        .post(v2_url(&emu, "auth/session/login"))
        .json(&json!({"username": "tsadmin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 204);
    let cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("JSESSIONID=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("clientId=")),
        "{cookies:?}"
    );
    let (status, _) = v2_post(&session, &emu, "searchdata", None, &query).await;
    assert_eq!(status, 200, "the cookie authenticates");
    let logout = session
        .post(v2_url(&emu, "auth/session/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(
        v2_post(&session, &emu, "searchdata", None, &query).await.0,
        401
    );
    let bad = client()
        .post(v2_url(&emu, "auth/session/login"))
        .json(&json!({"username": "tsadmin", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}

#[tokio::test]
async fn bodies_must_be_json_and_unknown_fields_are_ignored() {
    let emu = modern(50).await;
    let token = v2_token(&emu).await;
    let form = client()
        .post(v2_url(&emu, "searchdata"))
        .bearer_auth(&token)
        .form(&[
            ("query_string", "[Region]"),
            ("logical_table_identifier", RETAIL),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let body: Value = form.json().await.unwrap();
    assert_eq!(v2_error(&body).0, 10002);
    let (status, body) = search(
        &emu,
        &token,
        json!({"query_string": "[Region]", "logical_table_identifier": RETAIL, "runtime_sort": {"sortCol1": "Region"}, "made_up": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let broken = client()
        .post(v2_url(&emu, "searchdata"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
}

// --- data ---

#[tokio::test]
async fn searchdata_pages_with_defaults_caps_and_an_empty_page_past_the_end() {
    let emu = start(1000, with_settings(Profile::modern(), &["row_cap=25"])).await;
    let token = v2_token(&emu).await;
    let query = "[Order Line ID] [Region] sort by [Order Line ID]";
    let (status, body) = search(
        &emu,
        &token,
        json!({"query_string": query, "logical_table_identifier": RETAIL}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        keys(&body),
        key_set(&["contents"]),
        "no metadata keys on searchdata"
    );
    let contents = body["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 1);
    let page = &contents[0];
    assert_eq!(keys(page), key_set(&CONTENT_KEYS));
    assert_eq!(page["record_size"], 10, "default record_size");
    assert_eq!(page["record_offset"], 0);
    assert_eq!(page["returned_data_row_count"], 10);
    assert_eq!(page["available_data_row_count"], 10, "page mode");
    assert_eq!(page["sampling_ratio"].as_f64(), Some(1.0));
    assert_eq!(page["column_names"], json!(["Order Line ID", "Region"]));
    assert_eq!(first_column(page), (1..=10).collect::<Vec<i64>>());

    let (_, body) = search(&emu, &token, json!({"query_string": query, "logical_table_identifier": RETAIL, "record_offset": 10, "record_size": 5})).await;
    assert_eq!(
        first_column(&body["contents"][0]),
        (11..=15).collect::<Vec<i64>>()
    );
    // -1 and anything above the cap mean the cap; the request is echoed (Q14, Q15).
    for size in [-1, 1000] {
        let (status, body) = search(
            &emu,
            &token,
            json!({"query_string": query, "logical_table_identifier": RETAIL, "record_size": size}),
        )
        .await;
        assert_eq!(status, 200);
        let page = &body["contents"][0];
        assert_eq!(page["returned_data_row_count"], 25, "record_size {size}");
        assert_eq!(page["record_size"], size);
    }
    let (status, body) = search(&emu, &token, json!({"query_string": query, "logical_table_identifier": RETAIL, "record_offset": 1000, "record_size": 10})).await;
    assert_eq!(status, 200);
    let page = &body["contents"][0];
    assert_eq!(page["data_rows"], json!([]));
    assert_eq!(page["returned_data_row_count"], 0);
    assert_eq!(page["record_offset"], 1000);
    for bad in [
        json!({"record_size": 0}),
        json!({"record_offset": -1}),
        json!({"data_format": "XML"}),
    ] {
        let mut request = json!({"query_string": query, "logical_table_identifier": RETAIL});
        request
            .as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        let (status, body) = search(&emu, &token, request).await;
        assert_eq!((status, v2_error(&body).0), (400, 10002), "{bad}");
    }
}

#[tokio::test]
async fn available_row_count_can_report_the_total() {
    let emu = start(
        1000,
        with_settings(Profile::modern(), &["v2_available_row_count=total"]),
    )
    .await;
    let token = v2_token(&emu).await;
    let (_, body) = search(&emu, &token, json!({"query_string": "[Order Line ID]", "logical_table_identifier": RETAIL, "record_size": 7})).await;
    assert_eq!(body["contents"][0]["available_data_row_count"], 1000);
    assert_eq!(body["contents"][0]["returned_data_row_count"], 7);
}

#[tokio::test]
async fn full_format_drops_null_keys_and_filters_and_bad_queries_are_400() {
    let emu = modern(2000).await;
    let token = v2_token(&emu).await;
    let (_, body) = search(&emu, &token, json!({"query_string": "[Order Line ID] [Customer] [Sales] sort by [Order Line ID]", "logical_table_identifier": RETAIL, "record_size": 500, "data_format": "FULL"})).await;
    let rows = body["contents"][0]["data_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 500);
    assert!(rows
        .iter()
        .all(|r| r.as_object().unwrap().values().all(|v| !v.is_null())));
    assert!(
        rows.iter().any(|r| r.as_object().unwrap().len() < 3),
        "some row leaves a null column out"
    );

    let (_, regions) = search(
        &emu,
        &token,
        json!({"query_string": "[Region] sort by [Region]", "logical_table_identifier": RETAIL}),
    )
    .await;
    let regions: Vec<String> = regions["contents"][0]["data_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert!(regions.len() >= 3, "{regions:?}");
    let wanted = [regions[0].clone(), regions[2].clone()];
    let (status, body) = search(&emu, &token, json!({"query_string": "[Order Line ID] [Region]", "logical_table_identifier": RETAIL, "record_size": 300, "runtime_filter": {"col1": "Region", "op1": "IN", "val1": wanted}})).await;
    assert_eq!(status, 200, "{body}");
    let rows = body["contents"][0]["data_rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| wanted.contains(&r[1].as_str().unwrap().to_string())));
    let (status, body) = search(&emu, &token, json!({"query_string": "[Order Line ID]", "logical_table_identifier": RETAIL, "runtime_filter": {"col1": "Order Line ID", "op1": "LE", "val1": 3}, "record_size": 50})).await;
    assert_eq!(status, 200);
    assert_eq!(first_column(&body["contents"][0]), vec![1, 2, 3]);

    let (status, body) = search(&emu, &token, json!({"query_string": "[Region] [Nonexistent Column]", "logical_table_identifier": RETAIL})).await;
    assert_eq!(status, 400);
    let (code, debug) = v2_error(&body);
    assert_eq!(code, 10002);
    assert!(debug.contains("Nonexistent Column"), "{debug}");
    let (status, body) = search(
        &emu,
        &token,
        json!({"query_string": "[Region]", "logical_table_identifier": "0000-no-such"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v2_error(&body).1.contains("0000-no-such"));
    let (status, body) = search(&emu, &token, json!({"query_string": "[Region]", "logical_table_identifier": RETAIL, "runtime_filter": {"col1": "Nope", "val1": "x"}})).await;
    assert_eq!(status, 400);
    assert!(v2_error(&body).1.contains("Nope"));
    let (status, _) = search(&emu, &token, json!({"logical_table_identifier": RETAIL})).await;
    assert_eq!(status, 400, "query_string is required");
}

/// v1 searchdata `data` for the same query, offset and size.
async fn v1_rows(
    emu: &Emulator,
    client: &Client,
    query: &str,
    offset: u64,
    size: u64,
    format: &str,
) -> (Value, Value) {
    let response = v1(client.post(url(emu, "searchdata")))
        .query(&[
            ("query_string", query),
            ("data_source_guid", RETAIL),
            ("offset", &offset.to_string()),
            ("batchsize", &size.to_string()),
            ("formattype", format),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    (body["columnNames"].clone(), body["data"].clone())
}

#[tokio::test]
async fn v1_and_v2_searchdata_serve_identical_rows() {
    for calendar in [false, true] {
        let emu = start_with(
            Emulator::builder()
                .rows(3000)
                .profile(Profile::modern())
                .custom_calendar(calendar),
        )
        .await;
        let token = v2_token(&emu).await;
        let session = login(&emu).await;
        let queries = [
            "[Order Line ID] [Order Date] [Ship Time] [Customer] [Is Returned] [Discount] [Sales] sort by [Order Line ID]",
            "[Region] [Product] [Sales] [Quantity] sort by [Product]",
            "[Order Date].monthly [Sales] sort by [Order Date].monthly",
        ];
        for query in queries {
            for (offset, size) in [(0, 100), (100, 250), (2900, 500)] {
                for format in ["COMPACT", "FULL"] {
                    let (names, rows) = v1_rows(&emu, &session, query, offset, size, format).await;
                    let (status, body) = search(&emu, &token, json!({"query_string": query, "logical_table_identifier": RETAIL, "record_offset": offset, "record_size": size, "data_format": format})).await;
                    assert_eq!(status, 200, "{body}");
                    let content = &body["contents"][0];
                    assert_eq!(content["column_names"], names, "{query}");
                    assert_eq!(
                        content["data_rows"], rows,
                        "{query} at {offset} ({format}, calendar {calendar})"
                    );
                    assert_eq!(
                        content["returned_data_row_count"],
                        rows.as_array().unwrap().len()
                    );
                }
            }
        }
        // The calendar form reaches v2 too.
        let (_, body) = search(&emu, &token, json!({"query_string": "[Order Date] sort by [Order Date]", "logical_table_identifier": RETAIL, "record_size": 1})).await;
        let cell = &body["contents"][0]["data_rows"][0][0];
        assert_eq!(cell.is_object(), calendar, "{cell}");
        if calendar {
            assert!(cell["v"]["s"].is_i64(), "{cell}");
        }
    }
}

#[tokio::test]
async fn liveboard_data_pages_each_data_viz_and_names_them() {
    let emu = modern(500).await;
    let token = v2_token(&emu).await;
    let (status, body) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        json!({"metadata_identifier": PINBOARD, "record_size": 3, "record_offset": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        keys(&body),
        key_set(&["metadata_id", "metadata_name", "contents"])
    );
    assert_eq!(body["metadata_id"], PINBOARD);
    assert_eq!(body["metadata_name"], "Retail Overview");
    let contents = body["contents"].as_array().unwrap();
    let names: Vec<&str> = contents
        .iter()
        .map(|c| c["visualization_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Order Lines", "Sales by Region", "Total Sales"],
        "the filter is left out"
    );
    let ids: Vec<&str> = contents
        .iter()
        .map(|c| c["visualization_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            ids::VIZ_ORDER_LINES,
            ids::VIZ_SALES_BY_REGION,
            ids::VIZ_TOTAL_SALES
        ]
    );
    let mut expected = key_set(&CONTENT_KEYS);
    expected.extend(key_set(&["visualization_id", "visualization_name"]));
    for content in contents {
        assert_eq!(keys(content), expected);
        assert_eq!(content["record_size"], 3);
        assert_eq!(content["record_offset"], 1);
    }
    assert_eq!(
        first_column(&contents[0]),
        vec![2, 3, 4],
        "each viz is paged on its own"
    );
    assert_eq!(contents[0]["returned_data_row_count"], 3);
    assert_eq!(
        contents[2]["returned_data_row_count"], 0,
        "a one-row headline past offset 1"
    );

    // By name, with vizzes by name and by GUID.
    let (status, body) = call(&emu, &token, "metadata/liveboard/data", json!({"metadata_identifier": "Retail Overview", "visualization_identifiers": ["Total Sales", ids::VIZ_SALES_BY_REGION]})).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["visualization_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sales by Region", "Total Sales"]);
    assert_eq!(body["contents"][1]["returned_data_row_count"], 1);
    assert_eq!(
        body["contents"][0]["record_size"], 10,
        "default record_size"
    );

    let (status, body) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        json!({"metadata_identifier": PINBOARD, "visualization_identifiers": ["Nope Viz"]}),
    )
    .await;
    assert_eq!(status, 400);
    let (code, debug) = v2_error(&body);
    assert_eq!(code, 10002);
    assert!(debug.contains("Nope Viz"), "{debug}");
    let (status, body) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        json!({"metadata_identifier": "No Such Board"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v2_error(&body).1.contains("No Such Board"));
    let (status, _) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        json!({"metadata_identifier": ids::ANSWER_RETURNS}),
    )
    .await;
    assert_eq!(status, 400, "an answer is no Liveboard");
}

#[tokio::test]
async fn answer_data_serves_the_answers_table_like_searchdata() {
    let emu = modern(800).await;
    let token = v2_token(&emu).await;
    for identifier in [ids::ANSWER_SALES_BY_PRODUCT, "Sales by Product"] {
        let (status, body) = call(
            &emu,
            &token,
            "metadata/answer/data",
            json!({"metadata_identifier": identifier, "record_size": 4}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            keys(&body),
            key_set(&["metadata_id", "metadata_name", "contents"])
        );
        assert_eq!(body["metadata_id"], ids::ANSWER_SALES_BY_PRODUCT);
        assert_eq!(body["metadata_name"], "Sales by Product");
        let contents = body["contents"].as_array().unwrap();
        assert_eq!(contents.len(), 1);
        assert_eq!(
            keys(&contents[0]),
            key_set(&CONTENT_KEYS),
            "no visualization keys"
        );
        let (_, same) = search(&emu, &token, json!({"query_string": "[Product] [Sales] [Quantity] sort by [Product]", "logical_table_identifier": RETAIL, "record_size": 4})).await;
        assert_eq!(contents[0]["data_rows"], same["contents"][0]["data_rows"]);
        assert_eq!(
            contents[0]["column_names"],
            same["contents"][0]["column_names"]
        );
    }
    let (status, body) = call(
        &emu,
        &token,
        "metadata/answer/data",
        json!({"metadata_identifier": PINBOARD}),
    )
    .await;
    assert_eq!(status, 400, "a Liveboard is no answer: {body}");
    assert!(v2_error(&body).1.contains(PINBOARD));
}

// --- metadata/search ---

#[tokio::test]
async fn metadata_search_selectors_paging_and_sections() {
    let emu = modern(10).await;
    let token = v2_token(&emu).await;
    let find = |body: Value| call(&emu, &token, "metadata/search", body);

    let (status, body) = find(json!({})).await;
    assert_eq!(status, 200, "{body}");
    let list = body.as_array().expect("a bare array");
    assert_eq!(list.len(), 2, "no type and no id: Liveboards only");
    for entry in list {
        assert_eq!(
            keys(entry),
            key_set(&[
                "metadata_id",
                "metadata_name",
                "metadata_type",
                "metadata_obj_id",
                "metadata_header",
                "metadata_detail",
                "visualization_headers",
                "dependent_objects",
                "incomplete_objects",
                "stats"
            ])
        );
        assert_eq!(entry["metadata_type"], "LIVEBOARD");
        for section in [
            "metadata_detail",
            "visualization_headers",
            "dependent_objects",
            "incomplete_objects",
            "stats",
            "metadata_obj_id",
        ] {
            assert!(entry[section].is_null(), "{section} not asked for");
        }
        assert_eq!(entry["metadata_header"]["id"], entry["metadata_id"]);
    }

    let (_, body) =
        find(json!({"metadata": [{"type": "LOGICAL_TABLE", "subtypes": ["WORKSHEET"]}]})).await;
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 2, "Retail Sales and TS: BI Server");
    assert_eq!(list[0]["metadata_id"], RETAIL);
    assert_eq!(list[0]["metadata_header"]["type"], "WORKSHEET");
    assert_eq!(list[0]["metadata_header"]["owner"], RETAIL);
    assert!(list[0]["metadata_header"]["created"].is_i64());

    // Column types: the same columns as v1 metadata/details.
    let (_, body) = find(json!({"metadata": [{"identifier": RETAIL, "type": "LOGICAL_TABLE"}], "include_details": true})).await;
    let columns = body[0]["metadata_detail"]["columns"].clone();
    assert!(columns.as_array().unwrap().len() >= 15, "{columns}");
    let session = login(&emu).await;
    let v1: Value = v1(session.get(url(&emu, "metadata/details")))
        .query(&[
            ("type", "LOGICAL_TABLE"),
            ("id", &format!("[\"{RETAIL}\"]")),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(columns, v1["storables"][0]["columns"]);
    let sales = columns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["header"]["name"] == "Sales")
        .unwrap();
    assert_eq!(sales["dataType"], "DOUBLE");
    assert_eq!(sales["type"], "MEASURE");
    assert!(sales["header"]["isHidden"].is_boolean() && sales["header"]["id"].is_string());

    let (_, body) = find(json!({"metadata": [{"type": "LIVEBOARD", "identifier": "Retail Overview"}], "include_visualization_headers": true})).await;
    let vizzes = body[0]["visualization_headers"].as_array().unwrap();
    let names: Vec<&str> = vizzes.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Order Lines", "Sales by Region", "Total Sales", "Untitled"]
    );

    // Patterns are case-insensitive with % wildcards; selectors combine without repeats.
    let (_, body) = find(json!({"metadata": [{"type": "ANSWER", "name_pattern": "%SALES%"}, {"type": "LIVEBOARD", "name_pattern": "retail%"}, {"identifier": ids::ANSWER_SALES_BY_PRODUCT}]})).await;
    let names: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["metadata_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Sales by Product", "Retail Overview"],
        "selector order, no repeats"
    );
    let types: BTreeSet<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["metadata_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, BTreeSet::from(["ANSWER", "LIVEBOARD"]));

    // Paging: default 10, offsets, [] past the end.
    let (_, all) = find(json!({"metadata": [{"type": "LOGICAL_COLUMN"}], "record_size": -1})).await;
    let total = all.as_array().unwrap().len();
    assert!(total > 12, "{total}");
    let (_, body) = find(json!({"metadata": [{"type": "LOGICAL_COLUMN"}]})).await;
    assert_eq!(body.as_array().unwrap().len(), 10, "default record_size");
    let (_, body) = find(
        json!({"metadata": [{"type": "LOGICAL_COLUMN"}], "record_offset": 10, "record_size": 2}),
    )
    .await;
    assert_eq!(body[0]["metadata_id"], all[10]["metadata_id"]);
    assert_eq!(body[1]["metadata_id"], all[11]["metadata_id"]);
    let (status, body) =
        find(json!({"metadata": [{"type": "LOGICAL_COLUMN"}], "record_offset": total})).await;
    assert_eq!((status, body), (200, json!([])));

    let (status, body) = find(json!({"metadata": [{"identifier": "Retail Overview"}]})).await;
    assert_eq!(status, 400, "a name needs a type: {body}");
    let (status, body) = find(json!({"metadata": [{"type": "SPACESHIP"}]})).await;
    assert_eq!(status, 400);
    assert!(v2_error(&body).1.contains("SPACESHIP"));
    let (_, body) = find(json!({"metadata": [{"type": "CONNECTION"}]})).await;
    assert_eq!(body[0]["metadata_id"], ids::DATA_SOURCE);
}

// --- errors and profile switches ---

/// Whether an `error.message` has the expected shape.
type MessageCheck = fn(&Value) -> bool;

#[tokio::test]
async fn each_error_message_shape() {
    let bad = json!({"query_string": "[Nope]", "logical_table_identifier": RETAIL});
    let cases: [(&str, MessageCheck); 4] = [
        ("object", |m| {
            m["code"] == 10002
                && m["debug"].as_str().unwrap().contains("Nope")
                && m["incident_id_guid"].is_string()
        }),
        ("debug_only", |m| {
            keys(m) == key_set(&["debug"]) && m["debug"].as_str().unwrap().contains("Nope")
        }),
        ("string", |m| m.as_str().is_some_and(|s| s.contains("Nope"))),
        ("nested_debug", |m| {
            let inner = m["debug"]["debug"].as_str().unwrap();
            let lines: Vec<String> = serde_json::from_str(inner).unwrap();
            m["code"] == 10002 && lines.len() == 1 && lines[0].contains("Nope")
        }),
    ];
    for (shape, check) in cases {
        let setting = format!("v2_error_message={shape}");
        let emu = start(10, with_settings(Profile::modern(), &[&setting])).await;
        let token = v2_token(&emu).await;
        let (status, body) = search(&emu, &token, bad.clone()).await;
        assert_eq!(status, 400);
        assert_eq!(keys(&body), key_set(&["error"]), "{shape}: {body}");
        assert_eq!(
            keys(&body["error"]),
            key_set(&["message"]),
            "{shape}: {body}"
        );
        assert!(check(&body["error"]["message"]), "{shape}: {body}");
        // Injected statuses and unauthenticated calls take the same shape.
        let (status, body) = search(&emu, "bogus", bad.clone()).await;
        assert_eq!(status, 401);
        assert!(
            body["error"]["message"].is_object() || body["error"]["message"].is_string(),
            "{shape}: {body}"
        );
    }
}

#[tokio::test]
async fn v2_is_absent_from_the_v2021_profile() {
    let emu = start(10, Profile::v2021()).await;
    let response = client()
        .post(v2_url(&emu, "auth/token/full"))
        .json(&json!({"username": "tsadmin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (code, _) = error_body(response).await;
    assert_eq!(code, 10002, "the v1-style not-found body");
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 0);
    let on = start(10, with_settings(Profile::v2021(), &["v2=true"])).await;
    assert!(!v2_token(&on).await.is_empty(), "the switch turns it on");
}

#[tokio::test]
async fn unknown_v2_paths_and_methods_answer_with_the_v2_body() {
    let emu = modern(10).await;
    let token = v2_token(&emu).await;
    let (status, body) = call(&emu, &token, "metadata/nothing", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(v2_error(&body).0, 10002);
    let response = client()
        .get(v2_url(&emu, "searchdata"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    v2_error(&body);
}

#[tokio::test]
async fn v2_tokens_work_on_v1_where_bearer_is_allowed() {
    let emu = modern(10).await;
    let token = v2_token(&emu).await;
    let response = v1(client().get(url(&emu, "session/info")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn page_cache_serves_v2_pages_unchanged() {
    let emu = start_with(
        Emulator::builder()
            .rows(500)
            .profile(Profile::modern())
            .page_cache(1 << 20),
    )
    .await;
    let token = v2_token(&emu).await;
    let request = json!({"query_string": "[Order Line ID] [Sales] sort by [Order Line ID]", "logical_table_identifier": RETAIL, "record_size": 100});
    let (_, first) = search(&emu, &token, request.clone()).await;
    let (_, second) = search(&emu, &token, request).await;
    assert_eq!(first["contents"][0]["returned_data_row_count"], 100);
    assert_eq!(first, second);
}

// --- faults ---

const PAGE_QUERY: &str = "[Order Line ID] sort by [Order Line ID]";

async fn faulted(fault: Fault) -> (Emulator, String) {
    let plan = FaultPlan::new().rule(FaultRule::new("v2/searchdata", fault));
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .profile(Profile::modern())
            .faults(plan),
    )
    .await;
    let token = v2_token(&emu).await;
    (emu, token)
}

fn page_request(offset: u64, size: u64) -> Value {
    json!({"query_string": PAGE_QUERY, "logical_table_identifier": RETAIL, "record_offset": offset, "record_size": size})
}

async fn raw_page(
    emu: &Emulator,
    token: &str,
    offset: u64,
    size: u64,
) -> reqwest::Result<reqwest::Response> {
    client()
        .post(v2_url(emu, "searchdata"))
        .bearer_auth(token)
        .json(&page_request(offset, size))
        .send()
        .await
}

#[tokio::test]
async fn status_fault_on_v2_uses_the_v2_body_and_retry_after() {
    let plan = FaultPlan::from_toml(
        "[[rule]]\nendpoint = \"v2/searchdata\"\nnth = [1]\nkind = \"status\"\nstatus = 503\nretry_after = 3\n",
    )
    .unwrap();
    let emu = start_with(
        Emulator::builder()
            .rows(100)
            .profile(Profile::modern())
            .faults(plan),
    )
    .await;
    let token = v2_token(&emu).await;
    let response = raw_page(&emu, &token, 0, 10).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    let (code, debug) = v2_error(&body);
    assert_eq!(code, 10000);
    assert!(debug.contains("503"), "{debug}");
    assert_eq!(raw_page(&emu, &token, 0, 10).await.unwrap().status(), 200);
    assert_eq!(emu.request_count(V2Endpoint::SearchData), 2);
    assert_eq!(
        emu.request_count(Endpoint::SearchData),
        0,
        "v1 counts apart"
    );
}

#[tokio::test]
async fn delay_fault_on_v2() {
    let (emu, token) = faulted(Fault::Delay { millis: 300 }).await;
    let started = Instant::now();
    assert_eq!(raw_page(&emu, &token, 0, 10).await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn truncate_and_drop_faults_on_v2() {
    let (emu, token) = faulted(Fault::Truncate { after_bytes: 40 }).await;
    let response = raw_page(&emu, &token, 0, 500).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body is cut off");
    let (emu, token) = faulted(Fault::Drop).await;
    assert!(
        raw_page(&emu, &token, 0, 10).await.is_err(),
        "no response at all"
    );
    assert_eq!(emu.request_count(V2Endpoint::SearchData), 1);
}

#[tokio::test]
async fn expire_session_fault_revokes_the_bearer_token() {
    let plan =
        FaultPlan::new().rule(FaultRule::new("v2/searchdata", Fault::ExpireSession).nth([2]));
    let emu = start_with(
        Emulator::builder()
            .rows(100)
            .profile(Profile::modern())
            .faults(plan),
    )
    .await;
    let token = v2_token(&emu).await;
    assert_eq!(raw_page(&emu, &token, 0, 10).await.unwrap().status(), 200);
    let expired = raw_page(&emu, &token, 0, 10).await.unwrap();
    assert_eq!(expired.status(), 401);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(v2_error(&body).0, 10003);
    assert_eq!(
        raw_page(&emu, &token, 0, 10).await.unwrap().status(),
        401,
        "the token stays revoked"
    );
    let fresh = v2_token(&emu).await;
    assert_eq!(raw_page(&emu, &fresh, 0, 10).await.unwrap().status(), 200);
}

#[tokio::test]
async fn data_faults_on_v2_pages() {
    let (emu, token) = faulted(Fault::Sampling { ratio: 0.5 }).await;
    let (_, body) = search(&emu, &token, page_request(0, 10)).await;
    assert_eq!(body["contents"][0]["sampling_ratio"].as_f64(), Some(0.5));

    let (emu, token) = faulted(Fault::WrongTotal { total: 77 }).await;
    let (_, body) = search(&emu, &token, page_request(0, 10)).await;
    assert_eq!(body["contents"][0]["available_data_row_count"], 77);

    let (emu, token) = faulted(Fault::ShiftRows { rows: 3 }).await;
    let (_, first) = search(&emu, &token, page_request(0, 10)).await;
    assert_eq!(
        first_column(&first["contents"][0]),
        (1..=10).collect::<Vec<i64>>(),
        "no shift on the first page"
    );
    let (_, second) = search(&emu, &token, page_request(10, 10)).await;
    assert_eq!(
        first_column(&second["contents"][0]),
        (8..=17).collect::<Vec<i64>>(),
        "3 rows inserted before"
    );
    assert_eq!(
        second["contents"][0]["record_offset"], 10,
        "the offset echoes the request"
    );
}

#[tokio::test]
async fn body_pad_and_corrupt_faults_on_v2() {
    let (emu, token) = faulted(Fault::Body {
        body: "{\"contents\":42}".into(),
    })
    .await;
    let response = raw_page(&emu, &token, 0, 10).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{\"contents\":42}");

    let (emu, token) = faulted(Fault::Pad { bytes: 100_000 }).await;
    let bytes = raw_page(&emu, &token, 0, 10)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.len() > 100_000 && bytes[..100_000].iter().all(|b| *b == b' '));
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["contents"][0]["returned_data_row_count"], 10);

    let (emu, token) = faulted(Fault::Corrupt {
        at_byte: 2,
        byte: 0xFF,
    })
    .await;
    let bytes = raw_page(&emu, &token, 0, 10)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes[2], 0xFF);
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());
}

#[tokio::test]
async fn faults_and_counters_cover_every_v2_endpoint() {
    let plan = FaultPlan::new()
        .rule(
            FaultRule::new(
                "v2/auth/token/full",
                Fault::Status {
                    status: 500,
                    code: None,
                    retry_after: None,
                    debug: None,
                },
            )
            .nth([1]),
        )
        .rule(
            FaultRule::new(
                "v2/metadata/search",
                Fault::Status {
                    status: 429,
                    code: None,
                    retry_after: Some(1),
                    debug: None,
                },
            )
            .nth([1]),
        )
        .rule(FaultRule::new(
            "v2/metadata/liveboard/data",
            Fault::WrongTotal { total: 5 },
        ))
        .rule(FaultRule::new(
            "v2/metadata/answer/data",
            Fault::Sampling { ratio: 0.25 },
        ));
    let emu = start_with(
        Emulator::builder()
            .rows(100)
            .profile(Profile::modern())
            .faults(plan),
    )
    .await;
    let (status, body) = v2_post(
        &client(),
        &emu,
        "auth/token/full",
        None,
        &json!({"username": "tsadmin", "password": "admin"}),
    )
    .await;
    assert_eq!((status, v2_error(&body).0), (500, 10000));
    let token = v2_token(&emu).await;
    assert_eq!(
        call(&emu, &token, "metadata/search", json!({})).await.0,
        429
    );
    assert_eq!(
        call(&emu, &token, "metadata/search", json!({})).await.0,
        200
    );
    let (_, body) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        json!({"metadata_identifier": PINBOARD}),
    )
    .await;
    assert!(body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["available_data_row_count"] == 5));
    let (_, body) = call(
        &emu,
        &token,
        "metadata/answer/data",
        json!({"metadata_identifier": ids::ANSWER_RETURNS}),
    )
    .await;
    assert_eq!(body["contents"][0]["sampling_ratio"].as_f64(), Some(0.25));
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 2);
    assert_eq!(emu.request_count(V2Endpoint::MetadataSearch), 2);
    assert_eq!(emu.request_count(V2Endpoint::LiveboardData), 1);
    assert_eq!(emu.request_count(V2Endpoint::AnswerData), 1);
    assert!(
        FaultPlan::from_toml("[[rule]]\nendpoint = \"v2/nothing\"\nkind = \"drop\"\n").is_err()
    );
}

#[test]
fn rule_names_are_v2_and_the_path() {
    for endpoint in V2Endpoint::ALL {
        assert_eq!(endpoint.rule_name(), format!("v2/{}", endpoint.path()));
        assert_eq!(
            V2Endpoint::from_rule_name(endpoint.rule_name()),
            Some(endpoint)
        );
        let plan = format!(
            "[[rule]]\nendpoint = \"{}\"\nkind = \"drop\"\n",
            endpoint.rule_name()
        );
        assert!(FaultPlan::from_toml(&plan).is_ok(), "{plan}");
    }
    assert_eq!(V2Endpoint::from_rule_name("searchdata"), None);
}
