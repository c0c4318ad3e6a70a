//! searchdata and pinboarddata over HTTP: shapes, paging arithmetic, formats, search semantics,
//! determinism and the data profile switches.

use crate::common::*;
use reqwest::Client;
use serde_json::{json, Value};
use tsexport_emulator::{ids, Emulator, Profile};

async fn post(
    client: &Client,
    emu: &Emulator,
    endpoint: &str,
    params: &[(&str, &str)],
) -> (u16, Value) {
    let response = v1(client.post(url(emu, endpoint)))
        .query(params)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

async fn search(
    client: &Client,
    emu: &Emulator,
    query: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut params = vec![("query_string", query), ("data_source_guid", RETAIL)];
    params.extend_from_slice(extra);
    post(client, emu, "searchdata", &params).await
}

fn keys(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[0].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn searchdata_has_exactly_the_seven_keys() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (status, body) = search(
        &client,
        &emu,
        "[Sales] [Order Line ID] [Region]",
        &[("batchsize", "10")],
    )
    .await;
    assert_eq!(status, 200);
    let mut names: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "columnNames",
            "data",
            "offset",
            "pageSize",
            "rowCount",
            "samplingRatio",
            "totalRowCount"
        ]
    );
    // Attributes first, then measures, each in query order; measures carry their aggregation prefix.
    assert_eq!(
        body["columnNames"],
        json!(["Order Line ID", "Region", "Total Sales"])
    );
    assert_eq!(body["samplingRatio"], json!(1));
    assert_eq!(
        (body["rowCount"].as_i64(), body["pageSize"].as_i64()),
        (Some(10), Some(10))
    );
    assert_eq!(
        (body["offset"].as_i64(), body["totalRowCount"].as_i64()),
        (Some(0), Some(1000))
    );
    assert_eq!(keys(&body), (1..=10).collect::<Vec<_>>());
}

#[tokio::test]
async fn pages_tile_the_result_exactly_and_end_on_a_short_then_empty_page() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let mut all = Vec::new();
    let mut offset = 0;
    let mut counts = Vec::new();
    loop {
        let (status, body) = search(
            &client,
            &emu,
            "[Order Line ID]",
            &[("batchsize", "300"), ("offset", &offset.to_string())],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["offset"].as_i64(), Some(offset));
        let rows = body["rowCount"].as_i64().unwrap();
        assert_eq!(rows as usize, body["data"].as_array().unwrap().len());
        counts.push(rows);
        all.extend(keys(&body));
        offset += rows;
        if rows < 300 {
            break;
        }
    }
    assert_eq!(counts, [300, 300, 300, 100]);
    assert_eq!(all, (1..=1000).collect::<Vec<_>>());
    // Past the end: 200, no rows, the total unchanged, the requested offset echoed (wire-protocol §7 Q1).
    let (status, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "300"), ("offset", "1000")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["rowCount"].as_i64(),
            body["totalRowCount"].as_i64(),
            body["offset"].as_i64()
        ),
        (Some(0), Some(1000), Some(1000))
    );
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn pagenumber_offset_and_unset_defaults() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "100"), ("pagenumber", "3"), ("offset", "7")],
    )
    .await;
    assert_eq!(
        (body["offset"].as_i64(), keys(&body)[0]),
        (Some(200), 201),
        "pagenumber overrides offset"
    );
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "-1"), ("pagenumber", "-1"), ("offset", "-1")],
    )
    .await;
    assert_eq!(
        (
            body["offset"].as_i64(),
            body["pageSize"].as_i64(),
            body["rowCount"].as_i64()
        ),
        (Some(0), Some(100_000), Some(1000))
    );
    for bad in [
        ("pagenumber", "0"),
        ("batchsize", "0"),
        ("offset", "-5"),
        ("batchsize", "ten"),
    ] {
        let (status, _) = search(&client, &emu, "[Order Line ID]", &[bad]).await;
        assert_eq!(status, 400, "{bad:?}");
    }
}

