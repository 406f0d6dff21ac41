//! What an operator types after `/`, checked and put in the instance's terms: a column's
//! heading stands for its field, a choice is matched by value or label in any case, and
//! a field or choice the list does not have is an error naming what it has (as the CLI
//! does), never a term the instance would silently ignore.

use crate::domain::Entity;
use crate::query::{self, Query};

/// Each term that starts with a column's heading in capitals (`RECORD=…`, `TRIES>1`)
/// names that column's field instead (an encoded query's fields are lower case).
pub(super) fn headings_to_fields(e: Entity, t: &str) -> String {
    t.split('^')
        .map(|term| {
            let (or, rest) = match term.strip_prefix("OR") {
                Some(r) if leads_with_heading(r) => ("OR", r),
                _ => ("", term),
            };
            if !leads_with_heading(rest) {
                return term.to_string();
            }
            let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            match e.columns().iter().find(|c| c.title.eq_ignore_ascii_case(&word)) {
                Some(c) => format!("{or}{}{}", c.field, &rest[word.len()..]),
                None => format!("{or}{}{}", word.to_ascii_lowercase(), &rest[word.len()..]),
            }
        })
        .collect::<Vec<_>>()
        .join("^")
}

/// Whether `t` starts with a field-like word in capitals (a column's heading, `TRIES>1`)
/// followed by an operator: a query, not words.
pub(super) fn leads_with_heading(t: &str) -> bool {
    let word: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    !word.is_empty()
        && word.chars().all(|c| !c.is_ascii_lowercase())
        && t[word.len()..].starts_with(['=', '!', '>', '<'])
}

/// The choice values (stored value, label) of a field that has a choice list.
pub fn choices(e: Entity, field: &str) -> Option<Vec<(&'static str, &'static str)>> {
    use crate::domain::state::*;
    fn all<T: Copy>(
        v: &[T],
        f: impl Fn(T) -> (&'static str, &'static str),
    ) -> Option<Vec<(&'static str, &'static str)>> {
        Some(v.iter().map(|x| f(*x)).collect())
    }
    match (e, field) {
        (Entity::Outbound | Entity::Inbound, "state") => all(QueueState::ALL, |s| (s.as_str(), s.label())),
        (Entity::Executions, "state") => all(ExecState::ALL, |s| (s.as_str(), s.label())),
        (Entity::WorkOrders, "integration_state") => all(IntegrationState::ALL, |s| (s.as_str(), s.label())),
        (Entity::WorkOrders, "state") => all(WorkOrderState::ALL, |s| (s.as_str(), s.label())),
        (Entity::History, "status") => all(SyncStatus::ALL, |s| (s.as_str(), s.label())),
        (Entity::Providers, "outbound_state" | "inbound_state") => all(ProviderState::ALL, |s| (s.as_str(), s.label())),
        (_, "operation") if matches!(e, Entity::Outbound | Entity::Inbound | Entity::History) => {
            all(SyncOperation::ALL, |s| (s.as_str(), s.label()))
        }
        _ => None,
    }
}

/// A typed filter checked and put in the instance's terms, as the CLI does: a column's
/// heading (`TRIES`, `RECORD`) stands for its field; a field the list does not have is an
/// error naming what it has; a choice is matched by its value or the label shown, in any
/// case (`state=error` on executions is `ERROR`), and an unknown one is an error naming
/// the choices.
pub fn validate(e: Entity, mut q: Query, mapping: &crate::domain::Mapping) -> Result<Query, String> {
    for c in q.alternatives.iter_mut().flatten().flatten() {
        if c.field.is_empty() {
            continue;
        }
        if !mapping.has_field(e, &c.field) {
            match e.columns().iter().find(|col| col.title.eq_ignore_ascii_case(&c.field)) {
                Some(col) => c.field = col.field.to_string(),
                None => {
                    let heads: Vec<String> = e.columns().iter().map(|c| format!("{} ({})", c.title, c.field)).collect();
                    return Err(format!(
                        "{} has no field or column `{}` (columns: {})",
                        e.label().to_lowercase(),
                        c.field,
                        heads.join(", ")
                    ));
                }
            }
        }
        let Some(list) = choices(e, &c.field) else { continue };
        if !matches!(c.op, query::Op::Eq | query::Op::Ne | query::Op::In | query::Op::NotIn) {
            continue;
        }
        let mut out = Vec::new();
        for v in c.value.split(',').map(str::trim) {
            match list.iter().find(|(val, label)| val.eq_ignore_ascii_case(v) || label.eq_ignore_ascii_case(v)) {
                Some((val, _)) => out.push(val.to_string()),
                None if v.is_empty() => out.push(String::new()),
                None => {
                    let names: Vec<String> = list.iter().map(|(v, l)| format!("{v} ({l})")).collect();
                    let kind = e.label_one().to_lowercase();
                    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    return Err(format!("`{v}` is not {article} {kind} {} (one of: {})", c.field, names.join(", ")));
                }
            }
        }
        c.value = out.join(",");
    }
    Ok(q)
}
