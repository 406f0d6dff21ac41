//! The real console in a pseudo-terminal beside the chaos run: the binary's own event
//! loop, terminal and runner against the same faulty instance. A prober presses a view
//! key every 400 ms (so a healthy console always has something to draw) and every frame
//! is seen as the synchronized-update sequence that opens it; a second without one
//! means the event loop stalled.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// What opens every frame the console draws (crossterm's BeginSynchronizedUpdate).
const FRAME: &[u8] = b"\x1b[?2026h";
/// Views the prober cycles through: each key changes the screen.
const KEYS: &[u8] = b"4617253";
const PROBE_EVERY: Duration = Duration::from_millis(400);

/// What the real console did.
#[derive(Debug, Clone, Default)]
pub struct PtyReport {
    pub frames: u64,
    /// Whole seconds of the probed window, counted from its start.
    pub seconds: u64,
    pub seconds_without_frame: Vec<u64>,
    /// The slowest key press to the next frame.
    pub slowest_key_ms: u64,
    pub panicked: bool,
    /// How it ended: "exit 0" after `q`, or what went wrong.
    pub exit: String,
}

impl PtyReport {
    pub fn passed(&self) -> bool {
        self.frames > 0 && self.seconds_without_frame.is_empty() && !self.panicked && self.exit == "exit 0"
    }
}

pub struct PtyConsole {
    child: Child,
    master: std::fs::File,
    frames: Arc<Mutex<Vec<Instant>>>,
    keys: Arc<Mutex<Vec<Instant>>>,
    panicked: Arc<AtomicBool>,
    probing: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
    prober: Option<std::thread::JoinHandle<()>>,
}

/// A new pseudo-terminal of `cols`×`rows`: the master, and the slave's path.
fn open_pty(cols: u16, rows: u16) -> std::io::Result<(std::fs::File, std::path::PathBuf)> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: plain libc calls on a descriptor we own; ptsname's static buffer is copied
    // at once.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let master = OwnedFd::from_raw_fd(fd);
        if libc::grantpt(fd) != 0 || libc::unlockpt(fd) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let name = libc::ptsname(fd);
        if name.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        let path = std::ffi::CStr::from_ptr(name).to_str().map_err(std::io::Error::other)?.to_string();
        let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        if libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((std::fs::File::from(master), path.into()))
    }
}

impl PtyConsole {
    /// Starts `bin` (the hubtop binary) on `url` in a new pseudo-terminal.
    /// `stall` sets the binary's test-only switch that blocks its event loop once.
    pub fn spawn(bin: &Path, url: &str, dir: &Path, size: (u16, u16), stall: bool) -> std::io::Result<PtyConsole> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::process::CommandExt;
        std::fs::create_dir_all(dir)?;
        let (master, slave_path) = open_pty(size.0, size.1)?;
        let slave = std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_NOCTTY).open(slave_path)?;
        let mut cmd = Command::new(bin);
        // OAuth client credentials, as the headless console: token expiry hits it too.
        cmd.args(["--instance", url, "--client-id", "hubtop"])
            .env("HUBTOP_CLIENT_SECRET", "hubtop")
            .env("HUBTOP_DATA_DIR", dir)
            .env("HUBTOP_CONFIG_DIR", dir)
            .env("TERM", "xterm-256color")
            .env_remove("HUBTOP_TEST_PANIC")
            .env_remove("HUBTOP_TEST_STALL")
            .stdin(slave.try_clone()?)
            .stdout(slave.try_clone()?)
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec. The child leads a
        // new session whose controlling terminal is the slave, as a shell would set up.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        if stall {
            cmd.env("HUBTOP_TEST_STALL", "1");
        }
        let child = cmd.spawn()?;
        drop(cmd); // closes our copies of the slave, so reads end when the child does
        let frames = Arc::new(Mutex::new(Vec::new()));
        let panicked = Arc::new(AtomicBool::new(false));
        let mut out = master.try_clone()?;
        let (f, p) = (Arc::clone(&frames), Arc::clone(&panicked));
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            // The end of the previous read, so a marker split across reads is still seen.
            let mut carry: Vec<u8> = Vec::new();
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                carry.extend_from_slice(&buf[..n]);
                let now = Instant::now();
                let count = carry.windows(FRAME.len()).filter(|w| *w == FRAME).count();
                f.lock().extend(std::iter::repeat_n(now, count));
                if carry.windows(b"panicked at".len()).any(|w| w == b"panicked at") {
                    p.store(true, Ordering::SeqCst);
                }
                let keep = carry.len().min(FRAME.len().max(b"panicked at".len()) - 1);
                carry.drain(..carry.len() - keep);
            }
        });
        Ok(PtyConsole {
            child,
            master,
            frames,
            keys: Arc::default(),
            panicked,
            probing: Arc::new(AtomicBool::new(false)),
            reader: Some(reader),
            prober: None,
        })
    }

    /// Waits (bounded) for the first frame: the console is up.
    pub async fn until_first_frame(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if !self.frames.lock().is_empty() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Starts pressing a view key every 400 ms.
    pub fn start_probing(&mut self) -> std::io::Result<()> {
        self.probing.store(true, Ordering::SeqCst);
        let mut w = self.master.try_clone()?;
        let (on, keys) = (Arc::clone(&self.probing), Arc::clone(&self.keys));
        self.prober = Some(std::thread::spawn(move || {
            let mut i = 0;
            while on.load(Ordering::SeqCst) {
                if w.write_all(&[KEYS[i % KEYS.len()]]).is_err() {
                    break;
                }
                keys.lock().push(Instant::now());
                i += 1;
                std::thread::sleep(PROBE_EVERY);
            }
        }));
        Ok(())
    }

    /// Stops probing, quits the console (`q`) and reports on `[from, until)`.
    pub async fn finish(mut self, from: Instant, until: Instant) -> PtyReport {
        self.probing.store(false, Ordering::SeqCst);
        if let Some(p) = self.prober.take() {
            let _ = tokio::task::spawn_blocking(move || p.join()).await;
        }
        let _ = self.master.write_all(b"q");
        let end = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s.code().map(|c| format!("exit {c}")).unwrap_or_else(|| format!("{s}")),
                Ok(None) if Instant::now() < end => tokio::time::sleep(Duration::from_millis(50)).await,
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break "did not quit within 10 s of `q`".to_string();
                }
                Err(e) => break e.to_string(),
            }
        };
        if let Some(r) = self.reader.take() {
            let _ = tokio::task::spawn_blocking(move || r.join()).await;
        }
        let frames = self.frames.lock().clone();
        let keys = self.keys.lock().clone();
        let seconds = until.saturating_duration_since(from).as_secs();
        let mut per_second = vec![0u64; seconds as usize];
        for t in &frames {
            if let Some(slot) = t.checked_duration_since(from).and_then(|d| per_second.get_mut(d.as_secs() as usize)) {
                *slot += 1;
            }
        }
        let slowest_key_ms = keys
            .iter()
            .filter(|k| **k >= from && **k < until)
            .filter_map(|k| frames.iter().find(|f| *f >= k).map(|f| f.duration_since(*k).as_millis() as u64))
            .max()
            .unwrap_or(0);
        PtyReport {
            frames: frames.len() as u64,
            seconds,
            seconds_without_frame: (0..seconds).filter(|s| per_second[*s as usize] == 0).collect(),
            slowest_key_ms,
            panicked: self.panicked.load(Ordering::SeqCst),
            exit,
        }
    }
}

impl Drop for PtyConsole {
    fn drop(&mut self) {
        self.probing.store(false, Ordering::SeqCst);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
