//! The companion update set (assets/servicenow) and the companion API the embedded
//! instance serves from the same sources:
//!
//! - the committed XML is exactly what the generator makes from assets/servicenow/src;
//! - it has the structure of a real export of a scoped application — the public
//!   `mattermost/mattermost-plugin-servicenow` export
//!   (`public/servicenow_for_mattermost_notifications_v2.1.xml`): a `sys_remote_update_set`
//!   with its `sys_id` and application, each `sys_update_xml` with `action`,
//!   `application`, `remote_update_set`, `sys_id`, `table`, `target_name`, `type`,
//!   `update_domain`, payloads with their XML declaration, scopes referenced by sys_id —
//!   and the file it replaces fails the same check;
//! - the scripts parse as ES5 (the scope's js_level, ES5 Standards Mode) with acorn, and
//!   every platform call they make is on an allow-list taken from the documentation;
//! - the embedded instance enforces the role, the provider-subflow rule and the input
//!   whitelist with the companion's error bodies, and says when steps are not recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use hubtop::client::actions::StepDetail;
use hubtop::client::{Auth, Client, ClientConfig};
use hubtop::sim::api::companion::update_set::{self, COMMITTED, DEFAULT_SCOPE};
use hubtop::sim::schema::{EXECUTIONS, PROVIDERS, ROLE, USER_ROLE, WORK_ORDERS};
use hubtop::sim::store::Store;
use hubtop::sim::{self, Breaks, SimConfig, SimHandle, Without};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TempDir;
use crate::common::insim::{quiet, request_json};

// ---------------------------------------------------------------------------------------
// A small XML reader: enough for update sets (declaration, comments, CDATA, entities).

