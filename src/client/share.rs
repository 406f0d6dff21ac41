//! Polls shared among consoles on the same instance and user (opt-in): a team of
//! operators on one instance costs about twice one console, not ten times.
//!
//! Every item of a poll's Batch API round is a GET named by its relative URL. A console
//! that fetched one leaves the answer in a small cache directory of the instance and
//! user (a file per URL, written whole and renamed into place, readable by the OS user
//! alone); a console about to send the same URL takes the answer from there instead
//! while it is younger than [`Share::max_age`]. No console leads: whichever finds an
//! answer too old claims it (a small claim file beside it) and fetches it, for everyone;
//! a console that finds it claimed waits a moment for that answer instead.
//!
//! Freshness: an answer serves for half the idle interval, and a console whose polls
//! are answered by the others polls (the files, not the instance) every half interval,
//! so what any console shows is never older than the idle interval — changes still show
//! within it plus a round trip. The instance sees about one round per half interval for
//! the whole team (24 a minute for ten consoles on one screen, against 120), and a
//! console alone polls as before (the first of its polls nobody answered puts it back
//! on the idle interval).
//!
//! Only answers of polls are shared (background reads in a batch round, status 200);
//! what the operator opens, and every write, goes to the instance as before.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::Answer;

/// The clock the consoles of a team agree on: Unix milliseconds, moving with tokio's
/// clock from a wall-clock origin (so a test on a paused clock moves it too).
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    at: tokio::time::Instant,
    unix_ms: u64,
}

impl Origin {
    pub fn now() -> Origin {
        let unix_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        Origin { at: tokio::time::Instant::now(), unix_ms }
    }

    fn ms(&self) -> u64 {
        self.unix_ms + self.at.elapsed().as_millis() as u64
    }
}

/// How long an answer serves the other consoles: half the idle poll interval.
pub const MAX_AGE: Duration = Duration::from_millis(2_500);

/// How long a console's claim to fetch a URL holds the others back (a console that
/// claimed and then failed, or stopped, holds nobody back longer).
pub const CLAIM: Duration = Duration::from_millis(1_500);

/// Stores between two prunings of the share's directory.
const PRUNE_EVERY: u64 = 64;

/// How long a file no console rewrote stays in the share.
pub const KEEP: Duration = Duration::from_secs(120);

pub struct Share {
    dir: PathBuf,
    /// Answers younger than this serve a poll.
    pub max_age: Duration,
    origin: Origin,
    /// Items answered from what another console fetched.
    pub served: AtomicU64,
    /// Items fetched here and left for the others.
    pub stored: AtomicU64,
    /// The last poll was answered wholly from the share.
    served_last: AtomicBool,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Share").field("dir", &self.dir).field("max_age", &self.max_age).finish()
    }
}

