//! The figures over a filter's rows: counts grouped by minute and answer, and each
//! target's request latency percentiles (every attempt) worked out by the server (`percentile_disc`, the
//! nearest rank, as [`crate::history::stats::percentile`] takes it).

use tokio_postgres::GenericClient;

use super::connect::Ctx;
use super::read::{params, where_clause};
use super::rows::name_of;
use crate::history::stats::{Answer, HistoryStats, StatsBuilder, TargetLatency};
use crate::history::{HistoryError, HistoryFilter};

fn ms(v: Option<i64>) -> u64 {
    v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0)
}

pub(super) async fn stats<C: GenericClient>(
    client: &C,
    ctx: &Ctx,
    filter: &HistoryFilter,
) -> Result<HistoryStats, HistoryError> {
    let fail = |e: tokio_postgres::Error| ctx.fail(&e);
    let (clause, args) = where_clause(filter);
    let mut stats = StatsBuilder::default();
    let counts = client
        .query(
            &format!(
                "SELECT date_trunc('minute', coalesce(dispatched_at, created_at)), status, \
                 failure, outcome, dispatched_at IS NOT NULL, count(*) FROM submissions \
                 {clause} GROUP BY 1, 2, 3, 4, 5"
            ),
            &params(&args),
        )
        .await
        .map_err(fail)?;
    for r in &counts {
        let answer = Answer::new(
            r.try_get::<_, Option<i32>>(1)
                .map_err(fail)?
                .and_then(|s| u16::try_from(s).ok()),
            r.try_get::<_, Option<String>>(2)
                .map_err(fail)?
                .as_deref()
                .and_then(name_of),
            r.try_get::<_, Option<String>>(3)
                .map_err(fail)?
                .as_deref()
                .and_then(name_of),
            r.try_get(4).map_err(fail)?,
        );
        let n = usize::try_from(r.try_get::<_, i64>(5).map_err(fail)?).unwrap_or(0);
        stats.count(r.try_get(0).map_err(fail)?, answer, n);
    }
    // Every attempt of those rows, as last recorded under its number: one request each.
    let times = client
        .query(
            &format!(
                "SELECT s.target, count(*), \
                 percentile_disc(0.5) WITHIN GROUP (ORDER BY a.ms), \
                 percentile_disc(0.95) WITHIN GROUP (ORDER BY a.ms), \
                 percentile_disc(0.99) WITHIN GROUP (ORDER BY a.ms), max(a.ms) \
                 FROM (SELECT DISTINCT ON (e.submission_id, e.attempt_number) e.submission_id, \
                   (e.data->>'latency')::bigint AS ms FROM events e \
                   WHERE e.kind = 'attempt' AND e.submission_id IN \
                   (SELECT id FROM submissions {clause}) \
                   ORDER BY e.submission_id, e.attempt_number, e.id DESC) a \
                 JOIN submissions s ON s.id = a.submission_id GROUP BY s.target"
            ),
            &params(&args),
        )
        .await
        .map_err(fail)?;
    for r in &times {
        stats.target_latency(TargetLatency {
            target: r.try_get(0).map_err(fail)?,
            requests: usize::try_from(r.try_get::<_, i64>(1).map_err(fail)?).unwrap_or(0),
            p50_ms: ms(r.try_get(2).map_err(fail)?),
            p95_ms: ms(r.try_get(3).map_err(fail)?),
            p99_ms: ms(r.try_get(4).map_err(fail)?),
            max_ms: ms(r.try_get(5).map_err(fail)?),
        });
    }
    Ok(stats.finish())
}
