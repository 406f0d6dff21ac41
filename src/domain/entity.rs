//! The kinds of record hubtop knows, and the registry of their descriptions: one file per
//! kind under `records/`. Adding a column or a field is one edit there.

use super::records;

/// The record kinds the console and CLI know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Providers,
    WorkOrders,
    Outbound,
    Inbound,
    Executions,
    History,
    Flows,
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

/// Everything hubtop knows about one kind of record.
#[derive(Debug)]
pub struct Desc {
    /// The view's name (`:outbound`, `get outbound`).
    pub name: &'static str,
    pub label: &'static str,
    /// What one record is called (a detail's title, a breadcrumb).
    pub label_one: &'static str,
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
    /// The field an operator filters by state on, and its values.
    pub state_field: Option<&'static str>,
    pub state_values: fn() -> Vec<&'static str>,
    /// The reference to the provider.
    pub provider_field: Option<&'static str>,
    /// The field that names a record in breadcrumbs.
    pub title_field: &'static str,
    /// Fields whose values are date-times (shown relative).
    pub time_fields: &'static [&'static str],
}

impl Entity {
    pub const ALL: [Entity; 7] = [
        Entity::Providers,
        Entity::WorkOrders,
        Entity::Outbound,
        Entity::Inbound,
        Entity::Executions,
        Entity::History,
        Entity::Flows,
    ];

    pub fn desc(self) -> &'static Desc {
        match self {
            Entity::Providers => &records::provider::DESC,
            Entity::WorkOrders => &records::work_order::DESC,
            Entity::Outbound => &records::outbound::DESC,
            Entity::Inbound => &records::inbound::DESC,
            Entity::Executions => &records::execution::DESC,
            Entity::History => &records::history::DESC,
            Entity::Flows => &records::flow::DESC,
        }
    }

    pub fn by_name(name: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.desc().name == name)
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
    pub fn provider_field(self) -> Option<&'static str> {
        self.desc().provider_field
    }
    pub fn title_field(self) -> &'static str {
        self.desc().title_field
    }
    /// Whether a queue (retry / skip by state).
    pub fn is_queue(self) -> bool {
        matches!(self, Entity::Outbound | Entity::Inbound)
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
                assert!(!(d.state_values)().is_empty());
            }
            assert_eq!(Entity::by_name(d.name), Some(e));
        }
    }
}
