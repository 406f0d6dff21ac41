//! The audit log: one JSON line per operator action when it is sent, and one when its
//! outcome is known, appended to `audit.jsonl` in the data directory. The first line is
//! written before the request leaves, so a crash leaves a record of what was in flight.
//! Inputs are recorded as sent; credentials never pass through here.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};

pub struct Audit {
    path: Option<PathBuf>,
    file: Mutex<Option<File>>,
    next: AtomicU64,
    instance: String,
    user: String,
}

impl Audit {
    /// Appends to `path` (created with its directory); `None` keeps no log (tests).
    pub fn open(path: Option<&Path>, instance: &str, user: &str) -> std::io::Result<Audit> {
        let file = match path {
            Some(p) => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                Some(OpenOptions::new().create(true).append(true).open(p)?)
            }
            None => None,
        };
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Ok(Audit {
            path: path.map(Path::to_path_buf),
            file: Mutex::new(file),
            next: AtomicU64::new(seed * 1000),
            instance: instance.to_string(),
            user: user.to_string(),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn write(&self, v: &Value) {
        if let Some(f) = self.file.lock().as_mut() {
            let mut line = v.to_string();
            line.push('\n');
            if let Err(e) = f.write_all(line.as_bytes()).and_then(|_| f.flush()) {
                tracing::error!("audit log write failed: {e}");
            }
        }
    }

    /// Records an action about to be sent; returns its id for [`Audit::complete`].
    pub fn begin(&self, action: &str, record: &str, inputs: &Value) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.write(&json!({
            "id": id,
            "time": crate::time::now_string(),
            "phase": "sent",
            "instance": self.instance,
            "user": self.user,
            "action": action,
            "record": record,
            "inputs": inputs,
        }));
        id
    }

    /// Records the outcome of an action: ok, failed, unknown or not_sent.
    pub fn complete(&self, id: u64, outcome: &str, detail: &str) {
        self.write(&json!({
            "id": id,
            "time": crate::time::now_string(),
            "phase": "done",
            "outcome": outcome,
            "detail": detail,
        }));
    }
}

/// Reads an audit log: (ids sent, ids completed), for checks.
pub fn read_ids(path: &Path) -> std::io::Result<(Vec<u64>, Vec<u64>)> {
    let text = std::fs::read_to_string(path)?;
    let mut sent = Vec::new();
    let mut done = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let id = v.get("id").and_then(Value::as_u64).unwrap_or(0);
        match v.get("phase").and_then(Value::as_str) {
            Some("sent") => sent.push(id),
            Some("done") => done.push(id),
            _ => {}
        }
    }
    Ok((sent, done))
}
