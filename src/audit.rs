//! The audit log: one JSON line per operator action when it is sent, and one when its
//! outcome is known, appended to `audit.jsonl` in the data directory; an action refused
//! before sending is one line of phase "refused". The first line is
//! written before the request leaves, so a crash leaves a record of what was in flight.
//! Inputs are recorded as sent; credentials never pass through here.
//!
//! Every line carries its `time` in RFC 3339, UTC, with its `Z` (`2026-12-07T01:50:00.123Z`;
//! lines written before had `2026-12-07 01:50:00`, UTC too: [`parse_time`] reads both), and
//! the `record` (and `action`) it is about, the "done" line too.
//!
//! Several hubtop processes may share the file (a console and scripts). So:
//! - ids are UUID v7 (time-ordered, random bits): unique across processes;
//! - each line is one `write` on a file opened with O_APPEND, so lines never interleave;
//! - the file is rotated by size (`audit.jsonl` → `.1` → … → `.keep`). Checking the size
//!   and renaming is a read-then-act race between processes, so every write takes an
//!   exclusive advisory lock on `audit.jsonl.lock` (a file that is never rotated) and
//!   opens the current `audit.jsonl` afresh under it: no process appends to a file
//!   another has just rotated away. Actions are rare, so the open per line is cheap.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// An audit id: pairs an action's "sent" line with its "done" line.
pub type AuditId = uuid::Uuid;

/// When to rotate, and how many old files to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub max_bytes: u64,
    pub keep: usize,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation { max_bytes: 10 * 1024 * 1024, keep: 5 }
    }
}

pub struct Audit {
    path: Option<PathBuf>,
    /// Held open for the process; locked around each write. The mutex orders this
    /// process's threads (an advisory lock is per open file, so it would not).
    lock: parking_lot::Mutex<Option<File>>,
    rotation: Rotation,
    profile: Option<String>,
    instance: String,
    user: String,
    /// The action and record of each "sent" line, for its "done" line.
    begun: parking_lot::Mutex<std::collections::HashMap<AuditId, (String, String)>>,
}

impl Audit {
    /// Appends to `path` (created with its directory); `None` keeps no log (tests).
    pub fn open(path: Option<&Path>, instance: &str, user: &str) -> std::io::Result<Audit> {
        let lock = match path {
            Some(p) => {
                if let Some(dir) = p.parent() {
                    create_private_dir(dir)?;
                }
                // Fails now, not at the first action, if the log cannot be written.
                open_append(p)?;
                Some(private(OpenOptions::new().create(true).truncate(false).write(true)).open(lock_path(p))?)
            }
            None => None,
        };
        Ok(Audit {
            path: path.map(Path::to_path_buf),
            lock: parking_lot::Mutex::new(lock),
            rotation: Rotation::default(),
            profile: None,
            instance: instance.to_string(),
            user: user.to_string(),
            begun: Default::default(),
        })
    }

    /// The profile every line records (`None`: `--instance` or the embedded instance).
    pub fn with_profile(mut self, profile: Option<&str>) -> Self {
        self.profile = profile.map(str::to_string);
        self
    }

