//! The deployment files under `deploy/` stay true to the command line: every Kubernetes manifest
//! parses (every document, with a real YAML parser), the Indexed Job has the shape sharding needs
//! (`completionMode: Indexed`, `completions` equal to COUNT in `--shard auto/COUNT`, a pod failure
//! policy that fails the Job on exit codes 2 and 3, credentials from Secrets, the job file mounted
//! where the command reads it), and every `tsexport` command line in the manifests, the Airflow DAG
//! and the Dockerfile parses with the current CLI ([`tsexport::cli::check_arguments`]).
//!
//! Commands in the DAG are found by a documented pattern (its docstring says so): one-line string
//! literals (`"..."` or `f"..."`) that start with `tsexport `. `{NAME}` is filled from the DAG's
//! module-level constants (`NAME = "text"` or `NAME = 4`), `{index}` with each shard `0..SHARDS`,
//! and the Jinja `{{ ds }}` with a date; anything else left in braces fails the test, so a command
//! that outgrows the pattern is noticed rather than skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every file under `dir` whose name ends with one of `extensions`, sorted.
fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read deploy/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if extensions
                .iter()
                .any(|ext| path.extension().is_some_and(|e| e == *ext))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every YAML document under deploy/, with the file it came from.
fn manifests() -> Vec<(PathBuf, Yaml)> {
    let files = files_under(&deploy_dir(), &["yaml", "yml"]);
    assert!(!files.is_empty(), "no YAML under deploy/");
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read manifest");
        let docs = YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", file.display()));
        for doc in docs {
            if matches!(doc, Yaml::Null) {
                continue;
            }
            assert!(
                doc["apiVersion"].as_str().is_some() && doc["kind"].as_str().is_some(),
                "{}: a document without apiVersion and kind",
                file.display()
            );
            documents.push((file.clone(), doc));
        }
    }
    documents
}

