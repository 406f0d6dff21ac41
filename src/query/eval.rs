//! Evaluation: a [`Query`] bound to a table's columns ([`Compiled`]), matching rows and
//! ordering them without allocating, and the hints the instance's indexes read.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use super::{Condition, Ctx, Op, Part, Query, Unit};

/// A field the table does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField(pub String);

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a field holds, as far as evaluation cares: which reading of `BETWEEN` applies,
/// and which operators apply at all (the date ones only to date-times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    DateTime,
    Bool,
    Choice,
    Reference,
}

enum Test {
    Eq(String),
    Ne(String),
    /// A comparison with a value (numeric when both sides are numbers); an empty value
    /// (NULL on a real instance) compares with nothing.
    Cmp(Op, String, Option<f64>),
    In(Vec<String>),
    NotIn(Vec<String>),
    Like(String),
    NotLike(String),
    Starts(String),
    Ends(String),
    Empty,
    NotEmpty,
    /// Inclusive `[lo, hi]` of fixed-width values (date-times), or a non-empty value
    /// outside it when negated.
    Range(String, String, bool),
    /// Inclusive numeric range.
    NumRange(f64, f64),
    /// Text range (values compare as written: "Column names, operators, and values are
    /// case-sensitive", Table API page); a value starting with `hi` counts as up to it
    /// (the page: `BETWEENq@t` is "the first letter … is q, r, s, or t").
    TextRange(String, String),
    /// A comparison with another column of the row (`GT_FIELD`, `SAMEAS`, …).
    Field(Op, usize),
    /// The same (or a different) part of two date-times (`SAMEAS@day`).
    SamePart(usize, Part, bool, String),
    /// A part of the date-time compared with a value (`DATEPART`).
    DatePart(Part, i64, Ordering, bool, String),
    /// `MORETHAN` / `LESSTHAN`: the gap to another date-time column.
    Gap {
        other: usize,
        unit: Unit,
        n: i64,
        before: bool,
        more: bool,
    },
    Const(bool),
}

struct CCond {
    col: usize,
    test: Test,
}

/// What an order key sorts by ([`Compiled::with_order_keys`]). A list sorted by a
/// reference column is ordered by what the column shows, the referenced record's
/// display value: "Field types other than choice list types are sorted based on the
/// label", while "choice list fields are sorted by the underlying dictionary entry
/// value" (platform-user-interface/configure-use-list-functions.md, "Sort a list").
#[derive(Debug, Clone, PartialEq)]
pub enum OrderKey {
    /// The column's own value.
    Col(usize),
    /// The value the map gives the column's value (a reference's display value, a field
    /// of the referenced record); a value the map does not list sorts as itself (an
    /// empty reference sorts as empty).
    Lookup(usize, HashMap<String, String>),
    /// As `Lookup`, through the map another column's value picks (a Document ID, whose
    /// table is named by another field): `by` column → (value → sort value).
    LookupBy { col: usize, by: usize, map: HashMap<String, HashMap<String, String>> },
}

impl OrderKey {
    fn col(&self) -> usize {
        match self {
            OrderKey::Col(c) | OrderKey::Lookup(c, _) | OrderKey::LookupBy { col: c, .. } => *c,
        }
    }

    /// The value a row sorts by; allocation-free.
    fn of<'a, S: AsRef<str>>(&'a self, row: &'a [S]) -> &'a str {
        let val = |c: usize| row.get(c).map(AsRef::as_ref).unwrap_or("");
        match self {
            OrderKey::Col(c) => val(*c),
            OrderKey::Lookup(c, m) => {
                let v = val(*c);
                m.get(v).map_or(v, String::as_str)
            }
            OrderKey::LookupBy { col, by, map } => {
                let v = val(*col);
                map.get(val(*by)).and_then(|m| m.get(v)).map_or(v, String::as_str)
            }
        }
    }
}

/// A query bound to a table's columns.
pub struct Compiled {
    alternatives: Vec<Vec<Vec<CCond>>>,
    /// (column, descending) of each order key, as the indexes read them.
    order: Vec<(usize, bool)>,
    /// What each order key sorts by (parallel to `order`).
    keys: Vec<OrderKey>,
    /// Every alternative folded to false: no row matches.
    never: bool,
}

/// A total order for sorting: empty values first, then numbers (as numbers), then
/// everything else as strings (date-times are `YYYY-MM-DD HH:MM:SS`, so that orders
/// them too). Numbers and strings are never compared with each other: mixing the two
/// comparisons is not transitive (`1a` < `2` < `10` < `1a`), and a sort with such a
/// comparison misorders rows or panics.
///
/// Strings compare as written, code point by code point (`Zeta` before `alpha`): the
/// documentation says lists sort "according to the English alphabet"
/// (platform-administration/list-administration/c_ControlTheListSortSequence.md) and
/// does not say how case compares, so the embedded instance keeps the one order it uses
/// everywhere, and the console re-sorts a window with this same function
/// ([`collate`]) so the two never disagree.
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

