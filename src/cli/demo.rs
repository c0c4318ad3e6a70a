//! The demo's tour of the client over the emulator: each step one library call, printed.

use std::time::Instant;

use futures_util::StreamExt;
use tsexport::api::{
    Client, Credentials, ListObjectHeaders, ObjectType, SearchRequest, Secret, SubType,
};
use tsexport::emulator::{ids, DEFAULT_PASSWORD, DEFAULT_USERNAME};
use tsexport::pager::{search_pages, PagerConfig};

use super::CliError;

/// Every searchable column of Retail Sales, sorted by its key so pages are stable.
const ALL_COLUMNS: &str = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] \
                           [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] \
                           [Loyalty Points] sort by [Order Line ID]";

pub async fn tour(base_url: &str) -> Result<(), CliError> {
    let client = Client::builder(base_url)
        .credentials(Credentials::password(
            DEFAULT_USERNAME,
            Secret::new(DEFAULT_PASSWORD),
        ))
        .build()?;
    let me = client.session_info().await?;
    println!(
        "signed in as {} on release {} (time zone {})",
        me.user_name,
        me.release_version.unwrap_or_default(),
        me.timezone.unwrap_or_default()
    );
    let pinboards = client
        .list_object_headers(ObjectType::Pinboard, &ListObjectHeaders::default())
        .await?;
    let names: Vec<&str> = pinboards.iter().map(|p| p.name.as_str()).collect();
    println!("pinboards: {}", names.join(", "));
    let worksheets = ListObjectHeaders::default().subtypes([SubType::Worksheet]);
    for worksheet in client
        .list_object_headers(ObjectType::LogicalTable, &worksheets)
        .await?
    {
        let details = client
            .metadata_details(ObjectType::LogicalTable, &[&worksheet.id], false)
            .await?;
        let columns: Vec<String> = details
            .iter()
            .flat_map(|d| &d.columns)
            .map(|c| format!("{} {}", c.name, c.data_type))
            .collect();
        println!(
            "worksheet {} ({}): {}",
            worksheet.name,
            worksheet.id,
            columns.join(", ")
        );
    }

    let started = Instant::now();
    let request = SearchRequest::new(ALL_COLUMNS, ids::RETAIL_SALES);
    let mut pages = Box::pin(search_pages(
        client.clone(),
        request,
        PagerConfig::default(),
    ));
    let (mut rows, mut bytes, mut count) = (0u64, 0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CliError::other(e.to_string()))?;
        rows += page.rows;
        bytes += page.page.bytes.len() as u64;
        count += 1;
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "paged all of Retail Sales: {rows} rows in {count} pages, {:.0} MB of JSON, complete, in {secs:.1} s ({:.2} M rows/s, {:.0} MB/s)",
        bytes as f64 / 1e6,
        rows as f64 / 1e6 / secs,
        bytes as f64 / 1e6 / secs
    );
    client.logout().await?;
    Ok(())
}
