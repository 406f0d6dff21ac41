//! The session log: every message the status line showed and every action's outcome,
//! in full, with its time — the status line cuts at the screen's width and the next
//! message replaces it. Bounded: the oldest go first.

use std::collections::VecDeque;

use super::Level;

/// Lines kept at most.
pub const CAP: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct SessionLog {
    pub entries: VecDeque<Entry>,
    /// Lines scrolled up from the newest (0: the newest at the bottom).
    pub scroll: usize,
}

impl SessionLog {
    pub fn push(&mut self, at: chrono::DateTime<chrono::Utc>, level: Level, text: &str) {
        // The same message again (a retrying refresh) is counted once.
        if self.entries.back().is_some_and(|e| e.text == text && e.level == level) {
            return;
        }
        if self.entries.len() == CAP {
            self.entries.pop_front();
        }
        self.entries.push_back(Entry { at, level, text: text.to_string() });
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.entries.len().saturating_sub(1) as isize;
        self.scroll = (self.scroll as isize + delta).clamp(0, max) as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_bounded_and_counts_a_repeat_once() {
        let mut l = SessionLog::default();
        let now = chrono::Utc::now();
        l.push(now, Level::Info, "a");
        l.push(now, Level::Info, "a");
        assert_eq!(l.entries.len(), 1);
        for i in 0..CAP + 10 {
            l.push(now, Level::Info, &i.to_string());
        }
        assert_eq!(l.entries.len(), CAP);
        assert_eq!(l.entries.back().unwrap().text, (CAP + 9).to_string());
    }
}
