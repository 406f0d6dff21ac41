//! Logical fields and choice values → what one instance calls them (per profile, DESIGN
//! §3b). The domain, the console and the CLI speak logical names only; the client
//! translates at its one boundary (`client::map`). The defaults are what the embedded
//! instance serves, so an empty mapping is the identity. `hubtop doctor --write` fills
//! `known` with the fields it found in `sys_dictionary`: queries are checked against
//! them (a real instance ignores a term on a field it does not have).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Entity;
use crate::query::{Op, Query};

/// Per logical table (the keys of `[profiles.NAME.tables]`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    /// Logical field → the instance's field.
    pub fields: BTreeMap<String, BTreeMap<String, String>>,
    /// Logical field → (logical choice value → the instance's value).
    pub choices: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// The instance's fields as doctor found them (empty: the domain's fields).
    pub known: BTreeMap<String, Vec<String>>,
}

/// The key of a logical table in the profile (`work_orders`, `outbound`, …).
pub fn key(e: Entity) -> &'static str {
    e.desc().key
}

/// Fields every record has on every table of a real instance.
pub const SYSTEM_FIELDS: &[&str] = &[
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
    "sys_domain",
    "sys_tags",
];

/// The logical fields of each kind of record besides the system fields (DESIGN §3a):
/// the record's description holds them.
pub fn domain_fields(e: Entity) -> &'static [&'static str] {
    e.desc().fields
}

impl Mapping {
    /// Nothing renamed: the client can skip translating.
    pub fn is_identity(&self) -> bool {
        self.fields.values().all(|m| m.iter().all(|(k, v)| k == v))
            && self.choices.values().flat_map(|f| f.values()).all(|m| m.iter().all(|(k, v)| k == v))
    }

    /// The instance's name of a logical field (a dot-walk maps its first part).
    pub fn field_out(&self, e: Entity, logical: &str) -> String {
        let (head, rest) = split_walk(logical);
        match self.fields.get(key(e)).and_then(|m| m.get(head)) {
            Some(f) => format!("{f}{rest}"),
            None => logical.to_string(),
        }
    }

    /// The logical name of an instance field.
    pub fn field_in<'a>(&'a self, e: Entity, instance: &'a str) -> &'a str {
        self.fields
            .get(key(e))
            .and_then(|m| m.iter().find(|(_, v)| v.as_str() == instance).map(|(k, _)| k.as_str()))
            .unwrap_or(instance)
    }

    /// The instance's value of a logical choice value.
    pub fn value_out<'a>(&'a self, e: Entity, field: &str, v: &'a str) -> &'a str {
        self.choices.get(key(e)).and_then(|f| f.get(field)).and_then(|m| m.get(v)).map_or(v, String::as_str)
    }

    /// The logical value of an instance choice value.
    pub fn value_in<'a>(&'a self, e: Entity, field: &str, v: &'a str) -> &'a str {
        self.choices
            .get(key(e))
            .and_then(|f| f.get(field))
            .and_then(|m| m.iter().find(|(_, x)| x.as_str() == v).map(|(k, _)| k.as_str()))
            .unwrap_or(v)
    }

    /// Whether the table has this logical field (its first part, for a dot-walk).
    pub fn has_field(&self, e: Entity, logical: &str) -> bool {
        let (head, _) = split_walk(logical);
        if SYSTEM_FIELDS.contains(&head) {
            return true;
        }
        match self.known.get(key(e)).filter(|k| !k.is_empty()) {
            Some(known) => {
                let f = self.field_out(e, head);
                known.contains(&f)
            }
            None => domain_fields(e).contains(&head),
        }
    }

    /// The logical fields a query names that the table does not have (each once).
    pub fn unknown_fields(&self, e: Entity, q: &Query) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for f in q.fields() {
            if !self.has_field(e, f) && !out.iter().any(|x| x == f) {
                out.push(f.to_string());
            }
        }
        out
    }

    /// A query with the instance's names and choice values.
    pub fn query_out(&self, e: Entity, q: &Query) -> Query {
        let mut q = q.clone();
        for c in q.alternatives.iter_mut().flatten().flatten() {
            let logical = c.field.clone();
            if !c.field.is_empty() {
                c.field = self.field_out(e, &logical);
            }
            if let Some(other) = c.other_field().map(str::to_string) {
                // A field-to-field comparison names a second field in its value.
                let rest = c.value.split_once('@').map(|(_, r)| format!("@{r}")).unwrap_or_default();
                c.value = format!("{}{rest}", self.field_out(e, &other));
            } else if matches!(c.op, Op::Eq | Op::Ne) {
                c.value = self.value_out(e, &logical, &c.value).to_string();
            } else if matches!(c.op, Op::In | Op::NotIn) {
                c.value = c.value.split(',').map(|v| self.value_out(e, &logical, v)).collect::<Vec<_>>().join(",");
            }
        }
        for o in &mut q.order {
            o.field = self.field_out(e, &o.field);
        }
        q
    }
}

/// Why a query cannot be used for an action, or `None` when every field it names exists.
pub fn refusal(e: Entity, unknown: &[String]) -> Option<String> {
    if unknown.is_empty() {
        return None;
    }
    Some(format!(
        "the filter names {} that {} do not have ({}): a real instance ignores such a term and would act on \
         rows the filter does not mean — fix the filter, or map the field in the profile (`hubtop doctor`)",
        if unknown.len() == 1 { "a field" } else { "fields" },
        e.label().to_lowercase(),
        unknown.join(", ")
    ))
}

fn split_walk(f: &str) -> (&str, &str) {
    match f.find('.') {
        Some(i) => (&f[..i], &f[i..]),
        None => (f, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_go_out_mapped_and_come_back_logical() {
        let m: Mapping = toml::from_str(
            "[fields.work_orders]\nfm_provider = \"u_fm_provider\"\n\
             [choices.work_orders.state]\ncanceled = \"7\"\n",
        )
        .unwrap();
        assert!(!m.is_identity());
        let q = crate::query::parse("state=canceled^fm_provider.title=Acme^ORDERBYfm_provider").unwrap();
        let out = m.query_out(Entity::WorkOrders, &q).to_string();
        assert_eq!(out, "state=7^u_fm_provider.title=Acme^ORDERBYu_fm_provider");
        assert_eq!(m.field_in(Entity::WorkOrders, "u_fm_provider"), "fm_provider");
        assert_eq!(m.value_in(Entity::WorkOrders, "state", "7"), "canceled");
        assert!(Mapping::default().is_identity());
    }

    #[test]
    fn unknown_fields_are_named_against_the_domain_or_what_doctor_found() {
        let q = crate::query::parse("state=error^nosuch=1^sys_created_by=admin^provider.title=x").unwrap();
        let m = Mapping::default();
        assert_eq!(m.unknown_fields(Entity::Outbound, &q), vec!["nosuch".to_string()]);
        let mut found = Mapping::default();
        found.known.insert("outbound".into(), vec!["state".into()]);
        assert_eq!(found.unknown_fields(Entity::Outbound, &q), vec!["nosuch".to_string(), "provider.title".into()]);
        assert!(refusal(Entity::Outbound, &["nosuch".into()]).unwrap().contains("nosuch"));
    }
}
