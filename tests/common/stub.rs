//! Stub servers that answer as a real instance (or something that is not one) would:
//! an HTTP stub with a function per request, and raw TCP servers that hold, trickle or
//! drop a connection. Each counts what reached it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;

/// What a stub's function is given: the method, the path (without the query) and the
/// request's number (from 1).
pub type Answer = dyn Fn(&Method, &str, usize) -> Response + Send + Sync;

/// An HTTP stub; `hits` counts every request, `writes` those that are not GETs.
pub struct Stub {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    pub writes: Arc<AtomicUsize>,
}

impl Stub {
    fn router(answer: Arc<Answer>) -> (axum::Router, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let writes = Arc::new(AtomicUsize::new(0));
        let (h, w) = (Arc::clone(&hits), Arc::clone(&writes));
        let app = axum::Router::new().fallback(move |req: Request| {
            let (answer, h, w) = (Arc::clone(&answer), Arc::clone(&h), Arc::clone(&w));
            async move {
                let n = h.fetch_add(1, Ordering::SeqCst) + 1;
                if req.method() != Method::GET {
                    w.fetch_add(1, Ordering::SeqCst);
                }
                answer(req.method(), req.uri().path(), n)
            }
        });
        (app, hits, writes)
    }

    /// On the test's runtime (so a paused clock pauses the stub too).
    pub async fn spawn(answer: impl Fn(&Method, &str, usize) -> Response + Send + Sync + 'static) -> Stub {
        let (app, hits, writes) = Stub::router(Arc::new(answer));
        let url = serve(app).await;
        Stub { url, hits, writes }
    }

    /// On a thread and runtime of its own, for tests without a runtime (those that run
    /// the binary).
    pub fn thread(answer: impl Fn(&Method, &str, usize) -> Response + Send + Sync + 'static) -> Stub {
        let (app, hits, writes) = Stub::router(Arc::new(answer));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                tx.send(serve(app).await).expect("url");
                std::future::pending::<()>().await
            });
        });
        Stub { url: rx.recv().expect("the stub's url"), hits, writes }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

/// Serves `app` on a free local port on the current runtime; its URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

pub fn reply(status: u16, content_type: &str, body: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("status"))
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .expect("response")
}

/// The Table API's error envelope (api-reference/rest-apis/c_TableAPI.md).
pub fn failure(status: u16, message: &str, detail: Option<&str>) -> Response {
    let body = serde_json::json!({"error": {"message": message, "detail": detail}, "status": "failure"});
    reply(status, "application/json", &body.to_string())
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Connections to a silent server: how many were accepted, and the most ever open at once.
#[derive(Default)]
pub struct Held {
    pub accepted: AtomicUsize,
    pub open: AtomicUsize,
    pub most_open: AtomicUsize,
}

/// Accepts connections and never answers (an instance that hangs); `held` counts them,
/// and each is counted open until the client closes it.
pub fn silent_counted(held: Arc<Held>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let held = Arc::clone(&held);
            held.accepted.fetch_add(1, Ordering::SeqCst);
            let now = held.open.fetch_add(1, Ordering::SeqCst) + 1;
            held.most_open.fetch_max(now, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                held.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    url
}

/// Accepts connections and never answers (an instance that hangs).
pub fn silent() -> String {
    silent_counted(Arc::new(Held::default()))
}

/// Answers every request with an HTML page (a hibernating instance, a login portal).
pub fn html() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "<html><body>Your instance is hibernating</body></html>";
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// A raw server on the test's runtime: each connection is accepted and its request read,
/// then `serve` runs with it. The URL and the count of connections accepted.
pub async fn raw<F, Fut>(serve: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let n = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            n.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            tokio::spawn(serve(sock));
        }
    });
    (url, accepted)
}
