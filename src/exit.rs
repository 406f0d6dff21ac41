//! Exit codes shared by every command (listed in `--help`).

pub const OK: u8 = 0;
/// The action or flow failed, or its outcome is unknown.
pub const FAILED: u8 = 1;
/// Usage, and anything refused before it was sent (rules, read-only).
pub const USAGE: u8 = 2;
pub const AUTH: u8 = 3;
/// The instance is unreachable or not an instance.
pub const UNREACHABLE: u8 = 4;
/// The instance refused: an ACL (403), with its message and detail.
pub const FORBIDDEN: u8 = 5;
