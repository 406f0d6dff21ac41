//! Snapshots: an instance's integration state in one file, to rehearse on a copy.
//!
//! `hubtop snapshot` reads (GET only) what the console shows for one instance and
//! writes it here; `hubtop rehearse` / `hubtop sim --load` start the embedded instance
//! from it ([`load`]); `hubtop rehearse --report` compares a rehearsal's end state with
//! the snapshot ([`report`]).
//!
//! # The file format (version 1)
//!
//! One gzip stream (RFC 1952) of UTF-8 JSON lines:
//!
//! 1. the header: `{"format":"hubtop-snapshot","version":1,"hubtop":"0.1.0","profile":"prod",
//!    "instance":"https://…","taken_at":"2026-12-06 22:40:00","since":"2026-11-29 22:40:00",
//!    "payloads":"redacted","tables":{…},"mapping":{…},"choices":{…},"choices_from":"sys_choice"}`.
//!    Times are UTC `YYYY-MM-DD HH:MM:SS`. `tables` are the instance's table names, `mapping`
//!    the profile's field/choice mapping (records are stored with the logical names and values
//!    already). `choices` maps `table.field` (logical table key) to its choice values, from
//!    the instance's `sys_choice` where it was readable, else the built-in lists.
//! 2. one line per record: `{"t":"outbound","r":{"sys_id":"…","state":"error",…}}`; `t` is the
//!    logical table (`providers`, `work_orders`, `outbound`, `inbound`, `executions`,
//!    `history`, `flows`), `r` the record's fields, every value a string.
//! 3. the trailer: `{"end":{"records":N,"requests":R}}`. A file without it is truncated and refused.
//!
//! A reader refuses a `version` newer than it knows ([`VERSION`]) with a message that says so.
//! Payload-like fields ([`PAYLOAD_FIELDS`]) are redacted unless `--keep-payloads`: the value
//! becomes `[redacted TAG: N bytes, sha256 XXXXXXXXXXXXXXXX]` (empty values stay empty; TAG is
//! 8 letters naming the kind of message, see [`redact`]). No
//! credential is ever written: only the domain's fields are asked for (`sysparm_fields`), and
//! any field whose name looks like a secret is dropped besides, and a URL field loses any
//! `user:password@` it carries.

pub mod load;
pub mod report;
pub mod take;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest;

use crate::domain::{Entity, Mapping, Tables, mapping};

/// The magic `format` value of the header.
pub const FORMAT: &str = "hubtop-snapshot";
/// The newest format version this build writes and reads.
pub const VERSION: u32 = 1;

/// The fields redacted without `--keep-payloads`: bodies, payloads, descriptions,
/// comments, error texts (which carry the provider's answer).
pub const PAYLOAD_FIELDS: &[(Entity, &[&str])] = &[
    (Entity::Outbound, &["payload", "last_error"]),
    (Entity::Inbound, &["payload", "error"]),
    (Entity::WorkOrders, &["description", "comments"]),
    (Entity::History, &["message"]),
    (Entity::Executions, &["error_message", "inputs", "outputs"]),
    (Entity::Providers, &["last_error"]),
];

/// Field names never written, whatever the instance sends.
fn is_secret(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "api_key", "apikey", "private_key"].iter().any(|s| f.contains(s))
}

pub fn is_payload(e: Entity, field: &str) -> bool {
    PAYLOAD_FIELDS.iter().any(|(x, fs)| *x == e && fs.contains(&field))
}

/// A redacted value: a group tag, its length and the start of its SHA-256, so equal
/// values stay recognisably equal and nothing of the text remains.
///
/// The tag (8 letters) is a hash of the value with its ids and numbers folded
/// ([`group_key`]): values that differ only there share it, different messages do not.
/// It is letters only, so the overview's grouping of errors (which folds digits and
/// hex ids, as in the byte count and the SHA-256) keeps different redacted errors
/// apart instead of merging every one into `[redacted: # bytes, …]`.
pub fn redact(v: &str) -> String {
    if v.is_empty() {
        return String::new();
    }
    let h = sha2::Sha256::digest(v.as_bytes());
    let hex: String = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let g = sha2::Sha256::digest(group_key(v).as_bytes());
    let tag: String = g.iter().take(8).map(|b| char::from(b'a' + b % 26)).collect();
    format!("[redacted {tag}: {} bytes, sha256 {hex}]", v.len())
}

