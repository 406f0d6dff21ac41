//! Colours by meaning, never by state alone: every state also carries a symbol or word.
//! `NO_COLOR` (or theme "none") drops colour and keeps bold / reverse for emphasis.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::Tone;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub running: Style,
    pub selected: Style,
    pub marked: Style,
    pub header: Style,
    pub border: Style,
    pub title: Style,
}

impl Theme {
    /// Works on dark and light backgrounds: the palette's named colours, which terminals
    /// adapt to their background, and blue/orange rather than red/green as the main pair.
    pub fn default_theme() -> Theme {
        Theme {
            name: "default".into(),
            text: Style::default(),
            muted: Style::default().add_modifier(Modifier::DIM),
            accent: Style::default().fg(Color::Cyan),
            ok: Style::default().fg(Color::Blue),
            warn: Style::default().fg(Color::Yellow),
            error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            running: Style::default().fg(Color::Magenta),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            marked: Style::default().add_modifier(Modifier::BOLD).fg(Color::Cyan),
            header: Style::default().add_modifier(Modifier::BOLD),
            border: Style::default().add_modifier(Modifier::DIM),
            title: Style::default().add_modifier(Modifier::BOLD),
        }
    }

    /// Higher contrast for light backgrounds.
    pub fn light() -> Theme {
        Theme {
            name: "light".into(),
            accent: Style::default().fg(Color::Blue),
            ok: Style::default().fg(Color::Blue),
            warn: Style::default().fg(Color::Rgb(160, 90, 0)),
            running: Style::default().fg(Color::Magenta),
            muted: Style::default().fg(Color::DarkGray),
            ..Theme::default_theme()
        }
    }

    pub fn none() -> Theme {
        let plain = Style::default();
        Theme {
            name: "none".into(),
            text: plain,
            muted: plain,
            accent: plain,
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD),
            running: plain,
            selected: plain.add_modifier(Modifier::REVERSED),
            marked: plain.add_modifier(Modifier::BOLD),
            header: plain.add_modifier(Modifier::BOLD),
            border: plain,
            title: plain.add_modifier(Modifier::BOLD),
        }
    }

    pub fn by_name(name: &str) -> Option<Theme> {
        match name {
            "default" | "dark" => Some(Theme::default_theme()),
            "light" => Some(Theme::light()),
            "none" | "mono" => Some(Theme::none()),
            _ => None,
        }
    }

    /// The configured theme, unless `NO_COLOR` is set (https://no-color.org).
    pub fn resolve(name: &str) -> Theme {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Theme::none();
        }
        Theme::by_name(name).unwrap_or_else(Theme::default_theme)
    }

    /// Symbol and style for a state value of any table (its tone in the domain).
    pub fn state(&self, v: &str) -> (&'static str, Style) {
        let tone = crate::domain::state::tone_of(v);
        (tone.symbol(), self.tone(tone))
    }

    pub fn tone(&self, tone: Tone) -> Style {
        match tone {
            Tone::Ok => self.ok,
            Tone::Pending => self.accent,
            Tone::Running => self.running,
            Tone::Held => self.warn,
            Tone::Failed => self.error,
            Tone::Done => self.muted,
            Tone::Unknown => self.text,
        }
    }
}