#[derive(Debug, Clone, Default)]
struct El {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|e| i + e).unwrap_or(rest.len() - 1);
        match &rest[i + 1..end] {
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "amp" => out.push('&'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            e if e.starts_with("#x") => out.push(char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()),
            e if e.starts_with('#') => out.push(char::from_u32(e[1..].parse().unwrap()).unwrap()),
            e => panic!("unknown entity &{e};"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

struct Reader<'a> {
    s: &'a str,
    i: usize,
}

impl Reader<'_> {
    fn skip_misc(&mut self) {
        loop {
            let rest = &self.s[self.i..];
            let trimmed = rest.trim_start();
            self.i += rest.len() - trimmed.len();
            if trimmed.starts_with("<?") {
                self.i += trimmed.find("?>").expect("?>") + 2;
            } else if trimmed.starts_with("<!--") {
                self.i += trimmed.find("-->").expect("-->") + 3;
            } else {
                return;
            }
        }
    }

    fn element(&mut self) -> Result<El, String> {
        self.skip_misc();
        let rest = &self.s[self.i..];
        if !rest.starts_with('<') {
            return Err(format!("expected an element at {}", self.i));
        }
        let close = rest.find('>').ok_or("unterminated tag")?;
        let head = &rest[1..close];
        let self_closing = head.ends_with('/');
        let head = head.trim_end_matches('/');
        let mut parts = head.splitn(2, char::is_whitespace);
        let name = parts.next().unwrap_or("").to_string();
        let mut attrs = BTreeMap::new();
        let mut a = parts.next().unwrap_or("").trim();
        while let Some(eq) = a.find('=') {
            let key = a[..eq].trim().to_string();
            let after = a[eq + 1..].trim_start();
            let q = after.chars().next().ok_or("attribute without value")?;
            let end = after[1..].find(q).ok_or("unterminated attribute")? + 1;
            attrs.insert(key, unescape(&after[1..end]));
            a = after[end + 1..].trim_start();
        }
        self.i += close + 1;
        let mut el = El { name: name.clone(), attrs, ..Default::default() };
        if self_closing {
            return Ok(el);
        }
        loop {
            let rest = &self.s[self.i..];
            if rest.starts_with(&format!("</{name}>")) {
                self.i += name.len() + 3;
                return Ok(el);
            } else if rest.starts_with("<![CDATA[") {
                let end = rest.find("]]>").ok_or("unterminated CDATA")?;
                el.text.push_str(&rest[9..end]);
                self.i += end + 3;
            } else if rest.starts_with("<!--") {
                self.i += rest.find("-->").ok_or("unterminated comment")? + 3;
            } else if rest.starts_with("</") {
                return Err(format!("</{name}> expected at {}", self.i));
            } else if rest.starts_with('<') {
                el.children.push(self.element()?);
            } else if rest.is_empty() {
                return Err(format!("<{name}> not closed"));
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                el.text.push_str(&unescape(&rest[..end]));
                self.i += end;
            }
        }
    }
}

fn parse(s: &str) -> Result<El, String> {
    Reader { s, i: 0 }.element()
}

// ---------------------------------------------------------------------------------------
// The structure a real export has.

fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Fields every `sys_update_xml` of the real export carries.
const UPDATE_FIELDS: &[&str] = &[
    "action",
    "application",
    "category",
    "name",
    "payload",
    "remote_update_set",
    "sys_id",
    "table",
    "target_name",
    "type",
    "update_domain",
];

/// What is wrong with `xml` as an importable export of a scoped application with a
/// Scripted REST API; empty when nothing is.
fn problems(xml: &str) -> Vec<String> {
    let mut p = Vec::new();
    if !xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") {
        p.push("the file does not start with its XML declaration".to_string());
    }
    let root = match parse(xml) {
        Ok(r) => r,
        Err(e) => return vec![format!("not well-formed: {e}")],
    };
    if root.name != "unload" || !root.attrs.contains_key("unload_date") {
        p.push("the root is not <unload unload_date=…>".into());
    }
    let sets: Vec<&El> = root.all("sys_remote_update_set").collect();
    if sets.len() != 1 {
        p.push(format!("{} sys_remote_update_set records (one expected)", sets.len()));
        return p;
    }
    let set = sets[0];
    let set_id = set.text_of("sys_id").unwrap_or("");
    if !is_sys_id(set_id) {
        p.push("the sys_remote_update_set has no sys_id".into());
    }
    let app_id = set.text_of("application").unwrap_or("");
    if !is_sys_id(app_id) {
        p.push(format!("the set's application is `{app_id}`, not a sys_app sys_id"));
    }
    let scope = set.text_of("application_scope").unwrap_or("");
    for f in ["application_name", "application_scope", "application_version", "name", "remote_sys_id"] {
        if set.text_of(f).unwrap_or("").is_empty() {
            p.push(format!("the sys_remote_update_set has no {f}"));
        }
    }
    if set.text_of("state") != Some("loaded") {
        p.push("the sys_remote_update_set's state is not loaded".into());
    }

    // Each update: its fields, its payload, its references to the set and the app.
    let mut records: HashMap<String, (String, El)> = HashMap::new(); // sys_id → (table, record)
    let mut update_ids = BTreeSet::new();
    let updates: Vec<&El> = root.all("sys_update_xml").collect();
    if updates.is_empty() {
        p.push("no sys_update_xml records".into());
    }
    for u in &updates {
        let name = u.text_of("name").unwrap_or("?").to_string();
        for f in UPDATE_FIELDS {
            if u.child(f).is_none() {
                p.push(format!("update {name} has no {f}"));
            }
        }
        for f in ["action", "target_name", "type", "update_domain"] {
            if u.child(f).is_some_and(|c| c.text.is_empty()) {
                p.push(format!("update {name}: {f} is empty"));
            }
        }
        if u.child("remote_update_set").is_some_and(|c| c.text != set_id) {
            p.push(format!("update {name} is not attached to the set (remote_update_set)"));
        }
        if u.child("application").is_some_and(|c| c.text != app_id) {
            p.push(format!("update {name} belongs to another application"));
        }
        if let Some(id) = u.text_of("sys_id").filter(|id| is_sys_id(id))
            && !update_ids.insert(id.to_string())
        {
            p.push(format!("update {name}: sys_id {id} is used twice"));
        }
        let Some(payload) = u.text_of("payload") else { continue };
        if !payload.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") {
            p.push(format!("update {name}: the payload has no XML declaration"));
        }
        let doc = match parse(payload) {
            Ok(d) => d,
            Err(e) => {
                p.push(format!("update {name}: the payload is not well-formed: {e}"));
                continue;
            }
        };
        let Some(rec) = doc.children.first().filter(|_| doc.name == "record_update") else {
            p.push(format!("update {name}: the payload is not a record_update"));
            continue;
        };
        let table = rec.name.clone();
        let id = rec.text_of("sys_id").unwrap_or("").to_string();
        if name != format!("{table}_{id}") {
            p.push(format!("update {name}: its name is not {table}_{id}"));
        }
        if rec.text_of("sys_scope") != Some(app_id) {
            p.push(format!(
                "update {name}: sys_scope is `{}`, not the application's sys_id",
                rec.text_of("sys_scope").unwrap_or("")
            ));
        }
        records.insert(id, (table, rec.clone()));
    }

    // The application record itself.
    match records.get(app_id) {
        Some((t, app)) if t == "sys_app" => {
            if app.text_of("scope") != Some(scope) {
                p.push("the sys_app's scope is not the set's application_scope".into());
            }
        }
        _ => p.push("no sys_app record with the set's application sys_id".into()),
    }
    let of = |table: &'static str| of_table(&records, table);
    let points_to = |r: &El, field: &str, table: &str| {
        r.text_of(field).and_then(|id| records.get(id)).is_some_and(|(t, _)| t == table)
    };

    // The API, its resources and their ACLs.
    if of("sys_ws_definition").count() != 1 {
        p.push("not exactly one Scripted REST API (sys_ws_definition)".into());
    }
    for d in of("sys_ws_definition") {
        if d.text_of("namespace") != Some(scope) {
            p.push("the API's namespace is not the application scope".into());
        }
    }
    let ops: Vec<&El> = of("sys_ws_operation").collect();
    if ops.is_empty() {
        p.push("no Scripted REST resources (sys_ws_operation)".into());
    }
    for op in &ops {
        let n = op.text_of("name").unwrap_or("?");
        if !points_to(op, "web_service_definition", "sys_ws_definition") {
            p.push(format!("resource {n}: web_service_definition is not the set's API"));
        }
        for f in ["requires_authentication", "requires_acl_authorization"] {
            if op.text_of(f) != Some("true") {
                p.push(format!("resource {n}: {f} is not true"));
            }
        }
        if !points_to(op, "enforce_acl", "sys_security_acl") {
            p.push(format!("resource {n}: enforce_acl names no ACL of the set"));
        }
    }
    let roles: BTreeSet<String> = of("sys_user_role").filter_map(|r| r.text_of("name")).map(String::from).collect();
    if roles.is_empty() {
        p.push("no role (sys_user_role)".into());
    }
    for acl in of("sys_security_acl") {
        if acl.text_of("type") != Some("rest_endpoint") {
            p.push("an ACL that is not a REST_Endpoint ACL".into());
        }
        let id = acl.text_of("sys_id").unwrap_or("");
        let granted = of("sys_security_acl_role")
            .any(|r| r.text_of("sys_security_acl") == Some(id) && points_to(r, "sys_user_role", "sys_user_role"));
        if !granted {
            p.push(format!("ACL {} requires none of the set's roles", acl.text_of("name").unwrap_or("?")));
        }
    }

    // Scripts: GlideRecordSecure only, and a cross-scope read privilege for every table
    // of another scope they read.
    let privileges: BTreeSet<String> = of("sys_scope_privilege")
        .filter(|r| {
            r.text_of("operation") == Some("read")
                && r.text_of("status") == Some("allowed")
                && r.text_of("source_scope") == Some(app_id)
        })
        .filter_map(|r| r.text_of("target_name"))
        .map(String::from)
        .collect();
    for op in &ops {
        let script = op.text_of("operation_script").unwrap_or("");
        if script.contains("new GlideRecord(") {
            p.push(format!("resource {}: reads with GlideRecord (ACLs ignored)", op.text_of("name").unwrap_or("?")));
        }
        let tables = script
            .split("new GlideRecord")
            .skip(1)
            .filter_map(|s| s.trim_start_matches("Secure").strip_prefix("('"))
            .filter_map(|s| s.split('\'').next());
        for t in tables {
            if (scope.is_empty() || !t.starts_with(scope)) && !privileges.contains(t) {
                p.push(format!("no cross-scope read privilege for {t}"));
            }
        }
    }
    p
}