fn strings(node: &Yaml) -> Vec<String> {
    node.as_vec()
        .map(|items| {
            items
                .iter()
                .map(|item| match item {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(n) => n.to_string(),
                    other => panic!("a command word that is not a string: {other:?}"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks `argv` (program name first) with the CLI, naming `place` when it fails.
fn assert_parses(place: &str, argv: &[String]) {
    assert_eq!(
        Path::new(&argv[0]).file_name().and_then(|n| n.to_str()),
        Some("tsexport"),
        "{place}: {argv:?}"
    );
    if let Err(error) = tsexport::cli::check_arguments(argv) {
        panic!(
            "{place}: `{}` does not parse with the current CLI:\n{error}",
            argv.join(" ")
        );
    }
}

/// The value after `flag` in `argv`.
fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter()
        .position(|a| a == flag)
        .and_then(|at| argv.get(at + 1))
        .map(String::as_str)
}

/// The Secret and ConfigMap documents by name.
fn by_kind<'a>(docs: &'a [(PathBuf, Yaml)], kind: &str) -> BTreeMap<String, &'a Yaml> {
    docs.iter()
        .filter(|(_, d)| d["kind"].as_str() == Some(kind))
        .map(|(_, d)| {
            (
                d["metadata"]["name"].as_str().expect("a name").to_string(),
                d,
            )
        })
        .collect()
}

fn has_key(doc: &Yaml, key: &str) -> bool {
    ["stringData", "data"]
        .iter()
        .any(|field| !doc[*field][key].is_badvalue())
}

#[test]
fn kubernetes_indexed_job_shards_by_completion_index_and_fails_fast_on_bad_configuration() {
    let docs = manifests();
    let secrets = by_kind(&docs, "Secret");
    let config_maps = by_kind(&docs, "ConfigMap");
    let mut jobs = 0;
    for (file, doc) in &docs {
        let place = file.display().to_string();
        let (job, cron) = match doc["kind"].as_str() {
            Some("CronJob") => (&doc["spec"]["jobTemplate"]["spec"], Some(&doc["spec"])),
            Some("Job") => (&doc["spec"], None),
            _ => continue,
        };
        jobs += 1;
        if let Some(cron) = cron {
            assert_eq!(
                cron["concurrencyPolicy"].as_str(),
                Some("Forbid"),
                "{place}"
            );
        }
        assert_eq!(job["completionMode"].as_str(), Some("Indexed"), "{place}");
        let completions = job["completions"].as_i64().expect("completions");
        assert!(completions >= 1, "{place}");
        assert!(
            job["parallelism"].as_i64().is_some(),
            "{place}: parallelism"
        );

        // Exit codes 2 (usage) and 3 (auth) fail the whole Job: a retry cannot help.
        let rules = job["podFailurePolicy"]["rules"]
            .as_vec()
            .expect("podFailurePolicy.rules");
        let fail_job_codes: Vec<i64> = rules
            .iter()
            .filter(|r| r["action"].as_str() == Some("FailJob"))
            .filter(|r| r["onExitCodes"]["operator"].as_str() == Some("In"))
            .flat_map(|r| {
                r["onExitCodes"]["values"]
                    .as_vec()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|v| v.as_i64())
            .collect();
        for code in [2, 3] {
            assert!(
                fail_job_codes.contains(&code),
                "{place}: no FailJob rule for exit code {code}"
            );
        }
        // The pod failure policy needs restartPolicy Never.
        let pod = &job["template"]["spec"];
        assert_eq!(pod["restartPolicy"].as_str(), Some("Never"), "{place}");
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"].as_bool(),
            Some(true),
            "{place}"
        );

        let containers = pod["containers"].as_vec().expect("containers");
        let mut commands = 0;
        for container in containers {
            // The image's ENTRYPOINT is tsexport: `args` alone run it.
            let mut argv = strings(&container["command"]);
            if argv.is_empty() {
                argv.push("tsexport".to_string());
            }
            argv.extend(strings(&container["args"]));
            if Path::new(&argv[0]).file_name().and_then(|n| n.to_str()) != Some("tsexport") {
                continue;
            }
            commands += 1;
            assert_parses(&place, &argv);
            assert_eq!(argv[1], "run", "{place}: {argv:?}");
            let shard = flag_value(&argv, "--shard").expect("--shard");
            assert_eq!(
                shard,
                format!("auto/{completions}"),
                "{place}: COUNT in --shard auto/COUNT must equal completions \
                 (Kubernetes gives the index, not the count)"
            );
            let parsed: tsexport::jobs::ShardSpec = shard.parse().expect("a shard");
            assert_eq!(
                parsed,
                tsexport::jobs::ShardSpec::Auto {
                    count: Some(completions as usize)
                }
            );

            // Credentials only from Secrets, never on the command line or as literal values.
            let env = container["env"].as_vec().cloned().unwrap_or_default();
            let mut from_secrets = Vec::new();
            for var in &env {
                let name = var["name"].as_str().expect("env name");
                let secret = &var["valueFrom"]["secretKeyRef"];
                if name.starts_with("TSEXPORT_") || name.starts_with("AWS_") {
                    assert!(
                        !secret.is_badvalue() && var["value"].is_badvalue(),
                        "{place}: {name} must come from a Secret (secretKeyRef)"
                    );
                }
                if secret.is_badvalue() {
                    continue;
                }
                let secret_name = secret["name"].as_str().expect("secret name");
                let key = secret["key"].as_str().expect("secret key");
                let example = secrets
                    .get(secret_name)
                    .unwrap_or_else(|| panic!("{place}: no Secret {secret_name} in deploy/"));
                if secret["optional"].as_bool() != Some(true) {
                    assert!(
                        has_key(example, key),
                        "{place}: Secret {secret_name} has no key {key}"
                    );
                }
                from_secrets.push(name.to_string());
            }
            for needed in ["TSEXPORT_URL", "TSEXPORT_USERNAME"] {
                assert!(
                    from_secrets.iter().any(|n| n == needed),
                    "{place}: {needed}"
                );
            }
            assert!(
                from_secrets
                    .iter()
                    .any(|n| n == "TSEXPORT_PASSWORD" || n == "TSEXPORT_TOKEN"),
                "{place}: a password or token from a Secret"
            );
            for word in &argv {
                let lower = word.to_lowercase();
                assert!(
                    !lower.contains("replace-me") && !lower.starts_with("--password"),
                    "{place}: a secret on the command line: {word}"
                );
            }

            // The job file comes from a ConfigMap mounted where the command reads it.
            let job_path = Path::new(&argv[2]);
            let folder = job_path
                .parent()
                .expect("a folder")
                .to_str()
                .expect("utf-8");
            let file_name = job_path
                .file_name()
                .expect("a name")
                .to_str()
                .expect("utf-8");
            let mount = container["volumeMounts"]
                .as_vec()
                .expect("volumeMounts")
                .iter()
                .find(|m| m["mountPath"].as_str() == Some(folder))
                .unwrap_or_else(|| panic!("{place}: nothing is mounted at {folder}"));
            let volume_name = mount["name"].as_str().expect("mount name");
            let volume = pod["volumes"]
                .as_vec()
                .expect("volumes")
                .iter()
                .find(|v| v["name"].as_str() == Some(volume_name))
                .unwrap_or_else(|| panic!("{place}: no volume {volume_name}"));
            let map_name = volume["configMap"]["name"]
                .as_str()
                .unwrap_or_else(|| panic!("{place}: {volume_name} is not a ConfigMap"));
            let key = volume["configMap"]["items"]
                .as_vec()
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| i["path"].as_str() == Some(file_name))
                        .map(|i| i["key"].as_str().expect("key").to_string())
                })
                .unwrap_or_else(|| file_name.to_string());
            let map = config_maps
                .get(map_name)
                .unwrap_or_else(|| panic!("{place}: no ConfigMap {map_name} in deploy/"));
            let text = map["data"][key.as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("{place}: ConfigMap {map_name} has no {key}"));
            let jobs_file = tsexport::jobs::JobFile::parse(text)
                .unwrap_or_else(|e| panic!("{place}: the ConfigMap's {key}: {e}"));
            let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
            let plan =
                tsexport::jobs::plan(&jobs_file, &tsexport::jobs::Selection::default(), date)
                    .unwrap_or_else(|e| panic!("{place}: the ConfigMap's {key}: {e}"));
            assert!(
                plan.len() >= completions as usize,
                "{place}: {} exports over {completions} pods leaves pods with nothing to do",
                plan.len()
            );
            for export in plan.iter().filter(|e| e.window.is_some()) {
                assert!(
                    export.destination.contains("://"),
                    "{place}: {}: a windowed export keeps its state beside its data, which a \
                     pod's own disk loses: use an object store URL",
                    export.name
                );
            }
        }
        assert!(commands >= 1, "{place}: no tsexport container");
    }
    assert!(jobs >= 1, "no CronJob or Job under deploy/");
}

