//! The fault matrix: every fault kind the emulator injects, on every kind of request an export or a
//! PDF download makes (through REST v1, and through v2 with `--api v2`), once (within the retry
//! budget) and on every attempt (beyond it). Each cell runs
//! the real `tsexport` binary against its own emulator and checks the one promise that matters: the
//! destination holds exactly the rows served (no duplicate, no gap), or it is exactly as it was
//! before, and the exit code is the documented one. The whole matrix is printed as a table.

use crate::common::files;
use crate::common::TempDir;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::common::{output_text, run_cli, PINBOARD};
use tsexport_emulator::{Emulator, Fault, FaultPlan, FaultRule, Profile};

/// Rows served: with 1,000-row pages, three pages (full, full, short).
const ROWS: u64 = 2_500;
const PAGE: &str = "1000";
const QUERY: &str = "[Order Line ID] [Region] [Sales] sort by [Order Line ID]";
/// `--retries`: each request gets three attempts.
const RETRIES: u64 = 2;

/// A kind of request, and which of its requests (counted per endpoint, from 1) it is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Request {
    Login,
    /// Finding the worksheet by name.
    Lookup,
    /// The worksheet's column types.
    Details,
    FirstPage,
    MiddlePage,
    LastPage,
    Pdf,
    /// REST v2: the bearer token (`auth/token/full`).
    V2Token,
    /// REST v2: finding the worksheet by name (`metadata/search`).
    V2Lookup,
    /// REST v2: the worksheet's column types (`metadata/search` with details).
    V2Columns,
    V2FirstPage,
    V2MiddlePage,
    V2LastPage,
}

impl Request {
    const ALL: [Request; 13] = [
        Request::Login,
        Request::Lookup,
        Request::Details,
        Request::FirstPage,
        Request::MiddlePage,
        Request::LastPage,
        Request::Pdf,
        Request::V2Token,
        Request::V2Lookup,
        Request::V2Columns,
        Request::V2FirstPage,
        Request::V2MiddlePage,
        Request::V2LastPage,
    ];

    fn endpoint_and_nth(self) -> (&'static str, u64) {
        match self {
            Request::Login => ("session/login", 1),
            Request::Lookup => ("metadata/listobjectheaders", 1),
            Request::Details => ("metadata/details", 1),
            Request::FirstPage => ("searchdata", 1),
            Request::MiddlePage => ("searchdata", 2),
            Request::LastPage => ("searchdata", 3),
            Request::Pdf => ("export/pinboard/pdf", 1),
            Request::V2Token => ("v2/auth/token/full", 1),
            Request::V2Lookup => ("v2/metadata/search", 1),
            Request::V2Columns => ("v2/metadata/search", 2),
            Request::V2FirstPage => ("v2/searchdata", 1),
            Request::V2MiddlePage => ("v2/searchdata", 2),
            Request::V2LastPage => ("v2/searchdata", 3),
        }
    }

    fn is_v2(self) -> bool {
        self.endpoint_and_nth().0.starts_with("v2/")
    }

    fn is_sign_in(self) -> bool {
        matches!(self, Request::Login | Request::V2Token)
    }

    fn is_column_types(self) -> bool {
        matches!(self, Request::Details | Request::V2Columns)
    }

    fn is_first_page(self) -> bool {
        matches!(self, Request::FirstPage | Request::V2FirstPage)
    }

    /// A page after a full one: a 400 there reads as "past the end".
    fn is_later_page(self) -> bool {
        matches!(
            self,
            Request::MiddlePage | Request::LastPage | Request::V2MiddlePage | Request::V2LastPage
        )
    }

    fn is_page(self) -> bool {
        self.is_first_page() || self.is_later_page()
    }

    /// Whether the request's body is read: a v1 sign-in only needs its cookie; a v2 token is in
    /// the body.
    fn body_is_read(self) -> bool {
        self != Request::Login
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Request::Login => "login",
            Request::Lookup => "metadata: find source",
            Request::Details => "metadata: column types",
            Request::FirstPage => "data: first page",
            Request::MiddlePage => "data: middle page",
            Request::LastPage => "data: last page",
            Request::Pdf => "PDF",
            Request::V2Token => "v2: token",
            Request::V2Lookup => "v2 metadata: find source",
            Request::V2Columns => "v2 metadata: column types",
            Request::V2FirstPage => "v2 data: first page",
            Request::V2MiddlePage => "v2 data: middle page",
            Request::V2LastPage => "v2 data: last page",
        })
    }
}