/// The records of one table among `records` (sys_id → (table, record)).
fn of_table<'a>(records: &'a HashMap<String, (String, El)>, table: &'a str) -> impl Iterator<Item = &'a El> + 'a {
    records.values().filter(move |(t, _)| t == table).map(|(_, r)| r)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> String {
    std::fs::read_to_string(repo().join(COMMITTED)).expect("the committed update set")
}

#[test]
fn the_committed_update_set_is_what_its_sources_generate() {
    let fresh = update_set::generate(update_set::spec(), DEFAULT_SCOPE);
    assert!(
        committed() == fresh,
        "assets/servicenow/hubtop_companion_update_set.xml is not what assets/servicenow/src generates: \
         run `cargo run --example companion_update_set -- --write`"
    );
}

#[test]
fn the_update_set_has_the_structure_of_a_real_export() {
    let p = problems(&committed());
    assert!(p.is_empty(), "{p:#?}");
    // Generated for another scope, every reference still holds and no sys_id is shared.
    let acme = update_set::generate(update_set::spec(), "x_acme_hubtop");
    let p = problems(&acme);
    assert!(p.is_empty(), "{p:#?}");
    assert!(
        acme.contains("&lt;namespace&gt;x_acme_hubtop&lt;/namespace&gt;") && acme.contains("x_acme_hubtop.operator")
    );
    let ids = |x: &str| -> BTreeSet<String> {
        x.split("<sys_id>").skip(1).filter_map(|s| s.get(..32)).map(String::from).collect()
    };
    assert!(ids(&acme).is_disjoint(&ids(&committed())), "another scope's set reuses sys_ids");
}

