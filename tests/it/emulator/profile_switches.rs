//! Each profile setting not already exercised elsewhere, flipped on its own against its default.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;
use tsexport_emulator::{ids, Emulator, Profile};

fn v2021(settings: &[&str]) -> Profile {
    with_settings(Profile::v2021(), settings)
}

async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    v1(request).send().await.expect("response").status()
}

#[tokio::test]
async fn session_info_post_can_be_refused() {
    let emu = start(10, v2021(&["session_info_accepts_post=false"])).await;
    let client = login(&emu).await;
    assert_eq!(status_of(client.get(url(&emu, "session/info"))).await, 200);
    let refused = v1(client.post(url(&emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 405);
    assert_eq!(error_body(refused).await.0, 10002);
}

#[tokio::test]
async fn release_version_is_reported() {
    let emu = start(10, v2021(&["release_version='8.4.1.sw'"])).await;
    let info: Value = v1(login(&emu).await.get(url(&emu, "session/info")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["releaseVersion"], "8.4.1.sw");
}

#[tokio::test]
async fn mfa_and_unknown_user_statuses_are_settable() {
    let emu = start(10, v2021(&["mfa_status=403", "unknown_user_status=404"])).await;
    let mfa = v1(client().post(url(&emu, "session/login")))
        .form(&[("username", "mfa.user"), ("password", "mfa")])
        .send()
        .await
        .unwrap();
    assert_eq!(mfa.status(), 403);
    let unknown = v1(client().post(url(&emu, "session/auth/token")))
        .form(&[
            ("secret_key", tsexport_emulator::DEFAULT_SECRET_KEY),
            ("username", "nobody"),
            ("access_level", "FULL"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn old_builds_wrap_date_time_cells() {
    let emu = start(10, v2021(&["datetime_wrapped=true"])).await;
    let client = login(&emu).await;
    let page: Value = v1(client.post(url(&emu, "searchdata")))
        .query(&[
            ("query_string", "[Order Date] [Ship Time] [Order Line ID]"),
            ("data_source_guid", RETAIL),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &page["data"][0];
    assert!(
        row[0].is_i64(),
        "DATE stays plain without a custom calendar: {row}"
    );
    assert!(row[1]["v"]["s"].is_i64(), "DATE_TIME is wrapped: {row}");
}

#[tokio::test]
async fn user_list_without_activate() {
    for (settings, expect_activate) in [(&[][..], true), (&["user_list_activate=false"][..], false)]
    {
        let emu = start(10, v2021(settings)).await;
        let list: Vec<Value> = v1(login(&emu).await.get(url(&emu, "user/list")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let alice = list.iter().find(|p| p["name"] == "alice").expect("alice");
        assert_eq!(alice.get("activate").is_some(), expect_activate, "{alice}");
    }
}

#[tokio::test]
async fn newpassword_spelling_can_be_refused() {
    let emu = start(10, v2021(&["accept_newpassword=false"])).await;
    let alice = login_as(&emu, "alice", "alice").await;
    let response = v1(alice.post(url(&emu, "user/updatepassword")))
        .form(&[
            ("name", "alice"),
            ("currentpassword", "alice"),
            ("newpassword", "n3w"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (_, debug) = error_body(response).await;
    assert!(debug.contains("password"), "{debug}");
}

/// The author GUIDs of the listed objects, by id.
async fn authors(emu: &Emulator, client: &reqwest::Client) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for kind in [
        "QUESTION_ANSWER_BOOK",
        "PINBOARD_ANSWER_BOOK",
        "LOGICAL_TABLE",
    ] {
        let list: Vec<Value> = v1(client.get(url(emu, "metadata/listobjectheaders")))
            .query(&[("type", kind)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.extend(list.iter().map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["author"].as_str().unwrap().to_string(),
            )
        }));
    }
    all
}

#[tokio::test]
async fn ownership_parameter_name_is_settable() {
    for (setting, param, moves) in [
        ("ownership_param=objects_id", "objectid", false),
        ("ownership_param=objects_id", "objectsID", true),
        ("ownership_param=objectid", "objectsID", false),
        ("ownership_param=objectid", "objectid", true),
    ] {
        let emu = start(10, v2021(&[setting])).await;
        let admin = login(&emu).await;
        let before = authors(&emu, &admin).await;
        let list = format!("[\"{}\"]", ids::ANSWER_SALES_BY_PRODUCT);
        let response = v1(admin.post(url(&emu, "user/transfer/ownership")))
            .query(&[
                ("fromUserName", "alice"),
                ("toUserName", "bob"),
                (param, &list),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let after = authors(&emu, &admin).await;
        let changed: Vec<&String> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b.1 != a.1)
            .map(|(b, _)| &b.0)
            .collect();
        if moves {
            assert_eq!(
                changed,
                [ids::ANSWER_SALES_BY_PRODUCT],
                "{setting} with {param}"
            );
        } else {
            // An unread list means "all of alice's objects", as an omitted one does.
            assert!(
                changed.len() > 1,
                "{setting} with {param} should ignore the list: {changed:?}"
            );
        }
    }
}

#[tokio::test]
async fn protected_owners_are_settable() {
    let emu = start(10, v2021(&["ownership_protected_users=['alice']"])).await;
    let admin = login(&emu).await;
    let transfer = |from: &'static str, to: &'static str| {
        v1(admin.post(url(&emu, "user/transfer/ownership")))
            .query(&[("fromUserName", from), ("toUserName", to)])
            .send()
    };
    assert_eq!(transfer("alice", "bob").await.unwrap().status(), 400);
    assert_eq!(
        transfer("tsadmin", "bob").await.unwrap().status(),
        204,
        "tsadmin is no longer protected"
    );
}
