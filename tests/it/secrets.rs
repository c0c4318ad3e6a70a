//! No secret ever leaks: every command of the binary, on its success path and on its error paths, with
//! `-vvv` trace logs as text and as JSON, with the credentials given every supported way (environment
//! variables, secret files named by flags, a job file's `*_file` keys), and an S3 destination's
//! `AWS_SECRET_ACCESS_KEY` in the environment of every run.
//!
//! After each run, stdout, stderr and every file the run wrote (the JSON run report, manifests,
//! Parquet files with their key-value metadata, state files, PDFs, the objects in the S3 bucket) are
//! searched for each actual secret value: the password, the trusted-auth secret key, the bearer
//! token, the S3 secret key, the wrong ones of the error cases, the new passwords `users` sends, and
//! every session id, `clientId`, login token and bearer token the emulator issued
//! ([`Emulator::issued_secrets`]). Each value is searched as it is and percent-encoded.
//!
//! The cases are tables: adding a command is one line. `cargo test --test it secrets:: -- --nocapture`
//! prints what each run checked.

use crate::common;
use crate::common::s3;
use crate::common::TempDir;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use parquet::file::reader::{FileReader, SerializedFileReader};
use tsexport::api::{Client, Credentials, Secret};
use tsexport_emulator::{Emulator, Fault, FaultPlan, FaultRule, Profile};

// Distinctive values: a hit is never a coincidence. Alphanumeric, so no encoding can hide one.
const PASSWORD: &str = "pwT7qXz3Lk9VbR2mNc8WjH4sYd6FgA1e";
const SECRET_KEY: &str = "skR4mW8zQp2XtL6vBn9CjK3hYf7GdS5aE0";
const TOKEN: &str = "tkZ5nP9xLq3VcM7bWr2JhT8kYg4FdA6sU1";
const WRONG_PASSWORD: &str = "wpH3kD9sLq7ZxV2nB8mC4tR6yG1fJ5wQ";
const WRONG_SECRET_KEY: &str = "wkN6bV1xC8zQ3mL7pK2jH9gF4dS5aR0t";
const WRONG_TOKEN: &str = "wtJ2hG7fD3sA9qW4eR8tY1uI6oP5lK0z";
const WRONG_S3_SECRET: &str = "ws3Xc5Vb8Nm1Qw4Er7Ty0Ui3Op6As9Df";
/// `users sync --apply --password-file`: the password of the users a sync creates.
const NEW_USER_PASSWORD: &str = "nuK7cB3zW9mT4pX1vL6qR8sD2fG5hJ0y";
/// `users set-password`: each run sets a new one, this followed by the run's number.
const NEW_PASSWORD_PREFIX: &str = "npQ2vL8xR5gT1kW7";

const ROWS: u64 = 2_000;
const QUERY: &str = "[Order Line ID] [Region] [Sales] [Order Date] sort by [Order Line ID]";
const PINBOARD: &str = "Retail Overview";

/// The exit code with a password, with a trusted-auth secret key, with a bearer token. `SKIP`: the
/// combination is not run.
type Codes = [i32; 3];
const OK: Codes = [0, 0, 0];
const SKIP: i32 = -1;

/// Whether the command takes connection settings (flags such as `--token-file` exist on it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Conn {
    Yes,
    No,
}

