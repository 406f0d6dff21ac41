//! The companion update set, generated from readable sources: the records as data
//! (assets/servicenow/src/companion.toml) and the scripts as `.js` files beside it.
//! `cargo run --example companion_update_set -- --write` rewrites
//! assets/servicenow/hubtop_companion_update_set.xml; `tests/sim/companion.rs` checks that the
//! committed file is exactly what [`generate`] makes, and that it has the structure of a
//! real export of a scoped application (the `mattermost/mattermost-plugin-servicenow`
//! export: `sys_remote_update_set` with its `sys_id`, each `sys_update_xml` with
//! `remote_update_set`, `application`, `type`, `target_name`, `update_domain`, `action`,
//! payloads with their XML declaration, scopes referenced by `sys_id`).
//!
//! The embedded instance reads the same data ([`spec`]): the role, the resources and the
//! inputs it enforces are the ones this file ships.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Deserialize;

/// The data file and the scripts, compiled in.
pub const DATA: &str = include_str!("../../../../assets/servicenow/src/companion.toml");
pub const SCRIPTS: &[(&str, &str)] = &[
    ("execution_detail.js", include_str!("../../../../assets/servicenow/src/execution_detail.js")),
    ("start_subflow.js", include_str!("../../../../assets/servicenow/src/start_subflow.js")),
];
/// Where the generated file is committed (relative to the repository).
pub const COMMITTED: &str = "assets/servicenow/hubtop_companion_update_set.xml";
/// The scope the committed file is generated for (and the client's default namespace).
pub const DEFAULT_SCOPE: &str = "x_hubtop";
/// The platform's default ACL for scripted REST APIs ("Scripted REST External Default"),
/// as the real export references it on its API record.
pub const EXTERNAL_DEFAULT_ACL: &str = "cf9d01d3e73003009d6247e603f6a990";

#[derive(Debug, Deserialize)]
pub struct Spec {
    pub app: App,
    pub update_set: SetMeta,
    pub role: Role,
    pub api: Api,
    pub resource: Vec<Resource>,
    pub inputs: BTreeMap<String, Vec<String>>,
    pub provider_fields: BTreeMap<String, String>,
    pub privilege: Vec<Privilege>,
}

#[derive(Debug, Deserialize)]
pub struct App {
    pub name: String,
    pub scope: String,
    pub version: String,
    pub vendor: String,
    pub short_description: String,
    pub js_level: String,
}

#[derive(Debug, Deserialize)]
pub struct SetMeta {
    pub name: String,
    pub description: String,
    pub date: String,
    pub author: String,
}

#[derive(Debug, Deserialize)]
pub struct Role {
    pub suffix: String,
    pub description: String,
}

#[derive(Debug, Deserialize)]
pub struct Api {
    pub name: String,
    pub service_id: String,
    pub short_description: String,
}

#[derive(Debug, Deserialize)]
pub struct Resource {
    pub key: String,
    pub name: String,
    pub method: String,
    pub path: String,
    pub script: String,
    pub short_description: String,
}

#[derive(Debug, Deserialize)]
pub struct Privilege {
    pub table: String,
    pub scope: String,
}

/// The data as committed (scope `x_hubtop`).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| toml::from_str(DATA).expect("assets/servicenow/src/companion.toml"))
}

impl Spec {
    /// The role's name in `scope` (`x_hubtop.operator`).
    pub fn role_name(&self, scope: &str) -> String {
        format!("{scope}.{}", self.role.suffix)
    }

    /// The API's base path in `scope`.
    pub fn base_uri(&self, scope: &str) -> String {
        format!("/api/{scope}/{}", self.api.service_id)
    }

    /// A script with the scope's values in place of its `@…@` markers.
    pub fn script(&self, file: &str, scope: &str) -> String {
        let src =
            SCRIPTS.iter().find(|(f, _)| *f == file).map(|(_, s)| *s).unwrap_or_else(|| panic!("no script {file}"));
        let inputs = serde_json::to_string(&self.inputs).expect("inputs");
        let fields = serde_json::to_string(&self.provider_fields).expect("provider fields");
        src.replace("@ROLE@", &self.role_name(scope))
            .replace("@INPUTS@", &inputs)
            .replace("@PROVIDER_FIELDS@", &fields)
            .replace("@SCOPE@", scope)
    }
}

/// A stable sys_id for one record of the set in `scope`: 32 lowercase hex digits, the
/// same at every generation, different per scope (two customers' sets do not collide).
pub fn sys_id(scope: &str, key: &str) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for b in scope.bytes().chain([0u8]).chain(key.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    format!("{:016x}{:016x}", fnv(0xcbf2_9ce4_8422_2325), fnv(0x8422_2325_cbf2_9ce4))
}