#[tokio::test]
async fn the_row_cap_applies_per_call() {
    let emu = start(250_000, Profile::v2021()).await;
    let client = login(&emu).await;
    for batch in ["-1", "150000"] {
        let (_, body) = search(&client, &emu, "[Order Line ID]", &[("batchsize", batch)]).await;
        assert_eq!(
            (body["rowCount"].as_i64(), body["pageSize"].as_i64()),
            (Some(100_000), Some(100_000)),
            "batchsize {batch}"
        );
        assert_eq!(body["totalRowCount"].as_i64(), Some(250_000));
    }
    let (_, last) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "-1"), ("offset", "200000")],
    )
    .await;
    assert_eq!(last["rowCount"].as_i64(), Some(50_000));
    assert_eq!(keys(&last).last(), Some(&250_000));

    let capped = start(
        20_000,
        with_settings(
            Profile::v2021(),
            &["row_cap=5000", "total_row_count=capped"],
        ),
    )
    .await;
    let client = login(&capped).await;
    let (_, body) = search(&client, &capped, "[Order Line ID]", &[]).await;
    assert_eq!(
        (
            body["pageSize"].as_i64(),
            body["rowCount"].as_i64(),
            body["totalRowCount"].as_i64()
        ),
        (Some(5000), Some(5000), Some(5000))
    );
}

#[tokio::test]
async fn past_the_end_can_be_a_400() {
    let emu = start(
        100,
        with_settings(Profile::v2021(), &["past_end=bad_request"]),
    )
    .await;
    let client = login(&emu).await;
    let (status, _) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "100"), ("offset", "100")],
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "100"), ("offset", "0")],
    )
    .await;
    assert_eq!((status, body["rowCount"].as_i64()), (200, Some(100)));
}

#[tokio::test]
async fn first_page_must_be_one_when_the_profile_says_so() {
    let emu = start(
        100,
        with_settings(Profile::v2021(), &["require_first_page_one=true"]),
    )
    .await;
    let client = login(&emu).await;
    let page = |n: &'static str| [("batchsize", "10"), ("pagenumber", n)];
    assert_eq!(
        search(&client, &emu, "[Order Line ID]", &page("2")).await.0,
        400
    );
    assert_eq!(
        search(&client, &emu, "[Order Line ID]", &page("1")).await.0,
        200
    );
    assert_eq!(
        search(&client, &emu, "[Order Line ID]", &page("2")).await.0,
        200
    );
}

#[tokio::test]
async fn one_based_offset_switch() {
    let emu = start(
        100,
        with_settings(Profile::v2021(), &["offset_one_based=true"]),
    )
    .await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[("batchsize", "5"), ("offset", "1")],
    )
    .await;
    assert_eq!(keys(&body)[0], 1);
}

