//! Read a search as a stream of Arrow record batches, with the schema known before the first batch:
//! the shape for a pipeline that sends the data somewhere tsexport does not write to.
//!
//! Run with `cargo run --example stream_batches`.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use futures_util::TryStreamExt;
use tsexport::api::{Client, Credentials, Secret};
use tsexport_emulator::{ids, Emulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().rows(300_000).start().await?;
    let client = Client::builder(emulator.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()?;

    let mut batches = client
        .search(
            "[Order Line ID] [Sales] sort by [Order Line ID]",
            ids::RETAIL_SALES,
        )
        .hint("Order Line ID=int")?
        .batches()
        .await?;
    println!("schema: {}", batches.schema());

    let (mut rows, mut sales) = (0usize, 0f64);
    while let Some(batch) = batches.try_next().await? {
        rows += batch.num_rows();
        sales += batch
            .column(1)
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .sum::<f64>();
    }
    println!("{rows} rows, total sales {sales:.2}");
    emulator.shutdown().await;
    Ok(())
}
