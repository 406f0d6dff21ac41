//! `hubtop metrics` against embedded instances (`hubtop sim` children): the figures it
//! serves equal the instances' own counts (Aggregate API), `promtool check metrics`
//! accepts them, scrapes cost the instances nothing, and a real Prometheus scraping it
//! fires the shipped alert rule for a provider whose outage the instance injects.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::TempDir;
use crate::common::proc::{KillOnDrop, Sim, command, listening_url};
use crate::common::wait::until_some;

/// The tests here each start instances and a poller; they run one at a time so that a
/// loaded machine does not slow one test's instance with another's (the Prometheus test
/// timed out once, in parallel with the others, waiting for the outage's errors).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// `hubtop sim --seed SEED EXTRA`; the child and its URL.
fn sim(seed: u64, extra: &[&str]) -> (Sim, String) {
    let seed = seed.to_string();
    let mut args = vec!["--seed", seed.as_str()];
    args.extend_from_slice(extra);
    let sim = Sim::start(&args);
    let url = sim.url.clone();
    (sim, url)
}

/// `hubtop metrics` over the given profiles (name, instance URL).
fn metrics(dir: &Path, profiles: &[(&str, &str)], interval: &str) -> (KillOnDrop, String) {
    let mut cfg = String::new();
    for (name, url) in profiles {
        cfg.push_str(&format!(
            "[profiles.{name}]\ninstance = \"{url}\"\nuser = \"admin\"\nsecret = {{ env = \"METRICS_TEST_PW\" }}\n\n"
        ));
    }
    std::fs::write(dir.join("config.toml"), cfg).expect("config");
    let names: Vec<&str> = profiles.iter().map(|(n, _)| *n).collect();
    let child = command(dir)
        .args(["metrics", "--listen", "127.0.0.1:0", "--interval", interval, "--profile", &names.join(",")])
        .env("METRICS_TEST_PW", "admin")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hubtop metrics");
    let mut child = KillOnDrop(child);
    let url = listening_url(&mut child.0);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    (child, url)
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().expect("client")
}

fn scrape(url: &str, openmetrics: bool) -> String {
    let accept = if openmetrics { "application/openmetrics-text; version=1.0.0" } else { "text/plain" };
    let r = http().get(format!("{url}/metrics")).header("accept", accept).send().expect("scrape");
    assert!(r.status().is_success());
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if openmetrics {
        assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    } else {
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    }
    r.text().expect("body")
}

/// One sample: name, labels, value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

impl Sample {
    fn label(&self, k: &str) -> &str {
        self.labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

/// Parses the text format's sample lines (labels with escaped quotes included).
fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (name, rest) = match line.find('{') {
            Some(i) => (&line[..i], &line[i..]),
            None => line.split_once(' ').map(|(n, _)| (n, "")).expect("sample line"),
        };
        let mut labels = Vec::new();
        let mut value_part = line[name.len()..].trim();
        if let Some(inside) = rest.strip_prefix('{') {
            let mut chars = inside.char_indices().peekable();
            let mut key = String::new();
            let mut end = 0;
            while let Some((i, c)) = chars.next() {
                match c {
                    '}' => {
                        end = i + 2;
                        break;
                    }
                    ',' => {}
                    '=' => {
                        let mut v = String::new();
                        chars.next(); // the opening quote
                        while let Some((_, c)) = chars.next() {
                            match c {
                                '\\' => match chars.next().map(|x| x.1) {
                                    Some('n') => v.push('\n'),
                                    Some(x) => v.push(x),
                                    None => {}
                                },
                                '"' => break,
                                c => v.push(c),
                            }
                        }
                        labels.push((std::mem::take(&mut key), v));
                    }
                    c => key.push(c),
                }
            }
            value_part = rest[end..].trim();
        }
        let value = value_part.split_whitespace().next().expect("value").parse().expect("number");
        out.push(Sample { name: name.to_string(), labels, value });
    }
    out
}

fn sum(samples: &[Sample], name: &str, filter: &[(&str, &str)]) -> f64 {
    samples.iter().filter(|s| s.name == name && filter.iter().all(|(k, v)| s.label(k) == *v)).map(|s| s.value).sum()
}

fn polls(url: &str, profile: &str) -> f64 {
    sum(&parse(&scrape(url, false)), "hubtop_polls_total", &[("profile", profile)])
}

