//! TLS: certificates are verified by default, a private CA is trusted only when given (`--ca-cert`,
//! a job file's or config connection's `ca_cert`, `ClientBuilder::ca_certificate_pem`), and a refused
//! certificate is a clear error that names the cluster and says what to do.
//!
//! The emulator serves plain HTTP; each test puts a small TLS-terminating proxy (tokio-rustls) in
//! front of it, with a CA and a server certificate for `127.0.0.1`/`localhost` made by rcgen on the
//! spot. A proxy rather than a TLS listener in the emulator: TLS is then no part of the emulator or
//! its dependencies, the emulator's faults still act on the bytes behind it, and it is how clusters
//! are usually reached (TLS ends at a load balancer).

use crate::common;
use crate::common::files::{read_parquet_in, rows};
use crate::common::TempDir;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::common::{output_text as text, run_cli};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tsexport::api::{Client, Credentials, Error as ApiError, Secret};
use tsexport::failure::FailureKind;
use tsexport_emulator::Emulator;

const ROWS: u64 = 3_000;
const QUERY: &str = "[Order Line ID] [Region] [Sales] sort by [Order Line ID]";
/// The README's exit code for bad flags or configuration: an untrusted certificate is fixed there.
const EXIT_USAGE: i32 = 2;

/// A private CA and a server certificate it signed.
struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// A CA, and a certificate from it for `names` (DNS names or IP addresses).
fn pki(names: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "tsexport test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut server = CertificateParams::new(names).expect("server params");
    server
        .distinguished_name
        .push(DnType::CommonName, "tsexport test server");
    let server_cert = server
        .signed_by(&server_key, &ca_cert, &ca_key)
        .expect("server certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![server_cert.der().clone(), ca_cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
    }
}

