//! Why TLS refused the cluster, in plain words: the certificate problem found down reqwest's error
//! chain, what it means, and the fix that fits it.

use super::error::Error;

/// The TLS library's verdict on the server's certificate, if that is why the request failed. rustls
/// reports it down reqwest's error chain as a `rustls::Error` inside an `io::Error` (today inside
/// another `io::Error`); an `io::Error`'s `source()` skips the error it wraps, so each is opened with
/// `get_ref`.
pub(super) fn certificate_problem(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = next {
        if let Some(
            tls @ (rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::InvalidCertRevocationList(_)),
        ) = current.downcast_ref::<rustls::Error>()
        {
            return Some(tls);
        }
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// [`Error::Certificate`] for `problem`, with what it means and the fix that fits it.
pub(super) fn certificate_error(root: &str, problem: &rustls::Error) -> Error {
    use rustls::CertificateError as C;
    let origin = root.strip_suffix("/callosum/v1").unwrap_or(root);
    let host_port = reqwest::Url::parse(origin)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_string();
            Some(format!("{host}:{}", url.port_or_known_default()?))
        })
        .unwrap_or_else(|| "HOST:443".into());
    let trust_the_ca = format!(
        "If the cluster uses a private CA or a self-signed certificate, give that CA's certificate (PEM) \
         as the client's CA certificate (the `ca_cert` setting; ClientBuilder::ca_certificate_pem \
         in Rust); `openssl s_client -showcerts -connect {host_port}` \
         shows the chain. tsexport never skips certificate checks"
    );
    let (meaning, fix) = match problem {
        rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => (
            "it is not signed by a certificate authority tsexport trusts",
            trust_the_ca,
        ),
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => (
            "it was not issued for this host name",
            "Use the host name the certificate was issued for in the cluster URL".into(),
        ),
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => (
            "it has expired",
            "The cluster's certificate must be renewed; check also this machine's clock".into(),
        ),
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            ("it is not valid yet", "Check this machine's clock".into())
        }
        rustls::Error::InvalidCertificate(C::Revoked) => (
            "it has been revoked",
            "The cluster's certificate must be replaced".into(),
        ),
        _ => ("it could not be verified", trust_the_ca),
    };
    Error::Certificate {
        url: origin.to_string(),
        reason: format!("{meaning} ({problem})"),
        fix,
    }
}
