//! Fault injection on the instance API (`--faults`), for tests, chaos runs and demos.
//!
//! Spec: comma-separated `name=value`; `latency` takes a duration (`50ms`, `2s`),
//! `limit` a hard rate in requests per second, the others a probability per request. `reset` drops the connection *after* the
//! request was processed, so a client sees its answer lost while the work happened:
//! exactly the case where a trigger must not be blindly re-sent. `acl_read` / `acl_write`
//! deny reads (GET) / writes (POST, PATCH, PUT, DELETE) of the REST APIs with a real
//! instance's 403 bodies.

use std::time::Duration;

use crate::time::parse_duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub latency: Duration,
    /// 500/503 answers.
    pub error: f64,
    /// 429 with Retry-After.
    pub rate_limit: f64,
    /// 200 with a truncated JSON body.
    pub malformed: f64,
    /// 200 with an HTML page, as a hibernating instance answers.
    pub html: f64,
    /// Connection dropped mid-answer.
    pub reset: f64,
    /// 401 as if the session expired.
    pub unauthorized: f64,
    /// A hard limit of requests per second (token bucket, burst of one second); over it, 429.
    pub limit: f64,
    /// 403 on reads, as a read ACL denies them.
    pub acl_read: f64,
    /// 403 on writes, as a write ACL denies them.
    pub acl_write: f64,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Error,
    RateLimit,
    Malformed,
    Html,
    Reset,
    Unauthorized,
}

impl Faults {
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("fault `{part}` is not name=value"))?;
            if k == "latency" {
                f.latency = parse_duration(v)?;
                continue;
            }
            if k == "limit" {
                f.limit = v
                    .parse()
                    .ok()
                    .filter(|n: &f64| *n > 0.0)
                    .ok_or_else(|| format!("fault `limit`: `{v}` is not a rate > 0"))?;
                continue;
            }
            let p: f64 = v.parse().map_err(|_| format!("fault `{k}`: `{v}` is not a probability"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("fault `{k}`: {p} is not between 0 and 1"));
            }
            match k {
                "error" => f.error = p,
                "rate_limit" => f.rate_limit = p,
                "malformed" => f.malformed = p,
                "html" => f.html = p,
                "reset" => f.reset = p,
                "unauthorized" => f.unauthorized = p,
                "acl_read" => f.acl_read = p,
                "acl_write" => f.acl_write = p,
                _ => {
                    return Err(format!(
                        "unknown fault `{k}` (known: latency, limit, error, rate_limit, malformed, html, reset, \
                         unauthorized, acl_read, acl_write)"
                    ));
                }
            }
        }
        Ok(f)
    }

    /// Picks the fault for a request from a uniform draw `r` in [0, 1).
    pub fn pick(&self, r: f64) -> Fault {
        let table = [
            (self.error, Fault::Error),
            (self.rate_limit, Fault::RateLimit),
            (self.malformed, Fault::Malformed),
            (self.html, Fault::Html),
            (self.reset, Fault::Reset),
            (self.unauthorized, Fault::Unauthorized),
        ];
        let mut acc = 0.0;
        for (p, fault) in table {
            acc += p;
            if r < acc {
                return fault;
            }
        }
        Fault::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_spec() {
        let f = Faults::parse("latency=50ms,error=0.2,rate_limit=0.05,malformed=0.02,html=0.01,reset=0.01").unwrap();
        assert_eq!(f.latency, Duration::from_millis(50));
        assert_eq!(f.error, 0.2);
        assert_eq!(f.pick(0.1), Fault::Error);
        assert_eq!(f.pick(0.22), Fault::RateLimit);
        assert_eq!(f.pick(0.99), Fault::None);
        assert!(Faults::parse("error=2").is_err());
        assert!(Faults::parse("boom=0.1").is_err());
        assert!(Faults::parse("latency=fast").is_err());
        assert_eq!(Faults::parse("").unwrap(), Faults::default());
        let acl = Faults::parse("acl_read=1,acl_write=0.5").unwrap();
        assert_eq!((acl.acl_read, acl.acl_write), (1.0, 0.5));
        assert_eq!(acl.pick(0.0), Fault::None, "ACL denials are drawn apart from the transport faults");
    }
}
