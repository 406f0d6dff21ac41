//! What an operator types after `/` (and after `:sort`), checked and put in the
//! instance's terms. Every column heading a list shows stands for that column's field, in
//! any case and spelling (`RECORD`, `record`, `FM ID`, `fm_id`, `OK%`); where the value a
//! column shows is not what the instance filters on, the term is translated (`TRIES=3 (limit 3)`
//! is `attempts=3^max_attempts=3`, `RECORD=WPT0001306` on a reference is the dot-walk
//! `document_id.number=WPT0001306`, `DURATION>1.5s` is `run_time>1500`), worked out here
//! over what the console holds (`HEALTH=failing`: the providers the overview rates so),
//! or refused with why and what to type instead — never a term that silently matches
//! nothing. A choice is matched by value or label in any case, and a field or choice the
//! list does not have is an error naming what it has (as the CLI does).
//!
//! Documented behaviour relied on (platform-user-interface/c_EncodedQueryStrings.md):
//! a reference is filtered through the referenced record's fields by dot-walking
//! (`assigned_to.roles=itil`), a choice by its value (not its label), `^` joins AND terms
//! and `^OR` ORs a condition with the previous one, `fieldINa,b` lists values. A Document
//! ID field (`sys_flow_context.source_record`) is not a reference: it is not walked.

use crate::client::Record;
use crate::domain::records::provider;
use crate::domain::state::ProviderHealth;
use crate::domain::{Column, Entity};
use crate::query::{self, Condition, Op, Query};

/// Every column a list shows, in order: its description's columns and, on Providers, the
/// columns hubtop works out (health, OK %, errors). The list draws these.
pub fn shown_columns(e: Entity) -> Vec<Column> {
    let mut all = e.columns().to_vec();
    if e == Entity::Providers {
        let at = all.len().min(provider::COMPUTED_AT);
        all.splice(at..at, provider::COMPUTED.iter().copied());
    }
    all
}

/// How the value a column shows relates to what the instance filters its field by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The value (a choice by its label too, a provider by its title): filtered as typed.
    Plain,
    /// A reference shown as the referenced record's number: `field.number` (a dot-walk).
    Walk(&'static str),
    /// A Document ID shown as the record's number: the instance holds a sys_id and walks
    /// no further, so a number is looked up among the records the console has loaded.
    Document,
    /// Attempts shown with the queue's limit: `7 (limit 3)`.
    Tries,
    /// A date-time shown as an age (`5m ago`).
    Age,
    /// Milliseconds shown as a duration (`1.2s`).
    Duration,
    /// Worked out by hubtop, not a field of the record.
    Computed,
}

/// What the column showing `field` shows, as against what its field holds.
pub fn shown(e: Entity, field: &str) -> Shown {
    let number = Entity::WorkOrders.desc().title_field;
    match (e, field) {
        (_, f) if f.starts_with('~') => Shown::Computed,
        (Entity::Outbound | Entity::Inbound, "document_id") | (Entity::History, "task") => Shown::Walk(number),
        (Entity::Executions, "source_record") => Shown::Document,
        (Entity::Outbound, "attempts") => Shown::Tries,
        (Entity::Executions, "run_time") => Shown::Duration,
        (_, f) if e.desc().time_fields.contains(&f) => Shown::Age,
        _ => Shown::Plain,
    }
}

/// The ways a heading can be typed: as shown, with `_` for its spaces, without them.
fn spellings(title: &str) -> [String; 3] {
    [title.to_string(), title.replace(' ', "_"), title.replace(' ', "")]
}

/// The column of `e` a word names by its heading (any case, any of its spellings).
pub fn column_by_heading(e: Entity, word: &str) -> Option<Column> {
    shown_columns(e).into_iter().find(|c| spellings(c.title).iter().any(|s| s.eq_ignore_ascii_case(word)))
}

/// A computed column's field as an encoded query can carry it until it is worked out
/// (`~health` → `_health`: field names are lower case, digits, `_` and `.`).
fn carried(field: &str) -> String {
    format!("_{}", field.trim_start_matches('~'))
}