/// What a cell must end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exit 0 with every row served written once (or the whole PDF).
    Recovers,
    /// This exit code, with the destination unchanged.
    Fails(i32),
    /// The fault does not apply to this request (a data fault on a sign-in, say).
    NotApplicable,
}

/// One kind of fault, and what it must lead to.
struct FaultKind {
    name: &'static str,
    fault: Fault,
    /// Within the budget (the fault fires once) and beyond it (on every attempt).
    expect: fn(Request, bool) -> Expect,
}

fn status(status: u16, retry_after: Option<u64>) -> Fault {
    Fault::Status {
        status,
        code: None,
        retry_after,
        debug: None,
    }
}

/// A failure a retry can fix: it recovers once, and exits 5 when it never stops.
fn transient(_: Request, once: bool) -> Expect {
    if once {
        Expect::Recovers
    } else {
        Expect::Fails(5)
    }
}

fn fault_kinds() -> Vec<FaultKind> {
    vec![
        FaultKind {
            name: "HTTP 503",
            fault: status(503, None),
            expect: transient,
        },
        FaultKind {
            name: "HTTP 503 + Retry-After",
            fault: status(503, Some(1)),
            expect: transient,
        },
        FaultKind {
            name: "HTTP 429 + Retry-After",
            fault: status(429, Some(1)),
            expect: transient,
        },
        FaultKind {
            // ThoughtSpot answers some invalid requests with 500, so it is not retried.
            name: "HTTP 500",
            fault: status(500, None),
            expect: |request, _| match request {
                _ if request.is_sign_in() => Expect::Fails(3),
                // Column types are a help: without them the columns are typed from the data.
                _ if request.is_column_types() => Expect::Recovers,
                _ => Expect::Fails(5),
            },
        },
        FaultKind {
            name: "HTTP 400",
            fault: status(400, None),
            expect: |request, _| match request {
                _ if request.is_sign_in() => Expect::Fails(3),
                // Some builds answer a page past the end with 400, so after a full page it ends the
                // data, and the count that falls short of totalRowCount fails the export. (v2 has
                // no total to fall short of, so the same 400 ends it, short: a page of a v2 search
                // must come back or the export stops before it.)
                Request::MiddlePage | Request::LastPage => Expect::Fails(4),
                Request::V2MiddlePage | Request::V2LastPage => Expect::Fails(2),
                // A user who may search but not read the worksheet's definition: typed from the data.
                _ if request.is_column_types() => Expect::Recovers,
                _ => Expect::Fails(2),
            },
        },
        FaultKind {
            name: "HTTP 403",
            fault: status(403, None),
            expect: |request, _| match request {
                _ if request.is_column_types() => Expect::Recovers,
                _ => Expect::Fails(3),
            },
        },
        FaultKind {
            name: "delay past the timeout",
            fault: Fault::Delay { millis: 1_500 },
            expect: transient,
        },
        FaultKind {
            name: "truncated body",
            fault: Fault::Truncate { after_bytes: 10 },
            expect: |request, once| match request.body_is_read() {
                true => transient(request, once),
                false => Expect::NotApplicable,
            },
        },
        FaultKind {
            name: "dropped connection",
            fault: Fault::Drop,
            expect: transient,
        },
        FaultKind {
            name: "session expired",
            fault: Fault::ExpireSession,
            expect: |request, once| match request {
                _ if request.is_sign_in() => Expect::Fails(3),
                _ if once => Expect::Recovers,
                _ => Expect::Fails(3),
            },
        },
        FaultKind {
            name: "sampling 0.5",
            fault: Fault::Sampling { ratio: 0.5 },
            expect: |request, _| match request.is_page() {
                true => Expect::Fails(4),
                false => Expect::NotApplicable,
            },
        },
        FaultKind {
            name: "rows shift (+7)",
            fault: Fault::ShiftRows { rows: 7 },
            expect: |request, once| match request {
                // Rows move between pages; before the first page there is nothing to move against.
                _ if request.is_first_page() && once => Expect::Recovers,
                _ if request.is_page() => Expect::Fails(4),
                _ => Expect::NotApplicable,
            },
        },
        FaultKind {
            name: "totalRowCount too high",
            fault: Fault::WrongTotal { total: ROWS + 100 },
            expect: |request, _| match request.is_page() {
                true => Expect::Fails(4),
                false => Expect::NotApplicable,
            },
        },
        FaultKind {
            // A low count is a floor that holds; only a count that changes between pages is a fault.
            name: "totalRowCount too low",
            fault: Fault::WrongTotal { total: ROWS - 100 },
            expect: |request, once| match request {
                // Reported low on every page, it is a floor that holds.
                _ if request.is_first_page() && !once => Expect::Recovers,
                // v2's counter is a floor only where it exceeds the page's rows: a low one on a
                // later page reads as a page count and is ignored.
                _ if request.is_v2() && request.is_page() => Expect::Recovers,
                _ if request.is_page() => Expect::Fails(4),
                _ => Expect::NotApplicable,
            },
        },
        FaultKind {
            name: "body past the size cap",
            fault: Fault::Pad { bytes: 3 << 20 },
            expect: |request, _| match request {
                Request::Login => Expect::NotApplicable,
                _ => Expect::Fails(1),
            },
        },
        FaultKind {
            name: "invalid UTF-8 byte",
            fault: Fault::Corrupt {
                at_byte: 2,
                byte: 0xFF,
            },
            expect: |request, _| match request {
                // A PDF is bytes; only its own checksums could tell.
                Request::Login | Request::Pdf => Expect::NotApplicable,
                _ => Expect::Fails(1),
            },
        },
    ]
}

