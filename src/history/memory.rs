//! History kept in memory, for the current session only.

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::stats::{HistoryStats, StatsBuilder};
use super::{
    BatchInfo, Claim, Earlier, HistoryError, HistoryFilter, HistoryRow, HistoryStore, NewBatch,
    NewSubmission, Submission, SubmissionId, UnfinishedBatch,
};
use crate::api::Attempt;
use crate::domain::{KycType, OutcomeKind};

/// Submissions in a vector, oldest first; ids are positions plus one.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<Vec<(Submission, HistoryRow)>>,
    batches: Mutex<Vec<NewBatch>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Submission, HistoryRow)>> {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The guard's look-up over the items (already locked, so a claim is atomic here too).
    fn earlier_in(
        items: &[(Submission, HistoryRow)],
        user_id: &str,
        kyc_type: KycType,
        target: &str,
    ) -> Option<Earlier> {
        items.iter().rev().find_map(|(s, row)| {
            let holds = s.new.user_id == user_id
                && s.new.kyc_type == kyc_type
                && s.new.target == target
                && s.outcome.is_none_or(OutcomeKind::may_have_started);
            holds.then(|| Earlier {
                id: s.id,
                created_at: s.new.created_at,
                operator: s.new.operator.clone(),
                profile: s.new.profile.clone(),
                outcome: s.outcome,
                dispatched: row.dispatched(),
                verification_id: row.verification_id.clone(),
                batch_id: s.new.batch_id.clone(),
            })
        })
    }

    fn insert(
        items: &mut Vec<(Submission, HistoryRow)>,
        new: &NewSubmission,
    ) -> Result<SubmissionId, HistoryError> {
        let id = SubmissionId::try_from(items.len() + 1)
            .map_err(|e| HistoryError::Storage(e.to_string()))?;
        let submission = Submission {
            id,
            new: new.clone(),
            attempts: Vec::new(),
            outcome: None,
            dispatched_at: None,
        };
        let row = submission.row();
        items.push((submission, row));
        Ok(id)
    }

    fn claim(
        items: &mut Vec<(Submission, HistoryRow)>,
        new: &NewSubmission,
    ) -> Result<Claim, HistoryError> {
        match Self::earlier_in(items, &new.user_id, new.kyc_type, &new.target) {
            Some(found) => Ok(Err(found)),
            None => Self::insert(items, new).map(Ok),
        }
    }

    fn update(
        &self,
        id: SubmissionId,
        change: impl FnOnce(&mut Submission),
    ) -> Result<(), HistoryError> {
        let mut items = self.lock();
        let slot = usize::try_from(id - 1)
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or(HistoryError::NotFound(id))?;
        change(&mut slot.0);
        slot.1 = slot.0.row();
        Ok(())
    }
}

impl HistoryStore for MemoryStore {
    fn create(&self, new: &NewSubmission) -> Result<SubmissionId, HistoryError> {
        Self::insert(&mut self.lock(), new)
    }

    fn create_unless_duplicate(&self, new: &NewSubmission) -> Result<Claim, HistoryError> {
        Self::claim(&mut self.lock(), new)
    }

    fn create_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewSubmission],
    ) -> Result<Vec<Claim>, HistoryError> {
        self.batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(batch.clone());
        let mut items = self.lock();
        rows.iter().map(|r| Self::claim(&mut items, r)).collect()
    }

    fn batch(&self, id: &str) -> Result<BatchInfo, HistoryError> {
        let batch = self
            .batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|b| b.id == id)
            .cloned()
            .ok_or_else(|| HistoryError::NoBatch(id.to_string()))?;
        let mut rows: Vec<HistoryRow> = self
            .lock()
            .iter()
            .filter(|(s, _)| s.new.batch_id.as_deref() == Some(id))
            .map(|(_, r)| r.clone())
            .collect();
        rows.sort_by_key(|r| (r.batch_line, r.id));
        Ok(BatchInfo { batch, rows })
    }

    fn unfinished_batches(&self, profile: &str) -> Result<Vec<UnfinishedBatch>, HistoryError> {
        let batches = self
            .batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut out = Vec::new();
        for b in batches.iter().rev().filter(|b| b.profile == profile) {
            let info = self.batch(&b.id)?;
            let unfinished = info.unfinished().count();
            if unfinished > 0 {
                out.push(UnfinishedBatch {
                    id: b.id.clone(),
                    created_at: b.created_at,
                    source: b.source.clone(),
                    total: info.rows.len(),
                    unfinished,
                });
            }
        }
        Ok(out)
    }

    fn mark_dispatched(&self, id: SubmissionId, at: DateTime<Utc>) -> Result<(), HistoryError> {
        self.update(id, |s| {
            s.dispatched_at.get_or_insert(at);
        })
    }

    fn earlier(
        &self,
        user_id: &str,
        kyc_type: KycType,
        target: &str,
    ) -> Result<Option<Earlier>, HistoryError> {
        Ok(Self::earlier_in(&self.lock(), user_id, kyc_type, target))
    }

    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
        self.update(id, |s| {
            s.dispatched_at.get_or_insert(attempt.started_at);
            s.attempts.push(attempt.clone());
        })
    }

    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError> {
        self.update(id, |s| s.outcome = Some(outcome))
    }

    fn import(
        &self,
        batches: &[NewBatch],
        submissions: &[Submission],
    ) -> Result<usize, HistoryError> {
        {
            let mut kept = self
                .batches
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for b in batches {
                if !kept.iter().any(|k| k.id == b.id) {
                    kept.push(b.clone());
                }
            }
        }
        let mut items = self.lock();
        let mut here = std::collections::HashMap::new();
        let mut added = 0;
        for s in submissions {
            let key = &s.new.idempotency_key;
            if let Some((found, _)) = items.iter().find(|(i, _)| &i.new.idempotency_key == key) {
                here.insert(s.id, found.id);
                continue;
            }
            let id = SubmissionId::try_from(items.len() + 1)
                .map_err(|e| HistoryError::Storage(e.to_string()))?;
            let mut copy = s.clone();
            copy.id = id;
            copy.new.resend_of = copy.new.resend_of.and_then(|of| here.get(&of).copied());
            let row = copy.row();
            items.push((copy, row));
            here.insert(s.id, id);
            added += 1;
        }
        Ok(added)
    }

    fn count(&self, filter: &HistoryFilter) -> Result<usize, HistoryError> {
        Ok(self
            .lock()
            .iter()
            .filter(|(_, r)| filter.matches(r))
            .count())
    }

    fn window(
        &self,
        filter: &HistoryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<HistoryRow>, HistoryError> {
        Ok(self
            .lock()
            .iter()
            .rev()
            .filter(|(_, r)| filter.matches(r))
            .skip(offset)
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    fn stats(&self, filter: &HistoryFilter) -> Result<HistoryStats, HistoryError> {
        let mut stats = StatsBuilder::default();
        for (submission, row) in self.lock().iter().filter(|(_, r)| filter.matches(r)) {
            stats.row(row);
            for attempt in &submission.attempts {
                let ms = u64::try_from(attempt.latency.as_millis()).unwrap_or(u64::MAX);
                stats.latency(&submission.new.target, ms);
            }
        }
        Ok(stats.finish())
    }

    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.lock().get(i).map(|(s, _)| s.clone()))
            .ok_or(HistoryError::NotFound(id))
    }

    fn find(&self, identifier: &str) -> Result<Vec<HistoryRow>, HistoryError> {
        Ok(self
            .lock()
            .iter()
            .rev()
            .filter(|(s, _)| s.identified_by(identifier))
            .map(|(_, r)| r.clone())
            .collect())
    }
}