fn is_sys_id(v: &str) -> bool {
    v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `after` (what follows a field name) starts with an operator: `=x`, `>1`,
/// `LIKEx`, `ISEMPTY`, … (whatever the query parser reads as one).
fn operator_follows(after: &str) -> Option<Condition> {
    let q = query::parse(&format!("x{after}")).ok()?;
    let [alt] = q.alternatives.as_slice() else { return None };
    let [group] = alt.as_slice() else { return None };
    let [c] = group.as_slice() else { return None };
    (c.field == "x" && c.op != Op::Raw && q.order.is_empty()).then(|| c.clone())
}

/// The heading `term` starts with (the longest that fits) and what follows it, when an
/// operator follows.
fn heading_at(e: Entity, term: &str) -> Option<(Column, usize, Condition)> {
    let mut best: Option<(Column, usize, Condition)> = None;
    for c in shown_columns(e) {
        for s in spellings(c.title) {
            let n = s.len();
            if term.len() > n
                && term.is_char_boundary(n)
                && term[..n].eq_ignore_ascii_case(&s)
                && best.as_ref().is_none_or(|(_, m, _)| n > *m)
                && let Some(cond) = operator_follows(&term[n..])
            {
                best = Some((c, n, cond));
            }
        }
    }
    best
}

/// Each term that starts with a column's heading (`RECORD=…`, `provider=…`, `FM ID=…`,
/// `OK%<90`) names that column's field instead; a field-like word in capitals that is no
/// heading is lower-cased (an encoded query's fields are lower case). Where a heading is
/// also the name of another field (`FLOW` heads `name`; `flow` is the flow reference), the
/// heading wins — what the operator sees — unless the values are sys_ids, which only the
/// reference holds.
pub(super) fn headings_to_fields(e: Entity, t: &str) -> String {
    t.split('^')
        .map(|term| {
            let (prefix, rest) = match (term.strip_prefix("OR"), term.strip_prefix("NQ")) {
                (Some(r), _) if heading_at(e, r).is_some() || leads_with_word(r) => ("OR", r),
                (_, Some(r)) if heading_at(e, r).is_some() || leads_with_word(r) => ("NQ", r),
                _ => ("", term),
            };
            if let Some((col, n, cond)) = heading_at(e, rest) {
                let typed = rest[..n].to_ascii_lowercase();
                let is_field =
                    e.desc().fields.contains(&typed.as_str()) || e.desc().list_fields.contains(&typed.as_str());
                let ids = !cond.value.is_empty() && cond.value.split(',').all(|v| is_sys_id(v.trim()));
                let field = match () {
                    _ if is_field && typed != col.field && ids => typed,
                    _ if col.field.starts_with('~') => carried(col.field),
                    _ => col.field.to_string(),
                };
                return format!("{prefix}{field}{}", &rest[n..]);
            }
            if !leads_with_word(rest) {
                return term.to_string();
            }
            let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            format!("{prefix}{}{}", word.to_ascii_lowercase(), &rest[word.len()..])
        })
        .collect::<Vec<_>>()
        .join("^")
}

/// Whether `t` starts with a field-like word in capitals followed by an operator.
fn leads_with_word(t: &str) -> bool {
    let word: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    !word.is_empty()
        && word.chars().all(|c| !c.is_ascii_lowercase())
        && t[word.len()..].starts_with(['=', '!', '>', '<'])
}

/// Whether `t` starts with a column's heading of any list (or a field-like word in
/// capitals) followed by an operator: a query, not words.
pub(super) fn leads_with_heading(t: &str) -> bool {
    leads_with_word(t) || Entity::ALL.iter().any(|e| heading_at(*e, t).is_some())
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

/// One provider's computed columns as shown: its sys_id and (field, text) per column.
pub type ComputedRow = (String, Vec<(&'static str, String)>);

/// What the console holds that a filter may need to be put in the instance's terms.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Records the console has loaded, as (number shown, sys_id): a Document ID column's
    /// number is looked up here.
    pub numbers: Vec<(String, String)>,
    /// Each provider's computed columns as shown (sys_id, [(field, text)]); `None` until
    /// the overview has worked them out.
    pub computed: Option<Vec<ComputedRow>>,
}

impl Seen {
    /// From a list's loaded rows: the numbers its reference and Document ID columns show,
    /// and each row's own title (a work order's number).
    pub fn numbers_from(&mut self, e: Entity, rows: &[Record]) {
        for r in rows {
            for c in e.columns().iter().filter(|c| matches!(shown(e, c.field), Shown::Document | Shown::Walk(_))) {
                let (id, shown) = (r.get(c.field), r.show(c.field));
                if !id.is_empty() && !shown.is_empty() && shown != id {
                    self.numbers.push((shown.to_string(), id.to_string()));
                }
            }
            let title = e.desc().title_field;
            if !r.sys_id().is_empty() && !r.get(title).is_empty() {
                self.numbers.push((r.get(title).to_string(), r.sys_id().to_string()));
            }
        }
    }
}

/// A typed filter checked and put in the instance's terms, with nothing worked out here
/// (the preview while typing): see [`validate_in`].
pub fn validate(e: Entity, q: Query, mapping: &crate::domain::Mapping) -> Result<Query, String> {
    validate_in(e, q, mapping, &Seen::default()).map(|(q, _)| q)
}

/// A typed filter checked and put in the instance's terms, as the CLI does: a column's
/// heading stands for its field (done on the text, [`headings_to_fields`]); a field the
/// list does not have is an error naming what it has; a choice is matched by its value
/// or the label shown, in any case (`state=error` on executions is `ERROR`), and an
/// unknown one is an error naming the choices; a column whose shown value is not what
/// its field holds is translated or refused with what to type ([`Shown`]). Also returns
/// what was worked out here rather than by the instance (for the status line).
pub fn validate_in(
    e: Entity,
    mut q: Query,
    mapping: &crate::domain::Mapping,
    seen: &Seen,
) -> Result<(Query, Vec<String>), String> {
    let mut notes = Vec::new();
    for alt in q.alternatives.iter_mut() {
        let mut terms = Vec::new();
        for group in std::mem::take(alt) {
            let alone = group.len() == 1;
            let mut kept = Vec::new();
            let mut extra = Vec::new();
            let mut siblings = Vec::new();
            for mut c in group {
                if c.field.is_empty() {
                    kept.push(c);
                    continue;
                }
                let col = field_of(e, &mut c, mapping)?;
                let title = col.map_or(c.field.clone(), |k| k.title.to_string());
                match shown(e, &c.field) {
                    Shown::Plain => plain_choice(e, &mut c)?,
                    Shown::Walk(to) => walk(&mut c, to, &title, seen)?,
                    Shown::Document => document(&mut c, &title, seen)?,
                    Shown::Tries => {
                        if let Some(max) = tries(&mut c, &title, alone)? {
                            extra.push(vec![Condition::eq("max_attempts", &max.to_string())]);
                        }
                    }
                    Shown::Age => age(&c, &title)?,
                    Shown::Duration => {
                        let (or, and) = duration(&mut c, &title, alone)?;
                        siblings.extend(or);
                        extra.extend(and);
                    }
                    Shown::Computed => notes.push(computed(&mut c, &title, seen)?),
                }
                kept.push(c);
            }
            kept.extend(siblings);
            terms.push(kept);
            terms.extend(extra);
        }
        *alt = terms;
    }
    Ok((q, notes))
}

/// The field a condition names, checked: a heading not turned into its field on the text
/// (a computed column's carried name) is; a field the list does not have is an error
/// naming the columns. The column the field is shown in, if any.
fn field_of(e: Entity, c: &mut Condition, mapping: &crate::domain::Mapping) -> Result<Option<Column>, String> {
    let cols = shown_columns(e);
    if let Some(k) = cols.iter().find(|k| k.field.starts_with('~') && carried(k.field) == c.field) {
        c.field = k.field.to_string();
        return Ok(Some(*k));
    }
    if !mapping.has_field(e, &c.field) {
        let Some(k) = column_by_heading(e, &c.field) else {
            let heads: Vec<String> = cols
                .iter()
                .map(|k| match k.field.starts_with('~') {
                    true => format!("{} (worked out by hubtop)", k.title),
                    false => format!("{} ({})", k.title, k.field),
                })
                .collect();
            return Err(format!(
                "{} has no field or column `{}` (columns: {})",
                e.label().to_lowercase(),
                c.field,
                heads.join(", ")
            ));
        };
        c.field = k.field.to_string();
        if k.field.starts_with('~') {
            return Ok(Some(k));
        }
    }
    Ok(cols.into_iter().find(|k| k.field == c.field))
}

fn is_match(op: Op) -> bool {
    matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn)
}

/// A choice by its value or its label, in any case; an unknown one is an error where the
/// console acts or filters by the list (the ones with their labels here), else kept.
fn plain_choice(e: Entity, c: &mut Condition) -> Result<(), String> {
    let (list, strict): (Vec<(String, String)>, bool) = match choices(e, &c.field) {
        Some(l) => (l.into_iter().map(|(v, l)| (v.to_string(), l.to_string())).collect(), true),
        None => match e.choices(&c.field) {
            Some(vals) => {
                (vals.iter().map(|v| (v.to_string(), crate::domain::entity::choice_label(v))).collect(), false)
            }
            None => return Ok(()),
        },
    };
    if !is_match(c.op) {
        return Ok(());
    }
    let mut out = Vec::new();
    for v in c.value.split(',').map(str::trim) {
        // As the list shows it, after its state symbol (`✖ Error`).
        let bare = v.trim_start_matches(|c: char| !c.is_alphanumeric()).trim();
        let found =
            |v: &str| list.iter().find(|(val, label)| val.eq_ignore_ascii_case(v) || label.eq_ignore_ascii_case(v));
        match found(v).or_else(|| found(bare)) {
            Some((val, _)) => out.push(val.clone()),
            None if v.is_empty() || !strict => out.push(v.to_string()),
            None => {
                let names: Vec<String> = list.iter().map(|(v, l)| format!("{v} ({l})")).collect();
                let kind = e.label_one().to_lowercase();
                let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                return Err(format!("`{v}` is not {article} {kind} {} (one of: {})", c.field, names.join(", ")));
            }
        }
    }
    c.value = out.join(",");
    Ok(())
}

/// A reference shown by the referenced record's number: a number of a record loaded
/// here is its sys_id (what the field holds, whatever its type on the instance); any
/// other, the documented dot-walk (`document_id.number=WPT0001306`); a sys_id as typed.
fn walk(c: &mut Condition, to: &str, title: &str, seen: &Seen) -> Result<(), String> {
    if !is_match(c.op) || c.value.is_empty() {
        return Ok(());
    }
    let values: Vec<&str> = c.value.split(',').map(str::trim).collect();
    let ids: Option<Vec<String>> = values
        .iter()
        .map(|v| match is_sys_id(v) {
            true => Some(v.to_string()),
            false => seen.numbers.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)).map(|(_, id)| id.clone()),
        })
        .collect();
    if let Some(ids) = ids {
        c.value = ids.join(",");
        return Ok(());
    }
    if values.iter().any(|v| is_sys_id(v)) {
        return Err(format!(
            "{title} mixes numbers and sys_ids; type numbers ({title}=WPT0001306) or sys_ids, not both"
        ));
    }
    c.field = format!("{}.{to}", c.field);
    Ok(())
}

