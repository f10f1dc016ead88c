//! The window's arrangement: panel sizes (changed by the splitters) and the theme. Plain data
//! with bounds; `store::prefs` keeps it in localStorage.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Dark,
    Light,
}

impl Theme {
    pub fn monaco(self) -> &'static str {
        match self {
            Theme::Dark => "vs-dark",
            Theme::Light => "vs",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }

    pub fn toggled(self) -> Theme {
        match self {
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::Dark,
        }
    }
}

/// Which splitter a size belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// Width of the project sidebar (left).
    Sidebar,
    /// Width of the board panel (right).
    Board,
    /// Height of the console (bottom).
    Console,
}

/// Sizes in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    pub sidebar_w: f64,
    pub board_w: f64,
    pub console_h: f64,
    /// `None`: follow the system (prefers-color-scheme).
    #[serde(default)]
    pub theme: Option<Theme>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            sidebar_w: 224.0,
            board_w: 340.0,
            console_h: 220.0,
            theme: None,
        }
    }
}

impl Layout {
    pub fn size(&self, pane: Pane) -> f64 {
        match pane {
            Pane::Sidebar => self.sidebar_w,
            Pane::Board => self.board_w,
            Pane::Console => self.console_h,
        }
    }

    /// Set a size, kept within what leaves the editor usable.
    pub fn set_size(&mut self, pane: Pane, px: f64) {
        let (min, max) = match pane {
            Pane::Sidebar => (140.0, 480.0),
            Pane::Board => (240.0, 760.0),
            Pane::Console => (80.0, 700.0),
        };
        let v = if px.is_finite() {
            px.clamp(min, max)
        } else {
            min
        };
        match pane {
            Pane::Sidebar => self.sidebar_w = v,
            Pane::Board => self.board_w = v,
            Pane::Console => self.console_h = v,
        }
    }

    /// Bring stored sizes back into bounds (localStorage is outside input).
    pub fn sanitized(mut self) -> Layout {
        for pane in [Pane::Sidebar, Pane::Board, Pane::Console] {
            self.set_size(pane, self.size(pane));
        }
        self
    }
}
