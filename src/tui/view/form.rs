//! The form: user id, KYC type, redirect URI, submit — each checked as it is typed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use tui_input::Input;

use super::wrap::wrap;
use crate::domain::{FormField, KycType, USER_ID_LEN, safe_text};
use crate::tui::action::Action;
use crate::tui::keymap::{Mode, key_name};
use crate::tui::state::{Focus, State};
use crate::tui::theme::Theme;

/// What the form says under its fields, each message wrapped to the form's width.
struct Messages {
    user: Vec<Line<'static>>,
    /// The API's error for the type, if any.
    kind: Vec<Line<'static>>,
    redirect: Vec<Line<'static>>,
}

/// The width messages are wrapped to in a form `width` wide (borders and margins out).
fn text_width(width: u16) -> usize {
    usize::from(width.saturating_sub(4)).max(1)
}

fn messages(state: &State, width: usize) -> Messages {
    let t = state.theme;
    let wrap = |line: Line<'static>| wrap(&line, width, 2);
    let pasted = state.form.pasted_list();
    let user = match (
        state.form.server_errors.get(&FormField::UserId),
        state.form.check_user_id(),
    ) {
        (None, _) if state.form.refused_selected() => {
            Line::styled("✗ refused by the platform: see the last result", t.error())
        }
        (None, Ok(_)) if pasted.is_some() => Line::styled(
            format!(
                "{} ids pasted · {} opens them all as a batch",
                pasted.map_or(0, |p| p.ids),
                key_name(Mode::TextField, Action::OpenBatch)
            ),
            t.warn(),
        ),
        (Some(e), _) => Line::styled(format!("✗ platform: {}", safe_text(e)), t.error()),
        (None, _) if state.form.user_id.value().is_empty() => {
            Line::styled("usr- followed by a v4 UUID (paste it)", t.muted())
        }
        (None, Err(e)) => Line::styled(format!("✗ {e}"), t.error()),
        (None, Ok((_, norm))) => {
            let mut spans = vec![Span::styled("✓ valid", t.ok())];
            // The field shows the id as it will be sent; what that changed is said.
            let shown = state.form.as_sent_note().unwrap_or_default();
            let changed = (
                shown.trimmed || norm.trimmed,
                shown.lowercased || norm.lowercased,
            );
            if let Some(note) = as_sent(changed) {
                spans.push(Span::styled(format!(" — as sent: {note}"), t.warn()));
            } else if state.form.rapid {
                spans.push(Span::styled(
                    format!(
                        " — {} sends (rapid entry)",
                        key_name(Mode::TextField, Action::Advance)
                    ),
                    t.muted(),
                ));
            }
            Line::from(spans)
        }
    };
    let kind = state
        .form
        .server_errors
        .get(&FormField::KycType)
        .map(|e| Line::styled(format!("✗ platform: {}", safe_text(e)), t.error()));
    let redirect = match (
        state.form.server_errors.get(&FormField::RedirectUri),
        state.form.check_redirect(),
    ) {
        (Some(e), _) => Line::styled(format!("✗ platform: {}", safe_text(e)), t.error()),
        (None, Ok(None)) => Line::styled("empty: the field is left out", t.muted()),
        (None, Ok(Some((_, Some(warning))))) => {
            Line::styled(format!("! {}", warning.message()), t.warn())
        }
        (None, Ok(Some((_, None)))) => Line::styled("✓ absolute URI", t.ok()),
        (None, Err(e)) => Line::styled(format!("✗ {e}"), t.error()),
    };
    Messages {
        user: wrap(user),
        kind: kind.map(wrap).unwrap_or_default(),
        redirect: wrap(redirect),
    }
}

/// The compact picker's first line: the label, then every type with the key that picks it.
fn compact_types(state: &State, focused: bool) -> (Line<'static>, Line<'static>) {
    let t = state.theme;
    let selected = state.form.kyc_type();
    let mut spans = Vec::new();
    for (i, kind) in KycType::ALL.into_iter().enumerate() {
        let chosen = kind == selected;
        spans.push(Span::styled(
            format!(
                "{} {} {}",
                if chosen { "●" } else { "○" },
                key_name(Mode::TypePicker, Action::TypePick(i)),
                kind.as_str()
            ),
            type_style(chosen, focused, t),
        ));
        spans.push(Span::raw("  "));
    }
    spans.pop();
    let (marker, style) = label_style(focused, t);
    let label = Line::styled(format!("{marker}KYC type"), style);
    (label, Line::from(spans))
}

