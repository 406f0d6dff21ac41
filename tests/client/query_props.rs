//! Property tests: the encoded-query parser and printer, compiled evaluation against a
//! naive reference, sort-order laws; the client's response decoding on arbitrary input;
//! the sanitiser's guarantees.

use std::cmp::Ordering;

use hubtop::client::Record;
use hubtop::client::record::{decode_envelope, decode_list, decode_one};
use hubtop::query::{self, Condition, Op, OrderBy, Query};
use hubtop::sanitize::{sanitize, sanitize_with_limit};
use proptest::prelude::*;
use serde_json::Value;

const OPS: [Op; 14] = [
    Op::Eq,
    Op::Ne,
    Op::Gt,
    Op::Ge,
    Op::Lt,
    Op::Le,
    Op::In,
    Op::NotIn,
    Op::Like,
    Op::NotLike,
    Op::StartsWith,
    Op::EndsWith,
    Op::IsEmpty,
    Op::IsNotEmpty,
];

/// Characters that stress the encoding: carets, separators, spaces, operators, unicode.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('A', 'Z'),
        1 => proptest::char::range('0', '9'),
        2 => prop::sample::select(vec!['^', ' ', '=', '!', '<', '>', '.', '-', '_', 'é', '漢', '🚀', '\u{202e}', '\n', 'N', 'Q', 'O', 'R']),
        1 => any::<char>(),
    ]
}

fn value_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-z_]{1,8}"
}

fn condition() -> impl Strategy<Value = Condition> {
    (field_name(), prop::sample::select(OPS.to_vec()), value_string(10), prop::collection::vec(value_string(5), 1..4))
        .prop_map(|(f, op, v, items)| match op {
            Op::In | Op::NotIn => {
                let items: Vec<String> = items.into_iter().map(|i| i.replace(',', "")).collect();
                Condition::new(&f, op, &items.join(","))
            }
            // `a>` + `=x` reads as `a>=x`: the encoding (a real instance's too) cannot tell them apart.
            Op::Gt | Op::Lt => Condition::new(&f, op, v.trim_start_matches('=')),
            _ => Condition::new(&f, op, &v),
        })
}

/// A term the parser keeps verbatim: an operator word it does not evaluate (a field
/// with `ON…`, `DATEPART…`, `RELATIVE…`, …) or a bare `EQ`.
fn raw_condition() -> impl Strategy<Value = Condition> {
    let word = prop::sample::select(vec![
        "ON",
        "NOTON",
        "DATEPART",
        "RELATIVEGT@hour@ago@",
        "BETWEEN",
        "VALCHANGES",
        "SAMEAS",
    ]);
    prop_oneof![
        4 => (field_name(), word, value_string(12)).prop_map(|(f, w, v)| Condition::new(&f, Op::Raw, &format!("{w}{v}"))),
        1 => Just(Condition::new("", Op::Raw, "EQ")),
    ]
}

fn any_condition() -> impl Strategy<Value = Condition> {
    prop_oneof![4 => condition(), 1 => raw_condition()]
}

fn query_ast() -> impl Strategy<Value = Query> {
    let group = prop::collection::vec(any_condition(), 1..4);
    let alt = prop::collection::vec(group, 1..4);
    let order =
        prop::collection::vec((field_name(), any::<bool>()).prop_map(|(field, desc)| OrderBy { field, desc }), 0..3);
    (prop::collection::vec(alt, 0..4), order).prop_map(|(alternatives, order)| Query { alternatives, order })
}

// ---------------------------------------------------------------- a naive reference

const COLS: [&str; 3] = ["a", "b", "c"];
const POOL: [&str; 14] = ["", "1", "2", "10", "1.5", " 2", "-3", "abc", "ABC", "Abc def", "é", "ÉCOLE", "NaN", "2e1"];

fn small_condition() -> impl Strategy<Value = Condition> {
    let val = prop_oneof![3 => prop::sample::select(POOL.to_vec()).prop_map(str::to_string), 1 => value_string(4)];
    (
        prop::sample::select(COLS.to_vec()),
        prop::sample::select(OPS.to_vec()),
        val,
        prop::collection::vec(prop::sample::select(POOL.to_vec()), 1..4),
    )
        .prop_map(|(f, op, v, items)| match op {
            Op::In | Op::NotIn => Condition::new(f, op, &items.join(",")),
            // As in `condition()`: `a>` + `=x` is `a>=x` in the encoding.
            Op::Gt | Op::Lt => Condition::new(f, op, v.trim_start_matches('=')),
            _ => Condition::new(f, op, &v),
        })
}

