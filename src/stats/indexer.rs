//! The indexer: turns the event log into the statistics' counters.
//!
//! One batch reads the cursor, the next events in id order, and the state of
//! the reports they belong to; folds the events (`fold.rs`, pure); reads the
//! counter rows it touches, adds to them, and commits rows, states and the new
//! cursor together, only if the cursor has not moved meanwhile
//! ([`StatsStore::stats_commit`]). A batch that loses that race wrote
//! nothing, and the next one starts from the winner's cursor: however many
//! daemons index, each event is counted once, and a crash anywhere loses at
//! most a batch that is then done again.
//!
//! Event ids come from a sequence. On SQLite a later id is only ever visible
//! after every earlier one, but on PostgreSQL a transaction can commit id 101
//! while another still holds 100, and one that rolls back leaves 100 missing
//! for ever. So the indexer stops at a gap and settles it
//! ([`StatsStore::stats_settle`]: waits up to 200 ms for the transactions
//! writing `events`); it skips the gap only once no writer can still fill
//! it, and otherwise tries again on its next round.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::fold::Fold;
use super::{hist, BatchWrite, Counts, CountsRow, Dim, RawEvent, StatsStore};
use crate::store::Result;

/// Events per batch for the running daemon: on SQLite a batch's commit holds
/// the write lock, and 2,000 events commit in a few tens of milliseconds.
pub const DEFAULT_BATCH: i64 = 2_000;

/// How long the indexer waits after a failure at most.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Indexes every event committed so far (as far as no gap blocks it);
/// returns how many events it consumed.
pub async fn index_once(store: &dyn StatsStore, batch: i64) -> Result<u64> {
    Ok(run(store, batch, usize::MAX).await?.0)
}

