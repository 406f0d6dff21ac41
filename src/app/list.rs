//! A list view's state: a window of rows around the viewport (never the whole table),
//! the filter pushed to the instance, the sort, marks, and the live delta.

use std::collections::{BTreeMap, HashMap};

use crate::client::read::{Delta, ListSpec};
use crate::client::{Entity, Record};
use crate::query::{self, OrderBy, Query};

/// Rows fetched per window; the viewport scrolls inside it and a new window is fetched
/// when the selection nears its edge.
pub const WINDOW: usize = 200;

#[derive(Debug, Clone)]
pub struct ListState {
    pub entity: Entity,
    pub rows: Vec<Record>,
    /// Server offset of `rows[0]`.
    pub window_offset: usize,
    pub total: Option<usize>,
    /// Absolute index of the selected row (in the server ordering).
    pub selected: usize,
    /// Absolute index of the top row on screen.
    pub scroll: usize,
    /// Instant filter on loaded rows (typed with `/`).
    pub quick_filter: String,
    /// What the instance would be sent for `quick_filter`, evaluated here on the loaded
    /// rows so the preview and Enter agree (`None`: not a query yet, still being typed).
    quick: Option<Query>,
    /// The server filter is one the operator typed (not a drill-down's).
    pub typed: bool,
    /// Filter pushed to the instance (encoded query).
    pub query: Query,
    pub query_label: String,
    pub sort: Option<OrderBy>,
    /// Marked rows by sys_id, with the record as marked (for bulk actions).
    pub marks: BTreeMap<String, Record>,
    /// Marks a new filter cleared since the console last said so (it says so after each
    /// update): a mark belongs to the rows it was made on, and an action on marks must
    /// never reach rows the operator no longer sees.
    pub marks_cleared: usize,
    pub delta: Option<Delta>,
    pub seq: u64,
    pub in_flight: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub last_refresh: Option<std::time::Instant>,
    /// Rows with an action under way: sys_id → what is pending.
    pub pending: HashMap<String, String>,
    /// A window load is needed (filter, sort or scroll moved out of the window).
    pub needs_window: bool,
    /// Rows the pane showed at the last move (to keep it filled as rows come and go).
    viewport: usize,
    /// Where the selection and the scroll were when `/` opened (restored when what was
    /// typed is dropped or refused).
    typing_from: Option<(usize, usize)>,
}

impl ListState {
    pub fn new(entity: Entity) -> Self {
        ListState {
            entity,
            rows: Vec::new(),
            window_offset: 0,
            total: None,
            selected: 0,
            scroll: 0,
            quick_filter: String::new(),
            quick: None,
            typed: false,
            query: Query::new(),
            query_label: String::new(),
            sort: None,
            marks: BTreeMap::new(),
            marks_cleared: 0,
            delta: None,
            seq: 0,
            in_flight: false,
            loaded: false,
            error: None,
            last_refresh: None,
            pending: HashMap::new(),
            needs_window: true,
            viewport: 1,
            typing_from: None,
        }
    }

    pub fn order(&self) -> OrderBy {
        let (field, desc) = self.entity.desc().default_order;
        self.sort.clone().unwrap_or(OrderBy { field: field.into(), desc })
    }

    /// Newest first by update time: new rows belong at the top of the first window.
    pub fn default_order(&self) -> bool {
        let o = self.order();
        o.field == "sys_updated_on" && o.desc
    }

    /// The spec for a window starting at `offset`.
    pub fn window_spec(&self, table: &str, offset: usize) -> ListSpec {
        let mut q = self.query.clone();
        q.order = vec![self.order()];
        ListSpec {
            table: table.to_string(),
            query: q,
            fields: self.entity.list_fields().iter().map(|s| s.to_string()).collect(),
            limit: WINDOW,
            offset,
            display: true,
            no_count: false,
        }
    }

    /// Sets the text typed after `/` (before Enter sends it): the loaded rows it would
    /// match on the instance show at once.
    pub fn set_quick_filter(&mut self, text: &str, providers: &[Record]) {
        self.quick_filter = text.to_string();
        self.quick = if self.is_drill_down() && !looks_encoded(text.trim()) {
            Some(refine(Query::new(), self.entity, text, providers))
        } else {
            let mapping = crate::domain::Mapping::default();
            filter_query(self.entity, text, providers)
                .and_then(|q| super::filter::validate(self.entity, q, &mapping))
                .ok()
        };
    }