    pub fn with_rotation(mut self, rotation: Rotation) -> Self {
        self.rotation = Rotation { max_bytes: rotation.max_bytes.max(1), keep: rotation.keep.max(1) };
        self
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn write(&self, v: &Value) {
        let guard = self.lock.lock();
        let (Some(path), Some(lock)) = (&self.path, guard.as_ref()) else { return };
        let mut line = v.to_string();
        line.push('\n');
        if let Err(e) = self.append(path, lock, line.as_bytes()) {
            tracing::error!("audit log write to {} failed: {e}", path.display());
        }
    }

    fn append(&self, path: &Path, lock: &File, line: &[u8]) -> std::io::Result<()> {
        lock.lock()?;
        let res = (|| {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > 0 && size + line.len() as u64 > self.rotation.max_bytes {
                rotate(path, self.rotation.keep)?;
            }
            let mut f = open_append(path)?;
            // One call: with O_APPEND the line lands whole at the end.
            f.write_all(line)
        })();
        let _ = lock.unlock();
        res
    }

    /// Records an action about to be sent; returns its id for [`Audit::complete`].
    pub fn begin(&self, action: &str, record: &str, inputs: &Value) -> AuditId {
        let id = uuid::Uuid::now_v7();
        self.begun.lock().insert(id, (action.to_string(), record.to_string()));
        self.write(&json!({
            "id": id,
            "time": now(),
            "phase": "sent",
            "profile": self.profile,
            "instance": self.instance,
            "user": self.user,
            "action": action,
            "record": record,
            "inputs": inputs,
        }));
        id
    }

    /// Records an action refused before anything was sent (read-only, a rule, a field or
    /// value the table does not have): one line, phase and outcome "refused", with the
    /// reason. It has no "done" line: nothing is in flight.
    pub fn refused(&self, action: &str, record: &str, inputs: &Value, why: &str) -> AuditId {
        let id = uuid::Uuid::now_v7();
        self.write(&json!({
            "id": id,
            "time": now(),
            "phase": "refused",
            "profile": self.profile,
            "instance": self.instance,
            "user": self.user,
            "action": action,
            "record": record,
            "inputs": inputs,
            "outcome": "refused",
            "detail": why,
        }));
        id
    }

    /// Records the outcome of an action: ok, failed, unknown, not_sent, or sent (the
    /// instance accepted it; its outcome was not followed).
    /// The line names the action and record of its "sent" line, so that it reads alone.
    pub fn complete(&self, id: AuditId, outcome: &str, detail: &str) {
        let (action, record) = self.begun.lock().get(&id).cloned().unzip();
        self.write(&json!({
            "id": id,
            "time": now(),
            "phase": "done",
            "profile": self.profile,
            "action": action,
            "record": record,
            "outcome": outcome,
            "detail": detail,
        }));
    }
}

/// Now, as every line records it: RFC 3339 in UTC, milliseconds, `Z`.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A line's `time`: RFC 3339 (with its offset), or the older `YYYY-MM-DD HH:MM:SS`, UTC.
pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| crate::time::parse(s))
}

/// A line's `time` as reports print it: `YYYY-MM-DD HH:MM:SS` in UTC (as written when unreadable).
pub fn display_time(s: &str) -> String {
    parse_time(s).map_or_else(|| s.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// Who did what to which record is the user's own business: the log and its lock are
/// created readable by the user alone (0600).
fn private(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(o, 0o600);
    o
}

/// The log's directory and missing parents, readable by the user alone (0700); an
/// existing directory is left as it is.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

fn open_append(p: &Path) -> std::io::Result<File> {
    private(OpenOptions::new().create(true).append(true)).open(p)
}

fn lock_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// `path.N` for the N-th old file.
pub fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// Shifts `path.1…path.keep-1` up by one (dropping `path.keep`) and moves `path` to
/// `path.1`. Called under the lock.
fn rotate(path: &Path, keep: usize) -> std::io::Result<()> {
    let _ = std::fs::remove_file(rotated(path, keep));
    for n in (1..keep).rev() {
        let from = rotated(path, n);
        if from.exists() {
            std::fs::rename(&from, rotated(path, n + 1))?;
        }
    }
    std::fs::rename(path, rotated(path, 1))
}

/// Reads an audit log: (ids sent, ids completed), for checks. Lines that are not
/// audit lines are skipped.
pub fn read_ids(path: &Path) -> std::io::Result<(Vec<AuditId>, Vec<AuditId>)> {
    let text = std::fs::read_to_string(path)?;
    let mut sent = Vec::new();
    let mut done = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let Some(id) = v.get("id").and_then(Value::as_str).and_then(|s| s.parse().ok()) else { continue };
        match v.get("phase").and_then(Value::as_str) {
            Some("sent") => sent.push(id),
            Some("done") => done.push(id),
            _ => {}
        }
    }
    Ok((sent, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_a_zoned_time_and_done_lines_their_record() {
        let dir = std::env::temp_dir().join(format!("hubtop-audit-{}", uuid::Uuid::now_v7()));
        let path = dir.join("audit.jsonl");
        let a = Audit::open(Some(&path), "https://x.service-now.com", "ops").unwrap();
        let id = a.begin("retry", "ih_sync_outbound_record:abc", &json!({"state": "ready"}));
        a.complete(id, "failed", "error again");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        for l in &lines {
            let t = l["time"].as_str().unwrap();
            assert!(t.ends_with('Z') && t.contains('T'), "RFC 3339 with its zone: {t}");
            assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
        }
        assert_eq!(lines[1]["phase"], "done");
        assert_eq!(lines[1]["record"], "ih_sync_outbound_record:abc");
        assert_eq!(lines[1]["action"], "retry");
        // Older lines still read.
        assert_eq!(display_time("2026-12-06 23:00:00"), "2026-12-06 23:00:00");
        assert_eq!(display_time("2026-12-07T01:00:00+01:00"), "2026-12-07 00:00:00");
        let _ = std::fs::remove_dir_all(dir);
    }
}
