//! Sorting by a reference column (issue 21, reproduction 9: Outbound sorted by provider
//! came back in sys_id order, and the console could only fix the one window it held).
//!
//! What the product documentation says, and what these tests hold:
//! - A list sorted by a column: "Field types other than choice list types are sorted based
//!   on the label … Choice list fields are sorted by the underlying dictionary entry value
//!   of the field, not by the label" (platform-user-interface/configure-use-list-functions.md,
//!   "Sort a list"). A reference's label is its display value, "a display field of the
//!   referenced record" (api-reference/rest-apis/c_TableAPI.md, `sysparm_display_value`).
//! - A list's sort is the ORDERBY of its query ("The ORDERBY arguments found the URL",
//!   platform-administration/list-administration/c_ControlTheListSortSequence.md), and the
//!   Table API takes the same `ORDERBY<col_name>` / `ORDERBYDESC<col_name>` in
//!   `sysparm_query` (c_TableAPI.md). So the console sends `ORDERBYprovider` (the mapped
//!   field's name) and never needs to know which field the provider table displays.
//! - Dot-walked fields are how an encoded query names a field of the referenced record
//!   (`Assigned_to.roles=itil`, platform-user-interface/c_EncodedQueryStrings.md); the
//!   embedded instance orders by `ORDERBYprovider.title` that way too.
//! - How case compares is not documented ("ordered according to the English alphabet",
//!   c_ControlTheListSortSequence.md): the instance keeps its one order
//!   (`hubtop::query::collate`, code point by code point) and the console re-sorts with
//!   the same function, so the two cannot disagree.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering::Relaxed;

use hubtop::app::list::{ListState, WINDOW};
use hubtop::client::{Client, Entity, Record};
use hubtop::query::{self, Condition, OrderBy, OrderKey, Query};
use hubtop::sim::schema::{EXECUTIONS, OUTBOUND, PROVIDERS, WORK_ORDERS};
use hubtop::sim::{self, SimHandle};
use proptest::prelude::*;

use crate::common::insim::{client, quiet};

/// Providers whose sys_ids run opposite to their titles (sorted by sys_id they read
/// backwards), one title lower-case so the collation is pinned down.
const TITLES: [&str; 5] = ["Alder Works", "Birch FM", "Cedar Repairs", "Zephyr Services", "elm & co"];

fn provider_id(i: usize) -> String {
    format!("{:032x}", 0xf0 - i)
}

/// 450 outbound entries over the five providers (interleaved, so insertion order is not
/// title order either), some without a provider; returns the filter that selects them.
async fn bed() -> (SimHandle, Client, Query) {
    let h = sim::start(quiet()).await.expect("sim starts");
    for (i, t) in TITLES.iter().enumerate() {
        h.sim.store.insert(PROVIDERS, &[("sys_id", &provider_id(i)), ("title", t)]).expect("provider");
    }
    for i in 0..450usize {
        let p = if i % 37 == 5 { String::new() } else { provider_id((i * 3) % TITLES.len()) };
        let fields = [("provider", p.as_str()), ("state", "error"), ("last_error", "sort-bed"), ("attempts", "1")];
        h.sim.store.insert(OUTBOUND, &fields).expect("outbound entry");
    }
    let c = client(&h.base_url);
    (h, c, Query::new().and(Condition::eq("last_error", "sort-bed")))
}

/// Pages through the list as the console does (one window request per `WINDOW` rows),
/// returning the rows in the order shown and the number of requests it took.
async fn page_through(h: &SimHandle, c: &Client, filter: &Query, sort: OrderBy) -> (Vec<Record>, u64) {
    let mut list = ListState::new(Entity::Outbound);
    list.query = filter.clone();
    list.sort = Some(sort.clone());
    let table = c.table(Entity::Outbound).to_string();
    let before = h.sim.counters.requests.load(Relaxed);
    let mut shown = Vec::new();
    let mut offset = 0;
    loop {
        let spec = list.window_spec(&table, offset);
        let want = format!("{}{}", if sort.desc { "ORDERBYDESC" } else { "ORDERBY" }, sort.field);
        assert!(spec.query.to_string().ends_with(&want), "the request asks the instance to sort: {}", spec.query);
        let page = c.list(&spec).await.expect("a window");
        let n = page.records.len();
        list.set_window(offset, page.records, page.total);
        shown.extend(list.rows.iter().cloned());
        offset += n;
        if n == 0 || list.total.is_some_and(|t| offset >= t) {
            break;
        }
    }
    (shown, h.sim.counters.requests.load(Relaxed) - before)
}

fn titles(rows: &[Record]) -> Vec<String> {
    rows.iter().map(|r| r.show("provider").to_string()).collect()
}

fn sorted_by_collate(mut v: Vec<String>, desc: bool) -> Vec<String> {
    v.sort_by(|a, b| if desc { query::collate(b, a) } else { query::collate(a, b) });
    v
}