/// The instance's own counts by one field (Aggregate API), as the test reads them.
fn instance_counts(base: &str, table: &str, field: &str) -> Vec<(String, u64)> {
    let v: Value = http()
        .get(format!("{base}/api/now/stats/{table}"))
        .basic_auth("admin", Some("admin"))
        .query(&[("sysparm_count", "true"), ("sysparm_group_by", field)])
        .send()
        .expect("stats")
        .json()
        .expect("json");
    let mut out: Vec<(String, u64)> = v["result"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let key = g["groupby_fields"][0]["value"].as_str().unwrap_or("").to_string();
            (key, g["stats"]["count"].as_str().and_then(|c| c.parse().ok()).unwrap_or(0))
        })
        .collect();
    out.sort();
    out
}

fn metric_counts(samples: &[Sample], name: &str, key: &str, filter: &[(&str, &str)]) -> Vec<(String, u64)> {
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    for s in samples.iter().filter(|s| s.name == name && filter.iter().all(|(k, v)| s.label(k) == *v)) {
        *by.entry(s.label(key).to_string()).or_default() += s.value as u64;
    }
    by.into_iter().filter(|(_, n)| *n > 0).collect()
}

const TABLES: [(&str, &str, &str, &str); 4] = [
    ("ih_sync_outbound_record", "state", "hubtop_queue_entries", "outbound"),
    ("ih_sync_inbound_record", "state", "hubtop_queue_entries", "inbound"),
    ("sys_flow_context", "state", "hubtop_executions", ""),
    ("sn_wsd_core_workplace_task", "integration_state", "hubtop_work_orders", ""),
];

#[test]
fn two_instances_are_served_with_their_own_counts_and_promtool_accepts_them() {
    let _one = serial();
    let dir = TempDir::new("two");
    let (_a, a_url) = sim(3, &[]);
    let (_b, b_url) = sim(11, &["--rows", "300"]);
    let (_m, url) = metrics(&dir, &[("east", &a_url), ("west", &b_url)], "1s");
    until_some("a poll of both", Duration::from_secs(90), || {
        (polls(&url, "east") >= 1.0 && polls(&url, "west") >= 1.0).then_some(())
    });
    for (profile, base) in [("east", &a_url), ("west", &b_url)] {
        // The engine works entries off in the background: compare once the instance's
        // counts hold still around a poll that came after the first reading.
        until_some(&format!("{profile}'s figures to equal its counts"), Duration::from_secs(90), || {
            let before: Vec<_> = TABLES.iter().map(|(t, f, _, _)| instance_counts(base, t, f)).collect();
            let seen = polls(&url, profile);
            until_some("the next poll", Duration::from_secs(30), || (polls(&url, profile) > seen).then_some(()));
            let samples = parse(&scrape(&url, true));
            let after: Vec<_> = TABLES.iter().map(|(t, f, _, _)| instance_counts(base, t, f)).collect();
            if before != after {
                return None;
            }
            let served: Vec<_> = TABLES
                .iter()
                .map(|(_, f, name, queue)| {
                    let key = if *f == "integration_state" { "integration_state" } else { "state" };
                    let mut filter = vec![("profile", profile)];
                    if !queue.is_empty() {
                        filter.push(("queue", queue));
                    }
                    metric_counts(&samples, name, key, &filter)
                })
                .collect();
            let want: Vec<Vec<(String, u64)>> =
                after.into_iter().map(|c| c.into_iter().filter(|(_, n)| *n > 0).collect()).collect();
            (served == want).then_some(())
        });
    }
    let samples = parse(&scrape(&url, true));
    // Each instance's figures are its own: the 300-row instance has more outbound entries.
    let east = sum(&samples, "hubtop_queue_entries", &[("profile", "east"), ("queue", "outbound")]);
    let west = sum(&samples, "hubtop_queue_entries", &[("profile", "west"), ("queue", "outbound")]);
    assert!(west > east && east > 0.0, "east {east}, west {west}");
    for p in ["east", "west"] {
        assert_eq!(sum(&samples, "hubtop_instance_up", &[("profile", p)]), 1.0);
        // One health value per provider is 1: eight providers in the seed.
        assert_eq!(sum(&samples, "hubtop_provider_health", &[("profile", p)]), 8.0, "{p}");
        assert!(sum(&samples, "hubtop_requests_total", &[("profile", p)]) >= 1.0);
    }
    // No label carries free text: error messages never appear as label values.
    for s in &samples {
        for (k, v) in &s.labels {
            assert!(
                ["profile", "queue", "provider", "state", "integration_state", "health", "operation"]
                    .contains(&k.as_str()),
                "unexpected label {k}={v}"
            );
        }
    }
    let om = scrape(&url, true);
    assert!(om.ends_with("# EOF\n"));
}

