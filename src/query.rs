//! ServiceNow encoded queries: one AST for both sides. The client builds queries and
//! writes them into `sysparm_query`; the embedded instance parses, validates and
//! evaluates them (compiled to column indexes, allocation-free per row).
//!
//! Grammar: `^NQ` separates alternatives (union); inside one, `^` separates AND terms and
//! `^OR` joins a condition to the previous term, so `a=1^ORb=2^c=3` is (a=1 ∨ b=2) ∧ c=3.
//! `ORDERBYf` / `ORDERBYDESCf` terms give sort keys. A literal `^` in a value is `^^`.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    IsEmpty,
    IsNotEmpty,
}

impl Op {
    /// Spellings, longest first where one is a prefix of another (parse tries in order).
    const SPELLINGS: &'static [(&'static str, Op)] = &[
        ("ISNOTEMPTY", Op::IsNotEmpty),
        ("ISEMPTY", Op::IsEmpty),
        ("STARTSWITH", Op::StartsWith),
        ("ENDSWITH", Op::EndsWith),
        ("NOT LIKE", Op::NotLike),
        ("NOTLIKE", Op::NotLike),
        ("NOT IN", Op::NotIn),
        ("NOTIN", Op::NotIn),
        ("LIKE", Op::Like),
        ("IN", Op::In),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::Like => "LIKE",
            Op::NotLike => "NOT LIKE",
            Op::StartsWith => "STARTSWITH",
            Op::EndsWith => "ENDSWITH",
            Op::IsEmpty => "ISEMPTY",
            Op::IsNotEmpty => "ISNOTEMPTY",
        }
    }

    fn takes_value(self) -> bool {
        !matches!(self, Op::IsEmpty | Op::IsNotEmpty)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    /// Unescaped; for IN / NOT IN the comma-joined list.
    pub value: String,
}

impl Condition {
    pub fn new(field: &str, op: Op, value: &str) -> Self {
        Condition {
            field: field.to_string(),
            op,
            value: if op.takes_value() { value.to_string() } else { String::new() },
        }
    }
    pub fn eq(field: &str, value: &str) -> Self {
        Condition::new(field, Op::Eq, value)
    }
    /// An IN list; items must not contain commas (the encoding cannot carry them).
    pub fn in_list<I: IntoIterator<Item = S>, S: AsRef<str>>(field: &str, items: I) -> Result<Self, String> {
        let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
        if let Some(bad) = items.iter().find(|i| i.contains(',')) {
            return Err(format!("IN item `{bad}` contains a comma"));
        }
        Ok(Condition::new(field, Op::In, &items.join(",")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub field: String,
    pub desc: bool,
}

/// Alternatives (`^NQ`) of AND-terms, each an OR-group of conditions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub alternatives: Vec<Vec<Vec<Condition>>>,
    pub order: Vec<OrderBy>,
}

impl Query {
    pub fn new() -> Self {
        Query::default()
    }

    pub fn is_empty(&self) -> bool {
        self.alternatives.iter().all(|a| a.is_empty()) && self.order.is_empty()
    }

    fn current(&mut self) -> &mut Vec<Vec<Condition>> {
        if self.alternatives.is_empty() {
            self.alternatives.push(Vec::new());
        }
        self.alternatives.last_mut().expect("just ensured")
    }

    /// ANDs a condition onto the current alternative.
    pub fn and(mut self, c: Condition) -> Self {
        self.current().push(vec![c]);
        self
    }

    /// ORs a condition with the previous term (`^OR`).
    pub fn or(mut self, c: Condition) -> Self {
        let alt = self.current();
        match alt.last_mut() {
            Some(group) => group.push(c),
            None => alt.push(vec![c]),
        }
        self
    }

    /// Starts a new alternative (`^NQ`).
    pub fn new_query(mut self) -> Self {
        self.alternatives.push(Vec::new());
        self
    }

    /// ANDs a condition onto every alternative (a filter on top of any query).
    pub fn and_all(mut self, c: Condition) -> Self {
        if self.alternatives.is_empty() {
            self.alternatives.push(Vec::new());
        }
        for alt in &mut self.alternatives {
            alt.push(vec![c.clone()]);
        }
        self
    }

    pub fn order_by(mut self, field: &str) -> Self {
        self.order.push(OrderBy { field: field.into(), desc: false });
        self
    }

    pub fn order_desc(mut self, field: &str) -> Self {
        self.order.push(OrderBy { field: field.into(), desc: true });
        self
    }

    /// Every field named, in conditions and order keys.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.alternatives
            .iter()
            .flatten()
            .flatten()
            .map(|c| c.field.as_str())
            .chain(self.order.iter().map(|o| o.field.as_str()))
    }
}

fn escape(v: &str) -> String {
    v.replace('^', "^^")
}

impl fmt::Display for Query {
    /// The encoded form. An alternative without conditions adds nothing to a query (it is
    /// neither printed nor parsed nor evaluated), so it is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        for alt in self.alternatives.iter().filter(|a| a.iter().any(|g| !g.is_empty())) {
            if wrote {
                f.write_str("^NQ")?;
            }
            let mut first = true;
            for group in alt {
                for (ci, c) in group.iter().enumerate() {
                    if !first {
                        f.write_str(if ci == 0 { "^" } else { "^OR" })?;
                    }
                    first = false;
                    write!(f, "{}{}{}", c.field, c.op.as_str(), escape(&c.value))?;
                }
            }
            wrote = true;
        }
        for o in &self.order {
            if wrote {
                f.write_str("^")?;
            }
            wrote = true;
            write!(f, "{}{}", if o.desc { "ORDERBYDESC" } else { "ORDERBY" }, o.field)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.msg, self.pos)
    }
}