    /// `/` opened: typing starts from here.
    pub fn start_typing(&mut self) {
        self.typing_from = Some((self.selected, self.scroll));
    }

    /// What was typed after `/` is dropped (Esc, or a filter refused): the list shows its
    /// rows as before, with the selection where it was.
    pub fn drop_typing(&mut self, viewport: usize) {
        self.quick_filter.clear();
        self.quick = None;
        if let Some((selected, scroll)) = self.typing_from.take() {
            self.scroll = scroll;
            self.select(selected, viewport);
        }
    }

    /// Rows shown: the window, or the quick-filtered subset of it.
    pub fn visible(&self) -> Vec<usize> {
        if self.quick_filter.is_empty() {
            return (0..self.rows.len()).collect();
        }
        self.quick.as_ref().map(|q| matching(q, &self.rows)).unwrap_or_default()
    }

    /// Number of rows navigable: the server total, or the quick-filtered count.
    pub fn len(&self) -> usize {
        if !self.quick_filter.is_empty() {
            return self.visible().len();
        }
        self.total.unwrap_or(self.rows.len()).max(self.window_offset + self.rows.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record at an absolute index, if it is loaded.
    pub fn row_at(&self, abs: usize) -> Option<&Record> {
        if !self.quick_filter.is_empty() {
            return self.visible().get(abs).and_then(|&i| self.rows.get(i));
        }
        abs.checked_sub(self.window_offset).and_then(|i| self.rows.get(i))
    }

    pub fn selected_record(&self) -> Option<&Record> {
        self.row_at(self.selected)
    }

    /// Moves the selection; returns true when a new window must be fetched.
    pub fn select(&mut self, abs: usize, viewport: usize) -> bool {
        self.viewport = viewport.max(1);
        self.selected = abs;
        self.fit()
    }

    /// Keeps the pane filled and the selection in it, whatever rows came or went: no
    /// blank space below while rows hide above. Returns true when the rows now in view
    /// are not all in the window (a new window must be fetched).
    fn fit(&mut self) -> bool {
        let len = self.len();
        let vp = self.viewport.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        self.scroll = self.scroll.min(len.saturating_sub(vp));
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + vp {
            self.scroll = self.selected + 1 - vp;
        }
        if !self.quick_filter.is_empty() {
            return false;
        }
        let lo = self.window_offset;
        let hi = self.window_offset + self.rows.len();
        let view_hi = (self.scroll + vp).min(len);
        let outside = self.scroll < lo || view_hi > hi;
        if outside {
            self.needs_window = true;
        }
        outside
    }

    /// The offset of the window that centres the viewport.
    pub fn wanted_offset(&self, viewport: usize) -> usize {
        let centre = self.scroll + viewport / 2;
        centre.saturating_sub(WINDOW / 2)
    }

    /// A fresh window arrived: keep the selection on the same record if it is still there.
    pub fn set_window(&mut self, offset: usize, rows: Vec<Record>, total: Option<usize>) {
        let keep = self.selected_record().map(|r| r.sys_id().to_string());
        self.window_offset = offset;
        self.rows = rows;
        self.total = total.or(Some(offset + self.rows.len()));
        self.loaded = true;
        self.needs_window = false;
        self.error = None;
        self.sort_by_display();
        if let Some(id) = keep {
            self.reselect(&id);
        }
        self.fit();
    }

    /// A reference column is sorted by what it shows (a provider's title, not its
    /// sys_id), as the instance sorts it (`query::collate`, the embedded instance's own
    /// order, so a window it sorted stays as it is). Only a list loaded whole is re-sorted
    /// here: a longer one keeps the instance's order across its pages. A choice column
    /// keeps the instance's order too: lists sort choices by their stored value, not the
    /// label (platform-user-interface/configure-use-list-functions.md, "Sort a list").
    fn sort_by_display(&mut self) {
        let Some(o) = self.sort.clone() else { return };
        let whole = self.window_offset == 0 && self.total.is_none_or(|t| t <= self.rows.len());
        let choice = self.entity.desc().choices.iter().any(|c| c.field == o.field);
        if !whole || choice || !self.rows.iter().any(|r| r.show(&o.field) != r.get(&o.field)) {
            return;
        }
        self.rows.sort_by(|a, b| {
            let x = query::collate(a.show(&o.field), b.show(&o.field));
            if o.desc { x.reverse() } else { x }
        });
    }

    fn reselect(&mut self, id: &str) {
        if let Some(i) = self.rows.iter().position(|r| r.sys_id() == id) {
            let abs = self.window_offset + i;
            let shift = abs as isize - self.selected as isize;
            self.selected = abs;
            self.scroll = (self.scroll as isize + shift).max(0) as usize;
        }
    }

    /// Live changes from the delta: update rows in place, drop rows that left the filter,
    /// add new rows at the top of the first window (newest-first order); the selection
    /// stays on its record.
    pub fn merge(&mut self, changed: Vec<Record>) {
        if changed.is_empty() {
            return;
        }
        let keep = self.selected_record().map(|r| r.sys_id().to_string());
        let fields: Vec<&str> = self.entity.list_fields().to_vec();
        let compiled = self.query.compile(|f| fields.iter().position(|x| *x == f));
        let mut total = self.total.unwrap_or(self.rows.len()) as isize;
        for r in changed {
            let matches = match &compiled {
                Ok(c) => {
                    let vals: Vec<&str> = fields.iter().map(|f| r.get(f)).collect();
                    c.matches(&vals)
                }
                // A filter on fields the list does not load: reload the window instead.
                Err(_) => {
                    self.needs_window = true;
                    continue;
                }
            };
            match self.rows.iter().position(|x| x.sys_id() == r.sys_id()) {
                Some(i) if matches => self.rows[i] = r,
                Some(i) => {
                    self.rows.remove(i);
                    total -= 1;
                }
                None if matches => {
                    total += 1;
                    if self.window_offset == 0 && self.default_order() {
                        self.rows.insert(0, r);
                    } else {
                        // Where it falls in a sorted or scrolled window only the
                        // instance knows: load the window again.
                        self.needs_window = true;
                    }
                }
                None => {}
            }
        }
        if self.default_order() && self.window_offset == 0 {
            self.rows.sort_by(|a, b| b.get("sys_updated_on").cmp(a.get("sys_updated_on")));
        }
        self.rows.truncate(WINDOW);
        self.total = Some(total.max(self.rows.len() as isize) as usize);
        self.sort_by_display();
        if let Some(id) = keep {
            self.reselect(&id);
        }
        self.fit();
    }

    /// A new server filter: back to the top, a new window. A new population, too, so
    /// marks made under the old one go (an action on marks must never reach rows the
    /// operator can no longer see).
    pub fn set_query(&mut self, q: Query, label: String) {
        self.query = q;
        self.query_label = label;
        self.quick_filter.clear();
        self.quick = None;
        self.marks_cleared += self.marks.len();
        self.marks.clear();
        self.typed = false;
        self.reset_window();
    }

    /// A filter the operator typed after `/` (edited again by the next `/`).
    pub fn set_typed_query(&mut self, q: Query, label: String) {
        self.set_query(q, label);
        self.typed = true;
    }

    /// Whether the list shows a drill-down (an error group, a record's related rows):
    /// a filter the operator did not type, which `/` refines rather than replaces.
    pub fn is_drill_down(&self) -> bool {
        !self.query.is_empty() && !self.typed
    }

    pub fn reset_window(&mut self) {
        self.selected = 0;
        self.scroll = 0;
        self.window_offset = 0;
        self.rows.clear();
        self.total = None;
        self.loaded = false;
        self.needs_window = true;
        self.seq += 1;
        self.in_flight = false;
    }
}

/// Turns what an operator typed after `/` into a server filter: an encoded query as
/// given, or a LIKE across the list's text fields.
pub fn filter_query(entity: Entity, text: &str, providers: &[Record]) -> Result<Query, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Query::new());
    }
    if looks_encoded(t) {
        let t = &super::filter::headings_to_fields(entity, t);
        let q = query::parse(t).map_err(|e| e.to_string())?;
        return resolve_provider_titles(q, entity, providers);
    }
    Ok(refine(Query::new(), entity, t, providers))
}