/// A Document ID shown by the record's number: the instance holds the sys_id and does not
/// walk a Document ID to the record's fields, so a number is looked up among the records
/// the console has loaded; one it has not loaded is refused with what to type.
fn document(c: &mut Condition, title: &str, seen: &Seen) -> Result<(), String> {
    let why = format!(
        "{title} shows the record's number, but {} is a Document ID: the instance holds a sys_id there and \
         does not follow it to the number",
        c.field
    );
    if !is_match(c.op) {
        if matches!(c.op, Op::IsEmpty | Op::IsNotEmpty | Op::Anything | Op::EmptyString) {
            return Ok(());
        }
        return Err(format!("{why}; match it with =, != or IN (a number or a sys_id)"));
    }
    let mut out = Vec::new();
    for v in c.value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        if is_sys_id(v) {
            out.push(v.to_string());
            continue;
        }
        match seen.numbers.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)) {
            Some((_, id)) => out.push(id.clone()),
            None => {
                return Err(format!(
                    "{why}, and `{v}` is not among the records loaded here; open the Work orders list (or clear \
                     this list's filter) so hubtop has seen it, or type {}=<sys_id>",
                    c.field
                ));
            }
        }
    }
    out.dedup();
    c.value = out.join(",");
    if out.len() > 1 && c.op == Op::Eq {
        c.op = Op::In;
    }
    Ok(())
}