#[hubtop_tmux_gate::prometheus_test]
fn promtool_accepts_what_is_served() {
    let _one = serial();
    let dir = TempDir::new("lint");
    let (_s, base) = sim(3, &[]);
    let (_m, url) = metrics(&dir, &[("lint", &base)], "1s");
    until_some("a poll", Duration::from_secs(60), || (polls(&url, "lint") >= 1.0).then_some(()));
    let text = scrape(&url, false);
    assert!(text.contains("hubtop_queue_entries{"), "{text}");
    let lint = promtool(&text);
    assert!(lint.0, "promtool check metrics: {}", lint.1);
}

/// `promtool check metrics` (Debian's prometheus package): (accepted, what it said).
fn promtool(text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is needed (Debian package prometheus; .ci/run installs it)");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success() && said.trim().is_empty(), said)
}

#[test]
fn scrapes_cost_the_instance_nothing_only_polls_do() {
    let _one = serial();
    let dir = TempDir::new("scrapes");
    let (instance, base) = sim(5, &[]);
    let (_m, url) = metrics(&dir, &[("solo", &base)], "2s");
    until_some("the first poll", Duration::from_secs(60), || (polls(&url, "solo") >= 1.0).then_some(()));
    let counters = || -> u64 { instance.counters()["requests"].as_u64().expect("requests") };
    let (r0, p0) = (counters(), polls(&url, "solo"));
    // Three scrapes a second for six seconds: the load a scraper puts on hubtop (this
    // pacing is the load, not a synchronisation).
    let start = Instant::now();
    let mut scrapes = 0;
    while start.elapsed() < Duration::from_secs(6) {
        scrape(&url, scrapes % 2 == 0);
        scrapes += 1;
        std::thread::sleep(Duration::from_millis(333));
    }
    let (r1, p1) = (counters(), polls(&url, "solo"));
    let (requests, polled) = (r1 - r0, (p1 - p0) as u64);
    assert!(scrapes >= 15, "{scrapes} scrapes");
    assert!(polled >= 1, "polls go on while scraped");
    // One Batch API request per poll; a poll under way at either end may count once more.
    assert!(
        requests <= polled + 1 && requests + 1 >= polled,
        "{requests} requests for {polled} polls and {scrapes} scrapes"
    );
}

