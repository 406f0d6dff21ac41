//! ServiceNow encoded queries: one AST for both sides. The client builds queries and
//! writes them into `sysparm_query`; the embedded instance parses and evaluates them
//! (compiled to column indexes, allocation-free per row).
//!
//! Grammar: `^NQ` separates alternatives (union); inside one, `^` separates AND terms and
//! `^OR` joins a condition to the previous term, so `a=1^ORb=2^c=3` is (a=1 ∨ b=2) ∧ c=3.
//! `ORDERBYf` / `ORDERBYDESCf` terms give sort keys. A literal `^` in a value is `^^`.
//!
//! Every operator of "Operators available for filters and queries"
//! (platform-user-interface/r_OpAvailableFiltersQueries.md) is parsed into an [`Op`]
//! and evaluated here ([`Compiled`]), relative dates against a [`Ctx`] (a clock, the
//! user's time zone): the embedded instance, the console's filter preview and the CLI
//! share this one evaluator. A term with an operator word the page does not list (a
//! bare `EQ`, …) is kept verbatim as an [`Op::Raw`] condition, so it prints back exactly
//! as it came and can travel to a real instance unchanged; evaluating one is an error
//! ([`Query::compile`]) or an invalid term ([`Bind::Invalid`]), never "match all".
//! Dot-walked fields (`provider.title`) are ordinary conditions whose field has a dot.

mod dates;
mod eval;
mod parse;
pub mod tz;

use std::fmt;

pub use dates::{Ctx, Part, Unit, eval_date};
pub use eval::{Bind, Compiled, FieldType, OrderKey, UnknownField, collate};
pub use parse::parse;

/// The operators of "Operators available for filters and queries"
/// (platform-user-interface/r_OpAvailableFiltersQueries.md). Values of the
/// multi-part operators keep their encoded form: `BETWEEN` `lo@hi`, `ON`
/// `label@start@end`, `RELATIVE` `GT@hour@ago@1`, `SAMEAS` `other[@unit]`,
/// `MORETHAN` `other@unit@before@n`, `DATEPART` `label@javascript:gs.datePart(…)`.
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
    /// `EMPTYSTRING`: no value.
    EmptyString,
    /// `ANYTHING`: any value, empty or not.
    Anything,
    /// `BETWEEN` `lo@hi`, inclusive.
    Between,
    /// `SAMEAS` / `NSAMEAS` another field (`@unit` on date-times).
    SameAs,
    NSameAs,
    /// Field-to-field comparisons (`GT_FIELD`, …): the value names the other field.
    GtField,
    LtField,
    GeField,
    LeField,
    /// `ON` / `NOTON` `label@start@end`.
    On,
    NotOn,
    /// `RELATIVE` + `GT|GE|LT|LE|EE@unit@ago|ahead@n`.
    Relative,
    /// `DATEPART` `label@javascript:gs.datePart('part','value','op')`.
    DatePart,
    /// `MORETHAN` / `LESSTHAN` `other@unit@before|after@n`.
    MoreThan,
    LessThan,
    /// `DYNAMIC` a dynamic filter option's sys_id (such as "Me").
    Dynamic,
    /// `IN_HIERARCHY` / `IN_HIERARCHY_DYNAMIC` `hierarchy@start`.
    InHierarchy,
    InHierarchyDynamic,
    /// Change conditions (email notifications, business rules): `VALCHANGES`,
    /// `CHANGESFROM`, `CHANGESTO`.
    ValChanges,
    ChangesFrom,
    ChangesTo,
    /// Tag conditions: `DOESNOTHAVE`, `EXCLUDING` (and `=` on `sys_tags.<tag>`).
    DoesNotHave,
    Excluding,
    /// A term kept verbatim: `field` is its leading field name (possibly empty, as for
    /// `EQ`), `value` the rest of the term, operator included.
    Raw,
}

