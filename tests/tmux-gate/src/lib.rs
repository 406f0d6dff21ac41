//! `#[tmux_test]`: a test that needs tmux. Where tmux was on PATH when the tests were
//! built it is a plain `#[test]`; elsewhere it is `#[test] #[ignore]` with the reason, so
//! `cargo test` reports it as ignored rather than passed. CI installs tmux and fails
//! without it (.ci/run), and fails too if more tests are ignored than it documents.

use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn tmux_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    assert!(attr.is_empty(), "#[tmux_test] takes no arguments");
    let head = if cfg!(has_tmux) {
        "#[test]"
    } else {
        "#[test] #[ignore = \"needs tmux, which was not on PATH when the tests were built (.ci/run installs it)\"]"
    };
    let mut out: TokenStream = head.parse().expect("attributes");
    out.extend(item);
    out
}

/// `#[prometheus_test]`: a test that runs Debian's prometheus and promtool; ignored, with
/// the reason, where they were not on PATH when the tests were built (CI installs them).
#[proc_macro_attribute]
pub fn prometheus_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    assert!(attr.is_empty(), "#[prometheus_test] takes no arguments");
    let head = if cfg!(has_prometheus) {
        "#[test]"
    } else {
        "#[test] #[ignore = \"needs prometheus and promtool (Debian package prometheus; .ci/run installs it)\"]"
    };
    let mut out: TokenStream = head.parse().expect("attributes");
    out.extend(item);
    out
}

/// `#[man_test]`: a test that runs man-db's `man`; ignored, with the reason, where it was
/// not on PATH when the tests were built (CI installs it).
#[proc_macro_attribute]
pub fn man_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    assert!(attr.is_empty(), "#[man_test] takes no arguments");
    let head = if cfg!(has_man) {
        "#[test]"
    } else {
        "#[test] #[ignore = \"needs man (Debian package man-db; .ci/run installs it)\"]"
    };
    let mut out: TokenStream = head.parse().expect("attributes");
    out.extend(item);
    out
}