#[test]
fn the_file_it_replaced_fails_the_structure_check() {
    let before = std::fs::read_to_string(repo().join("tests/fixtures/companion_update_set_before.xml")).unwrap();
    let p = problems(&before);
    for want in [
        "the sys_remote_update_set has no sys_id",
        "the set's application is `x_hubtop`, not a sys_app sys_id",
        "has no remote_update_set",
        "has no type",
        "the payload has no XML declaration",
        "no sys_app record",
        "no role (sys_user_role)",
        "reads with GlideRecord",
        "no cross-scope read privilege for sn_wsd_core_workplace_task",
    ] {
        assert!(p.iter().any(|x| x.contains(want)), "expected `{want}` among {p:#?}");
    }
}

#[test]
fn the_embedded_instance_serves_the_resources_the_update_set_declares() {
    use hubtop::sim::api::companion::{BASE, RESOURCES};
    let spec = update_set::spec();
    assert_eq!(BASE, spec.base_uri(DEFAULT_SCOPE));
    let declared: Vec<(&str, &str)> = spec.resource.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(declared, RESOURCES);
    assert_eq!(hubtop::client::trigger::DEFAULT_COMPANION, DEFAULT_SCOPE);
}

// ---------------------------------------------------------------------------------------
// The scripts: ES5, and documented platform calls only.

/// Platform calls the scripts may make from a global, each from the documentation
/// (ServiceNow/ServiceNowDocs, markdown/api-reference/...):
/// - GlideSystem `gs.hasRole`, `gs.getProperty` (server-api-reference/c_GlideSystemScopedAPI);
/// - `sn_fd.FlowAPI` `getRunner`, `getOutputs`, `getErrorMessage`, and the
///   ScriptableFlowRunner builder `subflow().inBackground().withInputs().run()`
///   (server-api-reference/ScriptableFlowAPI.md, ScriptableFlowRunnerScopedAPI.md);
/// - `sn_ws_err.ServiceError`, `BadRequestError`, `NotFoundError` and RESTAPIResponse
///   `setError`, `setStatus`, `setBody` (scripted REST API reference: sn_ws_err,
///   RESTAPIResponse);
/// - `new GlideRecordSecure(table)` (GlideRecordSecure - Scoped).
const PLATFORM_CALLS: &[&str] = &[
    "gs.hasRole",
    "gs.getProperty",
    "sn_fd.FlowAPI.getRunner",
    "sn_fd.FlowAPI.getOutputs",
    "sn_fd.FlowAPI.getErrorMessage",
    "sn_fd.FlowAPI.getRunner().subflow",
    "sn_fd.FlowAPI.getRunner().subflow().inBackground",
    "sn_fd.FlowAPI.getRunner().subflow().inBackground().withInputs",
    "sn_fd.FlowAPI.getRunner().subflow().inBackground().withInputs().run",
    "new sn_ws_err.ServiceError",
    "new sn_ws_err.BadRequestError",
    "new sn_ws_err.NotFoundError",
    "new GlideRecordSecure",
    "response.setError",
    "response.setStatus",
    "response.setBody",
];

