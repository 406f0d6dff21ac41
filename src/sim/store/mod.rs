//! In-memory tables of the embedded instance.
//!
//! A row is an `Arc<[Arc<str>]>` in the column order of its [`TableDef`]: readers clone
//! the `Arc` and drop the lock at once, writers replace the whole row, so a failed
//! write can never leave a half-written record. Values of low-cardinality columns are
//! interned so a million seeded rows share their `state`, `provider`, … strings.
//!
//! Listing order without `ORDERBY` is insertion order (stable across pages); rows that
//! tie on every order key keep a fixed order too (insertion order, reversed for a
//! descending key), so paging never repeats or skips a tied row.
//!
//! Indexes: `sys_updated_on` (ordered; newest-first pages and delta queries), and an
//! equality index on every choice column and `provider` (value → row positions), so a
//! filter like `state=error^provider=X` reads its candidates instead of the table, and
//! counts grouped by state come from the index sizes.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

mod write;

pub use write::{Store, WriteHook};

use super::schema::{Kind, SYS_UPDATED_ON, TableDef};
use crate::query::Compiled;

pub type Row = Arc<[Arc<str>]>;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    #[error("Invalid table {0}")]
    UnknownTable(String),
    #[error("No Record found")]
    NotFound,
    #[error("Invalid value for field {field}: {why}")]
    BadValue { field: String, why: String },
}

/// Aggregates of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Agg {
    pub count: usize,
    pub sum: Vec<f64>,
    pub min: Vec<Option<Arc<str>>>,
    pub max: Vec<Option<Arc<str>>>,
}

impl Agg {
    fn new(n: usize) -> Agg {
        Agg { count: 0, sum: vec![0.0; n], min: vec![None; n], max: vec![None; n] }
    }
}

pub struct Table {
    pub def: &'static TableDef,
    rows: Vec<Option<Row>>,
    by_id: HashMap<Arc<str>, u32>,
    /// Rows by `sys_updated_on`: newest-first pages and delta queries walk this instead
    /// of sorting or scanning the table.
    by_updated: BTreeSet<(Arc<str>, u32)>,
    /// Per column: value → live rows holding it, by (`sys_updated_on`, position), for
    /// choice columns and `provider`.
    by_value: Vec<Option<HashMap<Arc<str>, Postings>>>,
    live: usize,
    next_number: u64,
}

/// Rows of one indexed value, in `sys_updated_on` order: keys from [`posting`].
type Postings = BTreeSet<u64>;

/// What [`Table::narrowest`] found.
struct Narrowest<'a> {
    col: usize,
    /// Values the query allows in `col` (`=` one, `IN` several).
    values: usize,
    /// The rows of each of those values the index holds.
    sets: Vec<&'a Postings>,
    rows: usize,
}

/// A row's key in [`Postings`]: its `sys_updated_on` as seconds since 1970 in the high
/// half, its position in the low half — ordered as the text times and positions are,
/// in 8 bytes instead of a shared string and a position.
fn posting(updated: &str, idx: u32) -> u64 {
    (u64::from(epoch_secs(updated)) << 32) | u64::from(idx)
}

fn position(key: u64) -> u32 {
    key as u32
}

/// Seconds since 1970 of `YYYY-MM-DD HH:MM:SS` (0 for anything else), without chrono:
/// seeding a million rows parses a million of these.
fn epoch_secs(s: &str) -> u32 {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, &d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))
    };
    let parts = (|| Some((num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?)))();
    let Some((y, m, d, hh, mm, ss)) = parts else { return 0 };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u32::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).unwrap_or(0)
}

impl Table {
    fn new(def: &'static TableDef) -> Self {
        let by_value =
            def.fields.iter().map(|f| (f.kind == Kind::Choice || f.name == "provider").then(HashMap::new)).collect();
        Table {
            def,
            rows: Vec::new(),
            by_id: HashMap::new(),
            by_updated: BTreeSet::new(),
            by_value,
            live: 0,
            next_number: 1000,
        }
    }

    /// Adds (or removes) a row at `idx` to the equality indexes.
    fn index_row(&mut self, idx: u32, row: &[Arc<str>], add: bool) {
        for (c, index) in self.by_value.iter_mut().enumerate() {
            let Some(index) = index else { continue };
            let key = posting(&row[SYS_UPDATED_ON], idx);
            if add {
                index.entry(Arc::clone(&row[c])).or_default().insert(key);
            } else if let Some(set) = index.get_mut(&row[c]) {
                set.remove(&key);
                if set.is_empty() {
                    index.remove(&row[c]);
                }
            }
        }
    }

