//! One registry of record kinds (issue 20): every list of kinds outside the domain is
//! derived from `domain::Entity`'s descriptions. This test fails when a kind is missing
//! from any of them — the console's views, `get`'s kinds, `default_view`, the profile's
//! tables, the embedded instance's tables and choice lists.

use std::path::Path;

use clap::Parser;
use hubtop::app::{VIEWS, ViewKind};
use hubtop::cli::{Cli, Command};
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
