//! History kept in memory, for the current session only.

use std::sync::{Mutex, MutexGuard};

use super::{
    HistoryError, HistoryFilter, HistoryRow, HistoryStore, NewSubmission, Submission, SubmissionId,
};
use crate::api::Attempt;
use crate::domain::OutcomeKind;

/// Submissions in a vector, oldest first; ids are positions plus one.
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<Vec<(Submission, HistoryRow)>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Submission, HistoryRow)>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
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
        let mut items = self.lock();
        let id = SubmissionId::try_from(items.len() + 1)
            .map_err(|e| HistoryError::Storage(e.to_string()))?;
        let submission = Submission {
            id,
            new: new.clone(),
            attempts: Vec::new(),
            outcome: None,
        };
        let row = submission.row();
        items.push((submission, row));
        Ok(id)
    }

    fn record_attempt(&self, id: SubmissionId, attempt: &Attempt) -> Result<(), HistoryError> {
        self.update(id, |s| s.attempts.push(attempt.clone()))
    }

    fn finish(&self, id: SubmissionId, outcome: OutcomeKind) -> Result<(), HistoryError> {
        self.update(id, |s| s.outcome = Some(outcome))
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

    fn get(&self, id: SubmissionId) -> Result<Submission, HistoryError> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.lock().get(i).map(|(s, _)| s.clone()))
            .ok_or(HistoryError::NotFound(id))
    }
}
