//! The pager against the emulator: order, tiling, the effective page size, completeness failures.

use crate::common;

use futures_util::StreamExt;
use tsexport::api::{ApiVersion, Client, Credentials, SearchRequest, Secret};
use tsexport::pager::{search_pages, PageAt, PagerConfig, PagerError};
use tsexport_emulator::{ids, Emulator, Endpoint, Fault, FaultPlan, FaultRule, Profile};

async fn pages(
    emu: &Emulator,
    query: &str,
    config: PagerConfig,
) -> Result<Vec<PageAt>, PagerError> {
    let client = Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()
        .unwrap();
    let mut stream = Box::pin(search_pages(
        client,
        SearchRequest::new(query, ids::RETAIL_SALES),
        config,
        ApiVersion::V1,
    ));
    let mut all = Vec::new();
    while let Some(page) = stream.next().await {
        all.push(page?);
    }
    Ok(all)
}

fn keys(pages: &[PageAt]) -> Vec<i64> {
    pages
        .iter()
        .flat_map(|p| {
            let json: serde_json::Value = serde_json::from_slice(&p.page.bytes).unwrap();
            json["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r[0].as_i64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn config(page_size: u64, in_flight: usize) -> PagerConfig {
    PagerConfig {
        page_size,
        in_flight,
        ..PagerConfig::default()
    }
}

#[tokio::test]
async fn pages_arrive_in_order_and_tile_the_result() {
    for (rows, size, in_flight, expected_pages) in [
        (1000, 300, 3, 4),
        (900, 300, 2, 3),
        (250_000, 100_000, 2, 3),
        (7, 100, 1, 1),
    ] {
        let emu = Emulator::builder().rows(rows).start().await.unwrap();
        let got = pages(
            &emu,
            "[Order Line ID] sort by [Order Line ID]",
            config(size, in_flight),
        )
        .await
        .unwrap();
        assert_eq!(got.len(), expected_pages, "{rows} rows in pages of {size}");
        assert_eq!(keys(&got), (1..=rows as i64).collect::<Vec<_>>());
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, p)| p.index == i as u64 && p.offset == i as u64 * size));
    }
}

#[tokio::test]
async fn the_servers_cap_sets_the_page_size() {
    let emu = Emulator::builder()
        .rows(12_000)
        .profile(common::with_settings(Profile::v2021(), &["row_cap=5000"]))
        .start()
        .await
        .unwrap();
    let got = pages(&emu, "[Order Line ID]", config(100_000, 2))
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.rows).collect::<Vec<_>>(),
        [5000, 5000, 2000]
    );
    assert_eq!(keys(&got).len(), 12_000);
}

#[tokio::test]
async fn a_400_past_the_end_ends_the_result() {
    let emu = Emulator::builder()
        .rows(600)
        .profile(common::with_settings(
            Profile::v2021(),
            &["past_end=bad_request"],
        ))
        .start()
        .await
        .unwrap();
    let got = pages(&emu, "[Order Line ID]", config(300, 2))
        .await
        .unwrap();
    assert_eq!(keys(&got).len(), 600);
    // Two full pages, one past the end, and at most `in_flight` requests issued ahead of it.
    let requests = emu.request_count(Endpoint::SearchData);
    assert!((3..=5).contains(&requests), "{requests} requests");
}

#[tokio::test]
async fn sampled_shifted_and_short_results_are_errors_unless_allowed() {
    let with = |fault: Fault, nth: u64| async move {
        Emulator::builder()
            .rows(1000)
            .faults(FaultPlan::new().rule(FaultRule::new("searchdata", fault).nth([nth])))
            .start()
            .await
            .unwrap()
    };
    let emu = with(Fault::Sampling { ratio: 0.5 }, 2).await;
    let error = pages(&emu, "[Order Line ID]", config(300, 2))
        .await
        .unwrap_err();
    assert!(
        matches!(error, PagerError::Sampled { ratio } if ratio == 0.5),
        "{error:?}"
    );
    assert!(error.to_string().contains("allow_sampled"));
    let emu = with(Fault::Sampling { ratio: 0.5 }, 2).await;
    let allowed = pages(
        &emu,
        "[Order Line ID]",
        PagerConfig {
            allow_sampled: true,
            ..config(300, 2)
        },
    )
    .await
    .unwrap();
    assert_eq!(keys(&allowed).len(), 1000);

    let emu = with(Fault::ShiftRows { rows: 3 }, 3).await;
    let error = pages(&emu, "[Order Line ID]", config(300, 1))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("changed while paging"),
        "{error}"
    );

    let emu = with(Fault::WrongTotal { total: 5000 }, 1).await;
    let error = pages(&emu, "[Order Line ID]", config(300, 2))
        .await
        .unwrap_err();
    match error {
        PagerError::Incomplete {
            expected: 5000,
            received,
            ..
        } => assert!(received <= 1000),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn bad_settings_and_failing_pages_surface_as_errors() {
    let emu = Emulator::builder().rows(100).start().await.unwrap();
    let error = pages(&emu, "[Order Line ID]", config(200_000, 2))
        .await
        .unwrap_err();
    assert!(matches!(error, PagerError::Config(_)), "{error:?}");
    let error = pages(&emu, "[Nope]", config(10, 2)).await.unwrap_err();
    assert!(
        matches!(error, PagerError::Api(_)) && error.to_string().contains("[Nope]"),
        "{error}"
    );
}

#[tokio::test]
async fn each_viz_of_a_pinboard_pages_on_its_own() {
    let emu = Emulator::builder().rows(2500).start().await.unwrap();
    let client = Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()
        .unwrap();
    for (viz, rows) in [
        (ids::VIZ_ORDER_LINES, 2500),
        (ids::VIZ_SALES_BY_REGION, 5),
        (ids::VIZ_TOTAL_SALES, 1),
    ] {
        let stream = tsexport::pager::viz_pages(
            client.clone(),
            ids::RETAIL_PINBOARD.into(),
            viz.into(),
            config(1000, 2),
            ApiVersion::V1,
        );
        let got: Vec<PageAt> = stream.map(|p| p.unwrap()).collect().await;
        assert_eq!(got.iter().map(|p| p.rows).sum::<u64>(), rows, "{viz}");
    }
}
