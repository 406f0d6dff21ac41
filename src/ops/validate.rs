//! Checked before anything is sent, in one place for the CLI and the console: every
//! field an operator names (`--set`, `--query`, `--state`, the update form) must be one
//! the table has — the profile's mapping where `hubtop doctor --write` stored what the
//! instance's dictionary holds, else the record's built-in description — and a value for
//! a choice field must be one of its choices, given as the value or the label,
//! case-insensitively, as a real instance's choice list (`sys_choice`) offers both.
//!
//! A refusal says what was wrong and lists the valid names or values; the CLI prints it
//! and exits 2, the console shows it in the form's flash line, in the same words.

use serde_json::{Map, Value};

use crate::domain::Entity;
use crate::domain::entity::choice_label;
use crate::domain::mapping::{Mapping, SYSTEM_FIELDS, domain_fields};
use crate::domain::records::work_order::UPDATE_FIELDS;
use crate::query::{Condition, Query};

/// The logical fields of `e` an operator may set on this instance: for a work order,
/// those its update sends to the provider (the console's form), never the integration's
/// own bookkeeping (`integration_state`, `fm_work_order_id`) nor its number.
pub fn settable(e: Entity, m: &Mapping) -> Vec<&'static str> {
    domain_fields(e)
        .iter()
        .copied()
        .filter(|f| e != Entity::WorkOrders || UPDATE_FIELDS.contains(f))
        .filter(|f| m.has_field(e, f))
        .collect()
}

/// A field's choices as (value, label), from the kind's description; empty: free text.
pub fn choices(e: Entity, field: &str) -> Vec<(&'static str, String)> {
    e.choices(field).unwrap_or_default().iter().map(|v| (*v, choice_label(v))).collect()
}

