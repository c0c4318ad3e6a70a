//! The command line through REST API v2: `--api` on one-shot exports, `tsexport answer`, job files
//! with `api` in `[connection]`, `check` naming the API, and the errors for a wrong choice.

use crate::common::files;
use crate::common::TempDir;

use std::path::Path;

use crate::common::{output_text, run_cli};
use serde_json::Value;
use tsexport_emulator::{ids, Emulator, Endpoint, Profile, V2Endpoint};

const ROWS: u64 = 3_000;
const QUERY: &str = "[Order Line ID] [Order Date] [Region] [Sales] sort by [Order Line ID]";

async fn emulator(profile: Profile) -> Emulator {
    Emulator::builder()
        .rows(ROWS)
        .profile(profile)
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

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("_manifest.json")).expect("manifest"))
        .expect("json")
}

#[tokio::test]
async fn api_flag_picks_the_api_and_both_write_the_same_rows() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("cli-v2-search");
    let mut ids_by_api = Vec::new();
    for api in ["v1", "v2", "auto"] {
        let out = dir.path().join(api);
        let output = tsexport(
            &emu,
            &[
                "search",
                QUERY,
                "-s",
                "Retail Sales",
                "--page-size",
                "1000",
                "--api",
                api,
                "-o",
                &out.display().to_string(),
            ],
        )
        .await;
        assert!(output.status.success(), "{api}: {}", output_text(&output));
        assert_eq!(
            manifest(&out)["source"]["api"],
            if api == "v1" { "v1" } else { "v2" },
            "{api}"
        );
        let ids = files::int_column(&files::snapshot(&out), "Order Line ID").expect("ids");
        ids_by_api.push(ids);
    }
    assert_eq!(ids_by_api[0].len(), ROWS as usize);
    assert!(ids_by_api.iter().all(|ids| *ids == ids_by_api[0]));
    // v1 was asked only when chosen; v2 when chosen and by auto.
    assert!(emu.request_count(Endpoint::SearchData) >= 3);
    assert!(emu.request_count(V2Endpoint::SearchData) >= 6);
    // Each command revoked the token it fetched, as it signs out of the session it opened.
    assert_eq!(emu.request_count(V2Endpoint::TokenFull), 2);
    assert_eq!(emu.request_count(V2Endpoint::TokenRevoke), 2);

    let bad = tsexport(
        &emu,
        &[
            "search",
            QUERY,
            "-s",
            "Retail Sales",
            "--api",
            "v3",
            "-o",
            "x",
        ],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2), "{}", output_text(&bad));
    assert!(
        output_text(&bad).contains("use v1, v2 or auto"),
        "{}",
        output_text(&bad)
    );
}

