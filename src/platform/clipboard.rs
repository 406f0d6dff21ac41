//! Copy to the clipboard, and say truthfully whether it happened.
//!
//! Two ways exist. OSC 52 asks the terminal to set the clipboard: it crosses SSH, but
//! nothing confirms it, several terminals ignore it by default (iTerm2), tmux drops it
//! unless `set-clipboard on`, GNU screen swallows it. The system clipboard (X11 /
//! macOS / Windows, through `arboard`) confirms, but over SSH it is the remote
//! machine's. [`plan`] picks from what the environment says; [`copy`] carries it out
//! and returns a [`CopyOutcome`] whose message never says "copied" when it is unknown.

use std::collections::BTreeMap;
use std::io::Write;

/// What a copy achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    /// The system clipboard took it, or a terminal known to honour OSC 52 was sent it.
    Copied,
    /// Sent as OSC 52 to a terminal that may ignore it: unknown.
    SentOsc52Unconfirmed,
    /// Nothing reached a clipboard; the reason says what to change.
    Failed(String),
}

impl CopyOutcome {
    /// The line the console shows, e.g. `message("the record as JSON")`.
    pub fn message(&self, what: &str) -> String {
        match self {
            CopyOutcome::Copied => format!("copied {what} to the clipboard"),
            CopyOutcome::SentOsc52Unconfirmed => format!(
                "sent {what} to the terminal's clipboard (OSC 52); this terminal may ignore it, so paste to check"
            ),
            CopyOutcome::Failed(why) => format!("could not copy {what}: {why}"),
        }
    }

    /// Whether the console may show it as a success.
    pub fn is_confirmed(&self) -> bool {
        *self == CopyOutcome::Copied
    }
}

/// The environment variables that say which terminal this is, and tmux's
/// `set-clipboard` option when inside tmux.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermEnv {
    vars: BTreeMap<String, String>,
    /// `tmux show-options -gv set-clipboard`: on, external or off (None: not asked / no answer).
    pub tmux_set_clipboard: Option<String>,
}

/// Variables read by [`TermEnv::detect`].
const VARS: &[&str] = &[
    "TERM",
    "TERM_PROGRAM",
    "TMUX",
    "STY",
    "SSH_CONNECTION",
    "SSH_TTY",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "KITTY_WINDOW_ID",
    "WEZTERM_PANE",
    "WT_SESSION",
    "ALACRITTY_SOCKET",
    "ALACRITTY_WINDOW_ID",
    "GHOSTTY_RESOURCES_DIR",
];

impl TermEnv {
    /// From explicit pairs (tests, or a caller with its own environment).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        tmux_set_clipboard: Option<&str>,
    ) -> Self {
        let vars = pairs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.into(), v.into())).collect();
        TermEnv { vars, tmux_set_clipboard: tmux_set_clipboard.map(str::to_string) }
    }

    /// From this process's environment; asks tmux for `set-clipboard` only inside tmux.
    pub fn detect() -> Self {
        let pairs: Vec<(&str, String)> = VARS.iter().filter_map(|k| std::env::var(k).ok().map(|v| (*k, v))).collect();
        let mut env = TermEnv::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())), None);
        if env.has("TMUX") {
            env.tmux_set_clipboard = std::process::Command::new("tmux")
                .args(["show-options", "-gv", "set-clipboard"])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        }
        env
    }

    fn get(&self, k: &str) -> &str {
        self.vars.get(k).map(String::as_str).unwrap_or("")
    }

    fn has(&self, k: &str) -> bool {
        !self.get(k).is_empty()
    }

    /// A terminal that sets the clipboard from OSC 52 in its default configuration.
    /// Inside tmux the variables a terminal exports still name the outer one.
    fn outer_honours_osc52(&self) -> bool {
        let term = self.get("TERM");
        let program = self.get("TERM_PROGRAM");
        [
            "KITTY_WINDOW_ID",
            "WEZTERM_PANE",
            "WT_SESSION",
            "ALACRITTY_SOCKET",
            "ALACRITTY_WINDOW_ID",
            "GHOSTTY_RESOURCES_DIR",
        ]
        .iter()
        .any(|k| self.has(k))
            || matches!(program, "WezTerm" | "ghostty")
            || matches!(term, "xterm-kitty" | "alacritty" | "xterm-ghostty" | "wezterm" | "foot" | "foot-extra")
    }

    fn in_tmux(&self) -> bool {
        self.has("TMUX")
    }

    fn in_screen(&self) -> bool {
        !self.in_tmux() && (self.has("STY") || self.get("TERM").starts_with("screen"))
    }

    /// Over SSH without a forwarded display, the system clipboard is the remote machine's.
    fn system_clipboard_is_local(&self) -> bool {
        let ssh = self.has("SSH_CONNECTION") || self.has("SSH_TTY");
        let display = self.has("DISPLAY") || self.has("WAYLAND_DISPLAY");
        !ssh || display
    }
}

