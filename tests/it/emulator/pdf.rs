//! `export/pinboard/pdf` over real HTTP (wire-protocol §1.3, §2.8), checked with real PDF tools.
//!
//! `qpdf`, `pdfinfo` and `pdftotext` (poppler-utils) must be installed; a missing tool fails the
//! test with a message saying so, it never skips.

use crate::common::*;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::multipart::Form;
use reqwest::{Client, Response, StatusCode};
use tsexport_emulator::ids;
use tsexport_emulator::{Emulator, Profile};

/// How the parameters travel (wire-protocol §1.3: the emulator must accept all three).
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Query,
    Form,
    Multipart,
}

async fn export(
    emu: &Emulator,
    client: &Client,
    how: Encoding,
    params: &[(&str, &str)],
) -> Response {
    let request = v1(client.post(url(emu, "export/pinboard/pdf")))
        .header("Accept", "application/octet-stream");
    let request = match how {
        Encoding::Query => request.query(params),
        Encoding::Form => request.form(params),
        Encoding::Multipart => {
            let form = params.iter().fold(Form::new(), |form, (k, v)| {
                form.text(k.to_string(), v.to_string())
            });
            request.multipart(form)
        }
    };
    request.send().await.expect("export request")
}

/// Exports and asserts a 200 PDF; returns its bytes.
async fn export_pdf(
    emu: &Emulator,
    client: &Client,
    how: Encoding,
    params: &[(&str, &str)],
) -> Vec<u8> {
    let r = export(emu, client, how, params).await;
    assert_eq!(r.status(), StatusCode::OK, "{how:?} {params:?}");
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/octet-stream");
    let bytes = r.bytes().await.unwrap().to_vec();
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{how:?}: body does not start with %PDF-"
    );
    assert!(
        bytes.trim_ascii_end().ends_with(b"%%EOF"),
        "{how:?}: body does not end with %%EOF"
    );
    bytes
}

/// A PDF written to a temp file, removed on drop.
struct TempPdf(PathBuf);

impl TempPdf {
    fn new(bytes: &[u8], label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("tsexport-it-pdf-{}-{n}-{label}.pdf", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).expect("write temp PDF");
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempPdf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs a PDF tool; panics with an install hint when it is missing, and with its output when it
/// fails. Returns stdout.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{name}` ({e}): these tests need qpdf and poppler-utils \
             (pdfinfo, pdftotext) installed, e.g. `apt-get install qpdf poppler-utils`"
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`{name} {}` failed ({}):\n{stdout}\n{stderr}",
        args.join(" "),
        out.status
    );
    stdout
}

/// What the tools say about one PDF.
struct Checked {
    pages: usize,
    page_size: String,
    /// Extracted text with all whitespace runs collapsed to one space.
    text: String,
}

fn check(bytes: &[u8], label: &str) -> Checked {
    let file = TempPdf::new(bytes, label);
    let qpdf = tool("qpdf", &["--check", file.path()]);
    assert!(!qpdf.contains("WARNING"), "{label}: qpdf --check:\n{qpdf}");
    let info = tool("pdfinfo", &[file.path()]);
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("{label}: no `{key}` in pdfinfo output:\n{info}"))
    };
    let pages = field("Pages:")
        .parse()
        .unwrap_or_else(|e| panic!("{label}: page count: {e}\n{info}"));
    let page_size = field("Page size:");
    let raw = tool("pdftotext", &[file.path(), "-"]);
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    Checked {
        pages,
        page_size,
        text,
    }
}

const VIZ_NAMES: [&str; 3] = ["Order Lines", "Sales by Region", "Total Sales"];

#[tokio::test]
async fn export_in_every_encoding_is_a_valid_pdf() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let mut results = Vec::new();
    for how in [Encoding::Query, Encoding::Form, Encoding::Multipart] {
        let pdf = export_pdf(&emu, &client, how, &[("id", PINBOARD)]).await;
        let c = check(&pdf, &format!("{how:?}"));
        assert!(c.text.contains("Retail Overview"), "{how:?}: {}", c.text);
        for name in VIZ_NAMES {
            assert!(c.text.contains(name), "{how:?}: no {name:?} in {}", c.text);
        }
        assert!(
            !c.text.contains("Untitled"),
            "the filter tile is not drawn: {}",
            c.text
        );
        results.push(pdf);
    }
    // The encoding does not change the document.
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn orientation_decides_the_page_size() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let default = check(
        &export_pdf(&emu, &client, Encoding::Query, &[("id", PINBOARD)]).await,
        "default",
    );
    assert!(
        default.page_size.starts_with("842 x 595 pts"),
        "default is LANDSCAPE A4: {}",
        default.page_size
    );
    let landscape = check(
        &export_pdf(
            &emu,
            &client,
            Encoding::Form,
            &[("id", PINBOARD), ("orientation", "LANDSCAPE")],
        )
        .await,
        "landscape",
    );
    assert!(
        landscape.page_size.starts_with("842 x 595 pts"),
        "{}",
        landscape.page_size
    );
    let portrait = check(
        &export_pdf(
            &emu,
            &client,
            Encoding::Multipart,
            &[("id", PINBOARD), ("orientation", "PORTRAIT")],
        )
        .await,
        "portrait",
    );
    assert!(
        portrait.page_size.starts_with("595 x 842 pts"),
        "{}",
        portrait.page_size
    );
    assert!(portrait.text.contains("Retail Overview"));
}

