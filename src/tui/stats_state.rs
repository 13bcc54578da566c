//! The stats view's state: which rows it counts, the figures once read, and how the
//! timeline is cut.

use crate::history::HistoryFilter;
use crate::history::stats::{HistoryStats, Per};
use crate::present::Zone;

/// The figures over the rows the history pane showed when the view opened.
#[derive(Debug, Clone)]
pub struct StatsView {
    /// The pane's filter then: the rows in view.
    pub filter: HistoryFilter,
    /// `None` until the store answers.
    pub stats: Option<Box<HistoryStats>>,
    /// Why the store could not answer.
    pub error: Option<String>,
    /// Chosen with the toggle; `None` follows the span (per minute over a short one).
    pub per: Option<Per>,
    /// The clock the timeline is read on: the operator's first, UTC on the toggle.
    pub zone: Zone,
    pub scroll: u16,
    /// Bumped with every read, so an older answer is ignored.
    pub generation: u64,
    /// A read is on its way.
    pub reading: bool,
}

impl StatsView {
    pub fn new(filter: HistoryFilter) -> StatsView {
        StatsView {
            filter,
            stats: None,
            error: None,
            per: None,
            zone: Zone::Local,
            scroll: 0,
            generation: 0,
            reading: true,
        }
    }

    /// How the timeline is cut now.
    pub fn per(&self) -> Per {
        self.per
            .or_else(|| self.stats.as_ref().map(|s| s.auto_per()))
            .unwrap_or(Per::Minute)
    }
}
