//! Certificate verification is on by default: against a local TLS server with a
//! self-signed certificate, the real binary refuses to talk (a clear certificate error,
//! exit 4) unless `--insecure` is given, and then it works.

use std::process::Command;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Serves every request with an empty Table API list, over TLS with a self-signed cert.
async fn self_signed_server() -> u16 {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).expect("cert");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
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
    let dir = std::env::temp_dir().join(format!("hubtop-tls-{}-{insecure}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hubtop"));
    cmd.args(["get", "outbound", "--instance", &format!("https://localhost:{port}"), "--user", "admin"])
        .env("HUBTOP_PASSWORD", "admin")
        .env("HUBTOP_CONFIG_DIR", &dir)
        .env("HUBTOP_DATA_DIR", &dir)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY");
    if insecure {
        cmd.arg("--insecure");
    }
    let out = cmd.output().expect("hubtop runs");
    let _ = std::fs::remove_dir_all(&dir);
    out
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