/// The order the embedded instance sorts values in (see `compare_values`), for a
/// client that re-sorts rows it holds and must agree with the instance's pages.
pub fn collate(x: &str, y: &str) -> Ordering {
    compare_values(x, y)
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

fn holds(op: Op, o: Ordering) -> bool {
    match op {
        Op::Gt | Op::GtField => o == Ordering::Greater,
        Op::Ge | Op::GeField => o != Ordering::Less,
        Op::Lt | Op::LtField => o == Ordering::Less,
        _ => o != Ordering::Greater,
    }
}

fn local_of(v: &str, zone: &str) -> Option<chrono::NaiveDateTime> {
    crate::time::parse(v).map(|t| super::tz::local(t, zone))
}

impl Test {
    fn eval<'a>(&self, v: &str, col: &dyn Fn(usize) -> &'a str) -> bool {
        match self {
            Test::Eq(x) => v == x,
            Test::Ne(x) => v != x,
            Test::Cmp(op, x, n) => !v.is_empty() && holds(*op, cmp_values(v, x, *n)),
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
            Test::Range(lo, hi, negate) => !v.is_empty() && ((v >= lo.as_str() && v <= hi.as_str()) != *negate),
            Test::NumRange(lo, hi) => numeric(v).is_some_and(|x| *lo <= x && x <= *hi),
            Test::TextRange(lo, hi) => {
                !v.is_empty() && v >= lo.as_str() && (v <= hi.as_str() || v.starts_with(hi.as_str()))
            }
            Test::Field(op, other) => {
                let w = col(*other);
                match op {
                    Op::SameAs => !v.is_empty() && v == w,
                    Op::NSameAs => v != w,
                    _ => !v.is_empty() && !w.is_empty() && holds(*op, cmp_values(v, w, numeric(w))),
                }
            }
            Test::SamePart(other, part, negate, zone) => match (local_of(v, zone), local_of(col(*other), zone)) {
                (Some(a), Some(b)) => (part.of(a) == part.of(b)) != *negate,
                _ => false,
            },
            Test::DatePart(part, n, want, or_equal, zone) => local_of(v, zone).is_some_and(|l| {
                let o = part.of(l).cmp(n);
                o == *want || (*or_equal && o == Ordering::Equal)
            }),
            Test::Gap { other, unit, n, before, more } => {
                let (Some(a), Some(b)) = (local_of(v, ""), local_of(col(*other), "")) else { return false };
                let Some(edge) = super::dates::shift(b, *unit, if *before { -n } else { *n }) else { return false };
                match (before, more) {
                    (true, true) => a < edge,
                    (true, false) => edge < a && a <= b,
                    (false, true) => a > edge,
                    (false, false) => b <= a && a < edge,
                }
            }
            Test::Const(b) => *b,
        }
    }
}

/// What a condition means for the table a query runs on (see [`Query::compile_in`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Evaluate the condition itself on this column (its type judged by its values).
    Col(usize),
    /// Evaluate the condition itself on this column of this type.
    Typed(usize, FieldType),
    /// Evaluate this condition instead, on this column: a rewrite such as a dot-walked
    /// `provider.title=X` → `provider IN <ids>`.
    Rewrite(usize, Condition),
    /// The term holds for every row or for none, by what it says (not by a guess).
    Const(bool),
    /// A term a real instance counts as invalid (an unknown field, an operator that does
    /// not apply to the field): ignored, or no rows, as the instance is set up.
    Invalid(String),
}

/// The "Me" option of the reference operator "is (dynamic)" (the page's example:
/// `caller_idDYNAMIC54635e965f510100a9ad2572f2b4774c`): the API user.
pub const DYNAMIC_ME: &str = "54635e965f510100a9ad2572f2b4774c";

fn is_date_op(c: &Condition) -> bool {
    matches!(c.op, Op::On | Op::NotOn | Op::Relative | Op::DatePart | Op::MoreThan | Op::LessThan)
        || (matches!(c.op, Op::SameAs | Op::NSameAs) && c.value.contains('@'))
}