impl Op {
    /// Spellings, longest first where one is a prefix of another (parse tries in order).
    /// `*`, `!*` and `%` are the page's short forms of LIKE, NOT LIKE and ENDSWITH;
    /// `EMPTY` / `NOTEMPTY` the spellings its integer-choice table gives for ISEMPTY /
    /// ISNOTEMPTY.
    pub(crate) const SPELLINGS: &'static [(&'static str, Op)] = &[
        ("ISNOTEMPTY", Op::IsNotEmpty),
        ("ISEMPTY", Op::IsEmpty),
        ("EMPTYSTRING", Op::EmptyString),
        ("NOTEMPTY", Op::IsNotEmpty),
        ("EMPTY", Op::IsEmpty),
        ("ANYTHING", Op::Anything),
        ("STARTSWITH", Op::StartsWith),
        ("ENDSWITH", Op::EndsWith),
        ("NOT LIKE", Op::NotLike),
        ("NOTLIKE", Op::NotLike),
        ("NOT IN", Op::NotIn),
        ("NOTIN", Op::NotIn),
        ("NOTON", Op::NotOn),
        ("NSAMEAS", Op::NSameAs),
        ("SAMEAS", Op::SameAs),
        ("GT_OR_EQUALS_FIELD", Op::GeField),
        ("LT_OR_EQUALS_FIELD", Op::LeField),
        ("GT_FIELD", Op::GtField),
        ("LT_FIELD", Op::LtField),
        ("BETWEEN", Op::Between),
        ("RELATIVE", Op::Relative),
        ("DATEPART", Op::DatePart),
        ("MORETHAN", Op::MoreThan),
        ("LESSTHAN", Op::LessThan),
        ("DYNAMIC", Op::Dynamic),
        ("IN_HIERARCHY_DYNAMIC", Op::InHierarchyDynamic),
        ("IN_HIERARCHY", Op::InHierarchy),
        ("VALCHANGES", Op::ValChanges),
        ("CHANGESFROM", Op::ChangesFrom),
        ("CHANGESTO", Op::ChangesTo),
        ("DOESNOTHAVE", Op::DoesNotHave),
        ("EXCLUDING", Op::Excluding),
        ("LIKE", Op::Like),
        ("IN", Op::In),
        ("ON", Op::On),
        ("!*", Op::NotLike),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("*", Op::Like),
        ("%", Op::EndsWith),
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
            Op::EmptyString => "EMPTYSTRING",
            Op::Anything => "ANYTHING",
            Op::Between => "BETWEEN",
            Op::SameAs => "SAMEAS",
            Op::NSameAs => "NSAMEAS",
            Op::GtField => "GT_FIELD",
            Op::LtField => "LT_FIELD",
            Op::GeField => "GT_OR_EQUALS_FIELD",
            Op::LeField => "LT_OR_EQUALS_FIELD",
            Op::On => "ON",
            Op::NotOn => "NOTON",
            Op::Relative => "RELATIVE",
            Op::DatePart => "DATEPART",
            Op::MoreThan => "MORETHAN",
            Op::LessThan => "LESSTHAN",
            Op::Dynamic => "DYNAMIC",
            Op::InHierarchy => "IN_HIERARCHY",
            Op::InHierarchyDynamic => "IN_HIERARCHY_DYNAMIC",
            Op::ValChanges => "VALCHANGES",
            Op::ChangesFrom => "CHANGESFROM",
            Op::ChangesTo => "CHANGESTO",
            Op::DoesNotHave => "DOESNOTHAVE",
            Op::Excluding => "EXCLUDING",
            Op::Raw => "",
        }
    }

    pub(crate) fn takes_value(self) -> bool {
        !matches!(self, Op::IsEmpty | Op::IsNotEmpty | Op::EmptyString | Op::Anything | Op::ValChanges)
    }

    /// Operators whose value names another field of the same record.
    pub fn names_field(self) -> bool {
        matches!(
            self,
            Op::SameAs
                | Op::NSameAs
                | Op::GtField
                | Op::LtField
                | Op::GeField
                | Op::LeField
                | Op::MoreThan
                | Op::LessThan
        )
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
    /// The other field a field-to-field operator names (`SAMEAS`, `GT_FIELD`,
    /// `MORETHAN`, …): the value up to its first `@`.
    pub fn other_field(&self) -> Option<&str> {
        self.op.names_field().then(|| self.value.split('@').next().unwrap_or("").trim())
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

    /// Every field named, in conditions (both sides of a field-to-field comparison)
    /// and order keys (raw terms name theirs too).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.alternatives
            .iter()
            .flatten()
            .flatten()
            .flat_map(|c| std::iter::once(c.field.as_str()).chain(c.other_field()))
            .chain(self.order.iter().map(|o| o.field.as_str()))
            .filter(|f| !f.is_empty())
    }
}

