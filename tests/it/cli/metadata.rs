//! `tsexport ls`, `columns` and `pdf` against the in-process emulator, in both profiles.

use std::process::Output;

use tsexport_emulator::{ids, Emulator, Profile};

use crate::common::{output_text as text, run_cli as run, TempDir};

/// An emulator in `profile` and a runner signed in as tsadmin through the environment.
struct Cluster {
    emu: Emulator,
}

impl Cluster {
    async fn start(profile: Profile) -> Self {
        let emu = Emulator::builder()
            .rows(10)
            .profile(profile)
            .start()
            .await
            .unwrap();
        Self { emu }
    }

    async fn run(&self, args: &[&str]) -> Output {
        let url = self.emu.base_url();
        run(
            args,
            &[
                ("TSEXPORT_URL", &url),
                ("TSEXPORT_USERNAME", "tsadmin"),
                ("TSEXPORT_PASSWORD", "admin"),
            ],
        )
        .await
    }

    /// Runs a command that must succeed; returns its stdout.
    async fn stdout(&self, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must fail with a usage error (exit 2); returns stdout and stderr.
    async fn usage_error(&self, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        text(&output)
    }
}

fn profiles() -> [Profile; 2] {
    [Profile::v2021(), Profile::modern()]
}

/// The rows of a table printout with runs of spaces squeezed to one, headers first.
fn rows(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The second column (NAME) of an `ls` printout, headers left out.
fn names(stdout: &str) -> Vec<String> {
    let mut lines = stdout.lines();
    let header = lines.next().unwrap_or_default();
    let start = header.find("NAME").expect("a NAME column");
    let end = header[start..]
        .find("AUTHOR")
        .or_else(|| header[start..].find("TYPE"))
        .map_or(usize::MAX, |i| start + i);
    lines
        .map(|l| l[start..end.min(l.len())].trim().to_string())
        .collect()
}

/// `pdfinfo`'s "Page size" line of `path`.
fn page_size(path: &std::path::Path) -> String {
    let output = std::process::Command::new("pdfinfo")
        .arg(path)
        .output()
        .expect("pdfinfo (poppler-utils) must be installed to run these tests");
    assert!(output.status.success(), "pdfinfo failed on {path:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find(|l| l.starts_with("Page size:"))
        .unwrap_or_else(|| panic!("no page size from pdfinfo for {path:?}"))
        .to_string()
}

#[tokio::test]
async fn ls_lists_each_kind_of_object() {
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let worksheets = ts.stdout(&["ls", "worksheets"]).await;
        assert_eq!(
            rows(&worksheets)[0],
            "ID NAME AUTHOR MODIFIED",
            "{worksheets}"
        );
        assert_eq!(
            names(&worksheets),
            ["Retail Sales", "TS: BI Server"],
            "{worksheets}"
        );
        assert!(
            worksheets.contains(ids::RETAIL_SALES) && worksheets.contains("2022-01-"),
            "{worksheets}"
        );

        let tables = ts.stdout(&["ls", "tables"]).await;
        assert_eq!(
            names(&tables),
            ["Sales Fact", "Stores", "Targets Upload", "Returns SQL View"],
            "{tables}"
        );
        let views = ts.stdout(&["ls", "views"]).await;
        assert_eq!(names(&views), ["Regional Sales View"], "{views}");
        let answers = ts.stdout(&["ls", "answers"]).await;
        assert_eq!(
            names(&answers),
            ["Sales by Product", "Returned Lines"],
            "{answers}"
        );
        let pinboards = ts.stdout(&["ls", "pinboards"]).await;
        assert_eq!(
            names(&pinboards),
            ["Retail Overview", "Store Footprint"],
            "{pinboards}"
        );

        let users = ts.stdout(&["ls", "users"]).await;
        let user_rows = rows(&users);
        assert_eq!(user_rows[0], "NAME DISPLAY NAME ID", "{users}");
        assert!(
            user_rows
                .iter()
                .any(|r| r.starts_with("alice Alice Analyst ")),
            "{users}"
        );
        assert!(
            user_rows
                .iter()
                .any(|r| r.starts_with("tsadmin Administrator ")),
            "{users}"
        );
        let groups = ts.stdout(&["ls", "groups"]).await;
        assert!(
            rows(&groups)
                .iter()
                .any(|r| r.starts_with("Sales Team Sales Team ")),
            "{groups}"
        );
        assert!(!groups.contains("alice"), "{groups}");
    }
}

#[tokio::test]
async fn ls_filters_by_pattern_and_tag_and_prints_json() {
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let retail = ts
            .stdout(&["ls", "pinboards", "--pattern", "retail%"])
            .await;
        assert_eq!(names(&retail), ["Retail Overview"], "{retail}");
        let sales = ts.stdout(&["ls", "tables", "--pattern", "%sales%"]).await;
        assert_eq!(names(&sales), ["Sales Fact"], "{sales}");

        let certified = ts.stdout(&["ls", "pinboards", "--tag", "certified"]).await;
        assert_eq!(names(&certified), ["Retail Overview"], "{certified}");
        let tagged = ts
            .stdout(&["ls", "tables", "--tag", "retail", "--tag", "certified"])
            .await;
        assert_eq!(names(&tagged), ["Stores"], "{tagged}");

        let json = ts.stdout(&["ls", "worksheets", "--json"]).await;
        let headers: serde_json::Value = serde_json::from_str(&json).unwrap();
        let headers = headers.as_array().expect("a JSON array");
        assert_eq!(headers.len(), 2, "{json}");
        assert_eq!(headers[0]["id"], ids::RETAIL_SALES);
        assert_eq!(headers[0]["name"], "Retail Sales");
        assert!(headers[0]["modified"].is_i64(), "{json}");
        let users: serde_json::Value =
            serde_json::from_str(&ts.stdout(&["ls", "users", "--json"]).await).unwrap();
        assert!(users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "bob" && u["displayName"] == "Bob Seller"));
    }
}