/// Methods the scripts may call on the platform objects they hold: GlideRecordSecure
/// (GlideRecord's query methods: get, getValue, getUniqueValue, addQuery,
/// addEncodedQuery, setLimit, query, next), sn_ws_err.ServiceError (setStatus,
/// setMessage, setDetail), ScriptableFlowRunnerResult (getContextId).
const PLATFORM_METHODS: &[&str] = &[
    "get",
    "getValue",
    "getUniqueValue",
    "addQuery",
    "addEncodedQuery",
    "setLimit",
    "query",
    "next",
    "setStatus",
    "setMessage",
    "setDetail",
    "getContextId",
];

/// ES5 built-ins.
const ES5_GLOBALS: &[&str] = &["String", "Object", "JSON", "Array", "Math", "Number", "parseInt"];
const ES5_METHODS: &[&str] =
    &["push", "join", "indexOf", "hasOwnProperty", "toLowerCase", "test", "call", "toString", "stringify", "parse"];

/// Runs assets/servicenow/tools/es5check.js with acorn; fails (never skips) when node
/// or acorn cannot be had. acorn is installed into target/js on first use (npm, the
/// pinned version `.ci/run` installs too), so a fresh machine's `cargo test` runs it.
fn acorn_path() -> PathBuf {
    std::env::var("HUBTOP_ACORN_PATH").map(PathBuf::from).unwrap_or_else(|_| repo().join("target/js/node_modules"))
}

