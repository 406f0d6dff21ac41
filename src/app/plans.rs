//! What the overview and a detail need from the instance, as plans of independent
//! requests: the app decides (pure, testable), the runner only executes a plan, all of
//! its requests at once, and hands the answers back to [`OverviewPlan::assemble`] /
//! [`DetailPlan::assemble`].

use super::detail::{DetailData, ExecView, Related};
use super::overview::OverviewData;
use crate::client::read::ListSpec;
use crate::client::{Record, Tables};
use crate::domain::Entity;
use crate::domain::entity::{ExecLink, Source};
use crate::domain::state::QueueState;
use crate::query::{Condition, Query};

/// One request of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Counts grouped by fields (Aggregate API).
    Count { table: String, query: Query, group_by: Vec<&'static str> },
    /// Counts grouped by one field, keeping its values as stored to query by.
    CountRaw { table: String, query: Query, group_by: &'static str },
    /// Rows (Table API).
    List(ListSpec),
    /// One record with display values.
    Record { table: String, sys_id: String },
    /// An execution's steps from the companion API, else its `sys_flow_context` record.
    Execution { table: String, id: String },
    /// The newest execution whose source is this record, as [`Request::Execution`].
    LatestExecution { table: String, source_record: String },
}

/// The answer to one [`Request`], in the plan's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Counts(Vec<(Vec<String>, u64)>),
    /// (shown, as stored, count) per value.
    RawCounts(Vec<(String, String, u64)>),
    Rows(Vec<Record>),
    /// The rows of a list asked with its count (`no_count` false), and the count from
    /// the same answer (`X-Total-Count`) when the instance sent it.
    Page {
        rows: Vec<Record>,
        total: Option<usize>,
    },
    Record(Record),
    Execution(Option<ExecView>),
    /// The instance refused this request (a table not readable, no access): what it
    /// feeds shows this error; the rest of the plan stands.
    Failed(String),
}

impl Answer {
    fn counts(self) -> Vec<(Vec<String>, u64)> {
        match self {
            Answer::Counts(c) => c,
            _ => Vec::new(),
        }
    }
    fn rows(self) -> Vec<Record> {
        match self {
            Answer::Rows(r) | Answer::Page { rows: r, .. } => r,
            Answer::Record(r) => vec![r],
            _ => Vec::new(),
        }
    }
}

fn pairs(groups: Vec<(Vec<String>, u64)>) -> Vec<(String, u64)> {
    groups.into_iter().map(|(k, n)| (k.into_iter().next().unwrap_or_default(), n)).collect()
}

/// The overview: counts by state, provider health, recent outcomes and error groups.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewPlan {
    pub requests: Vec<Request>,
}

impl OverviewPlan {
    pub fn new(tables: &Tables) -> OverviewPlan {
        let t = |e: Entity| tables.name(e).to_string();
        let count =
            |e: Entity, query: Query, group_by: Vec<&'static str>| Request::Count { table: t(e), query, group_by };
        let mut providers = ListSpec::new(&t(Entity::Providers));
        providers.fields = Entity::Providers.list_fields().iter().map(|s| s.to_string()).collect();
        providers.limit = 100;
        providers.display = true;
        providers.query = Query::new().order_by("title");
        let mut recent = ListSpec::new(&t(Entity::History));
        recent.fields =
            ["sys_id", "provider", "status", "duration_ms", "response_code"].iter().map(|s| s.to_string()).collect();
        recent.limit = 300;
        recent.no_count = true;
        recent.query = Query::new().order_desc("sys_created_on");
        let errors = Query::new().and(Condition::eq("state", QueueState::Error.as_str()));
        OverviewPlan {
            requests: vec![
                count(Entity::Outbound, Query::new(), vec!["state"]),
                count(Entity::Inbound, Query::new(), vec!["state"]),
                count(Entity::Executions, Query::new(), vec!["state"]),
                count(Entity::WorkOrders, Query::new(), vec!["integration_state"]),
                count(Entity::Outbound, Query::new(), vec!["provider", "state"]),
                Request::List(providers),
                Request::List(recent),
                Request::CountRaw { table: t(Entity::Outbound), query: errors, group_by: "last_error" },
            ],
        }
    }

