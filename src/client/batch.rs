//! The Batch API (`POST /api/now/v1/batch`, api-reference/rest-apis/batch-api.md):
//! several REST requests in one HTTP request. Each item names an `id`, `method`, a
//! relative `url` with its query and `headers`; bodies travel base64-encoded both ways;
//! the answer lists `serviced_requests` (id, status_code, headers, body) and the ids of
//! `unserviced_requests` (a size or time limit was reached).
//!
//! [`Client::batched`] runs independent futures together: the GET requests they make
//! are gathered in rounds — once every future still running waits for an answer, the
//! round goes out as one batch (a request that depends on another's answer goes in the
//! next round). An item the batch could not serve, or that failed in a way a retry may
//! mend, is sent on its own through the ordinary path with its retries. Whether an
//! instance has the API is learnt once per client: a 400 "Requested URI does not
//! represent any resource", a 404 (or a 403/405 on the batch itself) means not, and
//! from then on everything goes as concurrent requests.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::future::try_join_all;
use parking_lot::Mutex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{Answer, Client, Error, Idempotence, Result, record, status};

pub const PATH: &str = "/api/now/v1/batch";

/// Whether the instance serves the Batch API: unknown until the first batch.
#[derive(Debug, Default)]
pub struct Support(AtomicU8);

impl Support {
    pub fn get(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        }
    }
    pub fn set(&self, yes: bool) {
        self.0.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
    }
}

/// `None`: send the request on its own.
type Reply = Option<Result<Answer>>;

struct Pending {
    url: String,
    path: String,
    reply: oneshot::Sender<Reply>,
}

#[derive(Default)]
struct Round {
    state: Mutex<RoundState>,
}

#[derive(Default)]
struct RoundState {
    active: usize,
    waiting: Vec<Pending>,
    /// Items answered from the share (never stored again as if fetched), and whether
    /// any went to the instance.
    shared: std::collections::HashSet<String>,
    fetched: bool,
}

impl RoundState {
    /// The waiting requests, once every future still running is waiting.
    fn ready(&mut self) -> Option<Vec<Pending>> {
        (!self.waiting.is_empty() && self.waiting.len() >= self.active).then(|| std::mem::take(&mut self.waiting))
    }
}

tokio::task_local! {
    static ROUND: Arc<Round>;
}

/// The relative URL of a request, its query encoded as the client encodes it.
fn relative_url(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let q: String = url_encode(query);
    format!("{path}?{q}")
}

fn url_encode(query: &[(&str, String)]) -> String {
    let mut u = reqwest::Url::parse("http://batch.invalid/").expect("a valid URL");
    u.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    u.query().unwrap_or("").to_string()
}

/// The batch request body for `items` (id, relative URL), all GETs.
pub fn request_body(batch_id: &str, urls: &[&str]) -> Value {
    let items: Vec<Value> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            json!({
                "id": i.to_string(),
                "method": "GET",
                "url": url,
                "headers": [{"name": "Accept", "value": "application/json"}],
                "exclude_response_headers": false,
            })
        })
        .collect();
    json!({"batch_request_id": batch_id, "rest_requests": items})
}

/// One serviced item as an ordinary answer.
pub fn item_answer(item: &Value) -> Option<Answer> {
    let status = StatusCode::from_u16(u16::try_from(item.get("status_code")?.as_u64()?).ok()?).ok()?;
    let mut headers = HeaderMap::new();
    for h in item.get("headers").and_then(Value::as_array).into_iter().flatten() {
        let (Some(n), Some(v)) = (h.get("name").and_then(Value::as_str), h.get("value").and_then(Value::as_str)) else {
            continue;
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_str(v)) {
            headers.append(n, v);
        }
    }
    // The documentation's own example wraps the base64 text: ignore whitespace.
    let b64: String = item.get("body").and_then(Value::as_str).unwrap_or("").split_whitespace().collect();
    let body = STANDARD.decode(b64).ok()?;
    Some(Answer { status, headers, body })
}

/// What an item's answer means for its request: the answer, a final error, or `None`
/// (send it on its own: a retry may mend it, or it needs the client's own handling).
fn judge(ans: Answer, path: &str) -> Reply {
    if matches!(ans.status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS) {
        return None;
    }
    match status::check_status(&ans, path) {
        Err(e) if e.is_transient() => None,
        Err(e) => Some(Err(e)),
        Ok(()) if !ans.body.is_empty() && record::decode_envelope(&ans.body).is_err() => None,
        Ok(()) => Some(Ok(ans)),
    }
}

/// Whether a failed batch says the instance has no Batch API.
fn unsupported(e: &Error) -> bool {
    matches!(
        e,
        Error::NotInstalled { .. }
            | Error::NotFound(_)
            | Error::Forbidden { .. }
            | Error::Server { status: 400 | 405, .. }
    )
}

impl Client {
    /// Runs `futs` together, their GET requests gathered into Batch API calls a round at
    /// a time (concurrent requests where the instance has no Batch API). The results
    /// come back in order.
    pub async fn batched<T, F>(&self, futs: Vec<F>) -> Result<Vec<T>>
    where
        F: Future<Output = Result<T>>,
    {
        if futs.len() < 2 || self.batch.get() == Some(false) {
            return try_join_all(futs).await;
        }
        let round = Arc::new(Round::default());
        round.state.lock().active = futs.len();
        let each = futs.into_iter().map(|f| {
            let round = Arc::clone(&round);
            async move {
                let r = f.await;
                let ready = {
                    let mut s = round.state.lock();
                    s.active -= 1;
                    s.ready()
                };
                if let Some(p) = ready {
                    self.flush(p).await;
                }
                r
            }
        });
        let out = ROUND.scope(Arc::clone(&round), try_join_all(each)).await;
        if let Some(share) = &self.config.share {
            let s = round.state.lock();
            share.set_served_last(!s.shared.is_empty() && !s.fetched);
        }
        out
    }

