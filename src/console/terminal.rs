//! The terminal and the event loop. Raw mode and the alternate screen are restored on
//! quit, on panic (before the panic message prints) and on SIGTERM/SIGHUP/SIGINT; the
//! alternate screen is cleared before it is left (see [`restore`]); frames
//! are drawn only when something changed, at most one per 10 ms, inside synchronized
//! updates. A signal stops sending; the loop keeps drawing while what was sent answers,
//! for up to [`crate::signals::GRACE`], then records the rest as "unknown" and ends.
//! A profile switch replaces the session (runner and its channel) between two messages.

use std::io::{IsTerminal, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::style::ResetColor;
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;

use super::profiles::{Profiles, Session};
use super::runner::{Runner, dispatch};
use super::test_hooks::TestHooks;
use crate::app::{App, Effect, Level, Msg};
use crate::ops::flight::Stop;

/// Whether the console holds the terminal (raw mode, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether the alternate screen was entered: only then is there a screen to clear (a
/// clear before entering it would wipe the operator's shell screen).
static ALTERNATE: AtomicBool = AtomicBool::new(false);

/// Restores the terminal once: safe to call again from the panic hook, the guard and the
/// signal path. (Leaving the alternate screen twice would move the cursor back to where
/// it was on entering, over the panic message.)
///
/// The alternate screen is cleared before it is left: a terminal resized while the
/// console ran may otherwise carry the console's lines onto the shell's screen (tmux
/// does: its main screen showed the last frame's lines above the shell prompt after a
/// resize, on quit and on panic). The cleared screen is discarded on leaving anyway.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = terminal::disable_raw_mode();
    let mut out = stdout();
    let _ = execute!(out, DisableMouseCapture);
    if ALTERNATE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, ResetColor, Clear(ClearType::All), cursor::MoveTo(0, 0));
    }
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
}

/// Puts the terminal back when dropped, whatever way the loop ends.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        prev(info);
    }));
}

/// Options of the terminal loop.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    pub mouse: bool,
    pub tick: Duration,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions { mouse: true, tick: Duration::from_millis(1000) }
    }
}

/// Runs the console until the operator quits or a signal arrives.
pub async fn run(
    mut app: App,
    mut session: Session,
    profiles: &mut Profiles,
    fleet_rx: mpsc::Receiver<Msg>,
    opts: TuiOptions,
) -> anyhow::Result<()> {
    if !stdout().is_terminal() {
        anyhow::bail!(
            "the console needs a terminal (stdout is not one); the CLI commands work without: try `hubtop get outbound`"
        );
    }
    install_panic_hook();
    ACTIVE.store(true, Ordering::SeqCst);
    terminal::enable_raw_mode()?;
    let _guard = Guard;
    execute!(stdout(), EnterAlternateScreen)?;
    ALTERNATE.store(true, Ordering::SeqCst);
    execute!(stdout(), cursor::Hide)?;
    if opts.mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    let (w, h) = terminal::size()?;
    app.size = (w, h);
    let r = event_loop(&mut app, &mut session, profiles, fleet_rx, &mut term, opts).await;
    // The session the console ended on (a switch waits for an empty flight).
    let flight = &session.runner.ops.flight;
    // After a signal the wait is over; quitting with actions in flight waits the same
    // bounded time, so each has its outcome.
    // The audit says which: a signal (the loop ended on it), else the operator quit.
    let gone = if flight.is_stopping() {
        flight.abandon(Stop::Quit)
    } else {
        flight.shutdown(crate::signals::GRACE, Stop::Quit).await
    };
    drop(term);
    restore();
    if !gone.labels.is_empty() {
        eprintln!(
            "hubtop: outcome unknown for {} (recorded in the audit log) — check before sending again",
            gone.labels.join(", ")
        );
    }
    r
}

