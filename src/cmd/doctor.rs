//! `hubtop doctor`: what an instance has, found only through documented tables
//! (`sys_db_object`, `sys_dictionary`, `sys_choice`, `sys_user_has_role`), as a checklist
//! — ✔ or ✖ per line, a fix under every ✖. Exit 0 only when what the console needs is
//! there (the companion and the triggers are optional: they are marked so). `--write`
//! stores what it found in the profile (`doctor_write`).

use serde_json::json;

use crate::client::read::ListSpec;
use crate::client::{Client, Error, Record};
use crate::domain::mapping::{self, Mapping, domain_fields};
use crate::domain::{Entity, Tables};
use crate::exit;
use crate::query::{Condition, Op, Query};
use crate::sim::schema;

/// The roles the console needs (`admin` holds them all): the documented Workplace Case
/// Management case manager, and the Flow Designer role that reads executions (assumed).
pub const NEEDED_ROLES: &[&str] = &["sn_wsd_case.manager", "flow_operator"];

/// Choice fields the console acts and filters by.
const CHOICE_FIELDS: &[(Entity, &str)] = &[
    (Entity::WorkOrders, "state"),
    (Entity::WorkOrders, "integration_state"),
    (Entity::Outbound, "state"),
    (Entity::Inbound, "state"),
    (Entity::Executions, "state"),
    (Entity::History, "status"),
    (Entity::History, "operation"),
];

const NO_ID: &str = "00000000000000000000000000000000";

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub ok: bool,
    /// Whether the console needs it (an optional ✖ does not fail the run).
    pub required: bool,
    pub text: String,
    pub fix: String,
}

/// What doctor found, for `--write`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub tables: Tables,
    pub mapping: Mapping,
    /// Trigger settings that answer: (create, rerun).
    pub triggers: Option<(String, String)>,
}

fn check(ok: bool, text: String, fix: &str) -> Check {
    Check { ok, required: true, text, fix: if ok { String::new() } else { fix.to_string() } }
}

/// Runs every check; `Err` when the instance cannot be asked at all.
pub async fn examine(c: &Client, profile: &str) -> (Vec<Check>, Found) {
    let mut out = Vec::new();
    let mut found = Found { tables: c.config.tables.clone(), mapping: c.config.mapping.clone(), triggers: None };
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
    for (e, f) in CHOICE_FIELDS {
        if let Some(line) = choices(c, *e, f, &mut found, profile).await {
            out.push(line);
        }
    }
    // 6. The companion, 7. the triggers.
    let companion = answers(c, "GET", "/api/x_hubtop/console/executions/".to_string() + NO_ID).await;
    out.push(Check {
        ok: companion,
        required: false,
        text: format!(
            "companion API x_hubtop/console {}",
            if companion { "installed (step detail, trigger)" } else { "not installed (optional)" }
        ),
        fix: "for each step's inputs and outputs, and a trigger for create and rerun: install \
              assets/servicenow/hubtop_companion_update_set.xml (see assets/servicenow/README.md)"
            .into(),
    });
    let mut settings = Vec::new();
    for purpose in ["create", "rerun"] {
        let setting = c.config.triggers.of(purpose).to_string();
        let ok = match crate::client::trigger::path_of(&setting, NO_ID) {
            Some(path) => answers(c, "POST", path).await,
            None => false,
        };
        let fallback = !ok && companion;
        settings.push(if fallback { "companion".to_string() } else { setting.clone() });
        out.push(Check {
            ok: ok || fallback,
            required: false,
            text: match (ok, fallback) {
                (true, _) => format!("{purpose} trigger {setting} answers"),
                (false, true) => {
                    format!("{purpose} trigger {setting} is not there; the companion is (--write uses it)")
                }
                (false, false) => format!("{purpose} trigger {setting} is not there (optional: {purpose} is refused)"),
            },
            fix: crate::client::trigger::what_to_configure(purpose, "the configured path is not installed")
                .replace("NAME", profile),
        });
    }
    found.triggers = Some((settings[0].clone(), settings[1].clone()));
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

/// Whether a path exists on the instance: anything but "not installed" (400 no such
/// resource) or no answer at all. A 404 of a record that is not there is an answer.
async fn answers(c: &Client, method: &str, path: String) -> bool {
    let r = if method == "GET" {
        c.get_json(&path, &[]).await.map(|_| ())
    } else {
        let body = json!({"inputs": {}});
        c.send(reqwest::Method::POST, &path, &[], Some(&body), crate::client::Idempotence::Write).await.map(|_| ())
    };
    match r {
        Ok(()) => true,
        Err(Error::NotInstalled { .. }) => false,
        Err(e) => e.is_refusal() || matches!(e, Error::NotFound(_)),
    }
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
            format!("{} table: {actual} (by its label \"{label}\"; --write stores it)", e.label()),
            "",
        ));
        set_table(&mut found.tables, e, &actual);
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
                out.push(check(true, format!("{actual}.{f}: found as {el} by its label (--write stores it)"), ""));
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
    for v in schema::choices(e.desc().default_table, f) {
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

fn set_table(t: &mut Tables, e: Entity, name: &str) {
    let slot = match e {
        Entity::Providers => &mut t.providers,
        Entity::WorkOrders => &mut t.work_orders,
        Entity::Outbound => &mut t.outbound,
        Entity::Inbound => &mut t.inbound,
        Entity::Executions => &mut t.executions,
        Entity::History => &mut t.history,
        Entity::Flows => &mut t.flows,
    };
    *slot = name.to_string();
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
