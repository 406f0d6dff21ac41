//! The CLI as a kubectl, gh or ripgrep user expects it: a closed pipe is a quiet success,
//! no target is a refusal (never the demo's invented data unasked), one record by its
//! number, outputs a parser reads back (YAML, CSV), `--watch` on the console's delta
//! polling, help that fits, completions that know the profiles, `config` list / edit /
//! check, and a manual page `man` finds after `cargo install`.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::TempDir;
use crate::common::proc::{Sim, bin, command, http, stderr, stdout, text};
use crate::common::wait::{T, until};

const OUTBOUND: &str = "ih_sync_outbound_record";

/// hubtop with its own config and data directories and nothing from the environment
/// that names a target.
fn hubtop(dir: &Path) -> Command {
    let mut c = command(dir);
    c.env("HUBTOP_CONFIG_DIR", dir.join("config"))
        .env("HUBTOP_DATA_DIR", dir.join("data"))
        .env("HUBTOP_PASSWORD", "admin")
        .env("COLUMNS", "200")
        .env_remove("COMPLETE");
    c
}

/// hubtop against the sim.
fn on(sim: &Sim, dir: &Path, args: &[&str]) -> Output {
    hubtop(dir).args(["--instance", &sim.url, "--user", "admin"]).args(args).output().unwrap()
}

/// Waits until the seeded entries the instance is still sending at its start are done
/// (none `processing`): from then on, with no traffic, nothing changes unless a test
/// changes it.
fn settle(sim: &Sim) {
    until("the instance settles", T, || sim.rows(OUTBOUND, "state=processing^ORstate=ready").is_empty());
}

/// A PATCH of one record through the Table API (one request).
fn patch(sim: &Sim, table: &str, sys_id: &str, body: Value) {
    let (code, answer) = http(&sim.url, "PATCH", &format!("/api/now/table/{table}/{sys_id}"), &body.to_string());
    assert!((200..300).contains(&code), "PATCH answered {code}: {answer}");
}

/// Every log file's text under the data directory.
fn logs(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("data").join("logs")) {
        for e in rd.flatten() {
            out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    out
}

/// Runs `args` with stdout a pipe whose reading end is already closed: the first write
/// meets a closed pipe (EPIPE), whatever the size of the output.
fn into_closed_pipe(cmd: &mut Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    Output { status, stdout: Vec::new(), stderr: err.into_bytes() }
}

#[test]
fn a_closed_pipe_is_a_quiet_success_for_get_completions_man_and_profiles() {
    let sim = Sim::quiet(&["--rows", "3000"]);
    let dir = TempDir::new("conv-pipe");
    // `get … | head -1` as a shell runs it: more than a pipe holds, so hubtop is still
    // writing when head has gone.
    let script = format!(
        "set -o pipefail; '{}' --instance '{}' --user admin get outbound --limit 5000 -o wide | head -1",
        bin(),
        sim.url
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .env("HUBTOP_CONFIG_DIR", dir.join("config"))
        .env("HUBTOP_DATA_DIR", dir.join("data"))
        .env("HUBTOP_PASSWORD", "admin")
        .env_remove("HUBTOP_PROFILE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "pipefail: hubtop's own exit is 0\n{}", text(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", text(&o));
    assert!(stdout(&o).starts_with("NUMBER"), "{}", text(&o));
    assert_eq!(stderr(&o), "", "nothing on stderr");

    // The same with the pipe closed before the first byte: get, completions, man.
    let get = into_closed_pipe(hubtop(&dir).args(["--instance", &sim.url, "--user", "admin", "get", "outbound"]));
    let completions = into_closed_pipe(hubtop(&dir).args(["completions", "bash"]));
    let man = into_closed_pipe(hubtop(&dir).args(["man"]));
    let doctor = into_closed_pipe(hubtop(&dir).args(["--instance", &sim.url, "--user", "admin", "doctor"]));
    for (what, o) in [("get", &get), ("completions bash", &completions), ("man", &man), ("doctor", &doctor)] {
        assert_eq!(o.status.code(), Some(0), "{what}: exit 0 on a closed pipe\n{}", text(o));
        assert_eq!(stderr(o), "", "{what}: nothing on stderr");
    }
    // `profiles` too (it probes, then prints).
    let cfg = dir.join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "[profiles.local]\ninstance = \"{}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\n",
            sim.url
        ),
    )
    .unwrap();
    let o = into_closed_pipe(hubtop(&dir).args(["profiles"]));
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()), "profiles: {}", text(&o));
    let log = logs(&dir);
    assert!(!log.contains("PANIC"), "no panic in the log:\n{log}");
}