/// A `javascript:` operand, evaluated: the user's identity or a date helper.
fn operand(v: &str, ctx: &Ctx) -> Result<String, String> {
    let Some(expr) = v.trim().strip_prefix("javascript:") else { return Ok(v.to_string()) };
    let unknown = || format!("cannot evaluate `{v}`");
    match expr.trim().trim_end_matches(';').trim() {
        "gs.getUserID()" | "gs.userID()" | "gs.user_id()" => ctx.user_id.clone().ok_or_else(unknown),
        "gs.getUserName()" => ctx.user_name.clone().ok_or_else(unknown),
        _ => super::dates::eval_date(v, ctx).ok_or_else(unknown),
    }
}

/// The test a condition asks of its column, or why it cannot be evaluated.
fn test_of(
    c: &Condition,
    ty: Option<FieldType>,
    ctx: &Ctx,
    resolve: &dyn Fn(&str) -> Option<usize>,
) -> Result<Test, String> {
    let list = |v: &str| v.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>();
    let date = ty.is_none_or(|t| t == FieldType::DateTime);
    if is_date_op(c) && !date {
        return Err(format!("{} applies to date-time fields only", c.op.as_str()));
    }
    let other = || -> Result<usize, String> {
        let f = c.other_field().unwrap_or("");
        resolve(f).ok_or_else(|| format!("unknown field `{f}`"))
    };
    let zone = || ctx.tz.clone();
    Ok(match c.op {
        Op::Eq => Test::Eq(operand(&c.value, ctx)?),
        Op::Ne => Test::Ne(operand(&c.value, ctx)?),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let v = operand(&c.value, ctx)?;
            let n = v.trim().parse().ok();
            Test::Cmp(c.op, v, n)
        }
        Op::In => Test::In(list(&c.value)),
        Op::NotIn => Test::NotIn(list(&c.value)),
        Op::Like => Test::Like(c.value.to_lowercase()),
        Op::NotLike => Test::NotLike(c.value.to_lowercase()),
        Op::StartsWith => Test::Starts(c.value.clone()),
        Op::EndsWith => Test::Ends(c.value.clone()),
        Op::IsEmpty | Op::EmptyString => Test::Empty,
        Op::IsNotEmpty => Test::NotEmpty,
        Op::Anything => Test::Const(true),
        Op::Between => {
            let (lo, hi) = c.value.split_once('@').ok_or("BETWEEN needs `low@high`")?;
            let (nlo, nhi) = (numeric(lo), numeric(hi));
            let dates = || -> Option<(String, String)> {
                Some((super::dates::eval_date(lo, ctx)?, super::dates::eval_date(hi, ctx)?))
            };
            let text = || Test::TextRange(lo.to_string(), hi.to_string());
            match ty {
                Some(FieldType::DateTime) => {
                    let (l, h) = dates().ok_or_else(|| format!("cannot evaluate the dates of `{}`", c.value))?;
                    Test::Range(l, h, false)
                }
                Some(FieldType::Number) => match (nlo, nhi) {
                    (Some(l), Some(h)) => Test::NumRange(l, h),
                    _ => return Err(format!("`{}` are not numbers", c.value)),
                },
                Some(FieldType::Text | FieldType::Reference | FieldType::Bool) => text(),
                Some(FieldType::Choice) | None => match ((nlo, nhi), dates()) {
                    ((Some(l), Some(h)), _) => Test::NumRange(l, h),
                    (_, Some((l, h))) => Test::Range(l, h, false),
                    _ => text(),
                },
            }
        }
        Op::SameAs | Op::NSameAs | Op::GtField | Op::LtField | Op::GeField | Op::LeField => {
            let o = other()?;
            match c.value.split_once('@') {
                Some((_, unit)) if matches!(c.op, Op::SameAs | Op::NSameAs) => {
                    let part = match Unit::parse(unit) {
                        Some(Unit::Hour) => Part::Hour,
                        Some(Unit::Day) => Part::DayOfMonth,
                        Some(Unit::Week) => Part::Week,
                        Some(Unit::Month) => Part::Month,
                        Some(Unit::Quarter) => Part::Quarter,
                        Some(Unit::Year) => Part::Year,
                        _ => return Err(format!("unknown date part `{unit}`")),
                    };
                    Test::SamePart(o, part, c.op == Op::NSameAs, zone())
                }
                Some(_) => return Err(format!("`{}` is not a field", c.value)),
                None => Test::Field(c.op, o),
            }
        }
        Op::On | Op::NotOn => {
            let parts: Vec<&str> = c.value.split('@').collect();
            let [_, .., lo, hi] = parts.as_slice() else { return Err("ON needs `label@start@end`".into()) };
            if parts.len() < 3 {
                return Err("ON needs `label@start@end`".into());
            }
            let eval = |x: &str| super::dates::eval_date(x, ctx).ok_or_else(|| format!("cannot evaluate `{x}`"));
            Test::Range(eval(lo)?, eval(hi)?, c.op == Op::NotOn)
        }
        Op::Relative => {
            let (op, lo, hi) =
                super::dates::relative(&c.value, ctx).ok_or_else(|| format!("cannot read RELATIVE{}", c.value))?;
            let f = crate::time::format;
            match op.as_str() {
                "EE" => Test::Range(f(lo), f(hi), false),
                "GT" => Test::Cmp(Op::Gt, f(lo), None),
                "GE" => Test::Cmp(Op::Ge, f(lo), None),
                "LT" => Test::Cmp(Op::Lt, f(lo), None),
                _ => Test::Cmp(Op::Le, f(lo), None),
            }
        }
        Op::DatePart => {
            let (part, n, op) =
                super::dates::date_part(&c.value).ok_or_else(|| format!("cannot read DATEPART{}", c.value))?;
            let (want, or_equal) = match op.as_str() {
                "GT" => (Ordering::Greater, false),
                "GE" => (Ordering::Greater, true),
                "LT" => (Ordering::Less, false),
                "LE" => (Ordering::Less, true),
                _ => (Ordering::Equal, true),
            };
            Test::DatePart(part, n, want, or_equal, zone())
        }
        Op::MoreThan | Op::LessThan => {
            let o = other()?;
            let parts: Vec<&str> = c.value.split('@').collect();
            let bad = || format!("cannot read {}{}", c.op.as_str(), c.value);
            let [_, unit, dir, n] = parts.as_slice() else { return Err(bad()) };
            let unit = Unit::parse(unit).ok_or_else(bad)?;
            let n = n.trim().parse::<i64>().map_err(|_| bad())?;
            let before = match *dir {
                "before" => true,
                "after" => false,
                _ => return Err(bad()),
            };
            Test::Gap { other: o, unit, n, before, more: c.op == Op::MoreThan }
        }
        Op::Dynamic => match (c.value.trim(), &ctx.user_id) {
            (DYNAMIC_ME, Some(me)) => Test::Eq(me.clone()),
            _ => return Err(format!("unknown dynamic filter option `{}`", c.value)),
        },
        Op::InHierarchy | Op::InHierarchyDynamic => {
            return Err(format!("{}: no record hierarchy is defined", c.op.as_str()));
        }
        Op::ValChanges | Op::ChangesFrom | Op::ChangesTo => {
            return Err(format!("{} describes a change, not a stored value", c.op.as_str()));
        }
        Op::DoesNotHave | Op::Excluding => return Err(format!("{} applies to tags only", c.op.as_str())),
        Op::Raw => return Err(format!("unknown operator in `{}{}`", c.field, c.value)),
    })
}

