//! Writes to the store: inserts, all-or-nothing updates, deletes and bulk loads, each
//! keeping the indexes in step and firing the write hook the engine's queues follow.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use parking_lot::{Mutex, RwLock};

use super::{Row, StoreError, Table};
use crate::sim::schema::{self, Kind, SYS_CREATED_ON, SYS_ID, SYS_MOD_COUNT, SYS_UPDATED_ON, TableDef};

/// Called after every committed write with the table name and the new row.
pub type WriteHook = Box<dyn Fn(&'static str, &Row) + Send + Sync>;

pub struct Store {
    tables: HashMap<&'static str, RwLock<Table>>,
    interner: Mutex<HashMap<Arc<str>, ()>>,
    hook: RwLock<Option<WriteHook>>,
    ids: AtomicU64,
    id_salt: u64,
    /// The instance's clock when pinned (tests); `None` follows the host's.
    clock: RwLock<Option<chrono::DateTime<chrono::Utc>>>,
    /// Added to the host's clock when not pinned (a rehearsal starts at its snapshot's time).
    offset: RwLock<chrono::Duration>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Store {
    pub fn new(seed: u64) -> Self {
        let tables = schema::TABLES.iter().map(|d| (d.name, RwLock::new(Table::new(d)))).collect();
        Store {
            tables,
            interner: Mutex::new(HashMap::new()),
            hook: RwLock::new(None),
            ids: AtomicU64::new(1),
            id_salt: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995,
            clock: RwLock::new(None),
            offset: RwLock::new(chrono::Duration::zero()),
        }
    }

    /// The instance's clock: what its writes are stamped with and what the relative
    /// dates of its queries (`ONToday@…`, `RELATIVEGT@…`) are evaluated against.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.read().unwrap_or_else(|| chrono::Utc::now() + *self.offset.read())
    }

    /// Runs the instance's clock `offset` from the host's (when not pinned).
    pub fn set_offset(&self, offset: chrono::Duration) {
        *self.offset.write() = offset;
    }

    /// Stops the instance's clock at `t` (`None`: the host's clock again).
    pub fn pin_clock(&self, t: Option<chrono::DateTime<chrono::Utc>>) {
        *self.clock.write() = t;
    }

    pub fn set_hook(&self, hook: WriteHook) {
        *self.hook.write() = Some(hook);
    }

    pub fn table(&self, name: &str) -> Result<&RwLock<Table>, StoreError> {
        self.tables.get(name).ok_or_else(|| StoreError::UnknownTable(name.to_string()))
    }

    /// A fresh 32-hex-digit sys_id; unique within the process, spread like real ones.
    pub fn new_sys_id(&self) -> String {
        let n = self.ids.fetch_add(1, AtomicOrdering::Relaxed);
        let a = splitmix(n ^ self.id_salt);
        let b = splitmix(a ^ n.rotate_left(17));
        format!("{a:016x}{b:016x}")
    }

    /// Shares one allocation for repeated values (choices, references, times).
    pub fn intern(&self, s: &str) -> Arc<str> {
        let mut map = self.interner.lock();
        if let Some((k, _)) = map.get_key_value(s) {
            return Arc::clone(k);
        }
        let a: Arc<str> = Arc::from(s);
        if map.len() < 200_000 {
            map.insert(Arc::clone(&a), ());
        }
        a
    }

    fn value_for(&self, kind: Kind, v: &str) -> Arc<str> {
        match kind {
            Kind::Choice | Kind::Ref(_) | Kind::DocumentId { .. } | Kind::Bool | Kind::Int if v.len() <= 40 => {
                self.intern(v)
            }
            _ => Arc::from(v),
        }
    }

    /// Inserts a record; fields not given are empty. Returns the new row.
    pub fn insert(&self, table: &str, fields: &[(&str, &str)]) -> Result<Row, StoreError> {
        self.insert_inner(table, fields, None)
    }

    /// As [`Store::insert`], with the creation time given (seeding back-dates rows).
    pub fn insert_at(&self, table: &str, fields: &[(&str, &str)], now: &str) -> Result<Row, StoreError> {
        self.insert_inner(table, fields, Some(now))
    }

    /// The time of a live write is taken under the table's write lock: a reader that
    /// does not see a write yet can then never see an older `sys_updated_on` appear
    /// later, which a delta sync by watermark relies on.
    fn insert_inner(&self, table: &str, fields: &[(&str, &str)], at: Option<&str>) -> Result<Row, StoreError> {
        let lock = self.table(table)?;
        let def = lock.read().def;
        let mut vals: Vec<Arc<str>> = vec![Arc::from(""); def.fields.len()];
        for (name, v) in fields {
            if let Some(c) = def.col(name) {
                validate(def, c, v)?;
                vals[c] = self.value_for(def.fields[c].kind, v);
            }
        }
        let id: Arc<str> =
            if vals[SYS_ID].is_empty() { Arc::from(self.new_sys_id()) } else { Arc::clone(&vals[SYS_ID]) };
        vals[SYS_ID] = Arc::clone(&id);
        vals[SYS_MOD_COUNT] = self.intern("0");
        let row: Row = {
            let mut t = lock.write();
            if t.by_id.contains_key(&id) {
                return Err(StoreError::BadValue { field: "sys_id".into(), why: "already exists".into() });
            }
            let now_v = match at {
                Some(now) => self.intern(now),
                None => self.intern(&crate::time::format(self.now())),
            };
            vals[SYS_CREATED_ON] = Arc::clone(&now_v);
            vals[SYS_UPDATED_ON] = now_v;
            if let (Some(prefix), Some(c)) = (def.number_prefix, def.col("number"))
                && vals[c].is_empty()
            {
                t.next_number += 1;
                vals[c] = Arc::from(format!("{prefix}{:07}", t.next_number));
            }
            let updated = Arc::clone(&vals[SYS_UPDATED_ON]);
            let row: Row = Arc::from(vals);
            let idx = t.rows.len() as u32;
            t.rows.push(Some(Arc::clone(&row)));
            t.by_id.insert(id, idx);
            t.by_updated.insert((updated, idx));
            t.index_row(idx, &row, true);
            t.live += 1;
            row
        };
        self.fire(def.name, &row);
        Ok(row)
    }

    /// Applies `changes` to a record as one write: all or nothing.
    pub fn update(&self, table: &str, sys_id: &str, changes: &[(&str, &str)]) -> Result<Row, StoreError> {
        let lock = self.table(table)?;
        let def = lock.read().def;
        let mut set: Vec<(usize, Arc<str>)> = Vec::with_capacity(changes.len());
        for (name, v) in changes {
            match def.col(name) {
                Some(c) if c > SYS_MOD_COUNT => {
                    validate(def, c, v)?;
                    set.push((c, self.value_for(def.fields[c].kind, v)));
                }
                _ => {} // system and unknown fields are ignored, as a real instance does
            }
        }
        let row = {
            let mut t = lock.write();
            let idx = *t.by_id.get(sys_id).ok_or(StoreError::NotFound)? as usize;
            // Taken under the write lock, as for inserts.
            let now = self.intern(&crate::time::format(self.now()));
            let old = t.rows[idx].clone().ok_or(StoreError::NotFound)?;
            let mut vals: Vec<Arc<str>> = old.to_vec();
            for (c, v) in set {
                vals[c] = v;
            }
            let mods = vals[SYS_MOD_COUNT].parse::<u64>().unwrap_or(0) + 1;
            vals[SYS_MOD_COUNT] = Arc::from(mods.to_string());
            vals[SYS_UPDATED_ON] = Arc::clone(&now);
            let row: Row = Arc::from(vals);
            t.by_updated.remove(&(Arc::clone(&old[SYS_UPDATED_ON]), idx as u32));
            t.by_updated.insert((now, idx as u32));
            t.index_row(idx as u32, &old, false);
            t.index_row(idx as u32, &row, true);
            t.rows[idx] = Some(Arc::clone(&row));
            row
        };
        self.fire(def.name, &row);
        Ok(row)
    }

    pub fn delete(&self, table: &str, sys_id: &str) -> Result<(), StoreError> {
        let lock = self.table(table)?;
        let mut t = lock.write();
        let idx = t.by_id.remove(sys_id).ok_or(StoreError::NotFound)? as usize;
        if let Some(old) = t.rows[idx].take() {
            t.by_updated.remove(&(Arc::clone(&old[SYS_UPDATED_ON]), idx as u32));
            t.index_row(idx as u32, &old, false);
        }
        t.live -= 1;
        Ok(())
    }

    pub fn get(&self, table: &str, sys_id: &str) -> Result<Row, StoreError> {
        self.table(table)?.read().get(sys_id).ok_or(StoreError::NotFound)
    }

    /// The value of `field` in a row of `table` (empty when the field is unknown).
    pub fn field<'r>(table: &str, row: &'r Row, field: &str) -> &'r str {
        schema::table(table).and_then(|d| d.col(field)).map(|c| &*row[c]).unwrap_or("")
    }

    /// First row whose `field` equals `value` (a scan; used for small tables and numbers).
    pub fn find(&self, table: &str, field: &str, value: &str) -> Option<Row> {
        let t = self.table(table).ok()?.read();
        let c = t.def.col(field)?;
        t.iter().find(|r| &*r[c] == value).cloned()
    }

    fn fire(&self, table: &'static str, row: &Row) {
        if let Some(h) = &*self.hook.read() {
            h(table, row);
        }
    }

    /// Numbers the table's next records after `n` at least (a loaded table's numbers stay unique).
    pub fn number_after(&self, table: &str, n: u64) -> Result<(), StoreError> {
        let mut t = self.table(table)?.write();
        t.next_number = t.next_number.max(n);
        Ok(())
    }

    /// Bulk load without hooks, interning every value: used by `--rows` seeding.
    pub fn bulk_load(&self, table: &str, rows: impl Iterator<Item = Vec<Arc<str>>>) -> Result<(), StoreError> {
        let lock = self.table(table)?;
        let mut t = lock.write();
        for vals in rows {
            let id = Arc::clone(&vals[SYS_ID]);
            let idx = t.rows.len() as u32;
            t.by_updated.insert((Arc::clone(&vals[SYS_UPDATED_ON]), idx));
            t.index_row(idx, &vals, true);
            t.rows.push(Some(Arc::from(vals)));
            t.by_id.insert(id, idx);
            t.live += 1;
            t.next_number += 1;
        }
        Ok(())
    }
}

fn validate(def: &TableDef, c: usize, v: &str) -> Result<(), StoreError> {
    let bad = |why: &str| Err(StoreError::BadValue { field: def.fields[c].name.to_string(), why: why.to_string() });
    match def.fields[c].kind {
        Kind::Int if !v.is_empty() && v.parse::<i64>().is_err() => bad("not an integer"),
        Kind::Bool if !matches!(v, "" | "true" | "false") => bad("not true or false"),
        Kind::DateTime if !v.is_empty() && crate::time::parse(v).is_none() => {
            bad("not a date-time YYYY-MM-DD HH:MM:SS")
        }
        _ => Ok(()),
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
