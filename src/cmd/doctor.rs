//! `hubtop doctor`: what an instance has, found only through documented tables
//! (`sys_db_object`, `sys_dictionary`, `sys_choice`, `sys_user_has_role`, and
//! `sys_ws_definition` / `sys_ws_operation` for scripted REST resources), as a checklist
//! — ✔ or ✖ per line, a fix under every ✖. Exit 0 only when what the console needs is
//! there (the companion and the triggers are optional: they are marked so). `--write`
//! stores what it confirmed in the profile (`doctor_write`).
//!
//! Doctor only reads: every request it sends is a GET. A trigger is never called to see
//! whether it is there (a REST API trigger whose path does not take the flow would start
//! its flow); it is confirmed from the metadata, or reported not verifiable read-only.

use super::doctor_write::{Found, TriggerFinding};
use crate::client::read::ListSpec;
use crate::client::trigger::{COMPANION, path_of};
use crate::client::{Client, Error, Record};
use crate::domain::Entity;
use crate::domain::mapping::{self, domain_fields};
use crate::exit;
use crate::query::{Condition, Op, Query};
use crate::sim::schema;

/// The roles the console needs (`admin` holds them all): the documented Workplace Case
/// Management case manager, and the Flow Designer role that reads executions (assumed).
pub const NEEDED_ROLES: &[&str] = &["sn_wsd_case.manager", "flow_operator"];

/// Choice fields the console acts and filters by (their descriptions mark them checked).
fn choice_fields() -> impl Iterator<Item = (Entity, &'static str)> {
    Entity::ALL.into_iter().flat_map(|e| e.desc().choices.iter().filter(|c| c.checked).map(move |c| (e, c.field)))
}

/// The companion's resources (method, path template) in the profile's scope, as its
/// update set declares them.
fn companion_resources(scope: &str) -> [(&'static str, String); 2] {
    [
        ("GET", crate::client::trigger::companion_detail(scope, "{sys_id}")),
        ("POST", COMPANION.replace("{companion}", scope)),
    ]
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub ok: bool,
    /// Whether the console needs it (an optional ✖ does not fail the run).
    pub required: bool,
    pub text: String,
    pub fix: String,
}

fn check(ok: bool, text: String, fix: &str) -> Check {
    Check { ok, required: true, text, fix: if ok { String::new() } else { fix.to_string() } }
}

/// Runs every check; `Err` when the instance cannot be asked at all.
pub async fn examine(c: &Client, profile: &str) -> (Vec<Check>, Found) {
    let mut out = Vec::new();
    let mut found = Found { tables: c.config.tables.clone(), mapping: c.config.mapping.clone(), triggers: Vec::new() };
    // 1. Reachable, an instance, authenticated, allowed to read the metadata.
    let mut probe = ListSpec::new("sys_db_object");
    probe.limit = 1;
    probe.no_count = true;
    probe.fields = vec!["name".into()];
    match c.list(&probe).await {
        Ok(_) => {
            out.push(check(true, format!("{} answers as a ServiceNow instance", c.config.base_url), ""));
            out.push(check(true, format!("signed in as {}", c.config.auth.principal()), ""));
        }
        Err(e) => {
            out.push(first_failure(c, &e, profile));
            return (out, found);
        }
    }
    // 2. Roles.
    out.extend(roles(c).await);
    // 3. Tables, 4. fields, 5. choices.
    for e in Entity::ALL {
        out.extend(table(c, e, &mut found, profile).await);
    }
    for (e, f) in choice_fields() {
        if let Some(line) = choices(c, e, f, &mut found, profile).await {
            out.push(line);
        }
    }
    // 6. The companion, 7. the triggers: from the metadata, never by calling them.
    let (companion, line) = companion_check(c).await;
    out.push(line);
    for purpose in ["create", "rerun"] {
        let (line, finding) = trigger_check(c, purpose, companion, profile).await;
        out.push(line);
        found.triggers.push(finding);
    }
    // 8. The rate limit, when the instance says.
    if let Some(rl) = c.rate_limit().filter(|r| r.limit.is_some()) {
        let left = rl.remaining.map(|r| format!(", {r} left")).unwrap_or_default();
        out.push(check(true, format!("rate limit {} requests/hour{left}", rl.limit.unwrap_or(0)), ""));
    }
    (out, found)
}

fn first_failure(c: &Client, e: &Error, profile: &str) -> Check {
    let url = &c.config.base_url;
    let (text, fix) = match e {
        Error::NotAnInstance { .. } => (
            format!("{url} answers with a web page, not the Table API"),
            "a hibernating developer instance answers so: wake it from the developer portal; else check the URL"
                .to_string(),
        ),
        Error::Auth { .. } => (
            format!("authentication refused: {e}"),
            format!("check the user and secret of profile `{profile}` (`hubtop login --profile {profile}`)"),
        ),
        Error::Forbidden { .. } => (
            format!("signed in, but sys_db_object is not readable: {e}"),
            "grant the user read access to sys_db_object, sys_dictionary and sys_choice".to_string(),
        ),
        _ => (format!("{url} is not reachable: {e}"), "check the instance URL, the network and any proxy".into()),
    };
    Check { ok: false, required: true, text, fix }
}

/// What the metadata says of one scripted REST resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// An active resource with this method and path: its full path.
    Confirmed(String),
    /// The metadata was read and has no such resource.
    Absent,
    /// The metadata could not be read (its error).
    Unreadable(String),
}

