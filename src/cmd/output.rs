//! What the commands print on stdout, and how: every format of `-o`, and writing that
//! treats a closed pipe (`hubtop get … | head -1`) as the reader being done — a quiet
//! success, as for ripgrep or kubectl — instead of a panic.

use std::io::Write;

use serde_json::Value;

/// Writes `text` to stdout at once. When the reader has gone (a closed pipe), the
/// process ends here with exit code 0 and nothing on stderr: there is no one left to
/// print for. Any other write error is reported and ends the process with code 1.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        gone(e);
    }
}

/// Writes bytes to stdout (see [`emit`]).
pub fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        gone(e);
    }
}

fn gone(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(crate::exit::OK));
    }
    eprintln!("hubtop: cannot write the output: {e}");
    std::process::exit(i32::from(crate::exit::FAILED));
}

/// `println!` that ends the process quietly on a closed pipe (see [`emit`]).
#[macro_export]
macro_rules! outln {
    () => { $crate::cmd::output::emit("\n") };
    ($($arg:tt)*) => { $crate::cmd::output::emit(&format!("{}\n", format_args!($($arg)*))) };
}

/// Pretty JSON and a final newline.
pub fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// YAML: one document.
pub fn yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_default()
}

/// CSV (RFC 4180: quoted where needed, CRLF-free `\n` line ends), with the header line
/// unless `no_headers`.
pub fn csv(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    if !no_headers {
        let _ = w.write_record(headers);
    }
    for r in rows {
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A plain text table: upper-case headers, columns two spaces apart, no trailing blanks.
pub fn text_table(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    let up: Vec<String> = headers.iter().map(|h| h.to_uppercase()).collect();
    let up: Vec<&str> = up.iter().map(String::as_str).collect();
    plain_table(&up, rows, no_headers)
}

/// The same with the headers as given.
pub fn plain_table(headers: &[&str], rows: &[Vec<String>], no_headers: bool) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut w: Vec<usize> = headers.iter().map(|h| if no_headers { 0 } else { h.width() }).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(w.len()) {
            w[i] = w[i].max(c.width());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, width)) in cells.iter().zip(&w).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            s.push_str(&" ".repeat(width.saturating_sub(c.width())));
        }
        format!("{}\n", s.trim_end())
    };
    let mut out = String::new();
    if !no_headers {
        out.push_str(&line(headers.to_vec()));
    }
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// A text table fitted to `width` columns: columns sized to their content (at most 60),
/// the widest shrunk first, cells cut with an ellipsis (the console's cut), headers as
/// given.
pub fn fitted_table(headers: &[String], rows: &[Vec<String>], width: usize) -> String {
    use crate::ui::fit;
    let mut w: Vec<usize> = headers.iter().map(|h| fit::width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(w.len()) {
            w[i] = w[i].max(fit::width(c)).min(60);
        }
    }
    let gaps = 2 * headers.len().saturating_sub(1);
    while w.iter().sum::<usize>() + gaps > width.max(20) {
        let (i, max) = w.iter().enumerate().max_by_key(|(_, v)| **v).map(|(i, v)| (i, *v)).unwrap_or((0, 0));
        if max <= 6 {
            break;
        }
        w[i] -= 1;
    }
    let line = |vals: &[String]| -> String {
        let parts: Vec<String> = vals.iter().zip(&w).map(|(v, w)| fit::pad(v, *w)).collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut out = line(headers);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// Rows that are not records (profiles, the config's list): a header and a cell for each
/// column, an object for json and yaml, a name for `-o name`.
pub struct Sheet {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub objects: Vec<Value>,
    pub names: Vec<String>,
}

impl Sheet {
    pub fn render(&self, o: crate::cli::Output) -> String {
        use crate::cli::Output;
        match o {
            // Nothing to list: nothing at all (json and yaml: an empty list).
            Output::Table | Output::Wide | Output::Csv if self.rows.is_empty() => String::new(),
            Output::Table | Output::Wide => text_table(&self.headers, &self.rows, false),
            Output::Csv => csv(&self.headers, &self.rows, false),
            Output::Json => json(&Value::Array(self.objects.clone())),
            Output::Yaml => yaml(&Value::Array(self.objects.clone())),
            Output::Name => self.names.iter().map(|n| format!("{n}\n")).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_can_drop_the_header() {
        let rows = vec![vec!["a,b".to_string(), "say \"hi\"".to_string()], vec!["x".into(), "".into()]];
        assert_eq!(csv(&["one", "two"], &rows, false), "one,two\n\"a,b\",\"say \"\"hi\"\"\"\nx,\n");
        assert_eq!(csv(&["one", "two"], &rows, true), "\"a,b\",\"say \"\"hi\"\"\"\nx,\n");
    }

    #[test]
    fn tables_align() {
        let rows = vec![vec!["ISO1".to_string(), "error".to_string()]];
        assert_eq!(text_table(&["number", "state"], &rows, false), "NUMBER  STATE\nISO1    error\n");
        assert_eq!(text_table(&["number", "state"], &rows, true), "ISO1  error\n");
    }
}
