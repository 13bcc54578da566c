//! The profile picker: every target in the settings, production ones marked; with only the
//! built-in sandbox, how to add a profile and in which file.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::wrap::wrap;
use crate::domain::safe_text;
use crate::tui::layout::centered;
use crate::tui::state::State;

pub fn render(frame: &mut Frame, area: Rect, state: &State, selected: usize) {
    let t = state.theme;
    let mut lines = vec![
        Line::styled(
            "Send to which profile? History follows the choice.",
            t.muted(),
        ),
        Line::raw(""),
    ];
    for (i, p) in state.profiles.iter().enumerate() {
        let current = p.name == state.target.profile;
        let mut spans = vec![
            Span::styled(if i == selected { "› " } else { "  " }, t.key()),
            Span::styled(
                format!("{:<14}", safe_text(&p.name)),
                if i == selected {
                    t.selected().patch(t.bold())
                } else {
                    t.bold()
                },
            ),
            Span::raw(" "),
        ];
        if p.production {
            spans.push(Span::styled(" PRODUCTION ", t.production_badge()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(safe_text(&p.target).into_owned(), t.muted()));
        if current {
            spans.push(Span::styled("  (current)", t.ok()));
        }
        lines.push(Line::from(spans));
    }
    if state.profiles.len() <= 1 {
        lines.extend(how_to_add(state));
    }
    let popup = centered(area, 80, 10, (70, 3));
    let width = usize::from(popup.width.saturating_sub(2));
    let lines: Vec<Line> = lines
        .iter()
        .flat_map(|l| {
            // Sentences wrap to the edge; indented lines (the example) under themselves.
            let lead = super::wrap::leading_spaces(l);
            wrap(l, width, if lead > 0 { lead + 2 } else { 0 })
        })
        .collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let popup = centered(area, 80, 10, (70, height));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Profiles ")
                .border_style(t.focus_border()),
        ),
        popup,
    );
}

/// How to add a profile: the settings file this console reads, and what to write in it.
fn how_to_add(state: &State) -> Vec<Line<'static>> {
    let t = state.theme;
    let path = safe_text(&state.paths.config).into_owned();
    let what_to_do = if state.paths.config_exists {
        "Add a table like this one to it:"
    } else {
        "It does not exist yet: create it with a table like this one:"
    };
    vec![
        Line::raw(""),
        Line::raw(
            "Only the built-in sandbox is set up. To send to a real API, add a profile to \
             the settings file this console reads:",
        ),
        Line::styled(format!("  {path}"), t.bold()),
        Line::raw(what_to_do),
        Line::styled("  [profiles.production]", t.pending()),
        Line::styled("  base_url = \"https://api.kulipa.xyz/v1\"", t.pending()),
        Line::styled(
            "  api_key_env = \"KULIPA_API_KEY\"   # the variable that holds the key",
            t.pending(),
        ),
        Line::styled("  production = true", t.pending()),
        Line::raw(
            "Then check it with `kyc-console config check` and start the console again: \
             the profile is listed here.",
        ),
    ]
}