async fn event_loop(
    app: &mut App,
    session: &mut Session,
    profiles: &mut Profiles,
    mut fleet_rx: mpsc::Receiver<Msg>,
    term: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    opts: TuiOptions,
) -> anyhow::Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(opts.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = crate::signals::Signals::install();
    let effects = app.start();
    let mut switch = run_effects(app, &session.runner, profiles, effects);
    let mut last_draw = Instant::now() - Duration::from_secs(1);
    // Set by a signal: sending has stopped and the loop ends when what was sent has
    // answered or at this deadline.
    let mut stopping: Option<tokio::time::Instant> = None;
    let mut test_hooks = TestHooks::from_env();
    loop {
        if let Some(name) = switch.take() {
            let sending = session.runner.ops.flight.in_flight();
            let ready = match (stopping, sending) {
                (Some(_), _) => Err("the console is stopping".to_string()),
                (None, n) if n > 0 => {
                    Err(format!("{n} action(s) still on their way; switch when they have an outcome"))
                }
                _ => Ok(()),
            };
            match ready {
                Ok(()) => {}
                Err(why) => {
                    app.update(Msg::Notice(Level::Warn, format!("refused: profile {name}: {why}")));
                    continue;
                }
            }
            match profiles.switch(&name).await {
                Ok(s) => {
                    // The old session's receiver is dropped here: whatever its runner
                    // still sends goes nowhere.
                    *session = s;
                    let fx = app.switched(session.settings.clone());
                    switch = run_effects(app, &session.runner, profiles, fx);
                }
                Err(why) => {
                    app.update(Msg::Notice(Level::Error, format!("profile {name}: {why}")));
                }
            }
            continue;
        }
        if app.dirty {
            // Coalesce bursts: at most one frame per 10 ms.
            let since = last_draw.elapsed();
            if since < Duration::from_millis(10) {
                tokio::time::sleep(Duration::from_millis(10) - since).await;
            }
            if app.clear {
                term.clear()?;
                app.clear = false;
            }
            execute!(stdout(), BeginSynchronizedUpdate)?;
            term.draw(|f| crate::ui::draw(f, app, &session.theme))?;
            execute!(stdout(), EndSynchronizedUpdate)?;
            app.dirty = false;
            last_draw = Instant::now();
            test_hooks.after_draw(last_draw, app.size);
        }
        if app.quit {
            return Ok(());
        }
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Mouse(m))) => Msg::Mouse(m),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(m) = session.rx.recv() => m,
            Some(m) = fleet_rx.recv() => m,
            _ = tick.tick() => {
                let fx = app.update(Msg::Health(session.runner.client().health()));
                switch = switch.or(run_effects(app, &session.runner, profiles, fx));
                Msg::Tick(Instant::now(), chrono::Utc::now())
            }
            signal = signals.next(), if stopping.is_none() => {
                session.runner.ops.flight.stop(Stop::Signal(signal));
                stopping = Some(tokio::time::Instant::now() + crate::signals::GRACE);
                continue;
            }
            _ = session.runner.ops.flight.settle(stopping.unwrap_or_else(tokio::time::Instant::now)), if stopping.is_some() => {
                return Ok(());
            }
        };
        let effects = app.update(msg);
        switch = switch.or(run_effects(app, &session.runner, profiles, effects));
        // Drain what is already queued before drawing.
        while let Ok(m) = session.rx.try_recv() {
            let effects = app.update(m);
            switch = switch.or(run_effects(app, &session.runner, profiles, effects));
        }
    }
}

/// Starts the effects; returns the profile to switch to, when one was asked for.
fn run_effects(app: &mut App, runner: &Runner, profiles: &Profiles, effects: Vec<Effect>) -> Option<String> {
    let mut switch = None;
    dispatch(runner, effects, |e| match e {
        Effect::Copy(text) => {
            // The system clipboard may block: off the runtime; the outcome comes back.
            let tx = runner.tx.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = crate::platform::clipboard::copy(&text);
                let level = match &outcome {
                    o if o.is_confirmed() => Level::Success,
                    crate::platform::clipboard::CopyOutcome::Failed(_) => Level::Warn,
                    _ => Level::Info,
                };
                let _ = tx.blocking_send(Msg::Notice(level, outcome.message("the record as JSON")));
            });
        }
        Effect::OpenUrl(url) => {
            if let Err(e) = crate::platform::browser::open(&url) {
                let _ = runner.tx.try_send(Msg::Notice(Level::Warn, e));
            }
        }
        Effect::PollFleet { profile, seq, plan } => profiles.poll(profile, seq, plan),
        Effect::SwitchProfile(name) => switch = Some(name),
        Effect::Quit => app.quit = true,
        _ => {}
    });
    switch
}
