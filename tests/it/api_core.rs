//! The client core against the emulator: sign-in modes, lazy and renewed sessions, retries with
//! their waits, data pages and their counters, errors, and secrets kept out of messages.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tsexport::api::{
    Client, Credentials, Error, PinboardRequest, Privilege, RetryConfig, RetryEvent, SearchRequest,
    Secret,
};
use tsexport_emulator::{
    ids, Emulator, Endpoint, Fault, FaultPlan, FaultRule, Profile, DEFAULT_SECRET_KEY,
};

fn admin(emu: &Emulator) -> Client {
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()
        .unwrap()
}

/// Retries with fixed, tiny waits, recording every retry.
fn recording(emu: &Emulator, events: Arc<Mutex<Vec<RetryEvent>>>) -> Client {
    let retry = RetryConfig {
        init_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        jitter: Arc::new(|| 0.5),
        ..RetryConfig::default()
    };
    Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .retry(retry)
        .on_retry(Arc::new(move |event: &RetryEvent| {
            events.lock().unwrap().push(event.clone())
        }))
        .build()
        .unwrap()
}

async fn emulator(profile: Profile, faults: FaultPlan) -> Emulator {
    Emulator::builder()
        .rows(1000)
        .profile(profile)
        .faults(faults)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn signs_in_lazily_once_with_any_base_url_spelling() {
    for profile in [Profile::v2021(), Profile::modern()] {
        let emu = emulator(profile, FaultPlan::new()).await;
        for base in [
            emu.base_url(),
            format!("{}/", emu.base_url()),
            format!("{}/callosum/v1/", emu.base_url()),
        ] {
            let client = Client::builder(base)
                .credentials(Credentials::password("alice", Secret::new("alice")))
                .build()
                .unwrap();
            let info = client.session_info().await.unwrap();
            assert_eq!(info.user_name, "alice");
            assert_eq!(info.timezone.as_deref(), Some("America/Chicago"));
            client.session_info().await.unwrap();
        }
        assert_eq!(
            emu.request_count(Endpoint::SessionLogin),
            3,
            "one sign-in per client, not per call"
        );
    }
}

#[tokio::test]
async fn trusted_auth_and_bearer() {
    let emu = emulator(Profile::modern(), FaultPlan::new()).await;
    let trusted = Client::builder(emu.base_url())
        .credentials(Credentials::trusted("bob", Secret::new(DEFAULT_SECRET_KEY)))
        .build()
        .unwrap();
    assert_eq!(trusted.session_info().await.unwrap().user_name, "bob");
    assert_eq!(emu.request_count(Endpoint::SessionLoginToken), 1);
    let token = emu.issue_bearer_token("carol");
    let bearer = Client::builder(emu.base_url())
        .credentials(Credentials::bearer(Secret::new(token)))
        .build()
        .unwrap();
    assert_eq!(bearer.session_info().await.unwrap().user_name, "carol");
    assert_eq!(emu.request_count(Endpoint::SessionLogin), 0);
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error_without_the_secret() {
    let emu = emulator(Profile::v2021(), FaultPlan::new()).await;
    let client = Client::builder(emu.base_url())
        .credentials(Credentials::password(
            "tsadmin",
            Secret::new("wrong-horse-battery"),
        ))
        .build()
        .unwrap();
    let error = client.session_info().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Auth {
                status: 401,
                code: Some(10003),
                ..
            }
        ),
        "{error:?}"
    );
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("sign-in as tsadmin failed")
            && text.contains("Check the username and password"),
        "{text}"
    );
    assert!(!text.contains("wrong-horse-battery"));
    let trusted = Client::builder(emu.base_url())
        .credentials(Credentials::trusted("tsadmin", Secret::new("not-the-key")))
        .build()
        .unwrap();
    let text = trusted.session_info().await.unwrap_err().to_string();
    assert!(
        text.contains("sign-in") && !text.contains("not-the-key"),
        "{text}"
    );
}

#[tokio::test]
async fn an_expired_session_is_renewed_once_then_the_call_succeeds() {
    let faults = FaultPlan::new().rule(FaultRule::new("searchdata", Fault::ExpireSession).nth([2]));
    let emu = emulator(Profile::v2021(), faults).await;
    let client = admin(&emu);
    let request = SearchRequest::new("[Order Line ID]", ids::RETAIL_SALES);
    client.search_page_v1(&request, 0, 10).await.unwrap();
    let page = client.search_page_v1(&request, 10, 10).await.unwrap();
    assert_eq!(page.counters.offset, Some(10.0));
    assert_eq!(
        emu.request_count(Endpoint::SessionLogin),
        2,
        "signed in again once"
    );
    assert_eq!(emu.request_count(Endpoint::SearchData), 3);
}

