//! `--sort` and `--param` (REST v2 `runtime_sort`, `runtime_param_override`) on one-shot exports and
//! as job keys: rows come back in the asked order across pages, a parameter changes the formula
//! that reads it, and bad forms or a v1 read are usage errors.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::RecordBatch;

use crate::common::files;
use crate::common::{output_text, run_cli, TempDir};
use tsexport_emulator::{Emulator, Profile};

const ROWS: u64 = 3_000;
const QUERY: &str = "[Order Line ID] [Sales] sort by [Order Line ID]";

async fn emulator() -> Emulator {
    Emulator::builder()
        .rows(ROWS)
        .profile(Profile::modern())
        .start()
        .await
        .expect("emulator")
}

async fn tsexport(emu: &Emulator, args: &[&str]) -> std::process::Output {
    let url = emu.base_url();
    let env = [
        ("TSEXPORT_URL", url.as_str()),
        ("TSEXPORT_USERNAME", "tsadmin"),
        ("TSEXPORT_PASSWORD", "admin"),
    ];
    run_cli(args, &env).await
}

fn batches(dir: &Path) -> Vec<RecordBatch> {
    files::read_parquet_in(dir)
}

fn floats(batches: &[RecordBatch], column: &str) -> Vec<Option<f64>> {
    batches
        .iter()
        .flat_map(|b| {
            let array = b
                .column_by_name(column)
                .unwrap_or_else(|| panic!("no column {column} in {:?}", b.schema()));
            array
                .as_primitive::<Float64Type>()
                .iter()
                .collect::<Vec<_>>()
        })
        .collect()
}