impl std::error::Error for ParseError {}

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
    if field_len == 0 {
        return Err(ParseError { pos, msg: format!("expected a field name in `{t}`") });
    }
    let (field, rest) = t.split_at(field_len);
    for (spelling, op) in Op::SPELLINGS {
        if let Some(value) = rest.strip_prefix(spelling) {
            if !op.takes_value() && !value.is_empty() {
                return Err(ParseError { pos: pos + field_len, msg: format!("{spelling} takes no value") });
            }
            return Ok(Condition { field: field.to_string(), op: *op, value: value.to_string() });
        }
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

/// A field the table does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField(pub String);

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

enum Test {
    Eq(String),
    Ne(String),
    Cmp(Op, String, Option<f64>),
    In(Vec<String>),
    NotIn(Vec<String>),
    Like(String),
    NotLike(String),
    Starts(String),
    Ends(String),
    Empty,
    NotEmpty,
}

struct CCond {
    col: usize,
    test: Test,
}

/// A query bound to a table's columns.
pub struct Compiled {
    alternatives: Vec<Vec<Vec<CCond>>>,
    order: Vec<(usize, bool)>,
}

/// A total order for sorting: empty values first, then numbers (as numbers), then
/// everything else as strings (date-times are `YYYY-MM-DD HH:MM:SS`, so that orders
/// them too). Numbers and strings are never compared with each other: mixing the two
/// comparisons is not transitive (`1a` < `2` < `10` < `1a`), and a sort with such a
/// comparison misorders rows or panics.
fn compare_values(x: &str, y: &str) -> Ordering {
    let rank = |s: &str, n: Option<f64>| match (s.is_empty(), n) {
        (true, _) => 0,
        (false, Some(_)) => 1,
        (false, None) => 2,
    };
    let (nx, ny) = (numeric(x), numeric(y));
    rank(x, nx).cmp(&rank(y, ny)).then_with(|| match (nx, ny) {
        (Some(a), Some(b)) => a.total_cmp(&b).then_with(|| x.cmp(y)),
        _ => x.cmp(y),
    })
}

/// A cheap check before parsing: only digits, signs, dots and exponents can be a number.
fn numeric(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || t.len() > 32
        || !t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    t.parse().ok().filter(|f: &f64| f.is_finite())
}

fn cmp_values(a: &str, b: &str, b_num: Option<f64>) -> Ordering {
    if let (Ok(x), Some(y)) = (a.trim().parse::<f64>(), b_num)
        && let Some(o) = x.partial_cmp(&y)
    {
        return o;
    }
    a.cmp(b)
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if hay.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
        return n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle_lower)
}

impl Test {
    fn eval(&self, v: &str) -> bool {
        match self {
            Test::Eq(x) => v == x,
            Test::Ne(x) => v != x,
            Test::Cmp(op, x, n) => {
                let o = cmp_values(v, x, *n);
                match op {
                    Op::Gt => o == Ordering::Greater,
                    Op::Ge => o != Ordering::Less,
                    Op::Lt => o == Ordering::Less,
                    _ => o != Ordering::Greater,
                }
            }
            Test::In(xs) => xs.iter().any(|x| x == v),
            Test::NotIn(xs) => !xs.iter().any(|x| x == v),
            Test::Like(n) => contains_ci(v, n),
            Test::NotLike(n) => !contains_ci(v, n),
            Test::Starts(n) => {
                v.len() >= n.len() && v.is_char_boundary(n.len()) && v[..n.len()].eq_ignore_ascii_case(n)
            }
            Test::Ends(n) => {
                v.len() >= n.len()
                    && v.is_char_boundary(v.len() - n.len())
                    && v[v.len() - n.len()..].eq_ignore_ascii_case(n)
            }
            Test::Empty => v.is_empty(),
            Test::NotEmpty => !v.is_empty(),
        }
    }
}

