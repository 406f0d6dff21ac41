//! One registry of record kinds (issue 20): every list of kinds outside the domain is
//! derived from `domain::Entity`'s descriptions. This test fails when a kind is missing
//! from any of them — the console's views, `get`'s kinds, `default_view`, the profile's
//! tables, the embedded instance's tables and choice lists.

use std::path::Path;

use clap::Parser;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hubtop::app::keys::Keymap;
use hubtop::app::{App, Effect, Msg, Settings, VIEWS, ViewKind};
use hubtop::cli::{Cli, Command};
use hubtop::client::Record;
use hubtop::client::read::Page;
use hubtop::config::{Config, DefaultView};
use hubtop::domain::{Entity, Tables, mapping};
use hubtop::sim::schema;

#[test]
fn every_kind_is_in_every_derived_list() {
    let mut listed = 0;
    for e in Entity::ALL {
        let d = e.desc();
        // The profile's tables and mapping, and the embedded instance.
        assert_eq!(Tables::default().name(e), d.default_table, "{e:?}");
        assert_eq!(mapping::key(e), d.key, "{e:?}");
        let served = schema::table(d.default_table).unwrap_or_else(|| panic!("{e:?}: the instance serves no table"));
        for c in d.choices {
            assert_eq!(schema::choices(served.name, c.field), c.values, "{e:?}.{}", c.field);
        }
        // Views, `get` and `default_view` for a kind with a list; none of them otherwise.
        let view = ViewKind::List(e);
        let get = Cli::try_parse_from(["hubtop", "get", d.name]);
        let default_view =
            Config::parse(&format!("default_view = \"{}\"\n", d.name), Path::new("/etc/hubtop/config.toml"));
        if d.listed {
            listed += 1;
            assert_eq!(VIEWS.get(listed), Some(&view), "{e:?} is view {}", listed + 1);
            match get.map(|c| c.command) {
                Ok(Some(Command::Get(a))) => assert_eq!(a.entity, e),
                other => panic!("{e:?}: `get {}` does not parse: {other:?}", d.name),
            }
            assert_eq!(default_view.map(|c| c.default_view).ok(), Some(DefaultView::List(e)), "{e:?}");
            for alias in d.aliases {
                assert!(Cli::try_parse_from(["hubtop", "get", alias]).is_ok(), "{e:?}: alias {alias}");
            }
        } else {
            assert!(!VIEWS.contains(&view), "{e:?}");
            assert!(get.is_err(), "{e:?} has no list: `get {}` is refused", d.name);
            assert!(default_view.is_err(), "{e:?}");
        }
    }
    assert_eq!(VIEWS.len(), 1 + listed, "the overview and one view per listed kind");
    assert_eq!(DefaultView::ALL.len(), 2 + listed, "overview, fleet and one per listed kind");
}

/// `h` lists the sync history its kind's description relates a record to: by the
/// record's own sys_id (a work order, a provider) or by the reference it holds (a queue
/// entry's document); a history line has none of its own.
#[test]
fn h_lists_the_sync_history_the_description_names() {
    // (kind, its row, what the history list is asked for)
    type Case = (Entity, &'static [(&'static str, &'static str)], Option<&'static str>);
    let cases: [Case; 4] = [
        (Entity::WorkOrders, &[("sys_id", "w1"), ("number", "WPT0001")], Some("task=w1")),
        (Entity::Outbound, &[("sys_id", "o1"), ("number", "ISO1"), ("document_id", "w1")], Some("task=w1")),
        (Entity::Providers, &[("sys_id", "p1"), ("title", "Acme")], Some("provider=p1")),
        (Entity::History, &[("sys_id", "h1"), ("task", "w1")], None),
    ];
    for (e, fields, want) in cases {
        let mut a = App::new(Settings::default(), Keymap::default());
        a.size = (120, 40);
        a.start();
        let n = 2 + Entity::LISTED.iter().position(|x| *x == e).expect("listed"); // 1 is the overview
        let fx = a.update(Msg::Key(KeyEvent::new(KeyCode::Char((b'0' + n as u8) as char), KeyModifiers::NONE)));
        let Some(Effect::LoadWindow { seq, .. }) = fx.first().cloned() else { panic!("{e:?}: {fx:?}") };
        let page = Page { records: vec![Record::from_pairs(fields)], total: Some(1), next_offset: None };
        a.update(Msg::Window { entity: e, seq, offset: 0, result: Ok((page, None)) });
        let fx = a.update(Msg::Key(KeyEvent::new(KeyCode::Char('h'), KeyModifiers::NONE)));
        let asked = fx.iter().find_map(|f| match f {
            Effect::LoadWindow { entity: Entity::History, spec, .. } => Some(spec.query.to_string()),
            _ => None,
        });
        match want {
            Some(q) => assert!(asked.as_deref().is_some_and(|s| s.starts_with(q)), "{e:?}: {asked:?} {fx:?}"),
            None => assert_eq!(asked, None, "{e:?}"),
        }
    }
}