#[tokio::test]
async fn reads_retry_with_backoff_and_honour_retry_after() {
    let faults = FaultPlan::new()
        .rule(
            FaultRule::new(
                "searchdata",
                Fault::Status {
                    status: 503,
                    code: None,
                    retry_after: None,
                    debug: None,
                },
            )
            .nth([1, 2]),
        )
        .rule(
            FaultRule::new(
                "searchdata",
                Fault::Status {
                    status: 429,
                    code: None,
                    retry_after: Some(1),
                    debug: None,
                },
            )
            .nth([3]),
        )
        .rule(FaultRule::new("searchdata", Fault::Truncate { after_bytes: 30 }).nth([4]))
        .rule(FaultRule::new("searchdata", Fault::Drop).nth([5]));
    let emu = emulator(Profile::v2021(), faults).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let client = recording(&emu, events.clone());
    let page = client
        .search_page_v1(
            &SearchRequest::new("[Order Line ID]", ids::RETAIL_SALES),
            0,
            5,
        )
        .await
        .unwrap();
    assert_eq!(page.counters.row_count, Some(5.0));
    assert_eq!(emu.request_count(Endpoint::SearchData), 6);
    let waits: Vec<u128> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.wait.as_millis())
        .collect();
    // Decorrelated jitter with jitter 0.5: 5, then 5 + 0.5 * (15 - 5) = 10; Retry-After: 1 s; then
    // 5 + 0.5 * (30 - 5) = 17.5 and on from there.
    assert_eq!(waits[..3], [5, 10, 1000]);
    assert_eq!(waits.len(), 5);
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_say_so() {
    let faults = FaultPlan::new().rule(FaultRule::new(
        "session/info",
        Fault::Status {
            status: 502,
            code: None,
            retry_after: None,
            debug: None,
        },
    ));
    let emu = emulator(Profile::v2021(), faults).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let client = recording(&emu, events.clone());
    let error = client.session_info().await.unwrap_err();
    assert!(
        matches!(&error, Error::RetriesExhausted { attempts: 6, .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(502));
    assert_eq!(emu.request_count(Endpoint::SessionInfo), 6);
    assert!(
        error.to_string().contains("gave up after 6 attempts"),
        "{error}"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_thoughtspot_details() {
    let emu = emulator(Profile::v2021(), FaultPlan::new()).await;
    let client = admin(&emu);
    let error = client
        .search_page_v1(&SearchRequest::new("[Nope]", ids::RETAIL_SALES), 0, 5)
        .await
        .unwrap_err();
    assert_eq!(emu.request_count(Endpoint::SearchData), 1);
    match &error {
        Error::Api {
            status: 400,
            code: Some(10002),
            incident_id: Some(_),
            trace_id: Some(_),
            debug: Some(debug),
            ..
        } => {
            assert!(debug.contains("[Nope]"), "{debug}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let empty = Emulator::builder()
        .rows(10)
        .profile(common::with_settings(
            Profile::v2021(),
            &["empty_error_bodies=true"],
        ))
        .start()
        .await
        .unwrap();
    let error = admin(&empty)
        .search_page_v1(&SearchRequest::new("[Nope]", ids::RETAIL_SALES), 0, 5)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Api {
                status: 400,
                code: None,
                incident_id: Some(_),
                ..
            }
        ),
        "an empty body still yields the ids from headers: {error:?}"
    );
}

#[tokio::test]
async fn writes_are_sent_once() {
    let faults = FaultPlan::new().rule(
        FaultRule::new(
            "group/addprivilege",
            Fault::Status {
                status: 503,
                code: None,
                retry_after: None,
                debug: None,
            },
        )
        .nth([1]),
    );
    let emu = emulator(Profile::v2021(), faults).await;
    let client = admin(&emu);
    let error = client
        .add_privilege(Privilege::Developer, &["Analyst"])
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        emu.request_count(Endpoint::AddPrivilege),
        1,
        "a write is never re-sent"
    );
    client
        .add_privilege(Privilege::Developer, &["Analyst"])
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_in_is_sent_again_after_a_transient_failure_but_not_after_a_refusal() {
    let status = |status| Fault::Status {
        status,
        code: None,
        retry_after: None,
        debug: None,
    };
    let faults = FaultPlan::new().rule(FaultRule::new("session/login", status(503)).nth([1]));
    let emu = emulator(Profile::v2021(), faults).await;
    admin(&emu).session_info().await.unwrap();
    assert_eq!(
        emu.request_count(Endpoint::SessionLogin),
        2,
        "repeating a sign-in only opens another session, so a 503 is retried"
    );

    let faults = FaultPlan::new().rule(FaultRule::new("session/login", status(401)));
    let emu = emulator(Profile::v2021(), faults).await;
    let error = admin(&emu).session_info().await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_eq!(emu.request_count(Endpoint::SessionLogin), 1);
    assert_eq!(emu.request_count(Endpoint::SessionInfo), 0);
}

#[tokio::test]
async fn data_pages_keep_their_bytes_and_counters() {
    let emu = emulator(Profile::modern(), FaultPlan::new()).await;
    let client = admin(&emu);
    let mut request = SearchRequest::new("[Region] [Quantity]", ids::RETAIL_SALES);
    request.filters.push((
        "Region".into(),
        "IN".into(),
        vec!["West".into(), "East".into()],
    ));
    let page = client.search_page_v1(&request, 0, 100).await.unwrap();
    assert_eq!(page.counters.column_names, ["Region", "Total Quantity"]);
    assert_eq!(
        (
            page.counters.row_count,
            page.counters.total_row_count,
            page.counters.sampling_ratio
        ),
        (Some(2.0), Some(2.0), Some(1.0))
    );
    let json: serde_json::Value = serde_json::from_slice(&page.bytes).unwrap();
    assert_eq!(json["data"][0][0], "East");

    let vizzes = client
        .pinboard_page_v1(&PinboardRequest::new(ids::RETAIL_PINBOARD), 0, 100_000)
        .await
        .unwrap();
    assert_eq!(vizzes.len(), 3);
    let headline = vizzes
        .iter()
        .find(|v| v.viz == ids::VIZ_TOTAL_SALES)
        .unwrap();
    assert_eq!(headline.counters.name.as_deref(), Some("Total Sales"));
    let block: serde_json::Value = serde_json::from_slice(&headline.bytes).unwrap();
    assert_eq!(block["columnNames"][0], "Total Sales");
    let mut one = PinboardRequest::new(ids::RETAIL_PINBOARD);
    one.vizzes.push(ids::VIZ_ORDER_LINES.into());
    let only = client.pinboard_page_v1(&one, 10, 5).await.unwrap();
    assert_eq!((only.len(), only[0].counters.offset), (1, Some(10.0)));
}

#[tokio::test]
async fn logout_ends_the_session_and_the_next_call_signs_in_again() {
    let emu = emulator(Profile::modern(), FaultPlan::new()).await;
    let client = admin(&emu);
    client.sign_in().await.unwrap();
    client.logout().await.unwrap();
    assert_eq!(emu.request_count(Endpoint::SessionLogout), 1);
    client.session_info().await.unwrap();
    assert_eq!(emu.request_count(Endpoint::SessionLogin), 2);
}

#[tokio::test]
async fn unreachable_clusters_and_bad_urls_say_what_to_check() {
    let error = Client::builder("not a url").build().unwrap_err();
    assert!(error.to_string().contains("is not a URL"), "{error}");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = Client::builder(format!("http://{closed}"))
        .credentials(Credentials::password("u", Secret::new("p")))
        .retry(RetryConfig::none())
        .build()
        .unwrap();
    let error = client.session_info().await.unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains("Check the URL"), "{error}");
}

#[tokio::test]
async fn timeouts_and_broken_transfers_have_their_own_errors() {
    let faults = FaultPlan::new()
        .rule(FaultRule::new("session/info", Fault::Delay { millis: 2_000 }).nth([1]))
        .rule(FaultRule::new("searchdata", Fault::Truncate { after_bytes: 20 }).nth([1]));
    let emu = emulator(Profile::v2021(), faults).await;
    let client = Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .timeout(Duration::from_millis(300))
        .retry(RetryConfig::none())
        .build()
        .unwrap();
    let timeout = client.session_info().await.unwrap_err();
    assert!(matches!(timeout, Error::Timeout { .. }), "{timeout:?}");
    assert!(
        timeout.to_string().contains("no answer within 300ms"),
        "{timeout}"
    );
    let cut = client
        .search_page_v1(
            &SearchRequest::new("[Order Line ID]", ids::RETAIL_SALES),
            0,
            50,
        )
        .await
        .unwrap_err();
    assert!(matches!(cut, Error::Transfer { .. }), "{cut:?}");
    assert!(cut.to_string().contains("broke off"), "{cut}");
}