    /// Which overview panel each request feeds, in the plan's order (a refused request
    /// shows its error in that panel).
    pub const PANELS: [&'static str; 8] =
        ["counts", "counts", "counts", "counts", "providers", "providers", "sync history", "error groups"];

    pub fn assemble(&self, answers: Vec<Answer>) -> OverviewData {
        let mut failed = Vec::new();
        let answers: Vec<Answer> = answers
            .into_iter()
            .enumerate()
            .map(|(i, a)| match a {
                Answer::Failed(why) => {
                    failed.push((Self::PANELS.get(i).copied().unwrap_or("overview"), i, why));
                    Answer::Rows(Vec::new())
                }
                a => a,
            })
            .collect();
        let mut a = answers.into_iter();
        let mut next = || a.next().unwrap_or(Answer::Rows(Vec::new()));
        let (ob, ib, ex, wo) = (next().counts(), next().counts(), next().counts(), next().counts());
        let byp = next().counts();
        let (providers, recent) = (next().rows(), next().rows());
        let msgs = match next() {
            Answer::RawCounts(m) => m,
            _ => Vec::new(),
        };
        OverviewData {
            counts: vec![
                ("Outbound", pairs(ob)),
                ("Inbound", pairs(ib)),
                ("Executions", pairs(ex)),
                ("Work orders", pairs(wo)),
            ],
            providers,
            by_provider: byp
                .into_iter()
                .map(|(k, n)| (k.first().cloned().unwrap_or_default(), k.get(1).cloned().unwrap_or_default(), n))
                .collect(),
            recent,
            error_messages: msgs.iter().map(|(shown, _, n)| (shown.clone(), *n)).collect(),
            raw_messages: msgs.into_iter().map(|(shown, raw, _)| (shown, raw)).collect(),
            failed,
        }
    }
}

/// What one request of a detail plan is for.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Record,
    Execution,
    Related {
        entity: Entity,
        label: &'static str,
        limit: usize,
    },
    /// The sys_id of the newest execution of the record, to check the one asked is it.
    Latest {
        known: String,
    },
}

/// A record's detail: the record, the execution behind it with its steps, and the
/// related records. Every request is built from what is already known of the record (the
/// list row it was opened from, or its last load), so all go out together.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailPlan {
    pub requests: Vec<Request>,
    slots: Vec<Slot>,
}

impl DetailPlan {
    /// The plan for `sys_id`, knowing `basis` of it (possibly only its sys_id).
    pub fn new(tables: &Tables, entity: Entity, sys_id: &str, basis: &Record) -> DetailPlan {
        let t = |e: Entity| tables.name(e).to_string();
        let newest = |q: Query| q.order_desc("sys_updated_on");
        let mut plan = DetailPlan { requests: Vec::new(), slots: Vec::new() };
        plan.push(Slot::Record, Request::Record { table: t(entity), sys_id: sys_id.to_string() });
        let exec = match entity.desc().execution {
            ExecLink::Itself => Some(Request::Execution { table: t(entity), id: sys_id.to_string() }),
            ExecLink::Field(f) => Some(basis.get(f))
                .filter(|s| !s.is_empty())
                .map(|id| Request::Execution { table: t(Entity::Executions), id: id.to_string() }),
            ExecLink::Latest => {
                Some(Request::LatestExecution { table: t(Entity::Executions), source_record: sys_id.to_string() })
            }
            ExecLink::None => None,
        };
        if let Some(r) = exec {
            plan.push(Slot::Execution, r);
        }
        // The related panes its description names, each from what is known of the record.
        for rel in entity.desc().related {
            let value = match rel.source {
                Source::SysId => sys_id,
                Source::Field(f) => basis.get(f),
            };
            if value.is_empty() {
                continue;
            }
            let mut q = Query::new().and(Condition::eq(rel.by, value));
            if let Some((f, v)) = rel.only {
                q = q.and(Condition::eq(f, v));
            }
            let mut spec = ListSpec::new(&t(rel.kind));
            spec.query = if rel.limit > 1 { newest(q) } else { q };
            spec.fields = rel.kind.list_fields().iter().map(|s| s.to_string()).collect();
            spec.limit = rel.limit;
            // A pane of many asks how many there are in the same answer (the Table API's
            // X-Total-Count), so its title tells the truth without another request.
            spec.no_count = rel.limit <= 1;
            spec.display = true;
            plan.push(Slot::Related { entity: rel.kind, label: rel.label, limit: rel.limit }, Request::List(spec));
        }
        plan
    }