#[tokio::test]
async fn ls_vizzes_of_a_pinboard_by_name_or_id() {
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let vizzes = ts.stdout(&["ls", "vizzes", "Retail Overview"]).await;
        let lines = rows(&vizzes);
        assert_eq!(lines[0], "ID NAME TYPE", "{vizzes}");
        assert_eq!(
            lines[1..],
            [
                format!("{} Order Lines TABLE", ids::VIZ_ORDER_LINES),
                format!("{} Sales by Region CHART", ids::VIZ_SALES_BY_REGION),
                format!("{} Total Sales HEADLINE", ids::VIZ_TOTAL_SALES),
                format!("{} Untitled FILTER", ids::VIZ_REGION_FILTER),
            ],
            "{vizzes}"
        );
        let by_id = ts
            .stdout(&["ls", "vizzes", ids::STORES_PINBOARD, "--json"])
            .await;
        let by_id: serde_json::Value = serde_json::from_str(&by_id).unwrap();
        let names: Vec<&str> = by_id
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["All Stores", "Floor Space by City"]);

        let unknown = ts.usage_error(&["ls", "vizzes", "Nowhere Board"]).await;
        assert!(unknown.contains("'Nowhere Board'"), "{unknown}");
        let missing = ts.usage_error(&["ls", "vizzes"]).await;
        assert!(missing.contains("PINBOARD"), "{missing}");
        let stray = ts
            .usage_error(&["ls", "worksheets", "Retail Overview"])
            .await;
        assert!(stray.contains("'Retail Overview'"), "{stray}");
    }
}

#[tokio::test]
async fn columns_show_types_kinds_and_aggregations() {
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let shown = ts.stdout(&["columns", "Retail Sales"]).await;
        let lines = rows(&shown);
        assert_eq!(lines[0], "NAME DATA TYPE KIND AGGREGATION", "{shown}");
        for expected in [
            "Sales DOUBLE MEASURE SUM",
            "Discount FLOAT MEASURE AVERAGE",
            "Order Date DATE ATTRIBUTE NONE",
            "Region VARCHAR ATTRIBUTE NONE",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{expected}: {shown}");
        }
        assert!(!shown.contains("Internal Cost"), "{shown}");

        let hidden = ts
            .stdout(&["columns", ids::RETAIL_SALES, "--show-hidden"])
            .await;
        assert!(
            rows(&hidden)
                .iter()
                .any(|l| l == "Internal Cost DOUBLE MEASURE SUM"),
            "{hidden}"
        );

        let json = ts.stdout(&["columns", "Stores", "--json"]).await;
        let columns: serde_json::Value = serde_json::from_str(&json).unwrap();
        let columns = columns.as_array().expect("a JSON array");
        assert!(!columns.is_empty(), "{json}");
        assert!(
            columns
                .iter()
                .all(|c| c["dataType"].is_string() && c["kind"].is_string()),
            "{json}"
        );

        let unknown = ts.usage_error(&["columns", "No Such Sheet"]).await;
        assert!(unknown.contains("'No Such Sheet'"), "{unknown}");
    }
}

