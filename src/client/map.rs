//! The one boundary where logical names meet the instance's (the profile's
//! [`Mapping`](crate::domain::Mapping)): what the client sends — `sysparm_fields`,
//! `sysparm_query`, `sysparm_group_by`, bodies — goes out with the instance's field names
//! and choice values, and what it decodes comes back with the logical ones. A table the
//! mapping does not know (metadata tables) passes as it is.

use serde_json::{Map, Value};

use super::read::ListSpec;
use super::{Client, Entity, Record};
use crate::query::Query;

impl Client {
    /// The logical table an instance table stands for in this profile.
    pub fn entity_of(&self, table: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| self.config.tables.name(*e) == table)
    }

    fn mapped(&self, table: &str) -> Option<Entity> {
        if self.config.mapping.is_identity() { None } else { self.entity_of(table) }
    }

    /// The logical fields a query names that `e` does not have on this instance.
    pub fn unknown_fields(&self, e: Entity, q: &Query) -> Vec<String> {
        self.config.mapping.unknown_fields(e, q)
    }

    pub(crate) fn spec_out(&self, spec: &ListSpec) -> ListSpec {
        let mut s = spec.clone();
        if let Some(e) = self.mapped(&spec.table) {
            s.query = self.config.mapping.query_out(e, &spec.query);
            s.fields = spec.fields.iter().map(|f| self.config.mapping.field_out(e, f)).collect();
        }
        s
    }

    pub(crate) fn query_out(&self, table: &str, q: &Query) -> Query {
        match self.mapped(table) {
            Some(e) => self.config.mapping.query_out(e, q),
            None => q.clone(),
        }
    }

    pub(crate) fn fields_out(&self, table: &str, fields: &[&str]) -> Vec<String> {
        match self.mapped(table) {
            Some(e) => fields.iter().map(|f| self.config.mapping.field_out(e, f)).collect(),
            None => fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// A record as decoded → logical names and choice values (display values stay).
    pub(crate) fn record_in(&self, table: &str, r: Record) -> Record {
        let Some(e) = self.mapped(table) else { return r };
        let m = &self.config.mapping;
        let fields = r
            .fields
            .into_iter()
            .map(|(k, mut f)| {
                let logical = m.field_in(e, &k).to_string();
                f.value = m.value_in(e, &logical, &f.value).to_string();
                (logical, f)
            })
            .collect();
        Record { fields }
    }

    /// A raw JSON row (`-o json`) → logical names and values.
    pub(crate) fn json_in(&self, table: &str, v: Value) -> Value {
        let (Some(e), Value::Object(o)) = (self.mapped(table), &v) else { return v };
        let m = &self.config.mapping;
        let out = o
            .iter()
            .map(|(k, x)| {
                let logical = m.field_in(e, k).to_string();
                let x = match x {
                    Value::String(s) => Value::String(m.value_in(e, &logical, s).to_string()),
                    other => other.clone(),
                };
                (logical, x)
            })
            .collect();
        Value::Object(out)
    }

    /// A write's body → the instance's names and values.
    pub(crate) fn body_out(&self, e: Entity, body: &Map<String, Value>) -> Map<String, Value> {
        let m = &self.config.mapping;
        body.iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => Value::String(m.value_out(e, k, s).to_string()),
                    other => other.clone(),
                };
                (m.field_out(e, k), v)
            })
            .collect()
    }

    /// A group-by key from the Aggregate API → the logical choice value.
    pub(crate) fn group_in(&self, table: &str, field: &str, v: String) -> String {
        match self.mapped(table) {
            Some(e) => self.config.mapping.value_in(e, field, &v).to_string(),
            None => v,
        }
    }
}
