//! `tsexport completions` and `tsexport man`: generated from the same definitions as `--help`, so
//! they name the real subcommands and flags.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tsexport");

fn stdout_of(args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .output()
        .expect("tsexport runs");
    assert!(
        output.status.success(),
        "tsexport {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn completions_name_the_subcommands_and_their_flags() {
    let bash = stdout_of(&["completions", "bash"]);
    for word in [
        "pinboard",
        "search",
        "backfill",
        "--out",
        "--page-size",
        "--partition-by",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let zsh = stdout_of(&["completions", "zsh"]);
    assert!(
        zsh.starts_with("#compdef tsexport"),
        "{}",
        &zsh[..40.min(zsh.len())]
    );
    assert!(zsh.contains("--max-partitions"));
    let fish = stdout_of(&["completions", "fish"]);
    assert!(fish.contains("complete -c tsexport") && fish.contains("pinboard"));
    let powershell = stdout_of(&["completions", "powershell"]);
    assert!(powershell.contains("Register-ArgumentCompleter") && powershell.contains("--out"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let output = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .expect("tsexport runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bash"));
}

#[test]
fn the_man_page_is_roff_and_lists_the_commands() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains(".TH tsexport"),
        "{}",
        &page[..200.min(page.len())]
    );
    for command in ["pinboard", "search", "run", "completions"] {
        assert!(page.contains(command), "the man page lacks {command}");
    }
}

#[test]
fn man_writes_one_page_per_command_into_a_folder() {
    let folder = std::env::temp_dir().join(format!("tsexport-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let status = Command::new(BIN)
        .args(["man", "--out"])
        .arg(&folder)
        .status()
        .expect("tsexport runs");
    assert!(status.success());
    let top = std::fs::read_to_string(folder.join("tsexport.1")).expect("tsexport.1");
    assert!(top.contains(".TH tsexport"));
    let search =
        std::fs::read_to_string(folder.join("tsexport-search.1")).expect("tsexport-search.1");
    assert!(
        search.contains("page\\-size") || search.contains("page-size"),
        "{search}"
    );
    let _ = std::fs::remove_dir_all(&folder);
}
