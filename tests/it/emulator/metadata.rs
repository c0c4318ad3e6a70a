//! `metadata/listobjectheaders`, `listvizheaders` and `details` over real HTTP (wire-protocol §1.4, §2.9–§2.11).

use crate::common::*;

use std::collections::BTreeSet;

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use tsexport_emulator::ids;
use tsexport_emulator::{Emulator, Profile};

async fn get(emu: &Emulator, client: &Client, path: &str, query: &[(&str, &str)]) -> Response {
    v1(client.get(url(emu, path)))
        .query(query)
        .send()
        .await
        .expect("request")
}

/// `listobjectheaders` with `query`; asserts 200 and a bare JSON array.
async fn headers(emu: &Emulator, client: &Client, query: &[(&str, &str)]) -> Vec<Value> {
    let r = get(emu, client, "metadata/listobjectheaders", query).await;
    assert_eq!(r.status(), StatusCode::OK, "listobjectheaders {query:?}");
    match r.json::<Value>().await.expect("JSON body") {
        Value::Array(items) => items,
        other => panic!("listobjectheaders {query:?} is not a bare array: {other}"),
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|h| h["name"].as_str().expect("name").to_string())
        .collect()
}

fn id_list(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The nine keys every slim header has (wire-protocol §2.9); `description` may come on top.
const HEADER_KEYS: [&str; 9] = [
    "id",
    "name",
    "author",
    "created",
    "modified",
    "modifiedBy",
    "owner",
    "isAutoCreated",
    "isAutoDelete",
];

/// name -> GUID of every user, from `listobjectheaders?type=USER`.
async fn user_guids(emu: &Emulator, client: &Client) -> std::collections::HashMap<String, String> {
    headers(emu, client, &[("type", "USER")])
        .await
        .into_iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_string(),
                u["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// listobjectheaders

#[tokio::test]
async fn every_type_lists_slim_headers() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let expected: [(&str, &str); 9] = [
        ("QUESTION_ANSWER_BOOK", "Sales by Product"),
        ("PINBOARD_ANSWER_BOOK", "Retail Overview"),
        ("LOGICAL_TABLE", "Retail Sales"),
        ("LOGICAL_COLUMN", "Order Line ID"),
        ("LOGICAL_RELATIONSHIP", "Sales Fact to Stores"),
        ("TAG", "certified"),
        ("DATA_SOURCE", "Retail Warehouse"),
        ("USER", "tsadmin"),
        ("USER_GROUP", "Analyst"),
    ];
    let mut all_ids = BTreeSet::new();
    for (object_type, member) in expected {
        let items = headers(&emu, &client, &[("type", object_type)]).await;
        assert!(
            names(&items).contains(&member.to_string()),
            "{object_type} lacks {member}: {:?}",
            names(&items)
        );
        for h in &items {
            let id = h["id"].as_str().expect("id");
            assert_eq!(id.len(), 36, "{object_type}: {h}");
            assert!(all_ids.insert(id.to_string()), "id {id} listed twice");
            assert_eq!(h["owner"], h["id"], "{object_type}: owner == id: {h}");
            for key in ["created", "modified"] {
                let ms = h[key].as_i64().unwrap_or_else(|| panic!("{key}: {h}"));
                assert!(ms > 1_000_000_000_000, "{object_type} {key} in ms: {h}");
            }
            assert!(h["author"].as_str().is_some_and(|a| a.len() == 36), "{h}");
            assert!(
                h["modifiedBy"].as_str().is_some_and(|a| a.len() == 36),
                "{h}"
            );
            assert!(h["isAutoCreated"].is_boolean() && h["isAutoDelete"].is_boolean());
        }
    }
}

#[tokio::test]
async fn object_headers_have_exactly_the_spec_keys() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let base = set(&HEADER_KEYS);
    let mut with_description = base.clone();
    with_description.insert("description".into());
    let (mut with, mut without) = (0, 0);
    for object_type in [
        "QUESTION_ANSWER_BOOK",
        "PINBOARD_ANSWER_BOOK",
        "LOGICAL_TABLE",
        "LOGICAL_COLUMN",
        "LOGICAL_RELATIONSHIP",
        "TAG",
        "DATA_SOURCE",
    ] {
        for h in headers(&emu, &client, &[("type", object_type)]).await {
            let k = keys(&h);
            if k == with_description {
                assert!(h["description"].is_string(), "{h}");
                with += 1;
            } else {
                assert_eq!(k, base, "{object_type}: unexpected keys in {h}");
                without += 1;
            }
        }
    }
    assert!(with > 0 && without > 0, "description is sometimes absent");
    // USER headers carry the four keys ThoughtSpot's sync tool reads on top (wire-protocol §2.9).
    for h in headers(&emu, &client, &[("type", "USER")]).await {
        let k = keys(&h);
        assert!(k.is_superset(&base), "{h}");
        for extra in ["displayName", "mail", "groupNames", "visibility"] {
            assert!(k.contains(extra), "USER header lacks {extra}: {h}");
        }
        assert!(!k.contains("isDeleted") && !k.contains("tags"), "{h}");
    }
}

#[tokio::test]
async fn description_presence_follows_the_fixture() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let tables = headers(&emu, &client, &[("type", "LOGICAL_TABLE")]).await;
    let by_name = |n: &str| tables.iter().find(|h| h["name"] == n).unwrap().clone();
    assert_eq!(
        by_name("Retail Sales")["description"],
        "Order-line worksheet over Sales Fact and Stores"
    );
    assert!(by_name("Regional Sales View").get("description").is_none());
    assert_eq!(by_name("Returns SQL View")["description"], "");
}

