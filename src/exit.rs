//! Exit codes shared by every command (listed in `--help` and the man page).

pub const OK: u8 = 0;
/// The action or its flow failed (the instance said so).
pub const FAILED: u8 = 1;
/// Usage, and anything refused before it was sent (rules, read-only, validation, a
/// trigger the instance does not have).
pub const USAGE: u8 = 2;
pub const AUTH: u8 = 3;
/// The instance is unreachable or not an instance.
pub const UNREACHABLE: u8 = 4;
/// The instance refused: an ACL (403), with its message and detail.
pub const FORBIDDEN: u8 = 5;
/// Sent, outcome unknown: the instance may have acted. Check the record before sending
/// again; never resend blindly (unlike [`FAILED`], where the instance said it did not).
pub const UNKNOWN: u8 = 6;
/// A record named on the command line does not exist on the instance (nothing was sent).
pub const NOT_FOUND: u8 = 7;
