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

const OPS: [Op; 25] = [
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
    Op::EmptyString,
    Op::Anything,
    Op::Between,
    Op::SameAs,
    Op::NSameAs,
    Op::GtField,
    Op::LtField,
    Op::GeField,
    Op::LeField,
    Op::On,
    Op::Relative,
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
                // `aIN` + `_HIERARCHY…` reads as IN_HIERARCHY: as above.
                Condition::new(&f, op, items.join(",").trim_start_matches("_HIERARCHY"))
            }
            // `a>` + `=x` reads as `a>=x`: the encoding (a real instance's too) cannot tell them apart.
            Op::Gt | Op::Lt => Condition::new(&f, op, v.trim_start_matches('=')),
            _ => Condition::new(&f, op, &v),
        })
}

/// A term the parser keeps verbatim: an operator word it does not evaluate (a field
/// with `ON…`, `DATEPART…`, `RELATIVE…`, …) or a bare `EQ`.
fn raw_condition() -> impl Strategy<Value = Condition> {
    let word = prop::sample::select(vec!["EQ", "FOO", "SOMETHINGELSE", "QUX@", "Z"]);
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
            Op::Between => Condition::new(f, op, &format!("{}@{}", items[0], items[items.len() - 1])),
            op if op.names_field() => Condition::new(f, op, items[0].len().to_string().as_str()).with_field_value(),
            // Date operators are tested against the instance below; here, plain ones.
            Op::On | Op::Relative => Condition::new(f, Op::Like, &v),
            _ => Condition::new(f, op, &v),
        })
}

trait FieldValue {
    fn with_field_value(self) -> Self;
}

