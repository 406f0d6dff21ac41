//! Reading: pages, whole listings, single records, delta sync and aggregate counts.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::Value;

mod poll;

use super::record::{self, Record};
use super::{Client, Entity, Error, Idempotence, Result};
use crate::query::{Condition, Query};

/// What to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListSpec {
    pub table: String,
    pub query: Query,
    pub fields: Vec<String>,
    pub limit: usize,
    pub offset: usize,
    /// Ask for display values beside values (`sysparm_display_value=all`).
    pub display: bool,
    /// Skip the total count (cheaper on big tables).
    pub no_count: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub records: Vec<Record>,
    /// From `X-Total-Count`, when the instance sent it.
    pub total: Option<usize>,
    /// The offset of the next page, from the `Link` header.
    pub next_offset: Option<usize>,
}

impl ListSpec {
    pub fn new(table: &str) -> Self {
        ListSpec { table: table.to_string(), limit: 100, ..Default::default() }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("sysparm_query", self.query.to_string()),
            ("sysparm_limit", self.limit.to_string()),
            ("sysparm_offset", self.offset.to_string()),
            ("sysparm_exclude_reference_link", "true".to_string()),
            ("sysparm_display_value", if self.display { "all" } else { "false" }.to_string()),
        ];
        if !self.fields.is_empty() {
            p.push(("sysparm_fields", self.fields.join(",")));
        }
        if self.no_count {
            p.push(("sysparm_no_count", "true".to_string()));
        }
        p
    }
}

/// The offset of the `rel="next"` link, if any.
pub fn next_offset(link: Option<&str>) -> Option<usize> {
    let link = link?;
    link.split(',').find(|part| part.contains("rel=\"next\"")).and_then(|part| {
        let url = part.split(['<', '>']).nth(1)?;
        url.split(['?', '&']).find_map(|kv| kv.strip_prefix("sysparm_offset=")).and_then(|v| v.parse().ok())
    })
}

impl Client {
    pub fn table(&self, e: Entity) -> &str {
        self.config.tables.name(e)
    }

    /// One page of a table.
    pub async fn list(&self, spec: &ListSpec) -> Result<Page> {
        let out = self.spec_out(spec);
        let ans = self
            .send(Method::GET, &format!("/api/now/table/{}", spec.table), &out.params(), None, Idempotence::Read)
            .await?;
        let records = record::decode_list(&ans.body)?.into_iter().map(|r| self.record_in(&spec.table, r)).collect();
        let h = |k: &str| ans.headers.get(k).and_then(|v| v.to_str().ok());
        let total = h("x-total-count").and_then(|v| v.trim().parse().ok());
        Ok(Page { records, total, next_offset: next_offset(h("link")) })
    }

    /// One page as the instance sent it, for `-o json`.
    pub async fn list_raw(&self, spec: &ListSpec) -> Result<Vec<Value>> {
        let out = self.spec_out(spec);
        let ans = self
            .send(Method::GET, &format!("/api/now/table/{}", spec.table), &out.params(), None, Idempotence::Read)
            .await?;
        match record::decode_envelope(&ans.body)?.get_mut("result").map(Value::take) {
            Some(Value::Array(v)) => Ok(v.into_iter().map(|r| self.json_in(&spec.table, r)).collect()),
            _ => Err(Error::Decode {
                what: "expected {\"result\": [...]}".into(),
                snippet: super::error::snippet(&ans.body, 80),
            }),
        }
    }

    /// Every matching record, page by page (pages of `spec.limit`).
    pub async fn list_all(&self, spec: &ListSpec) -> Result<Vec<Record>> {
        let mut spec = spec.clone();
        let mut out = Vec::new();
        loop {
            let page = self.list(&spec).await?;
            let n = page.records.len();
            out.extend(page.records);
            match page.next_offset {
                Some(off) if n > 0 && off > spec.offset => spec.offset = off,
                _ => return Ok(out),
            }
        }
    }

