//! `tsexport users ...` and `tsexport groups ...` against the in-process emulator, in both profiles.

use crate::common;
use crate::common::TempDir;

use std::process::Output;

use tsexport_emulator::{ids, Emulator, Profile};

/// Runs the binary signed in as `user` through the environment, plus `extra` variables.
async fn run(emu: &Emulator, user: (&str, &str), args: &[&str], extra: &[(&str, &str)]) -> Output {
    let url = emu.base_url();
    let mut env = vec![
        ("TSEXPORT_URL", url.as_str()),
        ("TSEXPORT_USERNAME", user.0),
        ("TSEXPORT_PASSWORD", user.1),
    ];
    env.extend_from_slice(extra);
    common::run_cli(args, &env).await
}

const ADMIN: (&str, &str) = ("tsadmin", "admin");

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn temp_file(dir: &TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn users_list_and_sync_keep_missing_users_unless_asked() {
    for profile in [Profile::v2021(), Profile::modern()] {
        let emu = Emulator::builder()
            .rows(10)
            .profile(profile)
            .start()
            .await
            .unwrap();
        let list = stdout(&run(&emu, ADMIN, &["users", "list"], &[]).await);
        assert!(
            list.starts_with("NAME") && list.contains("alice") && list.contains("Administrator"),
            "{list}"
        );

        let files = TempDir::new("cli-admin");
        let file = temp_file(
            &files,
            "principals.json",
            r#"[{"name":"dana","displayName":"Dana","principalTypeEnum":"LOCAL_USER","groupNames":["Analyst"]}]"#,
        );
        let file = file.to_str().unwrap();
        let dry = stdout(&run(&emu, ADMIN, &["users", "sync", file], &[]).await);
        assert!(dry.contains("dana") && dry.contains("dry run"), "{dry}");
        assert!(
            !stdout(&run(&emu, ADMIN, &["users", "list"], &[]).await).contains("dana"),
            "a dry run changes nothing"
        );

        let password = temp_file(&files, "new-user-password", "Dana-Pass-1\n");
        let applied = stdout(
            &run(
                &emu,
                ADMIN,
                &[
                    "users",
                    "sync",
                    file,
                    "--apply",
                    "--json",
                    "--password-file",
                    password.to_str().unwrap(),
                ],
                &[],
            )
            .await,
        );
        let diff: serde_json::Value = serde_json::from_str(&applied).unwrap();
        assert_eq!(diff["usersAdded"], serde_json::json!(["dana"]));
        assert_eq!(
            diff["usersDeleted"],
            serde_json::json!([]),
            "missing users are kept without --remove-deleted"
        );
        stdout(&run(&emu, ("dana", "Dana-Pass-1"), &["check"], &[]).await);

        let removal = stdout(
            &run(
                &emu,
                ADMIN,
                &["users", "sync", file, "--remove-deleted", "--json"],
                &[],
            )
            .await,
        );
        let diff: serde_json::Value = serde_json::from_str(&removal).unwrap();
        assert!(
            diff["usersDeleted"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u == "alice"),
            "{diff}"
        );
    }
}

#[tokio::test]
async fn set_password_and_transfer() {
    let emu = Emulator::builder().rows(10).start().await.unwrap();
    let out = stdout(
        &run(
            &emu,
            ("bob", "bob"),
            &["users", "set-password", "bob"],
            &[("TSEXPORT_NEW_PASSWORD", "Bob-New-2")],
        )
        .await,
    );
    assert!(out.contains("password of bob changed"));
    assert_eq!(
        run(&emu, ("bob", "bob"), &["check"], &[])
            .await
            .status
            .code(),
        Some(3),
        "the old password fails"
    );
    stdout(&run(&emu, ("bob", "Bob-New-2"), &["check"], &[]).await);

    let out = stdout(
        &run(
            &emu,
            ADMIN,
            &[
                "users",
                "transfer",
                "alice",
                "carol",
                "--object",
                ids::ANSWER_SALES_BY_PRODUCT,
            ],
            &[],
        )
        .await,
    );
    assert!(
        out.contains("moved 1 object(s) from alice to carol"),
        "{out}"
    );
    let bad = run(&emu, ADMIN, &["users", "transfer", "alice", "nobody"], &[]).await;
    assert_eq!(bad.status.code(), Some(2), "an unknown user is a 400");
    let denied = run(&emu, ("alice", "alice"), &["users", "list"], &[]).await;
    assert_eq!(
        denied.status.code(),
        Some(3),
        "403 is an authorization failure"
    );
}

#[tokio::test]
async fn groups_grant_and_revoke_reach_members() {
    for profile in [Profile::v2021(), Profile::modern()] {
        let emu = Emulator::builder()
            .rows(10)
            .profile(profile)
            .start()
            .await
            .unwrap();
        let privileges = |out: String| -> Vec<String> {
            let info: serde_json::Value = serde_json::from_str(&out).unwrap();
            serde_json::from_value(info["privileges"].clone()).unwrap()
        };
        stdout(
            &run(
                &emu,
                ADMIN,
                &["groups", "grant", "JOBSCHEDULING", "Analyst", "Sales Team"],
                &[],
            )
            .await,
        );
        let alice = privileges(stdout(
            &run(&emu, ("alice", "alice"), &["check", "--json"], &[]).await,
        ));
        assert!(alice.contains(&"JOBSCHEDULING".to_string()), "{alice:?}");
        stdout(
            &run(
                &emu,
                ADMIN,
                &["groups", "revoke", "jobscheduling", "Analyst", "Sales Team"],
                &[],
            )
            .await,
        );
        let alice = privileges(stdout(
            &run(&emu, ("alice", "alice"), &["check", "--json"], &[]).await,
        ));
        assert!(!alice.contains(&"JOBSCHEDULING".to_string()), "{alice:?}");
        let bad = run(&emu, ADMIN, &["groups", "grant", "FLYING", "Analyst"], &[]).await;
        assert_eq!(bad.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("FLYING"));
    }
}
