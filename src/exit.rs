//! Exit codes shared by every command (listed in `--help` and the man page).

pub const OK: u8 = 0;
/// The instance answered with an error: the action or its flow failed (the instance said
/// so), or a read was refused (a table it lacks, a server error).
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
/// A record named on the command line does not exist on the instance: nothing was sent
/// for it (a command over several records sends the others, see [`SEVERITY`]).
pub const NOT_FOUND: u8 = 7;

/// A command over several records (`retry A B C`) exits with the most severe of their
/// outcomes, most severe first:
/// - [`UNKNOWN`]: something may have acted and must be checked before anything is sent
///   again — hiding it behind any other code invites a blind resend;
/// - [`FAILED`]: something was sent and the instance said it failed;
/// - [`UNREACHABLE`], [`AUTH`], [`FORBIDDEN`]: the instance could not be reached, did not
///   accept the credentials, or refused a record (nothing sent for it);
/// - [`USAGE`]: refused before sending (a rule, read-only, a bad value);
/// - [`NOT_FOUND`]: a record named does not exist (nothing to send for it);
/// - [`OK`].
///
/// A code not listed (a signal's 128 + N) outranks them all.
pub const SEVERITY: [u8; 8] = [UNKNOWN, FAILED, UNREACHABLE, AUTH, FORBIDDEN, USAGE, NOT_FOUND, OK];

/// The rank of a code in [`SEVERITY`]: 0 is the most severe.
fn rank(code: u8) -> usize {
    SEVERITY.iter().position(|c| *c == code).map_or(0, |i| i + 1)
}

/// The more severe of two outcomes' codes (see [`SEVERITY`]).
pub fn worst(a: u8, b: u8) -> u8 {
    if rank(b) < rank(a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_severe_outcome_wins_in_the_documented_order() {
        assert_eq!(worst(NOT_FOUND, FAILED), FAILED, "a record sent and failed outranks one not found");
        assert_eq!(worst(FAILED, UNKNOWN), UNKNOWN);
        assert_eq!(worst(OK, NOT_FOUND), NOT_FOUND);
        assert_eq!(worst(USAGE, NOT_FOUND), USAGE);
        assert_eq!(worst(UNKNOWN, NOT_FOUND), UNKNOWN);
        assert_eq!(worst(OK, OK), OK);
        assert_eq!(worst(UNKNOWN, 143), 143, "a signal's code is kept");
        let folded = [OK, NOT_FOUND, FAILED, USAGE].into_iter().fold(OK, worst);
        assert_eq!(folded, FAILED);
    }
}