/// Indexes every `every` (a second, say) in batches of `batch` events
/// ([`DEFAULT_BATCH`]) until cancelled; a batch in hand is finished, not
/// abandoned. Failures are logged and retried with a capped exponential
/// backoff.
pub fn spawn_indexer(
    store: Arc<dyn StatsStore>,
    every: Duration,
    batch: i64,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = every;
        loop {
            let wait = match run(&*store, batch, 20).await {
                Ok((n, more)) => {
                    backoff = every;
                    if n > 0 {
                        tracing::debug!(events = n, "Statistics indexed.");
                    }
                    if more {
                        Duration::ZERO
                    } else {
                        every
                    }
                }
                Err(e) => {
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Statistics indexing failed; will retry.");
                    backoff
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Up to `max_batches` batches: (events consumed, whether more may be waiting).
async fn run(store: &dyn StatsStore, batch: i64, max_batches: usize) -> Result<(u64, bool)> {
    let batch = batch.max(1);
    let mut total = 0;
    let mut settled = None;
    let mut settle_tried = false;
    for _ in 0..max_batches {
        match one_batch(store, batch, settled).await? {
            Step::CaughtUp => return Ok((total, false)),
            Step::Indexed { events, caught_up } => {
                total += events;
                if caught_up {
                    return Ok((total, false));
                }
            }
            Step::Gap => {
                if settle_tried {
                    return Ok((total, false));
                }
                settle_tried = true;
                settled = store.stats_settle().await?;
                if settled.is_none() {
                    return Ok((total, false));
                }
            }
            // Another indexer moved the cursor: carry on from there.
            Step::Lost => {}
        }
    }
    Ok((total, true))
}

enum Step {
    CaughtUp,
    Indexed {
        events: u64,
        caught_up: bool,
    },
    /// The next event id is missing and may still appear.
    Gap,
    /// The cursor moved under this batch; nothing was written.
    Lost,
}

async fn one_batch(store: &dyn StatsStore, limit: i64, settled: Option<i64>) -> Result<Step> {
    let cursor = store.stats_cursor().await?;
    let events = store.stats_events(cursor, limit).await?;
    if events.is_empty() {
        return Ok(Step::CaughtUp);
    }
    let usable = contiguous(cursor, &events, store.gaps_final(), settled);
    if usable == 0 {
        return Ok(Step::Gap);
    }
    let caught_up = usable == events.len() && (events.len() as i64) < limit;
    let events = &events[..usable];
    let mut ids: Vec<i64> = events.iter().map(|e| e.report_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let (reports, assignments) = store.stats_states(&ids).await?;
    let known: HashSet<i64> = reports.iter().map(|r| r.report_id).collect();
    let mut fresh: Vec<i64> = events
        .iter()
        .filter(|e| e.action == "diterima" && !known.contains(&e.report_id))
        .map(|e| e.report_id)
        .collect();
    fresh.sort_unstable();
    fresh.dedup();
    let dims = store.stats_dims(&fresh).await?;
    let mut fold = Fold::new(reports, assignments, dims);
    for e in events {
        fold.apply(e);
    }
    let (reports, assignments, deltas) = fold.finish();
    // Counters are added by the database; histograms are merged here, so
    // only the rows whose histograms change are read.
    let keys: Vec<(String, Dim, String)> = deltas
        .iter()
        .filter(|(_, d)| !d.first_response.is_empty() || !d.close.is_empty())
        .map(|((b, d, c), _)| (b.to_string(), *d, c.clone()))
        .collect();
    let mut stored: HashMap<(String, String, String), CountsRow> = store
        .stats_rows_by_key(&keys)
        .await?
        .into_iter()
        .map(|r| ((r.bucket.clone(), r.dim.clone(), r.code.clone()), r))
        .collect();
    let (mut counts, mut histograms) = (Vec::new(), Vec::new());
    for ((bucket, dim, code), delta) in deltas {
        let bucket = bucket.to_string();
        let mut row = CountsRow {
            n: delta.n,
            ..Default::default()
        };
        if delta.first_response.is_empty() && delta.close.is_empty() {
            (row.bucket, row.dim, row.code) = (bucket, dim.as_str().to_string(), code);
            counts.push(row);
            continue;
        }
        let mut total = Counts::default();
        if let Some(stored) =
            stored.remove(&(bucket.clone(), dim.as_str().to_string(), code.clone()))
        {
            total.add_row(&stored)?;
        }
        total.add(&delta);
        row.first_response_wd = hist::encode(&total.first_response);
        row.close_wd = hist::encode(&total.close);
        (row.bucket, row.dim, row.code) = (bucket, dim.as_str().to_string(), code);
        histograms.push(row);
    }
    let write = BatchWrite {
        reports,
        assignments,
        counts,
        histograms,
    };
    let next = events[usable - 1].id;
    if store
        .stats_commit(cursor, next, &write, crate::intake::now_ms())
        .await?
    {
        Ok(Step::Indexed {
            events: usable as u64,
            caught_up,
        })
    } else {
        Ok(Step::Lost)
    }
}

/// How many of `events` (read after `cursor`) can be indexed now: up to the
/// first gap in ids that may still fill.
fn contiguous(cursor: i64, events: &[RawEvent], gaps_final: bool, settled: Option<i64>) -> usize {
    let mut expected = cursor + 1;
    for (i, e) in events.iter().enumerate() {
        let gap_is_final = gaps_final || settled.is_some_and(|s| e.id - 1 <= s);
        if e.id != expected && !gap_is_final {
            return i;
        }
        expected = e.id + 1;
    }
    events.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, report_id: i64, at: i64, action: &str, detail: &str) -> RawEvent {
        RawEvent {
            id,
            report_id,
            at,
            action: action.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn gaps_stop_the_batch_unless_final() {
        let evs: Vec<RawEvent> = [11, 12, 14, 15]
            .iter()
            .map(|&id| ev(id, 1, 0, "x", ""))
            .collect();
        assert_eq!(contiguous(10, &evs, false, None), 2);
        assert_eq!(contiguous(10, &evs, true, None), 4);
        assert_eq!(contiguous(10, &evs, false, Some(13)), 4);
        assert_eq!(contiguous(10, &evs, false, Some(12)), 2);
        assert_eq!(contiguous(9, &evs, false, None), 0);
        assert_eq!(contiguous(9, &evs, false, Some(20)), 4);
    }
}
