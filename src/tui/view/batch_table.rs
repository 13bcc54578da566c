//! The batch screen's table of rows: each row's line, id, type and status, the status
//! wrapped to the column's width.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Row, Table};

use super::wrap::wrap_text;
use crate::batch::Check;
use crate::domain::{OutcomeKind, safe_text, safe_text_within};
use crate::tui::batch_state::{BatchScreen, RowState};
use crate::tui::state::State;
use crate::tui::theme::Theme;

/// The longest an input row's id or type is echoed, in bytes.
const ROW_ECHO: usize = 80;

pub fn rows_table(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let room = usize::from(area.height.saturating_sub(1)).max(1);
    let wide = area.width >= 100;
    let id_width: u16 = if wide { 40 } else { 17 };
    // line, user id, type, and the spaces between the four columns.
    let status_width = usize::from(area.width.saturating_sub(5 + id_width + 8 + 3)).max(10);
    let statuses: Vec<(Vec<String>, Style)> = b
        .rows
        .iter()
        .map(|r| {
            let (text, style) = row_state(&r.state, state, t);
            (wrap_text(&text, status_width), style)
        })
        .collect();
    // The last page is full: scrolling stops where the last row shows at the bottom.
    let mut last_start = statuses.len();
    let mut used = 0;
    while last_start > 0 {
        let h = statuses[last_start - 1].0.len();
        if used + h > room {
            break;
        }
        used += h;
        last_start -= 1;
    }
    let start = b
        .scroll
        .min(last_start.min(statuses.len().saturating_sub(1)));
    let mut used = 0;
    let mut rows = Vec::new();
    for (r, (lines, style)) in b.rows.iter().zip(&statuses).skip(start) {
        let left = room.saturating_sub(used);
        if left == 0 {
            break;
        }
        let lines: Vec<Line> = lines
            .iter()
            .take(left)
            .map(|l| Line::styled(l.clone(), *style))
            .collect();
        let h = lines.len();
        used += h;
        let user_id = safe_text_within(&r.user_id, ROW_ECHO);
        rows.push(
            Row::new(vec![
                Cell::from(Span::styled(format!("{:>5}", r.line), t.muted())),
                Cell::from(if wide {
                    user_id.into_owned()
                } else {
                    super::short_user_id(&user_id)
                }),
                Cell::from(safe_text_within(&r.kyc_type, ROW_ECHO).into_owned()),
                Cell::from(Text::from(lines)),
            ])
            .height(u16::try_from(h).unwrap_or(1)),
        );
    }
    let widths = [
        Constraint::Length(5),
        Constraint::Length(id_width),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(["line", "user id", "type", "status"]).style(t.muted()))
            .column_spacing(1),
        area,
    );
}

fn row_state(s: &RowState, state: &State, t: Theme) -> (String, Style) {
    match s {
        RowState::Check(Check::Valid) => ("valid: will be sent".into(), t.ok()),
        RowState::Check(c @ Check::Invalid { .. }) => {
            (safe_text(&c.describe()).into_owned(), t.error())
        }
        RowState::Check(c) => (safe_text(&c.describe()).into_owned(), t.warn()),
        RowState::Queued => ("queued".into(), t.muted()),
        RowState::Sending => (format!("{} sending…", super::spinner(state)), t.pending()),
        RowState::Finished { outcome, status } => (
            match status {
                Some(code) => format!("{code} {}", outcome.label()),
                None => outcome.label().to_string(),
            },
            t.outcome(*outcome),
        ),
        RowState::NotSent => ("not sent".into(), t.muted()),
        RowState::Unknown => (
            "no outcome yet (resend with its key)".into(),
            t.outcome(OutcomeKind::Unknown),
        ),
        RowState::Failed(e) => (format!("not sent: {}", safe_text(e)), t.error()),
        RowState::Resend {
            dispatched: false, ..
        } => ("never sent: will be sent".into(), t.ok()),
        RowState::Resend { last, status, .. } => {
            let was = match (status, last) {
                (Some(code), Some(kind)) => format!("{code} {}", kind.label()),
                (None, Some(kind)) => kind.label().to_string(),
                _ => "no outcome".to_string(),
            };
            (
                format!("{was}: will be sent again with its own key"),
                t.warn(),
            )
        }
    }
}
