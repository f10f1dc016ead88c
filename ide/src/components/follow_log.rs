//! A log view that keeps its end in view as lines arrive, unless the user scrolled up to read:
//! shared by the simulator console and the device console.

use leptos::prelude::*;

/// The scroll state of one log element.
#[derive(Clone, Copy)]
pub struct FollowLog {
    pub node: NodeRef<leptos::html::Div>,
    stick: StoredValue<bool>,
}

impl FollowLog {
    /// Follow the log in `node`: after every change `track` reports, scroll to the end if the
    /// user was at the end.
    pub fn new(track: impl Fn() + 'static) -> Self {
        let follow = FollowLog {
            node: NodeRef::new(),
            stick: StoredValue::new(true),
        };
        Effect::new(move |_| {
            track();
            if let Some(el) = follow.node.get() {
                if follow.stick.get_value() {
                    el.set_scroll_top(el.scroll_height());
                }
            }
        });
        follow
    }

    /// The element's `scroll` handler: follow again once the user is back at the end.
    pub fn on_scroll(self) {
        if let Some(el) = self.node.get() {
            let at_end = el.scroll_top() + el.client_height() >= el.scroll_height() - 4;
            self.stick.set_value(at_end);
        }
    }

    /// Follow from now on (the user sent input: show what it prints).
    pub fn follow(self) {
        self.stick.set_value(true);
    }
}