impl Query {
    /// Binds field names to columns; an unknown field is an error, never ignored.
    pub fn compile(&self, resolve: impl Fn(&str) -> Option<usize>) -> Result<Compiled, UnknownField> {
        let col = |f: &str| resolve(f).ok_or_else(|| UnknownField(f.to_string()));
        let list = |v: &str| v.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>();
        let mut alternatives = Vec::new();
        // An alternative without conditions adds nothing (see `Display`); with none left,
        // every row matches.
        for alt in self.alternatives.iter().filter(|a| a.iter().any(|g| !g.is_empty())) {
            let mut terms = Vec::new();
            for group in alt.iter().filter(|g| !g.is_empty()) {
                let mut g = Vec::new();
                for c in group {
                    let test = match c.op {
                        Op::Eq => Test::Eq(c.value.clone()),
                        Op::Ne => Test::Ne(c.value.clone()),
                        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                            Test::Cmp(c.op, c.value.clone(), c.value.trim().parse().ok())
                        }
                        Op::In => Test::In(list(&c.value)),
                        Op::NotIn => Test::NotIn(list(&c.value)),
                        Op::Like => Test::Like(c.value.to_lowercase()),
                        Op::NotLike => Test::NotLike(c.value.to_lowercase()),
                        Op::StartsWith => Test::Starts(c.value.clone()),
                        Op::EndsWith => Test::Ends(c.value.clone()),
                        Op::IsEmpty => Test::Empty,
                        Op::IsNotEmpty => Test::NotEmpty,
                    };
                    g.push(CCond { col: col(&c.field)?, test });
                }
                terms.push(g);
            }
            alternatives.push(terms);
        }
        let order = self.order.iter().map(|o| Ok((col(&o.field)?, o.desc))).collect::<Result<_, UnknownField>>()?;
        Ok(Compiled { alternatives, order })
    }
}

impl Compiled {
    pub fn matches<S: AsRef<str>>(&self, row: &[S]) -> bool {
        let val = |c: usize| row.get(c).map(|s| s.as_ref()).unwrap_or("");
        self.alternatives.is_empty()
            || self.alternatives.iter().any(|alt| alt.iter().all(|group| group.iter().any(|c| c.test.eval(val(c.col)))))
    }