    /// A poll of a detail already shown: a work order's newest execution, known from the
    /// last load, is asked directly beside a check that it is still the newest (one
    /// round, not two). When the check says otherwise the detail is planned again.
    pub fn knowing(mut self, execution: Option<String>) -> DetailPlan {
        let Some(known) = execution else { return self };
        let Some(i) = self.requests.iter().position(|r| matches!(r, Request::LatestExecution { .. })) else {
            return self;
        };
        let Request::LatestExecution { table, source_record } = self.requests[i].clone() else { return self };
        self.requests[i] = Request::Execution { table: table.clone(), id: known.clone() };
        let mut newest = ListSpec::new(&table);
        newest.query = Query::new().and(Condition::eq("source_record", &source_record)).order_desc("sys_updated_on");
        newest.fields = vec!["sys_id".into()];
        newest.limit = 1;
        newest.no_count = true;
        self.push(Slot::Latest { known }, Request::List(newest));
        self
    }

    /// The execution this plan assumed newest, if it assumed one.
    fn known(&self) -> Option<String> {
        self.slots.iter().find_map(|s| match s {
            Slot::Latest { known } => Some(known.clone()),
            _ => None,
        })
    }

    /// Whether `answers` are what this plan assumed (the execution asked is still the
    /// record's newest).
    pub fn current(&self, answers: &[Answer]) -> bool {
        self.slots.iter().zip(answers).all(|(slot, a)| match (slot, a) {
            (Slot::Latest { known }, Answer::Rows(rows)) => rows.first().is_some_and(|r| r.sys_id() == known),
            // Not readable: asking again in another round would be refused the same way.
            (Slot::Latest { .. }, Answer::Failed(_)) => true,
            (Slot::Latest { .. }, _) => false,
            _ => true,
        })
    }

    fn push(&mut self, slot: Slot, r: Request) {
        self.slots.push(slot);
        self.requests.push(r);
    }

    /// Whether this plan, built from `basis`, still fits the record as loaded: when a
    /// reference it followed changed (or was unknown), the detail is planned again.
    pub fn fits(&self, tables: &Tables, entity: Entity, record: &Record) -> bool {
        *self == DetailPlan::new(tables, entity, record.sys_id(), record).knowing(self.known())
    }

