//! A panic's message, place and backtrace land in the log file (written at once, as
//! the process may be about to end). The panic hook and `HUBTOP_DATA_DIR` are
//! process-wide, so the panicking part runs in a child process of its own (this test
//! binary, running only `panicking_child`).

use crate::common::TempDir;

/// Run by `a_panic_is_written_to_the_log_with_its_backtrace` in a child process: installs
/// the hook, panics on a thread named "doomed", and exits.
#[test]
#[ignore = "a child process of a_panic_is_written_to_the_log_with_its_backtrace"]
fn panicking_child() {
    let Some(data) = std::env::var_os("HUBTOP_PANIC_CHILD") else { return };
    // SAFETY: in the child process, which runs this test alone, before any other thread.
    unsafe { std::env::set_var("HUBTOP_DATA_DIR", &data) };
    std::fs::create_dir_all(hubtop::logging::dir()).unwrap();
    hubtop::logging::install_panic_hook();
    let joined = std::thread::Builder::new()
        .name("doomed".into())
        .spawn(|| panic!("deliberate panic 7f3a for the log"))
        .unwrap()
        .join();
    assert!(joined.is_err(), "the thread panicked");
    println!("the log is {}", hubtop::logging::current_file().display());
}

#[test]
fn a_panic_is_written_to_the_log_with_its_backtrace() {
    let data = TempDir::new("conv-panic");
    let module = module_path!().split_once("::").map_or(module_path!(), |(_, m)| m);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", &format!("{module}::panicking_child"), "--test-threads", "1", "--nocapture"])
        .env("HUBTOP_PANIC_CHILD", data.path())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the child runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("1 passed"), "{said}\n{}", String::from_utf8_lossy(&out.stderr));
    let file = said
        .lines()
        .find_map(|l| l.split_once("the log is ").map(|(_, f)| f.trim()))
        .unwrap_or_else(|| panic!("the child names its log: {said}"));
    assert!(file.starts_with(&data.path().display().to_string()), "{file}");
    let log = std::fs::read_to_string(file).expect("the log file exists");
    assert!(log.contains("PANIC thread 'doomed' panicked at tests/cli/conv_panic.rs"), "{log}");
    assert!(log.contains("deliberate panic 7f3a for the log"), "{log}");
    assert!(log.contains("backtrace:") && log.contains("conv_panic"), "a backtrace with our frames: {log}");
}
