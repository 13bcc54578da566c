//! Colours and styles in one place. `NO_COLOR` keeps the emphasis and drops the colours.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::OutcomeKind;

/// The console's styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Self { color: true }
    }
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn pending(self) -> Style {
        self.fg(Color::Cyan)
    }

    pub fn muted(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The border of the part that has the keyboard.
    pub fn focus_border(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn border(self) -> Style {
        self.muted()
    }

    /// An input line being edited.
    pub fn input_focused(self) -> Style {
        if self.color {
            Style::new().bg(Color::Rgb(40, 44, 52)).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn production_badge(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn outcome(self, kind: OutcomeKind) -> Style {
        match kind {
            OutcomeKind::Initiated => self.ok(),
            OutcomeKind::Rejected | OutcomeKind::ServerError => self.error(),
            OutcomeKind::Transient | OutcomeKind::Unknown | OutcomeKind::NotSent => self.warn(),
        }
    }
}
