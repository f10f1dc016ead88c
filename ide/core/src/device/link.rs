//! The connection's state machine: connecting (with a timeout on opening and on the device's
//! first answer), connected, lost, and reconnecting with back-off (0.5, 1, 2, 4, 8 s, then
//! every 8 s).
//!
//! It never touches a transport: it says when to open or close one ([`LinkAction`]) and the
//! session carries that out.

use alloc::format;
use alloc::string::String;

use super::rpc::seconds_text;

/// Where the connection stands.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkState {
    /// Never connected, or closed by the user.
    Disconnected,
    /// Opening the transport and waiting for the device's first answer.
    /// `attempt`: 0 for the user's connect, then the reconnect attempt.
    Connecting { attempt: u32 },
    /// The transport is open and the device answered `Shelly.GetDeviceInfo`.
    Connected,
    /// Dropped, and no reconnect (reconnecting is off, or another client took over).
    Lost { reason: String },
    /// Dropped; the next attempt opens the transport at `at_ms`.
    Reconnecting {
        attempt: u32,
        at_ms: f64,
        reason: String,
    },
}

impl LinkState {
    /// The text of the "Device connection" status.
    pub fn label(&self, now_ms: f64) -> String {
        match self {
            LinkState::Disconnected => "Disconnected".into(),
            LinkState::Connecting { .. } => "Connecting…".into(),
            LinkState::Connected => "Connected".into(),
            LinkState::Lost { reason } => format!("Connection lost: {reason}"),
            LinkState::Reconnecting {
                attempt,
                at_ms,
                reason,
            } => {
                let s = ((at_ms - now_ms) / 1000.0).ceil().max(1.0) as u64;
                format!("Reconnecting in {s} s (attempt {attempt}): {reason}")
            }
        }
    }

    pub fn is_connected(&self) -> bool {
        matches!(self, LinkState::Connected)
    }
}

/// The wait before reconnect attempt `attempt` (1-based): 0.5 s doubling up to 8 s.
pub fn backoff_ms(attempt: u32) -> f64 {
    let exp = attempt.saturating_sub(1).min(4);
    (500.0 * f64::from(1u32 << exp)).min(MAX_BACKOFF_MS)
}

/// The longest wait between reconnect attempts.
pub const MAX_BACKOFF_MS: f64 = 8000.0;

/// What the link wants done at a tick.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkAction {
    /// Open the transport (a reconnect attempt is due).
    Open,
    /// The attempt took too long: close the transport. The link is already in its next
    /// state (reconnecting or lost), with `reason`.
    GiveUp { reason: String },
}

/// The connection's state and timers.
#[derive(Clone, Debug)]
pub struct Link {
    state: LinkState,
    reconnect: bool,
    open_timeout_ms: f64,
    /// When the current attempt times out (while connecting).
    deadline_ms: Option<f64>,
    /// Attempts since the last time the device answered.
    attempt: u32,
}

impl Link {
    pub fn new(open_timeout_ms: f64, reconnect: bool) -> Link {
        Link {
            state: LinkState::Disconnected,
            reconnect,
            open_timeout_ms,
            deadline_ms: None,
            attempt: 0,
        }
    }

    pub fn state(&self) -> &LinkState {
        &self.state
    }

    /// The user asked to connect: a new attempt series.
    pub fn connect(&mut self, now_ms: f64) {
        self.attempt = 0;
        self.state = LinkState::Connecting { attempt: 0 };
        self.deadline_ms = Some(now_ms + self.open_timeout_ms);
    }

    /// The transport opened: the device has until the open timeout (counted from now) to
    /// answer.
    pub fn opened(&mut self, now_ms: f64) {
        if matches!(self.state, LinkState::Connecting { .. }) {
            self.deadline_ms = Some(now_ms + self.open_timeout_ms);
        }
    }

    /// The device answered: connected.
    pub fn established(&mut self) {
        self.state = LinkState::Connected;
        self.deadline_ms = None;
        self.attempt = 0;
    }

    /// The user closed the connection.
    pub fn disconnect(&mut self) {
        self.state = LinkState::Disconnected;
        self.deadline_ms = None;
        self.attempt = 0;
    }

    /// Whether the link is in an attempt or connected (a transport is, or should be, open).
    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            LinkState::Connecting { .. } | LinkState::Connected
        )
    }

    /// The transport closed or failed. `false` if that changes nothing (no attempt was under
    /// way: a late close after a timeout or the user's disconnect).
    pub fn closed(&mut self, reason: &str, now_ms: f64) -> bool {
        if !self.is_active() {
            return false;
        }
        let reason = reason_or_default(reason);
        self.deadline_ms = None;
        if self.reconnect {
            self.attempt = self.attempt.saturating_add(1);
            self.state = LinkState::Reconnecting {
                attempt: self.attempt,
                at_ms: now_ms + backoff_ms(self.attempt),
                reason,
            };
        } else {
            self.state = LinkState::Lost { reason };
        }
        true
    }

    /// The transport closed for a reason that another attempt would not change (another
    /// client took the device over): lost, whatever the reconnect setting. `false` if no
    /// attempt was under way and not reconnecting either.
    pub fn closed_for_good(&mut self, reason: &str) -> bool {
        if !self.is_active() && !matches!(self.state, LinkState::Reconnecting { .. }) {
            return false;
        }
        let reason = reason_or_default(reason);
        self.deadline_ms = None;
        self.attempt = 0;
        self.state = LinkState::Lost { reason };
        true
    }

    /// Check the timers.
    pub fn tick(&mut self, now_ms: f64) -> Option<LinkAction> {
        match &self.state {
            LinkState::Reconnecting { attempt, at_ms, .. } if now_ms >= *at_ms => {
                self.state = LinkState::Connecting { attempt: *attempt };
                self.deadline_ms = Some(now_ms + self.open_timeout_ms);
                Some(LinkAction::Open)
            }
            LinkState::Connecting { .. } if self.deadline_ms.is_some_and(|d| now_ms >= d) => {
                let reason = format!(
                    "the device did not answer in {}",
                    seconds_text(self.open_timeout_ms)
                );
                self.closed(&reason, now_ms);
                Some(LinkAction::GiveUp { reason })
            }
            _ => None,
        }
    }

    pub fn next_deadline(&self) -> Option<f64> {
        match &self.state {
            LinkState::Reconnecting { at_ms, .. } => Some(*at_ms),
            LinkState::Connecting { .. } => self.deadline_ms,
            _ => None,
        }
    }
}

/// The reason a transport gave, or a plain one when it gave none.
fn reason_or_default(reason: &str) -> String {
    if reason.is_empty() {
        String::from("the connection closed")
    } else {
        String::from(reason)
    }
}