    /// One record by sys_id.
    pub async fn get_record(&self, table: &str, sys_id: &str, fields: &[&str], display: bool) -> Result<Record> {
        let mut q = vec![("sysparm_exclude_reference_link", "true".to_string())];
        if display {
            q.push(("sysparm_display_value", "all".to_string()));
        }
        if !fields.is_empty() {
            q.push(("sysparm_fields", self.fields_out(table, fields).join(",")));
        }
        let ans =
            self.send(Method::GET, &format!("/api/now/table/{table}/{sys_id}"), &q, None, Idempotence::Read).await?;
        Ok(self.record_in(table, record::decode_one(&ans.body)?))
    }

    /// The first record matching `query`, if any.
    pub async fn find_one(&self, table: &str, query: Query, fields: &[&str]) -> Result<Option<Record>> {
        let mut spec = ListSpec::new(table);
        spec.query = query;
        spec.limit = 1;
        spec.no_count = true;
        spec.display = true;
        spec.fields = fields.iter().map(|s| s.to_string()).collect();
        Ok(self.list(&spec).await?.records.into_iter().next())
    }

    /// Count and sums of `sum_fields` of the rows matching `query` (Aggregate API).
    pub async fn stats(&self, table: &str, query: &Query, sum_fields: &[&str]) -> Result<(u64, Vec<f64>)> {
        let mut q =
            vec![("sysparm_count", "true".to_string()), ("sysparm_query", self.query_out(table, query).to_string())];
        if !sum_fields.is_empty() {
            q.push(("sysparm_sum_fields", self.fields_out(table, sum_fields).join(",")));
        }
        let v = self.get_json(&format!("/api/now/stats/{table}"), &q).await?;
        let st = v.get("result").and_then(|r| r.get("stats")).ok_or_else(|| Error::Decode {
            what: "stats answer has no result.stats".into(),
            snippet: super::error::snippet(v.to_string().as_bytes(), 80),
        })?;
        let num = |x: Option<&Value>| -> f64 {
            x.and_then(|c| c.as_f64().or_else(|| c.as_str()?.trim().parse().ok())).unwrap_or(0.0)
        };
        let count = num(st.get("count")) as u64;
        let out = self.fields_out(table, sum_fields);
        let sums = out.iter().map(|f| num(st.get("sum").and_then(|s| s.get(f.as_str())))).collect();
        Ok((count, sums))
    }

    /// Counts grouped by `group_by` (Aggregate API), as (group values, count).
    pub async fn count(&self, table: &str, query: &Query, group_by: &[&str]) -> Result<Vec<(Vec<String>, u64)>> {
        let groups = self.count_raw(table, query, group_by).await?;
        Ok(groups.into_iter().map(|(keys, _, n)| (keys, n)).collect())
    }

