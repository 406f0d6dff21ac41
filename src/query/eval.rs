//! Evaluation: a [`Query`] bound to a table's columns ([`Compiled`]), matching rows and
//! ordering them without allocating, and the hints the instance's indexes read.

use std::cmp::Ordering;
use std::fmt;

use super::{Condition, Op, Query};

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
    /// Inclusive `[lo, hi]`, or outside it when negated.
    Range(String, String, bool),
    Const(bool),
}

struct CCond {
    col: usize,
    test: Test,
}

/// A query bound to a table's columns.
pub struct Compiled {
    alternatives: Vec<Vec<Vec<CCond>>>,
    order: Vec<(usize, bool)>,
    /// Every alternative folded to false: no row matches.
    never: bool,
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
            Test::Range(lo, hi, negate) => (v >= lo.as_str() && v <= hi.as_str() && !v.is_empty()) != *negate,
            Test::Const(b) => *b,
        }
    }
}

/// What a condition means for the table a query runs on (see [`Query::compile_with`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Evaluate the condition itself on this column.
    Col(usize),
    /// Evaluate this condition instead, on this column: a rewrite such as a dot-walked
    /// `provider.title=X` → `provider IN <ids>`, or a `javascript:` value → its date.
    Rewrite(usize, Condition),
    /// The column's value lies in `[lo, hi]` (or outside it when `negate`): `ON`, `BETWEEN`.
    Range { col: usize, lo: String, hi: String, negate: bool },
    /// The term matches every row (an ignored term) or none.
    Const(bool),
}

fn test_of(c: &Condition) -> Test {
    let list = |v: &str| v.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>();
    match c.op {
        Op::Eq => Test::Eq(c.value.clone()),
        Op::Ne => Test::Ne(c.value.clone()),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => Test::Cmp(c.op, c.value.clone(), c.value.trim().parse().ok()),
        Op::In => Test::In(list(&c.value)),
        Op::NotIn => Test::NotIn(list(&c.value)),
        Op::Like => Test::Like(c.value.to_lowercase()),
        Op::NotLike => Test::NotLike(c.value.to_lowercase()),
        Op::StartsWith => Test::Starts(c.value.clone()),
        Op::EndsWith => Test::Ends(c.value.clone()),
        Op::IsEmpty => Test::Empty,
        Op::IsNotEmpty => Test::NotEmpty,
        // Only reached through a binder that rewrote nothing: a raw term is not ours to judge.
        Op::Raw => Test::Const(true),
    }
}

impl Query {
    /// Binds field names to columns; an unknown field, or a raw term (which only a
    /// binder can give a meaning), is an error, never ignored.
    pub fn compile(&self, resolve: impl Fn(&str) -> Option<usize>) -> Result<Compiled, UnknownField> {
        let bad = std::cell::RefCell::new(None);
        let c = self.compile_with(
            |c| match (c.op, resolve(&c.field)) {
                (Op::Raw, _) => {
                    bad.borrow_mut().get_or_insert_with(|| UnknownField(format!("{}{}", c.field, c.value)));
                    Bind::Const(true)
                }
                (_, None) => {
                    bad.borrow_mut().get_or_insert_with(|| UnknownField(c.field.clone()));
                    Bind::Const(true)
                }
                (_, Some(col)) => Bind::Col(col),
            },
            |f| {
                let col = resolve(f);
                if col.is_none() {
                    bad.borrow_mut().get_or_insert_with(|| UnknownField(f.to_string()));
                }
                col
            },
        );
        match bad.into_inner() {
            Some(e) => Err(e),
            None => Ok(c),
        }
    }

    /// Binds each condition through `bind` and each order key through `order` (a key it
    /// cannot place is left out, as a real instance ignores it). Constant terms fold
    /// away, so an ignored term costs nothing per row and leaves index use intact.
    pub fn compile_with(&self, bind: impl Fn(&Condition) -> Bind, order: impl Fn(&str) -> Option<usize>) -> Compiled {
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
                    let (col, test) = match bind(c) {
                        Bind::Col(col) => (col, test_of(c)),
                        Bind::Rewrite(col, c2) => (col, test_of(&c2)),
                        Bind::Range { col, lo, hi, negate } => (col, Test::Range(lo, hi, negate)),
                        Bind::Const(v) => (usize::MAX, Test::Const(v)),
                    };
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
        let order = self.order.iter().filter_map(|o| Some((order(&o.field)?, o.desc))).collect();
        Compiled { alternatives, order, never }
    }
}

impl Compiled {
    pub fn matches<S: AsRef<str>>(&self, row: &[S]) -> bool {
        let val = |c: usize| row.get(c).map(|s| s.as_ref()).unwrap_or("");
        if self.never {
            return false;
        }
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