/// Whether `/` text is an encoded query (`state=error^…`) rather than words to find.
pub fn looks_encoded(t: &str) -> bool {
    (["=", "!=", ">", "<", "LIKE", "STARTSWITH", "ENDSWITH", "IN", "ISEMPTY", "ISNOTEMPTY", "ORDERBY", "^"]
        .iter()
        .any(|op| t.contains(op))
        || query::is_encoded(t))
        && t.chars().next().is_some_and(|c| c.is_ascii_lowercase() || super::filter::leads_with_heading(t))
}

/// `base` AND (any of the list's search fields contains `text`, or the provider is one
/// whose title does): words typed inside a drill-down narrow it instead of replacing it.
pub fn refine(base: Query, entity: Entity, text: &str, providers: &[Record]) -> Query {
    let mut q = base;
    for (i, f) in entity.desc().search_fields.iter().enumerate() {
        let c = query::Condition::new(f, query::Op::Like, text.trim());
        q = if i == 0 { q.and(c) } else { q.or(c) };
    }
    // A choice shows its label but is stored by value: words that are a label (`Not
    // synced`) find the rows in that state.
    if let Some(f) = entity.state_field()
        && let Some((v, _)) =
            super::filter::choices(entity, f).into_iter().flatten().find(|(_, l)| l.eq_ignore_ascii_case(text.trim()))
    {
        q = q.or(query::Condition::eq(f, v));
    }
    // A reference shows its title but filters by sys_id: match the titles here.
    let needle = text.trim().to_lowercase();
    let ids: Vec<&str> =
        providers.iter().filter(|p| p.get("title").to_lowercase().contains(&needle)).map(|p| p.sys_id()).collect();
    if let (Some(f), false) = (entity.provider_field(), ids.is_empty())
        && let Ok(c) = query::Condition::in_list(f, ids)
    {
        q = q.or(c);
    }
    q
}