/// A self-signed certificate for `127.0.0.1`/`localhost` that is its own trust anchor, as appliances
/// ship: (its PEM, the chain, the key).
fn self_signed() -> Pki {
    let key = KeyPair::generate().expect("key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    Pki {
        ca_pem: cert.pem(),
        chain: vec![cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// A TLS-terminating proxy on a free loopback port in front of `backend`.
struct TlsProxy {
    addr: SocketAddr,
    /// TCP connections accepted (a refused handshake counts too).
    connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsProxy {
    async fn start(backend: SocketAddr, pki: &Pki) -> TlsProxy {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(pki.chain.clone(), PrivateKeyDer::Pkcs8(pki.key.clone_key()))
            .expect("server TLS config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let connections = Arc::new(AtomicU64::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                });
            }
        });
        TlsProxy {
            addr,
            connections,
            task,
        }
    }

    /// `https://127.0.0.1:PORT`
    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An emulator behind a TLS proxy whose certificate comes from a fresh private CA, plus a temp
/// folder holding `ca.pem`.
struct Setup {
    emu: Emulator,
    proxy: TlsProxy,
    dir: TempDir,
    ca: PathBuf,
    ca_pem: String,
}

async fn setup(label: &str, pki: Pki) -> Setup {
    let emu = Emulator::builder()
        .rows(ROWS)
        .start()
        .await
        .expect("emulator");
    let proxy = TlsProxy::start(emu.addr(), &pki).await;
    let dir = TempDir::new(label);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("write ca.pem");
    Setup {
        emu,
        proxy,
        dir,
        ca,
        ca_pem: pki.ca_pem,
    }
}

impl Setup {
    /// `tsexport ARGS` against the proxy, signed in as the default user.
    async fn tsexport(&self, args: &[&str]) -> std::process::Output {
        let url = self.proxy.url();
        run_cli(
            args,
            &[
                ("TSEXPORT_URL", url.as_str()),
                ("TSEXPORT_USERNAME", "tsadmin"),
                ("TSEXPORT_PASSWORD", "admin"),
            ],
        )
        .await
    }

    fn out(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn ca(&self) -> &str {
        self.ca.to_str().expect("utf-8 path")
    }
}

/// The certificate error says what is wrong, where, and what to do.
fn assert_untrusted_message(message: &str, url: &str) {
    let show_chain = format!(
        "openssl s_client -showcerts -connect {}",
        url.trim_start_matches("https://")
    );
    for needle in [
        "TLS certificate",
        url,
        "not trusted",
        "certificate authority",
        "ca_cert",
        &show_chain,
    ] {
        assert!(message.contains(needle), "no '{needle}' in: {message}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_stops_the_export_with_a_clear_error_and_no_retry() {
    let s = setup("tls-untrusted", pki(&["127.0.0.1", "localhost"])).await;
    let out = s.out("sales");
    let output = s
        .tsexport(&["search", QUERY, "-s", "Retail Sales", "-o", &out])
        .await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(EXIT_USAGE), "{all}");
    assert_untrusted_message(&all, &s.proxy.url());
    assert!(
        all.contains("UnknownIssuer"),
        "the TLS library's verdict: {all}"
    );
    // Refused at the handshake: nothing reached the emulator (so no password was sent), the failure
    // was not retried, and nothing was written.
    assert_eq!(s.emu.total_requests(), 0);
    assert_eq!(s.proxy.connections.load(Ordering::SeqCst), 1, "{all}");
    assert!(!Path::new(&out).join("_SUCCESS").exists());
}

#[tokio::test]
async fn ca_cert_flag_trusts_the_private_ca_and_the_export_reads_back() {
    let s = setup("tls-flag", pki(&["127.0.0.1", "localhost"])).await;
    let out = s.out("sales");
    let output = s
        .tsexport(&[
            "search",
            QUERY,
            "-s",
            "Retail Sales",
            "-o",
            &out,
            "--ca-cert",
            s.ca(),
        ])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(parquet_rows_in(Path::new(&out)), ROWS as usize);
    assert!(Path::new(&out).join("_SUCCESS").exists());

    // localhost is in the certificate too.
    let localhost = format!("https://localhost:{}", s.proxy.addr.port());
    let output = run_cli(
        &["check", "--ca-cert", s.ca()],
        &[
            ("TSEXPORT_URL", localhost.as_str()),
            ("TSEXPORT_USERNAME", "tsadmin"),
            ("TSEXPORT_PASSWORD", "admin"),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[tokio::test]
async fn job_file_and_config_connection_ca_cert_trust_the_private_ca() {
    let s = setup("tls-jobs", pki(&["127.0.0.1", "localhost"])).await;
    let out = s.out("lake");
    let job = |ca_line: &str| {
        format!(
            r#"
[connection]
{ca_line}

[[export]]
name = "sales"
search = "{QUERY}"
source = "Retail Sales"
out = "{out}/{{name}}/"
"#
        )
    };
    let without = s.dir.path().join("without.toml");
    std::fs::write(&without, job("")).expect("job file");
    let with = s.dir.path().join("with.toml");
    std::fs::write(&with, job(&format!("ca_cert = {:?}", s.ca()))).expect("job file");
    let report = s.dir.path().join("report.json");
    let report_arg = report.to_string_lossy().into_owned();

    let output = s
        .tsexport(&[
            "run",
            without.to_str().expect("path"),
            "--report",
            &report_arg,
        ])
        .await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(EXIT_USAGE), "{all}");
    assert_untrusted_message(&all, &s.proxy.url());

    let output = s
        .tsexport(&["run", with.to_str().expect("path"), "--report", &report_arg])
        .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(
        parquet_rows_in(&Path::new(&out).join("sales")),
        ROWS as usize
    );

    // The same setting in a named connection of the config file.
    let config = s.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[connections.tls]\nurl = {:?}\nusername = \"tsadmin\"\nca_cert = {:?}\n",
            s.proxy.url(),
            s.ca()
        ),
    )
    .expect("config file");
    let output = run_cli(
        &[
            "check",
            "--connection",
            "tls",
            "--config",
            config.to_str().expect("path"),
        ],
        &[("TSEXPORT_PASSWORD", "admin")],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[tokio::test]
async fn the_library_client_verifies_unless_given_the_ca() {
    let s = setup("tls-library", pki(&["127.0.0.1", "localhost"])).await;
    let credentials = Credentials::password("tsadmin", Secret::new("admin"));

    let untrusted = Client::builder(s.proxy.url())
        .credentials(credentials.clone())
        .build()
        .expect("client");
    let error = untrusted
        .session_info()
        .await
        .expect_err("an untrusted certificate is refused");
    assert!(
        matches!(error, ApiError::Certificate { .. }),
        "a certificate error: {error:?}"
    );
    assert_eq!(error.kind(), FailureKind::Usage);
    assert!(!error.is_transient(), "retrying cannot help");
    assert_untrusted_message(&error.to_string(), &s.proxy.url());

    let client = Client::builder(s.proxy.url())
        .credentials(credentials)
        .ca_certificate_pem(s.ca_pem.clone().into_bytes())
        .build()
        .expect("client");
    let out = s.out("library");
    let summary = tsexport::export::Export::search(&client, QUERY, common::RETAIL)
        .to(out.as_str())
        .run()
        .await
        .expect("export over TLS");
    assert_eq!(summary.rows, ROWS);
    assert_eq!(parquet_rows_in(Path::new(&out)), ROWS as usize);
}

#[tokio::test]
async fn a_trusted_ca_does_not_excuse_a_certificate_for_another_host() {
    let s = setup("tls-wrong-host", pki(&["ts.example.com"])).await;
    let output = s.tsexport(&["check", "--ca-cert", s.ca()]).await;
    let all = text(&output);
    assert_eq!(output.status.code(), Some(EXIT_USAGE), "{all}");
    for needle in [
        "TLS certificate",
        s.proxy.url().as_str(),
        "not issued for this host name",
        "ts.example.com",
    ] {
        assert!(all.contains(needle), "no '{needle}' in: {all}");
    }
    assert_eq!(s.emu.total_requests(), 0);
}

#[tokio::test]
async fn a_self_signed_server_certificate_is_trusted_with_ca_cert() {
    let s = setup("tls-self-signed", self_signed()).await;
    let output = s.tsexport(&["check"]).await;
    assert_eq!(output.status.code(), Some(EXIT_USAGE), "{}", text(&output));
    assert_untrusted_message(&text(&output), &s.proxy.url());
    let output = s.tsexport(&["check", "--ca-cert", s.ca()]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

/// Nothing in the crate turns certificate checks off: no `danger_accept_invalid_*` on the HTTP
/// clients, no custom verifier. Adding one must be a deliberate change to this test.
#[test]
fn no_code_path_disables_certificate_verification() {
    fn visit(dir: &Path, hits: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                visit(&path, hits);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("source file");
                for (n, line) in source.lines().enumerate() {
                    if ["danger_accept_invalid", "dangerous()", "ServerCertVerifier"]
                        .iter()
                        .any(|needle| line.contains(needle))
                    {
                        hits.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let mut hits = Vec::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut hits,
    );
    assert!(
        hits.is_empty(),
        "certificate checks switched off:\n{}",
        hits.join("\n")
    );
}

/// Rows of every Parquet file directly in `dir`.
fn parquet_rows_in(dir: &Path) -> usize {
    rows(&read_parquet_in(dir))
}
