//! Types that cross the wire between the instance and hubtop in both directions: what
//! the embedded instance serves is exactly what the client reads.

use serde::Serialize;
use serde_json::Value;

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