/// How OSC 52 may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Osc52 {
    /// The terminal honours it: sending it is a copy.
    Trusted,
    /// It may reach a clipboard: worth sending, but unconfirmed.
    Unconfirmed,
    /// Something in between drops it (tmux without `set-clipboard on`, GNU screen).
    Dropped(&'static str),
}

/// What [`copy`] will try, in order: trusted OSC 52; else the system clipboard (when
/// it is the operator's); else OSC 52 unconfirmed; else fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub osc52: Osc52,
    pub system: bool,
}

/// The decision, from the environment alone.
pub fn plan(env: &TermEnv) -> Plan {
    let osc52 = if env.in_tmux() {
        match env.tmux_set_clipboard.as_deref() {
            Some("on") if env.outer_honours_osc52() => Osc52::Trusted,
            Some("on") => Osc52::Unconfirmed,
            _ => Osc52::Dropped("tmux passes OSC 52 on only with `set -g set-clipboard on`"),
        }
    } else if env.in_screen() {
        Osc52::Dropped("GNU screen does not pass OSC 52 on")
    } else if env.outer_honours_osc52() {
        Osc52::Trusted
    } else {
        Osc52::Unconfirmed
    };
    Plan { osc52, system: osc52 != Osc52::Trusted && env.system_clipboard_is_local() }
}

/// The OSC 52 sequence for `text` (base64, so the text cannot escape it).
pub fn osc52_sequence(text: &str) -> String {
    use base64::Engine as _;
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text.as_bytes()))
}

/// Carries out `plan` with the given clipboard and terminal writers (the real ones in [`copy`]).
pub fn execute(
    plan: Plan,
    text: &str,
    system: &mut dyn FnMut(&str) -> Result<(), String>,
    terminal: &mut dyn FnMut(&str) -> std::io::Result<()>,
) -> CopyOutcome {
    if plan.osc52 == Osc52::Trusted && terminal(&osc52_sequence(text)).is_ok() {
        return CopyOutcome::Copied;
    }
    let mut why = Vec::new();
    if plan.system {
        match system(text) {
            Ok(()) => return CopyOutcome::Copied,
            Err(e) => why.push(format!("no system clipboard ({e})")),
        }
    } else if plan.osc52 != Osc52::Trusted {
        why.push("the system clipboard here is the remote machine's (SSH)".to_string());
    }
    match plan.osc52 {
        Osc52::Unconfirmed => match terminal(&osc52_sequence(text)) {
            Ok(()) => return CopyOutcome::SentOsc52Unconfirmed,
            Err(e) => why.push(format!("cannot write to the terminal ({e})")),
        },
        Osc52::Dropped(hint) => why.push(hint.to_string()),
        Osc52::Trusted => why.push("cannot write to the terminal".to_string()),
    }
    CopyOutcome::Failed(why.join("; "))
}

/// Copies `text`: decides from this environment and uses the real clipboard and stdout.
/// Blocking (the system clipboard may wait for its owner): call it off the async runtime.
pub fn copy(text: &str) -> CopyOutcome {
    let p = plan(&TermEnv::detect());
    execute(p, text, &mut system_copy, &mut |seq| {
        let mut out = std::io::stdout().lock();
        out.write_all(seq.as_bytes())?;
        out.flush()
    })
}

/// The system clipboard. On X11 the owning process serves the selection, so the
/// handle lives as long as the process (dropping it would empty the clipboard).
fn system_copy(text: &str) -> Result<(), String> {
    static HOLDER: std::sync::Mutex<Option<arboard::Clipboard>> = std::sync::Mutex::new(None);
    let mut slot = HOLDER.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
    }
    slot.as_mut().map(|c| c.set_text(text.to_string()).map_err(|e| e.to_string())).unwrap_or(Ok(()))
}

#[cfg(test)]
#[path = "clipboard_tests.rs"]
mod tests;