/// Whether two path templates name the same resource: the same segments, a `{param}`
/// matching any one segment.
pub fn same_path(a: &str, b: &str) -> bool {
    let seg = |p: &str| p.trim_end_matches('/').split('/').map(str::to_string).collect::<Vec<_>>();
    let (a, b) = (seg(a), seg(b));
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || x.starts_with('{') || y.starts_with('{'))
}

/// Looks a resource up in the instance's metadata, with GET requests only: the scripted
/// REST API whose base path (`sys_ws_definition.base_uri`) begins the path, and its
/// resource (`sys_ws_operation`: HTTP method, relative path). Documented in "Create a
/// scripted REST API" and "Create a scripted REST API resource"
/// (api-reference/rest-api-explorer/t_CreateAScriptedRESTService.md,
/// t_CreateAScriptedRESTAPIResource.md).
pub async fn resource(c: &Client, method: &str, template: &str) -> Resource {
    // The scope's namespace: `/api/<scope>` of `/api/<scope>/<api>/…`.
    let scope: String = template.split('/').take(3).collect::<Vec<_>>().join("/");
    let q = Query::new().and(Condition::new("base_uri", Op::StartsWith, &scope)).and(Condition::eq("active", "true"));
    let defs = match rows(c, "sys_ws_definition", q, &["sys_id", "base_uri"], false).await {
        Ok(d) => d,
        Err(e) => return Resource::Unreadable(format!("sys_ws_definition: {e}")),
    };
    let defs: Vec<Record> = defs
        .into_iter()
        .filter(|d| {
            let base = d.get("base_uri").trim_end_matches('/');
            !base.is_empty() && template.starts_with(&format!("{base}/"))
        })
        .collect();
    if defs.is_empty() {
        return Resource::Absent;
    }
    let ids: Vec<&str> = defs.iter().map(|d| d.sys_id()).collect();
    let q = Query::new()
        .and(Condition::new("web_service_definition", Op::In, &ids.join(",")))
        .and(Condition::eq("http_method", method))
        .and(Condition::eq("active", "true"));
    let ops = match rows(c, "sys_ws_operation", q, &["web_service_definition", "relative_path"], false).await {
        Ok(o) => o,
        Err(e) => return Resource::Unreadable(format!("sys_ws_operation: {e}")),
    };
    for op in &ops {
        let Some(def) = defs.iter().find(|d| d.sys_id() == op.get("web_service_definition")) else { continue };
        let full = format!("{}{}", def.get("base_uri").trim_end_matches('/'), op.get("relative_path"));
        if same_path(&full, template) {
            return Resource::Confirmed(full);
        }
    }
    Resource::Absent
}