/// Tries as shown (`7 (limit 3)`; the older `2/3`, `3/3+1` too) or attempts alone (`2`):
/// `attempts` (and, for the composite, `max_attempts` as a term of its own, returned).
fn tries(c: &mut Condition, title: &str, alone: bool) -> Result<Option<u32>, String> {
    c.field = "attempts".into();
    let numeric = matches!(c.op, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le | Op::In | Op::NotIn);
    if !numeric || c.value.is_empty() {
        return Ok(None);
    }
    let parse = |v: &str| -> Result<(u32, Option<u32>), String> {
        let bad = || {
            format!(
                "{title} shows the tries so far with the queue's limit (`7 (limit 3)`): `{v}` is neither \
                 that nor a number of attempts"
            )
        };
        let v = v.trim();
        // As the list shows it: `7 (limit 3)`.
        if let Some((n, rest)) = v.split_once("(limit") {
            let n: u32 = n.trim().parse().map_err(|_| bad())?;
            let m: u32 = rest.trim().trim_end_matches(')').trim().parse().map_err(|_| bad())?;
            return Ok((n, Some(m)));
        }
        match v.split_once('/') {
            None => v.parse().map(|n| (n, None)).map_err(|_| bad()),
            Some((n, rest)) => {
                let n: u32 = n.trim().parse().map_err(|_| bad())?;
                match rest.split_once('+') {
                    None => Ok((n, Some(rest.trim().parse().map_err(|_| bad())?))),
                    Some((m, extra)) => {
                        let m: u32 = m.trim().parse().map_err(|_| bad())?;
                        let extra: u32 = extra.trim().parse().map_err(|_| bad())?;
                        if n != m {
                            return Err(bad());
                        }
                        Ok((m + extra, Some(m)))
                    }
                }
            }
        }
    };
    let values: Vec<(u32, Option<u32>)> = c.value.split(',').map(parse).collect::<Result<_, _>>()?;
    match values.as_slice() {
        [(n, None)] => {
            c.value = n.to_string();
            Ok(None)
        }
        [(n, Some(m))] if c.op == Op::Eq && alone => {
            c.value = n.to_string();
            Ok(Some(*m))
        }
        [(n, Some(m))] if c.op == Op::Eq => Err(format!(
            "{title}={} stands for two conditions (attempts={n} and max_attempts={m}), which cannot be joined \
             with OR; type attempts={n}^max_attempts={m}",
            c.value
        )),
        vals if vals.iter().all(|(_, m)| m.is_none()) => {
            c.value = vals.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().join(",");
            Ok(None)
        }
        _ => Err(format!(
            "{title} `{}` (tries with the limit) can only be matched with =; compare the attempts alone \
             ({title}>2 is attempts>2) or the limit (max_attempts=3)",
            c.value
        )),
    }
}