fn small_query() -> impl Strategy<Value = Query> {
    let group = prop::collection::vec(small_condition(), 1..3);
    let alt = prop::collection::vec(group, 1..3);
    prop::collection::vec(alt, 0..3).prop_map(|alternatives| Query { alternatives, order: Vec::new() })
}

fn row() -> impl Strategy<Value = Vec<String>> {
    let v = prop_oneof![3 => prop::sample::select(POOL.to_vec()).prop_map(str::to_string), 1 => value_string(4)];
    prop::collection::vec(v, 3)
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn reference_cond(c: &Condition, row: &[String]) -> bool {
    let v = row[COLS.iter().position(|x| *x == c.field).unwrap()].as_str();
    let x = c.value.as_str();
    let cmp = || match (num(v), num(x)) {
        (Some(a), Some(b)) if a.partial_cmp(&b).is_some() => a.partial_cmp(&b).unwrap(),
        _ => v.cmp(x),
    };
    let items = || x.split(',').map(str::trim).collect::<Vec<_>>();
    match c.op {
        Op::Eq => v == x,
        Op::Ne => v != x,
        Op::Gt => cmp() == Ordering::Greater,
        Op::Ge => cmp() != Ordering::Less,
        Op::Lt => cmp() == Ordering::Less,
        Op::Le => cmp() != Ordering::Greater,
        Op::In => items().contains(&v),
        Op::NotIn => !items().contains(&v),
        Op::Like => v.to_lowercase().contains(&x.to_lowercase()),
        Op::NotLike => !v.to_lowercase().contains(&x.to_lowercase()),
        Op::StartsWith => v.to_ascii_lowercase().starts_with(&x.to_ascii_lowercase()),
        Op::EndsWith => v.to_ascii_lowercase().ends_with(&x.to_ascii_lowercase()),
        Op::IsEmpty => v.is_empty(),
        Op::IsNotEmpty => !v.is_empty(),
        // Generated queries carry no raw terms (only `any_condition` does).
        Op::Raw => unreachable!("raw terms are not generated here"),
    }
}

fn reference(q: &Query, row: &[String]) -> bool {
    q.alternatives.is_empty()
        || q.alternatives.iter().any(|alt| alt.iter().all(|group| group.iter().any(|c| reference_cond(c, row))))
}

fn resolve(f: &str) -> Option<usize> {
    COLS.iter().position(|c| *c == f)
}

// ---------------------------------------------------------------- JSON values

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        value_string(12).prop_map(Value::String),
        prop::sample::select(vec!["value", "display_value", "link", "result", "sys_id"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec!["value", "display_value", "link", "result", "sys_id", "error"])
                .prop_map(str::to_string),
            value_string(6),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn forbidden(c: char) -> bool {
    matches!(c,
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    let c = prop_oneof![
        2 => any::<char>(),
        2 => proptest::char::range('\0', '\u{a0}'),
        1 => prop::sample::select(vec!['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{2060}', '\u{2064}', '\u{feff}', '\u{061c}', '\u{1b}', '\r', '\n', '⏎', '␛', '�']),
    ];
    prop::collection::vec(c, 0..max).prop_map(|v| v.into_iter().collect())
}

fn assert_clean_record(r: &Record) {
    for (k, f) in &r.fields {
        assert!(!k.chars().any(forbidden), "{k:?}");
        assert!(!f.value.chars().any(forbidden), "{:?}", f.value);
        assert!(!f.display.as_deref().unwrap_or("").chars().any(forbidden));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = query::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_query_like_text(s in prop::collection::vec(prop_oneof![
        Just("^".to_string()), Just("^^".to_string()), Just("^OR".to_string()), Just("^NQ".to_string()),
        Just("NQ".to_string()), Just("ORDERBY".to_string()), Just("ORDERBYDESC".to_string()),
        Just("IN".to_string()), Just("NOT IN".to_string()), Just("=".to_string()), Just(">=".to_string()),
        Just("ISEMPTY".to_string()), "[a-z_.]{0,4}", value_string(3),
    ], 0..12)) {
        let s: String = s.concat();
        if let Ok(q) = query::parse(&s) {
            // Whatever parses prints to something that parses to the same thing.
            prop_assert_eq!(query::parse(&q.to_string()), Ok(q));
        }
    }

    #[test]
    fn printed_queries_parse_back(q in query_ast()) {
        let printed = q.to_string();
        prop_assert_eq!(query::parse(&printed), Ok(q), "printed: {}", printed);
    }

    #[test]
    fn compiled_evaluation_agrees_with_the_reference(q in small_query(), rows in prop::collection::vec(row(), 1..8)) {
        let c = q.compile(resolve).expect("known fields");
        for r in &rows {
            prop_assert_eq!(c.matches(r), reference(&q, r), "query {} row {:?}", q, r);
        }
        // Through the text form too.
        let c2 = query::parse(&q.to_string()).unwrap().compile(resolve).unwrap();
        for r in &rows {
            prop_assert_eq!(c2.matches(r), c.matches(r));
        }
    }

    #[test]
    fn compare_is_a_total_order(keys in prop::collection::vec((prop::sample::select(COLS.to_vec()), any::<bool>()), 1..3),
                                a in row(), b in row(), c in row()) {
        let mut q = Query::new();
        for (f, desc) in &keys {
            q = if *desc { q.order_desc(f) } else { q.order_by(f) };
        }
        let cq = q.compile(resolve).unwrap();
        // Antisymmetric.
        prop_assert_eq!(cq.compare(&a, &b), cq.compare(&b, &a).reverse(), "{:?} {:?}", a, b);
        prop_assert_eq!(cq.compare(&a, &a), Ordering::Equal);
        // Transitive (a sort with an intransitive comparison may panic or misorder).
        if cq.compare(&a, &b) != Ordering::Greater && cq.compare(&b, &c) != Ordering::Greater {
            prop_assert_ne!(cq.compare(&a, &c), Ordering::Greater, "{:?} <= {:?} <= {:?}", a, b, c);
        }
    }

    #[test]
    fn sorting_by_compare_never_panics(rows in prop::collection::vec(row(), 0..60), desc in any::<bool>()) {
        let q = if desc { Query::new().order_desc("a") } else { Query::new().order_by("a") };
        let cq = q.compile(resolve).unwrap();
        let mut rows = rows;
        rows.sort_by(|x, y| cq.compare(x, y));
        for w in rows.windows(2) {
            prop_assert_ne!(cq.compare(&w[0], &w[1]), Ordering::Greater);
        }
    }

    #[test]
    fn record_decoding_never_panics_on_json(v in json_value()) {
        if let Ok(r) = Record::from_json(&v) {
            assert_clean_record(&r);
        }
        let body = serde_json::to_vec(&v).unwrap();
        if let Ok(rs) = decode_list(&body) {
            rs.iter().for_each(assert_clean_record);
        }
        let _ = decode_one(&body);
        prop_assert!(decode_envelope(&body).is_ok());
        let wrapped = serde_json::to_vec(&serde_json::json!({"result": [v.clone(), v]})).unwrap();
        if let Ok(rs) = decode_list(&wrapped) {
            rs.iter().for_each(assert_clean_record);
        }
    }

    #[test]
    fn decoding_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..256), html in any::<bool>()) {
        let body = if html { [b"<html><body>".as_slice(), &body].concat() } else { body };
        let _ = decode_list(&body);
        let _ = decode_one(&body);
        match decode_envelope(&body) {
            Err(hubtop::client::Error::NotAnInstance { snippet }) => prop_assert!(!snippet.chars().any(forbidden)),
            Err(hubtop::client::Error::Decode { snippet, .. }) => prop_assert!(!snippet.chars().any(forbidden)),
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
            Ok(_) => {}
        }
        if html {
            let is_html = matches!(decode_envelope(&body), Err(hubtop::client::Error::NotAnInstance { .. }));
            prop_assert!(is_html);
        }
    }

    #[test]
    fn sanitize_removes_controls_and_is_idempotent(s in hostile_string(64)) {
        let once = sanitize(&s).into_owned();
        prop_assert!(!once.chars().any(forbidden), "{:?} → {:?}", s, once);
        prop_assert_eq!(sanitize(&once).into_owned(), once.clone());
        prop_assert!(once.chars().count() <= s.chars().count());
    }

    #[test]
    fn sanitize_cap(s in hostile_string(64), limit in 1usize..40) {
        let out = sanitize_with_limit(&s, limit).into_owned();
        prop_assert!(!out.chars().any(forbidden));
        if s.chars().count() <= limit {
            prop_assert_eq!(sanitize_with_limit(&out, limit).into_owned(), out);
        } else {
            let kept = out.split('…').next().unwrap().chars().count();
            prop_assert!(kept <= limit, "{:?} → {:?}", s, out);
        }
    }
}

#[test]
fn parse_of_empty_text_is_the_default_query() {
    assert_eq!(query::parse(""), Ok(Query::default()));
    assert_eq!(query::parse("^"), Ok(Query::default()));
    assert_eq!(Query::default().to_string(), "");
}
