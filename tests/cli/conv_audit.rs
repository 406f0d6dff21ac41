//! The audit log shared by several writers: 24 handles on one file (each its own open
//! file and advisory lock, as 24 processes would have) append concurrently while the
//! file rotates; every line parses, no id repeats, every action has its outcome, and
//! rotation keeps the files it promises.

use std::path::{Path, PathBuf};
use std::sync::Barrier;

use hubtop::audit::{Audit, AuditId, Rotation, read_ids, rotated};
use serde_json::{Value, json};

use crate::common::TempDir;

fn tempdir(tag: &str) -> TempDir {
    TempDir::new(&format!("conv-audit-{tag}"))
}

/// 24 writers × `per` actions (a "sent" and a "done" line each) on `path`.
fn hammer(path: &Path, rotation: Rotation, per: usize) {
    let writers = 24;
    let barrier = Barrier::new(writers);
    std::thread::scope(|s| {
        for w in 0..writers {
            let barrier = &barrier;
            s.spawn(move || {
                let audit = Audit::open(Some(path), "https://acme.example.com", "ops")
                    .unwrap()
                    .with_profile(Some(&format!("p{w}")))
                    .with_rotation(rotation);
                barrier.wait();
                for i in 0..per {
                    let id = audit.begin(
                        "retry",
                        &format!("rec-{w}-{i}"),
                        &json!({"state": "ready", "pad": "x".repeat(64)}),
                    );
                    audit.complete(id, "ok", "");
                }
            });
        }
    });
}

/// Every line of the live file and its rotations, oldest first.
fn all_lines(path: &Path, keep: usize) -> Vec<String> {
    let mut files: Vec<PathBuf> = (1..=keep).rev().map(|n| rotated(path, n)).filter(|p| p.exists()).collect();
    files.push(path.to_path_buf());
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

#[test]
fn concurrent_writers_never_tear_a_line_nor_repeat_an_id_even_while_rotating() {
    let dir = tempdir("many");
    let path = dir.join("audit.jsonl");
    // Small files so rotation happens often during the run; enough kept to lose nothing.
    let rotation = Rotation { max_bytes: 32 * 1024, keep: 200 };
    let per = 40;
    hammer(&path, rotation, per);
    let lines = all_lines(&path, rotation.keep);
    assert_eq!(lines.len(), 24 * per * 2, "every line is somewhere");
    let mut sent = std::collections::HashSet::new();
    let mut done = std::collections::HashSet::new();
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a torn line ({e}): {l:?}"));
        let id: AuditId = v["id"].as_str().expect("a string id").parse().expect("a UUID");
        assert_eq!(id.get_version_num(), 7, "UUID v7: {id}");
        assert!(v["profile"].as_str().is_some_and(|p| p.starts_with('p')), "the profile is recorded: {l}");
        match v["phase"].as_str() {
            Some("sent") => assert!(sent.insert(id), "id {id} sent twice"),
            Some("done") => assert!(done.insert(id), "id {id} completed twice"),
            other => panic!("phase {other:?}"),
        }
    }
    assert_eq!(sent, done, "every action has its outcome, under the same id");
    let rotations = (1..=rotation.keep).filter(|n| rotated(&path, *n).exists()).count();
    assert!(rotations >= 3, "the run rotated ({rotations} files)");
    for n in 1..=rotations {
        let len = std::fs::metadata(rotated(&path, n)).unwrap().len();
        assert!(len <= rotation.max_bytes, "audit.jsonl.{n} is {len} bytes");
    }
}

#[test]
fn rotation_keeps_only_the_promised_number_of_old_files() {
    let dir = tempdir("keep");
    let path = dir.join("audit.jsonl");
    let rotation = Rotation { max_bytes: 2 * 1024, keep: 3 };
    hammer(&path, rotation, 10);
    assert!(path.exists());
    for n in 1..=3 {
        assert!(rotated(&path, n).exists(), "audit.jsonl.{n}");
    }
    assert!(!rotated(&path, 4).exists(), "no fourth old file");
    let (sent, done) = read_ids(&path).unwrap();
    assert!(!sent.is_empty() || !done.is_empty(), "the live file has lines");
}

#[test]
fn a_line_without_a_profile_says_so() {
    let dir = tempdir("noprofile");
    let path = dir.join("audit.jsonl");
    let audit = Audit::open(Some(&path), "http://127.0.0.1:1", "admin").unwrap();
    let id = audit.begin("skip", "ih_sync_outbound_record:abc", &json!({"state": "skipped"}));
    audit.complete(id, "unknown", "no answer");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|v| v.get("profile") == Some(&Value::Null)), "{text}");
    assert_eq!(read_ids(&path).unwrap(), (vec![id], vec![id]));
}

/// Spawned 24 times by `real_processes_share_the_log_and_its_rotation`: appends through
/// its own `Audit`, as a separate `hubtop` process would. Does nothing unless started so.
#[test]
#[ignore = "a child process of real_processes_share_the_log_and_its_rotation"]
fn audit_child_writer() {
    let Some(path) = std::env::var_os("HUBTOP_AUDIT_CHILD") else { return };
    let path = PathBuf::from(path);
    let who = std::env::var("HUBTOP_AUDIT_CHILD_N").unwrap();
    let audit = Audit::open(Some(&path), "https://acme.example.com", "ops")
        .unwrap()
        .with_profile(Some(&format!("p{who}")))
        .with_rotation(Rotation { max_bytes: 16 * 1024, keep: 500 });
    for i in 0..30 {
        let id = audit.begin("skip", &format!("rec-{who}-{i}"), &json!({"state": "skipped", "pad": "y".repeat(80)}));
        audit.complete(id, "ok", "");
    }
}

/// A test's name as the harness knows it (`conv_audit::NAME`), to run it alone in a child.
fn child_test_name(name: &str) -> String {
    let module = module_path!().split_once("::").map_or(module_path!(), |(_, m)| m);
    format!("{module}::{name}")
}

#[test]
fn real_processes_share_the_log_and_its_rotation() {
    let dir = tempdir("procs");
    let path = dir.join("audit.jsonl");
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..24)
        .map(|n| {
            std::process::Command::new(&me)
                .args([
                    "--ignored",
                    "--exact",
                    &child_test_name("audit_child_writer"),
                    "--test-threads",
                    "1",
                    "--quiet",
                ])
                .env("HUBTOP_AUDIT_CHILD", &path)
                .env("HUBTOP_AUDIT_CHILD_N", n.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("child starts")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a child failed: {}", String::from_utf8_lossy(&out.stdout));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("1 passed"), "the child ran the writer (not zero tests): {said}");
    }
    let lines = all_lines(&path, 500);
    assert_eq!(lines.len(), 24 * 30 * 2, "every line of every process is somewhere");
    let mut ids = std::collections::HashSet::new();
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a torn line ({e}): {l:?}"));
        if v["phase"] == "sent" {
            assert!(ids.insert(v["id"].as_str().unwrap().to_string()), "an id repeated across processes: {l}");
        }
    }
    assert_eq!(ids.len(), 24 * 30);
    assert!(rotated(&path, 2).exists(), "the processes rotated the file between them");
}
