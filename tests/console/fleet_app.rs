//! Many instances in the state machine: `:profile` / `:ctx` ask for a switch (refused
//! while work is under way), a switch resets what belonged to the old instance and drops
//! its answers, the fleet polls each profile on its own at a slow cadence, and the
//! header and the fleet screen say which profile is which.

use std::time::Duration;

use crate::common::app::{app, ch, command, key, outbound_with, screen, status};
use crossterm::event::KeyCode;
use hubtop::app::fleet::{Fleet, FleetCounts, FleetProfile, FleetSample, POLL_EVERY};
use hubtop::app::overview::OverviewData;
use hubtop::app::{App, Effect, Msg, Screen, Settings, ViewKind};
use hubtop::client::{Error, Tables};

fn profile(name: &str, read_only: bool, production: bool) -> FleetProfile {
    FleetProfile {
        name: name.into(),
        instance: format!("https://{name}.example.com"),
        read_only,
        production,
        tables: Tables::default(),
    }
}

fn fleet_app() -> App {
    let mut a = app();
    a.fleet = Fleet::new(vec![profile("a", false, false), profile("b", true, true), profile("down", false, false)]);
    a
}

fn polls(fx: &[Effect]) -> Vec<(String, u64)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::PollFleet { profile, seq, .. } => Some((profile.clone(), *seq)),
            _ => None,
        })
        .collect()
}

fn tick(a: &mut App, after: Duration) -> Vec<Effect> {
    let (at, now) = (a.instant + after, a.now + chrono::Duration::from_std(after).unwrap());
    a.update(Msg::Tick(at, now))
}

#[test]
fn profile_and_ctx_ask_for_a_switch_and_complete_profile_names() {
    let mut a = fleet_app();
    let fx = command(&mut a, "profile b");
    assert!(matches!(fx.as_slice(), [Effect::SwitchProfile(n)] if n == "b"), "{fx:?}");
    let fx = command(&mut a, "ctx a");
    assert!(matches!(fx.as_slice(), [Effect::SwitchProfile(n)] if n == "a"), "{fx:?}");
    assert!(command(&mut a, "profile nope").is_empty());
    assert!(status(&a).contains("no profile `nope`") && status(&a).contains("a, b, down"), "{}", status(&a));
    // Tab completes the name after `profile ` / `ctx `.
    ch(&mut a, ':');
    for c in "ctx d".chars() {
        ch(&mut a, c);
    }
    key(&mut a, KeyCode::Tab);
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::SwitchProfile(n)] if n == "down"), "{fx:?}");
    assert_eq!(a.complete_command("profile "), vec!["profile a", "profile b", "profile down", "profile demo"]);
    assert_eq!(a.complete_command("fl"), vec!["fleet"]);
    assert!(a.complete_command("pro").contains(&"profile".to_string()));
}

#[test]
fn a_switch_is_refused_while_work_is_under_way() {
    let mut a = fleet_app();
    a.start();
    outbound_with(&mut a, 3, "error");
    // A single retry in flight: its outcome would come back on the old connection.
    ch(&mut a, 'r');
    let fx = ch(&mut a, 'y');
    assert!(fx.iter().any(|e| matches!(e, Effect::Act(_))), "{fx:?}");
    assert!(command(&mut a, "profile b").is_empty());
    assert!(status(&a).contains("refused"), "{}", status(&a));
    // A bulk job: its gauge is modal, and the switch itself refuses too.
    let mut a = fleet_app();
    a.start();
    outbound_with(&mut a, 3, "error");
    ch(&mut a, ' ');
    ch(&mut a, ' ');
    ch(&mut a, 'r');
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.iter().any(|e| matches!(e, Effect::Act(j) if j.is_bulk())), "{fx:?}");
    assert!(a.actions.bulk_running().is_some());
    assert!(a.request_profile("b").is_empty());
    assert!(status(&a).contains("refused: a bulk"), "{}", status(&a));
}