fn ints(batches: &[RecordBatch], column: &str) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            let array = b.column_by_name(column).expect("column");
            array
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.expect("an id"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Largest first, nulls last (where ThoughtSpot puts them in a descending sort).
fn assert_descending(values: &[Option<f64>]) {
    let firsts_null = values
        .iter()
        .position(Option::is_none)
        .unwrap_or(values.len());
    assert!(
        values[firsts_null..].iter().all(Option::is_none),
        "nulls come last"
    );
    let numbers: Vec<f64> = values[..firsts_null].iter().flatten().copied().collect();
    assert!(
        numbers.windows(2).all(|w| w[0] >= w[1]),
        "not descending: {:?}",
        &numbers[..numbers.len().min(20)]
    );
}

#[tokio::test]
async fn sort_desc_through_v2_orders_rows_across_pages() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-sort");
    let out = dir.path().join("sorted");
    let output = tsexport(
        &emu,
        &[
            "search",
            QUERY,
            "-s",
            "Retail Sales",
            "--api",
            "v2",
            "--page-size",
            "400",
            "--sort",
            "Sales:desc",
            "-o",
            &out.display().to_string(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let read = batches(&out);
    assert_eq!(files::rows(&read), ROWS as usize);
    assert_descending(&floats(&read, "Total Sales"));
    let mut ids = ints(&read, "Order Line ID");
    assert_ne!(ids, (1..=ROWS as i64).collect::<Vec<_>>(), "re-sorted");
    ids.sort_unstable();
    assert_eq!(ids, (1..=ROWS as i64).collect::<Vec<_>>(), "every row once");
}

#[tokio::test]
async fn a_parameter_override_changes_the_formula_that_reads_it() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-param");
    let query = "[Order Line ID] [Sales] [Discounted Sales] sort by [Order Line ID]";
    let mut read = Vec::new();
    for (name, extra) in [
        ("default", &[][..]),
        ("quarter", &["--param", "Discount Rate=0.25"][..]),
    ] {
        let out = dir.path().join(name).display().to_string();
        let mut args = vec![
            "search",
            query,
            "-s",
            "Retail Sales",
            "--api",
            "v2",
            "--page-size",
            "1000",
            "-o",
            &out,
        ];
        args.extend_from_slice(extra);
        let output = tsexport(&emu, &args).await;
        assert!(output.status.success(), "{name}: {}", output_text(&output));
        read.push(batches(Path::new(&out)));
    }
    for (batches, factor) in [(&read[0], 1.0), (&read[1], 0.75)] {
        let sales = floats(batches, "Total Sales");
        let discounted = floats(batches, "Total Discounted Sales");
        assert_eq!(sales.len(), ROWS as usize);
        for (s, d) in sales.iter().zip(&discounted) {
            match (s, d) {
                (Some(s), Some(d)) => {
                    assert!((s * factor - d).abs() < 1e-9, "{s} * {factor} != {d}")
                }
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn bad_sort_and_param_forms_are_usage_errors_that_show_the_form() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-runtime-bad");
    let out = dir.path().join("x").display().to_string();
    for (flag, value, expected) in [
        ("--sort", "Sales:sideways", "COLUMN:desc"),
        ("--sort", ":desc", "COLUMN:desc"),
        ("--param", "NoEquals", "NAME=VALUE"),
        ("--param", "=3", "NAME=VALUE"),
    ] {
        let output = tsexport(
            &emu,
            &[
                "search",
                QUERY,
                "-s",
                "Retail Sales",
                flag,
                value,
                "-o",
                &out,
            ],
        )
        .await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}: {}",
            output_text(&output)
        );
        let text = output_text(&output);
        assert!(text.contains(expected) && text.contains(value), "{text}");
    }
}

#[tokio::test]
async fn sort_or_params_through_v1_are_refused_naming_the_option() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-runtime-v1");
    let out = dir.path().join("x");
    for (flag, value, option) in [
        ("--sort", "Sales:desc", "sort"),
        ("--param", "Discount Rate=0.1", "params"),
    ] {
        let output = tsexport(
            &emu,
            &[
                "search",
                QUERY,
                "-s",
                "Retail Sales",
                "--api",
                "v1",
                flag,
                value,
                "-o",
                &out.display().to_string(),
            ],
        )
        .await;
        assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
        let text = output_text(&output);
        assert!(
            text.contains(&format!("`{option}`")) && text.contains("--api v2"),
            "{text}"
        );
        assert!(!out.join("_SUCCESS").exists(), "nothing committed");
    }
}

#[tokio::test]
async fn job_files_take_sort_and_params_keys() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-runtime-jobs");
    let jobs = dir.path().join("jobs.toml");
    let out = dir.path().join("lake");
    std::fs::write(
        &jobs,
        format!(
            r#"
[connection]
api = "v2"

[defaults]
page_size = 500
params = {{ "Discount Rate" = 0.5 }}

[[export]]
name = "by_sales"
search = "[Order Line ID] [Sales] [Discounted Sales] sort by [Order Line ID]"
source = "Retail Sales"
sort = ["Sales:desc", "Order Line ID"]
out = "{out}/by_sales"

[[export]]
name = "by_id"
search = "[Order Line ID] [Sales] [Discounted Sales] sort by [Order Line ID]"
source = "Retail Sales"
sort = ["Order Line ID:desc"]
params = {{ "Discount Rate" = 0.1 }}
out = "{out}/by_id"
"#,
            out = out.display()
        ),
    )
    .expect("job file");
    let output = tsexport(&emu, &["run", &jobs.display().to_string()]).await;
    assert!(output.status.success(), "{}", output_text(&output));

    let by_sales = batches(&out.join("by_sales"));
    assert_eq!(files::rows(&by_sales), ROWS as usize);
    assert_descending(&floats(&by_sales, "Total Sales"));
    let by_id = batches(&out.join("by_id"));
    assert_eq!(
        ints(&by_id, "Order Line ID"),
        (1..=ROWS as i64).rev().collect::<Vec<_>>()
    );
    for (batches, factor) in [(&by_sales, 0.5), (&by_id, 0.9)] {
        let sales = floats(batches, "Total Sales");
        let discounted = floats(batches, "Total Discounted Sales");
        for (s, d) in sales.iter().zip(&discounted) {
            if let (Some(s), Some(d)) = (s, d) {
                assert!((s * factor - d).abs() < 1e-9, "{s} * {factor} != {d}");
            }
        }
    }

    // A bad sort names its key and the form, before anything connects.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[export]]\nname = \"x\"\nsearch = \"[Region]\"\nsource = \"Retail Sales\"\nsort = [\"Sales:up\"]\nout = \"/tmp/x\"\n",
    )
    .expect("job file");
    let output = tsexport(&emu, &["run", &bad.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    let text = output_text(&output);
    assert!(
        text.contains("sort") && text.contains("COLUMN:desc"),
        "{text}"
    );
}

#[tokio::test]
async fn pinboard_and_answer_exports_take_the_sort() {
    let emu = emulator().await;
    let dir = TempDir::new("cli-runtime-books");
    let viz = dir.path().join("viz");
    let output = tsexport(
        &emu,
        &[
            "pinboard",
            "Retail Overview",
            "--viz",
            "Sales by Region",
            "--api",
            "v2",
            "--sort",
            "Sales:desc",
            "-o",
            &viz.display().to_string(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let sales = floats(&batches(&viz), "Total Sales");
    assert_eq!(sales.len(), 5, "one row per region");
    assert_descending(&sales);

    let answer = dir.path().join("answer");
    let output = tsexport(
        &emu,
        &[
            "answer",
            "Sales by Product",
            "--sort",
            "Quantity:desc",
            "--sort",
            "Product",
            "-o",
            &answer.display().to_string(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let quantities = ints(&batches(&answer), "Total Quantity");
    assert!(quantities.len() > 1);
    assert!(
        quantities.windows(2).all(|w| w[0] >= w[1]),
        "{quantities:?}"
    );
}
