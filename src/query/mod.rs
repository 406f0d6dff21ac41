//! ServiceNow encoded queries: one AST for both sides. The client builds queries and
//! writes them into `sysparm_query`; the embedded instance parses and evaluates them
//! (compiled to column indexes, allocation-free per row).
//!
//! Grammar: `^NQ` separates alternatives (union); inside one, `^` separates AND terms and
//! `^OR` joins a condition to the previous term, so `a=1^ORb=2^c=3` is (a=1 ∨ b=2) ∧ c=3.
//! `ORDERBYf` / `ORDERBYDESCf` terms give sort keys. A literal `^` in a value is `^^`.
//!
//! A term with an operator this module does not know (`ON…@javascript:…`, `DATEPART`,
//! `RELATIVEGT@hour@ago@3`, `BETWEEN`, a bare `EQ`) is kept verbatim as an [`Op::Raw`]
//! condition, so it prints back exactly as it came and can travel to a real instance
//! unchanged; whoever evaluates a query decides what such a term means ([`Bind`]).
//! Dot-walked fields (`provider.title`) are ordinary conditions whose field has a dot.

mod dates;
mod eval;
mod parse;

use std::fmt;

pub use dates::{RawDate, eval_date, raw_date};
pub use eval::{Bind, Compiled, UnknownField};
pub use parse::parse;

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
    /// A term kept verbatim: `field` is its leading field name (possibly empty, as for
    /// `EQ`), `value` the rest of the term, operator included.
    Raw,
}

impl Op {
    /// Spellings, longest first where one is a prefix of another (parse tries in order).
    pub(crate) const SPELLINGS: &'static [(&'static str, Op)] = &[
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
            Op::Raw => "",
        }
    }

    pub(crate) fn takes_value(self) -> bool {
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

    /// Every field named, in conditions and order keys (raw terms name theirs too).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.alternatives
            .iter()
            .flatten()
            .flatten()
            .map(|c| c.field.as_str())
            .chain(self.order.iter().map(|o| o.field.as_str()))
            .filter(|f| !f.is_empty())
    }
}

pub(crate) fn escape(v: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

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

    #[test]
    fn unknown_operators_are_kept_verbatim() {
        for text in [
            "sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()",
            "state=error^EQ",
            "provider.title=Acme^ORDERBYnumber",
            "sys_created_onRELATIVEGT@hour@ago@3^ORsys_created_onDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')",
            "priorityBETWEEN1@3^NQEQ",
            "aISEMPTYx",
        ] {
            let q = parse(text).unwrap();
            assert_eq!(q.to_string(), text, "prints back as it came");
        }
        let q = parse("a=1^sys_created_onONToday@x@y").unwrap();
        assert_eq!(
            q.alternatives[0][1][0],
            Condition { field: "sys_created_on".into(), op: Op::Raw, value: "ONToday@x@y".into() }
        );
        assert_eq!(q.fields().collect::<Vec<_>>(), ["a", "sys_created_on"]);
        // Keywords cannot start a field-less raw term: they would read back as keywords.
        assert!(parse("NQORx").is_err());
        // A raw term is refused by the strict compile and bound by a binder.
        let cols = |f: &str| COLS.iter().position(|x| *x == f);
        assert!(parse("a=1^EQ").unwrap().compile(cols).is_err());
    }

    #[test]
    fn constant_terms_fold() {
        let cols = |f: &str| COLS.iter().position(|x| *x == f);
        let ignore = |c: &Condition| cols(&c.field).map(Bind::Col).unwrap_or(Bind::Const(true));
        let none = |c: &Condition| cols(&c.field).map(Bind::Col).unwrap_or(Bind::Const(false));
        let r = row(&COLS, &[("a", "1")]);
        let q = parse("nosuch=1^a=1").unwrap();
        assert!(q.compile_with(ignore, cols).matches(&r));
        assert!(!q.compile_with(none, cols).matches(&r));
        assert!(q.compile_with(none, cols).order().is_empty());
        // Ignored everywhere: every row matches, and the query says so (index paths rely on it).
        let all = parse("nosuch=1^ORa=9").unwrap().compile_with(ignore, cols);
        assert!(all.is_unconditional() && all.matches(&row(&COLS, &[("a", "5")])));
        // False in one alternative leaves the other.
        let alt = parse("nosuch=1^NQa=1").unwrap().compile_with(none, cols);
        assert!(alt.matches(&r) && !alt.matches(&row(&COLS, &[("a", "2")])));
        let never = parse("nosuch=1").unwrap().compile_with(none, cols);
        assert!(!never.matches(&r) && !never.is_unconditional());
        // Unknown order keys are left out.
        assert_eq!(parse("ORDERBYnosuch^ORDERBYDESCa").unwrap().compile_with(ignore, cols).order(), &[(0, true)]);
        let range = |_: &Condition| Bind::Range { col: 0, lo: "2".into(), hi: "4".into(), negate: false };
        let rq = parse("aONx@2@4").unwrap().compile_with(range, cols);
        assert!(rq.matches(&row(&COLS, &[("a", "3")])) && !rq.matches(&row(&COLS, &[("a", "5")])));
    }
}