impl Query {
    /// Binds field names to columns and evaluates every operator, relative dates now and
    /// in UTC; an unknown field, or a term that cannot be evaluated here (an unknown
    /// operator, `DYNAMIC` without a user, …), is an error, never ignored.
    pub fn compile(&self, resolve: impl Fn(&str) -> Option<usize>) -> Result<Compiled, UnknownField> {
        self.compile_at(resolve, &Ctx::utc_now())
    }

    /// As [`Query::compile`], with relative dates evaluated against `ctx`.
    pub fn compile_at(&self, resolve: impl Fn(&str) -> Option<usize>, ctx: &Ctx) -> Result<Compiled, UnknownField> {
        let bad = std::cell::RefCell::new(None);
        let note = |e: UnknownField| {
            bad.borrow_mut().get_or_insert(e);
        };
        let c = self.build(
            &|c| match resolve(&c.field) {
                None => {
                    note(UnknownField(c.field.clone()));
                    Bind::Const(true)
                }
                Some(col) => Bind::Col(col),
            },
            &|f| {
                let col = resolve(f);
                if col.is_none() {
                    note(UnknownField(f.to_string()));
                }
                col
            },
            ctx,
            &|c, _| {
                note(UnknownField(format!("{}{}{}", c.field, c.op.as_str(), c.value)));
                true
            },
        );
        match bad.into_inner() {
            Some(e) => Err(e),
            None => Ok(c),
        }
    }

    /// Binds each condition through `bind` and each order key (and the other field of a
    /// field-to-field comparison) through `order` (an order key it cannot place is left
    /// out, as a real instance ignores it), evaluating relative dates now in UTC; an
    /// invalid term is ignored (logged).
    pub fn compile_with(&self, bind: impl Fn(&Condition) -> Bind, order: impl Fn(&str) -> Option<usize>) -> Compiled {
        self.compile_in(bind, order, &Ctx::utc_now(), true)
    }

