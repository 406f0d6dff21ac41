//! Opening a record in the browser: the URL the instance's UI understands, and the
//! system's way of opening it (the `open` crate: xdg-open and friends on Linux and the
//! BSDs, `open` on macOS, ShellExecute on Windows, PowerShell on WSL), detached so the
//! console keeps the terminal.

/// Characters kept as they are in a URL component (RFC 3986 "unreserved").
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes one URL component (a query value), every other byte as `%XX`.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The instance's base URL, checked: http(s), no credentials, no query or fragment.
fn base(instance: &str) -> Result<&str, String> {
    let base = instance.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| "the instance URL is not http(s)".to_string())?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains('@') || rest.contains(['?', '#', ' ']) {
        return Err("the instance URL is not a plain http(s) address".into());
    }
    Ok(base)
}

/// The URL that opens a record in the instance's UI, inside its navigation frame:
/// `{instance}/nav_to.do?uri=<table>.do%3Fsys_id%3D<sys_id>`. The inner URL is one
/// query value, so its own `?` and `=` are encoded.
pub fn record_url(instance: &str, table: &str, sys_id: &str) -> Result<String, String> {
    let base = base(instance)?;
    if table.is_empty() || sys_id.is_empty() {
        return Err("no table or sys_id to open".into());
    }
    let inner = format!("{table}.do?sys_id={sys_id}");
    Ok(format!("{base}/nav_to.do?uri={}", encode_component(&inner)))
}

/// Whether a browser can be started here: Linux/BSD needs a display (or WSL, whose
/// browser is Windows'); over a plain SSH session there is none, and a text browser
/// would fight the console for the terminal.
pub fn can_open(get: &dyn Fn(&str) -> Option<String>) -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    let set = |k: &str| get(k).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY") || set("WSL_DISTRO_NAME") || set("WSL_INTEROP")
}

/// Opens `url` (http or https only) in the default browser, without waiting for it.
/// On failure the error includes the URL, so the console can show it to copy by hand.
pub fn open(url: &str) -> Result<(), String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("refused to open `{url}`: not an http(s) URL"));
    }
    if !can_open(&|k| std::env::var(k).ok()) {
        return Err(format!("no browser here (no display); open {url}"));
    }
    open::that_detached(url).map_err(|e| format!("cannot start a browser ({e}); open {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inner_record_url_is_one_encoded_query_value() {
        let u = record_url("https://acme.service-now.com/", "ih_sync_outbound_record", "0a1b2c").unwrap();
        assert_eq!(u, "https://acme.service-now.com/nav_to.do?uri=ih_sync_outbound_record.do%3Fsys_id%3D0a1b2c");
    }

    #[test]
    fn hostile_parts_cannot_add_parameters_or_break_out() {
        let u = record_url("http://127.0.0.1:8080", "t&x=1", "a b#c\"'<>\n%").unwrap();
        let query = u.split_once("uri=").unwrap().1;
        assert_eq!(query, "t%26x%3D1.do%3Fsys_id%3Da%20b%23c%22%27%3C%3E%0A%25");
        assert!(query.bytes().all(|b| unreserved(b) || b == b'%'), "{query}");
    }

    #[test]
    fn non_ascii_is_encoded_as_utf8_bytes() {
        assert_eq!(encode_component("é~"), "%C3%A9~");
    }

    #[test]
    fn only_plain_http_instances_are_opened() {
        assert!(record_url("file:///etc/passwd", "t", "s").is_err());
        assert!(record_url("javascript:alert(1)", "t", "s").is_err());
        assert!(record_url("https://admin:pw@acme.service-now.com", "t", "s").is_err(), "no credentials");
        assert!(record_url("https://acme.service-now.com", "", "s").is_err());
        assert!(open("file:///etc/passwd").unwrap_err().contains("not an http(s) URL"));
    }

    #[test]
    fn a_browser_needs_a_display_or_wsl_on_linux() {
        let none = |_: &str| None;
        let display = |k: &str| (k == "DISPLAY").then(|| ":0".to_string());
        let wsl = |k: &str| (k == "WSL_DISTRO_NAME").then(|| "Ubuntu".to_string());
        if cfg!(any(target_os = "macos", target_os = "windows")) {
            assert!(can_open(&none));
        } else {
            assert!(!can_open(&none), "plain SSH: no browser");
            assert!(can_open(&display));
            assert!(can_open(&wsl), "WSL opens the Windows browser");
        }
    }
}