    /// The detail from its answers. A request the instance refused ([`Answer::Failed`],
    /// its reason) shows as its own pane's error line — "sync history of the record: not
    /// readable (…)" — beside the record and every pane that loaded; only the record's
    /// own read fails the detail (the runner never degrades it).
    pub fn assemble(&self, answers: Vec<Answer>) -> DetailData {
        let mut data = DetailData::default();
        for (slot, answer) in self.slots.iter().zip(answers) {
            match (slot, answer) {
                (Slot::Record, Answer::Record(r)) => data.record = r,
                (Slot::Execution, Answer::Execution(x)) => data.exec = x,
                (Slot::Execution, Answer::Failed(why)) => {
                    data.exec = Some(ExecView::Failed(format!("execution: {why}")))
                }
                (Slot::Related { entity, label, limit }, a) => {
                    let mut rel = Related::of(*entity, label, Vec::new());
                    rel.limit = *limit;
                    match a {
                        Answer::Failed(why) => {
                            rel.total = None;
                            rel.error = Some(format!("{}: {why}", label.to_lowercase()));
                        }
                        Answer::Page { rows, total } => (rel.rows, rel.total) = (rows, total),
                        a => {
                            rel.rows = a.rows();
                            // The one record a reference points at is all there is.
                            rel.total = (*limit <= 1).then_some(rel.rows.len());
                        }
                    }
                    data.related.push(rel)
                }
                (Slot::Latest { .. }, _) => {}
                _ => {}
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pairs: &[(&str, &str)]) -> Record {
        Record::from_pairs(pairs)
    }

    #[test]
    fn an_outbound_detail_from_its_row_is_one_round_of_requests() {
        let row = rec(&[("sys_id", "e1"), ("document_id", "w1"), ("flow_context", "x1")]);
        let p = DetailPlan::new(&Tables::default(), Entity::Outbound, "e1", &row);
        assert_eq!(p.requests.len(), 4, "record, execution, history, work order: {p:?}");
        assert!(p.requests.contains(&Request::Execution { table: "sys_flow_context".into(), id: "x1".into() }));
        assert!(p.fits(&Tables::default(), Entity::Outbound, &row));
    }

    #[test]
    fn a_detail_opened_by_sys_id_alone_is_planned_again_once_the_record_is_known() {
        let bare = rec(&[("sys_id", "e1")]);
        let p = DetailPlan::new(&Tables::default(), Entity::Outbound, "e1", &bare);
        assert_eq!(p.requests.len(), 1);
        let loaded = rec(&[("sys_id", "e1"), ("document_id", "w1")]);
        assert!(!p.fits(&Tables::default(), Entity::Outbound, &loaded));
    }

    #[test]
    fn answers_land_in_their_slots() {
        let p = DetailPlan::new(&Tables::default(), Entity::Providers, "p1", &rec(&[("sys_id", "p1")]));
        let d = p.assemble(vec![
            Answer::Record(rec(&[("sys_id", "p1"), ("title", "Acme")])),
            Answer::Rows(vec![rec(&[("sys_id", "o1")])]),
            Answer::Rows(vec![]),
        ]);
        assert_eq!(d.record.get("title"), "Acme");
        assert_eq!(d.related.len(), 2);
        assert_eq!(d.related[0].label, "Outbound in error");
        assert_eq!(d.related[0].rows.len(), 1);
    }

    #[test]
    fn a_refused_pane_carries_its_error_and_a_pane_of_many_its_total() {
        let row = rec(&[("sys_id", "e1"), ("document_id", "w1"), ("flow_context", "x1")]);
        let p = DetailPlan::new(&Tables::default(), Entity::Outbound, "e1", &row);
        // The history pane asks for its count in the same answer; the work order needs none.
        let lists: Vec<&ListSpec> = p
            .requests
            .iter()
            .filter_map(|r| match r {
                Request::List(s) => Some(s),
                _ => None,
            })
            .collect();
        assert_eq!(lists.iter().map(|s| s.no_count).collect::<Vec<_>>(), vec![false, true], "{lists:?}");
        let d = p.assemble(vec![
            Answer::Record(row.clone()),
            Answer::Failed("not readable (instance answered 403)".into()),
            Answer::Failed("not readable (instance answered 400: Invalid table h)".into()),
            Answer::Rows(vec![rec(&[("sys_id", "w1")])]),
        ]);
        assert_eq!(d.record.sys_id(), "e1", "the record stands");
        assert_eq!(d.exec, Some(ExecView::Failed("execution: not readable (instance answered 403)".into())));
        assert_eq!(
            d.related[0].error.as_deref(),
            Some("sync history of the record: not readable (instance answered 400: Invalid table h)")
        );
        assert_eq!((d.related[1].error.as_ref(), d.related[1].count_words()), (None, "1".to_string()));
        let d = p.assemble(vec![
            Answer::Record(row),
            Answer::Execution(None),
            Answer::Page { rows: vec![rec(&[("sys_id", "h1")]); 20], total: Some(31) },
            Answer::Rows(vec![]),
        ]);
        assert_eq!(d.related[0].count_words(), "20 of 31");
        assert_eq!(d.related[0].matching(), 31);
    }

    #[test]
    fn a_work_order_polled_again_asks_its_known_execution_beside_a_check_in_one_round() {
        let wo = rec(&[("sys_id", "w1")]);
        let first = DetailPlan::new(&Tables::default(), Entity::WorkOrders, "w1", &wo);
        assert!(first.requests.iter().any(|r| matches!(r, Request::LatestExecution { .. })), "two rounds: {first:?}");
        let p = first.knowing(Some("x1".into()));
        assert!(p.requests.contains(&Request::Execution { table: "sys_flow_context".into(), id: "x1".into() }));
        assert!(!p.requests.iter().any(|r| matches!(r, Request::LatestExecution { .. })));
        assert!(p.fits(&Tables::default(), Entity::WorkOrders, &wo));
        let mut answers = vec![Answer::Rows(Vec::new()); p.requests.len()];
        *answers.last_mut().unwrap() = Answer::Rows(vec![rec(&[("sys_id", "x1")])]);
        assert!(p.current(&answers));
        *answers.last_mut().unwrap() = Answer::Rows(vec![rec(&[("sys_id", "x2")])]);
        assert!(!p.current(&answers), "a newer execution: planned again");
    }

    #[test]
    fn the_overview_is_eight_independent_requests() {
        let p = OverviewPlan::new(&Tables::default());
        assert_eq!(p.requests.len(), 8);
        let d = p.assemble(vec![Answer::Counts(vec![(vec!["error".into()], 3)])]);
        assert_eq!(d.counts[0].1, vec![("error".to_string(), 3)]);
    }
}
