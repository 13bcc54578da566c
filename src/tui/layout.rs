//! Where each part of the screen goes, as a pure function of the terminal size, so
//! rendering and paging agree on how many rows the history pane shows.

use ratatui::layout::{Constraint, Layout, Rect};

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width on, the form and the history stand side by side.
pub const SIDE_BY_SIDE_WIDTH: u16 = 110;

/// The areas of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenLayout {
    pub header: Rect,
    pub form: Rect,
    /// The result of the newest submission (inside the form's column).
    pub result: Rect,
    pub history: Rect,
    pub footer: Rect,
    /// The type picker lists every type on its own line (else one line for all).
    pub full_picker: bool,
}

/// Whether the terminal is big enough to draw the console.
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// Lines inside the form block for a picker style, borders included.
pub fn form_height(full_picker: bool) -> u16 {
    // user id: 3; picker: a label line and the four types (full), or the label and types
    // on one line and the chosen type's description (compact); redirect: 3; submit: 1.
    let picker = if full_picker { 5 } else { 2 };
    3 + picker + 3 + 1 + 2
}

/// Lines the screen's parts take beyond their least, from what they show now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The footer's lines (at least one).
    pub footer: u16,
    /// Lines the form needs beyond [`form_height`]: messages that wrap.
    pub form: u16,
}

impl Default for Needs {
    fn default() -> Self {
        Needs { footer: 1, form: 0 }
    }
}

/// Splits the screen, with one footer line and a form of its least height.
pub fn layout(area: Rect) -> ScreenLayout {
    layout_with(area, Needs::default())
}

/// Splits the screen, giving the footer and the form the lines they need.
pub fn layout_with(area: Rect, needs: Needs) -> ScreenLayout {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(needs.footer.max(1)),
    ])
    .areas(area);
    if area.width >= SIDE_BY_SIDE_WIDTH {
        let left_width = (area.width * 43 / 100).clamp(51, 64);
        let [left, history] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(body);
        let full_picker = body.height >= form_height(true) + needs.form + 6;
        let [form, result] = Layout::vertical([
            Constraint::Length(form_height(full_picker) + needs.form),
            Constraint::Min(0),
        ])
        .areas(left);
        ScreenLayout {
            header,
            form,
            result,
            history,
            footer,
            full_picker,
        }
    } else {
        let [form, result, history] = Layout::vertical([
            Constraint::Length(form_height(false) + needs.form),
            Constraint::Length(3),
            Constraint::Min(0),
        ])
        .areas(body);
        ScreenLayout {
            header,
            form,
            result,
            history,
            footer,
            full_picker: false,
        }
    }
}

/// How many history rows a layout shows (borders and column headings excluded).
pub fn history_rows(layout: &ScreenLayout) -> usize {
    usize::from(layout.history.height.saturating_sub(3)).max(1)
}

/// The area an overlay covers: everything between the header and the footer.
pub fn overlay_area(area: Rect) -> Rect {
    Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(2),
    )
}

/// A centred rectangle of a share of the area, at least a minimum size.
pub fn centered(area: Rect, percent_x: u16, percent_y: u16, min: (u16, u16)) -> Rect {
    let width = (area.width * percent_x / 100).max(min.0).min(area.width);
    let height = (area.height * percent_y / 100).max(min.1).min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_at_both_supported_sizes() {
        for (w, h) in [(80, 24), (120, 40)] {
            let area = Rect::new(0, 0, w, h);
            assert!(fits(area));
            let l = layout(area);
            assert!(l.history.height >= 6, "{w}x{h}: {l:?}");
            assert!(l.form.height >= form_height(false));
            assert!(history_rows(&l) >= 4, "{w}x{h}: {l:?}");
            // Two footer lines leave the history as many rows.
            let two = layout_with(area, Needs { footer: 2, form: 0 });
            assert!(history_rows(&two) >= 4, "{w}x{h}: {two:?}");
        }
        assert!(!fits(Rect::new(0, 0, 79, 24)));
        assert!(layout(Rect::new(0, 0, 120, 40)).full_picker);
    }
}