/// A message with its ids and numbers folded to `#` (a word holding a digit), keeping
/// HTTP status codes (a word of 3 digits, 100–599): what makes two errors the same kind.
pub fn group_key(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let status = word.len() == 3 && word.parse::<u16>().is_ok_and(|n| (100..600).contains(&n));
        if word.chars().any(|c| c.is_ascii_digit()) && !status {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in v.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The snapshot's header line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub hubtop: String,
    pub profile: Option<String>,
    pub instance: String,
    pub taken_at: String,
    pub since: String,
    /// `redacted` or `kept`.
    pub payloads: String,
    pub tables: BTreeMap<String, String>,
    pub mapping: Mapping,
    pub choices: BTreeMap<String, Vec<String>>,
    /// `sys_choice` or `built-in`.
    pub choices_from: String,
}

impl Header {
    /// What the rehearsal calls the source: the profile, else the instance URL.
    pub fn source_name(&self) -> &str {
        self.profile.as_deref().unwrap_or(&self.instance)
    }
}

pub type Fields = BTreeMap<String, String>;

/// A snapshot in memory: the header and records per logical table.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub header: Header,
    pub records: BTreeMap<Entity, Vec<Fields>>,
    /// Requests the snapshot took (from the trailer).
    pub requests: u64,
}

/// The logical key of a table in the file (`outbound`, `work_orders`, …).
pub fn table_key(e: Entity) -> &'static str {
    mapping::key(e)
}

pub fn entity_of_key(k: &str) -> Option<Entity> {
    Entity::ALL.into_iter().find(|e| mapping::key(*e) == k)
}

pub fn tables_map(t: &Tables) -> BTreeMap<String, String> {
    Entity::ALL.into_iter().map(|e| (table_key(e).to_string(), t.name(e).to_string())).collect()
}

impl Snapshot {
    pub fn count(&self, e: Entity) -> usize {
        self.records.get(&e).map_or(0, Vec::len)
    }

    pub fn total(&self) -> usize {
        self.records.values().map(Vec::len).sum()
    }

    /// Writes the snapshot to `path` atomically: a temporary file in the same directory,
    /// flushed to disk, then renamed over `path`. Returns the file's size.
    pub fn write(&self, path: &Path) -> std::io::Result<u64> {
        let tmp = TempFile::new(path)?;
        {
            let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp.0)?;
            let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::default());
            self.write_lines(&mut gz)?;
            let file = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp.0, path)?;
        std::mem::forget(tmp);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(std::fs::metadata(path)?.len())
    }

    fn write_lines(&self, w: &mut impl Write) -> std::io::Result<()> {
        let line = |w: &mut dyn Write, v: &Value| -> std::io::Result<()> {
            serde_json::to_writer(&mut *w, v)?;
            w.write_all(b"\n")
        };
        line(w, &serde_json::to_value(&self.header)?)?;
        for (e, rows) in &self.records {
            for r in rows {
                line(w, &json!({"t": table_key(*e), "r": r}))?;
            }
        }
        line(w, &json!({"end": {"records": self.total(), "requests": self.requests}}))
    }

    /// Reads a snapshot; refuses a newer format version, another file, a truncated one.
    pub fn read(path: &Path) -> Result<Snapshot, String> {
        let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::read_from(f).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn read_from(r: impl Read) -> Result<Snapshot, String> {
        let gz = flate2::read::GzDecoder::new(r);
        let mut lines = BufReader::new(gz).lines();
        let first = lines
            .next()
            .ok_or("empty file: not a hubtop snapshot")?
            .map_err(|e| format!("not a hubtop snapshot, or a truncated one ({e})"))?;
        let v: Value = serde_json::from_str(&first).map_err(|_| "not a hubtop snapshot (no header)".to_string())?;
        if v.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err("not a hubtop snapshot (its header names another format)".into());
        }
        let version = v.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(format!(
                "this snapshot is format version {version}; this hubtop ({}) reads up to version {VERSION}: \
                 use a newer hubtop to read it",
                env!("CARGO_PKG_VERSION")
            ));
        }
        let header: Header = serde_json::from_value(v).map_err(|e| format!("snapshot header: {e}"))?;
        let mut records: BTreeMap<Entity, Vec<Fields>> = BTreeMap::new();
        for (n, line) in lines.enumerate() {
            let line = line.map_err(|e| format!("truncated or damaged snapshot (line {}): {e}", n + 2))?;
            #[derive(Deserialize)]
            struct Line {
                t: Option<String>,
                r: Option<Fields>,
                end: Option<End>,
            }
            #[derive(Deserialize)]
            struct End {
                records: usize,
                #[serde(default)]
                requests: u64,
            }
            let l: Line = serde_json::from_str(&line).map_err(|e| format!("damaged snapshot (line {}): {e}", n + 2))?;
            if let Some(end) = l.end {
                let got: usize = records.values().map(Vec::len).sum();
                if got != end.records {
                    return Err(format!("damaged snapshot: {got} records, the trailer says {}", end.records));
                }
                return Ok(Snapshot { header, records, requests: end.requests });
            }
            if let (Some(t), Some(r)) = (l.t, l.r) {
                // A table a newer writer added (same version) is skipped.
                if let Some(e) = entity_of_key(&t) {
                    records.entry(e).or_default().push(r);
                }
            }
        }
        Err("truncated snapshot (no trailer): it was not written to the end".into())
    }
}