    /// A GET made inside [`Client::batched`]: waits for its round's batch. `None`: send
    /// it on its own.
    pub(super) async fn gathered(&self, method: &Method, path: &str, query: &[(&str, String)]) -> Reply {
        if *method != Method::GET || self.batch.get() == Some(false) {
            return None;
        }
        let round = ROUND.try_with(Arc::clone).ok()?;
        let url = relative_url(path, query);
        let (tx, rx) = oneshot::channel();
        let ready = {
            let mut s = round.state.lock();
            s.waiting.push(Pending { url, path: path.to_string(), reply: tx });
            s.ready()
        };
        if let Some(p) = ready {
            self.flush(p).await;
        }
        rx.await.ok().flatten()
    }

    /// A poll's GET answered from what another console on the instance and user fetched
    /// a moment ago (see [`super::share`]), or `None`: send it.
    pub(super) async fn shared_answer(&self, method: &Method, path: &str, query: &[(&str, String)]) -> Option<Answer> {
        let share = self.config.share.as_ref().filter(|_| *method == Method::GET && super::budget::is_background())?;
        if ROUND.try_with(|_| ()).is_ok() && self.batch.get() != Some(false) {
            // In a round: the round is shared whole (see `flush`).
            return None;
        }
        let url = relative_url(path, query);
        share.round(&[url]).await.and_then(|mut a| a.pop())
    }

    /// Leaves a poll's answer for the other consoles.
    pub(super) fn leave_shared(&self, method: &Method, path: &str, query: &[(&str, String)], a: &Answer) {
        let Some(share) =
            self.config.share.as_ref().filter(|_| *method == Method::GET && super::budget::is_background())
        else {
            return;
        };
        let url = relative_url(path, query);
        if ROUND.try_with(|r| r.state.lock().shared.contains(&url)).unwrap_or(false) {
            // Served from the share: it is there already, with the time it was fetched.
            return;
        }
        share.store(&url, a);
    }

    /// Sends one round as a batch and hands each waiting request its answer.
    async fn flush(&self, pending: Vec<Pending>) {
        // A poll's round answered whole from what another console fetched a moment ago
        // (never in parts: its items would then age apart, and each part cost a request).
        if let Some(share) = self.config.share.as_ref().filter(|_| super::budget::is_background()) {
            let urls: Vec<String> = pending.iter().map(|p| p.url.clone()).collect();
            if let Some(answers) = share.round(&urls).await {
                if let Ok(round) = ROUND.try_with(Arc::clone) {
                    round.state.lock().shared.extend(urls);
                }
                for (p, a) in pending.into_iter().zip(answers) {
                    let _ = p.reply.send(Some(Ok(a)));
                }
                return;
            }
        }
        if let Ok(round) = ROUND.try_with(Arc::clone) {
            round.state.lock().fetched = true;
        }
        if pending.len() < 2 {
            // One request gains nothing from a batch.
            for p in pending {
                let _ = p.reply.send(None);
            }
            return;
        }
        let urls: Vec<&str> = pending.iter().map(|p| p.url.as_str()).collect();
        let id = format!("hubtop-{}", std::process::id());
        let body = request_body(&id, &urls);
        // Boxed: `send` of a GET may come here, and this sends a POST.
        let sent = Box::pin(self.send(Method::POST, PATH, &[], Some(&body), Idempotence::Read)).await;
        let answer = match sent {
            Ok(a) => record::decode_envelope(&a.body),
            Err(e) => Err(e),
        };
        let v = match answer {
            Ok(v) => v,
            Err(e) => {
                let no_api = unsupported(&e);
                if no_api {
                    self.batch.set(false);
                }
                for p in pending {
                    let _ = p.reply.send(if no_api { None } else { Some(Err(e.clone())) });
                }
                return;
            }
        };
        let Some(serviced) = v.get("serviced_requests").and_then(Value::as_array) else {
            // Not a batch answer (something else at that path): no Batch API here.
            self.batch.set(false);
            for p in pending {
                let _ = p.reply.send(None);
            }
            return;
        };
        self.batch.set(true);
        let mut by_id: std::collections::HashMap<&str, &Value> =
            serviced.iter().filter_map(|s| Some((s.get("id")?.as_str()?, s))).collect();
        for (i, p) in pending.into_iter().enumerate() {
            // Unserviced (a limit was reached) or missing: on its own.
            let reply = by_id.remove(i.to_string().as_str()).and_then(item_answer).and_then(|a| judge(a, &p.path));
            let _ = p.reply.send(reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_carry_the_query_encoded_and_answers_decode_from_base64() {
        let url = relative_url("/api/now/stats/t", &[("sysparm_query", "state=error^ORDERBYname".into())]);
        assert_eq!(url, "/api/now/stats/t?sysparm_query=state%3Derror%5EORDERBYname");
        let body = request_body("b1", &[&url]);
        assert_eq!(body["rest_requests"][0]["method"], "GET");
        assert_eq!(body["rest_requests"][0]["id"], "0");
        let item = json!({"id": "0", "status_code": 200, "status_text": "OK",
            "headers": [{"name": "X-Total-Count", "value": "7"}],
            "body": "eyJyZXN1bHQiOl\n tdfQ==", "execution_time": 3});
        let a = item_answer(&item).unwrap();
        assert_eq!((a.status.as_u16(), a.body.as_slice()), (200, br#"{"result":[]}"#.as_slice()));
        assert_eq!(a.headers["x-total-count"], "7");
    }
}
