mod common;

use common::*;
use tsexport::emulator::Profile;

#[tokio::test]
async fn login_then_search() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let r = v1(client.post(url(&emu, "searchdata")))
        .query(&[
            ("query_string", "[Region] [Sales]"),
            ("data_source_guid", RETAIL),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["columnNames"],
        serde_json::json!(["Region", "Total Sales"])
    );
}
