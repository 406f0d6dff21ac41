//! Types that cross the wire between the instance and hubtop in both directions: what
//! the embedded instance serves is exactly what the client reads. A [`Record`] is what
//! every room above the domain passes around; the client decodes it
//! (`client::record`), the domain decides on it (`rules`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::Entity;

/// One field of a record: its value as stored, and its display value where the
/// instance sent one.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Field {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A record as read: every field a string, as on the wire.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    pub fields: BTreeMap<String, Field>,
}

impl Record {
    pub fn get(&self, f: &str) -> &str {
        self.fields.get(f).map(|x| x.value.as_str()).unwrap_or("")
    }

    /// The display value where the instance sent one, else the value.
    pub fn show(&self, f: &str) -> &str {
        match self.fields.get(f) {
            Some(Field { display: Some(d), .. }) if !d.is_empty() => d,
            Some(x) => &x.value,
            None => "",
        }
    }

    pub fn sys_id(&self) -> &str {
        self.get("sys_id")
    }

    pub fn set(&mut self, f: &str, v: &str) {
        self.fields.insert(f.to_string(), Field { value: v.to_string(), display: None });
    }

    /// A record of these (field, value) pairs, without display values.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Record {
        let mut r = Record::default();
        for (k, v) in pairs {
            r.set(k, v);
        }
        r
    }

    /// Plain JSON (field → value), as `-o json` prints and `y` copies.
    pub fn to_json(&self) -> Value {
        Value::Object(self.fields.iter().map(|(k, f)| (k.clone(), Value::String(f.value.clone()))).collect())
    }
}

/// What a record is called in breadcrumbs, previews and messages: its kind's title
/// field, else the start of its sys_id.
pub fn title_of(e: Entity, r: &Record) -> String {
    let t = r.show(e.title_field());
    if t.is_empty() { r.sys_id().chars().take(8).collect() } else { t.to_string() }
}

/// One step of a flow execution, as the companion API serves it
/// (`GET /api/x_hubtop/console/executions/{sys_id}` → `steps[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Step {
    pub order: u32,
    pub name: String,
    /// A [`super::state::StepState`] value.
    pub state: String,
    pub started: String,
    pub duration_ms: u64,
    pub inputs: Value,
    pub outputs: Value,
    pub error: String,
}