/// FNV-1a: a stable name for a URL (the file holds the URL itself, checked on reading).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Share {
    /// The share of `instance` and `user` under `base` (the OS user's cache directory),
    /// answers serving for `max_age`.
    pub fn open(base: &Path, instance: &str, user: &str, max_age: Duration, origin: Origin) -> std::io::Result<Share> {
        let key = format!("{}\n{user}\n{}", instance.trim_end_matches('/'), env!("CARGO_PKG_VERSION"));
        let dir = base.join(format!("{:016x}", fnv(&key)));
        std::fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Share {
            dir,
            max_age,
            origin,
            served: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            served_last: AtomicBool::new(false),
        })
    }

    fn path(&self, url: &str) -> PathBuf {
        self.dir.join(format!("{:016x}.json", fnv(url)))
    }

    /// A fresh answer to `url` another console (or this one) fetched.
    pub fn lookup(&self, url: &str) -> Option<Answer> {
        let v: Value = serde_json::from_slice(&std::fs::read(self.path(url)).ok()?).ok()?;
        if v.get("url")?.as_str()? != url {
            return None;
        }
        let age = self.origin.ms().saturating_sub(v.get("at")?.as_u64()?);
        if age >= self.max_age.as_millis() as u64 {
            return None;
        }
        let status = StatusCode::from_u16(u16::try_from(v.get("status")?.as_u64()?).ok()?).ok()?;
        let mut headers = HeaderMap::new();
        for h in v.get("headers")?.as_array()? {
            let (Some(n), Some(val)) = (h.get(0).and_then(Value::as_str), h.get(1).and_then(Value::as_str)) else {
                continue;
            };
            if let (Ok(n), Ok(val)) = (HeaderName::from_bytes(n.as_bytes()), HeaderValue::from_str(val)) {
                headers.append(n, val);
            }
        }
        let body = STANDARD.decode(v.get("body")?.as_str()?).ok()?;
        self.served.fetch_add(1, Ordering::Relaxed);
        Some(Answer { status, headers, body })
    }

    /// Leaves a good answer to `url` for the others.
    pub fn store(&self, url: &str, a: &Answer) {
        if a.status != StatusCode::OK {
            return;
        }
        let headers: Vec<Value> =
            a.headers.iter().filter_map(|(n, v)| Some(json!([n.as_str(), v.to_str().ok()?]))).collect();
        let v = json!({"url": url, "at": self.origin.ms(), "status": 200, "headers": headers, "body": STANDARD.encode(&a.body)});
        let path = self.path(url);
        let tmp = path.with_extension(format!("{}.{:x}.tmp", std::process::id(), rand::random::<u32>()));
        let written = write_private(&tmp, v.to_string().as_bytes()).and_then(|()| std::fs::rename(&tmp, &path));
        match written {
            Ok(()) => {
                let n = self.stored.fetch_add(1, Ordering::Relaxed);
                let _ = std::fs::remove_file(path.with_extension("claim"));
                if n.is_multiple_of(PRUNE_EVERY) {
                    self.prune();
                }
            }
            Err(_) => {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }

    /// Fresh answers to every URL of a round, from the share: at once, or after waiting
    /// for the console that claimed the round to fetch it. `None`: this console fetches
    /// the round (and has claimed it).
    pub async fn round(&self, urls: &[String]) -> Option<Vec<Answer>> {
        let all = || urls.iter().map(|u| self.lookup(u)).collect::<Option<Vec<Answer>>>();
        if let Some(a) = all() {
            return Some(a);
        }
        let key = urls.join("\n");
        if self.claim(&key) {
            return None;
        }
        // Another console is fetching it this moment: its answers, not a second request.
        let end = tokio::time::Instant::now() + CLAIM;
        while tokio::time::Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if let Some(a) = all() {
                return Some(a);
            }
        }
        None
    }

    /// Claims fetching `url` for the team: `false` when another console is fetching it
    /// now (its claim younger than [`CLAIM`]); this one then waits for that answer
    /// rather than asking the instance the same thing in the same moment.
    pub fn claim(&self, url: &str) -> bool {
        let lock = self.path(url).with_extension("claim");
        let now = self.origin.ms();
        if let Ok(at) = std::fs::read_to_string(&lock)
            && at.trim().parse::<u64>().is_ok_and(|at| now.saturating_sub(at) < CLAIM.as_millis() as u64)
        {
            return false;
        }
        // Two consoles claiming in the same instant both fetch: harmless, only wasted.
        std::fs::write(&lock, now.to_string()).is_ok()
    }

    /// Removes what no console can use any more (an answer's URL names a watermark, so
    /// a changing table leaves a file behind at every change): files untouched for
    /// [`KEEP`].
    pub fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        let now = SystemTime::now();
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= KEEP);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Files in the share now.
    pub fn files(&self) -> usize {
        std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0)
    }

    /// Whether the last poll was answered wholly by the others (the cadence then asks
    /// the share more often: it costs the instance nothing).
    pub fn served_last(&self) -> bool {
        self.served_last.load(Ordering::Relaxed)
    }

    pub(super) fn set_served_last(&self, yes: bool) {
        self.served_last.store(yes, Ordering::Relaxed);
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_answer_serves_another_console_while_it_is_fresh() {
        let base = std::env::temp_dir().join(format!("hubtop-share-{}", std::process::id()));
        let origin = Origin::now();
        let a = Share::open(&base, "http://i", "admin", Duration::from_millis(2500), origin).unwrap();
        let b = Share::open(&base, "http://i/", "admin", Duration::from_millis(2500), origin).unwrap();
        let other_user = Share::open(&base, "http://i", "ops", Duration::from_millis(2500), origin).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-total-count", HeaderValue::from_static("7"));
        let ans = Answer { status: StatusCode::OK, headers, body: br#"{"result":[]}"#.to_vec() };
        a.store("/api/now/stats/t?q=1", &ans);
        let got = b.lookup("/api/now/stats/t?q=1").expect("served");
        assert_eq!(
            (got.status, got.body.as_slice(), &got.headers["x-total-count"]),
            (StatusCode::OK, ans.body.as_slice(), &HeaderValue::from_static("7"))
        );
        assert!(b.lookup("/api/now/stats/t?q=2").is_none(), "another URL");
        assert!(other_user.lookup("/api/now/stats/t?q=1").is_none(), "another user's share");
        tokio::time::advance(Duration::from_millis(2500)).await;
        assert!(b.lookup("/api/now/stats/t?q=1").is_none(), "too old");
        // Left behind (its URL named a watermark long passed): pruned.
        a.store("/api/now/stats/t?q=3", &ans);
        assert_eq!(a.files(), 2);
        let stale = std::fs::File::options().write(true).open(a.path("/api/now/stats/t?q=1")).unwrap();
        stale.set_modified(SystemTime::now() - KEEP - Duration::from_secs(1)).unwrap();
        a.prune();
        assert_eq!(a.files(), 1, "only the fresh one stays");
        assert!(a.lookup("/api/now/stats/t?q=3").is_some());
        let _ = std::fs::remove_dir_all(&base);
    }
}