/// A date-time shown as an age: compared as a date-time, so an age typed as shown
/// (`5m ago`) is refused with the forms the instance reads.
fn age(c: &Condition, title: &str) -> Result<(), String> {
    if !matches!(c.op, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le | Op::In | Op::NotIn | Op::Between) {
        return Ok(());
    }
    let datelike = |v: &str| {
        let v = v.trim();
        v.is_empty()
            || v.starts_with("javascript:")
            || (v.len() >= 10 && v.as_bytes()[4] == b'-' && v[..4].chars().all(|c| c.is_ascii_digit()))
    };
    if c.value.split([',', '@']).all(datelike) {
        return Ok(());
    }
    let h = title.to_lowercase().replace(' ', "_");
    Err(format!(
        "{title} shows an age, but {} holds a date-time: type a date ({h}>2026-01-31 08:00:00) or a relative \
         one ({h}RELATIVEGT@hour@ago@1: within the last hour)",
        c.field
    ))
}

/// A duration as typed (`350ms`, `1.2s`, `2m3s`, or milliseconds) as the range of
/// milliseconds that shows so (`1.2s` is 1150–1249: the list rounds to a tenth of a
/// second, and `2m3s` is 123000–123999: it drops the rest); `None` when it is none.
fn duration_range(v: &str) -> Option<(u64, u64)> {
    let v = v.trim();
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
        let n = v.parse().ok()?;
        return Some((n, n));
    }
    let (mut total, mut rest, mut units) = (0f64, v, 0);
    let mut step = 1f64;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n);
        let x: f64 = num.parse().ok()?;
        let u = tail.find(|c: char| c.is_ascii_digit()).unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u);
        let scale = match unit.trim() {
            "ms" => 1.0,
            "s" => 1000.0,
            "m" | "min" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
        let decimals = num.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
        step = scale / 10f64.powi(decimals);
        total += x * scale;
        units += 1;
        rest = tail;
    }
    let total = total.round();
    if step <= 1.0 {
        return Some((total as u64, total as u64));
    }
    Some(match units {
        // One unit as the list rounds it (`1.2s`).
        1 => ((total - step / 2.0).max(0.0) as u64, (total + step / 2.0) as u64 - 1),
        // Minutes and seconds, the rest dropped (`2m3s`).
        _ => (total as u64, (total + step) as u64 - 1),
    })
}

