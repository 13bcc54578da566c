//! Update unit tests for what counts down with the clock: the header's rate-limit reset.

use super::*;

#[test]
fn the_rate_limit_reset_counts_down_from_when_the_answer_came() {
    let mut s = state(false);
    assert!(!s.needs_tick(), "nothing to count down");
    created(&mut s, 1, GOOD);
    let done = exchange(201, "{}", "application/json");
    let attempt = done.attempts[0].clone();
    let came = s.now;
    apply(
        &mut s,
        Msg::AttemptFinished {
            id: 1,
            attempt: Box::new(attempt),
        },
    );
    // The outcome comes a moment later with the same answer: the countdown goes on.
    s.now = came + Duration::from_secs(12);
    apply(
        &mut s,
        Msg::Finished {
            id: 1,
            exchange: Box::new(done),
        },
    );
    let seen = s.last_rate.expect("the budget is shown");
    assert_eq!(seen.at, came);
    assert_eq!(seen.reset_in(s.now), Some(48), "60 s said, 12 s ago");
    assert_eq!(s.in_flight(), 0);
    assert!(
        s.needs_tick(),
        "the clock ticks while the reset counts down"
    );
    s.now = came + Duration::from_millis(59_100);
    assert_eq!(seen.reset_in(s.now), Some(1), "rounded up");
    s.now = came + Duration::from_secs(600);
    assert_eq!(seen.reset_in(s.now), Some(0), "saturates at 0");
    assert!(!s.needs_tick(), "nothing left to count");
    // Whatever a server says, and whatever the clock does, nothing overflows.
    for reset in [0, 1, u64::MAX] {
        let rate = RateLimit {
            reset_secs: Some(reset),
            ..seen.rate
        };
        let hostile = crate::tui::state::SeenRate { rate, at: came };
        assert!(hostile.reset_in(came).is_some_and(|r| r <= reset));
        assert_eq!(
            hostile.reset_in(came + Duration::from_secs(1)),
            Some(reset.saturating_sub(1))
        );
        assert_eq!(
            hostile.reset_in(came.checked_sub(Duration::from_secs(1)).unwrap_or(came)),
            Some(reset)
        );
    }
}