#[tokio::test]
async fn visualization_layout_with_one_viz() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let only = format!(r#"["{}"]"#, ids::VIZ_TOTAL_SALES);
    for how in [Encoding::Query, Encoding::Form, Encoding::Multipart] {
        let pdf = export_pdf(
            &emu,
            &client,
            how,
            &[
                ("id", PINBOARD),
                ("layout_type", "VISUALIZATION"),
                ("visualization_ids", &only),
            ],
        )
        .await;
        let c = check(&pdf, &format!("one-viz-{how:?}"));
        assert!(c.text.contains("Retail Overview"), "{}", c.text);
        assert!(c.text.contains("Total Sales"), "{}", c.text);
        for other in ["Order Lines", "Sales by Region"] {
            assert!(
                !c.text.contains(other),
                "{how:?}: {other} drawn: {}",
                c.text
            );
        }
    }
    // Another viz alone, the other way round.
    let only = format!("['{}']", ids::VIZ_SALES_BY_REGION);
    let pdf = export_pdf(
        &emu,
        &client,
        Encoding::Query,
        &[
            ("id", PINBOARD),
            ("layout_type", "VISUALIZATION"),
            ("visualization_ids", &only),
        ],
    )
    .await;
    let c = check(&pdf, "one-viz-region");
    assert!(c.text.contains("Sales by Region"), "{}", c.text);
    assert!(!c.text.contains("Order Lines"), "{}", c.text);
    // Without a list, VISUALIZATION layout draws all three.
    let pdf = export_pdf(
        &emu,
        &client,
        Encoding::Query,
        &[("id", PINBOARD), ("layout_type", "VISUALIZATION")],
    )
    .await;
    let c = check(&pdf, "all-vizzes");
    for name in VIZ_NAMES {
        assert!(c.text.contains(name), "no {name:?} in {}", c.text);
    }
}

#[tokio::test]
async fn visualization_ids_need_visualization_layout() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let only = format!(r#"["{}"]"#, ids::VIZ_TOTAL_SALES);
    for layout in [None, Some("PINBOARD")] {
        let mut params = vec![("id", PINBOARD), ("visualization_ids", only.as_str())];
        params.extend(layout.map(|l| ("layout_type", l)));
        let r = export(&emu, &client, Encoding::Form, &params).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{params:?}");
        let (code, debug) = error_body(r).await;
        assert_eq!(code, 10002);
        assert!(debug.contains("visualization_ids"), "{debug}");
    }
}

#[tokio::test]
async fn bad_parameter_values_are_400() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let unknown_viz = r#"["00000000-0000-0000-0000-000000000000"]"#;
    for params in [
        vec![("id", PINBOARD), ("orientation", "DIAGONAL")],
        vec![("id", PINBOARD), ("layout_type", "POSTER")],
        vec![("id", PINBOARD), ("include_cover_page", "maybe")],
        vec![
            ("id", PINBOARD),
            ("layout_type", "VISUALIZATION"),
            ("visualization_ids", unknown_viz),
        ],
        vec![("orientation", "PORTRAIT")],
    ] {
        for how in [Encoding::Query, Encoding::Multipart] {
            let r = export(&emu, &client, how, &params).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{how:?} {params:?}");
            assert_eq!(error_body(r).await.0, 10002);
        }
    }
}

#[tokio::test]
async fn unknown_pinboard_is_404() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    // An unknown id, and the id of something that is not a pinboard.
    for id in ["00000000-0000-0000-0000-000000000000", RETAIL] {
        let r = export(&emu, &client, Encoding::Form, &[("id", id)]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "id {id}");
        let (_, debug) = error_body(r).await;
        assert!(debug.contains(id), "{debug}");
    }
}

#[tokio::test]
async fn cover_page_switch_changes_the_page_count() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let with = check(
        &export_pdf(&emu, &client, Encoding::Query, &[("id", PINBOARD)]).await,
        "with-cover",
    );
    let explicit = check(
        &export_pdf(
            &emu,
            &client,
            Encoding::Query,
            &[("id", PINBOARD), ("include_cover_page", "true")],
        )
        .await,
        "explicit-cover",
    );
    let without = check(
        &export_pdf(
            &emu,
            &client,
            Encoding::Multipart,
            &[("id", PINBOARD), ("include_cover_page", "false")],
        )
        .await,
        "without-cover",
    );
    assert_eq!(
        explicit.pages, with.pages,
        "the cover page is on by default"
    );
    assert_eq!(
        without.pages + 1,
        with.pages,
        "one cover page: {} with, {} without",
        with.pages,
        without.pages
    );
    assert!(
        without.text.contains("Retail Overview"),
        "title on content pages"
    );
    // The filter page is another switch.
    let bare = check(
        &export_pdf(
            &emu,
            &client,
            Encoding::Form,
            &[
                ("id", PINBOARD),
                ("include_cover_page", "false"),
                ("include_filter_page", "false"),
            ],
        )
        .await,
        "bare",
    );
    assert_eq!(bare.pages + 1, without.pages);
    assert!(bare.pages >= 1);
}

#[tokio::test]
async fn footer_text_and_runtime_filters_are_printed() {
    let emu = start(1000, Profile::v2021()).await;
    let client = login(&emu).await;
    let r = v1(client.post(url(&emu, "export/pinboard/pdf")))
        .query(&[("col1", "Region"), ("op1", "EQ"), ("val1", "west")])
        .form(&[("id", PINBOARD), ("footer_text", "Internal use only")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c = check(&r.bytes().await.unwrap(), "footer");
    assert!(c.text.contains("Internal use only"), "{}", c.text);
    assert!(c.text.contains("Region EQ west"), "{}", c.text);
}

#[tokio::test]
async fn export_needs_a_session() {
    let emu = start(1000, Profile::v2021()).await;
    let r = export(&emu, &client(), Encoding::Query, &[("id", PINBOARD)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_body(r).await.0, 10003);
}
