//! History in PostgreSQL, shared by a team: the same guarantees as the SQLite file, held
//! by the database across machines. The store's interface is synchronous and is called from
//! plain threads, blocking tasks and the console's own tasks; the pool lives on a runtime
//! of its own, on a thread the store owns, and each call sends its work there and waits
//! for the answer (no call ever starts or blocks on a runtime inside another).

/// Reaching the server.
mod connect;
/// Reads.
mod read;
/// Between rows and the history's types.
mod rows;
/// Schema and migrations.
mod schema;
/// The figures over a filter's rows.
mod stats;
/// Writes, the duplicate guard and the audit trail.
mod write;

use std::future::Future;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures::future::BoxFuture;
use tokio::sync::mpsc::UnboundedSender;

use self::connect::Ctx;
pub use self::connect::mask_url;
use crate::api::Attempt;
use crate::domain::{KycType, OutcomeKind};
use crate::history::stats::HistoryStats;
use crate::history::{
    BatchInfo, Claim, Earlier, HistoryError, HistoryFilter, HistoryRow, HistoryStore, NewBatch,
    NewSubmission, RowCount, Submission, SubmissionId, UnfinishedBatch,
};

/// Work for the store's runtime.
type Job = Box<dyn FnOnce(Pool) -> BoxFuture<'static, ()> + Send>;