/// The environment every run gets.
fn connection(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("TSEXPORT_URL", emu.base_url()),
        ("TSEXPORT_USERNAME", "tsadmin".into()),
        ("TSEXPORT_PASSWORD", "admin".into()),
    ]
}

/// The common flags: three attempts per request, a 1 s timeout, a 2 MiB body cap, one page at a
/// time so that the n-th data request is the n-th page.
fn budget() -> Vec<String> {
    [
        "--retries",
        &RETRIES.to_string(),
        "--timeout",
        "1",
        "--max-response-size",
        "2M",
    ]
    .map(String::from)
    .to_vec()
}

async fn run(emu: &Emulator, args: Vec<String>) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env = connection(emu);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_cli(&args, &env).await
}

/// A v2 cell reads every byte through v2: the zone is given, so v1's `session/info` is not asked.
fn v2_args(mut args: Vec<String>) -> Vec<String> {
    args.extend(["--api", "v2", "--time-zone", "America/Chicago"].map(String::from));
    args
}

fn search_args(out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "search",
        QUERY,
        "-s",
        "Retail Sales",
        "--page-size",
        PAGE,
        "--in-flight",
        "1",
        "-o",
    ]
    .map(String::from)
    .to_vec();
    args.push(out.display().to_string());
    args.extend(budget());
    args
}

fn pdf_args(out: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["pdf", PINBOARD, "-o"].map(String::from).to_vec();
    args.push(out.display().to_string());
    args.extend(budget());
    args
}

/// The v1 cells' emulator is a 2020-22 cluster; the v2 cells' a current one.
async fn emulator(plan: FaultPlan, v2: bool) -> Emulator {
    let profile = if v2 {
        Profile::modern()
    } else {
        Profile::v2021()
    };
    Emulator::builder()
        .rows(ROWS)
        .profile(profile)
        .faults(plan)
        .start()
        .await
        .expect("emulator")
}

/// What a fault-free run writes: the previous version each cell starts from, and what a recovered
/// cell must equal.
struct Baseline {
    export: BTreeMap<String, Vec<u8>>,
    ids: Vec<i64>,
    pdf: Vec<u8>,
}

async fn baseline() -> Baseline {
    let emu = emulator(FaultPlan::new(), false).await;
    let dir = TempDir::new("matrix-baseline");
    let out = dir.path().join("export");
    let output = run(&emu, search_args(&out)).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let export = files::snapshot(&out);
    let ids = files::int_column(&export, "Order Line ID").expect("baseline parquet");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        (ids.len(), unique.len()),
        (ROWS as usize, ROWS as usize),
        "the fault-free export holds every row once"
    );
    let pdf_path = dir.path().join("board.pdf");
    let output = run(&emu, pdf_args(&pdf_path)).await;
    assert!(output.status.success(), "{}", output_text(&output));
    let pdf = std::fs::read(&pdf_path).expect("baseline pdf");
    Baseline { export, ids, pdf }
}

/// The outcome of one cell, as printed.
#[derive(Debug, Clone)]
struct Outcome {
    expect: Expect,
    code: Option<i32>,
    /// `None` when the cell holds; otherwise what went wrong.
    problem: Option<String>,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.problem.is_some() { "FAIL " } else { "" };
        match (self.expect, self.code) {
            (Expect::NotApplicable, _) => write!(f, "-"),
            (Expect::Recovers, Some(0)) => write!(f, "{mark}recovered, all rows"),
            (_, code) => write!(f, "{mark}exit {}, unchanged", code.unwrap_or(-1)),
        }
    }
}