#[test]
fn without_a_target_the_cli_refuses_and_sends_nothing_and_demo_works() {
    let sim = Sim::quiet(&[]);
    let dir = TempDir::new("conv-notarget");
    // A config with a profile, but no default: naming none must not pick one.
    let cfg = dir.join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!(
            "[profiles.other]\ninstance = \"{}\"\nuser = \"admin\"\nsecret = {{ env = \"HUBTOP_PASSWORD\" }}\n",
            sim.url
        ),
    )
    .unwrap();
    let before = sim.counter("requests");
    for args in [&["get", "outbound", "--state", "error"][..], &["retry", "ISO0001012"], &["doctor"]] {
        let o = hubtop(&dir).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: refused\n{}", text(&o));
        assert!(o.stdout.is_empty(), "{args:?}: nothing printed as a result\n{}", text(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: one line\n{err}");
        // The config has a profile: the message names it (no config: `hubtop config init`).
        assert!(err.contains("this config has other") && err.contains("--demo"), "{args:?}: says how\n{err}");
    }
    assert_eq!(sim.counter("requests"), before, "no request made");

    // --demo: the embedded instance, before or after the command.
    for args in [&["--demo", "get", "outbound", "--limit", "3"][..], &["get", "outbound", "--limit", "3", "--demo"]] {
        let o = hubtop(&dir).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}\n{}", text(&o));
        assert!(stdout(&o).starts_with("NUMBER"), "{}", text(&o));
        assert_eq!(stdout(&o).lines().count(), 4, "{}", text(&o));
    }
    // --demo names a target of its own: with another, the command line is refused.
    let o = hubtop(&dir).args(["--demo", "--profile", "other", "get", "outbound"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // HUBTOP_PROFILE names a target too.
    let o = hubtop(&dir).args(["get", "providers", "-o", "name"]).env("HUBTOP_PROFILE", "other").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(sim.counter("requests") > before);
}

#[test]
fn one_record_by_number_is_shown_field_by_field_and_as_an_object() {
    let sim = Sim::quiet(&[]);
    let dir = TempDir::new("conv-one");
    let names = on(&sim, &dir, &["get", "outbound", "--state", "error", "-o", "name", "--limit", "2"]);
    assert_eq!(names.status.code(), Some(0), "{}", text(&names));
    let numbers: Vec<String> = stdout(&names).lines().map(String::from).collect();
    assert_eq!(numbers.len(), 2, "{}", text(&names));
    assert!(numbers.iter().all(|n| n.starts_with("ISO")), "{numbers:?}");
    let n = numbers[0].as_str();

    let o = on(&sim, &dir, &["get", "outbound", n]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(format!("Outbound entry: {n}").as_str()), "{out}");
    let field = |label: &str| {
        out.lines()
            .find_map(|l| l.trim_start().strip_prefix(&format!("{label}:")).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {label}: line\n{out}"))
    };
    assert_eq!(field("Number"), n);
    // The display value, and the stored one where it differs.
    assert_eq!(field("State"), "Error (error)", "{out}");
    assert!(field("Last error").len() > 3, "{out}");
    // Every field the profile knows, system fields included.
    assert!(field("Sys ID").len() == 32, "{out}");
    let provider = field("Provider");
    assert!(provider.contains('(') && !provider.starts_with('('), "a reference shows its name, then its sys_id: {out}");

    // -o json: the object, not an array.
    let o = on(&sim, &dir, &["get", "outbound", n, "-o", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&o)));
    assert_eq!(v["number"], n);
    assert_eq!(v["state"], "error");
    // --display: value and display value side by side, in the Table API's own form for
    // sysparm_display_value=all (markdown/api-reference/rest-apis/c_TableAPI.md).
    let o = on(&sim, &dir, &["get", "outbound", n, "-o", "json", "--display"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&o)));
    assert_eq!(v["state"]["value"], "error", "{v}");
    assert_eq!(v["state"]["display_value"], "Error", "{v}");
    assert_eq!(v["provider"]["value"].as_str().map(str::len), Some(32), "{v}");

    // Several, in the order named; a missing one is reported after, exit 7 (not found).
    let o = on(&sim, &dir, &["get", "outbound", &numbers[1], n, "ISO9999999", "-o", "name"]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert_eq!(stdout(&o), format!("{}\n{n}\n", numbers[1]));
    assert!(stderr(&o).contains("ISO9999999"), "{}", text(&o));
}

#[test]
fn yaml_and_csv_parse_back_and_fields_are_checked() {
    let sim = Sim::quiet(&[]);
    settle(&sim);
    let dir = TempDir::new("conv-formats");
    let json = on(&sim, &dir, &["get", "outbound", "--state", "error", "--limit", "5", "-o", "json"]);
    let yaml = on(&sim, &dir, &["get", "outbound", "--state", "error", "--limit", "5", "-o", "yaml"]);
    assert_eq!(yaml.status.code(), Some(0), "{}", text(&yaml));
    let from_json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let from_yaml: Value = serde_yaml_ng::from_slice(&yaml.stdout).unwrap_or_else(|e| panic!("{e}\n{}", text(&yaml)));
    assert_eq!(from_json.as_array().map(Vec::len), Some(5));
    assert_eq!(from_yaml, from_json, "the same records in both");

    let o = on(
        &sim,
        &dir,
        &["get", "outbound", "--state", "error", "-o", "csv", "--no-headers", "--fields", "number,state"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(o.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert!(rows.len() >= 5, "{}", text(&o));
    let numbers: Vec<&str> = from_json.as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap()).collect();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 2, "two fields: {r:?}");
        assert!(r[0].starts_with("ISO"), "no header line: {r:?}");
        assert_eq!(&r[1], "Error", "the table's value: {r:?}");
        if i < numbers.len() {
            assert_eq!(&r[0], numbers[i], "the same order as json");
        }
    }
    // With the header.
    let o = on(&sim, &dir, &["get", "outbound", "--limit", "1", "-o", "csv", "--fields", "number,state"]);
    assert!(stdout(&o).starts_with("number,state\n"), "{}", text(&o));

    // A field the table does not have: refused before anything is sent.
    let before = sim.counter("requests");
    let o = on(&sim, &dir, &["get", "outbound", "--fields", "number,nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("no field `nope`") && stderr(&o).contains("last_error"), "{}", text(&o));
    assert_eq!(sim.counter("requests"), before);
    // The grammar of a bad state (the words of ops::validate, which the console shares).
    let o = on(&sim, &dir, &["get", "outbound", "--state", "eror"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("`eror` is not a state of outbound; valid values: ready,"), "{}", text(&o));
}

/// Lines of a child's stdout, as they come.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line with `needle`; a generous bound only against a hang.
fn wait_line(rx: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => {
                let hit = l.contains(needle);
                seen.push(l);
                if hit {
                    return;
                }
            }
            Err(e) => panic!("no line with {needle:?} ({e}); got:\n{}", seen.join("\n")),
        }
    }
}

fn interrupt(child: &mut Child) -> Option<i32> {
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    child.wait().unwrap().code()
}

#[test]
fn watch_costs_one_request_per_unchanged_poll_and_prints_a_change() {
    let sim = Sim::quiet(&[]);
    settle(&sim);
    let dir = TempDir::new("conv-watch");
    let watch = |dir: &Path| {
        hubtop(dir)
            .args(["--instance", &sim.url, "--user", "admin", "--log-level", "debug"])
            .args(["get", "outbound", "--state", "error", "--watch", "--interval", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Nothing changes: every poll is one request.
    let start = sim.counter("requests");
    let mut child = watch(&dir);
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    wait_line(&rx, "NUMBER", &mut seen);
    // Three polls or more (the counter rises one per poll when nothing changes).
    until("three polls", T, || sim.counter("requests") >= start + 2 + 3);
    assert_eq!(interrupt(&mut child), Some(130), "ended by SIGINT");
    let total = sim.counter("requests") - start;
    let log = logs(&dir);
    let polls = log.lines().filter(|l| l.contains("watch: polled")).count() as u64;
    assert!(polls >= 3, "{log}");
    assert!(log.lines().filter(|l| l.contains("watch: polled")).all(|l| l.contains("changed=0")), "{log}");
    // The listing, where the delta starts, then one per poll.
    assert_eq!(total, 2 + polls, "{polls} unchanged polls cost one request each\n{log}");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(err, "", "nothing on stderr");
    assert!(rx.try_iter().all(|l| !l.contains("NUMBER")), "not printed again while nothing changed");

    // A change on the instance is printed by the next poll.
    let dir2 = TempDir::new("conv-watch2");
    let mut child = watch(&dir2);
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    wait_line(&rx, "NUMBER", &mut seen);
    let first = on(&sim, &dir2, &["get", "outbound", "--state", "error", "--limit", "1", "-o", "json"]);
    let row = serde_json::from_slice::<Value>(&first.stdout).unwrap()[0].clone();
    patch(
        &sim,
        "ih_sync_outbound_record",
        row["sys_id"].as_str().unwrap(),
        serde_json::json!({"last_error": "changed by the watch test"}),
    );
    let after_patch = sim.counter("requests");
    wait_line(&rx, "changed by the watch test", &mut seen);
    // At most the poll under way when it changed, then the one that saw it (its count,
    // the changed keys, their rows, and the listing again).
    let cost = sim.counter("requests") - after_patch;
    assert!(cost <= 1 + 4, "printed by the first poll after the change ({cost} requests)");
    assert_eq!(interrupt(&mut child), Some(130));
}

#[test]
fn help_groups_connection_options_hides_the_harnesses_and_describes_every_flag() {
    let dir = TempDir::new("conv-help");
    let main = stdout(&hubtop(&dir).arg("--help").output().unwrap());
    assert!(main.contains("Connection options:"), "{main}");
    for hidden in ["bench", "chaos"] {
        assert!(!main.lines().any(|l| l.trim_start().starts_with(hidden)), "{hidden} listed:\n{main}");
        let o = hubtop(&dir).args([hidden, "--help"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{hidden} still runs");
    }
    let get = stdout(&hubtop(&dir).args(["get", "--help"]).output().unwrap());
    assert!(get.contains("Connection options:") && get.contains("--instance"), "{get}");
    assert!(get.contains("display_value"), "the --display form is said: {get}");
    for cmd in ["sim", "config", "completions", "man", "profiles"] {
        let h = stdout(&hubtop(&dir).args([cmd, "--help"]).output().unwrap());
        assert!(!h.contains("--instance") && !h.contains("Connection options"), "{cmd}:\n{h}");
    }
    let o = hubtop(&dir).args(["--instance", "http://127.0.0.1:9", "sim"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("does not apply"), "{}", text(&o));
    // Every argument of every command says what it is.
    fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in c.get_arguments() {
            let id = a.get_id().as_str();
            if a.get_help().is_none() && a.get_long_help().is_none() && id != "help" && id != "version" {
                missing.push(format!("{path} {id}"));
            }
        }
        for s in c.get_subcommands() {
            walk(s, &format!("{path} {}", s.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&hubtop::cli::command(), "hubtop", &mut missing);
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

fn write_profiles(dir: &Path) {
    let cfg = dir.join("config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        "default_profile = \"alpha\"\n\
         [profiles.alpha]\ninstance = \"https://alpha.example.com\"\nuser = \"ops\"\nsecret = { env = \"HUBTOP_ALPHA_PW\" }\n\
         [profiles.beta-prod]\ninstance = \"https://beta.example.com\"\nuser = \"ops\"\nsecret = { command = \"echo s3cr3t-in-a-command\" }\nproduction = true\n",
    )
    .unwrap();
}

#[test]
fn profile_names_and_record_kinds_complete_from_the_config() {
    let dir = TempDir::new("conv-complete");
    write_profiles(&dir);
    let script = stdout(&hubtop(&dir).args(["completions", "bash"]).output().unwrap());
    std::fs::write(dir.join("hubtop.bash"), &script).unwrap();
    // bash, as it completes: the script's function with COMP_WORDS / COMP_CWORD.
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cur = words.last().unwrap();
        let prev = words[words.len() - 2];
        let sh = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_TYPE=9; _clap_complete_hubtop hubtop '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            dir.join("hubtop.bash").display(),
            quoted.join(" "),
            words.len() - 1
        );
        let o = Command::new("bash")
            .args(["-c", &sh])
            .env("HUBTOP_CONFIG_DIR", dir.join("config"))
            .env("HUBTOP_DATA_DIR", dir.join("data"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let mut got: Vec<String> = stdout(&o).lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        got.sort();
        got
    };
    assert_eq!(complete(&["hubtop", "--profile", ""]), ["alpha", "beta-prod"]);
    assert_eq!(complete(&["hubtop", "get", "outbound", "--profile", "b"]), ["beta-prod"]);
    let kinds = complete(&["hubtop", "get", ""]);
    for k in ["outbound", "inbound", "providers", "workorders", "executions", "history"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
    // fish asks the same way: one candidate a line, with the instance as its description.
    let o = hubtop(&dir).env("COMPLETE", "fish").args(["--", "hubtop", "--profile", ""]).output().unwrap();
    let fish = stdout(&o);
    assert!(fish.lines().any(|l| l.starts_with("alpha\t") && l.contains("alpha.example.com")), "{}", text(&o));
    // zsh's script is printed too.
    let zsh = stdout(&hubtop(&dir).args(["completions", "zsh"]).output().unwrap());
    assert!(zsh.contains("compdef") && zsh.contains("COMPLETE"), "{zsh}");
}

#[test]
fn config_list_shows_no_secret_and_edit_saves_only_a_valid_file() {
    let dir = TempDir::new("conv-config");
    // No config: every path suggests creating one.
    let o = hubtop(&dir).args(["--profile", "nope", "get", "outbound"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("hubtop config init"), "{}", text(&o));
    // No config is no profiles: an empty list (exit 0), and the hint on stderr.
    let o = hubtop(&dir).args(["config", "list"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(stdout(&o), "", "{}", text(&o));
    assert!(stderr(&o).contains("hubtop config init"), "{}", text(&o));

    write_profiles(&dir);
    let o = hubtop(&dir).args(["config", "list"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    assert!(out.contains("alpha*") && out.contains("beta-prod") && out.contains("env HUBTOP_ALPHA_PW"), "{out}");
    assert!(!out.contains("s3cr3t"), "no secret, nor a command that may hold one: {out}");
    let o = hubtop(&dir).args(["config", "list", "-o", "json"]).output().unwrap();
    assert!(!stdout(&o).contains("s3cr3t"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[1]["profile"], "beta-prod");
    assert_eq!(v[1]["production"], true);

    // check: the env source is not set here; the command's program is found.
    let o = hubtop(&dir).args(["config", "check"]).env_remove("HUBTOP_ALPHA_PW").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stdout(&o).contains("✖ profile alpha") && stdout(&o).contains("✔ profile beta-prod"), "{}", text(&o));
    let o = hubtop(&dir).args(["config", "check"]).env("HUBTOP_ALPHA_PW", "x").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // edit: an editor that breaks the file changes nothing.
    let path = dir.join("config").join("config.toml");
    let original = std::fs::read_to_string(&path).unwrap();
    let breaker = dir.join("break.sh");
    std::fs::write(&breaker, "#!/bin/sh\necho 'this is = not [toml' >> \"$1\"\n").unwrap();
    let fixer = dir.join("fix.sh");
    std::fs::write(
        &fixer,
        "#!/bin/sh\nprintf '[profiles.gamma]\\ninstance = \"https://gamma.example.com\"\\nuser = \"ops\"\\nsecret = { keyring = true }\\n' >> \"$1\"\n",
    )
    .unwrap();
    for s in [&breaker, &fixer] {
        Command::new("chmod").arg("+x").arg(s).status().unwrap();
    }
    let o = hubtop(&dir).args(["config", "edit"]).env("EDITOR", &breaker).env_remove("VISUAL").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(stderr(&o).contains("not saved"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original, "unchanged");
    let o = hubtop(&dir).args(["config", "edit"]).env("VISUAL", &fixer).env("EDITOR", &breaker).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "VISUAL first\n{}", text(&o));
    let o = hubtop(&dir).args(["config", "list", "-o", "name"]).output().unwrap();
    assert_eq!(stdout(&o), "alpha\nbeta-prod\ngamma\n", "{}", text(&o));
}

/// README's manual page line, run as written after `cargo install` (the binary in
/// ~/.cargo/bin, on PATH) in a fresh HOME: `man -w` finds the page by deriving
/// ~/.cargo/share/man from ~/.cargo/bin (manpath(5)).
/// Reported as ignored, never as passed, where `man` was not on PATH at build time.
#[hubtop_tmux_gate::man_test]
fn the_readmes_man_page_line_works_after_cargo_install() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let after = readme.split("<!-- man-install -->").nth(1).expect("the README marks its man line");
    let line = after.lines().skip_while(|l| !l.starts_with("```sh")).nth(1).expect("a line after ```sh").to_string();
    assert!(line.contains("hubtop man"), "{line}");
    // `&& man hubtop` would page: keep what installs, then ask where the page is.
    let install = line.split("&& man hubtop").next().unwrap().trim().trim_end_matches("&&").trim();
    let home = TempDir::new("conv-home");
    let cargo_bin = home.join(".cargo").join("bin");
    std::fs::create_dir_all(&cargo_bin).unwrap();
    std::fs::copy(bin(), cargo_bin.join("hubtop")).unwrap();
    let path = format!("{}:/usr/bin:/bin", cargo_bin.display());
    let run = |sh: &str| {
        Command::new("sh").args(["-c", sh]).env_clear().env("HOME", &home).env("PATH", &path).output().unwrap()
    };
    let o = run(install);
    assert_eq!(o.status.code(), Some(0), "{install}\n{}", text(&o));
    let o = run("man -w hubtop");
    assert_eq!(o.status.code(), Some(0), "man finds the page\n{}", text(&o));
    let found = stdout(&o);
    assert!(found.trim().ends_with(".cargo/share/man/man1/hubtop.1"), "{found}");
}
