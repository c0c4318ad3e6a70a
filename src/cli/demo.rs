//! The demo's tour of the client over the emulator: each step one library call, printed. It ends
//! with three real exports to Parquet on local disk: a search and a pinboard through REST v1, and a
//! saved answer through REST v2.

use crate::api::{ApiChoice, Client, Credentials, ListObjectHeaders, ObjectType, Secret, SubType};
use crate::export::Export;
use tsexport_emulator::{ids, DEFAULT_PASSWORD, DEFAULT_USERNAME};

use super::CliError;

/// Every searchable column of Retail Sales, sorted by its key so pages are stable.
const ALL_COLUMNS: &str = "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] \
                           [Line Cents] [Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] \
                           [Loyalty Points] sort by [Order Line ID]";

pub(crate) async fn tour(base_url: &str, out: &str) -> Result<(), CliError> {
    let builder = Client::builder(base_url).credentials(Credentials::password(
        DEFAULT_USERNAME,
        Secret::new(DEFAULT_PASSWORD),
    ));
    // The tour shows REST v1 first (row counts, column details), then v2 for the saved answer.
    let client = builder.clone().api(ApiChoice::V1).build()?;
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

    let sales = format!("{}/retail_sales", out.trim_end_matches('/'));
    let summary = Export::search(&client, ALL_COLUMNS, ids::RETAIL_SALES)
        .to(sales.clone())
        .run()
        .await
        .map_err(|e| CliError::other(e.to_string()))?;
    let table = &summary.tables[0];
    let secs = summary.seconds.max(1e-9);
    println!(
        "exported all of Retail Sales to {sales}/: {} rows ({} reported by ThoughtSpot) in {} pages, {:.1} MB of JSON -> {} Parquet file(s), {:.1} MB zstd, in {secs:.1} s ({:.2} M rows/s)",
        summary.rows,
        table.rows_expected.map_or("none".into(), |r| r.to_string()),
        table.pages,
        table.json_bytes as f64 / 1e6,
        summary.files,
        summary.bytes as f64 / 1e6,
        summary.rows as f64 / 1e6 / secs,
    );
    let columns: Vec<String> = table
        .schema
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect();
    println!("  schema: {}", columns.join(", "));
    println!("  manifest: {}", summary.manifest);

    let pinboard = format!("{}/retail_pinboard", out.trim_end_matches('/'));
    let summary = Export::pinboard(&client, ids::RETAIL_PINBOARD)
        .to(pinboard.clone())
        .run()
        .await
        .map_err(|e| CliError::other(e.to_string()))?;
    for table in &summary.tables {
        println!(
            "exported viz '{}' to {pinboard}/{}/: {} rows",
            table.viz_name.as_deref().unwrap_or_default(),
            table.name,
            table.rows
        );
    }

    // The same cluster through REST v2, as `--api auto` finds it: answers have no v1 data call.
    let v2 = builder.api(ApiChoice::Auto).build()?;
    let answer = format!("{}/sales_by_product", out.trim_end_matches('/'));
    let summary = Export::answer(&v2, ids::ANSWER_SALES_BY_PRODUCT)
        .to(answer.clone())
        .run()
        .await
        .map_err(|e| CliError::other(e.to_string()))?;
    println!(
        "exported the saved answer 'Sales by Product' through REST API {} to {answer}/: {} rows",
        v2.data_api().await?,
        summary.rows
    );
    client.logout().await?;
    v2.logout().await?;
    Ok(())
}