/// The DAG's module-level constants: `NAME = "text"` and `NAME = 4`.
fn python_constants(source: &str) -> BTreeMap<String, String> {
    let mut constants = BTreeMap::new();
    for line in source.lines() {
        let Some((name, value)) = line.split_once(" = ") else {
            continue;
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let value = value.split("  #").next().unwrap_or_default().trim();
        if let Some(text) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            constants.insert(name.to_string(), text.to_string());
        } else if value.parse::<u64>().is_ok() {
            constants.insert(name.to_string(), value.to_string());
        }
    }
    constants
}

/// One-line string literals (`"..."`, `f"..."`) that start with `tsexport `: (is an f-string, text).
fn tsexport_literals(source: &str) -> Vec<(bool, String)> {
    let mut found = Vec::new();
    for line in source.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("\"tsexport ") {
            let is_f = rest[..at].ends_with('f');
            let body = &rest[at + 1..];
            let end = body.find('"').expect("a closing quote on the same line");
            found.push((is_f, body[..end].to_string()));
            rest = &body[end + 1..];
        }
    }
    found
}

/// `text` with `{NAME}` from `constants` and `{index}` as `index` (f-strings only, where `{{` is
/// `{`), then the Jinja `{{ ds }}` as a date. None when a placeholder is left.
fn fill(is_f: bool, text: &str, constants: &BTreeMap<String, String>, index: usize) -> String {
    let mut out = String::new();
    if is_f {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    out.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    out.push('}');
                }
                '{' => {
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    match name.as_str() {
                        "index" => out.push_str(&index.to_string()),
                        other => out.push_str(constants.get(other).unwrap_or_else(|| {
                            panic!("{{{other}}} in `{text}` is not a constant of the DAG")
                        })),
                    }
                }
                c => out.push(c),
            }
        }
    } else {
        out.push_str(text);
    }
    let out = out.replace("{{ ds }}", "2026-11-27");
    assert!(
        !out.contains(['{', '}', '$', '\'', '"', '`']),
        "`{out}`: a placeholder or quoting the test cannot fill; keep DAG commands to the \
         documented pattern"
    );
    out
}