#[tokio::test]
async fn answers_export_through_v2_and_say_why_not_through_v1() {
    let modern = emulator(Profile::modern()).await;
    let dir = TempDir::new("cli-v2-answer");
    let out = dir.path().join("answer");
    let output = tsexport(
        &modern,
        &[
            "answer",
            "Sales by Product",
            "--json",
            "-o",
            &out.display().to_string(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("summary json");
    assert!(summary["rows"].as_u64().expect("rows") > 0, "{summary}");
    let source = &manifest(&out)["source"];
    assert_eq!(
        (source["kind"].as_str(), source["answer"].as_str()),
        (Some("answer"), Some(ids::ANSWER_SALES_BY_PRODUCT))
    );

    for (profile, args) in [
        (Profile::v2021(), vec!["answer", "Sales by Product"]),
        (
            Profile::modern(),
            vec!["answer", "Sales by Product", "--api", "v1"],
        ),
    ] {
        let emu = emulator(profile).await;
        let out = dir.path().join("refused");
        let mut args = args.clone();
        let out_text = out.display().to_string();
        args.extend(["-o", &out_text]);
        let output = tsexport(&emu, &args).await;
        assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
        assert!(
            output_text(&output).contains("only be read through REST API v2"),
            "{}",
            output_text(&output)
        );
        assert!(!out.exists(), "nothing written");
    }
}

#[tokio::test]
async fn pinboards_export_through_v2_one_folder_per_data_viz() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("cli-v2-board");
    let out = dir.path().join("board");
    let output = tsexport(
        &emu,
        &[
            "pinboard",
            "Retail Overview",
            "--api",
            "v2",
            "--page-size",
            "1000",
            "-o",
            &out.display().to_string(),
        ],
    )
    .await;
    assert!(output.status.success(), "{}", output_text(&output));
    let vizzes = manifest(&out)["source"]["vizzes"].clone();
    let names: Vec<&str> = vizzes
        .as_array()
        .expect("vizzes")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Order Lines", "Sales by Region", "Total Sales"]);
    let folder = vizzes[0]["folder"].as_str().expect("folder");
    let ids = files::int_column(&files::snapshot(&out.join(folder)), "Order Line ID").expect("ids");
    assert_eq!(ids, (1..=ROWS as i64).collect::<Vec<_>>());
    assert_eq!(emu.request_count(Endpoint::PinboardData), 0);
    assert_eq!(emu.request_count(Endpoint::ListVizHeaders), 0);
}

#[tokio::test]
async fn job_files_choose_the_api_in_their_connection() {
    let emu = emulator(Profile::modern()).await;
    let dir = TempDir::new("cli-v2-jobs");
    let jobs = dir.path().join("jobs.toml");
    let out = dir.path().join("lake");
    std::fs::write(
        &jobs,
        format!(
            r#"
[connection]
api = "v2"

[[export]]
name = "orders"
search = "{QUERY}"
source = "Retail Sales"
page_size = 1000
out = "{out}/orders"

[[export]]
name = "overview"
pinboard = "Retail Overview"
vizzes = ["Sales by Region"]
out = "{out}/overview"

[[export]]
name = "products"
answer = "Sales by Product"
out = "{out}/products"
"#,
            out = out.display()
        ),
    )
    .expect("job file");
    let jobs = jobs.display().to_string();
    let output = tsexport(&emu, &["run", &jobs]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    for name in ["orders", "overview", "products"] {
        let manifest = manifest(&out.join(name));
        assert_eq!(manifest["source"]["api"], "v2", "{name}: {manifest}");
    }
    assert_eq!(
        files::int_column(&files::snapshot(&out.join("orders")), "Order Line ID")
            .expect("ids")
            .len(),
        ROWS as usize
    );
    assert_eq!(emu.request_count(Endpoint::SearchData), 0);
    assert_eq!(
        emu.request_count(Endpoint::ListObjectHeaders),
        0,
        "names found through v2"
    );

    // check resolves each source through v2 and shows its columns.
    let output = tsexport(&emu, &["check", &jobs]).await;
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        output_text(&output).contains("Total Sales"),
        "{}",
        output_text(&output)
    );

    // A misspelt API names its key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[connection]\napi = \"v3\"\n\n[[export]]\nname = \"x\"\nanswer = \"a\"\nout = \"/tmp/x\"\n",
    )
    .expect("job file");
    let output = tsexport(&emu, &["run", &bad.display().to_string()]).await;
    assert_eq!(output.status.code(), Some(2), "{}", output_text(&output));
    let text = output_text(&output);
    assert!(
        text.contains("api") && text.contains("use v1, v2 or auto"),
        "{text}"
    );
}

#[tokio::test]
async fn check_names_the_api_data_is_read_through() {
    for (profile, api) in [(Profile::modern(), "v2"), (Profile::v2021(), "v1")] {
        let emu = emulator(profile).await;
        let output = tsexport(&emu, &["check", "--json"]).await;
        assert!(output.status.success(), "{}", output_text(&output));
        let facts: Value = serde_json::from_slice(&output.stdout).expect("json");
        assert_eq!(facts["dataApi"], api, "{facts}");
        let output = tsexport(&emu, &["check"]).await;
        assert!(
            output_text(&output).contains(&format!("REST {api}")),
            "{}",
            output_text(&output)
        );
    }
}