    /// The most selective equality index `q` constrains: the column, how many values the
    /// query allows it, and the rows of those values present.
    fn narrowest(&self, q: &Compiled) -> Option<Narrowest<'_>> {
        let mut best: Option<Narrowest<'_>> = None;
        for (col, index) in self.by_value.iter().enumerate() {
            let (Some(index), Some(values)) = (index, q.eq_values(col)) else { continue };
            let sets: Vec<&Postings> = values.iter().filter_map(|v| index.get(*v)).collect();
            let rows = sets.iter().map(|s| s.len()).sum();
            if best.as_ref().is_none_or(|b| rows < b.rows) {
                best = Some(Narrowest { col, values: values.len(), sets, rows });
            }
        }
        best
    }

    /// Positions of the rows that can match `q`, from the most selective equality index
    /// it constrains, in insertion order; `None` when no index applies.
    fn candidates(narrow: Option<&Narrowest<'_>>) -> Option<Vec<u32>> {
        let n = narrow?;
        let mut out: Vec<u32> = Vec::with_capacity(n.rows);
        for set in &n.sets {
            out.extend(set.iter().map(|k| position(*k)));
        }
        out.sort_unstable();
        Some(out)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn get(&self, sys_id: &str) -> Option<Row> {
        let i = *self.by_id.get(sys_id)?;
        self.rows.get(i as usize)?.clone()
    }

    /// Every live row, in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Row> {
        self.rows.iter().flatten()
    }

    /// Rows matching `q`, sorted by its order keys, with the total before paging
    /// (`None` when `count` is false and it was not free to know).
    pub fn select(&self, q: &Compiled, offset: usize, limit: usize, count: bool) -> (Option<usize>, Vec<Row>) {
        let narrow = self.narrowest(q);
        if let Some(r) = self.select_by_value_updated(q, narrow.as_ref(), offset, limit, count) {
            return r;
        }
        let candidates = Self::candidates(narrow.as_ref());
        // The sys_updated_on walk wins unless an index narrows the rows to a quarter.
        if candidates.as_ref().is_none_or(|c| c.len() * 4 > self.live)
            && let Some(r) = self.select_by_updated(q, offset, limit, count)
        {
            return r;
        }
        let mut hits: Vec<(u32, &Row)> = match &candidates {
            Some(ids) => ids
                .iter()
                .filter_map(|&i| Some((i, self.rows.get(i as usize)?.as_ref()?)))
                .filter(|(_, r)| q.matches(r))
                .collect(),
            None => self
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((i as u32, r.as_ref()?)))
                .filter(|(_, r)| q.matches(r))
                .collect(),
        };
        let total = hits.len();
        if offset >= total || limit == 0 {
            return (Some(total), Vec::new());
        }
        let end = offset.saturating_add(limit).min(total);
        if q.has_order() {
            // Ties keep insertion order, reversed under a descending last key, as the
            // sys_updated_on walk does: a query pages the same way whichever path serves it.
            let desc = q.order().last().is_some_and(|(_, d)| *d);
            // sys_updated_on alone (the default order) compares as plain text: its values
            // are fixed-width date-times, which is what the general compare does with them.
            let by_updated = updated_order(q).is_some();
            let cmp = |a: &(u32, &Row), b: &(u32, &Row)| {
                let o = if by_updated {
                    let o = a.1[SYS_UPDATED_ON].cmp(&b.1[SYS_UPDATED_ON]);
                    if desc { o.reverse() } else { o }
                } else {
                    q.compare(a.1, b.1)
                };
                o.then_with(|| if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) })
            };
            // Only the first `end` rows are needed: partition, then sort that prefix.
            if end < total {
                hits.select_nth_unstable_by(end, cmp);
                hits.truncate(end);
            }
            hits.sort_unstable_by(cmp);
        }
        (Some(total), hits[offset..end].iter().map(|(_, r)| Arc::clone(r)).collect())
    }

    /// The filtered default order: one value of an indexed column (`state=error`), newest
    /// first. Walks that value's rows in `sys_updated_on` order, so a page costs its own
    /// rows, and the total is the set's size when nothing else is asked.
    fn select_by_value_updated(
        &self,
        q: &Compiled,
        narrow: Option<&Narrowest<'_>>,
        offset: usize,
        limit: usize,
        count: bool,
    ) -> Option<(Option<usize>, Vec<Row>)> {
        let desc = updated_order(q)?;
        if q.lower_bound(SYS_UPDATED_ON).is_some() {
            return None; // a delta query: the sys_updated_on range is smaller
        }
        // The narrowest index, when the query pins it to a single value.
        let n = narrow.filter(|n| n.values == 1)?;
        let Some(set) = n.sets.first() else { return Some((Some(0), Vec::new())) };
        let rows = set.iter().filter_map(|k| self.rows.get(position(*k) as usize)?.as_ref());
        let walk: Box<dyn Iterator<Item = &Row>> = if desc { Box::new(rows.rev()) } else { Box::new(rows) };
        let covered = q.is_only_eq(n.col);
        let known = covered.then_some(set.len());
        Some(page_of(walk.filter(|r| covered || q.matches(r)), offset, limit, count, known))
    }

    /// Rows in `sys_updated_on` order from the index, from the query's lower bound on it.
    fn updated_range(&self, q: &Compiled) -> impl DoubleEndedIterator<Item = &Row> {
        let lo = match q.lower_bound(SYS_UPDATED_ON) {
            Some((v, true)) => Bound::Included((Arc::from(v), 0u32)),
            Some((v, false)) => Bound::Excluded((Arc::from(v), u32::MAX)),
            None => Bound::Unbounded,
        };
        self.by_updated.range((lo, Bound::Unbounded)).filter_map(|(_, i)| self.rows.get(*i as usize)?.as_ref())
    }

    /// The fast path: ordered by `sys_updated_on` alone, or bounded below on it.
    fn select_by_updated(
        &self,
        q: &Compiled,
        offset: usize,
        limit: usize,
        count: bool,
    ) -> Option<(Option<usize>, Vec<Row>)> {
        let desc = updated_order(q)?;
        let walk: Box<dyn Iterator<Item = &Row>> =
            if desc { Box::new(self.updated_range(q).rev()) } else { Box::new(self.updated_range(q)) };
        let known = (q.is_unconditional() && q.lower_bound(SYS_UPDATED_ON).is_none()).then_some(self.live);
        Some(page_of(walk.filter(|r| q.matches(r)), offset, limit, count, known))
    }

    /// Rows matching `q`, from an equality index or the `sys_updated_on` index when the
    /// query constrains one.
    pub fn matching<'a>(&'a self, q: &'a Compiled) -> Box<dyn Iterator<Item = &'a Row> + 'a> {
        if let Some(ids) = Self::candidates(self.narrowest(q).as_ref()) {
            Box::new(
                ids.into_iter().filter_map(move |i| self.rows.get(i as usize)?.as_ref()).filter(move |r| q.matches(r)),
            )
        } else if q.lower_bound(SYS_UPDATED_ON).is_some() {
            Box::new(self.updated_range(q).filter(move |r| q.matches(r)))
        } else {
            Box::new(self.iter().filter(move |r| q.matches(r)))
        }
    }

    /// Count of rows matching `q`, grouped by the values of `group_cols`.
    pub fn count_grouped(&self, q: &Compiled, group_cols: &[usize]) -> Vec<(Vec<Arc<str>>, usize)> {
        self.aggregate(q, group_cols, &[]).into_iter().map(|(k, a)| (k, a.count)).collect()
    }

    /// Count, and sum / min / max of `value_cols`, of rows matching `q`, per group.
    pub fn aggregate(&self, q: &Compiled, group_cols: &[usize], value_cols: &[usize]) -> Vec<(Vec<Arc<str>>, Agg)> {
        // Counts of the whole table by one indexed column are the index's set sizes.
        if let ([c], [], true) = (group_cols, value_cols, q.is_unconditional())
            && let Some(Some(index)) = self.by_value.get(*c)
        {
            let mut out: Vec<_> =
                index.iter().map(|(v, set)| (vec![Arc::clone(v)], Agg { count: set.len(), ..Agg::new(0) })).collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            return out;
        }
        let mut groups: HashMap<Vec<Arc<str>>, Agg> = HashMap::new();
        for r in self.matching(q) {
            let key = group_cols.iter().map(|&c| Arc::clone(&r[c])).collect();
            let a = groups.entry(key).or_insert_with(|| Agg::new(value_cols.len()));
            a.count += 1;
            for (i, &c) in value_cols.iter().enumerate() {
                let v = &r[c];
                a.sum[i] += v.trim().parse::<f64>().unwrap_or(0.0);
                if a.min[i].as_ref().is_none_or(|m| v < m) {
                    a.min[i] = Some(Arc::clone(v));
                }
                if a.max[i].as_ref().is_none_or(|m| v > m) {
                    a.max[i] = Some(Arc::clone(v));
                }
            }
        }
        let mut out: Vec<_> = groups.into_iter().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// `Some(descending)` when `q` is ordered by `sys_updated_on` alone (the default order).
fn updated_order(q: &Compiled) -> Option<bool> {
    match q.order() {
        [(c, desc)] if *c == SYS_UPDATED_ON => Some(*desc),
        _ => None,
    }
}

/// One page of rows already in order and filtered: skips `offset`, takes `limit`. The
/// total is `known` when the index knows it, else counted on (when `count`) by walking
/// the rest.
fn page_of<'a>(
    mut matching: impl Iterator<Item = &'a Row>,
    offset: usize,
    limit: usize,
    count: bool,
    known: Option<usize>,
) -> (Option<usize>, Vec<Row>) {
    let mut skipped = 0;
    while skipped < offset && matching.next().is_some() {
        skipped += 1;
    }
    let page: Vec<Row> = matching.by_ref().take(limit).cloned().collect();
    let total = match (known, count) {
        (Some(n), _) => Some(n),
        (None, true) => Some(skipped + page.len() + matching.count()),
        (None, false) => None,
    };
    (total, page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::schema::SYS_ID;

    #[test]
    fn postings_order_as_times_and_positions_do() {
        assert_eq!(epoch_secs("1970-01-01 00:00:00"), 0);
        assert_eq!(epoch_secs("2026-11-24 10:00:00"), 1_795_514_400);
        assert_eq!(epoch_secs("2000-02-29 23:59:59") + 1, epoch_secs("2000-03-01 00:00:00"));
        assert_eq!(epoch_secs("garbage"), 0);
        assert!(posting("2026-11-24 10:00:00", 9) < posting("2026-11-24 10:00:01", 1));
        assert!(posting("2026-11-24 10:00:00", 1) < posting("2026-11-24 10:00:00", 2));
        assert_eq!(position(posting("2026-11-24 10:00:00", 77)), 77);
    }
    use crate::query::parse;
    use crate::sim::schema::OUTBOUND;

    /// The indexed paths answer exactly what a scan and a full sort would, page by page,
    /// while rows are inserted, updated (changing indexed values) and deleted.
    #[test]
    fn indexes_answer_as_a_scan_does() {
        let store = Store::new(7);
        let states = ["ready", "error", "processed", "skipped"];
        let providers = ["p1", "p2", "p3"];
        let mut ids = Vec::new();
        for i in 0..400u32 {
            let at = format!("2026-11-24 10:{:02}:{:02}", (i / 60) % 60, i % 7);
            let (s, p) = (states[(i % 4) as usize], providers[(i % 3) as usize]);
            let r = store
                .insert_at(OUTBOUND, &[("state", s), ("provider", p), ("operation", "create"), ("attempts", "1")], &at)
                .unwrap();
            ids.push(r[SYS_ID].to_string());
        }
        for (n, id) in ids.iter().enumerate().step_by(5) {
            store.update(OUTBOUND, id, &[("state", states[n % 3]), ("provider", providers[n % 2])]).unwrap();
        }
        for id in ids.iter().skip(3).step_by(11) {
            store.delete(OUTBOUND, id).unwrap();
        }
        let t = store.table(OUTBOUND).unwrap().read();
        let def = t.def;
        for text in [
            "state=error^ORDERBYDESCsys_updated_on",
            "state=error^provider=p2^ORDERBYDESCsys_updated_on",
            "stateINerror,ready^ORDERBYsys_updated_on",
            "state=ready^ORstate=skipped^ORDERBYDESCattempts",
            "provider=p1^NQstate=skipped",
            "state=error^NQprovider=p3^ORDERBYDESCsys_updated_on",
            "state=nothing",
        ] {
            let q = parse(text).unwrap().compile(|f| def.col(f)).unwrap();
            let desc = q.order().last().is_some_and(|(_, d)| *d);
            let mut want: Vec<(usize, &Row)> = t
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((i, r.as_ref()?)))
                .filter(|(_, r)| q.matches(r))
                .collect();
            if q.has_order() {
                want.sort_by(|a, b| q.compare(a.1, b.1).then(if desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) }));
            }
            let want: Vec<&str> = want.iter().map(|(_, r)| &*r[SYS_ID]).collect();
            for (offset, limit) in [(0, 7), (7, 7), (20, 50), (0, 1000)] {
                let (total, page) = t.select(&q, offset, limit, true);
                assert_eq!(total, Some(want.len()), "{text}");
                let got: Vec<&str> = page.iter().map(|r| &*r[SYS_ID]).collect();
                let end = (offset + limit).min(want.len());
                assert_eq!(got, want[offset.min(end)..end], "{text} at {offset}+{limit}");
            }
            let grouped: usize = t.count_grouped(&q, &[def.col("state").unwrap()]).iter().map(|(_, n)| n).sum();
            assert_eq!(grouped, want.len(), "{text}");
        }
        let all = parse("").unwrap().compile(|f| def.col(f)).unwrap();
        let by_state = t.count_grouped(&all, &[def.col("state").unwrap()]);
        let scanned = |s: &str| t.iter().filter(|r| &*r[def.col("state").unwrap()] == s).count();
        for (k, n) in &by_state {
            assert_eq!(*n, scanned(&k[0]), "{k:?}");
        }
        assert_eq!(by_state.iter().map(|(_, n)| n).sum::<usize>(), t.len());
    }
}