impl FieldValue for Condition {
    /// A field-to-field condition naming one of the columns (picked by the value's length).
    fn with_field_value(mut self) -> Self {
        let i = self.value.parse::<usize>().unwrap_or(0) % COLS.len();
        self.value = COLS[i].to_string();
        self
    }
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

/// A number as the evaluator reads a bound or another field: digits, signs, dots and
/// exponents only, finite.
fn strict_num(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.len() > 32 || !t.bytes().all(|b| b.is_ascii_digit() || b".-+eE".contains(&b)) {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn reference_cond(c: &Condition, row: &[String]) -> bool {
    let v = row[COLS.iter().position(|x| *x == c.field).unwrap()].as_str();
    let x = c.value.as_str();
    let cmp = || match (num(v), num(x)) {
        (Some(a), Some(b)) if a.partial_cmp(&b).is_some() => a.partial_cmp(&b).unwrap(),
        _ => v.cmp(x),
    };
    let items = || x.split(',').map(str::trim).collect::<Vec<_>>();
    let col = |f: &str| row[COLS.iter().position(|x| *x == f).unwrap()].as_str();
    // Against another field: numeric when both are numbers (the other read strictly).
    let cmp_field = |w: &str| match (num(v), strict_num(w)) {
        (Some(a), Some(b)) if a.partial_cmp(&b).is_some() => a.partial_cmp(&b).unwrap(),
        _ => v.cmp(w),
    };
    let full = !v.is_empty();
    match c.op {
        Op::Eq => v == x,
        Op::Ne => v != x,
        // An empty value (NULL) compares with nothing.
        Op::Gt => full && cmp() == Ordering::Greater,
        Op::Ge => full && cmp() != Ordering::Less,
        Op::Lt => full && cmp() == Ordering::Less,
        Op::Le => full && cmp() != Ordering::Greater,
        Op::EmptyString => v.is_empty(),
        Op::Anything => true,
        Op::Between => {
            let (lo, hi) = x.split_once('@').unwrap();
            match (strict_num(lo), strict_num(hi)) {
                (Some(l), Some(h)) => strict_num(v).is_some_and(|n| l <= n && n <= h),
                _ => full && v >= lo && (v <= hi || v.starts_with(hi)),
            }
        }
        Op::SameAs => full && v == col(x),
        Op::NSameAs => v != col(x),
        Op::GtField => full && !col(x).is_empty() && cmp_field(col(x)) == Ordering::Greater,
        Op::LtField => full && !col(x).is_empty() && cmp_field(col(x)) == Ordering::Less,
        Op::GeField => full && !col(x).is_empty() && cmp_field(col(x)) != Ordering::Less,
        Op::LeField => full && !col(x).is_empty() && cmp_field(col(x)) != Ordering::Greater,
        Op::In => items().contains(&v),
        Op::NotIn => !items().contains(&v),
        Op::Like => v.to_lowercase().contains(&x.to_lowercase()),
        Op::NotLike => !v.to_lowercase().contains(&x.to_lowercase()),
        Op::StartsWith => v.to_ascii_lowercase().starts_with(&x.to_ascii_lowercase()),
        Op::EndsWith => v.to_ascii_lowercase().ends_with(&x.to_ascii_lowercase()),
        Op::IsEmpty => v.is_empty(),
        Op::IsNotEmpty => !v.is_empty(),
        // Generated queries carry no raw or date terms here.
        other => unreachable!("{other:?} is not generated here"),
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

// ---------------------------------------------------------------- the instance agrees with the evaluator

mod instance {
    //! Random outbound entries and random queries from the documented operators
    //! (platform-user-interface/r_OpAvailableFiltersQueries.md), each type's own: the
    //! embedded instance's Table API answer is the evaluator's answer over the same
    //! records (the API path — URL encoding, binding to the table's fields, the store's
    //! indexes — cannot drift from the in-memory evaluation the console and CLI use).

    use std::sync::OnceLock;
    use std::time::Duration;

    use hubtop::query::{self, Bind, Condition, Ctx, FieldType, Op, Query};
    use hubtop::sim::schema::OUTBOUND;
    use hubtop::sim::{self, SimConfig, SimHandle};
    use proptest::prelude::*;

    const NOW: &str = "2026-03-29 00:30:00"; // half an hour before Paris moves to summer time
    const TZ: &str = "Europe/Paris";

    /// The columns of a generated record, in this order, and their types.
    const FIELDS: [(&str, FieldType); 8] = [
        ("attempts", FieldType::Number),
        ("max_attempts", FieldType::Number),
        ("last_error", FieldType::Text),
        ("response_code", FieldType::Text),
        ("state", FieldType::Choice),
        ("next_attempt", FieldType::DateTime),
        ("sys_created_on", FieldType::DateTime),
        ("document_table", FieldType::Text),
    ];

    fn col(f: &str) -> Option<usize> {
        FIELDS.iter().position(|(n, _)| *n == f)
    }

    struct Bed {
        rt: tokio::runtime::Runtime,
        h: SimHandle,
        http: reqwest::Client,
    }

    fn bed() -> &'static Bed {
        static BED: OnceLock<Bed> = OnceLock::new();
        BED.get_or_init(|| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let cfg = SimConfig {
                demo: false,
                traffic: 0,
                retry_interval: Duration::from_secs(3600),
                user_tz: TZ.into(),
                ..Default::default()
            };
            let h = rt.block_on(sim::start(cfg)).unwrap();
            h.sim.store.pin_clock(hubtop::time::parse(NOW));
            let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap();
            Bed { rt, h, http }
        })
    }

    fn at(hours: i64) -> String {
        hubtop::time::format(hubtop::time::parse(NOW).unwrap() + chrono::Duration::hours(hours))
    }

    /// A record: values for the first seven columns (the eighth is the case's tag).
    fn record() -> impl Strategy<Value = Vec<String>> {
        let num = prop_oneof![1 => Just(String::new()), 4 => (0i64..6).prop_map(|n| n.to_string())];
        let text = prop::sample::select(vec!["", "alpha", "Beta", "b", "beta refused", "500", "50", "ta", "gamma"]);
        // States the instance's queue leaves alone.
        let state = prop::sample::select(vec!["processed", "skipped", "processing"]);
        let when = prop_oneof![1 => Just(String::new()), 6 => (-24 * 500i64..24 * 500).prop_map(at)];
        let created = (-24 * 60i64..24 * 60).prop_map(at);
        (num.clone(), num, text.clone(), text, state, when, created)
            .prop_map(|(a, m, e, r, s, n, c)| vec![a, m, e.to_string(), r.to_string(), s.to_string(), n, c])
    }

    fn number_cond() -> impl Strategy<Value = Condition> {
        let field = prop::sample::select(vec!["attempts", "max_attempts"]);
        let v = prop::sample::select(vec!["", "0", "1", "2", "3", "10"]);
        let op = prop::sample::select(vec![
            Op::Eq,
            Op::Ne,
            Op::Lt,
            Op::Le,
            Op::Gt,
            Op::Ge,
            Op::In,
            Op::NotIn,
            Op::IsEmpty,
            Op::IsNotEmpty,
            Op::EmptyString,
            Op::Anything,
            Op::Between,
            Op::SameAs,
            Op::NSameAs,
            Op::GtField,
            Op::LtField,
            Op::GeField,
            Op::LeField,
        ]);
        (field, op, v.clone(), v).prop_map(|(f, op, a, b)| match op {
            Op::In | Op::NotIn => Condition::new(f, op, &format!("{a},{b}")),
            Op::Between => Condition::new(f, op, &format!("{a}@{b}")),
            op if op.names_field() => Condition::new(f, op, if f == "attempts" { "max_attempts" } else { "attempts" }),
            _ => Condition::new(f, op, a),
        })
    }

    fn text_cond() -> impl Strategy<Value = Condition> {
        let field = prop::sample::select(vec!["last_error", "response_code"]);
        let v = prop::sample::select(vec!["", "a", "alpha", "Beta", "b", "beta", "5", "500", "ta", "g"]);
        let op = prop::sample::select(vec![
            Op::Eq,
            Op::Ne,
            Op::Like,
            Op::NotLike,
            Op::StartsWith,
            Op::EndsWith,
            Op::IsEmpty,
            Op::IsNotEmpty,
            Op::EmptyString,
            Op::Anything,
            Op::Le,
            Op::Ge,
            Op::Between,
            Op::SameAs,
            Op::NSameAs,
        ]);
        (field, op, v.clone(), v).prop_map(|(f, op, a, b)| match op {
            Op::Between => Condition::new(f, op, &format!("{a}@{b}")),
            Op::SameAs | Op::NSameAs => {
                Condition::new(f, op, if f == "last_error" { "response_code" } else { "last_error" })
            }
            _ => Condition::new(f, op, a),
        })
    }

    fn choice_cond() -> impl Strategy<Value = Condition> {
        let v = prop::sample::select(vec!["processed", "skipped", "error", "ready", "pro", "ed"]);
        let op = prop::sample::select(vec![
            Op::Eq,
            Op::Ne,
            Op::In,
            Op::NotIn,
            Op::Like,
            Op::NotLike,
            Op::StartsWith,
            Op::EndsWith,
            Op::Anything,
        ]);
        (op, v.clone(), v).prop_map(|(op, a, b)| match op {
            Op::In | Op::NotIn => Condition::new("state", op, &format!("{a},{b}")),
            _ => Condition::new("state", op, a),
        })
    }

    fn helper() -> impl Strategy<Value = String> {
        let names = prop::sample::select(vec![
            "Today",
            "Yesterday",
            "ThisWeek",
            "LastWeek",
            "ThisMonth",
            "LastMonth",
            "NextMonth",
            "ThisQuarter",
            "LastQuarter",
            "ThisYear",
            "LastYear",
            "Last3Months",
            "Last6Months",
            "Last12Months",
            "Last7Days",
            "Last30Days",
            "Last2Quarters",
            "Next2Quarters",
            "Last2Years",
            "LastHour",
            "Last15Minutes",
        ]);
        let start = any::<bool>();
        prop_oneof![
            (names, start).prop_map(|(n, s)| format!("javascript:gs.{}Of{n}()", if s { "beginning" } else { "end" })),
            (
                prop::sample::select(vec![
                    "daysAgoStart",
                    "daysAgoEnd",
                    "monthsAgoStart",
                    "hoursAgo",
                    "quartersAgoEnd"
                ]),
                0i64..15
            )
                .prop_map(|(f, n)| format!("javascript:gs.{f}({n})")),
            (-24 * 400i64..24 * 400).prop_map(at),
        ]
    }

    fn date_cond() -> impl Strategy<Value = Condition> {
        let unit = prop::sample::select(vec!["minute", "hour", "day", "week", "month", "quarter", "year"]);
        let part = prop::sample::select(vec!["hour", "day", "week", "month", "quarter", "year"]);
        let cmp = prop::sample::select(vec!["GT", "GE", "LT", "LE", "EE"]);
        let days = prop::sample::select(vec!["sunday", "monday", "wednesday", "saturday"]);
        let f = "next_attempt";
        prop_oneof![
            (helper(), helper(), any::<bool>()).prop_map(move |(lo, hi, not)| {
                Condition::new(f, if not { Op::NotOn } else { Op::On }, &format!("label@{lo}@{hi}"))
            }),
            (prop::sample::select(vec![Op::Lt, Op::Le, Op::Gt, Op::Ge]), helper())
                .prop_map(move |(op, v)| Condition::new(f, op, &v)),
            (helper(), helper()).prop_map(move |(lo, hi)| Condition::new(f, Op::Between, &format!("{lo}@{hi}"))),
            (days, cmp.clone()).prop_map(move |(d, c)| {
                Condition::new(f, Op::DatePart, &format!("{d}@javascript:gs.datePart('dayofweek','{d}','{c}')"))
            }),
            (0u32..24, cmp.clone()).prop_map(move |(h, c)| {
                Condition::new(f, Op::DatePart, &format!("{h}@javascript:gs.datePart('hour','{h}','{c}')"))
            }),
            (cmp, unit.clone(), any::<bool>(), 0i64..40).prop_map(move |(c, u, ago, n)| {
                Condition::new(f, Op::Relative, &format!("{c}@{u}@{}@{n}", if ago { "ago" } else { "ahead" }))
            }),
            (part, any::<bool>()).prop_map(move |(p, same)| {
                Condition::new(f, if same { Op::SameAs } else { Op::NSameAs }, &format!("sys_created_on@{p}"))
            }),
            (unit, any::<bool>(), any::<bool>(), 0i64..20).prop_map(move |(u, more, before, n)| {
                let op = if more { Op::MoreThan } else { Op::LessThan };
                Condition::new(f, op, &format!("sys_created_on@{u}@{}@{n}", if before { "before" } else { "after" }))
            }),
            prop::sample::select(vec![Op::IsEmpty, Op::IsNotEmpty, Op::Anything])
                .prop_map(move |op| Condition::new(f, op, "")),
        ]
    }

    fn any_cond() -> impl Strategy<Value = Condition> {
        prop_oneof![number_cond(), text_cond(), choice_cond(), date_cond()]
    }

    fn query() -> impl Strategy<Value = Query> {
        let group = prop::collection::vec(any_cond(), 1..3);
        let alt = prop::collection::vec(group, 1..3);
        prop::collection::vec(alt, 1..3).prop_map(|alternatives| Query { alternatives, order: Vec::new() })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn the_table_api_answers_as_the_evaluator_does(records in prop::collection::vec(record(), 1..10), q in query()) {
            static CASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let b = bed();
            let tag = format!("t{}", CASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            // The records, on the instance and here (the tag keeps cases apart).
            let mut rows: Vec<(String, Vec<String>)> = Vec::new();
            for r in &records {
                let mut fields: Vec<(&str, &str)> =
                    FIELDS[..6].iter().zip(&r[..6]).map(|((n, _), v)| (*n, v.as_str())).collect();
                fields.push(("document_table", &tag));
                let row = b.h.sim.store.insert_at(OUTBOUND, &fields, &r[6]).unwrap();
                let mut vals = r.clone();
                vals.push(tag.clone());
                rows.push((row[0].to_string(), vals));
            }
            let q = q.and_all(Condition::eq("document_table", &tag));
            let text = q.to_string();
            // The evaluator, typed as the instance's fields are, on the instance's clock
            // and in the API user's time zone.
            let ctx = Ctx { tz: TZ.into(), ..Ctx::at(hubtop::time::parse(NOW).unwrap(), TZ) };
            let parsed = query::parse(&text).unwrap();
            prop_assert_eq!(&parsed, &q, "printed: {}", text);
            let c = parsed.compile_in(|c| Bind::Typed(col(&c.field).unwrap(), FIELDS[col(&c.field).unwrap()].1), col, &ctx, true);
            let mut want: Vec<&str> = rows.iter().filter(|(_, v)| c.matches(v)).map(|(id, _)| id.as_str()).collect();
            want.sort();
            // The instance.
            let url = format!("{}/api/now/table/{OUTBOUND}?sysparm_fields=sys_id&sysparm_query={}", b.h.base_url, sim::api::enc(&text));
            let body: serde_json::Value = b.rt.block_on(async {
                b.http.get(&url).basic_auth("admin", Some("admin")).send().await.unwrap().json().await.unwrap()
            });
            let mut got: Vec<&str> = body["result"].as_array().unwrap().iter().map(|r| r["sys_id"].as_str().unwrap()).collect();
            got.sort();
            prop_assert_eq!(got, want, "query {}", text);
        }
    }
}