/// Three windows of the console's list, sorted by provider: the titles run in order
/// across all pages (not only inside each), every entry once, in three requests.
#[tokio::test]
async fn outbound_pages_in_provider_title_order() {
    let (h, c, filter) = bed().await;
    // Sorted by what is stored (the sys_id), the titles would read backwards: the test
    // can tell the two orders apart.
    let mut by_id: Vec<(String, &str)> = TITLES.iter().enumerate().map(|(i, t)| (provider_id(i), *t)).collect();
    by_id.sort();
    assert_ne!(
        by_id.iter().map(|x| x.1).collect::<Vec<_>>(),
        sorted_by_collate(TITLES.map(String::from).to_vec(), false)
    );

    for desc in [false, true] {
        let (rows, requests) = page_through(&h, &c, &filter, OrderBy { field: "provider".into(), desc }).await;
        assert_eq!(rows.len(), 450);
        assert_eq!(rows.iter().map(|r| r.sys_id()).collect::<BTreeSet<_>>().len(), 450, "no entry repeated or skipped");
        assert_eq!(requests, 450usize.div_ceil(WINDOW) as u64, "one request per window");
        let shown = titles(&rows);
        assert_eq!(shown, sorted_by_collate(shown.clone(), desc), "desc={desc}");
        // Entries without a provider come first going up (an empty value sorts first).
        let empty_first = shown.first().is_some_and(String::is_empty);
        assert_eq!(empty_first, !desc, "desc={desc}: {:?}", &shown[..3]);
        assert!(shown.iter().any(|t| t == "elm & co") && shown.iter().any(|t| t == "Zephyr Services"));
    }
}

/// `ORDERBYprovider.title` (a dot-walk to the display field) orders as `ORDERBYprovider`;
/// a choice column sorts by its stored value; an order key on an unknown field is
/// ignored (Table API page: an invalid part of a query is ignored).
#[tokio::test]
async fn dot_walked_and_unknown_order_keys() {
    let (h, c, filter) = bed().await;
    let ids = |rows: &[Record]| rows.iter().map(|r| r.sys_id().to_string()).collect::<Vec<_>>();
    let (by_ref, _) = page_through(&h, &c, &filter, OrderBy { field: "provider".into(), desc: false }).await;
    let table = c.table(Entity::Outbound).to_string();
    let mut all = Vec::new();
    let mut spec = ListSpecOf::new(&table, filter.clone().order_by("provider.title"));
    while let Some(page) = spec.next(&c).await {
        all.extend(page);
    }
    assert_eq!(ids(&all), ids(&by_ref));
    assert_eq!(titles(&all), sorted_by_collate(titles(&all), false));
    let mut unknown = Vec::new();
    let mut spec = ListSpecOf::new(&table, filter.clone().order_by("no_such_field"));
    while let Some(page) = spec.next(&c).await {
        unknown.extend(page);
    }
    let mut plain = Vec::new();
    let mut spec = ListSpecOf::new(&table, filter.clone());
    while let Some(page) = spec.next(&c).await {
        plain.extend(page);
    }
    assert_eq!(ids(&unknown), ids(&plain), "an unknown order key changes nothing");
}

/// A list the instance sends whole (one window) is shown exactly as the instance sorted
/// it: the console's re-sort of a loaded-whole list agrees with the instance's order.
#[tokio::test]
async fn a_whole_list_keeps_the_instance_order() {
    let (h, c, _) = bed().await;
    // Two providers' entries: fewer than a window.
    let filter = Query::new()
        .and(Condition::eq("last_error", "sort-bed"))
        .and(Condition::in_list("provider", [provider_id(4), provider_id(0)]).unwrap());
    for desc in [false, true] {
        let sort = OrderBy { field: "provider".into(), desc };
        let table = c.table(Entity::Outbound).to_string();
        let mut list = ListState::new(Entity::Outbound);
        list.query = filter.clone();
        list.sort = Some(sort);
        let page = c.list(&list.window_spec(&table, 0)).await.expect("one window");
        assert!(page.total.is_some_and(|t| t < WINDOW && t == page.records.len()), "{:?}", page.total);
        let sent: Vec<String> = page.records.iter().map(|r| r.sys_id().to_string()).collect();
        list.set_window(0, page.records, page.total);
        let shown: Vec<String> = list.rows.iter().map(|r| r.sys_id().to_string()).collect();
        assert_eq!(shown, sent, "desc={desc}");
        let t = titles(&list.rows);
        assert_eq!(t.first().map(String::as_str), Some(if desc { "elm & co" } else { "Alder Works" }));
    }
    drop(h);
}