async fn cell(base: &Baseline, kind: &FaultKind, request: Request, within_budget: bool) -> Outcome {
    let expect = (kind.expect)(request, within_budget);
    if expect == Expect::NotApplicable {
        return Outcome {
            expect,
            code: None,
            problem: None,
        };
    }
    let (endpoint, nth) = request.endpoint_and_nth();
    let firing: Vec<u64> = if within_budget {
        vec![nth]
    } else {
        // Every attempt from the n-th on, whatever the retries and re-logins.
        (nth..nth + 4 * (RETRIES + 1)).collect()
    };
    let plan = FaultPlan::new().rule(FaultRule::new(endpoint, kind.fault.clone()).nth(firing));
    let emu = emulator(plan, request.is_v2()).await;
    let dir = TempDir::new("matrix-cell");

    let (output, before, after_path) = if request == Request::Pdf {
        let path = dir.path().join("board.pdf");
        std::fs::write(&path, b"%PDF- the previous version").expect("previous pdf");
        let before = files::snapshot(dir.path());
        (
            run(&emu, pdf_args(&path)).await,
            before,
            dir.path().to_owned(),
        )
    } else {
        let out = dir.path().join("export");
        for (name, bytes) in &base.export {
            let path = out.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
            std::fs::write(path, bytes).expect("previous version");
        }
        let before = files::snapshot(&out);
        let args = match request.is_v2() {
            true => v2_args(search_args(&out)),
            false => search_args(&out),
        };
        (run(&emu, args).await, before, out)
    };
    let code = output.status.code();
    let after = files::snapshot(&after_path);
    let problem = match expect {
        Expect::Recovers if code != Some(0) => Some(format!(
            "expected recovery, got exit {code:?}: {}",
            output_text(&output)
        )),
        Expect::Recovers if request == Request::Pdf => (after.get("board.pdf") != Some(&base.pdf))
            .then(|| "the PDF differs from the fault-free one".to_string()),
        Expect::Recovers => match files::int_column(&after, "Order Line ID") {
            Ok(ids) if ids == base.ids => None,
            Ok(ids) => Some(format!(
                "{} rows written, {} served (duplicates or gaps)",
                ids.len(),
                base.ids.len()
            )),
            Err(e) => Some(e),
        },
        Expect::Fails(want) if code != Some(want) => Some(format!(
            "expected exit {want}, got {code:?}: {}",
            output_text(&output)
        )),
        Expect::Fails(_) if after != before => Some(format!(
            "the destination changed:\nbefore\n{}\nafter\n{}",
            files::listing(&before),
            files::listing(&after)
        )),
        _ => None,
    };
    Outcome {
        expect,
        code,
        problem,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_request_recovers_or_fails_cleanly() {
    let base = Arc::new(baseline().await);
    let kinds = Arc::new(fault_kinds());
    // The processes mostly wait on retries and timeouts, so several cells run at once.
    let slots = Arc::new(tokio::sync::Semaphore::new(6));
    let mut cells = Vec::new();
    for k in 0..kinds.len() {
        for request in Request::ALL {
            for within_budget in [true, false] {
                let (base, kinds, slots) = (base.clone(), kinds.clone(), slots.clone());
                cells.push(tokio::spawn(async move {
                    let _slot = slots.acquire().await.expect("slot");
                    let outcome = cell(&base, &kinds[k], request, within_budget).await;
                    (k, request, within_budget, outcome)
                }));
            }
        }
    }
    let mut results: BTreeMap<(usize, usize, bool), Outcome> = BTreeMap::new();
    for cell in cells {
        let (k, request, within, outcome) = cell.await.expect("cell task");
        let r = Request::ALL.iter().position(|x| *x == request).unwrap_or(0);
        results.insert((k, r, !within), outcome);
    }

    let mut table = String::from(
        "\n| fault | request | fires once (within budget) | fires every time (beyond budget) |\n|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for (k, kind) in kinds.iter().enumerate() {
        for (r, request) in Request::ALL.iter().enumerate() {
            let once = &results[&(k, r, false)];
            let always = &results[&(k, r, true)];
            table.push_str(&format!(
                "| {} | {request} | {once} | {always} |\n",
                kind.name
            ));
            for (label, outcome) in [("once", once), ("every time", always)] {
                ran += usize::from(outcome.expect != Expect::NotApplicable);
                if let Some(problem) = &outcome.problem {
                    failures.push(format!("{} on {request} ({label}): {problem}", kind.name));
                }
            }
        }
    }
    println!("{table}\n{ran} cells ran; {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 320, "the matrix shrank to {ran} cells");
}
