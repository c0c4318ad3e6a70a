//! Session, login and trusted-auth behaviour over real HTTP (wire-protocol §1.2, §1.6–§1.8, §2.1–§2.5, §7).

use crate::common::*;

use std::sync::Arc;

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::Value;
use tsexport_emulator::{Emulator, ManualClock, Profile, DEFAULT_SECRET_KEY};

/// A client that shows redirects instead of following them.
fn no_redirect_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Every `Set-Cookie` header of a response.
fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii cookie").to_string())
        .collect()
}

/// The `JSESSIONID` Set-Cookie header, whose attributes the spec fixes.
fn jsessionid_cookie(response: &Response) -> String {
    set_cookies(response)
        .into_iter()
        .find(|c| c.starts_with("JSESSIONID="))
        .unwrap_or_else(|| panic!("no JSESSIONID cookie in {:?}", set_cookies(response)))
}

async fn post_login(emu: &Emulator, client: &Client, form: &[(&str, &str)]) -> Response {
    v1(client.post(url(emu, "session/login")))
        .form(form)
        .send()
        .await
        .expect("login request")
}

async fn session_info(emu: &Emulator, client: &Client) -> Response {
    v1(client.get(url(emu, "session/info")))
        .send()
        .await
        .expect("session/info request")
}

async fn session_info_json(emu: &Emulator, client: &Client) -> Value {
    let r = session_info(emu, client).await;
    assert_eq!(r.status(), StatusCode::OK, "session/info");
    r.json().await.expect("session/info JSON")
}

/// `session/auth/token` at `path` (relative to the base URL).
async fn auth_token_at(emu: &Emulator, path: &str, form: &[(&str, &str)]) -> Response {
    v1(client().post(format!("{}{path}", emu.base_url())))
        .header("Accept", "text/plain")
        .form(form)
        .send()
        .await
        .expect("auth/token request")
}

async fn auth_token(emu: &Emulator, form: &[(&str, &str)]) -> Response {
    auth_token_at(emu, "/callosum/v1/tspublic/v1/session/auth/token", form).await
}

