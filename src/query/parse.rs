//! Text → [`Query`]: splitting at `^`, the `NQ` / `OR` / `ORDERBY` keywords, and each
//! condition's field, operator and value. Whatever parses prints back to text that
//! parses to the same query (the property tests hold this).

use super::{Condition, Op, OrderBy, ParseError, Query};

/// Splits at single `^` (a `^^` is an escaped caret), unescaping; yields (start, text).
fn split_terms(s: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'^' {
            if i + 1 < b.len() && b[i + 1] == b'^' {
                cur.push('^');
                i += 2;
                continue;
            }
            out.push((start, std::mem::take(&mut cur)));
            i += 1;
            start = i;
            continue;
        }
        // Push the whole UTF-8 char.
        let ch_len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        cur.push_str(&s[i..i + ch_len]);
        i += ch_len;
    }
    out.push((start, cur));
    out
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'
}

fn parse_condition(pos: usize, t: &str) -> Result<Condition, ParseError> {
    let field_len = t.chars().take_while(|c| is_field_char(*c)).count();
    let (field, rest) = t.split_at(field_len);
    if field_len > 0 {
        for (spelling, op) in Op::SPELLINGS {
            if let Some(value) = rest.strip_prefix(spelling) {
                if !op.takes_value() && !value.is_empty() {
                    // `ISEMPTYx`: not ours; kept verbatim below.
                    break;
                }
                return Ok(Condition { field: field.to_string(), op: *op, value: value.to_string() });
            }
        }
    }
    // An operator word the documentation does not list (a bare EQ, …) is kept verbatim.
    // Without a field, text starting with `OR` / `NQ` would read back as those keywords,
    // so it cannot be kept.
    let word = rest.starts_with(|c: char| c.is_ascii_uppercase());
    let keyword = field_len == 0 && (rest.starts_with("OR") || rest.starts_with("NQ"));
    if word && !keyword {
        return Ok(Condition { field: field.to_string(), op: Op::Raw, value: rest.to_string() });
    }
    if field_len == 0 {
        return Err(ParseError { pos, msg: format!("expected a field name in `{t}`") });
    }
    Err(ParseError { pos: pos + field_len, msg: format!("unknown operator after `{field}` in `{t}`") })
}

pub fn parse(s: &str) -> Result<Query, ParseError> {
    let mut q = Query::new();
    let mut alt: Vec<Vec<Condition>> = Vec::new();
    for (pos, term) in split_terms(s) {
        if term.is_empty() {
            continue;
        }
        if let Some(rest) = term.strip_prefix("NQ") {
            // An empty alternative (`a=1^NQ`) adds nothing: it is dropped, never "match all".
            if !alt.is_empty() {
                q.alternatives.push(std::mem::take(&mut alt));
            }
            if rest.is_empty() {
                continue;
            }
            alt.push(vec![parse_condition(pos + 2, rest)?]);
            continue;
        }
        if let Some(f) = term.strip_prefix("ORDERBYDESC") {
            q.order.push(OrderBy { field: check_field(pos, f)?, desc: true });
            continue;
        }
        if let Some(f) = term.strip_prefix("ORDERBY") {
            q.order.push(OrderBy { field: check_field(pos, f)?, desc: false });
            continue;
        }
        if let Some(rest) = term.strip_prefix("OR") {
            let c = parse_condition(pos + 2, rest)?;
            match alt.last_mut() {
                Some(g) => g.push(c),
                None => alt.push(vec![c]),
            }
            continue;
        }
        alt.push(vec![parse_condition(pos, &term)?]);
    }
    if !alt.is_empty() {
        q.alternatives.push(alt);
    }
    Ok(q)
}

fn check_field(pos: usize, f: &str) -> Result<String, ParseError> {
    if !f.is_empty() && f.chars().all(is_field_char) {
        Ok(f.to_string())
    } else {
        Err(ParseError { pos, msg: format!("`{f}` is not a field to order by") })
    }
}