    /// Orders two rows by the order keys; allocation-free (it runs a million times a sort).
    pub fn compare<S: AsRef<str>>(&self, a: &[S], b: &[S]) -> Ordering {
        for &(c, desc) in &self.order {
            let x = a.get(c).map(AsRef::as_ref).unwrap_or("");
            let y = b.get(c).map(AsRef::as_ref).unwrap_or("");
            let o = compare_values(x, y);
            let o = if desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// The order keys as (column, descending).
    pub fn order(&self) -> &[(usize, bool)] {
        &self.order
    }

    /// True when the query has no conditions (every row matches).
    pub fn is_unconditional(&self) -> bool {
        self.alternatives.iter().all(|a| a.is_empty())
    }

    /// A lower bound every matching row's `col` satisfies, if each alternative has an AND
    /// term `col >= v`, `col > v` or `col = v`: (the smallest such v, inclusive). Lets
    /// the instance walk an index from there instead of scanning the table.
    pub fn lower_bound(&self, col: usize) -> Option<(&str, bool)> {
        let mut best: Option<(&str, bool)> = None;
        if self.alternatives.is_empty() {
            return None;
        }
        for alt in &self.alternatives {
            let bound = alt.iter().filter(|g| g.len() == 1 && g[0].col == col).find_map(|g| match &g[0].test {
                Test::Cmp(Op::Ge, v, None) | Test::Eq(v) => Some((v.as_str(), true)),
                Test::Cmp(Op::Gt, v, None) => Some((v.as_str(), false)),
                _ => None,
            })?;
            best = Some(match best {
                None => bound,
                Some(b) if bound.0 < b.0 || (bound.0 == b.0 && bound.1) => bound,
                Some(b) => b,
            });
        }
        best
    }

    pub fn has_order(&self) -> bool {
        !self.order.is_empty()
    }

    /// True when the query is exactly `col = v` (nothing else to check once an index on
    /// `col` has found the rows).
    pub fn is_only_eq(&self, col: usize) -> bool {
        matches!(self.alternatives.as_slice(), [alt] if !alt.is_empty()
            && alt.iter().all(|g| matches!(g.as_slice(), [c] if c.col == col && matches!(c.test, Test::Eq(_)))))
    }

    /// The values `col` can take in a matching row, if each alternative has an AND term
    /// `col = v` or `col IN a,b`: the union of them. Lets the instance read an equality
    /// index instead of scanning the table.
    pub fn eq_values(&self, col: usize) -> Option<Vec<&str>> {
        if self.alternatives.is_empty() {
            return None;
        }
        let mut out: Vec<&str> = Vec::new();
        for alt in &self.alternatives {
            let vals = alt.iter().filter(|g| g.len() == 1 && g[0].col == col).find_map(|g| match &g[0].test {
                Test::Eq(v) => Some(vec![v.as_str()]),
                Test::In(vs) => Some(vs.iter().map(String::as_str).collect()),
                _ => None,
            })?;
            out.extend(vals);
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(cols: &[&str], vals: &'a [(&str, &str)]) -> Vec<&'a str> {
        cols.iter().map(|c| vals.iter().find(|(k, _)| k == c).map(|(_, v)| *v).unwrap_or("")).collect()
    }

    const COLS: [&str; 4] = ["a", "b", "c", "state"];

    fn eval(q: &str, vals: &[(&str, &str)]) -> bool {
        let c = parse(q).unwrap().compile(|f| COLS.iter().position(|x| *x == f)).unwrap();
        c.matches(&row(&COLS, vals))
    }

    #[test]
    fn precedence_or_binds_tighter_than_and() {
        assert!(eval("a=1^ORb=2^c=3", &[("b", "2"), ("c", "3")]));
        assert!(!eval("a=1^ORb=2^c=3", &[("a", "1")]));
        assert!(eval("a=1^NQc=3", &[("c", "3")]));
        assert!(!eval("a=1^c=3^NQb=9", &[("c", "3")]));
    }

    #[test]
    fn operators() {
        let v = [("a", "10"), ("b", "Hello World"), ("state", "error")];
        for (q, want) in [
            ("a>9", true),
            ("a>=10", true),
            ("a<10", false),
            ("a<=10", true),
            ("a!=10", true == false),
            ("stateINready,error", true),
            ("stateNOT INready,error", false),
            ("bLIKEworld", true),
            ("bNOT LIKEworld", false),
            ("bSTARTSWITHhello", true),
            ("bENDSWITHWORLD", true),
            ("cISEMPTY", true),
            ("cISNOTEMPTY", false),
            ("c=", true),
        ] {
            assert_eq!(eval(q, &v), want, "{q}");
        }
    }

    #[test]
    fn an_empty_alternative_adds_nothing() {
        assert!(!eval("state=error^NQ", &[("state", "ready")]));
        assert!(eval("state=error^NQ", &[("state", "error")]));
        assert!(!eval("^NQstate=error^NQ^NQ", &[("state", "ready")]));
        assert_eq!(parse("state=error^NQ").unwrap().to_string(), "state=error");
        assert_eq!(parse("^NQ^NQ").unwrap(), Query::default());
        let built = Query::new().and(Condition::eq("a", "1")).new_query();
        assert_eq!(built.to_string(), "a=1");
        let c = built.compile(|f| COLS.iter().position(|x| *x == f)).unwrap();
        assert!(!c.matches(&row(&COLS, &[("a", "2")])));
    }

    #[test]
    fn escaping_round_trip() {
        let q = Query::new().and(Condition::eq("b", "x^y")).order_desc("a");
        assert_eq!(q.to_string(), "b=x^^y^ORDERBYDESCa");
        assert_eq!(parse(&q.to_string()).unwrap(), q);
    }

    #[test]
    fn errors_carry_positions() {
        let e = parse("state~x").unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(parse("=x").is_err());
        let unknown = parse("nope=1").unwrap().compile(|f| COLS.iter().position(|x| *x == f));
        assert_eq!(unknown.err(), Some(UnknownField("nope".into())));
    }

    #[test]
    fn ordering() {
        let c = parse("ORDERBYDESCa^ORDERBYb").unwrap().compile(|f| COLS.iter().position(|x| *x == f)).unwrap();
        let r1 = row(&COLS, &[("a", "9"), ("b", "x")]);
        let r2 = row(&COLS, &[("a", "10"), ("b", "x")]);
        assert_eq!(c.compare(&r1, &r2), Ordering::Greater);
        assert!(parse("").unwrap().is_empty());
    }
}
