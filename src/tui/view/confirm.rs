//! Yes/no questions: sending to production, quitting with work in flight, cancelling.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::wrap::wrap;
use crate::domain::safe_text;
use crate::present::describe_earlier;
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name, key_names};
use crate::tui::layout::centered;
use crate::tui::state::{Confirm, PendingSend, State};

pub fn render(frame: &mut Frame, area: Rect, state: &State, confirm: &Confirm) {
    let t = state.theme;
    let (title, mut lines) = match confirm {
        Confirm::Production(send) => {
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(" PRODUCTION ", t.production_badge()),
                    Span::raw(format!(
                        " profile {} · {}",
                        state.target.profile, state.target.base_url
                    )),
                ]),
                Line::raw(""),
            ];
            match send {
                PendingSend::New { request, .. } => {
                    lines.push(Line::raw(
                        "This starts a real verification for a real user:",
                    ));
                    lines.push(Line::styled(
                        format!("  {}", state.target.endpoint),
                        t.bold(),
                    ));
                    let body = serde_json::to_string_pretty(&request.to_json()).unwrap_or_default();
                    lines.extend(
                        body.lines()
                            .map(|l| Line::styled(format!("  {l}"), t.bold())),
                    );
                }
                PendingSend::Again { id, user_id, .. } => {
                    lines.push(Line::raw(format!(
                        "This sends #{id} for {} again with its own idempotency key:",
                        safe_text(user_id)
                    )));
                    lines.push(Line::raw(
                        "it starts the verification if the first try never arrived, never twice.",
                    ));
                }
            }
            (" Send to PRODUCTION? ", lines)
        }
        Confirm::Duplicate { send, earlier, .. } => {
            let who = match send {
                PendingSend::New { request, .. } => {
                    format!("{} ({})", request.user_id, request.kyc_type.as_str())
                }
                PendingSend::Again { user_id, .. } => safe_text(user_id).into_owned(),
            };
            (
                " Start another verification? ",
                vec![
                    Line::from(vec![
                        Span::raw("An earlier submission holds "),
                        Span::styled(who, t.bold()),
                        Span::raw(format!(" on {}:", state.target.profile)),
                    ]),
                    Line::styled(format!("  {}", describe_earlier(earlier)), t.bold()),
                    Line::raw(
                        "Sending again may start a second verification for this user. To learn \
                         an unknown outcome, open it and retry it with its own key instead.",
                    ),
                ],
            )
        }
        Confirm::Quit {
            in_flight,
            queued,
            resume_batch,
        } => {
            let mut lines = Vec::new();
            if *in_flight > 0 {
                lines.push(Line::raw(format!(
                    "{in_flight} submission(s) being sent now: if you quit, their outcome stays unknown."
                )));
                lines.push(Line::raw(
                    "A retry with the same idempotency key settles each, never twice.",
                ));
            }
            if *queued > 0 {
                lines.push(Line::raw(format!(
                    "{queued} batch row(s) queued, not sent: the batch can be resumed later."
                )));
            }
            if *resume_batch {
                lines.push(Line::styled(
                    "The batch is paused while you answer; no resumes it.",
                    t.muted(),
                ));
            }
            (" Quit? ", lines)
        }
        Confirm::Cancel { user_id, .. } => (
            " Cancel this submission? ",
            vec![
                Line::from(vec![
                    Span::raw("Stop waiting for "),
                    Span::styled(safe_text(user_id).into_owned(), t.bold()),
                    Span::raw("?"),
                ]),
                Line::raw("It may already have reached the platform: its outcome becomes unknown."),
                Line::raw(
                    "Retrying it later with its own idempotency key settles it, never twice.",
                ),
            ],
        ),
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(key_name(Mode::Confirm, Action::Yes), t.key()),
        Span::raw(" yes   "),
        Span::styled(key_names(Mode::Confirm, Action::No).join(" / "), t.key()),
        Span::raw(" no (default)"),
    ]));
    // As tall as the text once wrapped, so the answer keys are never cut off.
    let inner = usize::from(centered(area, 70, 10, (60, 3)).width.saturating_sub(2)).max(1);
    let lines: Vec<Line> = lines
        .iter()
        .flat_map(|l| wrap(l, inner, super::wrap::leading_spaces(l)))
        .collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let popup = centered(area, 70, 10, (60, height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(
                    if matches!(confirm, Confirm::Production(_) | Confirm::Duplicate { .. }) {
                        t.error()
                    } else {
                        t.focus_border()
                    },
                ),
        ),
        popup,
    );
}
