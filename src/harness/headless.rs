//! The console without a terminal: the same app, runner and rendering, drawn into a
//! `TestBackend`. Tests, the chaos run and the benchmark drive it with keys and read
//! the screen as text.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::app::keys::Keymap;
use crate::app::{App, Effect, Msg, Settings};
use crate::audit::Audit;
use crate::client::Client;
use crate::console::runner::{Runner, dispatch};
use crate::ops::Ops;
use crate::ui::Theme;

pub struct Headless {
    pub app: App,
    pub runner: Runner,
    rx: mpsc::Receiver<Msg>,
    pub terminal: Terminal<TestBackend>,
    pub theme: Theme,
    /// Effects the terminal loop would have handled (copy, open).
    pub side_effects: Vec<Effect>,
    pub frames: u64,
    /// When set, the time of every frame drawn (the chaos run checks each second has one).
    pub frame_times: Option<Vec<Instant>>,
    /// Draw after every message when something changed, as the terminal loop does.
    pub auto_draw: bool,
    /// The clock tick while pumping (the terminal loop ticks once a second).
    pub tick: Duration,
}

impl Headless {
    pub fn new(client: Arc<Client>, settings: Settings, audit: Arc<Audit>, size: (u16, u16)) -> Self {
        let (tx, rx) = mpsc::channel(256);
        let mut app = App::new(settings, Keymap::default());
        app.size = size;
        let terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
        Headless {
            app,
            runner: Runner::new(Ops::new(client, audit), tx),
            rx,
            terminal,
            theme: Theme::none(),
            side_effects: Vec::new(),
            frames: 0,
            frame_times: None,
            auto_draw: false,
            tick: Duration::from_millis(250),
        }
    }

    fn dispatch(&mut self, fx: Vec<Effect>) {
        let (app, side) = (&mut self.app, &mut self.side_effects);
        dispatch(&self.runner, fx, |e| match e {
            Effect::Quit => app.quit = true,
            other => side.push(other),
        });
    }

    pub fn start(&mut self) {
        let fx = self.app.start();
        self.dispatch(fx);
    }

    pub fn send(&mut self, msg: Msg) {
        let fx = self.app.update(msg);
        self.dispatch(fx);
        if self.auto_draw && self.app.dirty {
            self.draw_timed();
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn keys(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    pub fn tick(&mut self) {
        self.send(Msg::Health(self.runner.client().health()));
        self.send(Msg::Tick(Instant::now(), chrono::Utc::now()));
    }

    /// Handles messages (and a tick every `tick`) for `dur`.
    pub async fn pump(&mut self, dur: Duration) {
        let end = tokio::time::Instant::now() + dur;
        let mut tick = tokio::time::interval(self.tick);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => return,
                Some(m) = self.rx.recv() => self.send(m),
                _ = tick.tick() => self.tick(),
            }
        }
    }

    /// Pumps until `cond` holds (true) or `timeout` passes (false).
    pub async fn until(&mut self, timeout: Duration, cond: impl Fn(&App) -> bool) -> bool {
        let end = tokio::time::Instant::now() + timeout;
        let mut tick = tokio::time::interval(self.tick);
        while !cond(&self.app) {
            tokio::select! {
                _ = tokio::time::sleep_until(end) => return cond(&self.app),
                Some(m) = self.rx.recv() => self.send(m),
                _ = tick.tick() => self.tick(),
            }
        }
        true
    }

    /// Pumps until the drawn screen contains `text`.
    pub async fn until_screen(&mut self, timeout: Duration, text: &str) -> bool {
        let end = tokio::time::Instant::now() + timeout;
        loop {
            if self.draw().contains(text) {
                return true;
            }
            if tokio::time::Instant::now() >= end {
                return false;
            }
            self.pump(Duration::from_millis(100)).await;
        }
    }

    /// Handles the messages already waiting, without waiting for more.
    pub fn drain(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            self.send(m);
        }
    }

    fn frame_drawn(&mut self) {
        self.frames += 1;
        self.app.dirty = false;
        if let Some(times) = &mut self.frame_times {
            times.push(Instant::now());
        }
    }

    /// Draws a frame and returns how long rendering took.
    pub fn draw_timed(&mut self) -> Duration {
        let (app, theme) = (&self.app, &self.theme);
        let t0 = Instant::now();
        let _ = self.terminal.draw(|f| crate::ui::draw(f, app, theme));
        let d = t0.elapsed();
        self.frame_drawn();
        d
    }

    /// Draws a frame and returns the screen as text, one line per row.
    pub fn draw(&mut self) -> String {
        let (app, theme) = (&self.app, &self.theme);
        let _ = self.terminal.draw(|f| crate::ui::draw(f, app, theme));
        self.frame_drawn();
        screen_text(self.terminal.backend())
    }
}

pub fn screen_text(b: &TestBackend) -> String {
    let buf = b.buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
