//! The cadence of polls, driven by messages alone (no network): every view every IDLE
//! whatever the instance does, faster only out of a small allowance — at most 15 polls
//! in any minute — and a changing instance never polled faster.

use std::time::{Duration, Instant};

use hubtop::app::detail::{DetailData, DetailState, ExecView};
use hubtop::app::keys::Keymap;
use hubtop::app::overview::OverviewData;
use hubtop::app::refresh::IDLE;
use hubtop::app::{App, Effect, Msg, Screen, Settings};
use hubtop::client::actions::ExecDetail;
use hubtop::client::{Entity, Record};

fn app() -> App {
    App::new(Settings::default(), Keymap::default())
}

fn execution(state: &str) -> DetailData {
    let x = Record::from_pairs(&[("sys_id", "x1"), ("state", state)]);
    let exec = ExecDetail {
        execution: x.clone(),
        inputs: Default::default(),
        outputs: Default::default(),
        steps: Vec::new(),
        step_detail: Default::default(),
    };
    DetailData { record: x, exec: Some(ExecView::Loaded(exec)), related: Vec::new() }
}

/// Ticks every 100 ms for `d`, answering each poll at once with `answer(n)` (n: the
/// poll's number); returns the instants the polls went at.
fn drive(a: &mut App, t0: Instant, d: Duration, mut answer: impl FnMut(u64) -> Msg) -> Vec<Instant> {
    let mut polls = Vec::new();
    let mut t = t0;
    while t < t0 + d {
        t += Duration::from_millis(100);
        for e in a.update(Msg::Tick(t, chrono::Utc::now())) {
            let seq = match e {
                Effect::LoadOverview { seq, .. } | Effect::LoadDetail { seq, .. } => seq,
                _ => continue,
            };
            polls.push(t);
            let msg = match answer(polls.len() as u64) {
                Msg::Overview { result, .. } => Msg::Overview { seq, result },
                Msg::Detail { result, .. } => Msg::Detail { seq, result },
                m => m,
            };
            a.update(msg);
        }
    }
    polls
}

fn most_in_a_minute(polls: &[Instant]) -> usize {
    (0..polls.len())
        .map(|i| polls[i..].iter().take_while(|t| **t - polls[i] < Duration::from_secs(60)).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn an_overview_of_a_changing_instance_is_polled_every_idle_interval_not_faster() {
    let mut a = app();
    let t0 = Instant::now();
    let first = a.start();
    let Some(Effect::LoadOverview { seq, .. }) = first.first().cloned() else { panic!("{first:?}") };
    a.update(Msg::Overview { seq, result: Ok(OverviewData::default()) });
    // Every answer differs from the last (the instance changes all the time).
    let polls = drive(&mut a, t0, Duration::from_secs(600), |n| {
        let data = OverviewData { counts: vec![("Outbound", vec![("error".into(), n)])], ..Default::default() };
        Msg::Overview { seq: 0, result: Ok(data) }
    });
    let most = most_in_a_minute(&polls);
    assert!((11..=12).contains(&most), "{most} polls in a minute");
    assert!(polls.windows(2).all(|w| w[1] - w[0] >= IDLE), "never sooner than {IDLE:?}");
}

#[test]
fn a_running_execution_is_followed_fast_out_of_an_allowance_at_most_15_polls_a_minute() {
    let mut a = app();
    let t0 = Instant::now();
    a.update(Msg::Tick(t0, chrono::Utc::now()));
    a.stack.push(Screen::Detail(Box::new(DetailState::new(Entity::Executions, "x1", "x1"))));
    let first = a.refresh_current(true);
    let Some(Effect::LoadDetail { seq, .. }) = first.first().cloned() else { panic!("{first:?}") };
    a.update(Msg::Detail { seq, result: Ok(execution("IN_PROGRESS")) });
    let polls =
        drive(&mut a, t0, Duration::from_secs(300), |_| Msg::Detail { seq: 0, result: Ok(execution("IN_PROGRESS")) });
    // The first few a second apart (steps appear live), then every IDLE.
    assert!(polls[1] - polls[0] <= Duration::from_millis(1100), "{:?}", polls[1] - polls[0]);
    let most = most_in_a_minute(&polls);
    assert!(most <= 15, "{most} polls in a minute");
    let late: Vec<_> = polls.iter().filter(|t| **t > t0 + Duration::from_secs(120)).collect();
    assert!(late.windows(2).all(|w| *w[1] - *w[0] >= IDLE - Duration::from_millis(100)), "back to the idle interval");
    // Once it has finished, the idle interval alone.
    let t1 = *polls.last().unwrap();
    let done =
        drive(&mut a, t1, Duration::from_secs(120), |_| Msg::Detail { seq: 0, result: Ok(execution("COMPLETE")) });
    assert!(most_in_a_minute(&done) <= 12);
}
