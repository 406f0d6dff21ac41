//! The copy decision from described environments, and what each outcome says.

use super::*;

fn env(pairs: &[(&str, &str)], tmux: Option<&str>) -> TermEnv {
    TermEnv::from_pairs(pairs.iter().copied(), tmux)
}

/// Runs the plan with fakes; returns the outcome and what reached each side.
fn run(p: Plan, system_ok: bool) -> (CopyOutcome, Vec<String>, Vec<String>) {
    let (mut sys, mut term) = (Vec::new(), Vec::new());
    let out = execute(
        p,
        "hello",
        &mut |t| {
            sys.push(t.to_string());
            if system_ok { Ok(()) } else { Err("no display".into()) }
        },
        &mut |s| {
            term.push(s.to_string());
            Ok(())
        },
    );
    (out, sys, term)
}

#[test]
fn a_terminal_known_to_honour_osc52_gets_it_and_that_is_a_copy() {
    for e in [
        env(&[("TERM", "xterm-kitty")], None),
        env(&[("TERM", "xterm-256color"), ("WT_SESSION", "x")], None),
        env(&[("TERM_PROGRAM", "WezTerm")], None),
        env(&[("TERM", "foot")], None),
    ] {
        let p = plan(&e);
        assert_eq!(p, Plan { osc52: Osc52::Trusted, system: false }, "{e:?}");
        let (out, sys, term) = run(p, true);
        assert_eq!(out, CopyOutcome::Copied);
        assert!(sys.is_empty());
        assert_eq!(term, vec!["\x1b]52;c;aGVsbG8=\x07".to_string()]);
    }
}

#[test]
fn an_unknown_terminal_uses_the_system_clipboard_first() {
    let p = plan(&env(&[("TERM", "xterm-256color"), ("DISPLAY", ":0")], None));
    assert_eq!(p, Plan { osc52: Osc52::Unconfirmed, system: true });
    let (out, sys, term) = run(p, true);
    assert_eq!(out, CopyOutcome::Copied);
    assert_eq!(sys, vec!["hello".to_string()]);
    assert!(term.is_empty(), "no OSC 52 once the system clipboard took it");
}

#[test]
fn an_unknown_terminal_without_a_system_clipboard_is_sent_osc52_unconfirmed() {
    let p = plan(&env(&[("TERM", "xterm-256color")], None));
    let (out, _, term) = run(p, false);
    assert_eq!(out, CopyOutcome::SentOsc52Unconfirmed);
    assert_eq!(term.len(), 1);
    let msg = out.message("the record as JSON");
    assert!(!msg.contains("copied"), "never says copied when unknown: {msg}");
    assert!(!out.is_confirmed());
}

#[test]
fn tmux_without_set_clipboard_on_never_gets_osc52() {
    for setting in [None, Some("external"), Some("off")] {
        let e =
            env(&[("TERM", "tmux-256color"), ("TMUX", "/tmp/tmux-0/default,1,0"), ("KITTY_WINDOW_ID", "1")], setting);
        let p = plan(&e);
        assert!(matches!(p.osc52, Osc52::Dropped(_)), "{setting:?}: {p:?}");
        let (out, sys, term) = run(p, false);
        assert!(term.is_empty(), "tmux would drop it: not sent");
        assert_eq!(sys.len(), 1, "the system clipboard was tried");
        let CopyOutcome::Failed(why) = &out else { panic!("{out:?}") };
        assert!(why.contains("set-clipboard on"), "says the fix: {why}");
        assert!(!out.message("x").starts_with("copied"));
    }
}

#[test]
fn tmux_with_set_clipboard_on_trusts_osc52_only_for_a_known_outer_terminal() {
    let tmux = [("TERM", "tmux-256color"), ("TMUX", "/tmp/tmux-0/default,1,0"), ("TERM_PROGRAM", "tmux")];
    assert_eq!(plan(&env(&tmux, Some("on"))).osc52, Osc52::Unconfirmed);
    let mut known = tmux.to_vec();
    known.push(("WEZTERM_PANE", "3"));
    assert_eq!(plan(&env(&known, Some("on"))).osc52, Osc52::Trusted);
}

#[test]
fn gnu_screen_drops_osc52() {
    let p = plan(&env(&[("TERM", "screen-256color"), ("STY", "123.pts-0")], None));
    assert_eq!(p.osc52, Osc52::Dropped("GNU screen does not pass OSC 52 on"));
    assert!(matches!(run(p, false).0, CopyOutcome::Failed(w) if w.contains("screen")));
}

#[test]
fn over_ssh_the_remote_system_clipboard_is_not_used() {
    let p = plan(&env(&[("TERM", "xterm-256color"), ("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")], None));
    assert_eq!(p, Plan { osc52: Osc52::Unconfirmed, system: false });
    let (out, sys, _) = run(p, true);
    assert!(sys.is_empty(), "the remote machine's clipboard is not the operator's");
    assert_eq!(out, CopyOutcome::SentOsc52Unconfirmed);
    // With X forwarding the display is the operator's.
    let fwd = plan(&env(&[("SSH_TTY", "/dev/pts/1"), ("DISPLAY", "localhost:10.0")], None));
    assert!(fwd.system);
}

#[test]
fn the_osc52_payload_is_base64_so_text_cannot_escape_it() {
    let seq = osc52_sequence("a\x07b\x1b]0;x\x07");
    let body = &seq["\x1b]52;c;".len()..seq.len() - 1];
    assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='), "{seq:?}");
    assert!(seq.ends_with('\x07'));
}