/// A Document ID (`sys_flow_context.source_record`, its table named by `source_table`)
/// sorts by the display value of the record it names, as a reference does.
#[tokio::test]
async fn a_document_id_sorts_by_the_named_record() {
    let h = sim::start(quiet()).await.expect("sim starts");
    // Work orders whose sys_ids run opposite to their numbers (the display value).
    let numbers = ["WPT9000001", "WPT9000002", "WPT9000003", "WPT9000004"];
    for (i, n) in numbers.iter().enumerate() {
        let id = format!("{:032x}", 0xe0 - i);
        h.sim.store.insert(WORK_ORDERS, &[("sys_id", &id), ("number", n)]).expect("work order");
    }
    for i in [2usize, 0, 3, 1, 2, 0] {
        let id = format!("{:032x}", 0xe0 - i);
        let f = [("name", "sort-bed"), ("source_table", WORK_ORDERS), ("source_record", id.as_str())];
        h.sim.store.insert(EXECUTIONS, &f).expect("execution");
    }
    let c = client(&h.base_url);
    for desc in [false, true] {
        let q = Query::new().and(Condition::eq("name", "sort-bed"));
        let mut spec =
            ListSpecOf::new(EXECUTIONS, if desc { q.order_desc("source_record") } else { q.order_by("source_record") });
        let mut rows = Vec::new();
        while let Some(page) = spec.next(&c).await {
            rows.extend(page);
        }
        let ids: Vec<String> = rows.iter().map(|r| r.get("source_record").to_string()).collect();
        let mut want: Vec<String> = [0usize, 0, 1, 2, 2, 3].iter().map(|i| format!("{:032x}", 0xe0 - i)).collect();
        if desc {
            want.reverse();
        }
        assert_eq!(ids, want, "desc={desc}");
    }
}

/// Pages of a raw list request (any query), `WINDOW` rows at a time.
struct ListSpecOf {
    spec: hubtop::client::read::ListSpec,
    done: bool,
}

impl ListSpecOf {
    fn new(table: &str, q: Query) -> Self {
        let mut spec = hubtop::client::read::ListSpec::new(table);
        spec.query = q;
        spec.limit = WINDOW;
        spec.display = true;
        ListSpecOf { spec, done: false }
    }

    async fn next(&mut self, c: &Client) -> Option<Vec<Record>> {
        if self.done {
            return None;
        }
        let page = c.list(&self.spec).await.expect("a page");
        match page.next_offset {
            Some(o) => self.spec.offset = o,
            None => self.done = true,
        }
        Some(page.records)
    }
}

// The evaluator: an order key that looks a reference up sorts exactly as the same rows
// would with the looked-up value stored in the column.

const COLS: [&str; 3] = ["provider", "number", "table"];

fn display_name() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        6 => "[A-Za-z][a-z ]{0,6}",
        1 => "[0-9]{1,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_reference_key_sorts_by_the_display_value(
        displays in prop::collection::vec(display_name(), 1..6),
        refs in prop::collection::vec((0usize..8, 0u32..50), 0..40),
        desc in any::<bool>(),
    ) {
        // Ids 0..len name a record; len.. dangle (they sort as themselves); 7 is empty.
        let id = |i: usize| if i == 7 { String::new() } else { format!("{i:032x}") };
        let map: HashMap<String, String> = displays.iter().enumerate().map(|(i, d)| (id(i), d.clone())).collect();
        let rows: Vec<Vec<String>> = refs.iter().map(|(r, n)| vec![id(*r), format!("N{n:03}"), "t".into()]).collect();
        let text = format!("ORDERBY{}provider^ORDERBYnumber", if desc { "DESC" } else { "" });
        let cols = |f: &str| COLS.iter().position(|c| *c == f);
        let q = query::parse(&text).unwrap();
        let looked_up = q.compile(cols).unwrap().with_order_keys(vec![
            (OrderKey::Lookup(0, map.clone()), desc),
            (OrderKey::Col(1), false),
        ]);
        let by_table = q.compile(cols).unwrap().with_order_keys(vec![
            (OrderKey::LookupBy { col: 0, by: 2, map: HashMap::from([("t".to_string(), map.clone())]) }, desc),
            (OrderKey::Col(1), false),
        ]);
        let plain = q.compile(cols).unwrap();
        let mut a = rows.clone();
        a.sort_by(|x, y| looked_up.compare(x, y));
        let mut b = rows.clone();
        b.sort_by(|x, y| by_table.compare(x, y));
        // The reference: the display value stored in place of the sys_id.
        let mut c: Vec<Vec<String>> = rows
            .iter()
            .map(|r| { let mut r = r.clone(); if let Some(d) = map.get(&r[0]) { r[0] = d.clone() } r })
            .collect();
        c.sort_by(|x, y| plain.compare(x, y));
        let show = |rows: &[Vec<String>]| rows.iter().map(|r| (map.get(&r[0]).cloned().unwrap_or(r[0].clone()), r[1].clone())).collect::<Vec<_>>();
        prop_assert_eq!(show(&a), show(&c));
        prop_assert_eq!(show(&b), show(&c));
        for w in show(&a).windows(2) {
            let o = query::collate(&w[0].0, &w[1].0);
            prop_assert!(if desc { o != Ordering::Less } else { o != Ordering::Greater }, "{:?}", w);
        }
    }
}
