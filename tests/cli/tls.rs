//! Certificate verification is on by default: against a local TLS server with a
//! self-signed certificate, the real binary refuses to talk (a clear certificate error,
//! exit 4) unless `--insecure` is given, and then it works. A server whose certificate
//! a private CA signed is trusted when a profile names that CA in `ca_file`, with
//! verification on; without it, the same typed TLS error.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

use crate::common::TempDir;
use crate::common::proc::command;

/// Serves every request with an empty Table API list, over TLS with a self-signed cert.
async fn self_signed_server() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).expect("cert");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    serve(vec![cert.cert.der().clone()], key).await
}

/// A private CA and a server certificate for `localhost` it signed; returns the
/// server's port and the CA certificate in PEM.
async fn private_ca_server() -> (u16, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "hubtop test private CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).expect("ca cert");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).expect("leaf cert");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    (serve(vec![leaf_cert.der().clone()], key).await, pem(ca_cert.der()))
}

/// PEM of one DER certificate (by hand: rcgen's `pem` feature would bring a second base64).
fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

async fn serve(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 16 * 1024];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"result":[]}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Total-Count: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn get(port: u16, insecure: bool) -> std::process::Output {
    let dir = TempDir::new("tls");
    let mut cmd = command(&dir);
    cmd.args(["get", "outbound", "--instance", &format!("https://localhost:{port}"), "--user", "admin"])
        .env("HUBTOP_PASSWORD", "admin")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    if insecure {
        cmd.arg("--insecure");
    }
    cmd.output().expect("hubtop runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_refused_without_insecure() {
    let port = self_signed_server().await;
    let refused = tokio::task::spawn_blocking(move || get(port, false)).await.unwrap();
    let err = String::from_utf8_lossy(&refused.stderr).to_string();
    assert_eq!(refused.status.code(), Some(4), "unreachable exit code; stderr: {err}");
    assert!(err.to_lowercase().contains("certificate"), "says why: {err}");
    assert!(err.contains("--insecure"), "says what to do if the certificate is trusted: {err}");

    let accepted = tokio::task::spawn_blocking(move || get(port, true)).await.unwrap();
    assert!(accepted.status.success(), "works with --insecure: {}", String::from_utf8_lossy(&accepted.stderr));
}

/// `hubtop get outbound` through a profile whose `ca_file` is `ca` (None: no ca_file),
/// with `env` set.
fn get_with_profile_env(port: u16, ca: Option<&str>, env: &[(&str, &std::path::Path)]) -> std::process::Output {
    let dir = TempDir::new("tls-ca");
    let mut profile = format!(
        "[profiles.p]\ninstance = \"https://localhost:{port}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\n"
    );
    if let Some(pem) = ca {
        std::fs::write(dir.join("private-ca.pem"), pem).unwrap();
        // Relative to the config file's directory.
        profile.push_str("ca_file = \"private-ca.pem\"\n");
    }
    std::fs::write(dir.join("config.toml"), profile).unwrap();
    command(&dir)
        .args(["--profile", "p", "get", "outbound"])
        .env("HUBTOP_PASSWORD", "admin")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .envs(env.iter().copied())
        .output()
        .expect("hubtop runs")
}

fn get_with_profile(port: u16, ca: Option<&str>) -> std::process::Output {
    get_with_profile_env(port, ca, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_given_by_ca_file_is_trusted_without_insecure() {
    let (port, ca_pem) = private_ca_server().await;
    let trusted = tokio::task::spawn_blocking(move || get_with_profile(port, Some(&ca_pem))).await.unwrap();
    assert!(
        trusted.status.success(),
        "the profile's ca_file makes the private CA trusted: {}",
        String::from_utf8_lossy(&trusted.stderr)
    );

    let refused = tokio::task::spawn_blocking(move || get_with_profile(port, None)).await.unwrap();
    let err = String::from_utf8_lossy(&refused.stderr).to_string();
    assert_eq!(refused.status.code(), Some(4), "without ca_file: the typed TLS error, unreachable; stderr: {err}");
    assert!(err.contains("TLS:") && err.to_lowercase().contains("certificate"), "{err}");
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_usage_error() {
    let out = get_with_profile(1, Some("not a certificate"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("ca_file") && err.contains("private-ca.pem"), "names the file: {err}");
}

/// On a machine without an OS certificate store (a minimal container), the client still
/// builds and connects over TLS, verifying the certificate: the bundled roots are merged
/// with whatever the OS has, and a profile's `ca_file` with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_without_an_os_certificate_store_still_connects_over_tls() {
    let (port, ca_pem) = private_ca_server().await;
    let empty = TempDir::new("tls-nostore");
    let out = tokio::task::spawn_blocking(move || {
        // rustls-native-certs reads only these when they are set: an empty store.
        let none = empty.join("none.pem");
        get_with_profile_env(port, Some(&ca_pem), &[("SSL_CERT_FILE", &none), ("SSL_CERT_DIR", empty.path())])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
