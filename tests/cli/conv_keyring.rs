//! The real OS keyring, called from inside a tokio runtime (as `hubtop get` and
//! `hubtop login` do), answers with a secret or an error, never a panic. (The keyring
//! crate's Secret Service backend blocks on a runtime of its own; inside another one
//! that used to panic with "Cannot start a runtime from within a runtime".) Where no
//! secret service runs, as in CI, the answer is an error.

use hubtop::config::{Keyring, OsKeyring};

const PROFILE: &str = "hubtop-test-surely-absent-profile";

fn ask() -> Result<String, String> {
    OsKeyring.get(PROFILE, "secret")
}

#[tokio::test(flavor = "current_thread")]
async fn the_real_keyring_inside_a_current_thread_runtime_does_not_panic() {
    if let Err(e) = ask() {
        assert!(e.contains(&format!("hubtop/{PROFILE}/secret")), "says which entry: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_keyring_inside_a_multi_thread_runtime_does_not_panic() {
    if let Err(e) = ask() {
        assert!(e.contains("OS keyring entry"), "{e}");
    }
    // And from a task, as the runner would.
    let r = tokio::spawn(async { ask() }).await;
    assert!(r.is_ok(), "the task did not panic");
}

#[test]
fn a_keyring_profile_makes_the_cli_fail_cleanly_not_panic() {
    let dir = crate::common::TempDir::new("conv-keyring");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[profiles.{PROFILE}]\ninstance = \"http://127.0.0.1:1\"\nuser = \"admin\"\nsecret = {{ keyring = true }}\n"
        ),
    )
    .unwrap();
    let out =
        crate::common::proc::command(&dir).args(["--profile", PROFILE, "get", "outbound"]).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "a panic exits 101: {err}");
    // No secret service here: a usage error naming the entry. (With one, the entry is
    // absent: the same.) Either way not a crash.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("OS keyring"), "{err}");
}