/// Every command on its success path. Placeholders: `{out}` a fresh local folder, `{s3}` a fresh
/// prefix of the S3 bucket (`s3://lake/...`), `{jobs}` a job file with a search and a pinboard
/// (connection from flags and environment), `{windows}` one with a daily window, `{jobs_creds}` a
/// job file whose `[connection]` names the secret file (the run gets no other credentials),
/// `{report}` the run report's path, `{sync}` a user/sync file, `{newpw}` a file holding a new
/// password, `{new_user_pw}` one with the password for created users.
#[rustfmt::skip]
const COMMANDS: &[(&str, &[&str], Codes, Conn)] = &[
    ("search", &["search", QUERY, "-s", "Retail Sales", "-o", "{out}/sales/"], OK, Conn::Yes),
    ("search to S3", &["search", QUERY, "-s", "Retail Sales", "-o", "{s3}/sales/"], OK, Conn::Yes),
    ("search to stdout", &["search", QUERY, "-s", "Retail Sales", "-o", "-", "--format", "csv"], OK, Conn::Yes),
    ("pinboard", &["pinboard", PINBOARD, "-o", "{out}/overview/"], OK, Conn::Yes),
    ("run", &["run", "{jobs}", "--report", "{report}"], OK, Conn::Yes),
    ("run --json", &["run", "{jobs}", "--json"], OK, Conn::Yes),
    ("run, job-file secret", &["run", "{jobs_creds}", "--report", "{report}"], OK, Conn::Yes),
    ("run --dry-run", &["run", "{jobs}", "--dry-run"], OK, Conn::Yes),
    ("backfill", &["backfill", "{windows}", "--from", "2021-03-01", "--to", "2021-03-03"], OK, Conn::Yes),
    ("check", &["check"], OK, Conn::Yes),
    ("check --json", &["check", "--json"], OK, Conn::Yes),
    ("check JOBS", &["check", "{jobs}"], OK, Conn::Yes),
    ("ls pinboards", &["ls", "pinboards"], OK, Conn::Yes),
    ("ls users --json", &["ls", "users", "--json"], OK, Conn::Yes),
    ("ls vizzes", &["ls", "vizzes", PINBOARD], OK, Conn::Yes),
    ("columns", &["columns", "Retail Sales", "--show-hidden"], OK, Conn::Yes),
    ("pdf", &["pdf", PINBOARD, "--out", "{out}/overview.pdf"], OK, Conn::Yes),
    ("pdf to S3", &["pdf", PINBOARD, "--out", "{s3}/overview.pdf"], OK, Conn::Yes),
    ("users list --json", &["users", "list", "--json"], OK, Conn::Yes),
    ("users sync (dry run)", &["users", "sync", "{sync}", "--json"], OK, Conn::Yes),
    ("users sync --apply", &["users", "sync", "{sync}", "--apply", "--password-file", "{new_user_pw}"], OK, Conn::Yes),
    ("users set-password", &["users", "set-password", "alice", "--new-password-file", "{newpw}"], [0, 2, 2], Conn::Yes),
    ("users transfer", &["users", "transfer", "carol", "bob"], OK, Conn::Yes),
    ("groups grant", &["groups", "grant", "DATADOWNLOADING", "Analyst"], OK, Conn::Yes),
    ("groups revoke", &["groups", "revoke", "DATADOWNLOADING", "Analyst"], OK, Conn::Yes),
    ("jobs init", &["jobs", "init"], OK, Conn::No),
    ("jobs schema", &["jobs", "schema"], OK, Conn::No),
    ("demo", &["demo", "--rows", "2000", "--out", "{out}/demo"], OK, Conn::No),
    ("emulator --show-profile", &["emulator", "--show-profile"], OK, Conn::No),
    ("--help", &["search", "--help"], OK, Conn::No),
];

/// What an error case changes about a healthy run.
#[derive(Clone, Copy)]
enum Twist {
    /// The emulator follows a fault plan.
    Faults(fn() -> FaultPlan),
    /// The credentials are wrong (the wrong value of the run's kind).
    WrongCredentials,
    /// The cluster URL points at a closed port.
    UnreachableCluster,
    /// The S3 secret key is wrong.
    WrongS3Secret,
    /// Nothing: the arguments alone make the error.
    None,
}

/// The endpoints a fault on `endpoint` goes to: a data page has a REST v2 twin, and the emulator is
/// a current cluster, so exports read through v2 (`--api auto`) and v1 clients through v1.
fn with_twin(endpoint: &str) -> Vec<String> {
    match endpoint {
        "searchdata" => vec![endpoint.to_string(), format!("v2/{endpoint}")],
        _ => vec![endpoint.to_string()],
    }
}

fn always(endpoint: &str, fault: Fault) -> FaultPlan {
    with_twin(endpoint)
        .into_iter()
        .fold(FaultPlan::new(), |plan, endpoint| {
            plan.rule(FaultRule::new(endpoint, fault.clone()))
        })
}

fn once(endpoint: &str, fault: Fault) -> FaultPlan {
    with_twin(endpoint)
        .into_iter()
        .fold(FaultPlan::new(), |plan, endpoint| {
            plan.rule(FaultRule::new(endpoint, fault.clone()).nth([1]))
        })
}

fn status(status: u16, retry_after: Option<u64>) -> Fault {
    Fault::Status {
        status,
        code: None,
        retry_after,
        debug: None,
    }
}

const SEARCH: &[&str] = &["search", QUERY, "-s", "Retail Sales", "-o", "{out}/sales/"];
/// The search through one API (the emulator serves both; without `--api`, v2 is picked).
const SEARCH_V1: &[&str] = &[
    "search",
    QUERY,
    "-s",
    "Retail Sales",
    "-o",
    "{out}/sales/",
    "--api",
    "v1",
];
const SEARCH_V2: &[&str] = &[
    "search",
    QUERY,
    "-s",
    "Retail Sales",
    "-o",
    "{out}/sales/",
    "--api",
    "v2",
];

