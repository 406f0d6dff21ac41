//! The kinds of record hubtop knows, and the registry of their descriptions: one file per
//! kind under `records/`, one line per kind in [`registry!`] below. Everything a kind is —
//! its table, fields, columns, name on the command line and in the console, its view,
//! choice lists, the related records its detail shows and the operations it offers —
//! is in its description; every list of kinds elsewhere is derived from [`Entity::ALL`].
//!
//! Adding a kind: its description (`records/NAME.rs`, `pub mod NAME;` in
//! `records/mod.rs`), its line here, and its profile key in `tables.rs` (the
//! config's `[profiles.NAME.tables]`). `tests` below fail if any derived list misses it.

use super::records;
use super::state::QueueState;

/// Declares the kinds: the enum, [`Entity::ALL`] and [`Entity::desc`], from one list.
macro_rules! registry {
    ($($(#[$m:meta])* $kind:ident => $desc:path,)*) => {
        /// The record kinds the console and CLI know, in the registry's order (the order
        /// of the views, of `get`'s kinds and of the doctor's checks).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Entity {
            $($(#[$m])* $kind,)*
        }

        impl Entity {
            pub const ALL: [Entity; [$(stringify!($kind)),*].len()] = [$(Entity::$kind),*];

            /// Its description (`records/`).
            pub const fn desc(self) -> &'static Desc {
                match self {
                    $(Entity::$kind => &$desc,)*
                }
            }
        }
    };
}

registry! {
    Providers => records::provider::DESC,
    WorkOrders => records::work_order::DESC,
    Outbound => records::outbound::DESC,
    Inbound => records::inbound::DESC,
    Executions => records::execution::DESC,
    History => records::history::DESC,
    /// Reached from a detail only (no list of its own).
    Flows => records::flow::DESC,
}

/// How wide a list column is: a fixed width (shrunk to its widest value) or the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Fixed(u16),
    /// Takes what is left, at least this much.
    Fill(u16),
}

/// A list column: the field, its heading, its width and how long it stays when the
/// terminal is narrow (the lowest `keep` goes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub field: &'static str,
    pub title: &'static str,
    pub width: Width,
    pub keep: u8,
}

pub(crate) const fn col(field: &'static str, title: &'static str, width: Width, keep: u8) -> Column {
    Column { field, title, width, keep }
}

/// A choice field and its values in list order (what the instance's `sys_choice` holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub field: &'static str,
    pub values: &'static [&'static str],
    /// The console acts or filters by it: `hubtop doctor` checks that the instance has
    /// these values (or maps them).
    pub checked: bool,
}

/// A choice list the console only shows.
pub(crate) const fn choice(field: &'static str, values: &'static [&'static str]) -> Choice {
    Choice { field, values, checked: false }
}

/// A choice list the console acts or filters by (its values come from `state`).
pub(crate) const fn checked(field: &'static str, values: &'static [&'static str]) -> Choice {
    Choice { field, values, checked: true }
}

/// The label a choice value displays as: `in_progress` → `In progress`, `IN_PROGRESS` → `In progress`.
pub fn choice_label(value: &str) -> String {
    // Labels that are not the value in sentence case, as the instance's choice lists have them.
    match value {
        "oauth" => return "OAuth".into(),
        "api_key" => return "API key".into(),
        "incident_two_way" => return "Incident (two-way)".into(),
        "fm_work_orders" => return "FM work orders".into(),
        // One spelling on screen, as the IFM documentation writes it (see domain::state).
        "canceled" => return "Cancelled".into(),
        _ => {}
    }
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An operation a kind offers, as its list's footer names it (which records it applies
/// to, in which state, is `rules`' to decide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// A queue entry back to ready, or a work order's failed sync again.
    Retry,
    /// A queue entry to skipped.
    Skip,
    /// A failed execution's flow again (the retry key, named for what it does).
    Rerun,
    /// A work order at its provider.
    Create,
    Update,
    Cancel,
}

impl Verb {
    pub fn word(self) -> &'static str {
        match self {
            Verb::Retry => "retry",
            Verb::Skip => "skip",
            Verb::Rerun => "rerun",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Cancel => "cancel",
        }
    }
}

/// Where the value a related pane is looked up by comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The record's own sys_id.
    SysId,
    /// A reference field of the record (the pane is left out while it is empty).
    Field(&'static str),
}

/// A pane of related records in a detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relation {
    pub kind: Entity,
    pub label: &'static str,
    /// The related records' field that must equal the value.
    pub by: &'static str,
    pub source: Source,
    /// A further condition (field = value).
    pub only: Option<(&'static str, &'static str)>,
    /// How many; more than one: the newest first.
    pub limit: usize,
}