fn es5check(files: &[PathBuf]) -> Value {
    let node_path = acorn_path();
    if !node_path.join("acorn").is_dir() && std::env::var_os("HUBTOP_ACORN_PATH").is_none() {
        // Tests of this binary run in parallel: one of them installs.
        static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        if !node_path.join("acorn").is_dir() {
            let _ = std::process::Command::new("npm")
                .args(["install", "--prefix"])
                .arg(repo().join("target/js"))
                .args(["--no-save", "--no-audit", "--no-fund", "acorn@8.19.0"])
                .status();
        }
    }
    assert!(
        node_path.join("acorn").is_dir(),
        "acorn is not installed in {}: run `npm install --prefix target/js --no-save acorn@8` (as .ci/run does)",
        node_path.display()
    );
    let out = std::process::Command::new("node")
        .arg(repo().join("assets/servicenow/tools/es5check.js"))
        .args(files)
        .env("NODE_PATH", &node_path)
        .output()
        .expect("node runs (node 20 is required by this test; .ci/run checks it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("es5check prints JSON")
}

/// The calls of `script` that are not documented platform calls or ES5 built-ins.
fn undocumented_calls(report: &Value) -> Vec<String> {
    let declared: BTreeSet<&str> = report["declared"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let mut bad = Vec::new();
    for c in report["calls"].as_array().unwrap() {
        let callee = c["callee"].as_str().unwrap();
        let full = if c["new"] == true { format!("new {callee}") } else { callee.to_string() };
        let root = callee.split(['.', '(', '[']).next().unwrap_or("");
        let methods_after_root = || callee.split('.').skip(1).map(|m| m.trim_end_matches("()"));
        let ok = if root == "request" || root == "response" {
            // RESTAPIRequest / RESTAPIResponse, the parameters the platform passes.
            PLATFORM_CALLS.contains(&full.as_str())
        } else if root == "<function>" || (declared.contains(root) && !callee.contains('.')) {
            true // the script's own functions
        } else if declared.contains(root) {
            // A method of something the script holds: the last call only matters.
            let last = methods_after_root().last().unwrap_or("");
            PLATFORM_METHODS.contains(&last) || ES5_METHODS.contains(&last)
        } else if ES5_GLOBALS.contains(&root) || root == "<regex>" || root == "<literal>" {
            methods_after_root().all(|m| ES5_METHODS.contains(&m) || m == "prototype")
        } else {
            PLATFORM_CALLS.contains(&full.as_str())
        };
        if !ok {
            bad.push(full);
        }
    }
    bad
}

#[test]
fn the_scripts_are_es5_and_call_only_documented_platform_apis() {
    let spec = update_set::spec();
    let dir = TempDir::new("companion-es5");
    let files: Vec<PathBuf> = spec
        .resource
        .iter()
        .map(|r| {
            let f = dir.join(&r.script);
            std::fs::write(&f, spec.script(&r.script, DEFAULT_SCOPE)).unwrap();
            f
        })
        .collect();
    let report = es5check(&files);
    for f in &files {
        let r = &report[f.to_str().unwrap()];
        assert!(r["calls"].as_array().is_some_and(|c| !c.is_empty()), "no calls found in {}", f.display());
        let bad = undocumented_calls(r);
        assert!(bad.is_empty(), "{}: calls not on the documented allow-list: {bad:?}", f.display());
    }

    // The check can fail: ES2015 syntax, and a call to a method that does not exist.
    let es6 = dir.join("es6.js");
    std::fs::write(&es6, "(function process(request, response) { let a = () => 1; })(request, response);").unwrap();
    let out = std::process::Command::new("node")
        .arg(repo().join("assets/servicenow/tools/es5check.js"))
        .arg(&es6)
        .env("NODE_PATH", acorn_path())
        .output()
        .unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not ES5"));
    let old = dir.join("old.js");
    std::fs::write(
        &old,
        "(function process(request, response) { var r = sn_fd.FlowAPI.getExecutionReport('x'); \
         var g = new GlideRecord('sys_flow_context'); g.get('x'); })(request, response);",
    )
    .unwrap();
    let report = es5check(std::slice::from_ref(&old));
    let bad = undocumented_calls(&report[old.to_str().unwrap()]);
    assert_eq!(bad, vec!["sn_fd.FlowAPI.getExecutionReport", "new GlideRecord"]);
}

// ---------------------------------------------------------------------------------------
// The embedded instance serves the contract the update set defines.

async fn start(cfg: SimConfig) -> SimHandle {
    sim::start(cfg).await.expect("sim starts")
}

async fn call(h: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let a = request_json(h, method, path, body).await;
    (a.status, a.body)
}

fn provider(h: &SimHandle, title: &str) -> (String, String, String) {
    let p = h.sim.store.find(PROVIDERS, "title", title).expect("seeded provider");
    let f = |n| Store::field(PROVIDERS, &p, n).to_string();
    (p[0].to_string(), f("create_work_order_flow"), f("update_work_order_flow"))
}

fn work_order(h: &SimHandle, provider: &str) -> String {
    let r = h
        .sim
        .store
        .insert(WORK_ORDERS, &[("short_description", "Companion test"), ("state", "new"), ("fm_provider", provider)])
        .unwrap();
    r[0].to_string()
}

/// The companion's error body: the `sn_ws_err` shape with its message.
fn assert_error(status: StatusCode, body: &Value, want: StatusCode, message: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["status"], "failure", "{body}");
    let m = body["error"]["message"].as_str().unwrap_or("");
    assert!(m.contains(message), "message `{m}` lacks `{message}`: {body}");
}

fn start_path(flow: &str) -> String {
    format!("/api/x_hubtop/console/subflows/{flow}/start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_companion_starts_only_provider_subflows_with_their_inputs() {
    let h = start(quiet()).await;
    let (acme, create, update) = provider(&h, "Acme Facilities");
    let wo = work_order(&h, &acme);
    let post = reqwest::Method::POST;

    // A flow no provider references: 403 with the companion's body, nothing started.
    let before = h.sim.store.table(EXECUTIONS).unwrap().read().len();
    let other = h
        .sim
        .store
        .insert("sys_hub_flow", &[("name", "Delete all the things"), ("type", "subflow"), ("active", "true")])
        .unwrap();
    let (s, b) = call(&h, post.clone(), &start_path(&other[0]), Some(json!({"inputs": {"record": wo}}))).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "Not a provider subflow");
    assert!(b["error"]["detail"].as_str().unwrap().contains("create, update or cancel work order subflow"));
    assert_eq!(h.sim.store.table(EXECUTIONS).unwrap().read().len(), before, "nothing ran");

    // Inputs the create subflow does not take: 400, nothing started.
    let (s, b) =
        call(&h, post.clone(), &start_path(&create), Some(json!({"inputs": {"record": wo, "script": "gs.eval()"}})))
            .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "Unknown inputs for the create subflow: script");
    // update's own inputs are not create's.
    let (s, b) =
        call(&h, post.clone(), &start_path(&create), Some(json!({"inputs": {"record": wo, "comment": "x"}}))).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "Unknown inputs for the create subflow: comment");
    // A work order of another provider: 403.
    let (keystone, _, _) = provider(&h, "Keystone Property Services");
    let theirs = work_order(&h, &keystone);
    let (s, b) = call(&h, post.clone(), &start_path(&create), Some(json!({"inputs": {"record": theirs}}))).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "Not this provider's work order");
    // changed_fields must be a list of names.
    let (s, b) = call(
        &h,
        post.clone(),
        &start_path(&update),
        Some(json!({"inputs": {"record": wo, "changed_fields": {"priority": "1"}}})),
    )
    .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "list of field names");
    assert_eq!(h.sim.store.table(EXECUTIONS).unwrap().read().len(), before, "nothing ran");

    // The provider's create subflow with its input: 202 and the context.
    let (s, b) = call(&h, post.clone(), &start_path(&create), Some(json!({"inputs": {"record": wo}}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["result"]["operation"], "create");
    let ctx = b["result"]["context_id"].as_str().unwrap().to_string();
    assert!(h.sim.store.get(EXECUTIONS, &ctx).is_ok());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_role_the_companion_answers_403() {
    // The admin user without `admin` (gs.hasRole is true for admin) and without the
    // companion's role.
    let breaks = Breaks::parse(&["role:admin"]).unwrap();
    let h = start(SimConfig { breaks, ..quiet() }).await;
    let (acme, create, _) = provider(&h, "Acme Facilities");
    let wo = work_order(&h, &acme);
    let before = h.sim.store.table(EXECUTIONS).unwrap().read().len();
    let (s, b) = call(&h, reqwest::Method::POST, &start_path(&create), Some(json!({"inputs": {"record": wo}}))).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "Not permitted");
    assert!(b["error"]["detail"].as_str().unwrap().contains("x_hubtop.operator"), "{b}");
    let (s, b) =
        call(&h, reqwest::Method::GET, &format!("/api/x_hubtop/console/executions/{}", "0".repeat(32)), None).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "Not permitted");
    assert_eq!(h.sim.store.table(EXECUTIONS).unwrap().read().len(), before, "nothing ran");

    // Granted the companion's role (and nothing else): allowed.
    let role = h.sim.store.insert(ROLE, &[("name", "x_hubtop.operator")]).unwrap();
    h.sim
        .store
        .insert(USER_ROLE, &[("user", hubtop::sim::user::ADMIN_SYS_ID), ("role", &role[0]), ("state", "active")])
        .unwrap();
    let (s, b) = call(&h, reqwest::Method::POST, &start_path(&create), Some(json!({"inputs": {"record": wo}}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_detail_says_when_the_instance_does_not_record_it() {
    for (reporting, want) in [(true, StepDetail::Recorded), (false, StepDetail::NotRecorded)] {
        let without = if reporting { Without::default() } else { Without::parse(&["flow-reporting"]).unwrap() };
        let h = start(SimConfig { without, ..quiet() }).await;
        let (acme, create, _) = provider(&h, "Acme Facilities");
        let wo = work_order(&h, &acme);
        let (s, b) =
            call(&h, reqwest::Method::POST, &start_path(&create), Some(json!({"inputs": {"record": wo}}))).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        let ctx = b["result"]["context_id"].as_str().unwrap().to_string();

        let mut c = ClientConfig::new(&h.base_url, Auth::Basic { user: "admin".into(), password: "admin".into() });
        c.rps = 0.0;
        let client = Client::new(c).unwrap();
        // Wait for the run to end (its steps are recorded by then).
        let mut detail = client.execution_detail(&ctx).await.unwrap().expect("installed");
        for _ in 0..200 {
            if ["COMPLETE", "ERROR"].contains(&detail.execution.get("state")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            detail = client.execution_detail(&ctx).await.unwrap().expect("installed");
        }
        assert_eq!(detail.step_detail, want);
        if reporting {
            assert!(!detail.steps.is_empty());
            assert_eq!(detail.step_detail.notice(detail.steps.len()), None);
        } else {
            assert!(detail.steps.is_empty());
            assert_eq!(
                detail.step_detail.notice(0),
                Some("step detail not recorded on this instance (flow reporting is off)")
            );
        }
        // An unknown execution is an error, not "the companion is not installed".
        let e = client.execution_detail(&"0".repeat(32)).await.unwrap_err();
        assert!(matches!(e, hubtop::client::Error::NotFound(_)), "{e:?}");
        h.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_names_the_companion_scope() {
    let h = start(quiet()).await;
    let auth = || Auth::Basic { user: "admin".into(), password: "admin".into() };
    // The embedded instance has it in x_hubtop; a profile that says x_acme_hubtop asks
    // there, finds nothing installed, and says so.
    let mut c = ClientConfig::new(&h.base_url, auth());
    c.companion = "x_acme_hubtop".into();
    let client = Client::new(c).unwrap();
    assert_eq!(client.execution_detail(&"0".repeat(32)).await.unwrap(), None);
    let (acme, create, _) = provider(&h, "Acme Facilities");
    let wo = work_order(&h, &acme);
    let mut inputs = serde_json::Map::new();
    inputs.insert("record".into(), json!(wo));
    let mut c = ClientConfig::new(&h.base_url, auth());
    c.companion = "x_acme_hubtop".into();
    c.triggers.create = "companion".into();
    let e = Client::new(c).unwrap().start_flow("create", &create, &inputs).await.unwrap_err();
    assert!(e.to_string().contains("/api/x_acme_hubtop/console/subflows/"), "{e}");
    // A scope that is not one is refused before anything is sent.
    let mut c = ClientConfig::new(&h.base_url, auth());
    c.companion = "x_acme/../now".into();
    assert!(Client::new(c).is_err());
    // The default scope reaches the embedded instance's companion.
    let mut c = ClientConfig::new(&h.base_url, auth());
    c.triggers.create = "companion".into();
    let id = Client::new(c).unwrap().start_flow("create", &create, &inputs).await.unwrap();
    assert!(id.is_some_and(|id| h.sim.store.get(EXECUTIONS, &id).is_ok()));
    h.shutdown().await;
}

#[test]
fn a_profile_reads_the_companion_scope() {
    let toml = "[profiles.acme]\ninstance = \"https://acme.service-now.com\"\ncompanion = \"x_acme_hubtop\"\n";
    let cfg: hubtop::config::Config = toml::from_str(toml).unwrap();
    assert_eq!(cfg.profiles["acme"].companion, "x_acme_hubtop");
    let toml = "[profiles.acme]\ninstance = \"https://acme.service-now.com\"\n";
    let cfg: hubtop::config::Config = toml::from_str(toml).unwrap();
    assert_eq!(cfg.profiles["acme"].companion, DEFAULT_SCOPE);
}

/// The detail pane says why an execution has no steps instead of showing an empty list.
#[test]
fn the_console_says_when_step_detail_is_not_recorded() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use hubtop::app::detail::{DetailData, ExecView};
    use hubtop::app::keys::Keymap;
    use hubtop::app::{App, Effect, Msg, Settings};
    use hubtop::client::actions::ExecDetail;
    use hubtop::client::read::Page;
    use hubtop::client::{Entity, Record};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let screen = |step_detail: StepDetail| {
        let mut app = App::new(Settings::default(), Keymap::default());
        app.size = (120, 30);
        app.start();
        let dv = |v: &str| json!({"value": v, "display_value": v});
        let exec = Record::from_json(&json!({
            "sys_id": "e1", "name": dv("Acme - Create Work Order"), "state": dv("COMPLETE"),
        }))
        .unwrap();
        let key = |app: &mut App, c: KeyCode| app.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        let Some(Effect::LoadWindow { seq, .. }) = key(&mut app, KeyCode::Char('6')).into_iter().next() else {
            panic!("the executions view asks for its window")
        };
        let page = Page { records: vec![exec.clone()], total: Some(1), next_offset: None };
        app.update(Msg::Window { entity: Entity::Executions, seq, offset: 0, result: Ok((page, None)) });
        let Some(Effect::LoadDetail { seq, .. }) = key(&mut app, KeyCode::Enter).into_iter().next() else {
            panic!("Enter opens the execution")
        };
        let x = ExecDetail { execution: exec.clone(), step_detail, ..Default::default() };
        app.update(Msg::Detail {
            seq,
            result: Ok(DetailData { record: exec, exec: Some(ExecView::Loaded(x)), related: vec![] }),
        });
        let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
        term.draw(|f| hubtop::ui::draw(f, &app, &hubtop::ui::Theme::default_theme())).unwrap();
        hubtop::harness::headless::screen_text(term.backend())
    };
    let off = screen(StepDetail::NotRecorded);
    assert!(off.contains("step detail not recorded on this instance (flow reporting is off)"), "{off}");
    let elsewhere = screen(StepDetail::Recorded);
    assert!(elsewhere.contains("step detail is recorded on the instance"), "{elsewhere}");
    assert!(!elsewhere.contains("flow reporting is off"));
}