/// A duration as shown, in the milliseconds the field holds: `=` is the range that shows
/// so (two AND terms), `!=` outside it (two ORed conditions), a comparison its value.
/// Returns the conditions ORed with this one and the terms ANDed after it.
fn duration(c: &mut Condition, title: &str, alone: bool) -> Result<(Vec<Condition>, Vec<Vec<Condition>>), String> {
    let none = (Vec::new(), Vec::new());
    if c.value.is_empty() || !matches!(c.op, Op::Eq | Op::Ne | Op::Gt | Op::Ge | Op::Lt | Op::Le | Op::In | Op::NotIn) {
        return Ok(none);
    }
    let bad = |v: &str| format!("{title} `{v}` is not a duration as shown (350ms, 1.2s, 2m3s) nor milliseconds");
    let ranges: Vec<(u64, u64)> =
        c.value.split(',').map(|v| duration_range(v).ok_or_else(|| bad(v))).collect::<Result<_, _>>()?;
    let f = c.field.clone();
    match (c.op, ranges.as_slice()) {
        (_, rs) if rs.iter().all(|(lo, hi)| lo == hi) => {
            c.value = rs.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>().join(",");
            Ok(none)
        }
        (Op::Eq, [(lo, hi)]) if alone => {
            *c = Condition::new(&f, Op::Ge, &lo.to_string());
            Ok((Vec::new(), vec![vec![Condition::new(&f, Op::Le, &hi.to_string())]]))
        }
        (Op::Ne, [(lo, hi)]) => {
            *c = Condition::new(&f, Op::Lt, &lo.to_string());
            Ok((vec![Condition::new(&f, Op::Gt, &hi.to_string())], Vec::new()))
        }
        (Op::Gt | Op::Le, [(_, hi)]) => {
            c.value = hi.to_string();
            Ok(none)
        }
        (Op::Ge | Op::Lt, [(lo, _)]) => {
            c.value = lo.to_string();
            Ok(none)
        }
        _ => Err(format!(
            "{title} `{}` stands for a range of milliseconds (the list rounds); match one value alone \
             ({title}=1.2s) or compare ({title}>1s), or give milliseconds ({}=1234)",
            c.value, f
        )),
    }
}

