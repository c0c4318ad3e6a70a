//! What every endpoint shares: the X-Requested-By check, request counting, unknown paths and methods.

use crate::common::*;
use reqwest::Method;
use tsexport_emulator::{Endpoint, Profile};

fn method(endpoint: Endpoint) -> Method {
    match endpoint {
        Endpoint::SessionInfo
        | Endpoint::ListObjectHeaders
        | Endpoint::ListVizHeaders
        | Endpoint::MetadataDetails
        | Endpoint::UserList => Method::GET,
        _ => Method::POST,
    }
}

#[tokio::test]
async fn every_endpoint_requires_x_requested_by_and_counts_requests() {
    let emu = start(10, Profile::v2021()).await;
    let client = login(&emu).await;
    for endpoint in Endpoint::ALL {
        let before = emu.request_count(endpoint);
        let response = client
            .request(method(endpoint), url(&emu, endpoint.path()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{endpoint:?}");
        let (code, debug) = error_body(response).await;
        assert_eq!(code, 10002, "{endpoint:?}");
        assert!(debug.contains("X-Requested-By"), "{endpoint:?}: {debug}");
        assert_eq!(
            emu.request_count(endpoint),
            before + 1,
            "{endpoint:?} counts refused requests too"
        );
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_the_v1_error_body() {
    let emu = start(10, Profile::v2021()).await;
    let client = login(&emu).await;
    let missing = v1(client.get(url(&emu, "no/such/thing")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(error_body(missing).await.0, 10002);
    let wrong = v1(client.get(url(&emu, "searchdata")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(error_body(wrong).await.0, 10002);
}

#[tokio::test]
async fn legacy_paths_count_as_their_endpoint() {
    let emu = start(10, Profile::v2021()).await;
    let client = login(&emu).await;
    let legacy = format!("{}/callosum/v1/session/info", emu.base_url());
    assert_eq!(v1(client.get(legacy)).send().await.unwrap().status(), 200);
    assert_eq!(emu.request_count(Endpoint::SessionInfo), 1);
    assert_eq!(emu.total_requests(), 2, "the login and the info call");
}
