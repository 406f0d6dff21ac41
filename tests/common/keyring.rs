//! A keyring that holds nothing, for resolving profiles in the test's own process.

use hubtop::config::Keyring;

/// Every read and write fails, as on a machine without a keyring.
pub struct NoKeyring;

impl Keyring for NoKeyring {
    fn get(&self, _: &str, _: &str) -> Result<String, String> {
        Err("none".into())
    }
    fn set(&self, _: &str, _: &str, _: &str) -> Result<(), String> {
        Err("none".into())
    }
}
