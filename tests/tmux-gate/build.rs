//! Sets `has_tmux` when tmux is on PATH (`has_prometheus`, `has_man` likewise); reruns when PATH changes (only this crate and
//! the tests that use it are rebuilt then, never hubtop itself).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_tmux)");
    println!("cargo::rustc-check-cfg=cfg(has_prometheus)");
    println!("cargo::rustc-check-cfg=cfg(has_man)");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=build.rs");
    let on_path = |tool: &str| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|dir| dir.join(tool).is_file()))
    };
    if on_path("tmux") {
        println!("cargo::rustc-cfg=has_tmux");
    }
    // The monitoring test runs a real Prometheus server (Debian's prometheus package).
    if on_path("prometheus") && on_path("promtool") {
        println!("cargo::rustc-cfg=has_prometheus");
    }
    // The README's manual page line is checked with man-db's `man -w`.
    if on_path("man") {
        println!("cargo::rustc-cfg=has_man");
    }
}
