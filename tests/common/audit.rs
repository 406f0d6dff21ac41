//! The audit log read back. Every line must parse: a torn or garbled line fails the test.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Every line of the audit log at `path` (none when it does not exist yet).
pub fn lines(path: &Path) -> Vec<Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("{}: {e}", path.display()),
    };
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a torn or garbled audit line ({e}): {l:?}")))
        .collect()
}

/// The audit log in `dir` (its `audit.jsonl`) as (sent lines, done lines).
pub fn split(dir: &Path) -> (Vec<Value>, Vec<Value>) {
    let (mut sent, mut done) = (Vec::new(), Vec::new());
    for v in lines(&dir.join("audit.jsonl")) {
        match v["phase"].as_str() {
            Some("sent") => sent.push(v),
            Some("done") => done.push(v),
            // An action refused before sending: one line, no pair.
            Some("refused") => {}
            other => panic!("an audit line of phase {other:?}: {v}"),
        }
    }
    (sent, done)
}

/// Every "sent" line of the log at `path` has exactly one "done" line; the record of
/// each action with its outcome, in the order sent.
pub fn outcomes(path: &Path) -> Vec<(String, String)> {
    let all = lines(path);
    let done: Vec<&Value> = all.iter().filter(|v| v["phase"] == "done").collect();
    all.iter()
        .filter(|v| v["phase"] == "sent")
        .map(|s| {
            let d: Vec<_> = done.iter().filter(|d| d["id"] == s["id"]).collect();
            assert_eq!(d.len(), 1, "one outcome for {s}; done lines: {done:?}");
            let record = s["record"].as_str().unwrap_or_else(|| panic!("a record: {s}")).to_string();
            (record, d[0]["outcome"].as_str().unwrap_or_else(|| panic!("an outcome: {}", d[0])).to_string())
        })
        .collect()
}

/// The outcomes of the actions in `dir`'s audit log, in the order sent.
pub fn outcomes_paired(dir: &Path) -> Vec<String> {
    outcomes(&dir.join("audit.jsonl")).into_iter().map(|(_, o)| o).collect()
}

/// Record → its outcomes, in the order sent.
pub fn outcomes_by_record(path: &Path) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (record, outcome) in outcomes(path) {
        m.entry(record).or_default().push(outcome);
    }
    m
}