    /// Counts per group with each group's keys twice: sanitised, for the screen, and as
    /// the instance stores them, only to query by (a sanitised value with a newline or a
    /// control character no longer matches its rows). The raw keys are never shown.
    pub async fn count_raw(
        &self,
        table: &str,
        query: &Query,
        group_by: &[&str],
    ) -> Result<Vec<(Vec<String>, Vec<String>, u64)>> {
        let mut q =
            vec![("sysparm_count", "true".to_string()), ("sysparm_query", self.query_out(table, query).to_string())];
        if !group_by.is_empty() {
            q.push(("sysparm_group_by", self.fields_out(table, group_by).join(",")));
        }
        let v = self.get_json(&format!("/api/now/stats/{table}"), &q).await?;
        let count = |s: &Value| -> u64 {
            let c = s.get("stats").and_then(|x| x.get("count"));
            c.and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok())).unwrap_or(0)
        };
        match v.get("result") {
            Some(Value::Array(groups)) => Ok(groups
                .iter()
                .map(|g| {
                    let raw: Vec<String> = g
                        .get("groupby_fields")
                        .and_then(Value::as_array)
                        .map(|fs| {
                            fs.iter()
                                .zip(group_by)
                                .map(|(f, by)| {
                                    let v = f.get("value").and_then(Value::as_str).unwrap_or("").to_string();
                                    self.group_in(table, by, v)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let keys = raw.iter().map(|k| crate::sanitize::sanitize(k).into_owned()).collect();
                    (keys, raw, count(g))
                })
                .collect()),
            Some(r @ Value::Object(_)) => Ok(vec![(Vec::new(), Vec::new(), count(r))]),
            _ => Err(Error::Decode { what: "stats answer has no result".into(), snippet: String::new() }),
        }
    }
}

/// Delta sync of one table by its `sys_updated_on` watermark.
///
/// Times have one-second resolution, so each poll asks for `>=` the watermark and drops
/// what it already delivered by (sys_id, sys_mod_count): nothing missed, nothing doubled.
/// A poll first asks the Aggregate API for the count and the sum of `sys_mod_count` of
/// the rows at or after the watermark: if both are what the last poll left, nothing
/// changed (a new row adds to the count, an update adds to a mod count) and the refresh
/// cost one small request. Otherwise it lists only the three key fields, then fetches
/// whole rows for the keys it has not seen. (A row deleted and another inserted at the
/// watermark between two polls, with equal mod counts, would go unseen until the next
/// change; deletions are not visible to a delta sync anyway.)
///
/// The key listing never pages by offset: a row updated while a poll pages moves to the
/// end of the order and would shift an unseen row into a page already read. Each page
/// starts again at the watermark reached so far, asking for as many more rows as it
/// may repeat. A poll commits nothing until it has succeeded as a whole, so a failed
/// poll is simply repeated.
#[derive(Debug, Clone)]
pub struct Delta {
    pub spec: ListSpec,
    pub watermark: Option<String>,
    /// (sys_id, sys_mod_count) → sys_updated_on of what was delivered at or after the watermark.
    delivered: HashMap<(String, String), String>,
    /// (count, sum of sys_mod_count) of the rows at or after the watermark, as last seen.
    fingerprint: Option<(u64, f64)>,
    /// A filter whose count [`Delta::poll_once`] asks in the same round (the list's
    /// total, as its header shows it); the answer lands in `total`.
    pub count: Option<Query>,
    pub total: Option<u64>,
    /// Polls in a row that brought nothing new (a table that changes fast has its
    /// changed rows asked in the same round as the check).
    pub quiet: u32,
}

const KEY_FIELDS: [&str; 3] = ["sys_id", "sys_updated_on", "sys_mod_count"];

/// The most rows one page may ask for (the instance's own cap).
const MAX_PAGE: usize = 10_000;

/// Pages one poll walks at most: a table written faster than it can be read would
/// otherwise keep a poll chasing the writers forever. The next poll carries on from
/// the watermark reached, so nothing is lost by stopping.
const MAX_PAGES_PER_POLL: usize = 20;

fn key_of(r: &Record) -> (String, String) {
    (r.sys_id().to_string(), r.get("sys_mod_count").to_string())
}

impl Delta {
    /// `spec` names the table, the fields and the base filter of the rows to follow.
    pub fn new(mut spec: ListSpec) -> Self {
        for f in KEY_FIELDS {
            if !spec.fields.is_empty() && !spec.fields.iter().any(|x| x == f) {
                spec.fields.push(f.to_string());
            }
        }
        spec.limit = spec.limit.clamp(1, 1000);
        Delta {
            spec,
            watermark: None,
            delivered: HashMap::new(),
            fingerprint: None,
            count: None,
            total: None,
            quiet: 0,
        }
    }

    /// Starts from a known watermark instead of the whole table.
    pub fn starting_at(spec: ListSpec, watermark: Option<String>) -> Self {
        let mut d = Delta::new(spec);
        d.watermark = watermark;
        d
    }

    fn since(&self, w: Option<&str>) -> Query {
        match w {
            Some(w) => self.spec.query.clone().and_all(Condition::new("sys_updated_on", crate::query::Op::Ge, w)),
            None => self.spec.query.clone(),
        }
    }

    /// Records changed since the last poll (everything, on the first without a watermark).
    pub async fn poll(&mut self, client: &Client) -> Result<Vec<Record>> {
        if let (Some(w), Some(fp)) = (&self.watermark, self.fingerprint) {
            let (count, sums) = client.stats(&self.spec.table, &self.since(Some(w)), &["sys_mod_count"]).await?;
            if (count, sums.first().copied().unwrap_or(0.0)) == fp {
                return Ok(Vec::new());
            }
        }
        // Work on a copy: a poll that fails half-way leaves the delta as it was.
        let mut next = self.clone();
        let mut fresh: Vec<Record> = Vec::new();
        let mut pages = 0;
        let fingerprint = loop {
            pages += 1;
            let mut keys = self.spec.clone();
            keys.query = next.since(next.watermark.as_deref());
            keys.query.order = vec![crate::query::OrderBy { field: "sys_updated_on".into(), desc: false }];
            keys.offset = 0;
            keys.no_count = true;
            keys.display = false;
            keys.fields = KEY_FIELDS.iter().map(|s| s.to_string()).collect();
            // The page may repeat what was delivered at or after the watermark: ask for that many more.
            keys.limit = (self.spec.limit + next.delivered.len()).min(MAX_PAGE);
            let page = client.list(&keys).await?.records;
            let full = page.len() >= keys.limit;
            let new = next.absorb(page.clone());
            let progressed = !new.is_empty();
            fresh.extend(new);
            if !full {
                // The page holds every row from its start: what the Aggregate API will
                // say about the new watermark while nothing changes.
                let w = next.watermark.as_deref().unwrap_or("");
                let (n, sum) = page
                    .iter()
                    .filter(|r| r.get("sys_updated_on") >= w)
                    .fold((0u64, 0.0), |(n, s), r| (n + 1, s + r.get("sys_mod_count").parse::<f64>().unwrap_or(0.0)));
                break Some((n, sum));
            }
            if !progressed || pages >= MAX_PAGES_PER_POLL {
                // Rows keep coming (or more than MAX_PAGE share the watermark's second):
                // the rest next poll, which lists again rather than trusting a fingerprint.
                break None;
            }
        };
        next.fingerprint = fingerprint;
        // A row seen on two pages (it changed in between): keep its latest key, in its later place.
        let mut once = std::collections::HashSet::new();
        fresh.reverse();
        fresh.retain(|r| once.insert(r.sys_id().to_string()));
        fresh.reverse();
        // Whole rows for what changed, by sys_id, a chunk at a time.
        let mut full: HashMap<String, Record> = HashMap::new();
        for chunk in fresh.chunks(100) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.sys_id()).collect();
            let mut spec = self.spec.clone();
            spec.query = Query::new().and(Condition::new("sys_id", crate::query::Op::In, &ids.join(",")));
            spec.offset = 0;
            spec.limit = ids.len();
            spec.no_count = true;
            for r in client.list(&spec).await?.records {
                full.insert(r.sys_id().to_string(), r);
            }
        }
        // In watermark order; a row deleted in between is simply not there. A row that
        // changed again since its key was listed is delivered as it is now, and marked
        // delivered so the next poll does not hand out the same state again.
        let out: Vec<Record> = fresh.iter().filter_map(|k| full.remove(k.sys_id())).collect();
        if let Some(w) = next.watermark.clone() {
            for r in &out {
                let ts = r.get("sys_updated_on");
                if !ts.is_empty() && ts >= w.as_str() {
                    next.delivered.insert(key_of(r), ts.to_string());
                }
            }
        }
        *self = next;
        Ok(out)
    }

    /// Drops what was already delivered and moves the watermark; returns the new keys in order.
    pub fn absorb(&mut self, records: Vec<Record>) -> Vec<Record> {
        let mut latest: HashMap<String, Record> = HashMap::new();
        let mut order = Vec::new();
        for r in records {
            if self.delivered.contains_key(&key_of(&r)) {
                continue;
            }
            if !latest.contains_key(r.sys_id()) {
                order.push(r.sys_id().to_string());
            }
            latest.insert(r.sys_id().to_string(), r);
        }
        let out: Vec<Record> = order.into_iter().filter_map(|id| latest.remove(&id)).collect();
        if let Some(max) = out.iter().map(|r| r.get("sys_updated_on")).max().map(str::to_string)
            && self.watermark.as_deref().is_none_or(|w| max.as_str() > w)
        {
            self.watermark = Some(max);
        }
        for r in &out {
            self.delivered.insert(key_of(r), r.get("sys_updated_on").to_string());
        }
        // What is older than the watermark can never be listed again.
        if let Some(w) = &self.watermark {
            self.delivered.retain(|_, ts| ts.as_str() >= w.as_str());
        }
        out
    }
}