#[tokio::test]
async fn compact_and_full_hold_the_same_values_and_full_drops_nulls() {
    let emu = start(2000, Profile::v2021()).await;
    let client = login(&emu).await;
    let query = "[Order Line ID] [Customer] [Product] [Quantity] [Sales] [Is Returned] [Ship Time] [Loyalty Points]";
    let (_, compact) = search(&client, &emu, query, &[("formattype", "COMPACT")]).await;
    let (_, full) = search(&client, &emu, query, &[("formattype", "FULL")]).await;
    assert_eq!(compact["columnNames"], full["columnNames"]);
    assert_eq!(compact["rowCount"], full["rowCount"]);
    let names: Vec<String> = serde_json::from_value(compact["columnNames"].clone()).unwrap();
    let mut nulls = 0;
    for (row, object) in compact["data"]
        .as_array()
        .unwrap()
        .iter()
        .zip(full["data"].as_array().unwrap())
    {
        for (i, name) in names.iter().enumerate() {
            if row[i].is_null() {
                nulls += 1;
                assert!(object.get(name).is_none(), "FULL keeps a null key {name}");
            } else {
                assert_eq!(&row[i], &object[name]);
            }
        }
    }
    assert!(
        nulls > 2000,
        "every nullable column has nulls, and Loyalty Points is all null here"
    );
    assert_eq!(
        search(&client, &emu, query, &[("formattype", "PRETTY")])
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn dates_as_epoch_seconds_or_calendar_objects() {
    let query = "[Order Line ID] [Order Date] [Ship Time] [Order Time]";
    let plain = start(10, Profile::v2021()).await;
    let calendar = start_with(
        tsexport_emulator::Emulator::builder()
            .rows(10)
            .custom_calendar(true),
    )
    .await;
    let ends = start_with(
        tsexport_emulator::Emulator::builder()
            .rows(10)
            .custom_calendar(true)
            .profile(with_settings(Profile::v2021(), &["calendar_end=true"])),
    )
    .await;
    let (_, p) = search(&login(&plain).await, &plain, query, &[]).await;
    let (_, c) = search(&login(&calendar).await, &calendar, query, &[]).await;
    let (_, e) = search(&login(&ends).await, &ends, query, &[]).await;
    let day = p["data"][0][1].as_i64().unwrap();
    // 2021-01-01 at local midnight in America/Chicago (UTC-6).
    assert_eq!(day, 1_609_480_800);
    assert_eq!(c["data"][0][1], json!({"v": {"s": day}}));
    assert_eq!(e["data"][0][1], json!({"v": {"s": day, "e": day + 86_399}}));
    let ship = p["data"][0][2].as_i64().unwrap();
    assert!(ship > day + 86_400 - 1 && ship < day + 8 * 86_400);
    assert_eq!(c["data"][0][2], json!({"v": {"s": ship}}));
    assert_eq!(
        p["data"][0][3], c["data"][0][3],
        "TIME stays seconds since midnight"
    );

    let utc = start_with(
        tsexport_emulator::Emulator::builder()
            .rows(10)
            .timezone("UTC"),
    )
    .await;
    let (_, u) = search(&login(&utc).await, &utc, query, &[]).await;
    assert_eq!(u["data"][0][1].as_i64(), Some(1_609_459_200));
}

#[tokio::test]
async fn the_same_seed_serves_the_same_bytes() {
    let fetch = |seed: u64| async move {
        let emu = start_with(tsexport_emulator::Emulator::builder().rows(3000).seed(seed)).await;
        let client = login(&emu).await;
        let query = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points]";
        v1(client.post(url(&emu, "searchdata")))
            .query(&[("query_string", query), ("data_source_guid", RETAIL)])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    };
    let (a, b, c) = (fetch(7).await, fetch(7).await, fetch(8).await);
    assert!(a.len() > 100_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn values_are_exact_and_escaped() {
    let emu = start(30_000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID] [Sales] [Line Cents]",
        &[("batchsize", "1010")],
    )
    .await;
    let data = body["data"].as_array().unwrap();
    // Row 8 (key 8) holds 0.1 + 0.2; its text must round-trip to the same double.
    assert_eq!(data[7][1].as_f64(), Some(0.1 + 0.2));
    let raw = v1(client.post(url(&emu, "searchdata")))
        .query(&[
            ("query_string", "[Order Line ID] [Line Cents]"),
            ("data_source_guid", RETAIL),
            ("batchsize", "1"),
            ("offset", "9999"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        raw.contains("[10000,9007199254740993]"),
        "an INT64 above 2^53 is written exactly: {raw}"
    );
    let seventeen = data
        .iter()
        .filter_map(|r| r[1].as_f64())
        .filter(|v| {
            format!("{v:?}")
                .replace('.', "")
                .trim_start_matches('0')
                .len()
                >= 17
        })
        .count();
    assert!(
        seventeen > 100,
        "most doubles need 17 significant digits, found {seventeen}"
    );

    let (_, customers) = search(&client, &emu, "[Customer] [Quantity]", &[]).await;
    let names: Vec<Value> = customers["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].clone())
        .collect();
    for expected in [
        "Zoë Ångström",
        "東京アウトドア株式会社",
        "Café \"Le Bon\"",
        "C:\\Users\\shop\\",
        "",
        "Line\nBreak",
        "Tab\tSeparated",
        "Emoji 🚀 Outfitters",
    ] {
        assert!(
            names.contains(&json!(expected)),
            "missing customer {expected:?}"
        );
    }
    assert!(names.contains(&Value::Null), "a null customer group");
}

#[tokio::test]
async fn the_late_column_is_null_for_exactly_the_first_150000_rows() {
    let emu = start(150_010, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, head) = search(
        &client,
        &emu,
        "[Order Line ID] [Loyalty Points]",
        &[("batchsize", "100000")],
    )
    .await;
    assert!(head["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r[1].is_null()));
    let (_, tail) = search(
        &client,
        &emu,
        "[Order Line ID] [Loyalty Points]",
        &[("offset", "149990")],
    )
    .await;
    for row in tail["data"].as_array().unwrap() {
        assert_eq!(
            row[1].is_null(),
            row[0].as_i64().unwrap() <= 150_000,
            "{row}"
        );
    }
}

#[tokio::test]
async fn search_aggregates_sorts_filters_and_rejects() {
    let emu = start(5000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, total) = search(&client, &emu, "[Quantity]", &[]).await;
    assert_eq!(total["columnNames"], json!(["Total Quantity"]));
    assert_eq!(total["rowCount"].as_i64(), Some(1));
    let (_, by_region) = search(&client, &emu, "[region] [QUANTITY]", &[]).await;
    let sum: i64 = by_region["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_i64().unwrap())
        .sum();
    assert_eq!(
        Some(sum),
        total["data"][0][0].as_i64(),
        "group sums add up to the total"
    );
    assert_eq!(by_region["rowCount"].as_i64(), Some(5));

    let (_, top) = search(&client, &emu, "[Region] [Quantity] top 2", &[]).await;
    let values: Vec<i64> = top["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_i64().unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert!(
        values[0] >= values[1]
            && values[1]
                >= by_region["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[1].as_i64().unwrap())
                    .min()
                    .unwrap()
    );

    let (_, sorted) = search(
        &client,
        &emu,
        "[Order Line ID] sort by [Order Line ID] descending",
        &[("batchsize", "3")],
    )
    .await;
    assert_eq!(keys(&sorted), [5000, 4999, 4998]);

    let (_, west) = search(
        &client,
        &emu,
        "[Order Line ID] [Region] [Quantity] [Region] = 'west' [Quantity] > 15",
        &[],
    )
    .await;
    let rows = west["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[1] == json!("West")));
    assert_eq!(
        west["columnNames"],
        json!(["Order Line ID", "Region", "Total Quantity"])
    );
    assert!(rows.iter().all(|r| r[2].as_i64().unwrap() > 15));

    for (bad, word) in [
        ("[Nope] [Sales]", "[Nope]"),
        ("[Region] bogus", "bogus"),
        ("[Region", "unclosed"),
        ("", "no columns"),
    ] {
        let response = v1(client.post(url(&emu, "searchdata")))
            .query(&[("query_string", bad), ("data_source_guid", RETAIL)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let (code, debug) = error_body(response).await;
        assert_eq!(code, 10002);
        assert!(debug.contains(word), "{bad}: {debug}");
    }
    let (status, _) = post(
        &client,
        &emu,
        "searchdata",
        &[
            ("query_string", "[Region]"),
            ("data_source_guid", "not-a-source"),
        ],
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn runtime_filters() {
    let emu = start(3000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Region] [Quantity]",
        &[
            ("col1", "region"),
            ("op1", "IN"),
            ("val1", "West"),
            ("val1", "East"),
        ],
    )
    .await;
    let regions: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["East", "West"]);
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID]",
        &[
            ("col1", "Order Line ID"),
            ("op1", "BW_INC"),
            ("val1", "10"),
            ("val1", "12"),
        ],
    )
    .await;
    assert_eq!(keys(&body), [10, 11, 12]);
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID] [Order Date]",
        &[
            ("col1", "Order Date"),
            ("op1", "GE"),
            ("val1", "2024-12-30"),
        ],
    )
    .await;
    assert!(body["rowCount"].as_i64().unwrap() > 0 && body["rowCount"].as_i64().unwrap() < 10);
    assert_eq!(
        search(
            &client,
            &emu,
            "[Region]",
            &[("col1", "Nope"), ("op1", "EQ"), ("val1", "x")]
        )
        .await
        .0,
        400
    );
    assert_eq!(
        search(
            &client,
            &emu,
            "[Region]",
            &[("col1", "Region"), ("op1", "SOUNDS_LIKE"), ("val1", "x")]
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn form_parameters_are_a_fallback_and_the_query_string_wins() {
    for (profile, expected) in [
        (Profile::v2021(), 200),
        (
            with_settings(Profile::v2021(), &["data_form_params=false"]),
            400,
        ),
    ] {
        let emu = start(100, profile).await;
        let client = login(&emu).await;
        let response = v1(client.post(url(&emu, "searchdata")))
            .form(&[("query_string", "[Region]"), ("data_source_guid", RETAIL)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
        if expected == 200 {
            let response = v1(client.post(url(&emu, "searchdata")))
                .query(&[
                    ("query_string", "[Product] [Quantity]"),
                    ("data_source_guid", RETAIL),
                ])
                .form(&[("query_string", "[Region]")])
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["columnNames"][0], "Product");
        }
    }
}

#[tokio::test]
async fn cell_encoding_switches_and_column_details() {
    let emu = start(
        200,
        with_settings(
            Profile::modern(),
            &["bool_cells=string", "lowercase_text=true"],
        ),
    )
    .await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Order Line ID] [Region] [Is Returned] [Sales]",
        &[("include_column_details", "true")],
    )
    .await;
    let row = &body["data"][0];
    assert!(row[2] == json!("true") || row[2] == json!("false"), "{row}");
    assert_eq!(
        row[1].as_str().unwrap(),
        row[1].as_str().unwrap().to_lowercase()
    );
    assert_eq!(
        body["columnDetails"],
        json!([{"name": "Order Line ID", "data_type": "INT64"}, {"name": "Region", "data_type": "VARCHAR"},
               {"name": "Is Returned", "data_type": "BOOL"}, {"name": "Total Sales", "data_type": "DOUBLE"}])
    );
    let old = start(10, Profile::v2021()).await;
    let (_, body) = search(
        &login(&old).await,
        &old,
        "[Region]",
        &[("include_column_details", "true")],
    )
    .await;
    assert!(
        body.get("columnDetails").is_none(),
        "2020-22 builds have no columnDetails"
    );
}

#[tokio::test]
async fn pinboarddata_is_keyed_by_viz_with_per_viz_paging_and_the_headline_quirk() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (status, body) = post(
        &client,
        &emu,
        "pinboarddata",
        &[("id", PINBOARD), ("batchsize", "-1")],
    )
    .await;
    assert_eq!(status, 200);
    let object = body.as_object().unwrap();
    let mut vizzes: Vec<&str> = object.keys().map(String::as_str).collect();
    vizzes.sort();
    assert_eq!(
        vizzes,
        [
            ids::VIZ_ORDER_LINES,
            ids::VIZ_SALES_BY_REGION,
            ids::VIZ_TOTAL_SALES
        ],
        "the filter viz has no data"
    );
    let headline = &body[ids::VIZ_TOTAL_SALES];
    assert_eq!(
        (headline["pageSize"].as_i64(), headline["offset"].as_i64()),
        (Some(-1), Some(-1))
    );
    assert_eq!(headline["name"], "Total Sales");
    assert_eq!(headline["columnNames"], json!(["Total Sales"]));
    let table = &body[ids::VIZ_ORDER_LINES];
    assert_eq!(
        (
            table["pageSize"].as_i64(),
            table["offset"].as_i64(),
            table["rowCount"].as_i64()
        ),
        (Some(100_000), Some(0), Some(1000))
    );

    let (_, paged) = post(
        &client,
        &emu,
        "pinboarddata",
        &[("id", PINBOARD), ("batchsize", "2"), ("offset", "2")],
    )
    .await;
    assert_eq!(keys(&paged[ids::VIZ_ORDER_LINES]), [3, 4]);
    assert_eq!(
        paged[ids::VIZ_SALES_BY_REGION]["rowCount"].as_i64(),
        Some(2)
    );
    assert_eq!(
        paged[ids::VIZ_TOTAL_SALES]["rowCount"].as_i64(),
        Some(0),
        "each viz pages on its own"
    );

    for spelling in [
        format!("[\"{}\"]", ids::VIZ_TOTAL_SALES),
        format!("['{}']", ids::VIZ_TOTAL_SALES),
        format!("[{}]", ids::VIZ_TOTAL_SALES),
        ids::VIZ_TOTAL_SALES.to_string(),
    ] {
        let (status, one) = post(
            &client,
            &emu,
            "pinboarddata",
            &[("id", PINBOARD), ("vizid", &spelling)],
        )
        .await;
        assert_eq!(status, 200, "{spelling}");
        assert_eq!(one.as_object().unwrap().len(), 1, "{spelling}");
    }
    let (status, _) = post(
        &client,
        &emu,
        "pinboarddata",
        &[("id", PINBOARD), ("vizid", "[\"nope\"]")],
    )
    .await;
    assert_eq!(status, 400);
    let response = v1(client.post(url(&emu, "pinboarddata")))
        .query(&[("id", PINBOARD), ("vizid", "[\"broken")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(error_body(response).await.0, 10000);
    assert_eq!(
        post(
            &client,
            &emu,
            "pinboarddata",
            &[("id", ids::ANSWER_RETURNS)]
        )
        .await
        .0,
        400,
        "an answer is not a pinboard"
    );
    assert_eq!(
        post(&client, &emu, "pinboarddata", &[("id", "nope")])
            .await
            .0,
        400
    );

    let (_, filtered) = post(
        &client,
        &emu,
        "pinboarddata",
        &[
            ("id", PINBOARD),
            ("col1", "Region"),
            ("op1", "EQ"),
            ("val1", "West"),
        ],
    )
    .await;
    assert_eq!(
        filtered[ids::VIZ_SALES_BY_REGION]["rowCount"].as_i64(),
        Some(1)
    );
}

#[tokio::test]
async fn pinboard_viz_name_position_and_headline_switch() {
    let raw = |emu: &Emulator, client: Client| {
        let url = url(emu, "pinboarddata");
        async move {
            v1(client.post(url))
                .query(&[("id", PINBOARD), ("batchsize", "1")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first = start(10, Profile::v2021()).await;
    let text = raw(&first, login(&first).await).await;
    assert!(
        text.contains(&format!(
            "\"{}\":{{\"name\":\"Order Lines\"",
            ids::VIZ_ORDER_LINES
        )),
        "{text}"
    );
    let last = start(
        10,
        with_settings(Profile::modern(), &["headline_echoes_unset=false"]),
    )
    .await;
    let text = raw(&last, login(&last).await).await;
    assert!(
        text.contains("\"offset\":0,\"name\":\"Order Lines\"}"),
        "{text}"
    );
    let client = login(&last).await;
    let (_, body) = post(
        &client,
        &last,
        "pinboarddata",
        &[("id", PINBOARD), ("batchsize", "-1")],
    )
    .await;
    assert_eq!(
        body[ids::VIZ_TOTAL_SALES]["pageSize"].as_i64(),
        Some(100_000)
    );
}

#[tokio::test]
async fn date_buckets_group_by_local_periods() {
    let emu = start(5000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (status, body) = search(&client, &emu, "[Order Date].monthly [Quantity]", &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["columnNames"],
        json!(["Month(Order Date)", "Total Quantity"])
    );
    let starts: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect();
    assert_eq!(starts.len(), 48, "four years of months");
    // 2021-01-01 and 2021-02-01, local midnight in America/Chicago (UTC-6).
    assert_eq!(&starts[..2], &[1_609_480_800, 1_612_159_200]);
    let (_, total) = search(&client, &emu, "[Quantity]", &[]).await;
    let sum: i64 = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_i64().unwrap())
        .sum();
    assert_eq!(Some(sum), total["data"][0][0].as_i64());

    let calendar = start_with(
        Emulator::builder()
            .rows(5000)
            .custom_calendar(true)
            .profile(with_settings(Profile::v2021(), &["calendar_end=true"])),
    )
    .await;
    let (_, wrapped) = search(
        &login(&calendar).await,
        &calendar,
        "[Order Date].yearly [Quantity]",
        &[],
    )
    .await;
    // 2021 in Chicago: from 2021-01-01 00:00 to 2021-12-31 23:59:59 local.
    assert_eq!(
        wrapped["data"][0][0],
        json!({"v": {"s": 1_609_480_800_i64, "e": 1_641_016_799_i64}})
    );
    assert_eq!(wrapped["rowCount"], 4);
}

#[tokio::test]
async fn explicit_aggregations() {
    let emu = start(3000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (_, body) = search(
        &client,
        &emu,
        "[Region] max [Quantity] min [Quantity] count [Customer] average [Quantity]",
        &[],
    )
    .await;
    assert_eq!(
        body["columnNames"],
        json!([
            "Region",
            "Max Quantity",
            "Min Quantity",
            "Count Customer",
            "Average Quantity"
        ])
    );
    for row in body["data"].as_array().unwrap() {
        assert_eq!(
            (row[1].as_i64(), row[2].as_i64()),
            (Some(20), Some(1)),
            "{row}"
        );
        assert!(row[3].as_i64().unwrap() > 100 && row[4].as_f64().unwrap() > 1.0);
    }
    let (_, lines) = search(
        &client,
        &emu,
        "[Order Line ID] count [Customer] [Customer]",
        &[("batchsize", "3000")],
    )
    .await;
    for row in lines["data"].as_array().unwrap() {
        assert_eq!(
            row[2].as_i64(),
            Some(i64::from(!row[1].is_null())),
            "one row, counted: {row}"
        );
    }
}

#[tokio::test]
async fn full_rows_with_duplicate_column_names() {
    let query = "[Region] [Quantity] sum [Quantity]";
    let last = start(500, Profile::v2021()).await;
    let (_, body) = search(&login(&last).await, &last, query, &[("formattype", "FULL")]).await;
    assert_eq!(
        body["columnNames"],
        json!(["Region", "Total Quantity", "Total Quantity"])
    );
    assert_eq!(
        body["data"][0].as_object().unwrap().len(),
        2,
        "the later column overwrites the earlier one"
    );

    let both = start(
        500,
        with_settings(Profile::v2021(), &["full_duplicates=keep_both"]),
    )
    .await;
    let client = login(&both).await;
    let text = v1(client.post(url(&both, "searchdata")))
        .query(&[
            ("query_string", query),
            ("data_source_guid", RETAIL),
            ("formattype", "FULL"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let first_row = &text[text.find("\"data\":[{").unwrap()..];
    let first_row = &first_row[..first_row.find('}').unwrap()];
    assert_eq!(
        first_row.matches("\"Total Quantity\":").count(),
        2,
        "{first_row}"
    );
}

#[tokio::test]
async fn absurd_paging_values_are_past_the_end_not_a_crash() {
    let emu = start(100, Profile::v2021()).await;
    let client = login(&emu).await;
    let huge = i64::MAX.to_string();
    for params in [
        [("pagenumber", huge.as_str()), ("batchsize", "100000")],
        [("offset", huge.as_str()), ("batchsize", "-1")],
    ] {
        let (status, body) = search(&client, &emu, "[Order Line ID]", &params).await;
        assert_eq!(
            (status, body["rowCount"].as_i64()),
            (200, Some(0)),
            "{params:?}"
        );
    }
}

#[tokio::test]
async fn billions_of_rows_page_lazily_and_refuse_row_lists() {
    let emu = start(5_000_000_000, Profile::v2021()).await;
    let client = login(&emu).await;
    let (status, body) = search(
        &client,
        &emu,
        "[Order Line ID] [Sales]",
        &[("batchsize", "2"), ("offset", "4999999998")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&body), [4_999_999_999, 5_000_000_000]);
    assert_eq!(body["totalRowCount"].as_i64(), Some(5_000_000_000));
    let (status, _) = search(&client, &emu, "[Order Line ID] [Region] = 'West'", &[]).await;
    assert_eq!(
        status, 400,
        "a filtered row list past u32 rows is refused, not wrapped"
    );
}