/// The companion API: installed when the metadata has both of its resources.
async fn companion_check(c: &Client) -> (bool, Check) {
    let scope = c.config.companion.as_str();
    let mut missing = Vec::new();
    let mut unreadable = None;
    for (method, path) in companion_resources(scope) {
        match resource(c, method, &path).await {
            Resource::Confirmed(_) => {}
            Resource::Absent => missing.push(format!("{method} {path}")),
            Resource::Unreadable(e) => unreadable = Some(e),
        }
    }
    let install = "for step detail where the instance records it, and a trigger for create and rerun: install \
                   assets/servicenow/hubtop_companion_update_set.xml (see assets/servicenow/README.md)";
    let (ok, text, fix) = match (unreadable, missing.is_empty()) {
        (Some(e), _) => (
            false,
            format!("companion API {scope}/console: not verifiable read-only ({e}) (optional)"),
            format!("grant the user read on sys_ws_definition and sys_ws_operation; or {install}"),
        ),
        (None, true) => (
            true,
            format!(
                "companion API {scope}/console installed (step detail, trigger): its resources are in \
                 sys_ws_operation"
            ),
            String::new(),
        ),
        (None, false) => (
            false,
            format!("companion API {scope}/console not installed (optional): no {}", missing.join(", no ")),
            install.to_string(),
        ),
    };
    (ok, Check { ok, required: false, text, fix })
}

/// The trigger of `purpose`: confirmed from the metadata, else the companion when it is
/// confirmed, else not verifiable read-only (never called to find out).
async fn trigger_check(c: &Client, purpose: &str, companion: bool, profile: &str) -> (Check, TriggerFinding) {
    let setting = c.config.triggers.of(purpose).to_string();
    let fix = crate::client::trigger::what_to_configure(purpose, "none confirmed").replace("NAME", profile);
    let finding = |setting: &str, confirmed: bool, why: &str| TriggerFinding {
        purpose: purpose.to_string(),
        setting: setting.to_string(),
        confirmed,
        why: why.to_string(),
    };
    let Some(template) = path_of(&setting, "{flow_sys_id}", &c.config.companion) else {
        let text = format!("{purpose} trigger: none configured (optional: {purpose} is refused)");
        return (Check { ok: false, required: false, text, fix }, finding(&setting, false, "none configured"));
    };
    let why = match resource(c, "POST", &template).await {
        Resource::Confirmed(full) => {
            let text = format!("{purpose} trigger {setting}: POST {full} is on the instance (sys_ws_operation)");
            return (Check { ok: true, required: false, text, fix: String::new() }, finding(&setting, true, ""));
        }
        Resource::Absent => "not among the instance's scripted REST resources (sys_ws_operation)".to_string(),
        Resource::Unreadable(e) => e,
    };
    let unverifiable = format!("not verifiable read-only ({why})");
    if companion {
        // The ✔ is for what is confirmed (the companion), said first.
        let text =
            format!("{purpose} trigger: the companion's is confirmed (--write uses it); {setting} is {unverifiable}");
        return (Check { ok: true, required: false, text, fix: String::new() }, finding("companion", true, ""));
    }
    let text = format!(
        "{purpose} trigger {setting}: {unverifiable} — try it with `hubtop {} --dry-run` (optional)",
        if purpose == "rerun" { "rerun EXECUTION" } else { "create NUMBER" }
    );
    let why = format!("{unverifiable}; see what would be sent with `hubtop {purpose} --dry-run`");
    (Check { ok: false, required: false, text, fix }, finding(&setting, false, &why))
}

async fn rows(c: &Client, table: &str, q: Query, fields: &[&str], display: bool) -> Result<Vec<Record>, Error> {
    let mut spec = ListSpec::new(table);
    spec.query = q;
    spec.limit = 2000;
    spec.no_count = true;
    spec.display = display;
    spec.fields = fields.iter().map(|s| s.to_string()).collect();
    c.list_all(&spec).await
}

async fn roles(c: &Client) -> Vec<Check> {
    let user = c.config.auth.principal().to_string();
    let held: Result<Vec<String>, Error> = async {
        let u = rows(c, "sys_user", Query::new().and(Condition::eq("user_name", &user)), &["sys_id"], false).await?;
        let Some(id) = u.first().map(|r| r.sys_id().to_string()) else { return Ok(Vec::new()) };
        let q = Query::new().and(Condition::eq("user", &id));
        let r = rows(c, "sys_user_has_role", q, &["role", "state"], true).await?;
        Ok(r.iter().filter(|x| x.get("state") != "inactive").map(|x| x.show("role").to_string()).collect())
    }
    .await;
    let held = match held {
        Ok(h) => h,
        Err(e) => {
            let fix = "grant the user read access to sys_user and sys_user_has_role, or check its roles by hand";
            return vec![check(false, format!("the roles of {user} cannot be read: {e}"), fix)];
        }
    };
    let admin = held.iter().any(|r| r == "admin");
    NEEDED_ROLES
        .iter()
        .map(|role| {
            let has = held.iter().any(|r| r == role);
            let text = match (has, admin) {
                (true, _) => format!("role {role}"),
                (false, true) => format!("role {role} (through admin)"),
                (false, false) => format!("role {role} is missing for {user}"),
            };
            let fix = format!("an admin grants {role} to {user} (User Administration > Users > {user} > Roles > Edit)");
            check(has || admin, text, &fix)
        })
        .collect()
}