#[tokio::test]
async fn pdf_writes_a_file_in_the_asked_orientation() {
    let dir = TempDir::new("cli-metadata-pdf");
    for profile in profiles() {
        let name = profile.name.clone();
        let ts = Cluster::start(profile).await;
        for (orientation, size) in [("portrait", "595 x 842"), ("landscape", "842 x 595")] {
            let path = dir.join(format!("{name}-{orientation}.pdf"));
            let shown = path.to_str().unwrap();
            let stdout = ts
                .stdout(&[
                    "pdf",
                    "Retail Overview",
                    "--out",
                    shown,
                    "--orientation",
                    orientation,
                    "--footer",
                    "Quarterly review",
                ])
                .await;
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"%PDF"), "{shown}");
            assert_eq!(
                stdout.trim(),
                format!("wrote {} bytes to {shown}", bytes.len())
            );
            let page = page_size(&path);
            assert!(page.contains(size), "{orientation}: {page}");
            assert!(
                !dir.join(format!("{name}-{orientation}.pdf.partial"))
                    .exists(),
                "partial file left behind"
            );
        }

        // Vizzes by name and by id; a picked subset makes a smaller PDF than the whole pinboard.
        let whole = dir.join(format!("{name}-whole.pdf"));
        let picked = dir.join(format!("{name}-picked.pdf"));
        ts.stdout(&[
            "pdf",
            ids::RETAIL_PINBOARD,
            "--out",
            whole.to_str().unwrap(),
            "--layout",
            "visualization",
            "--no-cover-page",
            "--no-filter-page",
        ])
        .await;
        ts.stdout(&[
            "pdf",
            "Retail Overview",
            "--out",
            picked.to_str().unwrap(),
            "--viz",
            "Total Sales",
            "--viz",
            ids::VIZ_SALES_BY_REGION,
            "--no-cover-page",
            "--no-filter-page",
            "--no-logo",
            "--no-page-numbers",
        ])
        .await;
        let pages = |path: &std::path::Path| {
            let out = std::process::Command::new("pdfinfo")
                .arg(path)
                .output()
                .expect("pdfinfo runs");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("Pages:"))
                .map(|n| n.trim().parse::<u32>().unwrap())
                .expect("a page count")
        };
        assert!(pages(&picked) < pages(&whole), "picked vizzes only");
        assert_eq!(pages(&picked), 2, "one page per picked viz");
    }
}

#[tokio::test]
async fn pdf_streams_to_stdout() {
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let output = ts
            .run(&["pdf", "Store Footprint", "--out", "-", "--no-cover-page"])
            .await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert!(output.stdout.starts_with(b"%PDF"));
        assert!(
            String::from_utf8_lossy(&output.stdout)
                .trim_end()
                .ends_with("%%EOF"),
            "a whole PDF on stdout"
        );
    }
}

#[tokio::test]
async fn pdf_usage_errors_name_the_problem() {
    let dir = TempDir::new("cli-metadata-errors");
    let out = dir.join("never.pdf");
    let out = out.to_str().unwrap();
    for profile in profiles() {
        let ts = Cluster::start(profile).await;
        let unknown = ts
            .usage_error(&["pdf", "Missing Board", "--out", out])
            .await;
        assert!(unknown.contains("'Missing Board'"), "{unknown}");
        let bad_viz = ts
            .usage_error(&["pdf", "Retail Overview", "--out", out, "--viz", "Gone Viz"])
            .await;
        assert!(bad_viz.contains("'Gone Viz'"), "{bad_viz}");
        let layout = ts
            .usage_error(&[
                "pdf",
                "Retail Overview",
                "--out",
                out,
                "--viz",
                "Total Sales",
                "--layout",
                "pinboard",
            ])
            .await;
        assert!(layout.contains("--layout visualization"), "{layout}");
        let ftp = ts
            .usage_error(&["pdf", "Retail Overview", "--out", "ftp://x/y"])
            .await;
        assert!(ftp.contains("unknown scheme 'ftp://'"), "{ftp}");
        assert!(!std::path::Path::new(out).exists());
    }
    // A bad destination is refused before any connection is attempted.
    let offline = run(
        &["pdf", "Retail Overview", "--out", "ftp://bucket/x.pdf"],
        &[],
    )
    .await;
    assert_eq!(offline.status.code(), Some(2), "{}", text(&offline));
    assert!(text(&offline).contains("ftp://"), "{}", text(&offline));
}

#[tokio::test]
async fn pdf_goes_to_an_object_store_url() {
    let ts = Cluster::start(Profile::v2021()).await;
    let dir = TempDir::new("cli-pdf-store");
    let target = dir.join("reports").join("overview.pdf");
    let url = format!("file://{}", target.display());
    let out = ts.stdout(&["pdf", "Retail Overview", "--out", &url]).await;
    assert!(out.contains(&url), "{out}");
    let bytes = std::fs::read(&target).expect("the object exists");
    assert!(
        bytes.starts_with(b"%PDF")
            && String::from_utf8_lossy(&bytes)
                .trim_end()
                .ends_with("%%EOF")
    );
    assert!(
        out.contains(&format!("wrote {} bytes", bytes.len())),
        "{out}"
    );
    // A failed export stores nothing.
    let missing = dir.join("reports").join("missing.pdf");
    let failed = ts
        .run(&[
            "pdf",
            "Retail Overview",
            "--out",
            &format!("file://{}", missing.display()),
            "--viz",
            "No Such Viz",
        ])
        .await;
    assert_eq!(failed.status.code(), Some(2));
    assert!(!missing.exists());
}