/// Java's `String.hashCode` (what `payload_hash` holds in a real export).
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Escapes an attribute value.
pub fn escape(s: &str) -> String {
    escape_text(s).replace('"', "&quot;")
}

/// Escapes element text (quotes stay, as in an export).
pub fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One field of a record: plain, a reference (`display_value` and the sys_id), or empty.
enum F {
    V(String),
    Ref { display: String, id: String, extra: Option<(&'static str, String)> },
}

fn v(s: impl Into<String>) -> F {
    F::V(s.into())
}

fn reference(display: &str, id: &str) -> F {
    F::Ref { display: display.into(), id: id.into(), extra: None }
}

/// One update of the set: the record's table, its sys_id, what the update list shows
/// (`type`, `target_name`, `table`) and its fields.
struct Update {
    table: &'static str,
    id: String,
    kind: &'static str,
    target_name: String,
    update_table: String,
    sys_name: String,
    fields: Vec<(&'static str, F)>,
}

struct Ctx<'a> {
    spec: &'a Spec,
    scope: String,
    app_id: String,
}

impl Ctx<'_> {
    fn payload(&self, u: &Update) -> String {
        let s = self.spec;
        let date = &s.update_set.date;
        let author = &s.update_set.author;
        let mut fields: Vec<(&str, F)> = u.fields.iter().map(|(k, f)| (*k, clone_f(f))).collect();
        fields.push(("sys_class_name", v(u.table)));
        fields.push(("sys_created_by", v(author.as_str())));
        fields.push(("sys_created_on", v(date.as_str())));
        fields.push(("sys_id", v(u.id.as_str())));
        fields.push(("sys_mod_count", v("0")));
        fields.push(("sys_name", v(u.sys_name.as_str())));
        fields.push((
            "sys_package",
            F::Ref {
                display: s.app.name.clone(),
                id: self.app_id.clone(),
                extra: Some(("source", self.scope.clone())),
            },
        ));
        fields.push(("sys_policy", v("")));
        fields.push(("sys_scope", reference(&s.app.name, &self.app_id)));
        fields.push(("sys_update_name", v(format!("{}_{}", u.table, u.id))));
        fields.push(("sys_updated_by", v(author.as_str())));
        fields.push(("sys_updated_on", v(date.as_str())));
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><record_update table=\"{t}\"><{t} action=\"INSERT_OR_UPDATE\">",
            t = u.table
        );
        for (k, f) in &fields {
            match f {
                F::V(val) if val.is_empty() => {
                    let _ = write!(x, "<{k}/>");
                }
                F::V(val) => {
                    let _ = write!(x, "<{k}>{}</{k}>", escape_text(val));
                }
                F::Ref { display, id, extra } => {
                    let extra = extra.as_ref().map(|(a, b)| format!(" {a}=\"{}\"", escape(b))).unwrap_or_default();
                    let _ = write!(x, "<{k} display_value=\"{}\"{extra}>{}</{k}>", escape(display), escape_text(id));
                }
            }
        }
        let _ = write!(x, "</{t}></record_update>", t = u.table);
        x
    }
}

fn clone_f(f: &F) -> F {
    match f {
        F::V(s) => F::V(s.clone()),
        F::Ref { display, id, extra } => F::Ref { display: display.clone(), id: id.clone(), extra: extra.clone() },
    }
}