/// Error paths. The exit codes are the README's: 2 flags or configuration, 3 sign-in, 4 incomplete
/// data, 5 cluster or network after retries.
#[rustfmt::skip]
const FAILURES: &[(&str, Twist, &[&str], Codes)] = &[
    ("wrong credentials", Twist::WrongCredentials, SEARCH, [3, 3, 3]),
    ("wrong credentials, check", Twist::WrongCredentials, &["check", "--json"], [3, 3, 3]),
    ("wrong credentials, run", Twist::WrongCredentials, &["run", "{jobs}", "--report", "{report}"], [3, 3, 3]),
    ("wrong credentials, job-file secret", Twist::WrongCredentials, &["run", "{jobs_creds}", "--report", "{report}"], [3, 3, 3]),
    // A cluster, or a proxy in front of it, that echoes the request in its error message.
    ("sign-in error echoes the credentials", Twist::Faults(echo_credentials), SEARCH_V1, [3, 3, 3]),
    ("v2 token error echoes the password", Twist::Faults(echo_v2_password), SEARCH_V2, [3, SKIP, SKIP]),
    ("v2 token error echoes the secret key", Twist::Faults(echo_v2_secret_key), SEARCH_V2, [SKIP, 3, SKIP]),
    ("v2 error echoes the bearer token", Twist::Faults(echo_v2_token), SEARCH_V2, [SKIP, SKIP, 3]),
    ("set-password error echoes the password", Twist::Faults(echo_current_password), &["users", "set-password", "alice", "--new-password-file", "{newpw}"], [2, 2, 2]),
    ("users sync error echoes the password", Twist::Faults(echo_new_user_password), &["users", "sync", "{sync}", "--apply", "--password-file", "{new_user_pw}"], [2, 2, 2]),
    ("sign-in answers 500", Twist::Faults(sign_in_fails), SEARCH, [3, 3, 0]),
    ("searchdata answers 500", Twist::Faults(|| always("searchdata", status(500, None))), SEARCH, [5, 5, 5]),
    ("searchdata 503, Retry-After too long", Twist::Faults(|| always("searchdata", status(503, Some(3600)))), SEARCH, [5, 5, 5]),
    ("searchdata 503 once, retried", Twist::Faults(|| once("searchdata", status(503, Some(0)))), SEARCH, OK),
    ("searchdata connection dropped once", Twist::Faults(|| once("searchdata", Fault::Drop)), SEARCH, OK),
    ("searchdata body cut off once", Twist::Faults(|| once("searchdata", Fault::Truncate { after_bytes: 300 })), SEARCH, OK),
    ("session expires mid-export", Twist::Faults(|| once("searchdata", Fault::ExpireSession)), SEARCH, [0, 0, 3]),
    ("sampled data", Twist::Faults(|| always("searchdata", Fault::Sampling { ratio: 0.5 })), SEARCH, [4, 4, 4]),
    ("run, exports fail on 500", Twist::Faults(|| always("searchdata", status(500, None))), &["run", "{jobs}", "--report", "{report}"], [5, 5, 5]),
    ("check JOBS, sources fail on 500", Twist::Faults(|| always("searchdata", status(500, None))), &["check", "{jobs}"], [1, 1, 1]),
    ("pdf answers 500", Twist::Faults(|| always("export/pinboard/pdf", status(500, None))), &["pdf", PINBOARD, "--out", "{out}/overview.pdf"], [5, 5, 5]),
    ("users sync answers 500", Twist::Faults(|| always("user/sync", status(500, None))), &["users", "sync", "{sync}", "--apply", "--password-file", "{new_user_pw}"], [5, 5, 5]),
    ("set-password answers 500", Twist::Faults(set_password_fails), &["users", "set-password", "alice", "--new-password-file", "{newpw}"], [5, 2, 2]),
    ("cluster unreachable", Twist::UnreachableCluster, &["check", "--retries", "1"], [5, 5, 5]),
    ("S3 refuses the secret key", Twist::WrongS3Secret, &["search", QUERY, "-s", "Retail Sales", "-o", "{s3}/sales/"], [1, 1, 1]),
    ("destination not writable", Twist::None, &["search", QUERY, "-s", "Retail Sales", "-o", "{blocked}/sales/"], [1, 1, 1]),
    ("bad flag", Twist::None, &["search", QUERY, "--no-such-flag"], [2, 2, 2]),
    ("unknown job-file key", Twist::None, &["run", "{bad_jobs}"], [2, 2, 2]),
    ("unknown source", Twist::None, &["search", "[Region]", "-s", "No Such Worksheet", "-o", "{out}/x/"], [2, 2, 2]),
    ("bad search", Twist::None, &["search", "[No Such Column]", "-s", "Retail Sales", "-o", "{out}/x/"], [2, 2, 2]),
];

/// An error whose message repeats `echoed` from the request.
fn echo(status: u16, echoed: &str) -> Fault {
    Fault::Status {
        status,
        code: None,
        retry_after: None,
        debug: Some(format!("Request refused: {echoed}")),
    }
}

/// Sign-in refused with the password, the secret key or the bearer token in the message, the way
/// the request carried it (form fields, a header). The emulator's set-up signs in once first.
fn echo_credentials() -> FaultPlan {
    let password = format!("username=tsadmin&password={PASSWORD}&rememberme=false");
    let secret_key = format!("secret_key={SECRET_KEY}&username=tsadmin&access_level=FULL");
    let token = format!("Authorization: Bearer {TOKEN}");
    FaultPlan::new()
        .rule(FaultRule::new("session/login", echo(401, &password)).nth(2..200))
        .rule(FaultRule::new("session/auth/token", echo(401, &secret_key)))
        .rule(FaultRule::new(
            "metadata/listobjectheaders",
            echo(401, &token),
        ))
}

