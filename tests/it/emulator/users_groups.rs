//! `user/*` and `group/*privilege` over real HTTP (wire-protocol §2.12–§2.16).

use crate::common::*;

use std::collections::{BTreeSet, HashMap};

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tsexport_emulator::ids;
use tsexport_emulator::{Emulator, Profile};

async fn user_list(emu: &Emulator, client: &Client) -> Vec<Value> {
    let r = v1(client.get(url(emu, "user/list"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "user/list");
    r.json().await.expect("user/list JSON array")
}

fn principal<'a>(list: &'a [Value], name: &str, kind: &str) -> Option<&'a Value> {
    list.iter()
        .find(|p| p["name"] == name && p["principalTypeEnum"] == kind)
}

fn user_names(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter(|p| p["principalTypeEnum"] == "LOCAL_USER")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn group_names(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .filter(|p| p["principalTypeEnum"] == "LOCAL_GROUP")
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `listobjectheaders` with `query`, as admin.
async fn headers(emu: &Emulator, client: &Client, query: &[(&str, &str)]) -> Vec<Value> {
    let r = v1(client.get(url(emu, "metadata/listobjectheaders")))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "listobjectheaders {query:?}");
    r.json().await.unwrap()
}

/// name -> GUID of every user, from `listobjectheaders?type=USER` (user/list has no ids).
async fn user_guids(emu: &Emulator, client: &Client) -> HashMap<String, String> {
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

/// object id -> author GUID for all objects of the types an ownership transfer can touch.
async fn authors(emu: &Emulator, client: &Client) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for object_type in [
        "LOGICAL_TABLE",
        "PINBOARD_ANSWER_BOOK",
        "QUESTION_ANSWER_BOOK",
        "LOGICAL_COLUMN",
        "LOGICAL_RELATIONSHIP",
        "TAG",
        "DATA_SOURCE",
    ] {
        for h in headers(emu, client, &[("type", object_type)]).await {
            out.insert(
                h["id"].as_str().unwrap().to_string(),
                h["author"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

async fn session_privileges(emu: &Emulator, client: &Client) -> BTreeSet<String> {
    let r = v1(client.get(url(emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let info: Value = r.json().await.unwrap();
    info["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

async fn try_login(emu: &Emulator, user: &str, password: &str) -> StatusCode {
    v1(client().post(url(emu, "session/login")))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
}

// ---------------------------------------------------------------------------------------------
// user/list

#[tokio::test]
async fn user_list_has_builtins_and_no_ids() {
    let emu = start(1000, Profile::v2021()).await;
    let list = user_list(&emu, &login(&emu).await).await;
    for (name, kind) in [
        ("tsadmin", "LOCAL_USER"),
        ("su", "LOCAL_USER"),
        ("system", "LOCAL_USER"),
        ("All", "LOCAL_GROUP"),
        ("Administrator", "LOCAL_GROUP"),
        ("System", "LOCAL_GROUP"),
        ("Analyst", "LOCAL_GROUP"),
    ] {
        assert!(
            principal(&list, name, kind).is_some(),
            "{kind} {name} missing"
        );
    }
    for p in &list {
        assert!(p.get("id").is_none(), "user/list has no id: {p}");
        assert_eq!(p["activate"], false, "{p}");
        for key in [
            "name",
            "displayName",
            "created",
            "modified",
            "principalTypeEnum",
            "groupNames",
            "visibility",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
        assert!(
            p["created"].as_i64().unwrap() > 1_000_000_000_000,
            "ms: {p}"
        );
        let is_user = p["principalTypeEnum"] == "LOCAL_USER";
        assert_eq!(p.get("mail").is_some(), is_user, "mail on users only: {p}");
    }
    let alice = principal(&list, "alice", "LOCAL_USER").unwrap();
    let groups: BTreeSet<&str> = alice["groupNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert!(groups.contains("Analyst"), "{alice}");
}

#[tokio::test]
async fn user_list_needs_admin() {
    let emu = start(1000, Profile::v2021()).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = v1(alice.get(url(&emu, "user/list"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(r).await.0, 10003);
}

// ---------------------------------------------------------------------------------------------
// user/sync

fn principals_part(principals: &Value) -> Part {
    Part::bytes(serde_json::to_vec(principals).unwrap())
        .file_name("principals.json")
        .mime_str("application/json")
        .unwrap()
}

async fn sync(
    emu: &Emulator,
    client: &Client,
    principals: &Value,
    fields: &[(&str, &str)],
) -> Response {
    let mut form = Form::new().part("principals", principals_part(principals));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    v1(client.post(url(emu, "user/sync")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// `user/sync`, asserting 200 and the six-key answer.
async fn sync_ok(
    emu: &Emulator,
    client: &Client,
    principals: &Value,
    fields: &[(&str, &str)],
) -> Value {
    let r = sync(emu, client, principals, fields).await;
    assert_eq!(r.status(), StatusCode::OK, "user/sync {fields:?}");
    let body: Value = r.json().await.unwrap();
    let keys: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "usersAdded",
            "usersDeleted",
            "usersUpdated",
            "groupsAdded",
            "groupsDeleted",
            "groupsUpdated"
        ]),
        "{body}"
    );
    body
}

fn names_of(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn user(name: &str, groups: &[&str]) -> Value {
    json!({"name": name, "displayName": name, "principalTypeEnum": "LOCAL_USER", "groupNames": groups})
}

fn group(name: &str) -> Value {
    json!({"name": name, "displayName": name, "principalTypeEnum": "LOCAL_GROUP", "groupNames": []})
}

/// The fixture's own non-built-in principals, unchanged, so a sync with them deletes nothing.
fn fixture_principals() -> Vec<Value> {
    vec![
        json!({"name": "alice", "principalTypeEnum": "LOCAL_USER", "groupNames": ["All", "Analyst"]}),
        json!({"name": "bob", "principalTypeEnum": "LOCAL_USER", "groupNames": ["All", "Sales Team"]}),
        json!({"name": "carol", "principalTypeEnum": "LOCAL_USER", "groupNames": ["All", "Data Engineering"]}),
        json!({"name": "mfa.user", "principalTypeEnum": "LOCAL_USER", "groupNames": ["All", "Analyst"]}),
        json!({"name": "Sales Team", "principalTypeEnum": "LOCAL_GROUP", "groupNames": ["Analyst"]}),
        json!({"name": "Data Engineering", "principalTypeEnum": "LOCAL_GROUP", "groupNames": []}),
    ]
}

#[tokio::test]
async fn sync_is_a_dry_run_by_default() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let before = user_list(&emu, &admin).await;
    let principals = json!([user("zed", &["Field Ops"]), group("Field Ops")]);
    let diff = sync_ok(&emu, &admin, &principals, &[("password", "zed-pw")]).await;
    assert_eq!(names_of(&diff["usersAdded"]), set(&["zed"]));
    assert_eq!(names_of(&diff["groupsAdded"]), set(&["Field Ops"]));
    // removeDeleted defaults to true: the diff would delete the fixture's own people.
    assert_eq!(
        names_of(&diff["usersDeleted"]),
        set(&["alice", "bob", "carol", "mfa.user"])
    );
    assert_eq!(
        names_of(&diff["groupsDeleted"]),
        set(&["Sales Team", "Data Engineering"])
    );
    let after = user_list(&emu, &admin).await;
    assert_eq!(after, before, "a dry run changes nothing");
    assert_eq!(try_login(&emu, "zed", "zed-pw").await, 401);
    // applyChanges=false said out loud is the same.
    sync_ok(&emu, &admin, &principals, &[("applyChanges", "false")]).await;
    assert_eq!(user_list(&emu, &admin).await, before);
}

#[tokio::test]
async fn sync_applies_adds_and_updates() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let mut principals = fixture_principals();
    principals[0]["displayName"] = "Alice Renamed".into();
    principals.push(user("zed", &["Field Ops"]));
    principals.push(group("Field Ops"));
    let principals = Value::Array(principals);
    let diff = sync_ok(
        &emu,
        &admin,
        &principals,
        &[("applyChanges", "true"), ("password", "zed-pw")],
    )
    .await;
    assert_eq!(names_of(&diff["usersAdded"]), set(&["zed"]));
    assert_eq!(names_of(&diff["usersUpdated"]), set(&["alice"]));
    assert_eq!(names_of(&diff["groupsAdded"]), set(&["Field Ops"]));
    assert!(names_of(&diff["usersDeleted"]).is_empty(), "{diff}");
    assert!(names_of(&diff["groupsDeleted"]).is_empty(), "{diff}");

    let list = user_list(&emu, &admin).await;
    let zed = principal(&list, "zed", "LOCAL_USER").expect("zed added");
    let groups = names_of(&zed["groupNames"]);
    assert!(
        groups.contains("Field Ops") && groups.contains("All"),
        "{zed}"
    );
    assert!(principal(&list, "Field Ops", "LOCAL_GROUP").is_some());
    assert_eq!(
        principal(&list, "alice", "LOCAL_USER").unwrap()["displayName"],
        "Alice Renamed"
    );
    // The new user logs in with the `password` part.
    assert_eq!(try_login(&emu, "zed", "zed-pw").await, 204);
    assert_eq!(try_login(&emu, "zed", "wrong").await, 401);
    // A second identical sync changes nothing.
    let again = sync_ok(&emu, &admin, &principals, &[("applyChanges", "true")]).await;
    for key in ["usersAdded", "usersUpdated", "usersDeleted", "groupsAdded"] {
        assert!(names_of(&again[key]).is_empty(), "{key}: {again}");
    }
}

#[tokio::test]
async fn sync_removes_missing_principals_by_default() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let guids = user_guids(&emu, &admin).await;
    let carol = login_as(&emu, "carol", "carol").await;
    let principals = json!([
        {"name": "alice", "principalTypeEnum": "LOCAL_USER", "groupNames": ["Analyst"]},
        {"name": "bob", "principalTypeEnum": "LOCAL_USER", "groupNames": ["Sales Team"]},
        {"name": "Sales Team", "principalTypeEnum": "LOCAL_GROUP", "groupNames": ["Analyst"]},
    ]);
    let diff = sync_ok(&emu, &admin, &principals, &[("applyChanges", "true")]).await;
    assert_eq!(names_of(&diff["usersDeleted"]), set(&["carol", "mfa.user"]));
    assert_eq!(names_of(&diff["groupsDeleted"]), set(&["Data Engineering"]));
    let list = user_list(&emu, &admin).await;
    assert_eq!(
        user_names(&list),
        set(&["tsadmin", "su", "system", "alice", "bob"]),
        "built-ins are never deleted"
    );
    assert_eq!(
        group_names(&list),
        set(&["All", "Administrator", "System", "Analyst", "Sales Team"])
    );
    // Carol's objects now belong to tsadmin, and her session is over.
    let headers = headers(&emu, &admin, &[("type", "LOGICAL_TABLE")]).await;
    let returns = headers
        .iter()
        .find(|h| h["id"] == ids::RETURNS_SQL_VIEW)
        .unwrap();
    assert_eq!(returns["author"].as_str(), Some(guids["tsadmin"].as_str()));
    assert_ne!(guids["tsadmin"], guids["carol"]);
    let alice_view = headers
        .iter()
        .find(|h| h["id"] == ids::REGIONAL_VIEW)
        .unwrap();
    assert_eq!(alice_view["author"].as_str(), Some(guids["alice"].as_str()));
    let r = v1(carol.get(url(&emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(try_login(&emu, "carol", "carol").await, 401);
}

#[tokio::test]
async fn sync_ignores_the_remove_delete_typo() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let principals = json!([user("alice", &["Analyst"])]);
    // The Python library's misspelt part is an unknown parameter: the default `true` applies.
    let diff = sync_ok(
        &emu,
        &admin,
        &principals,
        &[("applyChanges", "true"), ("removeDelete", "false")],
    )
    .await;
    assert!(names_of(&diff["usersDeleted"]).contains("bob"), "{diff}");
    let list = user_list(&emu, &admin).await;
    assert!(principal(&list, "bob", "LOCAL_USER").is_none());
    assert!(principal(&list, "alice", "LOCAL_USER").is_some());
}

#[tokio::test]
async fn sync_keeps_missing_principals_with_remove_deleted_false() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let before = user_names(&user_list(&emu, &admin).await);
    let principals = json!([user("zed", &[])]);
    let diff = sync_ok(
        &emu,
        &admin,
        &principals,
        &[("applyChanges", "true"), ("removeDeleted", "false")],
    )
    .await;
    assert!(names_of(&diff["usersDeleted"]).is_empty(), "{diff}");
    assert!(names_of(&diff["groupsDeleted"]).is_empty(), "{diff}");
    let mut want = before.clone();
    want.insert("zed".into());
    assert_eq!(user_names(&user_list(&emu, &admin).await), want);
}

#[tokio::test]
async fn sync_accepts_text_json_and_needs_admin() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let body = serde_json::to_vec(&json!([user("zed", &[])])).unwrap();
    let form = Form::new()
        .part(
            "principals",
            Part::bytes(body.clone())
                .file_name("p.json")
                .mime_str("text/json")
                .unwrap(),
        )
        .text("applyChanges", "true")
        .text("removeDeleted", "false");
    let r = v1(admin.post(url(&emu, "user/sync")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(user_names(&user_list(&emu, &admin).await).contains("zed"));
    let alice = login_as(&emu, "alice", "alice").await;
    let r = sync(&emu, &alice, &json!([]), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn sync_with_bad_json_is_500() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let before = user_list(&emu, &admin).await;
    for bad in [
        &b"{not json"[..],
        br#"{"name": "x"}"#,
        br#"[{"name": "x", "principalTypeEnum": "MARTIAN"}]"#,
    ] {
        let form = Form::new()
            .part(
                "principals",
                Part::bytes(bad.to_vec())
                    .file_name("principals.json")
                    .mime_str("application/json")
                    .unwrap(),
            )
            .text("applyChanges", "true");
        let r = v1(admin.post(url(&emu, "user/sync")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error_body(r).await.0, 10000);
    }
    // A missing principals part is the same failure.
    let r = v1(admin.post(url(&emu, "user/sync")))
        .multipart(Form::new().text("applyChanges", "true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(user_list(&emu, &admin).await, before);
}

#[tokio::test]
async fn sync_in_modern_profile_needs_multipart() {
    let emu = start(1000, Profile::modern()).await;
    let admin = login(&emu).await;
    let principals = serde_json::to_string(&json!([user("zed", &[])])).unwrap();
    let r = v1(admin.post(url(&emu, "user/sync")))
        .form(&[
            ("principals", principals.as_str()),
            ("applyChanges", "true"),
            ("removeDeleted", "false"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(!user_names(&user_list(&emu, &admin).await).contains("zed"));
    // Multipart works there.
    let diff = sync_ok(
        &emu,
        &admin,
        &json!([user("zed", &[])]),
        &[("applyChanges", "true"), ("removeDeleted", "false")],
    )
    .await;
    assert_eq!(names_of(&diff["usersAdded"]), set(&["zed"]));
}

// ---------------------------------------------------------------------------------------------
// user/updatepassword

async fn update_password(emu: &Emulator, client: &Client, form: &[(&str, &str)]) -> Response {
    v1(client.post(url(emu, "user/updatepassword")))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn update_own_password() {
    let emu = start(1000, Profile::v2021()).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = update_password(
        &emu,
        &alice,
        &[
            ("name", "alice"),
            ("currentpassword", "alice"),
            ("password", "alice-2"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(try_login(&emu, "alice", "alice-2").await, 204);
    assert_eq!(try_login(&emu, "alice", "alice").await, 401);
}

#[tokio::test]
async fn update_password_accepts_newpassword() {
    let emu = start(1000, Profile::v2021()).await;
    let bob = login_as(&emu, "bob", "bob").await;
    let r = update_password(
        &emu,
        &bob,
        &[
            ("name", "bob"),
            ("currentpassword", "bob"),
            ("newpassword", "bob-2"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(try_login(&emu, "bob", "bob-2").await, 204);
    assert_eq!(try_login(&emu, "bob", "bob").await, 401);
}

#[tokio::test]
async fn update_password_to_the_same_is_500() {
    let emu = start(1000, Profile::v2021()).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = update_password(
        &emu,
        &alice,
        &[
            ("name", "alice"),
            ("currentpassword", "alice"),
            ("password", "alice"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (_, debug) = error_body(r).await;
    assert!(
        debug.contains("New password cannot be the same as current password"),
        "{debug}"
    );
}

#[tokio::test]
async fn update_password_of_someone_else() {
    let emu = start(1000, Profile::v2021()).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = update_password(
        &emu,
        &alice,
        &[
            ("name", "bob"),
            ("currentpassword", "alice"),
            ("password", "pwned"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(r).await.0, 10003);
    assert_eq!(try_login(&emu, "bob", "bob").await, 204);
    assert_eq!(try_login(&emu, "bob", "pwned").await, 401);
    // An admin may, with the admin's own current password.
    let admin = login(&emu).await;
    let r = update_password(
        &emu,
        &admin,
        &[
            ("name", "bob"),
            ("currentpassword", "admin"),
            ("password", "reset-by-admin"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(try_login(&emu, "bob", "reset-by-admin").await, 204);
    // A wrong current password is refused and changes nothing.
    let r = update_password(
        &emu,
        &admin,
        &[
            ("name", "bob"),
            ("currentpassword", "not-admin"),
            ("password", "again"),
        ],
    )
    .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(try_login(&emu, "bob", "reset-by-admin").await, 204);
}

// ---------------------------------------------------------------------------------------------
// user/transfer/ownership

async fn transfer(emu: &Emulator, client: &Client, query: &[(&str, &str)]) -> Response {
    v1(client.post(url(emu, "user/transfer/ownership")))
        .query(query)
        .send()
        .await
        .unwrap()
}

/// Alice's objects in the fixture.
const ALICE_OBJECTS: [&str; 3] = [
    ids::REGIONAL_VIEW,
    ids::STORES_PINBOARD,
    ids::ANSWER_SALES_BY_PRODUCT,
];

#[tokio::test]
async fn transfer_listed_objects_only() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let guids = user_guids(&emu, &admin).await;
    let before = authors(&emu, &admin).await;
    let list = format!(r#"["{}"]"#, ids::REGIONAL_VIEW);
    let r = transfer(
        &emu,
        &admin,
        &[
            ("fromUserName", "alice"),
            ("toUserName", "bob"),
            ("objectsID", &list),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.bytes().await.unwrap().is_empty());
    let after = authors(&emu, &admin).await;
    assert_eq!(after[ids::REGIONAL_VIEW], guids["bob"]);
    for (id, author) in &before {
        if id != ids::REGIONAL_VIEW {
            assert_eq!(&after[id], author, "{id} must not move");
        }
    }
    assert_eq!(after[ids::STORES_PINBOARD], guids["alice"]);
}

#[tokio::test]
async fn transfer_with_objectid_and_union_of_both() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let guids = user_guids(&emu, &admin).await;
    let r = transfer(
        &emu,
        &admin,
        &[
            ("fromUserName", "alice"),
            ("toUserName", "carol"),
            ("objectid", &format!("['{}']", ids::STORES_PINBOARD)),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let after = authors(&emu, &admin).await;
    assert_eq!(after[ids::STORES_PINBOARD], guids["carol"]);
    assert_eq!(after[ids::REGIONAL_VIEW], guids["alice"]);

    let r = transfer(
        &emu,
        &admin,
        &[
            ("fromUserName", "alice"),
            ("toUserName", "bob"),
            ("objectsID", &format!(r#"["{}"]"#, ids::REGIONAL_VIEW)),
            (
                "objectid",
                &format!(r#"["{}"]"#, ids::ANSWER_SALES_BY_PRODUCT),
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let after = authors(&emu, &admin).await;
    assert_eq!(after[ids::REGIONAL_VIEW], guids["bob"]);
    assert_eq!(after[ids::ANSWER_SALES_BY_PRODUCT], guids["bob"]);
    assert_eq!(after[ids::STORES_PINBOARD], guids["carol"]);
}

#[tokio::test]
async fn transfer_without_list_moves_everything() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let guids = user_guids(&emu, &admin).await;
    let before = authors(&emu, &admin).await;
    let alice_before: BTreeSet<&String> = before
        .iter()
        .filter(|(_, a)| **a == guids["alice"])
        .map(|(id, _)| id)
        .collect();
    for id in ALICE_OBJECTS {
        assert!(alice_before.contains(&id.to_string()), "{id}");
    }
    let r = transfer(
        &emu,
        &admin,
        &[("fromUserName", "alice"), ("toUserName", "bob")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let after = authors(&emu, &admin).await;
    for (id, author) in &before {
        let want = if alice_before.contains(id) {
            &guids["bob"]
        } else {
            author
        };
        assert_eq!(&after[id], want, "{id}");
    }
    assert!(after.values().all(|a| *a != guids["alice"]));
    // Alice's "MY" list is now empty.
    let alice = login_as(&emu, "alice", "alice").await;
    let mine = headers(
        &emu,
        &alice,
        &[("type", "LOGICAL_TABLE"), ("category", "MY")],
    )
    .await;
    assert!(mine.is_empty(), "{mine:?}");
}

#[tokio::test]
async fn transfer_refusals() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let before = authors(&emu, &admin).await;
    for query in [
        [("fromUserName", "nobody"), ("toUserName", "bob")],
        [("fromUserName", "alice"), ("toUserName", "nobody")],
        [("fromUserName", "alice"), ("toUserName", "tsadmin")],
        [("fromUserName", "tsadmin"), ("toUserName", "alice")],
        [("fromUserName", "system"), ("toUserName", "alice")],
        [("fromUserName", "alice"), ("toUserName", "system")],
    ] {
        let r = transfer(&emu, &admin, &query).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query:?}");
        assert_eq!(error_body(r).await.0, 10002, "{query:?}");
    }
    // Missing user names too.
    let r = transfer(&emu, &admin, &[("toUserName", "bob")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(authors(&emu, &admin).await, before, "nothing moved");
    // Only admins may move ownership.
    let alice = login_as(&emu, "alice", "alice").await;
    let r = transfer(
        &emu,
        &alice,
        &[("fromUserName", "alice"), ("toUserName", "bob")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// group/addprivilege and group/removeprivilege

async fn privilege_call(
    emu: &Emulator,
    client: &Client,
    path: &str,
    privilege: &str,
    groups: &str,
) -> Response {
    let form = Form::new()
        .text("privilege", privilege.to_string())
        .text("groupNames", groups.to_string());
    v1(client.post(url(emu, path)))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn privileges_v2021_are_204_and_reach_members() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let carol = login_as(&emu, "carol", "carol").await;
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));

    let r = privilege_call(
        &emu,
        &admin,
        "group/addprivilege",
        "SHAREWITHALL",
        r#"["Analyst"]"#,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.bytes().await.unwrap().is_empty());
    assert!(session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));
    assert!(
        !session_privileges(&emu, &carol)
            .await
            .contains("SHAREWITHALL"),
        "carol is not in Analyst"
    );

    let r = privilege_call(
        &emu,
        &admin,
        "group/removeprivilege",
        "SHAREWITHALL",
        r#"["Analyst"]"#,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.bytes().await.unwrap().is_empty());
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));

    // Removing one the group had from the start.
    assert!(session_privileges(&emu, &alice)
        .await
        .contains("USERDATAUPLOADING"));
    let r = privilege_call(
        &emu,
        &admin,
        "group/removeprivilege",
        "USERDATAUPLOADING",
        "Analyst",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("USERDATAUPLOADING"));
}

#[tokio::test]
async fn privileges_for_several_groups_and_the_all_group() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let carol = login_as(&emu, "carol", "carol").await;
    let r = privilege_call(
        &emu,
        &admin,
        "group/addprivilege",
        "RANALYSIS",
        "['Analyst', 'Data Engineering']",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(session_privileges(&emu, &carol).await.contains("RANALYSIS"));
    // Old docs name the all-users group ALL_GROUP.
    let r = privilege_call(
        &emu,
        &admin,
        "group/addprivilege",
        "A3ANALYSIS",
        "[ALL_GROUP]",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(session_privileges(&emu, &carol)
        .await
        .contains("A3ANALYSIS"));
}

#[tokio::test]
async fn privileges_v2021_accept_urlencoded() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = v1(admin.post(url(&emu, "group/addprivilege")))
        .form(&[
            ("privilege", "JOBSCHEDULING"),
            ("groupNames", r#"["Analyst"]"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(session_privileges(&emu, &alice)
        .await
        .contains("JOBSCHEDULING"));
}

#[tokio::test]
async fn privileges_modern_add_returns_the_group() {
    let emu = start(1000, Profile::modern()).await;
    let admin = login(&emu).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let r = privilege_call(
        &emu,
        &admin,
        "group/addprivilege",
        "SHAREWITHALL",
        r#"["Analyst"]"#,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let group: Value = r.json().await.expect("group JSON");
    assert!(group.is_object(), "{group}");
    assert_eq!(group["name"], "Analyst");
    assert_eq!(group["principalTypeEnum"], "LOCAL_GROUP");
    assert!(
        names_of(&group["privileges"]).contains("SHAREWITHALL"),
        "{group}"
    );
    assert!(session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));
    let r = privilege_call(
        &emu,
        &admin,
        "group/removeprivilege",
        "SHAREWITHALL",
        r#"["Analyst"]"#,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));
}

#[tokio::test]
async fn privileges_modern_refuse_urlencoded() {
    let emu = start(1000, Profile::modern()).await;
    let admin = login(&emu).await;
    let alice = login_as(&emu, "alice", "alice").await;
    for path in ["group/addprivilege", "group/removeprivilege"] {
        let r = v1(admin.post(url(&emu, path)))
            .form(&[
                ("privilege", "SHAREWITHALL"),
                ("groupNames", r#"["Analyst"]"#),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
        error_body(r).await;
    }
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));
}

#[tokio::test]
async fn privileges_unknown_privilege_or_group_is_400() {
    let emu = start(1000, Profile::v2021()).await;
    let admin = login(&emu).await;
    for (path, privilege, groups) in [
        ("group/addprivilege", "FLYING", r#"["Analyst"]"#),
        ("group/addprivilege", "SHAREWITHALL", r#"["No Such Group"]"#),
        (
            "group/addprivilege",
            "SHAREWITHALL",
            r#"["Analyst", "No Such Group"]"#,
        ),
        ("group/addprivilege", "SHAREWITHALL", "[]"),
        ("group/removeprivilege", "FLYING", r#"["Analyst"]"#),
        (
            "group/removeprivilege",
            "SHAREWITHALL",
            r#"["No Such Group"]"#,
        ),
    ] {
        let r = privilege_call(&emu, &admin, path, privilege, groups).await;
        assert_eq!(
            r.status(),
            StatusCode::BAD_REQUEST,
            "{path} {privilege} {groups}"
        );
        assert_eq!(error_body(r).await.0, 10002);
    }
    // The partly valid call changed nothing.
    let alice = login_as(&emu, "alice", "alice").await;
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("SHAREWITHALL"));
    // Non-admins may not change privileges.
    let r = privilege_call(
        &emu,
        &alice,
        "group/addprivilege",
        "ADMINISTRATION",
        r#"["Analyst"]"#,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!session_privileges(&emu, &alice)
        .await
        .contains("ADMINISTRATION"));
}