/// History kept in a PostgreSQL database.
pub struct PostgresStore {
    jobs: UnboundedSender<Job>,
    ctx: Ctx,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresStore({})", self.ctx.place)
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (with `password` from its own source, when given),
    /// brings its schema up to date, and records `operator` with what this store appends.
    /// Fails, naming the host, when the server cannot be reached.
    pub fn open(
        url: &str,
        password: Option<&str>,
        operator: &str,
    ) -> Result<PostgresStore, HistoryError> {
        let (config, place) = connect::config(url, password)?;
        let ctx = Ctx {
            place,
            operator: operator.to_string(),
        };
        let (jobs, mut queue) = tokio::sync::mpsc::unbounded_channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("kyc-history-postgres".to_string())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("cannot start its runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = match connect::pool(config) {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    // Until the store is dropped: each job runs as its own task.
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job(pool.clone()));
                    }
                    pool.close();
                });
            })
            .map_err(|e| HistoryError::Storage(format!("cannot start the history thread: {e}")))?;
        ready
            .recv()
            .map_err(|_| HistoryError::Storage("the history thread stopped".to_string()))?
            .map_err(HistoryError::Storage)?;
        let store = PostgresStore { jobs, ctx };
        store.call(|pool, ctx| async move { schema::migrate(&pool, &ctx).await })?;
        Ok(store)
    }

    /// `host:port/database`: where the history is (never the password).
    pub fn place(&self) -> &str {
        &self.ctx.place
    }

    /// Runs `work` on the store's runtime and waits for its answer.
    fn call<T, F, Fut>(&self, work: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: FnOnce(Pool, Ctx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, HistoryError>> + Send + 'static,
    {
        let (answer, answered) = mpsc::sync_channel(1);
        let ctx = self.ctx.clone();
        let job: Job = Box::new(move |pool| {
            Box::pin(async move {
                let _ = answer.send(work(pool, ctx).await);
            })
        });
        let stopped = || HistoryError::Storage("the history thread stopped".to_string());
        self.jobs.send(job).map_err(|_| stopped())?;
        answered.recv().map_err(|_| stopped())?
    }

    /// Runs `work` on a connection.
    fn read<T, F>(&self, work: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c tokio_postgres::Client,
                &'c Ctx,
            ) -> BoxFuture<'c, Result<T, HistoryError>>
            + Send
            + 'static,
    {
        self.call(|pool, ctx| async move {
            let client = pool.get().await.map_err(|e| ctx.unreachable(&e))?;
            work(&client, &ctx).await
        })
    }

    /// Runs `work` in a transaction, committed when it succeeds.
    fn write<T, F>(&self, work: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c tokio_postgres::Transaction<'c>,
                &'c Ctx,
            ) -> BoxFuture<'c, Result<T, HistoryError>>
            + Send
            + 'static,
    {
        self.call(|pool, ctx| async move {
            let mut client = pool.get().await.map_err(|e| ctx.unreachable(&e))?;
            let client: &mut tokio_postgres::Client = &mut client;
            let tx = client.transaction().await.map_err(|e| ctx.fail(&e))?;
            let done = work(&tx, &ctx).await?;
            tx.commit().await.map_err(|e| ctx.fail(&e))?;
            Ok(done)
        })
    }
}

impl HistoryStore for PostgresStore {
    fn create(&self, new: &NewSubmission) -> Result<SubmissionId, HistoryError> {
        self.create_many(std::slice::from_ref(new))?
            .pop()
            .ok_or_else(|| HistoryError::Storage("no id came back".to_string()))
    }

    fn create_many(&self, new: &[NewSubmission]) -> Result<Vec<SubmissionId>, HistoryError> {
        let new = new.to_vec();
        self.write(move |tx, ctx| Box::pin(async move { write::create_many(tx, ctx, &new).await }))
    }

    fn create_unless_duplicate(
        &self,
        new: &NewSubmission,
    ) -> Result<Result<SubmissionId, Earlier>, HistoryError> {
        let new = vec![new.clone()];
        let mut claims = self.write(move |tx, ctx| {
            Box::pin(async move { write::claim(tx, ctx, None, &new).await })
        })?;
        claims
            .pop()
            .ok_or_else(|| HistoryError::Storage("no claim came back".to_string()))
    }

    fn create_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewSubmission],
    ) -> Result<Vec<Claim>, HistoryError> {
        let (batch, rows) = (batch.clone(), rows.to_vec());
        self.write(move |tx, ctx| {
            Box::pin(async move { write::claim(tx, ctx, Some(&batch), &rows).await })
        })
    }

    fn batch(&self, id: &str) -> Result<BatchInfo, HistoryError> {
        let id = id.to_string();
        self.read(move |c, ctx| Box::pin(async move { read::batch(c, ctx, &id).await }))
    }

    fn unfinished_batches(&self, profile: &str) -> Result<Vec<UnfinishedBatch>, HistoryError> {
        let profile = profile.to_string();
        self.read(move |c, ctx| {
            Box::pin(async move { read::unfinished_batches(c, ctx, &profile).await })
        })
    }

    fn mark_dispatched(&self, id: SubmissionId, at: DateTime<Utc>) -> Result<(), HistoryError> {
        self.write(move |tx, ctx| {
            Box::pin(async move { write::mark_dispatched(tx, ctx, id, at).await })
        })
    }

    fn earlier(
        &self,
        user_id: &str,
        kyc_type: KycType,
        target: &str,
    ) -> Result<Option<Earlier>, HistoryError> {
        let (user_id, target) = (user_id.to_string(), target.to_string());
        self.read(move |c, ctx| {
            Box::pin(async move { read::earlier(c, ctx, &user_id, kyc_type, &target).await })
        })
    }

    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
        let attempt = attempt.clone();
        self.write(move |tx, ctx| {
            Box::pin(async move { write::record_attempt(tx, ctx, id, &attempt).await })
        })
    }

    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError> {
        self.write(move |tx, ctx| {
            Box::pin(async move { write::finish(tx, ctx, id, outcome).await })
        })
    }

    fn count(&self, filter: &HistoryFilter) -> Result<usize, HistoryError> {
        let filter = filter.clone();
        self.read(move |c, ctx| Box::pin(async move { read::count(c, ctx, &filter).await }))
    }

    fn import(
        &self,
        batches: &[NewBatch],
        submissions: &[Submission],
    ) -> Result<usize, HistoryError> {
        let (batches, submissions) = (batches.to_vec(), submissions.to_vec());
        self.write(move |tx, ctx| {
            Box::pin(async move { write::import(tx, ctx, &batches, &submissions).await })
        })
    }

    fn count_upto(&self, filter: &HistoryFilter, cap: usize) -> Result<RowCount, HistoryError> {
        let filter = filter.clone();
        self.read(move |c, ctx| {
            Box::pin(async move { read::count_upto(c, ctx, &filter, cap).await })
        })
    }

    fn page(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
        cap: usize,
    ) -> Result<(RowCount, Vec<HistoryRow>), HistoryError> {
        let filter = filter.clone();
        self.read(move |c, ctx| {
            Box::pin(async move {
                let count = read::count_upto(c, ctx, &filter, cap).await?;
                let rows = read::window(c, ctx, &filter, offset, limit).await?;
                Ok((count, rows))
            })
        })
    }

    fn window(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError> {
        let filter = filter.clone();
        self.read(move |c, ctx| {
            Box::pin(async move { read::window(c, ctx, &filter, offset, limit).await })
        })
    }

    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError> {
        self.read(move |c, ctx| Box::pin(async move { read::get(c, ctx, id).await }))
    }

    fn stats(&self, filter: &HistoryFilter) -> Result<HistoryStats, HistoryError> {
        let filter = filter.clone();
        self.read(move |c, ctx| Box::pin(async move { stats::stats(c, ctx, &filter).await }))
    }

    fn find(&self, identifier: &str) -> Result<Vec<HistoryRow>, HistoryError> {
        let identifier = identifier.to_string();
        self.read(move |c, ctx| Box::pin(async move { read::find(c, ctx, &identifier).await }))
    }
}