/// A v2 token request refused with its JSON body in the message: the password's.
fn echo_v2_password() -> FaultPlan {
    let body =
        format!(r#"{{"username":"tsadmin","password":"{PASSWORD}","validity_time_in_sec":300}}"#);
    always("v2/auth/token/full", echo(401, &body))
}

/// A v2 token request refused with its JSON body in the message: the secret key's.
fn echo_v2_secret_key() -> FaultPlan {
    let body = format!(
        r#"{{"username":"tsadmin","secret_key":"{SECRET_KEY}","validity_time_in_sec":300}}"#
    );
    always("v2/auth/token/full", echo(401, &body))
}

/// A v2 call refused with the bearer token it carried in the message.
fn echo_v2_token() -> FaultPlan {
    always(
        "v2/metadata/search",
        echo(401, &format!("Authorization: Bearer {TOKEN}")),
    )
}

/// `user/updatepassword` refused, repeating the signed-in user's password (after the set-up's call).
fn echo_current_password() -> FaultPlan {
    let echoed = format!("name=alice&currentpassword={PASSWORD}");
    FaultPlan::new().rule(FaultRule::new("user/updatepassword", echo(400, &echoed)).nth(2..200))
}

/// `user/sync` refused, repeating the password given to new users.
fn echo_new_user_password() -> FaultPlan {
    always(
        "user/sync",
        echo(400, &format!("password={NEW_USER_PASSWORD}")),
    )
}

/// Password sign-in (after the set-up's), trusted auth and v2 tokens answer 500.
fn sign_in_fails() -> FaultPlan {
    FaultPlan::new()
        .rule(FaultRule::new("session/login", status(500, None)).nth(2..200))
        .rule(FaultRule::new("session/auth/token", status(500, None)))
        .rule(FaultRule::new("v2/auth/token/full", status(500, None)))
}

/// `user/updatepassword` answers 500 (after the set-up's call).
fn set_password_fails() -> FaultPlan {
    FaultPlan::new().rule(FaultRule::new("user/updatepassword", status(500, None)).nth(2..200))
}

/// How a run is given its credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// `TSEXPORT_PASSWORD`
    PasswordEnv,
    /// `--login-password-file FILE`
    PasswordFlag,
    /// `TSEXPORT_PASSWORD_FILE`
    PasswordFileEnv,
    /// `TSEXPORT_SECRET_KEY`
    SecretKeyEnv,
    /// `--secret-key-file FILE`
    SecretKeyFlag,
    /// `TSEXPORT_TOKEN`
    TokenEnv,
    /// `--token-file FILE`
    TokenFlag,
}

/// The runs of each case: every way, each kind with both log formats.
const WAYS: [(Way, Log); 7] = [
    (Way::PasswordEnv, Log::Text),
    (Way::PasswordFlag, Log::Json),
    (Way::PasswordFileEnv, Log::Text),
    (Way::SecretKeyEnv, Log::Text),
    (Way::SecretKeyFlag, Log::Json),
    (Way::TokenEnv, Log::Json),
    (Way::TokenFlag, Log::Text),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Log {
    Text,
    Json,
}

impl Way {
    /// 0 password, 1 secret key, 2 token: the index into [`Codes`].
    fn kind(self) -> usize {
        match self {
            Way::PasswordEnv | Way::PasswordFlag | Way::PasswordFileEnv => 0,
            Way::SecretKeyEnv | Way::SecretKeyFlag => 1,
            Way::TokenEnv | Way::TokenFlag => 2,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Way::PasswordEnv => "TSEXPORT_PASSWORD",
            Way::PasswordFlag => "--login-password-file",
            Way::PasswordFileEnv => "TSEXPORT_PASSWORD_FILE",
            Way::SecretKeyEnv => "TSEXPORT_SECRET_KEY",
            Way::SecretKeyFlag => "--secret-key-file",
            Way::TokenEnv => "TSEXPORT_TOKEN",
            Way::TokenFlag => "--token-file",
        }
    }

    /// The job-file key naming this kind's secret file.
    fn job_key(self) -> &'static str {
        ["password_file", "secret_key_file", "token_file"][self.kind()]
    }
}

/// An emulator whose `tsadmin` signs in with [`PASSWORD`], trusted auth takes [`SECRET_KEY`] and
/// [`TOKEN`] is a bearer token for `tsadmin`.
async fn emulator(faults: FaultPlan) -> Emulator {
    let emu = Emulator::builder()
        .rows(ROWS)
        .profile(Profile::modern())
        .secret_key(Some(SECRET_KEY.into()))
        .bearer_token(TOKEN, "tsadmin")
        .faults(faults)
        .start()
        .await
        .expect("emulator");
    let admin = Client::builder(emu.base_url())
        .credentials(Credentials::password("tsadmin", Secret::new("admin")))
        .build()
        .expect("client");
    admin
        .update_password("tsadmin", &Secret::new("admin"), &Secret::new(PASSWORD))
        .await
        .expect("tsadmin's password set");
    admin.logout().await.expect("sign out");
    emu
}