impl Relation {
    /// The newest 20 records whose `by` is the value.
    pub(crate) const fn many(kind: Entity, label: &'static str, by: &'static str, source: Source) -> Relation {
        Relation { kind, label, by, source, only: None, limit: 20 }
    }

    /// The one record a reference field points at.
    pub(crate) const fn one(kind: Entity, label: &'static str, field: &'static str) -> Relation {
        Relation { kind, label, by: "sys_id", source: Source::Field(field), only: None, limit: 1 }
    }

    /// Only the related records in error (a queue's state).
    pub(crate) const fn in_error(self) -> Relation {
        Relation { only: Some(("state", QueueState::Error.as_str())), ..self }
    }
}

/// The flow execution a detail shows beside the record (its steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecLink {
    None,
    /// The record is an execution.
    Itself,
    /// The execution a reference field names (`flow_context`).
    Field(&'static str),
    /// The newest execution whose source is this record.
    Latest,
}

/// Everything hubtop knows about one kind of record.
#[derive(Debug)]
pub struct Desc {
    /// Its name: the view's (`:outbound`), `get outbound`'s, `default_view`'s.
    pub name: &'static str,
    /// Other names `get` accepts.
    pub aliases: &'static [&'static str],
    /// Its key in a profile (`[profiles.NAME.tables]`, `mapping.fields.KEY`).
    pub key: &'static str,
    pub label: &'static str,
    /// What one record is called (a detail's title, a breadcrumb).
    pub label_one: &'static str,
    /// Whether it has a list of its own: a view (numbered in the registry's order after
    /// the overview), a kind for `get` and `default_view`.
    pub listed: bool,
    /// The table the embedded instance serves (a profile may map another).
    pub default_table: &'static str,
    /// Every logical field of the record besides the system fields (what doctor looks
    /// for in the instance's dictionary, what a query may name).
    pub fields: &'static [&'static str],
    /// The fields a list needs (always with the sync fields).
    pub list_fields: &'static [&'static str],
    /// The console's list columns, in order.
    pub columns: &'static [Column],
    /// The columns of a compact pane of related records (a detail's); empty: all.
    pub compact: &'static [&'static str],
    /// A list's order until the operator sorts: (field, descending). Newest first for
    /// what moves; providers by title, so the list holds still while they update.
    pub default_order: (&'static str, bool),
    /// The fields `/` words are looked for in (a reference by a dot-walk to the field
    /// that names what it points at, as the instance's display value does).
    pub search_fields: &'static [&'static str],
    /// The columns of `hubtop get -o table`.
    pub get_columns: &'static [&'static str],
    /// Its choice fields and their values.
    pub choices: &'static [Choice],
    /// The field an operator filters by state on (one of `choices`).
    pub state_field: Option<&'static str>,
    /// The reference to the provider.
    pub provider_field: Option<&'static str>,
    /// The field that names a record in breadcrumbs.
    pub title_field: &'static str,
    /// Fields whose values are date-times (shown relative).
    pub time_fields: &'static [&'static str],
    /// The operations its list offers, in the footer's order.
    pub verbs: &'static [Verb],
    /// The execution its detail shows.
    pub execution: ExecLink,
    /// The related panes of its detail, in order.
    pub related: &'static [Relation],
}

impl Entity {
    /// The kinds with a list of their own, in the registry's order: the views `2`… (`1`
    /// is the overview), `get`'s kinds, `default_view`'s.
    pub const LISTED: [Entity; Entity::count_listed()] = {
        let mut out = [Entity::Providers; Entity::count_listed()];
        let (mut i, mut n) = (0, 0);
        while i < Entity::ALL.len() {
            if Entity::ALL[i].desc().listed {
                out[n] = Entity::ALL[i];
                n += 1;
            }
            i += 1;
        }
        out
    };

    const fn count_listed() -> usize {
        let (mut i, mut n) = (0, 0);
        while i < Entity::ALL.len() {
            if Entity::ALL[i].desc().listed {
                n += 1;
            }
            i += 1;
        }
        n
    }

