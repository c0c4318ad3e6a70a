//! The emulator's `runtime_sort` and `runtime_param_override` (wire-protocol §4.5–§4.7) over raw
//! HTTP: shapes checked with v2 400s, the sort applied stably across pages, and the Retail Sales
//! parameter "Discount Rate" read by the formula "Discounted Sales" only.

use crate::common::*;
use serde_json::{json, Value};
use tsexport_emulator::{ids, Emulator, Profile};

const ROWS: u64 = 2_000;

async fn modern() -> Emulator {
    start(ROWS, Profile::modern()).await
}

async fn call(emu: &Emulator, token: &str, path: &str, body: Value) -> (u16, Value) {
    v2_post(&client(), emu, path, Some(token), &body).await
}

fn rows(body: &Value) -> Vec<Value> {
    body["contents"][0]["data_rows"]
        .as_array()
        .expect("data_rows")
        .clone()
}

fn search(query: &str, extra: Value) -> Value {
    let mut body = json!({
        "query_string": query,
        "logical_table_identifier": ids::RETAIL_SALES,
        "record_offset": 0,
        "record_size": ROWS,
    });
    for (key, value) in extra.as_object().expect("object") {
        body[key] = value.clone();
    }
    body
}

#[tokio::test]
async fn a_runtime_sort_orders_the_result_the_same_on_every_page() {
    let emu = modern().await;
    let token = v2_token(&emu).await;
    let query = "[Order Line ID] [Region] [Sales] sort by [Order Line ID]";
    let sort = json!({"runtime_sort": {"sortCol1": "Region", "asc1": true, "sortCol2": "Sales", "asc2": false}});
    let (status, whole) = call(&emu, &token, "searchdata", search(query, sort.clone())).await;
    assert_eq!(status, 200, "{whole}");
    let whole = rows(&whole);
    assert_eq!(whole.len(), ROWS as usize);
    let key = |row: &Value| (row[1].as_str().unwrap_or("").to_string(), row[2].as_f64());
    for pair in whole.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        assert!(a.0 <= b.0, "regions ascending: {pair:?}");
        if a.0 == b.0 {
            assert!(
                a.1.unwrap_or(f64::MIN) >= b.1.unwrap_or(f64::MIN),
                "sales descending: {pair:?}"
            );
        }
    }
    // Pages of 300 put together are the whole result: the order is the same on every call.
    let mut paged = Vec::new();
    for offset in (0..ROWS).step_by(300) {
        let mut body = search(query, sort.clone());
        body["record_offset"] = json!(offset);
        body["record_size"] = json!(300);
        let (status, page) = call(&emu, &token, "searchdata", body).await;
        assert_eq!(status, 200, "{page}");
        paged.extend(rows(&page));
    }
    assert_eq!(paged, whole);

    // A column is named as the worksheet names it or as the result shows it.
    let by_total = json!({"runtime_sort": {"sortCol1": "Total Sales", "asc1": false}});
    let by_name = json!({"runtime_sort": {"sortCol1": "sales", "asc1": false}});
    let (_, a) = call(&emu, &token, "searchdata", search(query, by_total)).await;
    let (_, b) = call(&emu, &token, "searchdata", search(query, by_name)).await;
    assert_eq!(rows(&a), rows(&b));
}

#[tokio::test]
async fn a_parameter_changes_only_the_formula_that_reads_it() {
    let emu = modern().await;
    let token = v2_token(&emu).await;
    let with_formula = "[Order Line ID] [Sales] [Discounted Sales] sort by [Order Line ID]";
    let rate = json!({"runtime_param_override": {"param1": "Discount Rate", "paramVal1": 0.2}});
    let (status, plain) = call(&emu, &token, "searchdata", search(with_formula, json!({}))).await;
    assert_eq!(status, 200, "{plain}");
    assert_eq!(
        plain["contents"][0]["column_names"],
        json!(["Order Line ID", "Total Sales", "Total Discounted Sales"])
    );
    let (status, discounted) = call(
        &emu,
        &token,
        "searchdata",
        search(with_formula, rate.clone()),
    )
    .await;
    assert_eq!(status, 200, "{discounted}");
    for (p, d) in rows(&plain).iter().zip(rows(&discounted)) {
        assert_eq!(p[1], p[2], "the default rate is 0");
        assert_eq!(p[1], d[1], "Sales does not change");
        if let (Some(sales), Some(value)) = (p[1].as_f64(), d[2].as_f64()) {
            assert!(
                (sales * 0.8 - value).abs() < 1e-9,
                "{sales} * 0.8 != {value}"
            );
        }
    }
    // Aggregated, the formula is the sum of the discounted lines.
    let (_, by_region) = call(
        &emu,
        &token,
        "searchdata",
        search(
            "[Region] [Sales] [Discounted Sales] sort by [Region]",
            rate.clone(),
        ),
    )
    .await;
    for row in rows(&by_region) {
        let (sales, value) = (row[1].as_f64().unwrap(), row[2].as_f64().unwrap());
        assert!(
            (sales * 0.8 - value).abs() < 1e-6 * sales.abs().max(1.0),
            "{row}"
        );
    }
    // A search that does not name the formula is as it was.
    let query = "[Order Line ID] [Region] [Sales] sort by [Order Line ID]";
    let (_, without) = call(&emu, &token, "searchdata", search(query, json!({}))).await;
    let (_, with) = call(&emu, &token, "searchdata", search(query, rate)).await;
    assert_eq!(rows(&without), rows(&with));
}