/// The state shared by the runs of one test: the secret files, the S3 server, the run counter, the
/// secrets made along the way, and the table of what was checked.
struct Bench {
    dir: TempDir,
    s3: s3::S3Server,
    runs: usize,
    new_passwords: Vec<String>,
    table: Vec<[String; 7]>,
    totals: Checked,
}

/// What the checks of a run covered.
#[derive(Debug, Default, Clone, Copy)]
struct Checked {
    stdout: usize,
    stderr: usize,
    reports: usize,
    manifests: usize,
    parquet: usize,
    parquet_kv: usize,
    objects: usize,
    other: usize,
}

impl Checked {
    fn add(&mut self, other: Checked) {
        self.stdout += other.stdout;
        self.stderr += other.stderr;
        self.reports += other.reports;
        self.manifests += other.manifests;
        self.parquet += other.parquet;
        self.parquet_kv += other.parquet_kv;
        self.objects += other.objects;
        self.other += other.other;
    }

    fn describe(&self) -> String {
        let mut text = format!("stdout {}B, stderr {}B", self.stdout, self.stderr);
        for (n, what) in [
            (self.reports, "report"),
            (self.manifests, "manifest"),
            (self.parquet, "parquet"),
            (self.parquet_kv, "kv"),
            (self.objects, "S3 object"),
            (self.other, "other file"),
        ] {
            if n > 0 {
                let _ = write!(text, ", {n} {what}{}", if n == 1 { "" } else { "s" });
            }
        }
        text
    }
}

impl Bench {
    async fn new(label: &str) -> Bench {
        let dir = TempDir::new(label);
        let secrets = dir.path().join("secrets");
        std::fs::create_dir(&secrets).expect("secrets folder");
        for (name, value) in [
            ("password", PASSWORD),
            ("secret-key", SECRET_KEY),
            ("token", TOKEN),
            ("wrong-password", WRONG_PASSWORD),
            ("wrong-secret-key", WRONG_SECRET_KEY),
            ("wrong-token", WRONG_TOKEN),
            ("new-user-password", NEW_USER_PASSWORD),
        ] {
            std::fs::write(secrets.join(name), format!("{value}\n")).expect("secret file");
        }
        std::fs::write(
            secrets.join("sync.json"),
            r#"[{"name": "leak.check", "displayName": "Leak Check", "principalTypeEnum": "LOCAL_USER", "groupNames": ["Analyst"], "mail": "leak.check@example.com"}]"#,
        )
        .expect("sync file");
        Bench {
            dir,
            s3: s3::start_s3().await,
            runs: 0,
            new_passwords: Vec::new(),
            table: Vec::new(),
            totals: Checked::default(),
        }
    }

    fn secret_file(&self, name: &str) -> PathBuf {
        self.dir.path().join("secrets").join(name)
    }

