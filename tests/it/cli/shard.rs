//! `tsexport run --shard auto/COUNT` and `--shard auto` as a scheduler runs them: the index (and
//! count) from the task's environment, each export in exactly one task, the report naming the
//! shard and the variable it came from, and a clear usage error outside a scheduler.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{output_text as text, run_cli as run, TempDir};
use serde_json::Value;
use tsexport_emulator::Emulator;

/// Four small searches, each to its own folder under `out`.
fn four_exports(dir: &Path, out: &Path) -> String {
    let mut file = String::from("[run]\nconcurrency = 2\n\n");
    for name in ["north", "south", "east", "west"] {
        file.push_str(&format!(
            "[[export]]\nname = \"{name}\"\nsearch = \"[Region] [Sales] sort by [Region]\"\n\
             source = \"Retail Sales\"\nout = \"{}/{{name}}/\"\n\n",
            out.display()
        ));
    }
    let path = dir.join("jobs.toml");
    std::fs::write(&path, file).expect("write job file");
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn auto_count_takes_the_index_from_the_indexed_job_and_runs_each_export_once() {
    let emu = Emulator::builder()
        .rows(500)
        .start()
        .await
        .expect("emulator");
    let url = emu.base_url();
    let dir = TempDir::new("jobs-shard-auto");
    let out = dir.path().join("lake");
    let jobs = four_exports(dir.path(), &out);
    // Export name -> the task index that ran it.
    let mut ran: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for index in 0..2usize {
        let report_path = dir.path().join(format!("report-{index}.json"));
        let report_arg = report_path.to_string_lossy().into_owned();
        let index_text = index.to_string();
        let output = run(
            &[
                "run",
                &jobs,
                "--shard",
                "auto/2",
                "--run-date",
                "2026-11-27",
                "--report",
                &report_arg,
            ],
            &[
                ("TSEXPORT_URL", url.as_str()),
                ("TSEXPORT_USERNAME", "tsadmin"),
                ("TSEXPORT_PASSWORD", "admin"),
                ("JOB_COMPLETION_INDEX", &index_text),
            ],
        )
        .await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let report: Value =
            serde_json::from_slice(&std::fs::read(&report_path).expect("report file"))
                .expect("the report is JSON");
        assert_eq!(report["shard"], format!("{index}/2"), "{report}");
        assert_eq!(report["shard_source"], "JOB_COMPLETION_INDEX", "{report}");
        assert_eq!(report["failed"], 0, "{report}");
        for export in report["exports"].as_array().expect("exports") {
            assert_eq!(export["status"], "ok", "{export}");
            let name = export["name"].as_str().expect("name").to_string();
            assert!(out.join(&name).join("_SUCCESS").exists(), "{name}");
            ran.entry(name).or_default().push(index);
        }
    }
    // Export k runs in task k % 2, and nowhere else.
    let expected: BTreeMap<String, Vec<usize>> =
        [("north", 0), ("south", 1), ("east", 0), ("west", 1)]
            .into_iter()
            .map(|(name, index)| (name.to_string(), vec![index]))
            .collect();
    assert_eq!(ran, expected);
    let folders = std::fs::read_dir(&out).expect("lake").count();
    assert_eq!(folders, 4, "one folder per export");

    // The dry run's header names the shard and where it came from.
    let output = run(
        &["run", &jobs, "--dry-run", "--shard", "auto"],
        &[("CLOUD_RUN_TASK_INDEX", "2"), ("CLOUD_RUN_TASK_COUNT", "3")],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let plan = String::from_utf8_lossy(&output.stdout);
    assert!(
        plan.lines()
            .next()
            .unwrap_or_default()
            .contains("shard 2/3 (CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT): 1 export(s)"),
        "{plan}"
    );
}

#[tokio::test]
async fn auto_outside_a_scheduler_is_a_usage_error_that_says_what_to_do() {
    let dir = TempDir::new("jobs-shard-auto-bad");
    let jobs = four_exports(dir.path(), &dir.path().join("lake"));
    // No scheduler variable: exit 2 naming all three, before anything connects.
    let output = run(&["run", &jobs, "--shard", "auto/2"], &[]).await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    for word in [
        "--shard auto/2",
        "JOB_COMPLETION_INDEX",
        "AWS_BATCH_JOB_ARRAY_INDEX",
        "CLOUD_RUN_TASK_INDEX",
        "INDEX/COUNT",
    ] {
        assert!(message.contains(word), "{word}: {message}");
    }
    // Backfill takes the same flag.
    let output = run(
        &[
            "backfill",
            &jobs,
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--shard",
            "auto/2",
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("JOB_COMPLETION_INDEX"));
    for (spec, env, says) in [
        (
            "auto",
            vec![("JOB_COMPLETION_INDEX", "0")],
            "spec.completions",
        ),
        ("auto/2", vec![("JOB_COMPLETION_INDEX", "x")], "'x'"),
        ("auto/2", vec![("JOB_COMPLETION_INDEX", "2")], "not below"),
        (
            "auto/2",
            vec![("CLOUD_RUN_TASK_INDEX", "0"), ("CLOUD_RUN_TASK_COUNT", "3")],
            "CLOUD_RUN_TASK_COUNT=3",
        ),
        ("auto/0", vec![], "auto/COUNT"),
    ] {
        let output = run(&["run", &jobs, "--dry-run", "--shard", spec], &env).await;
        assert_eq!(output.status.code(), Some(2), "{spec}: {}", text(&output));
        assert!(text(&output).contains(says), "{spec}: {}", text(&output));
    }
}
