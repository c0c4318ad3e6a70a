//! Export a search to Parquet with one call, as a Rust ETL job would.
//!
//! Run with `cargo run --example export_to_parquet [DESTINATION]`: it starts the embedded emulator,
//! exports Retail Sales by region and day to DESTINATION (default `target/example-export`, any
//! object-store URL works too), and prints the summary. Against a real cluster, build the client with
//! its URL and credentials instead of the emulator's.

use tsexport::api::{Client, Credentials, Secret};
use tsexport::export::{Export, Progress};
use tsexport_emulator::{ids, Emulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let destination = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/example-export".into());
    let emulator = Emulator::builder().rows(200_000).start().await?;
    let client = Client::builder(emulator.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()?;

    let summary = Export::search(
        &client,
        "[Region] [Order Date] [Sales] [Quantity] sort by [Order Date] [Region]",
        ids::RETAIL_SALES,
    )
    .to(destination)
    .on_progress(|event| {
        if let Progress::Page { rows, .. } = event {
            eprintln!("{rows} rows so far");
        }
    })
    .run()
    .await?;

    println!(
        "{} rows in {} file(s), {} bytes, committed with {}",
        summary.rows, summary.files, summary.bytes, summary.manifest
    );
    for field in summary.tables[0].schema.fields() {
        println!("  {}: {}", field.name(), field.data_type());
    }
    emulator.shutdown().await;
    Ok(())
}