    /// Runs `args` once with credentials given `way`, logs as `log`, and checks every output for
    /// every secret. Returns the exit code and everything printed.
    async fn run(
        &mut self,
        emu: &Emulator,
        case: &str,
        args: &[&str],
        conn: Conn,
        (way, log): (Way, Log),
        twist: Twist,
    ) -> (i32, String) {
        self.runs += 1;
        let id = format!("run-{:03}", self.runs);
        let run_dir = self.dir.path().join(&id);
        std::fs::create_dir(&run_dir).expect("run folder");
        let out = run_dir.join("out");
        std::fs::create_dir(&out).expect("output folder");
        let report = run_dir.join("report.json");
        // The run's input files, apart from what it writes (which is all searched).
        let inputs = run_dir.join("inputs");
        std::fs::create_dir(&inputs).expect("inputs folder");
        let wrong = matches!(twist, Twist::WrongCredentials);
        let secret_name = |kind: usize| {
            let name = ["password", "secret-key", "token"][kind];
            if wrong {
                format!("wrong-{name}")
            } else {
                name.to_string()
            }
        };

        // A new password per run (set-password refuses the current one).
        // Secret inputs stay outside the scanned run folder.
        let new_password = format!("{NEW_PASSWORD_PREFIX}{:03}", self.runs);
        let newpw = self.secret_file(&format!("new-password-{id}"));
        std::fs::write(&newpw, &new_password).expect("new password file");
        self.new_passwords.push(new_password);

        let url = match twist {
            Twist::UnreachableCluster => {
                let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
                let addr = closed.local_addr().expect("address");
                drop(closed);
                format!("http://{addr}")
            }
            _ => emu.base_url(),
        };
        let jobs = write_jobs(&inputs.join("jobs.toml"), &out, "");
        let jobs_creds = write_jobs(
            &inputs.join("jobs-creds.toml"),
            &out,
            &format!(
                "url = {url:?}\nusername = \"tsadmin\"\n{} = {:?}\n",
                way.job_key(),
                self.secret_file(&secret_name(way.kind())),
            ),
        );
        let windows = write_windows(&inputs.join("windows.toml"), &out);
        let bad_jobs = inputs.join("bad-jobs.toml");
        std::fs::write(
            &bad_jobs,
            "[[export]]\nname = \"x\"\nserch = \"[Region]\"\nsource = \"Retail Sales\"\nout = \"x/\"\n",
        )
        .expect("bad job file");
        let blocked = inputs.join("blocked");
        std::fs::write(&blocked, "a file where a folder should be").expect("blocker");

        let path = |p: &Path| p.to_string_lossy().into_owned();
        let fill = |arg: &str| {
            arg.replace("{out}", &path(&out))
                .replace("{s3}", &format!("s3://{}/{id}", self.s3.bucket))
                .replace("{jobs_creds}", &path(&jobs_creds))
                .replace("{jobs}", &path(&jobs))
                .replace("{windows}", &path(&windows))
                .replace("{bad_jobs}", &path(&bad_jobs))
                .replace("{report}", &path(&report))
                .replace("{sync}", &path(&self.secret_file("sync.json")))
                .replace("{newpw}", &path(&newpw))
                .replace(
                    "{new_user_pw}",
                    &path(&self.secret_file("new-user-password")),
                )
                .replace("{blocked}", &path(&blocked))
        };
        let mut argv: Vec<String> = vec!["-vvv".into()];
        if log == Log::Json {
            argv.extend(["--log-format".into(), "json".into()]);
        }
        argv.extend(args.iter().map(|a| fill(a)));

        let mut env: Vec<(String, String)> = self
            .s3
            .aws_env()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if matches!(twist, Twist::WrongS3Secret) {
            env.push(("AWS_SECRET_ACCESS_KEY".into(), WRONG_S3_SECRET.into()));
        }
        let job_file_credentials = args.contains(&"{jobs_creds}");
        if !job_file_credentials {
            env.push(("TSEXPORT_URL".into(), url.clone()));
            if way.kind() != 2 {
                env.push(("TSEXPORT_USERNAME".into(), "tsadmin".into()));
            }
            let file = path(&self.secret_file(&secret_name(way.kind())));
            let value = |right: &str, wrong_value: &str| {
                if wrong {
                    wrong_value.to_string()
                } else {
                    right.to_string()
                }
            };
            match way {
                Way::PasswordEnv => {
                    env.push(("TSEXPORT_PASSWORD".into(), value(PASSWORD, WRONG_PASSWORD)))
                }
                Way::PasswordFileEnv => env.push(("TSEXPORT_PASSWORD_FILE".into(), file)),
                Way::SecretKeyEnv => env.push((
                    "TSEXPORT_SECRET_KEY".into(),
                    value(SECRET_KEY, WRONG_SECRET_KEY),
                )),
                Way::TokenEnv => env.push(("TSEXPORT_TOKEN".into(), value(TOKEN, WRONG_TOKEN))),
                Way::PasswordFlag | Way::SecretKeyFlag | Way::TokenFlag if conn == Conn::Yes => {
                    let flag = match way {
                        Way::PasswordFlag => "--login-password-file",
                        Way::SecretKeyFlag => "--secret-key-file",
                        _ => "--token-file",
                    };
                    argv.extend([flag.to_string(), file]);
                }
                _ => {}
            }
        }

        let argv_ref: Vec<&str> = argv.iter().map(String::as_str).collect();
        let env_ref: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let started = std::time::Instant::now();
        let output = common::run_cli(&argv_ref, &env_ref).await;
        let seconds = started.elapsed().as_secs_f64();
        let code = output.status.code().unwrap_or(-1);
        let printed = common::output_text(&output);

        // Every secret known now, the emulator's included (this run's sessions and tokens).
        let mut secrets: Vec<(String, String)> = [
            ("password", PASSWORD),
            ("secret key", SECRET_KEY),
            ("bearer token", TOKEN),
            ("wrong password", WRONG_PASSWORD),
            ("wrong secret key", WRONG_SECRET_KEY),
            ("wrong token", WRONG_TOKEN),
            ("S3 secret key", self.s3.secret_key.as_str()),
            ("wrong S3 secret key", WRONG_S3_SECRET),
            ("new-user password", NEW_USER_PASSWORD),
        ]
        .into_iter()
        .map(|(what, value)| (what.to_string(), value.to_string()))
        .collect();
        secrets.extend(
            self.new_passwords
                .iter()
                .map(|p| ("new password".to_string(), p.clone())),
        );
        let issued = emu.issued_secrets();
        for (what, values) in [
            ("session id (JSESSIONID)", &issued.session_ids),
            ("clientId cookie", &issued.client_ids),
            ("trusted-auth login token", &issued.login_tokens),
            ("issued bearer token", &issued.bearer_tokens),
        ] {
            secrets.extend(values.iter().map(|v| (what.to_string(), v.clone())));
        }

        let mut leaks = Vec::new();
        let mut checked = Checked {
            stdout: output.stdout.len(),
            stderr: output.stderr.len(),
            ..Checked::default()
        };
        search(
            "stdout",
            &String::from_utf8_lossy(&output.stdout),
            &secrets,
            &mut leaks,
        );
        search(
            "stderr",
            &String::from_utf8_lossy(&output.stderr),
            &secrets,
            &mut leaks,
        );
        scan_folder(&run_dir, &secrets, &mut leaks, &mut checked, false);
        let bucket = self.s3.tempdir.path().join(&self.s3.bucket).join(&id);
        if bucket.exists() {
            scan_folder(&bucket, &secrets, &mut leaks, &mut checked, true);
        }
        assert!(
            leaks.is_empty(),
            "{case} ({}, {log:?} logs) leaked:\n{}\n--- output:\n{printed}",
            way.label(),
            leaks.join("\n")
        );
        self.totals.add(checked);
        self.table.push([
            case.to_string(),
            if job_file_credentials {
                format!("job file {}", way.job_key())
            } else if conn == Conn::No {
                "(none)".to_string()
            } else {
                way.label().to_string()
            },
            format!("{log:?}").to_lowercase(),
            code.to_string(),
            format!("{seconds:.2}"),
            checked.describe(),
            format!("{}", secrets.len()),
        ]);
        (code, printed)
    }