#[test]
fn airflow_dag_commands_parse_and_cover_every_shard() {
    let path = deploy_dir().join("airflow").join("tsexport_dag.py");
    let source = std::fs::read_to_string(&path).expect("read the DAG");
    let constants = python_constants(&source);
    let shards: usize = constants
        .get("SHARDS")
        .expect("SHARDS = N in the DAG")
        .parse()
        .expect("a number");
    assert!(source.contains(".partial("), "dynamic task mapping");
    assert!(source.contains(".expand("), "dynamic task mapping");
    assert!(source.contains("range(SHARDS)"), "one task per shard");
    assert!(source.contains("pool="), "a pool caps concurrent shards");
    let literals = tsexport_literals(&source);
    assert!(literals.len() >= 2, "commands found: {literals:?}");
    let mut shards_seen = Vec::new();
    for (is_f, text) in &literals {
        let indexes: Vec<usize> = if text.contains("{index}") {
            (0..shards).collect()
        } else {
            vec![0]
        };
        for index in indexes {
            let command = fill(*is_f, text, &constants, index);
            let argv: Vec<String> = command.split_whitespace().map(String::from).collect();
            assert_parses(&path.display().to_string(), &argv);
            if let Some(shard) = flag_value(&argv, "--shard") {
                let shard: tsexport::jobs::Shard = shard.parse().expect("INDEX/COUNT");
                assert_eq!(shard.count, shards, "`{command}`: COUNT must be SHARDS");
                shards_seen.push(shard.index);
            }
            for word in &argv {
                assert!(
                    !word.to_lowercase().contains("password") || word.ends_with("-file"),
                    "`{command}`: credentials belong in the environment"
                );
            }
        }
    }
    assert_eq!(
        shards_seen,
        (0..shards).collect::<Vec<_>>(),
        "every shard once"
    );
}

/// The Dockerfile's `INSTRUCTION ["a", "b"]` (exec form) lines.
fn exec_form(dockerfile: &str, instruction: &str) -> Option<Vec<String>> {
    let line = dockerfile
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{instruction} ")))?;
    let json = line[instruction.len()..].trim();
    Some(serde_json::from_str(json).unwrap_or_else(|e| {
        panic!("{instruction} must be in exec form (a JSON array): {line}: {e}")
    }))
}

#[test]
fn dockerfile_builds_the_locked_release_binary_and_runs_it_unprivileged() {
    let dockerfile =
        std::fs::read_to_string(deploy_dir().join("Dockerfile")).expect("read the Dockerfile");
    assert!(
        dockerfile.contains("cargo build --release --locked"),
        "a release build from Cargo.lock"
    );
    assert!(
        !dockerfile.contains("--no-default-features"),
        "the binary's default features"
    );
    assert!(
        dockerfile.matches("\nFROM ").count() + usize::from(dockerfile.starts_with("FROM ")) >= 2,
        "multi-stage"
    );
    let user = dockerfile
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    assert!(
        user.split(':')
            .all(|id| id.parse::<u32>().is_ok_and(|id| id > 0)),
        "USER must be a numeric non-root UID (runAsNonRoot checks it): {user}"
    );
    let entrypoint = exec_form(&dockerfile, "ENTRYPOINT").expect("ENTRYPOINT");
    assert_eq!(entrypoint, ["tsexport"]);
    if let Some(cmd) = exec_form(&dockerfile, "CMD") {
        let argv: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
        assert_parses("deploy/Dockerfile", &argv);
    }
    // The build context must leave out the build output.
    let ignore =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".dockerignore"))
            .expect("the root .dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "{ignore}");
}
