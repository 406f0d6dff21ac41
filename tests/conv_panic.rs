//! A panic's message, place and backtrace land in the log file (written at once, as
//! the process may be about to end). Its own test binary: the panic hook and
//! `HUBTOP_DATA_DIR` are process-wide.

#[test]
fn a_panic_is_written_to_the_log_with_its_backtrace() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let data = std::env::temp_dir().join(format!("hubtop-conv-panic-{}-{nanos}", std::process::id()));
    // SAFETY: the only test in this binary; no other thread reads the environment yet.
    unsafe { std::env::set_var("HUBTOP_DATA_DIR", &data) };
    std::fs::create_dir_all(hubtop::logging::dir()).unwrap();
    hubtop::logging::install_panic_hook();
    let joined = std::thread::Builder::new()
        .name("doomed".into())
        .spawn(|| panic!("deliberate panic 7f3a for the log"))
        .unwrap()
        .join();
    assert!(joined.is_err(), "the thread panicked");
    let log = std::fs::read_to_string(hubtop::logging::current_file()).expect("the log file exists");
    assert!(log.contains("PANIC thread 'doomed' panicked at tests/conv_panic.rs"), "{log}");
    assert!(log.contains("deliberate panic 7f3a for the log"), "{log}");
    assert!(log.contains("backtrace:") && log.contains("conv_panic"), "a backtrace with our frames: {log}");
    let _ = std::fs::remove_dir_all(&data);
}