#[tokio::test]
async fn rich_object_headers_switch_adds_fields() {
    let profile = with_settings(Profile::v2021(), &["rich_object_headers=true"]);
    let emu = start(1000, profile).await;
    let client = login(&emu).await;
    let guids = user_guids(&emu, &client).await;
    let tables = headers(&emu, &client, &[("type", "LOGICAL_TABLE")]).await;
    for h in &tables {
        for key in [
            "isDeleted",
            "isHidden",
            "tags",
            "authorName",
            "authorDisplayName",
        ] {
            assert!(h.get(key).is_some(), "rich header lacks {key}: {h}");
        }
        assert_eq!(h["isDeleted"], false);
        let author = h["authorName"].as_str().unwrap();
        assert_eq!(h["author"].as_str(), guids.get(author).map(String::as_str));
    }
    let retail = tables.iter().find(|h| h["id"] == RETAIL).unwrap();
    assert_eq!(retail["authorName"], "tsadmin");
    assert_eq!(retail["authorDisplayName"], "Administrator");
    let tag_names: BTreeSet<&str> = retail["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tag_names, BTreeSet::from(["retail", "certified"]));
    let certified = retail["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "certified")
        .unwrap();
    assert_eq!(certified["id"], ids::TAG_CERTIFIED);
    let view = tables
        .iter()
        .find(|h| h["id"] == ids::REGIONAL_VIEW)
        .unwrap();
    assert_eq!(view["authorName"], "alice");

    // Without the switch none of them appear.
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    for h in headers(&emu, &client, &[("type", "LOGICAL_TABLE")]).await {
        assert!(h.get("isDeleted").is_none() && h.get("authorName").is_none());
    }
}

#[tokio::test]
async fn subtypes_filter_in_every_spelling() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    for spelling in [
        r#"["WORKSHEET"]"#,
        "['WORKSHEET']",
        "[WORKSHEET]",
        "WORKSHEET",
    ] {
        let items = headers(
            &emu,
            &client,
            &[("type", "LOGICAL_TABLE"), ("subtypes", spelling)],
        )
        .await;
        assert_eq!(
            names(&items),
            vec!["Retail Sales", "TS: BI Server"],
            "subtypes={spelling}"
        );
    }
    let items = headers(
        &emu,
        &client,
        &[
            ("type", "LOGICAL_TABLE"),
            ("subtypes", r#"["ONE_TO_ONE_LOGICAL", "SQL_VIEW"]"#),
        ],
    )
    .await;
    assert_eq!(
        names(&items).into_iter().collect::<BTreeSet<_>>(),
        set(&["Sales Fact", "Stores", "Returns SQL View"])
    );
    // `[]` means "not given".
    let all = headers(&emu, &client, &[("type", "LOGICAL_TABLE")]).await;
    let empty = headers(
        &emu,
        &client,
        &[("type", "LOGICAL_TABLE"), ("subtypes", "[]")],
    )
    .await;
    assert_eq!(all.len(), 7);
    assert_eq!(empty, all);
}

#[tokio::test]
async fn invalid_type_is_500_and_invalid_subtype_400() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let r = get(
        &emu,
        &client,
        "metadata/listobjectheaders",
        &[("type", "SPREADSHEET")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10000);
    assert!(debug.contains("Invalid metadata type"), "{debug}");

    let r = get(
        &emu,
        &client,
        "metadata/listobjectheaders",
        &[("type", "LOGICAL_TABLE"), ("subtypes", r#"["PINBOARD"]"#)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10002);
    assert!(debug.contains("Invalid metadata subtype"), "{debug}");
}

#[tokio::test]
async fn category_my_and_favorite() {
    let emu = start(1000, Profile::v2021()).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let admin = login(&emu).await;
    let guids = user_guids(&emu, &admin).await;
    let mine = headers(
        &emu,
        &alice,
        &[("type", "LOGICAL_TABLE"), ("category", "MY")],
    )
    .await;
    assert_eq!(names(&mine), vec!["Regional Sales View"]);
    let mut all_mine = Vec::new();
    for object_type in [
        "PINBOARD_ANSWER_BOOK",
        "QUESTION_ANSWER_BOOK",
        "LOGICAL_COLUMN",
    ] {
        let items = headers(&emu, &alice, &[("type", object_type), ("category", "MY")]).await;
        for h in &items {
            assert_eq!(h["author"].as_str(), Some(guids["alice"].as_str()), "{h}");
        }
        all_mine.extend(names(&items));
    }
    assert_eq!(
        all_mine,
        ["Store Footprint", "Sales by Product", "Net Sales"]
    );
    // The admin's own pinboards are a different set.
    let admin_pinboards = headers(
        &emu,
        &admin,
        &[("type", "PINBOARD_ANSWER_BOOK"), ("category", "MY")],
    )
    .await;
    assert_eq!(names(&admin_pinboards), vec!["Retail Overview"]);

    let fav = headers(
        &emu,
        &alice,
        &[("type", "LOGICAL_TABLE"), ("category", "FAVORITE")],
    )
    .await;
    assert_eq!(names(&fav), vec!["Retail Sales"]);
    let fav = headers(
        &emu,
        &admin,
        &[("type", "PINBOARD_ANSWER_BOOK"), ("category", "FAVORITE")],
    )
    .await;
    assert_eq!(id_list(&fav), vec![PINBOARD]);
    let fav = headers(
        &emu,
        &admin,
        &[("type", "LOGICAL_TABLE"), ("category", "FAVORITE")],
    )
    .await;
    assert!(fav.is_empty(), "{fav:?}");
    // ALL is everything.
    let all = headers(
        &emu,
        &alice,
        &[("type", "LOGICAL_TABLE"), ("category", "ALL")],
    )
    .await;
    assert_eq!(all.len(), 7);
}

#[tokio::test]
async fn pattern_with_and_without_wildcard() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let find = |pattern: &'static str| {
        let (emu, client) = (&emu, &client);
        async move {
            let items = headers(
                emu,
                client,
                &[("type", "LOGICAL_TABLE"), ("pattern", pattern)],
            )
            .await;
            names(&items).into_iter().collect::<BTreeSet<_>>()
        }
    };
    assert_eq!(find("retail%").await, set(&["Retail Sales"]));
    assert_eq!(find("RETAIL%").await, set(&["Retail Sales"]));
    assert_eq!(
        find("%sales%").await,
        set(&["Sales Fact", "Retail Sales", "Regional Sales View"])
    );
    assert_eq!(
        find("%view").await,
        set(&["Regional Sales View", "Returns SQL View"])
    );
    assert_eq!(find("s%s").await, set(&["Stores"]));
    // Without % the whole name must match (case-insensitively).
    assert_eq!(find("Retail Sales").await, set(&["Retail Sales"]));
    assert_eq!(find("retail sales").await, set(&["Retail Sales"]));
    assert!(find("Retail").await.is_empty());
    assert!(find("%nothing like it%").await.is_empty());
}

#[tokio::test]
async fn tagname_filter() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let tagged = |tags: &'static str| {
        let (emu, client) = (&emu, &client);
        async move {
            let items = headers(emu, client, &[("type", "LOGICAL_TABLE"), ("tagname", tags)]).await;
            names(&items).into_iter().collect::<BTreeSet<_>>()
        }
    };
    assert_eq!(tagged(r#"["certified"]"#).await, set(&["Retail Sales"]));
    assert_eq!(
        tagged(r#"["retail"]"#).await,
        set(&["Stores", "Retail Sales", "Regional Sales View"])
    );
    assert_eq!(tagged("certified").await, set(&["Retail Sales"]));
    assert!(tagged(r#"["no-such-tag"]"#).await.is_empty());
    let pinboards = headers(
        &emu,
        &client,
        &[
            ("type", "PINBOARD_ANSWER_BOOK"),
            ("tagname", "['certified']"),
        ],
    )
    .await;
    assert_eq!(names(&pinboards), vec!["Retail Overview"]);
}

#[tokio::test]
async fn fetchids_and_skipids() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let fetch = format!(r#"["{RETAIL}", "{}"]"#, ids::STORES);
    let items = headers(
        &emu,
        &client,
        &[("type", "LOGICAL_TABLE"), ("fetchids", &fetch)],
    )
    .await;
    assert_eq!(
        id_list(&items).into_iter().collect::<BTreeSet<_>>(),
        set(&[RETAIL, ids::STORES])
    );
    let skip = format!("[{RETAIL}]");
    let items = headers(
        &emu,
        &client,
        &[("type", "LOGICAL_TABLE"), ("skipids", &skip)],
    )
    .await;
    assert_eq!(items.len(), 6);
    assert!(!id_list(&items).contains(&RETAIL.to_string()));
    // Both: fetch two, skip one of them.
    let items = headers(
        &emu,
        &client,
        &[
            ("type", "LOGICAL_TABLE"),
            ("fetchids", &fetch),
            ("skipids", &skip),
        ],
    )
    .await;
    assert_eq!(id_list(&items), vec![ids::STORES]);
    // Ids of another type are not found under this type.
    let items = headers(
        &emu,
        &client,
        &[("type", "LOGICAL_TABLE"), ("fetchids", PINBOARD)],
    )
    .await;
    assert!(items.is_empty());
}

#[tokio::test]
async fn sort_by_name_and_created() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let sorted = |sort: &'static str, ascending: &'static str| {
        let (emu, client) = (&emu, &client);
        async move {
            headers(
                emu,
                client,
                &[
                    ("type", "LOGICAL_TABLE"),
                    ("sort", sort),
                    ("sortascending", ascending),
                ],
            )
            .await
        }
    };
    let up = names(&sorted("NAME", "true").await);
    let mut want = up.clone();
    want.sort_by_key(|n| n.to_lowercase());
    assert_eq!(up, want);
    let down = names(&sorted("NAME", "false").await);
    want.reverse();
    assert_eq!(down, want);
    assert_eq!(down.first().map(String::as_str), Some("TS: BI Server"));

    let created = |items: &[Value]| -> Vec<i64> {
        items
            .iter()
            .map(|h| h["created"].as_i64().unwrap())
            .collect()
    };
    let up = created(&sorted("CREATED", "true").await);
    let down = created(&sorted("CREATED", "false").await);
    assert!(up.windows(2).all(|w| w[0] < w[1]), "{up:?}");
    assert!(down.windows(2).all(|w| w[0] > w[1]), "{down:?}");
    let mut reversed = up.clone();
    reversed.reverse();
    assert_eq!(down, reversed);
}

#[tokio::test]
async fn offset_and_batchsize_tile_the_list() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let base = [("type", "LOGICAL_COLUMN"), ("sort", "NAME")];
    let full = headers(&emu, &client, &base).await;
    let explicit = headers(
        &emu,
        &client,
        &[base[0], base[1], ("offset", "-1"), ("batchsize", "-1")],
    )
    .await;
    assert_eq!(explicit, full, "-1 means unset");
    assert!(full.len() > 10, "enough columns to page: {}", full.len());
    for batch in [1usize, 3, 7] {
        let mut tiled = Vec::new();
        let mut offset = 0;
        loop {
            let (o, b) = (offset.to_string(), batch.to_string());
            let page = headers(
                &emu,
                &client,
                &[base[0], base[1], ("offset", &o), ("batchsize", &b)],
            )
            .await;
            assert!(page.len() <= batch);
            if page.is_empty() {
                break;
            }
            let short = page.len() < batch;
            offset += page.len();
            tiled.extend(page);
            if short {
                break;
            }
        }
        assert_eq!(tiled, full, "batchsize {batch} tiles the list exactly");
    }
    let past = headers(
        &emu,
        &client,
        &[base[0], base[1], ("offset", "100000"), ("batchsize", "5")],
    )
    .await;
    assert!(past.is_empty());
    let r = get(
        &emu,
        &client,
        "metadata/listobjectheaders",
        &[base[0], ("batchsize", "0")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------
// listvizheaders

async fn vizzes(emu: &Emulator, client: &Client, id: &str) -> Vec<Value> {
    let r = get(emu, client, "metadata/listvizheaders", &[("id", id)]).await;
    assert_eq!(r.status(), StatusCode::OK, "listvizheaders {id}");
    r.json::<Vec<Value>>().await.expect("JSON array")
}

#[tokio::test]
async fn viz_headers_of_a_pinboard() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let guids = user_guids(&emu, &client).await;
    let items = vizzes(&emu, &client, PINBOARD).await;
    assert_eq!(
        id_list(&items),
        vec![
            ids::VIZ_ORDER_LINES,
            ids::VIZ_SALES_BY_REGION,
            ids::VIZ_TOTAL_SALES,
            ids::VIZ_REGION_FILTER
        ]
    );
    for v in &items {
        assert_eq!(v["owner"], PINBOARD, "owner is the container: {v}");
        assert_eq!(v["author"].as_str(), Some(guids["tsadmin"].as_str()));
        assert!(v["created"].as_i64().unwrap() > 1_000_000_000_000);
        let kind = v["vizType"].as_str().expect("vizType");
        if kind == "FILTER" {
            assert!(v.get("size").is_none() && v.get("title").is_none(), "{v}");
        } else {
            assert!(["xs", "ms", "m", "ls", "l"].contains(&v["size"].as_str().unwrap()));
            assert_eq!(v["title"]["value"]["text"], v["name"], "{v}");
        }
    }
    let kinds: Vec<&str> = items
        .iter()
        .map(|v| v["vizType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["TABLE", "CHART", "HEADLINE", "FILTER"]);
}

#[tokio::test]
async fn viz_headers_of_an_answer() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let items = vizzes(&emu, &client, ids::ANSWER_SALES_BY_PRODUCT).await;
    assert_eq!(items.len(), 2);
    for v in &items {
        assert_eq!(v["owner"], ids::ANSWER_SALES_BY_PRODUCT);
    }
}

#[tokio::test]
async fn basic_viz_headers_without_rich_switch() {
    let profile = with_settings(Profile::v2021(), &["rich_viz_headers=false"]);
    let emu = start(1000, profile).await;
    let client = login(&emu).await;
    let items = vizzes(&emu, &client, PINBOARD).await;
    assert_eq!(items.len(), 4);
    let basic = set(&[
        "id",
        "name",
        "author",
        "created",
        "modified",
        "modifiedBy",
        "owner",
    ]);
    for v in &items {
        assert_eq!(keys(v), basic, "{v}");
    }
}

#[tokio::test]
async fn viz_headers_of_unknown_id_is_400() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    for id in ["00000000-0000-0000-0000-000000000000", RETAIL, ""] {
        let r = get(&emu, &client, "metadata/listvizheaders", &[("id", id)]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "id {id:?}");
        assert_eq!(error_body(r).await.0, 10002);
    }
}

// ---------------------------------------------------------------------------------------------
// metadata/details

async fn details(emu: &Emulator, client: &Client, query: &[(&str, &str)]) -> Value {
    let r = get(emu, client, "metadata/details", query).await;
    assert_eq!(r.status(), StatusCode::OK, "details {query:?}");
    r.json().await.expect("JSON")
}

fn column_names(storable: &Value) -> Vec<String> {
    storable["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["header"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn details_of_the_worksheet_give_column_types() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let id = format!(r#"["{RETAIL}"]"#);
    let body = details(&emu, &client, &[("type", "LOGICAL_TABLE"), ("id", &id)]).await;
    assert_eq!(body["debugInfo"], serde_json::json!({}));
    let storables = body["storables"].as_array().expect("storables");
    assert_eq!(storables.len(), 1);
    let ws = &storables[0];
    assert_eq!(ws["header"]["id"], RETAIL);
    assert_eq!(ws["header"]["name"], "Retail Sales");
    assert_eq!(ws["type"], "WORKSHEET");
    let columns = ws["columns"].as_array().unwrap();
    let types: BTreeSet<&str> = columns
        .iter()
        .map(|c| c["dataType"].as_str().expect("dataType"))
        .collect();
    for t in [
        "VARCHAR",
        "INT32",
        "INT64",
        "DOUBLE",
        "FLOAT",
        "BOOL",
        "DATE",
        "DATE_TIME",
        "TIME",
    ] {
        assert!(types.contains(t), "no {t} column: {types:?}");
    }
    let by_name = |n: &str| columns.iter().find(|c| c["header"]["name"] == n).unwrap();
    assert_eq!(by_name("Sales")["dataType"], "DOUBLE");
    assert_eq!(by_name("Sales")["type"], "MEASURE");
    assert_eq!(by_name("Sales")["defaultAggrType"], "SUM");
    assert_eq!(by_name("Region")["dataType"], "VARCHAR");
    assert_eq!(by_name("Region")["type"], "ATTRIBUTE");
    assert_eq!(by_name("Order Date")["dataType"], "DATE");
    assert_eq!(by_name("Ship Time")["dataType"], "DATE_TIME");
    for c in columns {
        assert_eq!(c["header"]["isHidden"], false, "{c}");
        assert_eq!(c["header"]["id"].as_str().map(str::len), Some(36), "{c}");
    }
    assert!(!column_names(ws).contains(&"Internal Cost".to_string()));
}

#[tokio::test]
async fn details_show_hidden_columns_on_request() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let plain = details(&emu, &client, &[("type", "LOGICAL_TABLE"), ("id", RETAIL)]).await;
    let hidden = details(
        &emu,
        &client,
        &[
            ("type", "LOGICAL_TABLE"),
            ("id", RETAIL),
            ("showhidden", "true"),
        ],
    )
    .await;
    let (plain, hidden) = (&plain["storables"][0], &hidden["storables"][0]);
    assert_eq!(
        column_names(hidden).len(),
        column_names(plain).len() + 1,
        "exactly one hidden column"
    );
    let cost = hidden["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["header"]["name"] == "Internal Cost")
        .expect("Internal Cost with showhidden=true");
    assert_eq!(cost["header"]["isHidden"], true);
    assert!(!column_names(plain).contains(&"Internal Cost".to_string()));
}

#[tokio::test]
async fn details_of_several_ids_in_one_call() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let id = format!("['{}','{RETAIL}']", ids::STORES);
    let body = details(&emu, &client, &[("type", "LOGICAL_TABLE"), ("id", &id)]).await;
    let storables = body["storables"].as_array().unwrap();
    let got: Vec<&str> = storables
        .iter()
        .map(|s| s["header"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids::STORES, RETAIL]);
    assert!(column_names(&storables[0]).contains(&"Store Name".to_string()));
    assert!(column_names(&storables[1]).contains(&"Order Line ID".to_string()));
}

#[tokio::test]
async fn details_of_unknown_id_is_400() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let unknown = "00000000-0000-0000-0000-000000000000";
    for id in [
        format!(r#"["{unknown}"]"#),
        format!(r#"["{RETAIL}", "{unknown}"]"#),
        format!(r#"["{PINBOARD}"]"#),
        "[]".to_string(),
    ] {
        let r = get(
            &emu,
            &client,
            "metadata/details",
            &[("type", "LOGICAL_TABLE"), ("id", &id)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "id={id}");
        assert_eq!(error_body(r).await.0, 10002, "id={id}");
    }
}
