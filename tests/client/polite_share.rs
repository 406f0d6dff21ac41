//! `share_polls` in a profile: the client shares its polls under the data directory,
//! in a directory of the instance and user readable by the OS user alone; off by default.

use std::path::Path;

use hubtop::config::{self, Config};

use crate::common::TempDir;
use crate::common::keyring::NoKeyring;

#[test]
fn share_polls_gives_the_client_a_private_share_of_the_instance_and_user() {
    let data = TempDir::new("polite-share");
    // SAFETY: the only test of the client group that reads or sets the environment (the
    // others pass their settings explicitly and run no child process), and its variables
    // are its own: nothing else reads them meanwhile.
    unsafe {
        std::env::set_var("HUBTOP_DATA_DIR", data.path());
        std::env::set_var("HUBTOP_POLITE_SHARE_SECRET", "pw");
    }
    let text = "[profiles.a]\ninstance = \"https://a.example.com\"\nuser = \"ops\"\n\
                secret = { env = \"HUBTOP_POLITE_SHARE_SECRET\" }\nshare_polls = true\n\n\
                [profiles.b]\ninstance = \"https://a.example.com\"\nuser = \"ops\"\n\
                secret = { env = \"HUBTOP_POLITE_SHARE_SECRET\" }\n";
    let c = Config::parse(text, Path::new("/etc/hubtop/config.toml")).map_err(|e| e.0).unwrap();
    let a = config::resolve("a", &c.profiles["a"], &NoKeyring).unwrap();
    let share = a.client.share.as_ref().expect("shared");
    assert_eq!(share.max_age, hubtop::client::share::MAX_AGE);
    let dirs: Vec<_> = std::fs::read_dir(data.join("share")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "one directory for the instance and user: {dirs:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&dirs[0]).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let b = config::resolve("b", &c.profiles["b"], &NoKeyring).unwrap();
    assert!(b.client.share.is_none(), "off unless the profile says so");
}