/// A column hubtop works out (a provider's health, OK %, errors): evaluated here over
/// the values the list shows, and sent as the providers that match (`sys_idIN…`). Says
/// so, as it holds for the moment it was typed.
fn computed(c: &mut Condition, title: &str, seen: &Seen) -> Result<String, String> {
    let why = format!("{title} is worked out by hubtop from the recent sync history, not a field of the provider");
    let Some(values) = &seen.computed else {
        return Err(format!("{why}, and the overview has not worked it out yet; try again once it shows"));
    };
    let field = c.field.clone();
    let mut cond = Condition { field: "v".into(), op: c.op, value: c.value.clone() };
    if field == provider::HEALTH {
        if !is_match(c.op) {
            return Err(format!("{why}: match it with = or != (failing, degraded, ok, idle)"));
        }
        let mut out = Vec::new();
        for v in c.value.split(',').map(str::trim) {
            match ProviderHealth::ALL
                .iter()
                .find(|h| h.as_str().eq_ignore_ascii_case(v) || h.label().eq_ignore_ascii_case(v))
            {
                Some(h) => out.push(h.label().to_string()),
                None => {
                    let names: Vec<&str> = ProviderHealth::ALL.iter().map(|h| h.label()).collect();
                    return Err(format!("`{v}` is not a health hubtop shows (one of: {})", names.join(", ")));
                }
            }
        }
        cond.value = out.join(",");
    } else {
        cond.value = cond.value.replace('%', "");
    }
    let one = Query::new().and(cond);
    let compiled = one.compile(|f| (f == "v").then_some(0)).map_err(|e| format!("{title}: {e:?}"))?;
    let ids: Vec<&str> = values
        .iter()
        .filter(|(_, vals)| {
            let v = vals.iter().find(|(f, _)| *f == field).map_or("", |(_, v)| v.as_str());
            compiled.matches(&[v])
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let n = ids.len();
    *c = match ids.is_empty() {
        true => Condition::new("sys_id", Op::IsEmpty, ""),
        false => Condition::in_list("sys_id", ids)?,
    };
    Ok(format!(
        "{title} is worked out here, not by the instance: {n} of {} providers match now (the filter keeps those)",
        values.len()
    ))
}

/// `:sort COLUMN [asc|desc]`: the column named by a heading (any spelling, `LAST ERROR`
/// too) or a field, and whether descending; a computed column is refused with why.
pub fn sort_column(e: Entity, arg: &str) -> Result<(Column, bool), String> {
    let arg = arg.trim();
    let (name, desc) = match arg.rsplit_once(char::is_whitespace) {
        Some((n, d)) if d.eq_ignore_ascii_case("asc") => (n.trim(), false),
        Some((n, d)) if d.eq_ignore_ascii_case("desc") => (n.trim(), true),
        _ => (arg, true),
    };
    let cols = shown_columns(e);
    let found =
        column_by_heading(e, name).or_else(|| cols.iter().copied().find(|c| c.field.eq_ignore_ascii_case(name)));
    let Some(col) = found else {
        let names: Vec<&str> = cols.iter().map(|c| c.title).collect();
        return Err(format!("sort: no column `{name}` (columns: {})", names.join(", ")));
    };
    if col.field.starts_with('~') {
        let h = col.title.to_lowercase();
        return Err(format!(
            "sort: {} is worked out by hubtop from the recent sync history, not a field the instance can sort \
             by; filter by it instead (/{h}=…), or see the overview, which lists providers worst first",
            col.title
        ));
    }
    Ok((col, desc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_as_shown_is_the_range_that_shows_so() {
        // As `ui::table::fmt_ms` draws: ms exact, seconds to a tenth, minutes and seconds cut.
        assert_eq!(duration_range("350ms"), Some((350, 350)));
        assert_eq!(duration_range("1234"), Some((1234, 1234)));
        assert_eq!(duration_range("1.2s"), Some((1150, 1249)));
        assert_eq!(duration_range("2m3s"), Some((123_000, 123_999)));
        assert_eq!(duration_range("soon"), None);
        assert_eq!(duration_range("3x"), None);
    }

    #[test]
    fn every_heading_of_every_list_names_one_column() {
        for e in Entity::ALL {
            let cols = shown_columns(e);
            for c in &cols {
                for s in spellings(c.title) {
                    assert_eq!(column_by_heading(e, &s).map(|k| k.field), Some(c.field), "{e:?} {s}");
                }
            }
        }
    }
}
