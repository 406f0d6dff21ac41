//! The screen's geometry, shared by the state machine (how many rows a page holds, which
//! row a click hit) and the renderer (where it draws them), so the two cannot disagree.

/// Below this the console shows a "too small" screen rather than a broken layout.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// The header: instance line, breadcrumbs, view tabs.
pub const HEADER_ROWS: u16 = 3;
/// The footer: status line, keys.
pub const FOOTER_ROWS: u16 = 2;
/// A list's chrome above its rows: the top border and the column headings.
pub const LIST_TOP: u16 = 2;
/// A list's chrome below its rows: the bottom border.
pub const LIST_BOTTOM: u16 = 1;

pub fn too_small(size: (u16, u16)) -> bool {
    size.0 < MIN_SIZE.0 || size.1 < MIN_SIZE.1
}

/// Rows of the main area between header and footer.
pub fn main_rows(height: u16) -> u16 {
    height.saturating_sub(HEADER_ROWS + FOOTER_ROWS)
}

/// Rows a list shows on a terminal `height` rows tall.
pub fn list_rows(height: u16) -> usize {
    main_rows(height).saturating_sub(LIST_TOP + LIST_BOTTOM).max(1) as usize
}

/// The terminal row of a list's first record.
pub const fn list_first_row() -> u16 {
    HEADER_ROWS + LIST_TOP
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_fills_what_header_footer_and_borders_leave() {
        assert_eq!(list_rows(24), 24 - 3 - 2 - 3);
        assert_eq!(list_first_row(), 5);
        assert_eq!(list_rows(2), 1);
    }
}