/// The table and the tables it extends (fields of a parent are the child's too).
async fn chain(c: &Client, first: &Record) -> Vec<String> {
    let mut names = vec![first.get("name").to_string()];
    let mut parent = first.get("super_class").to_string();
    while !parent.is_empty() && names.len() < 6 {
        let q = Query::new().and(Condition::eq("sys_id", &parent));
        match rows(c, "sys_db_object", q, &["name", "super_class"], false).await.ok().and_then(|r| r.into_iter().next())
        {
            Some(r) => {
                names.push(r.get("name").to_string());
                parent = r.get("super_class").to_string();
            }
            None => break,
        }
    }
    names
}

async fn table(c: &Client, e: Entity, found: &mut Found, profile: &str) -> Vec<Check> {
    let key = mapping::key(e);
    let name = c.table(e).to_string();
    let label = schema::table_label(e.desc().default_table);
    let by = |f: &str, v: &str| Query::new().and(Condition::eq(f, v));
    let fields = ["sys_id", "name", "label", "super_class"];
    let row = match rows(c, "sys_db_object", by("name", &name), &fields, false).await {
        Ok(r) if !r.is_empty() => r.into_iter().next(),
        Ok(_) => {
            rows(c, "sys_db_object", by("label", &label), &fields, false).await.ok().and_then(|r| r.into_iter().next())
        }
        Err(err) => return vec![check(false, format!("{} ({name}): {err}", e.label()), "grant read on sys_db_object")],
    };
    let Some(row) = row else {
        let fix = format!(
            "find the table of {} on the instance (System Definition > Tables) and set \
             [profiles.{profile}.tables] {key} = \"its_name\"",
            e.label().to_lowercase()
        );
        return vec![check(
            false,
            format!("{} table {name} not found (nor one labelled \"{label}\")", e.label()),
            &fix,
        )];
    };
    let actual = row.get("name").to_string();
    let mut out = Vec::new();
    if actual != name {
        out.push(check(
            true,
            format!(
                "{} table: looked for {name}, found {actual} instead, by its label \"{label}\" (--write stores it)",
                e.label()
            ),
            "",
        ));
        *found.tables.name_mut(e) = actual.clone();
    }
    // Fields, by name or by label, in the table and the ones it extends.
    let names = chain(c, &row).await;
    let q = Query::new().and(Condition::new("name", Op::In, &names.join(","))).and(Condition::new(
        "element",
        Op::IsNotEmpty,
        "",
    ));
    let dict = match rows(c, "sys_dictionary", q, &["element", "column_label", "internal_type"], false).await {
        Ok(d) => d,
        Err(err) => return vec![check(false, format!("{} fields: {err}", e.label()), "grant read on sys_dictionary")],
    };
    let elements: Vec<String> = dict.iter().map(|r| r.get("element").to_string()).collect();
    let mut missing = Vec::new();
    for f in domain_fields(e) {
        let inst = found.mapping.field_out(e, f);
        if elements.contains(&inst) {
            continue;
        }
        let label = schema::field_label(e.desc().default_table, f).to_lowercase();
        match dict.iter().find(|r| r.get("column_label").to_lowercase() == label) {
            Some(r) => {
                let el = r.get("element").to_string();
                out.push(check(
                    true,
                    format!("{actual}.{f}: looked for {inst}, found {el} instead, by its label (--write stores it)"),
                    "",
                ));
                found.mapping.fields.entry(key.into()).or_default().insert(f.to_string(), el);
            }
            None => missing.push(*f),
        }
    }
    found.mapping.known.insert(key.into(), elements);
    if missing.is_empty() {
        out.insert(0, check(true, format!("{} table {actual}: {} fields", e.label(), domain_fields(e).len()), ""));
    }
    for f in missing {
        let fix = format!(
            "find the field on {actual} (its dictionary) and map it: [profiles.{profile}.mapping.fields.{key}] \
             {f} = \"its_name\""
        );
        out.push(check(false, format!("{actual}.{f} is missing"), &fix));
    }
    out
}

