//! One poll of a [`Delta`] in one round of requests, for a console that keeps a list live.
//!
//! The round holds the check (the Aggregate API's count and `sys_mod_count` sum of the
//! rows at or after the watermark, as [`Delta::poll`] asks it) and, in the same Batch API
//! call, the count of the list's own filter its header shows. While the table changes
//! fast (a change in the last [`SPECULATE_FOR`] polls), the changed rows themselves are
//! asked instead of the check — whole rows at or after the watermark, which say as much
//! as the check does and carry what changed — so a busy table costs one request a poll,
//! not three. On a quiet table the rows are asked too while the watermark's second
//! holds few of them ([`SMALL_REPEAT`]: the answer is then a row or two), so a change
//! shows one round trip after the poll; after a bulk change that left many rows in that
//! second, the check alone, and a change it finds costs one more request for the rows.
//! Where the instance has no Batch API, every item is a request of its own: the poll is
//! then the check alone (and the rows when it finds a change).

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{Delta, ListSpec, MAX_PAGE};
use crate::client::{Client, Record, Result};
use crate::query::OrderBy;

/// Polls in a row without a change after which the rows are no longer asked in advance
/// (a minute at the idle cadence).
pub const SPECULATE_FOR: u32 = 12;

/// Rows the watermark's own second may repeat for the rows to be asked on a quiet
/// table too: then a change shows one round trip after the poll, not two.
pub const SMALL_REPEAT: usize = 10;

enum Got {
    Check(u64, f64),
    Count(Option<u64>),
    Rows(Vec<Record>),
}

impl Delta {
    /// Whole rows at or after the watermark, oldest first, as many more as the page may
    /// repeat of what was delivered at the watermark.
    fn changed_rows(&self) -> ListSpec {
        let mut spec = self.spec.clone();
        spec.query = self.since(self.watermark.as_deref());
        spec.query.order = vec![OrderBy { field: "sys_updated_on".into(), desc: false }];
        spec.offset = 0;
        spec.no_count = true;
        spec.limit = (self.spec.limit + self.delivered.len()).min(MAX_PAGE);
        spec
    }

    /// Whether the next poll asks for the changed rows in the round (`batch`: the instance
    /// takes several requests in one, so asking them costs no request of its own).
    pub fn asks_rows(&self, batch: bool) -> bool {
        let small = self.delivered.len() <= SMALL_REPEAT;
        self.watermark.is_none() || self.fingerprint.is_none() || (batch && (self.quiet < SPECULATE_FOR || small))
    }

    /// Records changed since the last poll, in one round (see the module). Commits
    /// nothing unless the whole poll succeeds.
    pub async fn poll_once(&mut self, client: &Client) -> Result<Vec<Record>> {
        let batch = client.batch.get() != Some(false);
        let rows = self.asks_rows(batch);
        let mut round: Vec<BoxFuture<'_, Result<Got>>> = Vec::new();
        if rows {
            let spec = self.changed_rows();
            round.push(async move { Ok(Got::Rows(client.list(&spec).await?.records)) }.boxed());
        } else {
            let (table, q) = (self.spec.table.clone(), self.since(self.watermark.as_deref()));
            round.push(
                async move {
                    let (n, sums) = client.stats(&table, &q, &["sys_mod_count"]).await?;
                    Ok(Got::Check(n, sums.first().copied().unwrap_or(0.0)))
                }
                .boxed(),
            );
        }
        if let Some(mut q) = self.count.clone().filter(|_| batch) {
            q.order.clear();
            let table = self.spec.table.clone();
            // The header's figure is a nicety: a count the instance refuses never fails the poll.
            round.push(async move { Ok(Got::Count(client.stats(&table, &q, &[]).await.ok().map(|c| c.0))) }.boxed());
        }
        let mut next = self.clone();
        next.total = None;
        let (mut page, mut check) = (None, None);
        for got in client.batched(round).await? {
            match got {
                Got::Rows(r) => page = Some(r),
                Got::Check(n, sum) => check = Some((n, sum)),
                Got::Count(n) => next.total = n,
            }
        }
        let page = match (page, check) {
            (Some(p), _) => p,
            (None, c) if c.is_some() && c == self.fingerprint => {
                next.quiet = next.quiet.saturating_add(1);
                *self = next;
                return Ok(Vec::new());
            }
            // Changed while thought quiet: the rows, in a round of their own.
            (None, _) => client.list(&self.changed_rows()).await?.records,
        };
        let full = page.len() >= self.changed_rows().limit;
        let fresh = next.absorb(page.clone());
        next.fingerprint = if full {
            // More than a page changed: the rest next poll, listed again.
            None
        } else {
            // The page holds every row from the old watermark on: what the check will
            // say about the new one while nothing changes.
            let w = next.watermark.clone().unwrap_or_default();
            Some(
                page.iter()
                    .filter(|r| r.get("sys_updated_on") >= w.as_str())
                    .fold((0u64, 0.0), |(n, s), r| (n + 1, s + r.get("sys_mod_count").parse::<f64>().unwrap_or(0.0))),
            )
        };
        next.quiet = if fresh.is_empty() { next.quiet.saturating_add(1) } else { 0 };
        *self = next;
        Ok(fresh)
    }
}