/// The choices listed for a refusal: the value, with its label where it differs.
fn list(e: Entity, m: &Mapping, field: &str) -> String {
    choices(e, field)
        .iter()
        .map(|(v, label)| {
            let inst = m.value_out(e, field, v);
            if label.eq_ignore_ascii_case(inst) { inst.to_string() } else { format!("{inst} ({label})") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value typed for `field` → the logical choice value (the mapping turns it into the
/// instance's on the way out). Free-text fields take anything.
pub fn choice_value(e: Entity, m: &Mapping, field: &str, typed: &str) -> Result<String, String> {
    let all = choices(e, field);
    if all.is_empty() {
        return Ok(typed.to_string());
    }
    let t = typed.trim();
    let hit = all.iter().find(|(v, label)| {
        t.eq_ignore_ascii_case(v) || t.eq_ignore_ascii_case(label) || t.eq_ignore_ascii_case(m.value_out(e, field, v))
    });
    match hit {
        Some((v, _)) => Ok(v.to_string()),
        None => Err(format!(
            "`{typed}` is not {} {field} of {}; valid values: {}",
            article(field),
            e.label().to_lowercase(),
            list(e, m, field)
        )),
    }
}

/// The fields and values of an update (`--set`, the console's form), each checked; the
/// values come back as the logical choice values.
pub fn changes(e: Entity, m: &Mapping, changed: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let valid = settable(e, m);
    let mut out = Map::new();
    for (k, v) in changed {
        let head = k.split('.').next().unwrap_or(k);
        if !k.contains('.') && !SYSTEM_FIELDS.contains(&head) && m.has_field(e, k) && !valid.contains(&k.as_str()) {
            return Err(format!(
                "`{k}` is not a field an update of {} sets (the integration keeps it); valid fields: {}",
                e.label().to_lowercase(),
                valid.join(", ")
            ));
        }
        if k.contains('.') || SYSTEM_FIELDS.contains(&head) || !m.has_field(e, k) {
            return Err(format!(
                "{} have no field `{k}` to set; valid fields: {}",
                e.label().to_lowercase(),
                valid.join(", ")
            ));
        }
        let v = match v {
            Value::String(s) => Value::String(choice_value(e, m, k, s)?),
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    Ok(out)
}

/// The terms of a query on fields `e` does not have, as written (`nosuchfield=1`).
pub fn unknown_terms(e: Entity, m: &Mapping, q: &Query) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for c in q.alternatives.iter().flatten().flatten() {
        if !c.field.is_empty() && !m.has_field(e, &c.field) {
            push(format!("{}{}{}", c.field, c.op.as_str(), c.value));
        }
    }
    for o in q.order.iter().filter(|o| !m.has_field(e, &o.field)) {
        push(format!("{}{}", if o.desc { "ORDERBYDESC" } else { "ORDERBY" }, o.field));
    }
    out
}

/// The warning `get` gives for terms the instance will ignore (it still lists the rows).
pub fn unknown_terms_warning(e: Entity, table: &str, terms: &[String]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    let fields: Vec<&str> = terms
        .iter()
        .map(|t| {
            let t = t.trim_start_matches("ORDERBYDESC").trim_start_matches("ORDERBY");
            t.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).next().unwrap_or(t)
        })
        .collect();
    Some(format!(
        "{table} has no field {} — the instance ignores the term{} {} (every row matches, or none); the {} \
         below are not filtered by {}",
        fields.join(", "),
        if terms.len() == 1 { "" } else { "s" },
        terms.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
        e.label().to_lowercase(),
        if terms.len() == 1 { "it" } else { "them" },
    ))
}

/// The kinds with a state field on this instance (their `get` names).
pub fn kinds_with_state(m: &Mapping) -> Vec<&'static str> {
    Entity::LISTED.iter().filter(|e| e.state_field().is_some_and(|f| m.has_field(**e, f))).map(|e| e.name()).collect()
}

/// `--state VALUE` → the condition on the kind's state field, or why not: the kind has no
/// state field on this instance, or the value is not one of its states.
pub fn state_term(e: Entity, m: &Mapping, typed: &str) -> Result<Condition, String> {
    let field = e.state_field().filter(|f| m.has_field(e, f));
    let Some(field) = field else {
        let why = match e.state_field() {
            Some(f) => format!(" on this instance (its table has no {f})"),
            None => String::new(),
        };
        return Err(format!(
            "--state: {} have no state field{why}; --state works on: {}",
            e.name(),
            kinds_with_state(m).join(", ")
        ));
    };
    let v = choice_value(e, m, field, typed).map_err(|why| format!("--state: {why}"))?;
    Ok(Condition::eq(field, &v))
}

/// "a" or "an" before a word (by its first letter: good enough for record kinds and
/// field names; every message that puts an article before a name takes it from here).
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(e: &str, fields: &[&str]) -> Mapping {
        let mut m = Mapping::default();
        m.known.insert(e.into(), fields.iter().map(|s| s.to_string()).collect());
        m
    }

    #[test]
    fn a_field_the_table_lacks_is_refused_with_the_valid_names() {
        let m = Mapping::default();
        let set = Map::from_iter([("prio".to_string(), Value::from("1"))]);
        let why = changes(Entity::WorkOrders, &m, &set).unwrap_err();
        // A work order's update sets what the provider's update sends (not its number).
        assert!(
            why.contains("no field `prio`") && why.contains("valid fields: short_description, description"),
            "{why}"
        );
        // A field the instance's dictionary lacks, as doctor --write stored it.
        let m = known("work_orders", &["number", "state"]);
        let set = Map::from_iter([("priority".to_string(), Value::from("1"))]);
        let why = changes(Entity::WorkOrders, &m, &set).unwrap_err();
        assert!(why.ends_with("valid fields: state"), "{why}");
        let set = Map::from_iter([("sys_id".to_string(), Value::from("x"))]);
        assert!(changes(Entity::WorkOrders, &Mapping::default(), &set).is_err(), "system fields are not set");
    }

    #[test]
    fn choice_values_are_taken_by_value_or_label_whatever_their_case() {
        let m = Mapping::default();
        let set = Map::from_iter([
            ("state".to_string(), Value::from("In Progress")),
            ("priority".to_string(), Value::from("2")),
        ]);
        let out = changes(Entity::WorkOrders, &m, &set).unwrap();
        assert_eq!(out["state"], "in_progress");
        assert_eq!(out["priority"], "2");
        let why = choice_value(Entity::WorkOrders, &m, "priority", "9").unwrap_err();
        assert_eq!(why, "`9` is not a priority of work orders; valid values: 1, 2, 3, 4");
        // A mapped instance value is taken too, and listed.
        let m: Mapping = toml::from_str("[choices.work_orders.state]\ncanceled = \"7\"\n").unwrap();
        assert_eq!(choice_value(Entity::WorkOrders, &m, "state", "7").unwrap(), "canceled");
        assert!(choice_value(Entity::WorkOrders, &m, "state", "x").unwrap_err().contains("7 (Cancelled)"));
        assert_eq!(choice_value(Entity::WorkOrders, &m, "short_description", "anything").unwrap(), "anything");
    }

    #[test]
    fn state_needs_a_state_field_the_table_has() {
        // Providers have none (the documented provider table has no state).
        let why = state_term(Entity::Providers, &Mapping::default(), "error").unwrap_err();
        assert!(why.starts_with("--state: providers have no state field;"), "{why}");
        // The kinds it names are the listed kinds that have one, from the registry.
        let (_, works_on) = why.split_once("--state works on: ").expect("names the kinds that have one");
        let works_on: Vec<&str> = works_on.split(", ").collect();
        for e in Entity::LISTED {
            assert_eq!(works_on.contains(&e.name()), e.state_field().is_some(), "{e:?}: {why}");
        }
        assert!(works_on.starts_with(&["workorders", "outbound", "inbound", "executions", "history"]), "{why}");
        // A kind whose state field this instance's table lacks (doctor's mapping).
        let m = known("work_orders", &["number", "state"]);
        let why = state_term(Entity::WorkOrders, &m, "created").unwrap_err();
        assert!(
            why.contains("workorders have no state field on this instance (its table has no integration_state)"),
            "{why}"
        );
        let c = state_term(Entity::Outbound, &Mapping::default(), "Error").unwrap();
        assert_eq!((c.field.as_str(), c.value.as_str()), ("state", "error"));
        assert!(state_term(Entity::Outbound, &Mapping::default(), "eror").unwrap_err().contains("valid values"));
    }

    #[test]
    fn unknown_terms_are_named_as_written() {
        let q = crate::query::parse("state=error^nosuchfield=1^ORDERBYDESCbogus").unwrap();
        let t = unknown_terms(Entity::Outbound, &Mapping::default(), &q);
        assert_eq!(t, vec!["nosuchfield=1".to_string(), "ORDERBYDESCbogus".into()]);
        let w = unknown_terms_warning(Entity::Outbound, "ih_sync_outbound_record", &t).unwrap();
        assert!(w.contains("has no field nosuchfield, bogus") && w.contains("`nosuchfield=1`"), "{w}");
    }

    #[test]
    fn articles_agree() {
        assert_eq!(article("outbound"), "an");
        assert_eq!(article("history"), "a");
    }
}