/// The update set for `scope`, as the file to import.
pub fn generate(spec: &Spec, scope: &str) -> String {
    let app = &spec.app;
    let meta = &spec.update_set;
    let cx = Ctx { spec, scope: scope.to_string(), app_id: sys_id(scope, "sys_app") };
    let set_id = sys_id(scope, "sys_remote_update_set");
    let role = spec.role_name(scope);
    let role_id = sys_id(scope, "sys_user_role");
    let api_id = sys_id(scope, "sys_ws_definition");
    let base = spec.base_uri(scope);
    let mut updates = vec![
        Update {
            table: "sys_app",
            id: cx.app_id.clone(),
            kind: "Custom Application",
            target_name: app.name.clone(),
            update_table: String::new(),
            sys_name: app.name.clone(),
            fields: vec![
                ("active", v("true")),
                ("enforce_license", v("log")),
                ("js_level", v(app.js_level.as_str())),
                ("licensable", v("false")),
                ("license_model", v("none")),
                ("logo", v("")),
                ("menu", v("")),
                ("name", v(app.name.as_str())),
                ("private", v("false")),
                ("restrict_table_access", v("false")),
                ("runtime_access_tracking", v("permissive")),
                ("scope", v(scope)),
                ("scoped_administration", v("false")),
                ("short_description", v(app.short_description.as_str())),
                ("source", v(scope)),
                ("template", v("")),
                ("trackable", v("true")),
                ("user_role", v("")),
                ("vendor", v(app.vendor.as_str())),
                ("vendor_prefix", v("")),
                ("version", v(app.version.as_str())),
            ],
        },
        Update {
            table: "sys_user_role",
            id: role_id.clone(),
            kind: "Role",
            target_name: role.clone(),
            update_table: String::new(),
            sys_name: role.clone(),
            fields: vec![
                ("assignable_by", v("")),
                ("can_delegate", v("true")),
                ("description", v(spec.role.description.as_str())),
                ("elevated_privilege", v("false")),
                ("grantable", v("true")),
                ("includes_roles", v("")),
                ("name", v(role.as_str())),
                ("requires_subscription", v("")),
                ("scoped_admin", v("false")),
                ("suffix", v(spec.role.suffix.as_str())),
            ],
        },
        Update {
            table: "sys_ws_definition",
            id: api_id.clone(),
            kind: "Scripted REST API",
            target_name: spec.api.name.clone(),
            update_table: String::new(),
            sys_name: spec.api.name.clone(),
            fields: vec![
                ("active", v("true")),
                ("base_uri", v(base.as_str())),
                ("consumes", v("application/json")),
                ("consumes_customized", v("true")),
                ("default_version", v("No active default version")),
                ("doc_link", v("")),
                ("enforce_acl", v(EXTERNAL_DEFAULT_ACL)),
                ("is_versioned", v("false")),
                ("name", v(spec.api.name.as_str())),
                ("namespace", v(scope)),
                ("produces", v("application/json")),
                ("produces_customized", v("true")),
                ("service_id", v(spec.api.service_id.as_str())),
                ("short_description", v(spec.api.short_description.as_str())),
            ],
        },
    ];
    for r in &spec.resource {
        let acl_id = sys_id(scope, &format!("sys_security_acl.{}", r.key));
        let op_id = sys_id(scope, &format!("sys_ws_operation.{}", r.key));
        let uri = format!("{base}{}", r.path);
        let acl_name = format!("{}/{}", spec.api.name, r.name);
        updates.push(Update {
            table: "sys_security_acl",
            id: acl_id.clone(),
            kind: "Access Control",
            target_name: acl_name.clone(),
            update_table: acl_name.clone(),
            sys_name: acl_name.clone(),
            fields: vec![
                ("active", v("true")),
                ("admin_overrides", v("true")),
                ("advanced", v("false")),
                ("condition", v("")),
                ("description", v(format!("{} {uri}: callers need {role}", r.method))),
                ("name", v(acl_name.as_str())),
                ("operation", F::Ref { display: "execute".into(), id: "execute".into(), extra: None }),
                ("script", v("")),
                ("type", F::Ref { display: "REST_Endpoint".into(), id: "rest_endpoint".into(), extra: None }),
            ],
        });
        let acl_role_id = sys_id(scope, &format!("sys_security_acl_role.{}", r.key));
        let acl_role_name = format!("{acl_name}.{role}");
        updates.push(Update {
            table: "sys_security_acl_role",
            id: acl_role_id,
            kind: "Access Roles",
            target_name: acl_role_name.clone(),
            update_table: acl_name.clone(),
            sys_name: acl_role_name,
            fields: vec![
                ("sys_security_acl", reference(&acl_name, &acl_id)),
                (
                    "sys_user_role",
                    F::Ref { display: role.clone(), id: role_id.clone(), extra: Some(("name", role.clone())) },
                ),
                ("transaction_id", v("")),
            ],
        });
        updates.push(Update {
            table: "sys_ws_operation",
            id: op_id,
            kind: "Scripted REST Resource",
            target_name: r.name.clone(),
            update_table: String::new(),
            sys_name: r.name.clone(),
            fields: vec![
                ("active", v("true")),
                ("consumes", v("application/json")),
                ("consumes_customized", v("true")),
                ("default_operation_uri", v("")),
                ("enforce_acl", v(acl_id.as_str())),
                ("http_method", v(r.method.as_str())),
                ("name", v(r.name.as_str())),
                ("operation_script", v(spec.script(&r.script, scope))),
                ("operation_uri", v(uri.as_str())),
                ("produces", v("application/json")),
                ("produces_customized", v("true")),
                ("relative_path", v(r.path.as_str())),
                ("request_example", v("")),
                ("requires_acl_authorization", v("true")),
                ("requires_authentication", v("true")),
                ("requires_snc_internal_role", v("true")),
                ("short_description", v(r.short_description.as_str())),
                ("web_service_definition", reference(&spec.api.name, &api_id)),
                ("web_service_version", v("")),
            ],
        });
    }
    for p in &spec.privilege {
        let id = sys_id(scope, &format!("sys_scope_privilege.{}", p.table));
        let scope_display = if p.scope == "global" { "Global".to_string() } else { p.scope.clone() };
        updates.push(Update {
            table: "sys_scope_privilege",
            id,
            kind: "Cross scope privilege",
            target_name: p.table.clone(),
            update_table: String::new(),
            sys_name: p.table.clone(),
            fields: vec![
                ("operation", v("read")),
                ("source_scope", reference(&app.name, &cx.app_id)),
                ("status", v("allowed")),
                ("target_name", v(p.table.as_str())),
                ("target_scope", reference(&scope_display, &p.scope)),
                ("target_type", v("sys_db_object")),
            ],
        });
    }

    let date = &meta.date;
    let author = &meta.author;
    let set_name = &meta.name;
    let mut x = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><unload unload_date=\"{date}\">\n");
    let _ = write!(
        x,
        "<sys_remote_update_set action=\"INSERT_OR_UPDATE\">\n\
         <application display_value=\"{an}\">{aid}</application>\n\
         <application_name>{an}</application_name>\n\
         <application_scope>{scope}</application_scope>\n\
         <application_version>{ver}</application_version>\n\
         <collisions/>\n<commit_date/>\n<deleted/>\n\
         <description>{desc}</description>\n\
         <inserted/>\n\
         <name>{sn}</name>\n\
         <origin_sys_id/>\n<parent display_value=\"\"/>\n<release_date/>\n\
         <remote_base_update_set display_value=\"\"/>\n<remote_parent_id/>\n\
         <remote_sys_id>{set_id}</remote_sys_id>\n\
         <state>loaded</state>\n<summary/>\n\
         <sys_class_name>sys_remote_update_set</sys_class_name>\n\
         <sys_created_by>{author}</sys_created_by>\n<sys_created_on>{date}</sys_created_on>\n\
         <sys_id>{set_id}</sys_id>\n<sys_mod_count>0</sys_mod_count>\n\
         <sys_updated_by>{author}</sys_updated_by>\n<sys_updated_on>{date}</sys_updated_on>\n\
         <update_set display_value=\"\"/>\n<update_source display_value=\"\"/>\n<updated/>\n\
         </sys_remote_update_set>\n",
        an = escape(&app.name),
        aid = cx.app_id,
        ver = escape(&app.version),
        desc = escape_text(&meta.description.replace("@SCOPE@", scope)),
        sn = escape_text(set_name),
    );
    for (i, u) in updates.iter().enumerate() {
        let payload = cx.payload(u);
        let hash = java_hash(&payload);
        let guid = sys_id(scope, &format!("update_guid.{}_{}", u.table, u.id));
        let table = if u.update_table.is_empty() {
            "<table/>".to_string()
        } else {
            format!("<table>{}</table>", escape_text(&u.update_table))
        };
        let _ = write!(
            x,
            "<sys_update_xml action=\"INSERT_OR_UPDATE\">\n\
             <action>INSERT_OR_UPDATE</action>\n\
             <application display_value=\"{an}\">{aid}</application>\n\
             <category>customer</category>\n<comments/>\n\
             <name>{t}_{id}</name>\n\
             <payload>{payload}</payload>\n\
             <payload_hash>{hash}</payload_hash>\n\
             <remote_update_set display_value=\"{sn}\">{set_id}</remote_update_set>\n\
             <replace_on_upgrade>false</replace_on_upgrade>\n\
             <sys_created_by>{author}</sys_created_by>\n<sys_created_on>{date}</sys_created_on>\n\
             <sys_id>{uid}</sys_id>\n<sys_mod_count>0</sys_mod_count>\n\
             <sys_recorded_at>{rec:x}0000001</sys_recorded_at>\n\
             <sys_updated_by>{author}</sys_updated_by>\n<sys_updated_on>{date}</sys_updated_on>\n\
             {table}\n\
             <target_name>{tn}</target_name>\n\
             <type>{kind}</type>\n\
             <update_domain>global</update_domain>\n\
             <update_guid>{guid}</update_guid>\n\
             <update_guid_history>{guid}:{hash}</update_guid_history>\n\
             <update_set display_value=\"\"/>\n<view/>\n\
             </sys_update_xml>\n",
            an = escape(&app.name),
            aid = cx.app_id,
            t = u.table,
            id = u.id,
            payload = escape_text(&payload),
            sn = escape(set_name),
            uid = sys_id(scope, &format!("sys_update_xml.{}_{}", u.table, u.id)),
            rec = 0x0190_0000_0000_u64 + i as u64,
            tn = escape_text(&u.target_name),
            kind = u.kind,
        );
    }
    x.push_str("</unload>\n");
    x
}
