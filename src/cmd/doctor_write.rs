//! `hubtop doctor --write`: what doctor found goes into the profile's `tables`, `mapping`
//! and `triggers`, edited in place so the file's comments and layout stay. Only what
//! doctor confirmed is stored: a trigger it could not confirm read-only is written
//! commented out, with why. Doctor fills a [`Found`]; this module knows nothing else of it.

use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::domain::{Entity, Mapping, Tables, mapping};

/// What doctor found, for `--write`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub tables: Tables,
    pub mapping: Mapping,
    /// The trigger of each purpose (create, rerun), as doctor judged it.
    pub triggers: Vec<TriggerFinding>,
}

/// One trigger setting and whether doctor confirmed it from the instance's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerFinding {
    /// `create` or `rerun`.
    pub purpose: String,
    /// The setting (`companion`, a path template).
    pub setting: String,
    /// Confirmed: stored. Otherwise written commented out with `why`.
    pub confirmed: bool,
    pub why: String,
}

fn table<'a>(t: &'a mut Table, key: &str) -> Result<&'a mut Table, String> {
    let item = t.entry(key).or_insert_with(|| {
        let mut n = Table::new();
        n.set_implicit(true);
        Item::Table(n)
    });
    item.as_table_mut().ok_or_else(|| format!("`{key}` in the profile is not a table"))
}

/// Writes `found` into profile `name` of the config at `path`; returns the path.
pub fn store(path: &Path, name: &str, found: &Found) -> Result<PathBuf, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
    let profiles = table(doc.as_table_mut(), "profiles")?;
    let Some(p) = profiles.get_mut(name).and_then(Item::as_table_mut) else {
        return Err(format!("{}: no profile `{name}` to store into", path.display()));
    };
    let defaults = crate::domain::Tables::default();
    for e in Entity::ALL {
        let (have, default) = (found.tables.name(e), defaults.name(e));
        if have != default {
            table(p, "tables")?.insert(mapping::key(e), value(have));
        }
    }
    let m = table(p, "mapping")?;
    for (key, fields) in &found.mapping.fields {
        let t = table(table(m, "fields")?, key)?;
        for (logical, inst) in fields {
            t.insert(logical, value(inst.as_str()));
        }
    }
    for (key, fields) in &found.mapping.choices {
        for (field, values) in fields {
            let t = table(table(table(m, "choices")?, key)?, field)?;
            for (logical, inst) in values {
                t.insert(logical, value(inst.as_str()));
            }
        }
    }
    let known = table(m, "known")?;
    for (key, fields) in &found.mapping.known {
        let mut a: Array = fields.iter().map(String::as_str).collect();
        a.fmt();
        known.insert(key, value(a));
    }
    if !found.triggers.is_empty() {
        let t = table(p, "triggers")?;
        let mut unconfirmed = String::new();
        for f in &found.triggers {
            if f.confirmed {
                t.insert(&f.purpose, value(f.setting.as_str()));
            } else if !t.contains_key(&f.purpose) {
                // Not stored: the line says what it would be and why it is not.
                unconfirmed.push_str(&format!("\n# {} = {:?}  # not stored: {}", f.purpose, f.setting, f.why));
            }
        }
        // The lines a previous run wrote make way for this run's.
        let before = t.decor().suffix().and_then(|s| s.as_str()).unwrap_or("").to_string();
        let kept: String = before
            .split_inclusive('\n')
            .filter(|l| !found.triggers.iter().any(|f| l.trim_start().starts_with(&format!("# {} = ", f.purpose))))
            .collect();
        let kept = kept.trim_end_matches('\n');
        if !unconfirmed.is_empty() || kept.len() != before.len() {
            t.set_implicit(false);
            t.decor_mut().set_suffix(format!("{kept}{unconfirmed}"));
        }
    }
    let out = doc.to_string();
    // What is written must load again, or nothing is written.
    crate::config::Config::parse(&out, path).map_err(|e| format!("not written: {e}"))?;
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_doctor_found_is_stored_and_the_comments_stay() {
        let dir = std::env::temp_dir().join(format!("hubtop-doctor-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        let text = "# my notes\n[profiles.dev]\n# the dev box\ninstance = \"https://dev.example.com\"\n\
                    user = \"ops\"\nsecret = { env = \"X\" }\n";
        std::fs::write(&path, text).unwrap();
        let mut found = Found::default();
        found.tables.history = "u_task_sync_history".into();
        found.mapping.fields.entry("work_orders".into()).or_default().insert("fm_provider".into(), "u_fm".into());
        found
            .mapping
            .choices
            .entry("work_orders".into())
            .or_default()
            .entry("state".into())
            .or_default()
            .insert("canceled".into(), "7".into());
        found.mapping.known.insert("work_orders".into(), vec!["number".into(), "u_fm".into()]);
        found.triggers = vec![
            TriggerFinding {
                purpose: "create".into(),
                setting: "companion".into(),
                confirmed: true,
                why: String::new(),
            },
            TriggerFinding {
                purpose: "rerun".into(),
                setting: "/api/sn_fd/flow/{flow_sys_id}/run".into(),
                confirmed: false,
                why: "not verifiable read-only".into(),
            },
        ];
        store(&path, "dev", &found).unwrap();
        let out = std::fs::read_to_string(&path).unwrap();
        assert!(out.contains("# my notes") && out.contains("# the dev box"), "{out}");
        let cfg = crate::config::Config::parse(&out, &path).unwrap();
        let p = &cfg.profiles["dev"];
        assert_eq!(p.tables.history, "u_task_sync_history");
        assert_eq!(p.mapping, found.mapping);
        assert_eq!(p.triggers.create, "companion");
        // The unconfirmed one is there for the operator to read, commented out.
        assert_eq!(p.triggers.rerun, crate::client::trigger::FLOW_REST, "default kept: {out}");
        assert!(
            out.contains("# rerun = \"/api/sn_fd/flow/{flow_sys_id}/run\"  # not stored: not verifiable read-only"),
            "{out}"
        );
        assert!(!out.lines().any(|l| l.starts_with("rerun")), "{out}");
        // Run again: the commented line is there once.
        store(&path, "dev", &found).unwrap();
        let again = std::fs::read_to_string(&path).unwrap();
        assert_eq!(again.matches("# rerun = ").count(), 1, "{again}");
        assert_eq!(again, out);
        assert!(store(&path, "nope", &found).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
