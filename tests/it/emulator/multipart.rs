//! Multipart bodies as python-requests builds them for `files={...}`: every part carries a filename,
//! plain values included, and ThoughtSpot reads those parts as fields (ThoughtSpot's own Python client
//! calls `group/addprivilege` this way).

use crate::common::*;
use reqwest::Client;
use serde_json::Value;
use tsexport_emulator::{Emulator, Profile};

/// Exactly the bytes python-requests sends for `files={'privilege': .., 'groupNames': ..}`.
fn requests_body(privilege: &str, groups: &str) -> Vec<u8> {
    format!(
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"privilege\"; filename=\"privilege\"\r\n\r\n\
         {privilege}\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"groupNames\"; \
         filename=\"groupNames\"\r\n\r\n{groups}\r\n--BOUNDARY--\r\n"
    )
    .into_bytes()
}

async fn change(emu: &Emulator, admin: &Client, endpoint: &str, privilege: &str) -> (u16, Value) {
    let response = v1(admin.post(url(emu, endpoint)))
        .header("Content-Type", "multipart/form-data; boundary=BOUNDARY")
        .body(requests_body(privilege, r#"["Analyst"]"#))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The privileges `session/info` reports for a user of the Analyst group only.
async fn alice_privileges(emu: &Emulator) -> Vec<String> {
    let alice = login_as(emu, "alice", "alice").await;
    let info: Value = v1(alice.get(url(emu, "session/info")))
        .send()
        .await
        .expect("session/info")
        .json()
        .await
        .expect("JSON");
    serde_json::from_value(info["privileges"].clone()).expect("privileges")
}

#[tokio::test]
async fn privilege_parts_with_filenames_are_read_as_fields() {
    for (profile, added) in [(Profile::modern(), 200), (Profile::v2021(), 204)] {
        let emu = start(10, profile).await;
        let admin = login(&emu).await;
        let has = |privileges: &[String]| privileges.iter().any(|p| p == "DATADOWNLOADING");
        assert!(has(&alice_privileges(&emu).await), "Analyst starts with it");

        let (status, body) = change(&emu, &admin, "group/removeprivilege", "DATADOWNLOADING").await;
        assert_eq!(status, 204, "removeprivilege: {body}");
        assert!(!has(&alice_privileges(&emu).await), "removed");

        let (status, body) = change(&emu, &admin, "group/addprivilege", "DATADOWNLOADING").await;
        assert_eq!(status, added, "addprivilege: {body}");
        if added == 200 {
            assert_eq!(body["name"], "Analyst");
            assert!(body["privileges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "DATADOWNLOADING"));
        }
        assert!(has(&alice_privileges(&emu).await), "added back");

        for endpoint in ["group/addprivilege", "group/removeprivilege"] {
            let (status, body) = change(&emu, &admin, endpoint, "NOSUCHPRIVILEGE").await;
            assert_eq!(status, 400, "{endpoint}: {body}");
        }
    }
}
