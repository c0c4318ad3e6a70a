//! The client commands of the binary against the in-process emulator: connection settings from the
//! environment, files and a config file; exit codes; no secret in any output, even at -vvv.

use crate::common;

use tsexport_emulator::{Emulator, Profile, DEFAULT_SECRET_KEY};

use crate::common::{output_text as text, run_cli as run, TempDir};

#[tokio::test]
async fn check_signs_in_from_the_environment_in_each_profile() {
    for profile in [Profile::v2021(), Profile::modern()] {
        let emu = Emulator::builder()
            .rows(10)
            .profile(profile)
            .start()
            .await
            .unwrap();
        let output = run(
            &["check"],
            &[
                ("TSEXPORT_URL", &emu.base_url()),
                ("TSEXPORT_USERNAME", "alice"),
                ("TSEXPORT_PASSWORD", "alice"),
            ],
        )
        .await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("alice (Alice Analyst)") && stdout.contains("DATADOWNLOADING"),
            "{stdout}"
        );
        assert!(stdout.contains("America/Chicago"), "{stdout}");
        assert_eq!(
            emu.request_count(tsexport_emulator::Endpoint::SessionLogout),
            1,
            "the CLI signs out when done"
        );
    }
}

#[tokio::test]
async fn check_json_trusted_auth_and_token_files() {
    let emu = Emulator::builder()
        .rows(10)
        .profile(Profile::modern())
        .start()
        .await
        .unwrap();
    let output = run(
        &[
            "check",
            "--json",
            "--url",
            &emu.base_url(),
            "--username",
            "bob",
        ],
        &[("TSEXPORT_SECRET_KEY", DEFAULT_SECRET_KEY)],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(info["userName"], "bob");

    let dir = TempDir::new("cli-client");
    let token_file = dir.join("token");
    std::fs::write(
        &token_file,
        format!("{}\n", emu.issue_bearer_token("carol")),
    )
    .unwrap();
    let output = run(
        &[
            "check",
            "--url",
            &emu.base_url(),
            "--token-file",
            token_file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("carol"));
}

#[tokio::test]
async fn named_connections_from_a_config_file() {
    let emu = Emulator::builder().rows(10).start().await.unwrap();
    let dir = TempDir::new("cli-config");
    let password = dir.join("password");
    std::fs::write(&password, "admin\n").unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[connections.lab]\nurl = \"{}\"\nusername = \"tsadmin\"\npassword_file = \"{}\"\n",
            emu.base_url(),
            password.display()
        ),
    )
    .unwrap();
    let output = run(
        &[
            "check",
            "--connection",
            "lab",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = run(
        &[
            "check",
            "--connection",
            "prod",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("no connection 'prod'") && text(&output).contains("lab"),
        "{}",
        text(&output)
    );
}

#[tokio::test]
async fn exit_codes_say_what_kind_of_failure() {
    let emu = Emulator::builder().rows(10).start().await.unwrap();
    let url = emu.base_url();
    let wrong = run(
        &["check", "--url", &url, "--username", "tsadmin"],
        &[("TSEXPORT_PASSWORD", "not-it")],
    )
    .await;
    assert_eq!(wrong.status.code(), Some(3), "{}", text(&wrong));
    let no_url = run(&["check"], &[]).await;
    assert_eq!(no_url.status.code(), Some(2));
    assert!(text(&no_url).contains("TSEXPORT_URL"), "{}", text(&no_url));
    let no_password = run(&["check", "--url", &url, "--username", "tsadmin"], &[]).await;
    assert_eq!(no_password.status.code(), Some(2));
    assert!(
        text(&no_password).contains("TSEXPORT_PASSWORD"),
        "{}",
        text(&no_password)
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = run(
        &[
            "check",
            "--url",
            &format!("http://{closed}"),
            "--username",
            "u",
            "--timeout",
            "5",
        ],
        &[("TSEXPORT_PASSWORD", "p")],
    )
    .await;
    assert_eq!(unreachable.status.code(), Some(5), "{}", text(&unreachable));
}

#[tokio::test]
async fn secrets_never_reach_the_output_even_at_trace_level() {
    let emu = Emulator::builder()
        .rows(10)
        .profile(Profile::modern())
        .start()
        .await
        .unwrap();
    let url = emu.base_url();
    let token = emu.issue_bearer_token("tsadmin");
    // A password that can only come from the environment, to search for in the output.
    let alice = common::login_as(&emu, "alice", "alice").await;
    let changed = common::v1(alice.post(common::url(&emu, "user/updatepassword")))
        .form(&[
            ("name", "alice"),
            ("currentpassword", "alice"),
            ("password", "Zebra-Quartz-9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let files = TempDir::new("cli-secret-files");
    let principals = files.join("sync.json");
    std::fs::write(
        &principals,
        r#"[{"name":"erin","principalTypeEnum":"LOCAL_USER"}]"#,
    )
    .unwrap();
    let new_user_password = files.join("password");
    std::fs::write(&new_user_password, "Fresh-Ocelot-77\n").unwrap();
    let sync_args = vec![
        "users",
        "sync",
        principals.to_str().unwrap(),
        "--apply",
        "-vvv",
        "--url",
        &url,
        "--username",
        "tsadmin",
        "--password-file",
        new_user_password.to_str().unwrap(),
    ];
    for (args, env, secret) in [
        (
            sync_args,
            vec![("TSEXPORT_PASSWORD", "admin")],
            "Fresh-Ocelot-77",
        ),
        (
            vec!["check", "-vvv", "--url", &url, "--username", "alice"],
            vec![("TSEXPORT_PASSWORD", "Zebra-Quartz-9")],
            "Zebra-Quartz-9",
        ),
        (
            vec!["check", "-vvv", "--url", &url, "--username", "tsadmin"],
            vec![("TSEXPORT_PASSWORD", "wrong-secret-pw")],
            "wrong-secret-pw",
        ),
        (
            vec!["check", "-vvv", "--url", &url, "--username", "tsadmin"],
            vec![("TSEXPORT_SECRET_KEY", DEFAULT_SECRET_KEY)],
            DEFAULT_SECRET_KEY,
        ),
        (
            vec!["check", "-vvv", "--url", &url],
            vec![("TSEXPORT_TOKEN", token.as_str())],
            token.as_str(),
        ),
    ] {
        let output = run(&args, &env).await;
        let all = text(&output);
        assert!(!all.contains(secret), "a secret leaked: {all}");
        assert!(
            !all.contains("JSESSIONID="),
            "a session cookie leaked: {all}"
        );
        assert!(
            all.contains("TRACE") || all.contains("DEBUG"),
            "-vvv logs: {all}"
        );
    }
}
