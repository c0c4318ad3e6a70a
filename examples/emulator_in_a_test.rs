//! Using the embedded emulator in your own pipeline's tests: start one on a free port with a fault
//! plan, point any HTTP client at it, then check how many requests it received.
//!
//! Run: `cargo run --example emulator_in_a_test`

use tsexport_emulator::{ids, Emulator, Endpoint, Fault, FaultPlan, FaultRule, Profile};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The second searchdata call fails with a 503 and Retry-After, as a busy cluster would.
    let faults = FaultPlan::new().rule(
        FaultRule::new(
            "searchdata",
            Fault::Status {
                status: 503,
                code: None,
                retry_after: Some(1),
                debug: None,
            },
        )
        .nth([2]),
    );
    let emulator = Emulator::builder()
        .rows(1_000)
        .profile(Profile::modern())
        .faults(faults)
        .start()
        .await?;
    let v1 = emulator.v1_url();

    let http = reqwest::Client::builder().cookie_store(true).build()?;
    http.post(format!("{v1}/session/login"))
        .header("X-Requested-By", "ThoughtSpot")
        .form(&[("username", "tsadmin"), ("password", "admin")])
        .send()
        .await?
        .error_for_status()?;
    for attempt in 1..=2 {
        let response = http
            .post(format!("{v1}/searchdata"))
            .header("X-Requested-By", "ThoughtSpot")
            .query(&[
                ("query_string", "[Region] [Sales]"),
                ("data_source_guid", ids::RETAIL_SALES),
            ])
            .send()
            .await?;
        println!("searchdata attempt {attempt}: HTTP {}", response.status());
    }
    println!(
        "the emulator received {} searchdata requests",
        emulator.request_count(Endpoint::SearchData)
    );
    Ok(())
}