/// A trusted-auth token for `user` with the default secret; asserts success.
async fn token_for(emu: &Emulator, user: &str) -> String {
    let r = auth_token(
        emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", user),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "auth/token for {user}");
    r.text().await.expect("token text")
}

async fn login_token_at(
    emu: &Emulator,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> Response {
    v1(client.post(format!("{}{path}", emu.base_url())))
        .form(form)
        .send()
        .await
        .expect("login/token request")
}

async fn login_token(emu: &Emulator, client: &Client, user: &str, token: &str) -> Response {
    login_token_at(
        emu,
        client,
        "/callosum/v1/tspublic/v1/session/login/token",
        &[
            ("username", user),
            ("auth_token", token),
            ("no_url_redirection", "true"),
        ],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// session/login

#[tokio::test]
async fn login_v2021_is_204_with_session_cookies() {
    let emu = start(1000, Profile::v2021()).await;
    let client = client();
    let r = post_login(
        &emu,
        &client,
        &[("username", "tsadmin"), ("password", "admin")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cookie = jsessionid_cookie(&r);
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    let value = attributes[0].trim_start_matches("JSESSIONID=");
    assert_eq!(value.len(), 36, "JSESSIONID is a GUID: {cookie}");
    assert!(attributes.contains(&"Path=/"), "{cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(
        set_cookies(&r).iter().any(|c| c.starts_with("clientId=")),
        "clientId cookie: {:?}",
        set_cookies(&r)
    );
    assert!(
        !attributes.iter().any(|a| a.starts_with("Max-Age")),
        "a session cookie without rememberme: {cookie}"
    );
    assert!(r.bytes().await.unwrap().is_empty(), "204 has no body");
    // The cookie is a working session.
    let info = session_info_json(&emu, &client).await;
    assert_eq!(info["userName"], "tsadmin");
    // rememberme=true makes the cookie persist.
    let r = post_login(
        &emu,
        &client,
        &[
            ("username", "tsadmin"),
            ("password", "admin"),
            ("rememberme", "true"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cookie = jsessionid_cookie(&r);
    assert!(cookie.contains("Max-Age="), "{cookie}");
}

#[tokio::test]
async fn login_modern_is_200() {
    let emu = start(1000, Profile::modern()).await;
    let client = client();
    let r = post_login(
        &emu,
        &client,
        &[("username", "tsadmin"), ("password", "admin")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = jsessionid_cookie(&r);
    assert!(
        cookie.contains("Path=/") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(
        session_info_json(&emu, &client).await["userName"],
        "tsadmin"
    );
}

#[tokio::test]
async fn login_with_bad_password_is_401_10003_with_array_debug() {
    let emu = start(1000, Profile::v2021()).await;
    let client = client();
    let r = post_login(
        &emu,
        &client,
        &[("username", "tsadmin"), ("password", "wrong")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        set_cookies(&r)
            .iter()
            .all(|c| !c.starts_with("JSESSIONID=")),
        "no session on failure"
    );
    let trace = r.headers()["x-callosum-trace-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["trace_id_guid"], trace.as_str(), "{body}");
    let r = post_login(
        &emu,
        &client,
        &[("username", "tsadmin"), ("password", "wrong")],
    )
    .await;
    // error_body parses `debug` as a JSON array inside the string.
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10003);
    assert!(debug.contains("tsadmin"), "{debug}");
    // Unknown users fail the same way.
    let r = post_login(&emu, &client, &[("username", "nobody"), ("password", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
    assert_eq!(session_info(&emu, &client).await.status(), 401);
}

#[tokio::test]
async fn login_without_username_is_400() {
    let emu = start(1000, Profile::v2021()).await;
    let r = post_login(&emu, &client(), &[("password", "admin")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(r).await.0, 10002);
    let r = post_login(&emu, &client(), &[("username", ""), ("password", "admin")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_of_mfa_user_is_401() {
    let emu = start(1000, Profile::v2021()).await;
    let client = client();
    let r = post_login(
        &emu,
        &client,
        &[("username", "mfa.user"), ("password", "mfa")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10003);
    assert!(debug.to_lowercase().contains("multi-factor"), "{debug}");
    assert_eq!(session_info(&emu, &client).await.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// session/logout

#[tokio::test]
async fn logout_ends_the_session() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    assert_eq!(session_info(&emu, &client).await.status(), 200);
    let r = v1(client.post(url(&emu, "session/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = session_info(&emu, &client).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
    // A second logout has no session left to end.
    let r = v1(client.post(url(&emu, "session/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_without_session_is_401() {
    let emu = start(1000, Profile::v2021()).await;
    let r = v1(client().post(url(&emu, "session/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn logout_modern_is_200() {
    let emu = start(1000, Profile::modern()).await;
    let client = login(&emu).await;
    let r = v1(client.post(url(&emu, "session/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(session_info(&emu, &client).await.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// session/info

#[tokio::test]
async fn session_info_get_and_post() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let get = session_info_json(&emu, &client).await;
    let r = v1(client.post(url(&emu, "session/info")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "POST session/info (wire-protocol §7 Q12)"
    );
    let post: Value = r.json().await.unwrap();
    for info in [&get, &post] {
        assert_eq!(info["userName"], "tsadmin");
        let guid = info["userGUID"].as_str().expect("userGUID");
        assert_eq!(guid.len(), 36, "{guid}");
        assert_eq!(guid, guid.to_lowercase());
        let privileges: Vec<&str> = info["privileges"]
            .as_array()
            .expect("privileges array")
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert!(privileges.contains(&"ADMINISTRATION"), "{privileges:?}");
    }
    assert_eq!(get["userGUID"], post["userGUID"]);
    // The GUID is the one listobjectheaders?type=USER reports for tsadmin.
    let users: Value = v1(client.get(url(&emu, "metadata/listobjectheaders")))
        .query(&[("type", "USER")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tsadmin = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "tsadmin")
        .expect("tsadmin in USER headers");
    assert_eq!(tsadmin["id"], get["userGUID"]);
}

#[tokio::test]
async fn session_info_of_non_admin_lacks_administration() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login_as(&emu, "alice", "alice").await;
    let info = session_info_json(&emu, &client).await;
    assert_eq!(info["userName"], "alice");
    let privileges = info["privileges"].as_array().unwrap();
    assert!(!privileges.contains(&Value::from("ADMINISTRATION")));
    assert!(privileges.contains(&Value::from("DATADOWNLOADING")));
}

#[tokio::test]
async fn session_info_timezone_default_and_configured() {
    let emu = start(1000, Profile::v2021()).await;
    let info = session_info_json(&emu, &login(&emu).await).await;
    assert_eq!(info["timezone"], "America/Chicago");

    let emu = start_with(Emulator::builder().rows(1000).timezone("Asia/Tokyo")).await;
    let info = session_info_json(&emu, &login(&emu).await).await;
    assert_eq!(info["timezone"], "Asia/Tokyo");
}

#[tokio::test]
async fn session_info_time_units() {
    // 2023-11-14T22:13:20Z
    let now_ms: i64 = 1_700_000_000_000;
    let clock = ManualClock::new(now_ms);
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .clock(Arc::new(clock.clone())),
    )
    .await;
    let info = session_info_json(&emu, &login(&emu).await).await;
    // expirationTime is epoch seconds, in the future.
    let expiration = info["expirationTime"].as_i64().expect("expirationTime int");
    assert!(
        expiration > now_ms / 1000 && expiration <= now_ms / 1000 + 7 * 86_400,
        "expirationTime {expiration} is not epoch s after {now_ms} ms"
    );
    // userCreatedTime / userExpirationTime are epoch milliseconds.
    let created = info["userCreatedTime"]
        .as_i64()
        .expect("userCreatedTime int");
    assert!(
        created > 1_000_000_000_000 && created < now_ms,
        "userCreatedTime {created} is not epoch ms before now"
    );
    let user_expiration = info["userExpirationTime"].as_i64().unwrap();
    assert!(user_expiration > now_ms, "{user_expiration}");
    // The clock drives it.
    clock.advance_secs(3600);
    let later = session_info_json(&emu, &login(&emu).await).await;
    assert_eq!(
        later["expirationTime"].as_i64().unwrap(),
        expiration + 3600,
        "expirationTime follows the injected clock"
    );
}

// ---------------------------------------------------------------------------------------------
// The gate: no session, missing X-Requested-By, empty error bodies

/// Every endpoint that needs a session, with its method.
const SESSION_ENDPOINTS: [(&str, &str); 14] = [
    ("POST", "session/logout"),
    ("GET", "session/info"),
    ("POST", "searchdata"),
    ("POST", "pinboarddata"),
    ("POST", "export/pinboard/pdf"),
    ("GET", "metadata/listobjectheaders"),
    ("GET", "metadata/listvizheaders"),
    ("GET", "metadata/details"),
    ("POST", "user/transfer/ownership"),
    ("POST", "user/sync"),
    ("POST", "user/updatepassword"),
    ("GET", "user/list"),
    ("POST", "group/addprivilege"),
    ("POST", "group/removeprivilege"),
];

#[tokio::test]
async fn every_session_endpoint_needs_a_session() {
    let emu = start(1000, Profile::v2021()).await;
    let client = client();
    for (method, path) in SESSION_ENDPOINTS {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let r = v1(client.request(method.clone(), url(&emu, path)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(error_body(r).await.0, 10003, "{method} {path}");
    }
    // A made-up session id is no session either.
    let r = v1(client.get(url(&emu, "session/info")))
        .header("Cookie", "JSESSIONID=00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_requested_by_is_400_10002() {
    let emu = start(1000, Profile::v2021()).await;
    let r = client()
        .post(url(&emu, "session/login"))
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        set_cookies(&r)
            .iter()
            .all(|c| !c.starts_with("JSESSIONID=")),
        "rejected login opens no session"
    );
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10002);
    assert!(debug.contains("X-Requested-By"), "{debug}");
    // Also with a valid session, and whatever the value when present.
    let client = login(&emu).await;
    let r = client.get(url(&emu, "session/info")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(r).await.0, 10002);
    let r = client
        .get(url(&emu, "session/info"))
        .header("X-Requested-By", "CS Tools")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "any X-Requested-By value works");
}

#[tokio::test]
async fn missing_requested_by_status_follows_the_profile() {
    let profile = with_settings(Profile::v2021(), &["missing_requested_by_status=403"]);
    let emu = start(1000, profile).await;
    let client = login(&emu).await;
    let r = client.get(url(&emu, "session/info")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_body(r).await.0, 10002);
}

#[tokio::test]
async fn empty_error_bodies_keep_status_and_headers() {
    let profile = with_settings(Profile::v2021(), &["empty_error_bodies=true"]);
    let emu = start(1000, profile).await;
    let r = session_info(&emu, &client()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let incident = r
        .headers()
        .get("x-callosum-incident-id")
        .expect("x-callosum-incident-id header")
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(incident.len(), 36, "{incident}");
    assert!(r.bytes().await.unwrap().is_empty(), "error body is empty");
    // Bad credentials too.
    let r = post_login(
        &emu,
        &client(),
        &[("username", "tsadmin"), ("password", "nope")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("x-callosum-incident-id"));
    assert!(r.bytes().await.unwrap().is_empty());
    // Success responses keep their bodies.
    let info = session_info(&emu, &login(&emu).await).await;
    assert_eq!(info.status(), StatusCode::OK);
    assert!(!info.bytes().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Trusted authentication

#[tokio::test]
async fn trusted_auth_token_then_login_without_redirect() {
    let emu = start(1000, Profile::v2021()).await;
    let r = auth_token(
        &emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "alice"),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let token = r.text().await.unwrap();
    assert!(!token.is_empty());
    assert!(
        !token.starts_with('"') && !token.starts_with('{'),
        "plain text, not JSON: {token}"
    );
    let client = client();
    let r = login_token(&emu, &client, "alice", &token).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let cookie = jsessionid_cookie(&r);
    assert!(
        cookie.contains("Path=/") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert_eq!(session_info_json(&emu, &client).await["userName"], "alice");
}

#[tokio::test]
async fn trusted_auth_login_redirects_by_default() {
    let emu = start(1000, Profile::v2021()).await;
    let token = token_for(&emu, "bob").await;
    let client = no_redirect_client();
    let target = "https://portal.example.test/landing?tab=sales&x=1";
    let r = login_token_at(
        &emu,
        &client,
        "/callosum/v1/tspublic/v1/session/login/token",
        &[
            ("username", "bob"),
            ("auth_token", &token),
            ("redirect_url", target),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["location"].to_str().unwrap(), target);
    jsessionid_cookie(&r);
    assert_eq!(session_info_json(&emu, &client).await["userName"], "bob");
}

#[tokio::test]
async fn trusted_auth_legacy_get_uses_query_params() {
    let emu = start(1000, Profile::v2021()).await;
    let token = token_for(&emu, "carol").await;
    let client = client();
    let r = v1(client.get(url(&emu, "session/login/token")))
        .query(&[
            ("username", "carol"),
            ("auth_token", token.as_str()),
            ("no_url_redirection", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(session_info_json(&emu, &client).await["userName"], "carol");
}

#[tokio::test]
async fn trusted_auth_token_is_single_use() {
    let emu = start(1000, Profile::v2021()).await;
    let token = token_for(&emu, "alice").await;
    let r = login_token(&emu, &client(), "alice", &token).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let second = client();
    let r = login_token(&emu, &second, "alice", &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
    assert_eq!(session_info(&emu, &second).await.status(), 401);
}

#[tokio::test]
async fn trusted_auth_token_for_other_user_or_made_up_is_401() {
    let emu = start(1000, Profile::v2021()).await;
    let token = token_for(&emu, "alice").await;
    let r = login_token(&emu, &client(), "bob", &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = login_token(&emu, &client(), "alice", "bm90LWEtdG9rZW4=").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn trusted_auth_token_expires_after_300_seconds() {
    let clock = ManualClock::new(1_700_000_000_000);
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .clock(Arc::new(clock.clone())),
    )
    .await;
    // Still valid just before the end of its lifetime.
    let early = token_for(&emu, "alice").await;
    clock.advance_secs(299);
    let r = login_token(&emu, &client(), "alice", &early).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Expired after it.
    let late = token_for(&emu, "alice").await;
    clock.advance_secs(301);
    let client = client();
    let r = login_token(&emu, &client, "alice", &late).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
    assert_eq!(session_info(&emu, &client).await.status(), 401);
}

#[tokio::test]
async fn trusted_auth_token_lifetime_and_reuse_follow_the_profile() {
    let clock = ManualClock::new(1_700_000_000_000);
    let profile = with_settings(
        Profile::v2021(),
        &["login_token_ttl_secs=60", "login_token_single_use=false"],
    );
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .profile(profile)
            .clock(Arc::new(clock.clone())),
    )
    .await;
    let token = token_for(&emu, "alice").await;
    assert_eq!(
        login_token(&emu, &client(), "alice", &token).await.status(),
        204
    );
    clock.advance_secs(60);
    assert_eq!(
        login_token(&emu, &client(), "alice", &token).await.status(),
        204,
        "reusable when not single-use, valid up to its lifetime"
    );
    clock.advance_secs(1);
    assert_eq!(
        login_token(&emu, &client(), "alice", &token).await.status(),
        401
    );
}

#[tokio::test]
async fn trusted_auth_with_bad_secret_is_401() {
    let emu = start(1000, Profile::v2021()).await;
    let r = auth_token(
        &emu,
        &[
            ("secret_key", "00000000-0000-0000-0000-000000000000"),
            ("username", "alice"),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn trusted_auth_switched_off_is_500() {
    let emu = start_with(Emulator::builder().rows(1000).secret_key(None)).await;
    let r = auth_token(
        &emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "alice"),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (code, debug) = error_body(r).await;
    assert_eq!(code, 10000);
    assert!(debug.contains("not enabled"), "{debug}");
}

#[tokio::test]
async fn trusted_auth_with_custom_secret() {
    let secret = "11111111-2222-4333-8444-555555555555";
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .secret_key(Some(secret.to_string())),
    )
    .await;
    let form = |key| {
        [
            ("secret_key", key),
            ("username", "alice"),
            ("access_level", "FULL"),
        ]
    };
    assert_eq!(auth_token(&emu, &form(secret)).await.status(), 200);
    assert_eq!(
        auth_token(&emu, &form(DEFAULT_SECRET_KEY)).await.status(),
        401
    );
}

#[tokio::test]
async fn trusted_auth_unknown_user_and_autocreate() {
    let emu = start(1000, Profile::v2021()).await;
    let r = auth_token(
        &emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "newbie"),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_body(r).await.0, 10002);

    let r = auth_token(
        &emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "newbie"),
            ("access_level", "FULL"),
            ("autocreate", "true"),
            ("display_name", "New Bie"),
            ("email", "newbie@example.test"),
            ("groups", r#"["Analyst"]"#),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.text().await.unwrap();
    let client = client();
    assert_eq!(
        login_token(&emu, &client, "newbie", &token).await.status(),
        204
    );
    let info = session_info_json(&emu, &client).await;
    assert_eq!(info["userName"], "newbie");
    assert!(
        info["privileges"]
            .as_array()
            .unwrap()
            .contains(&Value::from("DATADOWNLOADING")),
        "member of Analyst: {info}"
    );

    let admin = login(&emu).await;
    let list: Value = v1(admin.get(url(&emu, "user/list")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "newbie" && p["principalTypeEnum"] == "LOCAL_USER")
        .expect("autocreated user in user/list");
    assert_eq!(entry["displayName"], "New Bie");
    let groups = entry["groupNames"].as_array().unwrap();
    assert!(groups.contains(&Value::from("Analyst")), "{entry}");
}

#[tokio::test]
async fn trusted_auth_parameter_errors_are_400() {
    let emu = start(1000, Profile::v2021()).await;
    for form in [
        vec![("secret_key", DEFAULT_SECRET_KEY), ("username", "alice")],
        vec![
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "alice"),
            ("access_level", "EVERYTHING"),
        ],
        vec![
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "alice"),
            ("access_level", "REPORT_BOOK_VIEW"),
        ],
        vec![("secret_key", DEFAULT_SECRET_KEY), ("access_level", "FULL")],
    ] {
        let r = auth_token(&emu, &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(error_body(r).await.0, 10002, "{form:?}");
    }
    // REPORT_BOOK_VIEW with an object id is fine.
    let r = auth_token(
        &emu,
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "alice"),
            ("access_level", "REPORT_BOOK_VIEW"),
            ("id", PINBOARD),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn trusted_auth_legacy_alias_paths() {
    let emu = start(1000, Profile::v2021()).await;
    let r = auth_token_at(
        &emu,
        "/callosum/v1/session/auth/token",
        &[
            ("secret_key", DEFAULT_SECRET_KEY),
            ("username", "bob"),
            ("access_level", "FULL"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let token = r.text().await.unwrap();
    let client = client();
    let r = login_token_at(
        &emu,
        &client,
        "/callosum/v1/session/login/token",
        &[
            ("username", "bob"),
            ("auth_token", &token),
            ("no_url_redirection", "true"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(session_info_json(&emu, &client).await["userName"], "bob");
    // The pre-public session/info alias as well.
    let r = v1(client.get(format!("{}/callosum/v1/session/info", emu.base_url())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["userName"], "bob");
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens on v1

async fn info_with_bearer(emu: &Emulator, token: &str) -> Response {
    // A fresh client: no cookies at all.
    v1(client().get(url(emu, "session/info")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bearer_works_on_v1_in_modern_profile() {
    let emu = start(1000, Profile::modern()).await;
    let token = emu.issue_bearer_token("tsadmin");
    let r = info_with_bearer(&emu, &token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["userName"], "tsadmin");
    // Another endpoint, and a wrong token.
    let r = v1(client().get(url(&emu, "user/list")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = info_with_bearer(&emu, "not-a-token").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn bearer_is_refused_on_v1_in_v2021_profile() {
    let emu = start(1000, Profile::v2021()).await;
    let token = emu.issue_bearer_token("tsadmin");
    let r = info_with_bearer(&emu, &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}

#[tokio::test]
async fn registered_bearer_token() {
    let emu = start_with(
        Emulator::builder()
            .rows(1000)
            .profile(Profile::modern())
            .bearer_token("tok", "alice"),
    )
    .await;
    let r = info_with_bearer(&emu, "tok").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["userName"], "alice");
    // Alice is no admin, bearer or not.
    let r = v1(client().get(url(&emu, "user/list")))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn form_endpoints_refuse_json_bodies_with_415() {
    let emu = start(10, Profile::v2021()).await;
    let response = v1(client().post(url(&emu, "session/login")))
        .header("Content-Type", "application/json")
        .body(r#"{"username":"tsadmin","password":"admin"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(error_body(response).await.0, 10002);
}