/// A typed query's provider terms by title (`provider=RapidFix`) become the sys_ids the
/// instance filters a reference by; a title no provider has is an error, not 0 rows.
pub fn resolve_provider_titles(mut q: Query, entity: Entity, providers: &[Record]) -> Result<Query, String> {
    let Some(pf) = entity.provider_field() else { return Ok(q) };
    let is_id = |v: &str| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit());
    for c in q.alternatives.iter_mut().flatten().flatten().filter(|c| c.field == pf) {
        if !matches!(c.op, query::Op::Eq | query::Op::Ne | query::Op::In | query::Op::NotIn) {
            continue;
        }
        let mut ids = Vec::new();
        for v in c.value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            if is_id(v) {
                ids.push(v.to_string());
                continue;
            }
            match providers.iter().find(|p| p.get("title").eq_ignore_ascii_case(v)) {
                Some(p) => ids.push(p.sys_id().to_string()),
                None => return Err(format!("no provider titled `{v}`")),
            }
        }
        c.value = ids.join(",");
        if ids.len() > 1 && c.op == query::Op::Eq {
            c.op = query::Op::In;
        }
    }
    Ok(q)
}

/// The values a query's fields take in a loaded row, for evaluating it here as the
/// instance would: a dot-walked reference (`document_id.number`) is the display value
/// of the reference, any other field its value.
fn row_values<'a>(fields: &[String], r: &'a Record) -> Vec<&'a str> {
    fields
        .iter()
        .map(|f| match f.split_once('.') {
            Some((reference, _)) => r.show(reference),
            None => r.get(f),
        })
        .collect()
}

/// The loaded rows `q` matches, evaluated as the instance would.
pub fn matching(q: &Query, rows: &[Record]) -> Vec<usize> {
    let mut fields: Vec<String> = Vec::new();
    for f in q.fields() {
        if !fields.iter().any(|x| x == f) {
            fields.push(f.to_string());
        }
    }
    let Ok(compiled) = q.compile(|f| fields.iter().position(|x| x == f)) else { return Vec::new() };
    rows.iter().enumerate().filter(|(_, r)| compiled.matches(&row_values(&fields, r))).map(|(i, _)| i).collect()
}