    /// The kind a name or alias names.
    pub fn by_name(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.desc().name == name || e.desc().aliases.contains(&name))
    }

    /// The kind whose embedded table this is.
    pub fn by_default_table(table: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.desc().default_table == table)
    }

    pub fn name(self) -> &'static str {
        self.desc().name
    }
    pub fn label(self) -> &'static str {
        self.desc().label
    }
    pub fn label_one(self) -> &'static str {
        self.desc().label_one
    }
    pub fn list_fields(self) -> &'static [&'static str] {
        self.desc().list_fields
    }
    pub fn columns(self) -> &'static [Column] {
        self.desc().columns
    }
    pub fn state_field(self) -> Option<&'static str> {
        self.desc().state_field
    }
    /// The values of its state field (empty without one).
    pub fn state_values(self) -> &'static [&'static str] {
        self.state_field().and_then(|f| self.choices(f)).unwrap_or(&[])
    }
    /// The values of one of its choice fields.
    pub fn choices(self, field: &str) -> Option<&'static [&'static str]> {
        self.desc().choices.iter().find(|c| c.field == field).map(|c| c.values)
    }
    pub fn provider_field(self) -> Option<&'static str> {
        self.desc().provider_field
    }
    pub fn title_field(self) -> &'static str {
        self.desc().title_field
    }
    /// Whether a queue: entries are retried and skipped by state.
    pub fn is_queue(self) -> bool {
        self.desc().verbs.contains(&Verb::Skip)
    }
    /// What its retry key does ("retry", or "rerun" for an execution).
    pub fn retry_word(self) -> &'static str {
        if self.desc().verbs.contains(&Verb::Rerun) { Verb::Rerun.word() } else { Verb::Retry.word() }
    }
}

/// The fields every record carries.
pub const SYNC_FIELDS: [&str; 3] = ["sys_id", "sys_updated_on", "sys_mod_count"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_and_state_field_is_loaded_by_the_list() {
        for e in Entity::ALL {
            let d = e.desc();
            for f in SYNC_FIELDS {
                assert!(d.list_fields.contains(&f), "{e:?} lacks {f}");
            }
            for c in d.columns {
                assert!(d.list_fields.contains(&c.field), "{e:?} column {} not loaded", c.field);
            }
            for f in d.list_fields.iter().filter(|f| !f.starts_with("sys_")) {
                assert!(d.fields.contains(f), "{e:?} lists {f}, which is not one of its fields");
            }
            if let Some(s) = d.state_field {
                assert!(d.list_fields.contains(&s));
                assert!(!e.state_values().is_empty(), "{e:?}: the state field {s} has no choice list");
            }
            assert_eq!(Entity::by_name(d.name), Some(e));
        }
    }

    /// A description holds together: names and keys are unique, its choice fields and
    /// relations name fields that exist, and the derived lists of the domain hold it.
    #[test]
    fn every_kind_is_in_every_list_the_domain_derives() {
        let mut names = std::collections::BTreeSet::new();
        let mut keys = std::collections::BTreeSet::new();
        for e in Entity::ALL {
            let d = e.desc();
            for n in std::iter::once(d.name).chain(d.aliases.iter().copied()) {
                assert!(names.insert(n), "{e:?}: the name {n} is taken");
                assert_eq!(Entity::by_name(n), Some(e));
            }
            assert!(keys.insert(d.key), "{e:?}: the key {} is taken", d.key);
            assert_eq!(Entity::by_default_table(d.default_table), Some(e));
            assert_eq!(Entity::LISTED.contains(&e), d.listed, "{e:?}");
            assert_eq!(crate::domain::Tables::default().name(e), d.default_table, "{e:?}");
            assert_eq!(crate::domain::mapping::key(e), d.key);
            for c in d.choices {
                assert!(d.fields.contains(&c.field), "{e:?}: choice field {} is not a field", c.field);
                assert!(!c.values.is_empty(), "{e:?}.{}", c.field);
            }
            for r in d.related {
                let on = r.kind.desc();
                assert!(on.fields.contains(&r.by) || r.by == "sys_id", "{e:?}: {:?} has no {}", r.kind, r.by);
                if let Source::Field(f) = r.source {
                    assert!(d.fields.contains(&f), "{e:?} has no {f}");
                }
                if let Some((f, _)) = r.only {
                    assert!(on.fields.contains(&f), "{:?} has no {f}", r.kind);
                }
            }
            if let ExecLink::Field(f) = d.execution {
                assert!(d.fields.contains(&f), "{e:?} has no {f}");
            }
        }
    }
}