/// A record's fields as stored: secrets dropped, payloads redacted unless kept.
pub fn clean(e: Entity, fields: impl IntoIterator<Item = (String, String)>, keep_payloads: bool) -> Fields {
    fields
        .into_iter()
        .filter(|(k, _)| !is_secret(k))
        .map(|(k, v)| {
            let v = if !keep_payloads && is_payload(e, &k) { redact(&v) } else { v };
            // A URL's `user:password@` never reaches the file.
            let v = if k.ends_with("url") { crate::client::strip_credentials(&v).0 } else { v };
            (k, v)
        })
        .collect()
}

/// A temporary file beside the target, removed when dropped (an error or an interrupt
/// never leaves it behind).
struct TempFile(PathBuf);

impl TempFile {
    fn new(target: &Path) -> std::io::Result<TempFile> {
        let name = target.file_name().ok_or_else(|| std::io::Error::other("the output path names no file"))?;
        let mut tmp = name.to_os_string();
        tmp.push(format!(".tmp-{}", std::process::id()));
        Ok(TempFile(target.with_file_name(tmp)))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            hubtop: "test".into(),
            profile: Some("prod".into()),
            instance: "https://x".into(),
            taken_at: "2026-12-06 22:00:00".into(),
            since: "2026-11-29 22:00:00".into(),
            payloads: "redacted".into(),
            tables: tables_map(&Tables::default()),
            mapping: Mapping::default(),
            choices: BTreeMap::new(),
            choices_from: "built-in".into(),
        };
        let r = clean(
            Entity::Outbound,
            [("sys_id".to_string(), "a".to_string()), ("payload".into(), "SECRET-TEXT".into())],
            false,
        );
        Snapshot { header, records: BTreeMap::from([(Entity::Outbound, vec![r])]), requests: 3 }
    }

    #[test]
    fn a_snapshot_reads_back_as_written_and_newer_versions_are_refused() {
        let dir = std::env::temp_dir().join(format!("hubtop-snap-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.snap");
        let s = sample();
        s.write(&path).unwrap();
        let back = Snapshot::read(&path).unwrap();
        assert_eq!(back, s);
        assert!(back.records[&Entity::Outbound][0]["payload"].contains(": 11 bytes, sha256 "));
        // Only the file itself is left in the directory.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A newer version.
        let mut newer = s.clone();
        newer.header.version = VERSION + 1;
        newer.write(&path).unwrap();
        let e = Snapshot::read(&path).unwrap_err();
        assert!(e.contains("format version 2") && e.contains("newer hubtop"), "{e}");
        // A truncated stream.
        s.write(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let e = Snapshot::read_from(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(e.contains("truncated") || e.contains("damaged"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn secrets_are_dropped_and_payloads_kept_only_when_asked() {
        let f = [("password".to_string(), "p".to_string()), ("description".into(), "text".into())];
        let c = clean(Entity::WorkOrders, f.clone(), true);
        assert!(!c.contains_key("password"));
        assert_eq!(c["description"], "text");
        assert_ne!(clean(Entity::WorkOrders, f, false)["description"], "text");
        assert_eq!(redact(""), "");
        let p =
            clean(Entity::Providers, [("base_url".to_string(), "https://u:pw@fm.example.com/api".to_string())], true);
        assert_eq!(p["base_url"], "https://fm.example.com/api");
    }

    /// A rehearsal's overview groups errors by their text with ids and numbers folded
    /// (the console's `normalise`): redacted errors of different kinds must stay apart
    /// there, and one kind differing only in numbers together (a walkthrough saw every
    /// redacted `last_error` merged into one group).
    #[test]
    fn redacted_errors_group_by_kind_on_the_overview() {
        let norm = |v: &str| crate::app::overview::normalise(&redact(v));
        let timeout = norm("HTTP 504: provider FM-Keystone timed out after 30s");
        let auth = norm("HTTP 401: invalid credentials for provider FM-Keystone");
        assert_ne!(timeout, auth, "different errors, different groups");
        assert_ne!(norm("HTTP 503: unavailable"), norm("HTTP 502: unavailable"), "status codes tell errors apart");
        assert_eq!(timeout, norm("HTTP 504: provider FM-Keystone timed out after 9s"), "numbers fold");
        assert_eq!(
            norm("record 0123456789abcdef0123456789abcdef missing"),
            norm("record fedcba9876543210fedcba9876543210 missing"),
            "ids fold"
        );
        assert!(!redact("secret text").contains("secret"), "nothing of the text remains");
    }
}