/// Whether text reads as an encoded query with at least one operator this module knows
/// (or an order key), rather than words to search for.
pub fn is_encoded(text: &str) -> bool {
    parse(text.trim()).is_ok_and(|q| {
        !q.order.is_empty() || q.alternatives.iter().flatten().flatten().any(|c| c.op != Op::Raw && !c.field.is_empty())
    })
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
            ("c<5", false),
            ("cEMPTYSTRING", true),
            ("aEMPTYSTRING", false),
            ("cANYTHING", true),
            ("aBETWEEN9@10", true),
            ("aBETWEEN11@20", false),
            ("bBETWEENG@I", true),
            ("bBETWEENa@g", false),
            ("bBETWEENA@H", true),
            ("aSAMEASa", true),
            ("aNSAMEASb", true),
            ("aSAMEASb", false),
            ("cSAMEASc", false),
            ("aGT_FIELDc", false),
            ("aGT_OR_EQUALS_FIELDa", true),
            ("aLT_FIELDa", false),
            ("aLT_OR_EQUALS_FIELDa", true),
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

    /// A reference key sorts by what the map gives (the display value), a value it does
    /// not list as itself; a Document ID's map is picked by its table column.
    #[test]
    fn order_keys_look_references_up() {
        use std::collections::HashMap;
        let cols = |f: &str| COLS.iter().position(|x| *x == f);
        let names = HashMap::from([("id1".to_string(), "Zed".to_string()), ("id2".to_string(), "Ann".to_string())]);
        let c = parse("ORDERBYa")
            .unwrap()
            .compile(cols)
            .unwrap()
            .with_order_keys(vec![(OrderKey::Lookup(0, names.clone()), false)]);
        let (r1, r2) = (row(&COLS, &[("a", "id1")]), row(&COLS, &[("a", "id2")]));
        assert_eq!(c.compare(&r1, &r2), Ordering::Greater, "Zed after Ann, though id1 < id2");
        assert_eq!(c.compare(&row(&COLS, &[("a", "")]), &r2), Ordering::Less, "an empty reference first");
        assert_eq!(c.compare(&row(&COLS, &[("a", "A-dangling")]), &r2), Ordering::Less, "unknown: as itself");
        assert_eq!(c.order(), &[(0, false)]);
        let by = HashMap::from([("t".to_string(), names)]);
        let d = parse("ORDERBYDESCa")
            .unwrap()
            .compile(cols)
            .unwrap()
            .with_order_keys(vec![(OrderKey::LookupBy { col: 0, by: 1, map: by }, true)]);
        let (s1, s2) = (row(&COLS, &[("a", "id1"), ("b", "t")]), row(&COLS, &[("a", "id2"), ("b", "t")]));
        assert_eq!(d.compare(&s1, &s2), Ordering::Less, "descending: Zed first");
        assert_eq!(collate("Zed", "ann"), Ordering::Less, "as written: upper case first");
    }

    #[test]
    fn operator_terms_print_back_as_they_came() {
        for text in [
            "sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()",
            "state=error^EQ",
            "provider.title=Acme^ORDERBYnumber",
            "sys_created_onRELATIVEGT@hour@ago@3^ORsys_created_onDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')",
            "priorityBETWEEN1@3^NQEQ",
            "aISEMPTYx",
            "aSAMEASb^aGT_OR_EQUALS_FIELDb^aNSAMEASc@day^aMORETHANb@day@before@1^aEMPTYSTRING^bANYTHING",
            "callerDYNAMIC54635e965f510100a9ad2572f2b4774c^managerIN_HIERARCHYx@y^stateVALCHANGES",
        ] {
            let q = parse(text).unwrap();
            assert_eq!(q.to_string(), text, "prints back as it came");
        }
        let q = parse("a=1^sys_created_onONToday@x@y").unwrap();
        assert_eq!(
            q.alternatives[0][1][0],
            Condition { field: "sys_created_on".into(), op: Op::On, value: "Today@x@y".into() }
        );
        let raw = parse("a=1^EQ^bFOObar").unwrap();
        assert_eq!(raw.alternatives[0][2][0], Condition { field: "b".into(), op: Op::Raw, value: "FOObar".into() });
        // The page's short forms read as the operators they stand for.
        assert_eq!(
            parse("a*x^b!*y^c%z^aEMPTY^bNOTEMPTY").unwrap().to_string(),
            "aLIKEx^bNOT LIKEy^cENDSWITHz^aISEMPTY^bISNOTEMPTY"
        );
        assert_eq!(parse("aSAMEASb@day").unwrap().fields().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(q.fields().collect::<Vec<_>>(), ["a", "sys_created_on"]);
        // Keywords cannot start a field-less raw term: they would read back as keywords.
        assert!(parse("NQORx").is_err());
        // A raw term is refused by the strict compile and bound by a binder.
        let cols = |f: &str| COLS.iter().position(|x| *x == f);
        assert!(parse("a=1^EQ").unwrap().compile(cols).is_err());
        assert!(parse("aDYNAMIC54635e965f510100a9ad2572f2b4774c").unwrap().compile(cols).is_err());
        assert!(parse("aSAMEASnosuch").unwrap().compile(cols).is_err());
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
        let rq = parse("aBETWEEN2@4").unwrap().compile_with(|_| Bind::Typed(0, FieldType::Number), cols);
        assert!(rq.matches(&row(&COLS, &[("a", "3")])) && !rq.matches(&row(&COLS, &[("a", "5")])));
        // An invalid term is what the caller says: ignored, or nothing.
        let bad = |_: &Condition| Bind::Invalid("no".into());
        assert!(parse("a=9").unwrap().compile_in(bad, cols, &Ctx::utc_now(), true).is_unconditional());
        assert!(!parse("a=9").unwrap().compile_in(bad, cols, &Ctx::utc_now(), false).matches(&r));
        // A date operator on a number is invalid, not "match all".
        let typed = |_: &Condition| Bind::Typed(0, FieldType::Number);
        let on = parse("aONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()").unwrap();
        assert!(!on.compile_in(typed, cols, &Ctx::utc_now(), false).matches(&r));
    }
}