/// Whether the compact picker's label and types share a line at this form width.
fn compact_on_one_line(state: &State, width: u16) -> bool {
    let (label, types) = compact_types(state, false);
    label.width() + 2 + types.width() <= usize::from(width.saturating_sub(2))
}

/// Lines the form needs beyond its least height at `width` (borders included): messages
/// that wrap, the type's API error, a compact picker too wide for one line.
pub fn extra_lines(state: &State, width: u16, full_picker: bool) -> u16 {
    let m = messages(state, text_width(width));
    let extra = m.user.len().saturating_sub(1)
        + m.kind.len()
        + m.redirect.len().saturating_sub(1)
        + usize::from(!full_picker && !compact_on_one_line(state, width));
    u16::try_from(extra).unwrap_or(u16::MAX)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, full_picker: bool) {
    let t = state.theme;
    let focused = state.overlay.is_none() && state.focus != Focus::History;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" New verification ")
        .border_style(if focused {
            t.focus_border()
        } else {
            t.border()
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let m = messages(state, text_width(area.width));
    let one_line = compact_on_one_line(state, area.width);
    let picker_height = if full_picker {
        5
    } else {
        2 + u16::from(!one_line)
    } + height(&m.kind);
    let [
        user_label,
        user_input,
        user_status,
        picker,
        redirect_label,
        redirect_input,
        redirect_status,
        submit,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(height(&m.user)),
        Constraint::Length(picker_height),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(height(&m.redirect)),
        Constraint::Length(1),
    ])
    .areas(inner);

    // User id.
    let typed = state.form.user_id.value().trim().chars().count();
    let check = state.form.check_user_id();
    let counter_style = match (&check, typed) {
        (Ok(_), _) => t.ok(),
        (Err(_), 0) => t.muted(),
        (Err(_), n) if n > USER_ID_LEN => t.error(),
        _ => t.warn(),
    };
    label(
        frame,
        user_label,
        "User id",
        Some(Span::styled(
            format!("{typed}/{USER_ID_LEN}"),
            counter_style,
        )),
        state.focus == Focus::UserId && focused,
        t,
    );
    let refused = state.form.refused_selected();
    if refused {
        // Rapid entry: the refused id is selected, and replaced by what comes next.
        let hint = " · refused: typing replaces it";
        let x = user_label.x + u16::try_from("›User id".chars().count()).unwrap_or(0);
        let width = u16::try_from(hint.chars().count()).unwrap_or(0);
        let room = user_label.right().saturating_sub(x + 7);
        frame.render_widget(
            Paragraph::new(Span::styled(hint, t.warn())),
            Rect::new(x, user_label.y, width.min(room), 1),
        );
    }
    input(
        frame,
        user_input,
        &state.form.user_id,
        state.focus == Focus::UserId && focused,
        refused,
        t,
    );
    frame.render_widget(Paragraph::new(m.user), indent(user_status));

    // KYC type.
    let picker_focused = state.focus == Focus::KycType && focused;
    let selected = state.form.kyc_type();
    let mut lines = Vec::new();
    if full_picker {
        let (marker, style) = label_style(picker_focused, t);
        frame.render_widget(
            Paragraph::new(Line::styled(format!("{marker}KYC type"), style)),
            picker,
        );
        for (i, kind) in KycType::ALL.into_iter().enumerate() {
            let chosen = kind == selected;
            let style = type_style(chosen, picker_focused, t);
            lines.push(Line::from(vec![
                Span::styled(
                    format!(
                        "{} {} {:<9}",
                        if chosen { "●" } else { "○" },
                        key_name(Mode::TypePicker, Action::TypePick(i)),
                        kind.as_str()
                    ),
                    style,
                ),
                Span::styled(
                    format!(" {}", kind.description()),
                    if chosen { t.bold() } else { t.muted() },
                ),
            ]));
        }
    } else {
        let (label, types) = compact_types(state, picker_focused);
        let mut first = label.spans;
        if one_line {
            first.push(Span::raw("  "));
            first.extend(types.spans);
            frame.render_widget(Paragraph::new(Line::from(first)), picker);
        } else {
            frame.render_widget(Paragraph::new(Line::from(first)), picker);
            lines.push(types);
        }
        lines.push(Line::styled(selected.description(), t.muted()));
    }
    lines.extend(m.kind);
    let body = Rect {
        y: picker.y + 1,
        height: picker.height.saturating_sub(1),
        ..picker
    };
    frame.render_widget(Paragraph::new(lines), indent(body));

    // Redirect URI.
    let redirect_focused = state.focus == Focus::RedirectUri && focused;
    label(
        frame,
        redirect_label,
        "Redirect URI (optional)",
        None,
        redirect_focused,
        t,
    );
    input(
        frame,
        redirect_input,
        &state.form.redirect_uri,
        redirect_focused,
        false,
        t,
    );
    frame.render_widget(Paragraph::new(m.redirect), indent(redirect_status));

    // Submit.
    let submit_focused = state.focus == Focus::Submit && focused;
    let button = if submit_focused {
        t.selected().patch(t.bold())
    } else {
        t.bold()
    };
    let mut spans = vec![
        Span::raw(" "),
        Span::styled("[ Submit ]", button),
        Span::styled(
            format!(
                "  {} from any field",
                key_name(Mode::TextField, Action::Submit)
            ),
            t.muted(),
        ),
    ];
    let in_flight = state.sending();
    if in_flight > 0 {
        spans.push(Span::styled(
            format!(" · {in_flight} in flight"),
            t.pending(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), submit);
}

/// Lines of a message, as a height.
fn height(lines: &[Line<'_>]) -> u16 {
    u16::try_from(lines.len()).unwrap_or(u16::MAX)
}

fn type_style(chosen: bool, focused: bool, t: Theme) -> Style {
    match (chosen, focused) {
        (true, true) => t.selected().patch(t.bold()),
        (true, false) => t.bold(),
        _ => t.muted(),
    }
}

/// A field label's marker (`›` on the focused field) and style.
fn label_style(focused: bool, t: Theme) -> (&'static str, Style) {
    if focused {
        ("›", t.focus_border())
    } else {
        (" ", t.bold())
    }
}

fn label(frame: &mut Frame, area: Rect, text: &str, right: Option<Span>, focused: bool, t: Theme) {
    let (marker, style) = label_style(focused, t);
    frame.render_widget(
        Paragraph::new(Line::styled(format!("{marker}{text}"), style)),
        area,
    );
    if let Some(span) = right {
        let width = u16::try_from(span.content.chars().count()).unwrap_or(0);
        let x = area.right().saturating_sub(width + 1);
        frame.render_widget(
            Paragraph::new(Line::from(span)),
            Rect::new(x, area.y, width, 1),
        );
    }
}

/// What was changed to show the id as it will be sent: (spaces removed, lowered).
fn as_sent(changed: (bool, bool)) -> Option<&'static str> {
    match changed {
        (false, false) => None,
        (true, false) => Some("spaces removed"),
        (false, true) => Some("lowercased"),
        (true, true) => Some("spaces removed, lowercased"),
    }
}

/// One line of input, scrolled so the cursor stays visible; places the cursor when focused.
/// A selected value (the id the platform refused) is drawn dimmed and reversed.
fn input(frame: &mut Frame, area: Rect, input: &Input, focused: bool, selected: bool, t: Theme) {
    let field = indent(area);
    let width = usize::from(field.width.saturating_sub(1)).max(1);
    let scroll = input.visual_scroll(width);
    let visible: String = input.value().chars().skip(scroll).take(width).collect();
    let style = if focused {
        t.input_focused()
    } else {
        Style::new()
    };
    let line = if selected {
        let pad = width.saturating_sub(visible.chars().count()) + 1;
        Line::from(vec![
            Span::styled(visible, t.selected().patch(t.muted())),
            Span::styled(" ".repeat(pad), style),
        ])
    } else {
        Line::styled(format!("{visible:<width$} "), style)
    };
    frame.render_widget(Paragraph::new(line), field);
    if focused {
        let x = field.x + u16::try_from(input.visual_cursor().saturating_sub(scroll)).unwrap_or(0);
        frame.set_cursor_position((x.min(field.right().saturating_sub(1)), field.y));
    }
}

fn indent(area: Rect) -> Rect {
    Rect::new(
        area.x + 1,
        area.y,
        area.width.saturating_sub(2),
        area.height,
    )
}
