//! How a flow is started on an instance, for the operations that need one (create or
//! resync of a failed create, rerun): the profile names a trigger per operation. IFM runs
//! update and cancel itself when the work order changes, so they never need one.
//!
//! A trigger is a path template (`{flow_sys_id}` is the provider's subflow; the default is
//! the Flow REST trigger, integration-hub's REST trigger for flows), `companion` (the
//! hubtop companion's `subflows/{flow_sys_id}/start`, assets/servicenow, under the
//! profile's `companion` scope) or `none`.
//! The body is always `{"inputs": {…}}`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Client, Error, Idempotence, Result, record};

/// The Flow REST trigger path template (the default).
pub const FLOW_REST: &str = "/api/sn_fd/flow/{flow_sys_id}/run";
/// The companion's resource (assets/servicenow/hubtop_companion_update_set.xml), in
/// the profile's companion scope.
pub const COMPANION: &str = "/api/{companion}/console/subflows/{flow_sys_id}/start";
/// The scope the companion update set is shipped in (a profile's `companion` default).
pub const DEFAULT_COMPANION: &str = "x_hubtop";

/// Whether `s` can be an application scope in a path: lowercase letters, digits, `_`.
pub fn valid_scope(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The companion's execution detail resource for `id`, in `companion`'s scope.
pub fn companion_detail(companion: &str, id: &str) -> String {
    format!("/api/{companion}/console/executions/{id}")
}

/// The trigger of each operation that needs one (`[profiles.NAME.triggers]`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Triggers {
    pub create: String,
    pub rerun: String,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers { create: FLOW_REST.into(), rerun: FLOW_REST.into() }
    }
}

impl Triggers {
    pub fn of(&self, purpose: &str) -> &str {
        if purpose == "rerun" { &self.rerun } else { &self.create }
    }
}

/// The path a trigger setting posts to (`companion` in the `companion` scope), or `None`
/// when there is none.
pub fn path_of(setting: &str, flow_id: &str, companion: &str) -> Option<String> {
    let t = match setting.trim() {
        "" | "none" => return None,
        "companion" => COMPANION,
        "flow" => FLOW_REST,
        t => t,
    };
    Some(t.replace("{companion}", companion).replace("{flow_sys_id}", flow_id))
}

/// What to configure when `purpose` has no usable trigger: the companion, or a REST API
/// trigger in the form the product documents (integrate-applications/integration-hub/
/// rest-trigger.md: `/api/<flow-application-scope>/<flow-name>/<path-parameters>`).
pub fn what_to_configure(purpose: &str, why: &str) -> String {
    format!(
        "{purpose} needs a trigger this instance has ({why}); configure one in the profile: \
         [profiles.NAME.triggers] {purpose} = \"companion\" (the hubtop companion API: install assets/servicenow, \
         see its README) or the path template of a REST API trigger, documented as \
         /api/<flow-application-scope>/<flow-name>/<path-parameters>, e.g. \"/api/x_acme/fm_{purpose}/{{flow_sys_id}}\" \
         (a flow with the REST API - Asynchronous trigger, POST, a path parameter for the subflow); \
         `hubtop doctor` shows which are confirmed"
    )
}

impl Client {
    /// Starts `flow_id` through the trigger the profile names for `purpose`. Sent once:
    /// a lost answer is `OutcomeUnknown`; a path the instance does not have is
    /// `NotInstalled` (nothing ran). The execution id, when the answer carries one.
    pub async fn start_flow(
        &self,
        purpose: &str,
        flow_id: &str,
        inputs: &Map<String, Value>,
    ) -> Result<Option<String>> {
        let setting = self.config.triggers.of(purpose).to_string();
        let Some(path) = path_of(&setting, flow_id, &self.config.companion) else {
            return Err(Error::Invalid(what_to_configure(purpose, "none is configured")));
        };
        let body = json!({ "inputs": inputs });
        let ans = self.send(Method::POST, &path, &[], Some(&body), Idempotence::Write).await?;
        if ans.body.is_empty() {
            return Ok(None);
        }
        let v = record::decode_envelope(&ans.body)
            .map_err(|e| Error::OutcomeUnknown(format!("the trigger's answer could not be read ({e})")))?;
        Ok(execution_id(&v))
    }
}

/// The execution an answer names: `executionId` (Flow REST), `context_id` (companion),
/// or a `sys_id`, at the top or under `result`.
pub fn execution_id(v: &Value) -> Option<String> {
    let r = v.get("result").filter(|r| r.is_object()).unwrap_or(v);
    ["executionId", "context_id", "sys_id"]
        .iter()
        .find_map(|k| r.get(*k).or_else(|| v.get(*k)).and_then(Value::as_str).filter(|s| !s.is_empty()))
        .map(|s| crate::sanitize::sanitize(s).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_paths() {
        assert_eq!(path_of(FLOW_REST, "f1", DEFAULT_COMPANION).as_deref(), Some("/api/sn_fd/flow/f1/run"));
        assert_eq!(
            path_of("companion", "f1", DEFAULT_COMPANION).as_deref(),
            Some("/api/x_hubtop/console/subflows/f1/start")
        );
        assert_eq!(
            path_of("companion", "f1", "x_acme_hubtop").as_deref(),
            Some("/api/x_acme_hubtop/console/subflows/f1/start")
        );
        assert_eq!(path_of("none", "f1", DEFAULT_COMPANION), None);
        assert!(valid_scope("x_acme_hubtop") && !valid_scope("x_acme/../now") && !valid_scope(""));
        assert_eq!(execution_id(&json!({"result": {"context_id": "c1"}})).as_deref(), Some("c1"));
        assert_eq!(execution_id(&json!({"executionId": "e1", "status": "RUNNING"})).as_deref(), Some("e1"));
        assert_eq!(execution_id(&json!({"result": {}})), None);
    }
}