    /// As [`Query::compile_with`], against `ctx`; an invalid term (see [`Bind::Invalid`])
    /// holds for every row when `invalid` is true (a real instance ignores it) and for
    /// none otherwise (`glide.invalid_query.returns_no_rows`), and is logged (debug).
    /// Constant terms fold away, so an ignored term costs nothing per row and leaves
    /// index use intact.
    pub fn compile_in(
        &self,
        bind: impl Fn(&Condition) -> Bind,
        order: impl Fn(&str) -> Option<usize>,
        ctx: &Ctx,
        invalid: bool,
    ) -> Compiled {
        self.build(&bind, &order, ctx, &|c, why| {
            tracing::debug!(term = %format!("{}{}{}", c.field, c.op.as_str(), c.value), why, invalid, "invalid query term");
            invalid
        })
    }

    fn build(
        &self,
        bind: &dyn Fn(&Condition) -> Bind,
        order: &dyn Fn(&str) -> Option<usize>,
        ctx: &Ctx,
        on_invalid: &dyn Fn(&Condition, &str) -> bool,
    ) -> Compiled {
        let mut alternatives = Vec::new();
        let mut any_alt = false;
        let mut always = false;
        // An alternative without conditions adds nothing (see `Display`); with none left,
        // every row matches.
        for alt in self.alternatives.iter().filter(|a| a.iter().any(|g| !g.is_empty())) {
            any_alt = true;
            let mut terms = Vec::new();
            let mut dead = false;
            for group in alt.iter().filter(|g| !g.is_empty()) {
                let mut g = Vec::new();
                let mut true_group = false;
                for c in group {
                    let tested = match bind(c) {
                        Bind::Col(col) => test_of(c, None, ctx, order).map(|t| (col, t)),
                        Bind::Typed(col, ty) => test_of(c, Some(ty), ctx, order).map(|t| (col, t)),
                        Bind::Rewrite(col, c2) => test_of(&c2, None, ctx, order).map(|t| (col, t)),
                        Bind::Const(v) => Ok((usize::MAX, Test::Const(v))),
                        Bind::Invalid(why) => Err(why),
                    };
                    let (col, test) = tested.unwrap_or_else(|why| (usize::MAX, Test::Const(on_invalid(c, &why))));
                    match test {
                        Test::Const(true) => true_group = true,
                        Test::Const(false) => {}
                        test => g.push(CCond { col, test }),
                    }
                }
                if true_group {
                    continue; // an OR group with a true member is true: drop the term
                }
                if g.is_empty() {
                    dead = true; // every member false: the alternative matches nothing
                    break;
                }
                terms.push(g);
            }
            if dead {
                continue;
            }
            if terms.is_empty() {
                always = true;
            }
            alternatives.push(terms);
        }
        let never = any_alt && alternatives.is_empty();
        if always {
            alternatives.clear();
        }
        let order: Vec<(usize, bool)> = self.order.iter().filter_map(|o| Some((order(&o.field)?, o.desc))).collect();
        let keys = order.iter().map(|&(c, _)| OrderKey::Col(c)).collect();
        Compiled { alternatives, order, keys, never }
    }
}

impl Compiled {
    pub fn matches<S: AsRef<str>>(&self, row: &[S]) -> bool {
        let val = |c: usize| row.get(c).map(|s| s.as_ref()).unwrap_or("");
        if self.never {
            return false;
        }
        self.alternatives.is_empty()
            || self
                .alternatives
                .iter()
                .any(|alt| alt.iter().all(|group| group.iter().any(|c| c.test.eval(val(c.col), &val))))
    }

    /// Replaces the order keys with these (key, descending) pairs: a caller that knows
    /// the table's references sorts a reference by what it shows ([`OrderKey`]).
    pub fn with_order_keys(mut self, keys: Vec<(OrderKey, bool)>) -> Self {
        self.order = keys.iter().map(|(k, desc)| (k.col(), *desc)).collect();
        self.keys = keys.into_iter().map(|(k, _)| k).collect();
        self
    }

    /// Orders two rows by the order keys; allocation-free (it runs a million times a sort).
    pub fn compare<S: AsRef<str>>(&self, a: &[S], b: &[S]) -> Ordering {
        for (k, &(_, desc)) in self.keys.iter().zip(&self.order) {
            let o = compare_values(k.of(a), k.of(b));
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
        !self.never && self.alternatives.iter().all(|a| a.is_empty())
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
                Test::Cmp(Op::Ge, v, None) | Test::Eq(v) | Test::Range(v, _, false) => Some((v.as_str(), true)),
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
