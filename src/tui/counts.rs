//! What this session sent, counted the way an operator reads it: each submission once (by
//! its latest outcome), and sending one again with its own key (`R`, a resumed batch row)
//! counted apart as a retry, never as another submission.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::domain::OutcomeKind;
use crate::history::SubmissionId;

/// The header's session counter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Every submission that ended this session, with its latest outcome.
    outcomes: HashMap<SubmissionId, OutcomeKind>,
    /// New submissions that ended this session.
    submitted: u32,
    /// Sends of an existing submission again, with its own key, that ended.
    retried: u32,
    /// Submissions being sent again: their end is a retry, not a submission.
    retrying: HashSet<SubmissionId>,
}

impl SessionCounts {
    /// A submission is about to be sent again with its own key.
    pub fn retry_started(&mut self, id: SubmissionId) {
        self.retrying.insert(id);
    }

    /// A submission ended: a new one is counted as submitted, a send again as a retry,
    /// and its outcome replaces the one it had.
    pub fn finished(&mut self, id: SubmissionId, outcome: OutcomeKind) {
        let again = self.retrying.remove(&id);
        if self.outcomes.insert(id, outcome).is_some() || again {
            self.retried = self.retried.saturating_add(1);
        } else {
            self.submitted = self.submitted.saturating_add(1);
        }
    }

    /// New submissions that ended this session.
    pub fn submitted(&self) -> u32 {
        self.submitted
    }

    /// Sends again that ended this session.
    pub fn retried(&self) -> u32 {
        self.retried
    }

    /// Submissions whose latest outcome is `kind`.
    pub fn count(&self, kind: OutcomeKind) -> u32 {
        let n = self.outcomes.values().filter(|k| **k == kind).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Submissions by latest outcome, in the outcomes' order; kinds with none left out.
    pub fn by_outcome(&self) -> BTreeMap<OutcomeKind, u32> {
        let mut counts = BTreeMap::new();
        for kind in self.outcomes.values() {
            *counts.entry(*kind).or_insert(0u32) += 1;
        }
        counts
    }

    /// Whether nothing ended yet this session.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_is_not_another_submission() {
        let mut c = SessionCounts::default();
        c.finished(1, OutcomeKind::Initiated);
        c.finished(2, OutcomeKind::Unknown);
        c.finished(3, OutcomeKind::Rejected);
        c.retry_started(2);
        c.finished(2, OutcomeKind::Initiated);
        assert_eq!((c.submitted(), c.retried()), (3, 1));
        assert_eq!(c.count(OutcomeKind::Initiated), 2);
        assert_eq!(c.count(OutcomeKind::Unknown), 0, "its outcome was replaced");
        assert_eq!(
            c.by_outcome().into_iter().collect::<Vec<_>>(),
            [(OutcomeKind::Initiated, 2), (OutcomeKind::Rejected, 1)]
        );
    }

    #[test]
    fn a_retry_of_an_earlier_sessions_submission_is_a_retry() {
        let mut c = SessionCounts::default();
        c.retry_started(7);
        c.finished(7, OutcomeKind::Initiated);
        assert_eq!((c.submitted(), c.retried()), (0, 1));
        assert_eq!(c.count(OutcomeKind::Initiated), 1);
        // Its next end, with no retry asked, is still the same submission.
        c.finished(7, OutcomeKind::Initiated);
        assert_eq!((c.submitted(), c.retried()), (0, 2));
    }
}