#[test]
fn a_switch_resets_the_instances_state_and_drops_the_old_connections_answers() {
    let mut a = fleet_app();
    a.settings.profile = Some("a".into());
    a.settings.demo = false;
    let old = a.start();
    let old_seq = match old.as_slice() {
        [Effect::LoadOverview { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    outbound_with(&mut a, 3, "error");
    assert!(a.lists.values().any(|l| !l.is_empty()));
    let settings = Settings {
        instance: "https://b.example.com".into(),
        user: "ops".into(),
        demo: false,
        read_only: true,
        production: true,
        profile: Some("b".into()),
        ..Default::default()
    };
    let fx = a.switched(settings);
    assert!(matches!(a.screen(), Screen::View(ViewKind::Overview)));
    assert!(a.lists.values().all(|l| l.is_empty()), "the old instance's rows are gone");
    let new_seq = match fx.as_slice() {
        [Effect::LoadOverview { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    assert_ne!(new_seq, old_seq);
    // The old connection's late answer is dropped; the new one's lands.
    a.update(Msg::Overview { seq: old_seq, result: Ok(OverviewData::default()) });
    assert!(a.overview.data.is_none(), "an answer from the old connection never lands");
    a.update(Msg::Overview { seq: new_seq, result: Ok(OverviewData::default()) });
    assert!(a.overview.data.is_some());
    let s = screen(&a, 120, 30);
    let header = s.lines().next().unwrap_or("");
    assert!(header.contains("⎈ b") && header.contains("https://b.example.com"), "{header}");
    assert!(header.contains("[READ-ONLY]") && header.contains("[PRODUCTION]"), "{header}");
    // Already there: no second connection, and the operator stays where they are.
    let fx = command(&mut a, "profile b");
    assert!(!fx.iter().any(|e| matches!(e, Effect::SwitchProfile(_))), "{fx:?}");
    assert!(status(&a).contains("already on profile b"), "{}", status(&a));
}

#[test]
fn the_fleet_polls_each_profile_on_its_own_slowly_and_a_silent_one_delays_nobody() {
    let mut a = fleet_app();
    let fx = command(&mut a, "fleet");
    let first = polls(&fx);
    assert_eq!(first.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["a", "b", "down"], "{fx:?}");
    for e in &fx {
        if let Effect::PollFleet { plan, .. } = e {
            assert_eq!(plan.requests.len(), 2, "one small round of counts per profile");
        }
    }
    // a answers; down fails at once; b stays silent.
    let counts = FleetCounts { queue: 4, out_errors: 3, exec_errors: 2, failing_providers: 1 };
    a.update(Msg::Fleet { profile: "a".into(), seq: first[0].1, result: Ok(FleetSample { counts, rate: None }) });
    a.update(Msg::Fleet {
        profile: "down".into(),
        seq: first[2].1,
        result: Err(Error::Network("cannot connect: refused".into())),
    });
    assert!(polls(&tick(&mut a, Duration::from_secs(10))).is_empty(), "nothing before the cadence");
    let s = screen(&a, 120, 20);
    let row = |name: &str| s.lines().find(|l| l.contains(&format!(" {name} "))).unwrap_or("").to_string();
    assert!(row("a").contains("● live") && row("a").contains('4'), "{s}");
    assert!(row("down").contains("✖ down: unreachable"), "{s}");
    assert!(row("b").contains("no answer for 10s"), "the silent one says so:\n{s}");
    assert!(row("b").contains("PROD") && row("b").contains("RO"), "{s}");
    // After the cadence, a and down are asked again; b, still waiting, is not.
    let again = polls(&tick(&mut a, POLL_EVERY));
    assert_eq!(again.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["a", "down"]);
    // A late answer to a superseded poll is dropped.
    a.update(Msg::Fleet { profile: "a".into(), seq: first[0].1, result: Err(Error::Timeout(Duration::from_secs(1))) });
    assert!(a.fleet.rows[0].failing.is_none());
    // a fails now: stale, its counts kept.
    a.update(Msg::Fleet { profile: "a".into(), seq: again[0].1, result: Err(Error::Timeout(Duration::from_secs(5))) });
    let s = screen(&a, 120, 20);
    assert!(s.contains("⚠ stale since") && s.contains("(timeout)"), "{s}");
    // Enter on a row: that profile, the same way as `:profile`.
    key(&mut a, KeyCode::Down);
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(fx.as_slice(), [Effect::SwitchProfile(n)] if n == "b"), "{fx:?}");
}

#[test]
fn the_fleet_polls_only_while_on_screen_and_a_forced_refresh_is_still_polite() {
    let mut a = fleet_app();
    a.start();
    assert!(polls(&tick(&mut a, POLL_EVERY * 2)).is_empty(), "the overview does not poll the fleet");
    let fx = command(&mut a, "fleet");
    let first = polls(&fx);
    assert_eq!(first.len(), 3);
    for (p, seq) in &first {
        a.update(Msg::Fleet { profile: p.clone(), seq: *seq, result: Ok(FleetSample::default()) });
    }
    // Leaving and coming back at once asks nobody again.
    ch(&mut a, '1');
    assert!(polls(&command(&mut a, "fleet")).is_empty());
    assert!(polls(&tick(&mut a, Duration::from_secs(4))).is_empty(), "the slow cadence holds");
    // ctrl-r forces a poll, but not sooner than a few seconds after the last.
    let ctrl_r = |a: &mut App| {
        a.update(Msg::Key(crossterm::event::KeyEvent::new(KeyCode::Char('r'), crossterm::event::KeyModifiers::CONTROL)))
    };
    assert!(polls(&ctrl_r(&mut a)).is_empty());
    tick(&mut a, Duration::from_secs(2));
    assert_eq!(polls(&ctrl_r(&mut a)).len(), 3);
}
