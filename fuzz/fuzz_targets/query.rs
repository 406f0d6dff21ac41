//! Encoded queries as the embedded instance receives them in `sysparm_query`: parsing
//! never panics; what parses prints to a query that parses to the same thing; compiling
//! against a real table's columns and evaluating / ordering rows never panics.
#![no_main]
use hubtop::query;
use hubtop::sim::schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (q, rows) = s.split_once('\u{0}').unwrap_or((s, "a|b|2026-11-24 10:00:00|3\u{0}|x|5|"));
    let Ok(parsed) = query::parse(q) else { return };
    let printed = parsed.to_string();
    let again = query::parse(&printed).unwrap_or_else(|e| panic!("{q:?} printed as {printed:?} does not parse: {e:?}"));
    assert_eq!(again.to_string(), printed, "printing is stable");
    let table = schema::table(schema::OUTBOUND).expect("outbound table");
    let Ok(c) = parsed.compile(|f| table.col(f)) else { return };
    let width = table.fields.len();
    let rows: Vec<Vec<&str>> = rows
        .split('\u{0}')
        .map(|r| {
            let mut cells: Vec<&str> = r.split('|').collect();
            cells.resize(width, "");
            cells
        })
        .collect();
    for a in &rows {
        let _ = c.matches(a);
        for b in &rows {
            let _ = c.compare(a, b);
        }
    }
});