    fn print_table(&self) {
        let headers = [
            "CASE",
            "CREDENTIALS",
            "LOGS",
            "EXIT",
            "SECS",
            "CHECKED",
            "SECRETS",
        ];
        let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
        for row in &self.table {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let line = |cells: &[&str]| {
            let mut text = String::new();
            for (cell, w) in cells.iter().zip(&widths) {
                let _ = write!(text, "{cell:<w$}  ");
            }
            println!("{}", text.trim_end());
        };
        line(&headers);
        for row in &self.table {
            line(&row.iter().map(String::as_str).collect::<Vec<_>>());
        }
        println!(
            "{} runs, no secret found in: {}",
            self.table.len(),
            self.totals.describe()
        );
    }
}

/// A job file with a search and a pinboard, writing under `out`; `connection` is the body of its
/// `[connection]` table.
fn write_jobs(path: &Path, out: &Path, connection: &str) -> PathBuf {
    let out = out.display();
    let text = format!(
        r#"[connection]
{connection}

[[export]]
name = "sales"
search = "{QUERY}"
source = "Retail Sales"
out = "{out}/jobs/{{name}}/"
types = {{ "Order Date" = "date" }}

[[export]]
name = "overview"
pinboard = "{PINBOARD}"
out = "{out}/jobs/{{name}}/"
"#
    );
    std::fs::write(path, text).expect("job file");
    path.to_path_buf()
}

/// A job file with one search by day, for `backfill`.
fn write_windows(path: &Path, out: &Path) -> PathBuf {
    let out = out.display();
    let text = format!(
        r#"[[export]]
name = "lines"
search = "[Order Line ID] [Region] [Order Date] [Order Date] >= '{{window_start}}' [Order Date] < '{{window_end}}' sort by [Order Line ID]"
source = "Retail Sales"
out = "{out}/jobs/lines/order_date={{window_start}}/"
window = "day"
first_window = "2021-03-01"
"#
    );
    std::fs::write(path, text).expect("job file");
    path.to_path_buf()
}

/// `value` percent-encoded (as in a form body or query string).
fn percent_encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Records in `leaks` each secret found in `text`, as it is or percent-encoded.
fn search(place: &str, text: &str, secrets: &[(String, String)], leaks: &mut Vec<String>) {
    for (what, value) in secrets {
        let encoded = percent_encoded(value);
        if text.contains(value.as_str()) || text.contains(encoded.as_str()) {
            leaks.push(format!("the {what} is in {place}"));
        }
    }
}

/// Searches every file under `dir`: its bytes, and for Parquet files also the key-value metadata.
fn scan_folder(
    dir: &Path,
    secrets: &[(String, String)],
    leaks: &mut Vec<String>,
    checked: &mut Checked,
    objects: bool,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() && path.file_name().is_some_and(|name| name == "inputs") {
            continue; // the run's own job files, written by this test
        }
        if path.is_dir() {
            scan_folder(&path, secrets, leaks, checked, objects);
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let place = path.display().to_string();
        search(&place, &String::from_utf8_lossy(&bytes), secrets, leaks);
        if objects {
            checked.objects += 1;
        }
        if name == "report.json" {
            checked.reports += 1;
        } else if name == "_manifest.json" {
            checked.manifests += 1;
        } else if name.ends_with(".parquet") {
            checked.parquet += 1;
            let reader = SerializedFileReader::new(bytes::Bytes::from(bytes))
                .unwrap_or_else(|e| panic!("{place} is not Parquet: {e}"));
            let metadata = reader.metadata().file_metadata();
            for kv in metadata.key_value_metadata().into_iter().flatten() {
                checked.parquet_kv += 1;
                let text = format!("{}={}", kv.key, kv.value.as_deref().unwrap_or_default());
                search(&format!("{place} metadata"), &text, secrets, leaks);
            }
            if let Some(created_by) = metadata.created_by() {
                search(&format!("{place} created_by"), created_by, secrets, leaks);
            }
        } else if !objects {
            checked.other += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_command_leaks_a_secret() {
    let mut bench = Bench::new("secrets-commands").await;
    let emu = emulator(FaultPlan::default()).await;
    for &(case, args, codes, conn) in COMMANDS {
        let ways: &[(Way, Log)] = match conn {
            Conn::Yes => &WAYS,
            // Nothing to sign in to: the secrets are only in the environment, in both log formats.
            Conn::No => &[(Way::PasswordEnv, Log::Text), (Way::TokenEnv, Log::Json)],
        };
        for &(way, log) in ways {
            let expected = codes[way.kind()];
            if expected == SKIP {
                continue;
            }
            let (code, printed) = bench
                .run(&emu, case, args, conn, (way, log), Twist::None)
                .await;
            assert_eq!(
                code,
                expected,
                "{case} ({}, {log:?} logs):\n{printed}",
                way.label()
            );
        }
    }
    bench.print_table();
    let totals = bench.totals;
    assert!(
        totals.reports > 0 && totals.manifests > 0 && totals.parquet_kv > 0 && totals.objects > 0,
        "the checks saw every kind of output: {totals:?}"
    );
    let issued = emu.issued_secrets();
    assert!(
        !issued.session_ids.is_empty() && !issued.login_tokens.is_empty(),
        "sessions and trusted-auth tokens were issued and searched for: {issued:?}"
    );
    // The emulator is a current cluster, so exports read through REST v2 (`--api auto`): the
    // bearer tokens it issued beside the configured one were searched for too.
    assert!(
        issued.bearer_tokens.len() > 1,
        "v2 tokens were issued and searched for: {issued:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_path_leaks_a_secret() {
    let mut bench = Bench::new("secrets-errors").await;
    let healthy = emulator(FaultPlan::default()).await;
    for &(case, twist, args, codes) in FAILURES {
        for &(way, log) in &WAYS {
            let expected = codes[way.kind()];
            if expected == SKIP {
                continue;
            }
            // A fresh emulator per run for fault plans, whose rules count requests from its start.
            let faulty = match twist {
                Twist::Faults(plan) => Some(emulator(plan()).await),
                _ => None,
            };
            let emu = faulty.as_ref().unwrap_or(&healthy);
            let (code, printed) = bench
                .run(emu, case, args, Conn::Yes, (way, log), twist)
                .await;
            assert_eq!(
                code,
                expected,
                "{case} ({}, {log:?} logs):\n{printed}",
                way.label()
            );
        }
    }
    bench.print_table();
}

/// The checks themselves: a secret planted in printed text (as is, or percent-encoded), in a
/// manifest, or in a Parquet file's key-value metadata is found.
#[test]
fn the_checks_find_a_planted_secret() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch};
    use parquet::arrow::ArrowWriter;
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;

    let secrets = vec![
        ("password".to_string(), PASSWORD.to_string()),
        ("issued bearer token".to_string(), "ab+c/d==".to_string()),
    ];
    let mut leaks = Vec::new();
    search(
        "stderr",
        &format!("sign-in with {PASSWORD} failed"),
        &secrets,
        &mut leaks,
    );
    search("stdout", "token=ab%2Bc%2Fd%3D%3D", &secrets, &mut leaks);
    search("stdout", "nothing to see", &secrets, &mut leaks);
    assert_eq!(
        leaks,
        [
            "the password is in stderr",
            "the issued bearer token is in stdout"
        ]
    );

    let dir = TempDir::new("secrets-planted");
    std::fs::write(
        dir.path().join("_manifest.json"),
        format!(r#"{{"source": "{PASSWORD}"}}"#),
    )
    .expect("manifest");
    let batch =
        RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1_i64, 2])) as ArrayRef)])
            .expect("batch");
    let properties = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "tsexport.source".to_string(),
            format!("https://etl:{PASSWORD}@example"),
        )]))
        .build();
    let file = std::fs::File::create(dir.path().join("part-00000.parquet")).expect("file");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let mut leaks = Vec::new();
    let mut checked = Checked::default();
    scan_folder(dir.path(), &secrets, &mut leaks, &mut checked, false);
    leaks.sort();
    let parquet = dir.path().join("part-00000.parquet").display().to_string();
    let manifest = dir.path().join("_manifest.json").display().to_string();
    assert_eq!(
        leaks,
        [
            format!("the password is in {manifest}"),
            format!("the password is in {parquet}"),
            format!("the password is in {parquet} metadata"),
        ]
    );
    // Two key-value pairs: the planted one and the Arrow schema the writer adds.
    assert_eq!(
        (checked.manifests, checked.parquet, checked.parquet_kv),
        (1, 1, 2)
    );
}