async fn choices(c: &Client, e: Entity, f: &str, found: &mut Found, profile: &str) -> Option<Check> {
    let key = mapping::key(e);
    let table = found.tables.name(e).to_string();
    let inst = found.mapping.field_out(e, f);
    if !found.mapping.known.get(key).is_some_and(|k| k.contains(&inst)) {
        return None; // the field's own line says what is wrong
    }
    let q = Query::new().and(Condition::eq("name", &table)).and(Condition::eq("element", &inst));
    let list = match rows(c, "sys_choice", q, &["value", "label", "inactive"], false).await {
        Ok(l) => l,
        Err(err) => return Some(check(false, format!("choices of {table}.{inst}: {err}"), "grant read on sys_choice")),
    };
    if list.is_empty() {
        // Choices defined on a parent table, or none: nothing to compare.
        return None;
    }
    let mut missing = Vec::new();
    for v in e.choices(f).unwrap_or_default() {
        let want = found.mapping.value_out(e, f, v).to_string();
        if list.iter().any(|r| r.get("value") == want) {
            continue;
        }
        let label = schema::choice_label(v).to_lowercase();
        match list.iter().find(|r| r.get("label").to_lowercase() == label) {
            Some(r) => {
                let m = found.mapping.choices.entry(key.into()).or_default().entry(f.to_string()).or_default();
                m.insert(v.to_string(), r.get("value").to_string());
            }
            None => missing.push(*v),
        }
    }
    let fix = format!(
        "map each to the instance's value: [profiles.{profile}.mapping.choices.{key}.{f}] {} = \"its_value\"",
        missing.first().unwrap_or(&"value")
    );
    Some(check(
        missing.is_empty(),
        if missing.is_empty() {
            format!("{table}.{inst} choices")
        } else {
            format!("{table}.{inst} lacks the choice values {}", missing.join(", "))
        },
        &fix,
    ))
}

/// Prints the checklist; the exit code: 0 when every needed line is ✔.
pub fn report(checks: &[Check]) -> u8 {
    let (text, code) = checklist(checks);
    super::output::emit(&text);
    code
}

/// The checklist's text and the exit code it means.
fn checklist(checks: &[Check]) -> (String, u8) {
    let mut code = exit::OK;
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!("{} {}\n", if c.ok { "✔" } else { "✖" }, c.text));
        if !c.ok {
            out.push_str(&format!("    fix: {}\n", c.fix));
            if c.required {
                code = exit::FAILED;
            }
        }
    }
    (out, code)
}

/// `hubtop doctor`: the checklist, and with `write` what was found into the profile
/// (stored before anything is printed: a reader that stops early cannot stop the write).
pub async fn doctor(c: &Client, profile: Option<&str>, write: bool) -> u8 {
    let name = profile.unwrap_or("NAME");
    let (checks, found) = examine(c, name).await;
    let (mut text, code) = checklist(&checks);
    if write {
        let Some(p) = profile else {
            super::output::emit(&text);
            eprintln!("hubtop: --write stores what was found in a profile: give --profile NAME");
            return exit::USAGE;
        };
        match super::doctor_write::store(&crate::config::config_path(), p, &found) {
            Ok(path) => text.push_str(&format!("stored in {} (profile {p})\n", path.display())),
            Err(e) => {
                super::output::emit(&text);
                eprintln!("hubtop: {e}");
                return exit::FAILED.max(code);
            }
        }
    }
    super::output::emit(&text);
    code
}

#[cfg(test)]
mod tests {
    use super::same_path;

    #[test]
    fn a_path_template_matches_a_resource_by_its_segments() {
        let res = "/api/x_hubtop/console/subflows/{flow_sys_id}/start";
        assert!(same_path(res, "/api/x_hubtop/console/subflows/{flow_sys_id}/start"));
        assert!(same_path("/api/x_acme/fm_create/{id}", "/api/x_acme/fm_create/{flow_sys_id}"));
        assert!(!same_path(res, "/api/x_hubtop/console/subflows/{flow_sys_id}"));
        assert!(!same_path("/api/x_acme/fm_create/{id}", "/api/x_acme/fm_update/{flow_sys_id}"));
    }
}