#[tokio::test]
async fn bad_sorts_and_parameters_are_400s_that_name_the_key() {
    let emu = modern().await;
    let token = v2_token(&emu).await;
    let query = "[Order Line ID] [Sales] sort by [Order Line ID]";
    for (extra, expected) in [
        (
            json!({"runtime_sort": {"sortCol1": "Nope"}}),
            "sortCol1 'Nope' is not a column of the result",
        ),
        (
            json!({"runtime_sort": {"sortCol1": "Region"}}),
            "sortCol1 'Region'",
        ),
        (
            json!({"runtime_sort": {"sortCol1": "Sales", "asc1": "yes"}}),
            "asc1 must be a boolean",
        ),
        (
            json!({"runtime_sort": {"sortCol2": "Sales"}}),
            "unexpected key 'sortCol2'",
        ),
        (json!({"runtime_sort": ["Sales"]}), "must be an object"),
        (
            json!({"runtime_param_override": {"param1": "Nope", "paramVal1": 1}}),
            "param1 'Nope' is not a parameter of Retail Sales",
        ),
        (
            json!({"runtime_param_override": {"param1": "Discount Rate", "paramVal1": "x"}}),
            "must be a DOUBLE",
        ),
        (
            json!({"runtime_param_override": {"param1": "Discount Rate", "paramVal1": 3}}),
            "outside the range",
        ),
        (
            json!({"runtime_param_override": {"param1": "Discount Rate"}}),
            "has no paramVal1",
        ),
    ] {
        let (status, body) = call(&emu, &token, "searchdata", search(query, extra.clone())).await;
        assert_eq!(status, 400, "{extra}: {body}");
        let (_, debug) = v2_error(&body);
        assert!(debug.contains(expected), "{extra}: {debug}");
    }
    // Stores defines no parameter.
    let (status, body) = call(
        &emu,
        &token,
        "searchdata",
        json!({
            "query_string": "[Store ID]", "logical_table_identifier": ids::STORES,
            "runtime_param_override": {"param1": "Discount Rate", "paramVal1": 0.1}
        }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn answers_and_liveboards_take_the_sort_and_parameters_too() {
    let emu = modern().await;
    let token = v2_token(&emu).await;
    let (status, body) = call(
        &emu,
        &token,
        "metadata/answer/data",
        json!({
            "metadata_identifier": ids::ANSWER_SALES_BY_PRODUCT, "record_size": 100,
            "runtime_sort": {"sortCol1": "Quantity", "asc1": false}
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let quantities: Vec<i64> = rows(&body).iter().map(|r| r[2].as_i64().unwrap()).collect();
    assert!(
        quantities.windows(2).all(|w| w[0] >= w[1]),
        "{quantities:?}"
    );

    let liveboard = |extra: Value| {
        let mut body = json!({
            "metadata_identifier": ids::RETAIL_PINBOARD,
            "visualization_identifiers": [ids::VIZ_SALES_BY_REGION],
            "record_size": 10,
        });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let (status, body) = call(
        &emu,
        &token,
        "metadata/liveboard/data",
        liveboard(json!({"runtime_sort": {"sortCol1": "Sales", "asc1": false}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let sales: Vec<f64> = rows(&body).iter().map(|r| r[1].as_f64().unwrap()).collect();
    assert!(sales.windows(2).all(|w| w[0] >= w[1]), "{sales:?}");
    for extra in [
        json!({"runtime_sort": {"sortCol1": "Nope"}}),
        json!({"runtime_param_override": {"param1": "Nope", "paramVal1": 1}}),
    ] {
        let (status, body) = call(
            &emu,
            &token,
            "metadata/liveboard/data",
            liveboard(extra.clone()),
        )
        .await;
        assert_eq!(status, 400, "{extra}: {body}");
        let (_, debug) = v2_error(&body);
        assert!(debug.contains("'Nope' is in no visualization"), "{debug}");
    }
}
