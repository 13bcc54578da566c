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

/// How the rows fit the table: the lines each takes (its status wrapped), and the lines
/// the table holds. Scrolling and paging read it, as the table is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFit {
    heights: Vec<usize>,
    /// Lines for rows (the heading left out).
    pub room: usize,
}

impl TableFit {
    /// The first row of the last page: scrolling stops where the last row shows at the
    /// bottom.
    pub fn last_start(&self) -> usize {
        let mut start = self.heights.len();
        let mut used = 0;
        while start > 0 {
            let h = self.heights[start - 1];
            if used + h > self.room {
                break;
            }
            used += h;
            start -= 1;
        }
        start.min(self.heights.len().saturating_sub(1))
    }

    /// How many rows show from `start` (at least one).
    pub fn rows_from(&self, start: usize) -> usize {
        let mut used = 0;
        let n = self
            .heights
            .iter()
            .skip(start)
            .take_while(|h| {
                used += **h;
                used <= self.room
            })
            .count();
        n.max(1)
    }

    /// How many rows a page before `start` holds (at least one).
    pub fn rows_before(&self, start: usize) -> usize {
        let mut used = 0;
        let n = self.heights[..start.min(self.heights.len())]
            .iter()
            .rev()
            .take_while(|h| {
                used += **h;
                used <= self.room
            })
            .count();
        n.max(1)
    }
}

const fn id_width(wide: bool) -> u16 {
    if wide { 40 } else { 17 }
}

/// The status column's width in a table `width` wide.
fn status_width(width: u16) -> usize {
    // line, user id, type, and the spaces between the four columns.
    usize::from(width.saturating_sub(5 + id_width(width >= 100) + 8 + 3)).max(10)
}

/// How the batch's rows fit a table drawn in `area`.
pub fn fit(area: Rect, state: &State, b: &BatchScreen) -> TableFit {
    let width = status_width(area.width);
    TableFit {
        heights: b
            .rows
            .iter()
            .map(|r| wrap_text(&row_state(&r.state, state, state.theme).0, width).len())
            .collect(),
        room: usize::from(area.height.saturating_sub(1)).max(1),
    }
}

pub fn rows_table(frame: &mut Frame, area: Rect, state: &State, b: &BatchScreen) {
    let t = state.theme;
    let room = usize::from(area.height.saturating_sub(1)).max(1);
    let wide = area.width >= 100;
    let id_width = id_width(wide);
    let status_width = status_width(area.width);
    let statuses: Vec<(Vec<String>, Style)> = b
        .rows
        .iter()
        .map(|r| {
            let (text, style) = row_state(&r.state, state, t);
            (wrap_text(&text, status_width), style)
        })
        .collect();
    let fit = TableFit {
        heights: statuses.iter().map(|(lines, _)| lines.len()).collect(),
        room,
    };
    let start = b.scroll.min(fit.last_start());
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
    // Where the page is, when the rows do not all fit.
    let shown = rows.len();
    let status = if start == 0 && shown >= b.rows.len() {
        "status".to_string()
    } else {
        format!(
            "status · rows {}-{} of {}",
            start + 1,
            start + shown,
            b.rows.len()
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(vec![
                    "line".to_string(),
                    "user id".into(),
                    "type".into(),
                    status,
                ])
                .style(t.muted()),
            )
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