#[hubtop_tmux_gate::prometheus_test]
fn a_real_prometheus_queries_the_figures_and_the_shipped_rule_fires() {
    let _one = serial();
    let dir = TempDir::new("prom");
    let (_s, base) = sim(3, &["--retry-interval", "1"]);
    let (_m, url) = metrics(&dir, &[("plant", &base)], "1s");
    // The shipped rules, with their `for:` periods cut so a test sees them fire.
    let rules =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/monitoring/hubtop-alerts.yml"))
            .expect("rules");
    let fast: String = rules
        .lines()
        .map(|l| if l.trim_start().starts_with("for:") { "        for: 0s" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("rules.yml"), fast).expect("rules");
    let target = url.trim_start_matches("http://");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - rules.yml\n\
             scrape_configs:\n  - job_name: hubtop\n    static_configs:\n      - targets: [\"{target}\"]\n"
        ),
    )
    .expect("prometheus.yml");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let prom_url = format!("http://127.0.0.1:{port}");
    let _prom = KillOnDrop(
        Command::new("prometheus")
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus"),
    );
    let query = |q: &str| -> Vec<Value> {
        let Ok(r) = http().get(format!("{prom_url}/api/v1/query")).query(&[("query", q)]).send() else {
            return Vec::new();
        };
        let v: Value = r.json().unwrap_or(Value::Null);
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    };
    // The provider's outage, injected by the instance: every sync to Acme fails, and
    // with a retry a second its entries go to error within seconds.
    let acme = "Acme Facilities";
    let c = http();
    // The outage starts once the seed's creates at Acme are done: started earlier, they
    // fail instead, no work order of Acme is synced, and no comment can raise an error.
    until_some("Acme's seeded work orders to be created", Duration::from_secs(60), || {
        let v: Value = c
            .get(format!("{base}/api/now/stats/sn_wsd_core_workplace_task"))
            .basic_auth("admin", Some("admin"))
            .query(&[
                ("sysparm_count", "true"),
                ("sysparm_query", "fm_provider.title=Acme Facilities^integration_stateINcreate_pending,not_synced"),
            ])
            .send()
            .ok()?
            .json()
            .ok()?;
        let pending: u64 = v["result"]["stats"]["count"].as_str()?.parse().ok()?;
        // The seed leaves one work order of Acme not synced, never created.
        (pending <= 1).then_some(())
    });
    assert!(c.put(format!("{base}/sim/providers/acme")).body("outage").send().expect("outage").status().is_success());
    // A comment on a synced work order runs the provider's update subflow (IFM), which
    // fails while Acme is out; each failed update leaves an entry in error, and the work
    // order (update failed) takes the next comment.
    let comment_on_synced = |round: usize| {
        let wos: Value = c
            .get(format!("{base}/api/now/table/sn_wsd_core_workplace_task"))
            .basic_auth("admin", Some("admin"))
            .query(&[
                ("sysparm_query", "fm_provider.title=Acme Facilities^integration_stateINcreated,update_failed"),
                ("sysparm_fields", "sys_id"),
            ])
            .send()
            .expect("work orders")
            .json()
            .expect("json");
        for r in wos["result"].as_array().expect("rows") {
            let id = r["sys_id"].as_str().expect("sys_id");
            let r = c
                .patch(format!("{base}/api/now/table/sn_wsd_core_workplace_task/{id}"))
                .basic_auth("admin", Some("admin"))
                .json(&serde_json::json!({"comments": format!("metrics test {round}")}))
                .send()
                .expect("patch");
            assert!(r.status().is_success());
        }
    };
    let errors_at_instance = || -> u64 {
        let v: Value = c
            .get(format!("{base}/api/now/stats/ih_sync_outbound_record"))
            .basic_auth("admin", Some("admin"))
            .query(&[("sysparm_count", "true"), ("sysparm_query", "provider.title=Acme Facilities^state=error")])
            .send()
            .expect("stats")
            .json()
            .expect("json");
        v["result"]["stats"]["count"].as_str().and_then(|n| n.parse().ok()).unwrap_or(0)
    };
    let mut round = 0;
    until_some("more than 10 Acme entries in error", Duration::from_secs(180), || {
        round += 1;
        comment_on_synced(round);
        if round % 100 == 0 {
            let v: Value = c
                .get(format!("{base}/api/now/table/ih_sync_outbound_record"))
                .basic_auth("admin", Some("admin"))
                .query(&[
                    ("sysparm_query", "provider.title=Acme Facilities"),
                    ("sysparm_fields", "number,state,attempts,operation,last_error"),
                ])
                .send()
                .expect("entries")
                .json()
                .expect("json");
            eprintln!("round {round}: {v}");
        }
        (errors_at_instance() > 10).then_some(())
    });
    // PromQL through Prometheus's HTTP API: the error count of the provider, as the
    // instance counts it (once the outage has stopped adding to it).
    let q = format!(
        "sum(hubtop_queue_entries{{profile=\"plant\",provider=\"{acme}\",queue=\"outbound\",state=\"error\"}})"
    );
    until_some("Prometheus to hold Acme's error count", Duration::from_secs(120), || {
        let want = errors_at_instance();
        let got = query(&q).first().and_then(|r| r["value"][1].as_str()?.parse::<f64>().ok())?;
        (got as u64 == want && want == errors_at_instance()).then_some(())
    });
    until_some("HubtopOutboundErrors to fire for Acme", Duration::from_secs(120), || {
        let v: Value = http().get(format!("{prom_url}/api/v1/alerts")).send().ok()?.json().ok()?;
        v["data"]["alerts"]
            .as_array()?
            .iter()
            .any(|a| {
                a["labels"]["alertname"] == "HubtopOutboundErrors"
                    && a["labels"]["provider"] == acme
                    && a["state"] == "firing"
            })
            .then_some(())
    });
}
