//! `LoopbackMqtt`: an in-memory MQTT broker and client in one, for the simulator and the golden
//! tests. Enabling it (through the device's `mqtt` config) connects at once; what the device
//! publishes is recorded and delivered back to the device's own matching subscriptions, retained
//! messages are kept and delivered on subscribe — as a broker would with one client.
//!
//! Other network capabilities (sockets, HTTP, Wi-Fi) are passed to an optional inner backend.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::NetBackend;
use crate::board::{
    BoardError, BoardEvent, BoardResult, HttpClient, Mqtt, MqttStatus, Sockets, Wifi,
};
use crate::mqtt_topic::{matches, valid_filter};

/// A message the device published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

/// The loopback's state, shared with the outside's [`LoopbackHandle`].
#[derive(Debug, Default)]
pub struct LoopbackState {
    pub enabled: bool,
    pub connected: bool,
    pub server: String,
    pub client_id: String,
    /// The filters the device subscribes, in order.
    pub filters: Vec<String>,
    /// Everything published, oldest first (bounded: the oldest are dropped).
    pub published: VecDeque<Published>,
    /// Retained message per topic.
    pub retained: BTreeMap<String, Vec<u8>>,
    events: VecDeque<BoardEvent>,
}

/// Most publishes kept in [`LoopbackState::published`].
const KEEP_PUBLISHED: usize = 256;
/// Most board events waiting (beyond that the loopback drops deliveries, as a slow client
/// would lose QoS 0 messages).
const MAX_EVENTS: usize = 256;

impl LoopbackState {
    fn push(&mut self, ev: BoardEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(ev);
        }
    }

    fn set_connected(&mut self, up: bool) {
        if self.connected == up {
            return;
        }
        self.connected = up;
        self.push(if up {
            BoardEvent::MqttConnected
        } else {
            BoardEvent::MqttDisconnected
        });
        if up {
            // As after one SUBSCRIBE of every filter: each retained message once.
            let hits: Vec<(String, Vec<u8>)> = self
                .retained
                .iter()
                .filter(|(t, _)| self.filters.iter().any(|f| matches(f, t)))
                .map(|(t, p)| (t.clone(), p.clone()))
                .collect();
            for (topic, payload) in hits {
                self.push(BoardEvent::MqttMessage { topic, payload });
            }
        }
    }

    fn deliver_retained(&mut self, filter: &str) {
        let hits: Vec<(String, Vec<u8>)> = self
            .retained
            .iter()
            .filter(|(t, _)| matches(filter, t))
            .map(|(t, p)| (t.clone(), p.clone()))
            .collect();
        for (topic, payload) in hits {
            self.push(BoardEvent::MqttMessage { topic, payload });
        }
    }
}

/// The outside's handle on a [`LoopbackMqtt`]: look at what was published, cut and restore the
/// connection.
#[derive(Clone, Debug, Default)]
pub struct LoopbackHandle(pub Rc<RefCell<LoopbackState>>);

impl LoopbackHandle {
    /// Take everything published so far.
    pub fn take_published(&self) -> Vec<Published> {
        self.0.borrow_mut().published.drain(..).collect()
    }

    /// Break (`false`) or restore (`true`, only if enabled) the connection to the "broker".
    pub fn set_connected(&self, up: bool) {
        let mut s = self.0.borrow_mut();
        let up = up && s.enabled;
        s.set_connected(up);
    }

    /// A message from another client of the "broker": delivered if the device subscribes it.
    pub fn publish_from_outside(&self, topic: &str, payload: &[u8], retain: bool) {
        let mut s = self.0.borrow_mut();
        if retain {
            s.retained.insert(topic.into(), payload.to_vec());
        }
        if s.connected && s.filters.iter().any(|f| matches(f, topic)) {
            s.push(BoardEvent::MqttMessage {
                topic: topic.into(),
                payload: payload.to_vec(),
            });
        }
    }
}

/// The loopback network backend; see the module documentation.
pub struct LoopbackMqtt {
    state: Rc<RefCell<LoopbackState>>,
    inner: Option<Box<dyn NetBackend>>,
}

impl Default for LoopbackMqtt {
    fn default() -> Self {
        LoopbackMqtt::new()
    }
}

impl LoopbackMqtt {
    pub fn new() -> LoopbackMqtt {
        LoopbackMqtt {
            state: Rc::new(RefCell::new(LoopbackState::default())),
            inner: None,
        }
    }

    /// Serve sockets, HTTP and Wi-Fi from `inner`.
    pub fn with_inner(mut self, inner: Box<dyn NetBackend>) -> LoopbackMqtt {
        self.inner = Some(inner);
        self
    }

    pub fn handle(&self) -> LoopbackHandle {
        LoopbackHandle(self.state.clone())
    }
}

impl Mqtt for LoopbackMqtt {
    fn status(&self) -> MqttStatus {
        let s = self.state.borrow();
        MqttStatus {
            enabled: s.enabled,
            connected: s.connected,
            server: s.server.clone(),
            client_id: s.client_id.clone(),
        }
    }

    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool {
        let mut s = self.state.borrow_mut();
        if !s.connected || topic.is_empty() || topic.contains(['+', '#']) {
            return false;
        }
        if s.published.len() >= KEEP_PUBLISHED {
            s.published.pop_front();
        }
        s.published.push_back(Published {
            topic: topic.into(),
            payload: payload.to_vec(),
            qos,
            retain,
        });
        if retain {
            if payload.is_empty() {
                s.retained.remove(topic);
            } else {
                s.retained.insert(topic.into(), payload.to_vec());
            }
        }
        // One delivery per message however many filters match, as a broker does.
        if s.filters.iter().any(|f| matches(f, topic)) {
            s.push(BoardEvent::MqttMessage {
                topic: topic.into(),
                payload: payload.to_vec(),
            });
        }
        true
    }

    fn subscribe(&mut self, filter: &str) -> BoardResult<()> {
        if !valid_filter(filter) {
            return Err(BoardError::InvalidArgument(alloc::format!(
                "topic filter {filter:?}"
            )));
        }
        let mut s = self.state.borrow_mut();
        if !s.filters.iter().any(|f| f == filter) {
            s.filters.push(filter.into());
            if s.connected {
                s.deliver_retained(filter);
            }
        }
        Ok(())
    }

    fn unsubscribe(&mut self, filter: &str) {
        self.state.borrow_mut().filters.retain(|f| f != filter);
    }

    fn configure(
        &mut self,
        enabled: bool,
        server: &str,
        client_id: &str,
        _user: &str,
        _pass: &str,
    ) {
        let mut s = self.state.borrow_mut();
        s.enabled = enabled;
        s.server = server.into();
        s.client_id = client_id.into();
        s.set_connected(enabled);
    }
}

impl NetBackend for LoopbackMqtt {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        self.inner.as_mut()?.sockets()
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        self.inner.as_mut()?.http()
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        Some(self)
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        self.inner.as_mut()?.wifi()
    }
    fn has_pending_events(&self) -> bool {
        !self.state.borrow().events.is_empty()
            || self.inner.as_ref().is_some_and(|n| n.has_pending_events())
    }

    fn poll_event(&mut self) -> Option<BoardEvent> {
        if let Some(e) = self.state.borrow_mut().events.pop_front() {
            return Some(e);
        }
        self.inner.as_mut()?.poll_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_retained_and_reconnect() {
        let mut l = LoopbackMqtt::new();
        let h = l.handle();
        assert!(!l.publish("a/b", b"x", 0, false), "disconnected");
        l.configure(true, "loopback", "dev", "", "");
        assert_eq!(l.poll_event(), Some(BoardEvent::MqttConnected));
        assert!(l.publish("a/b", b"r", 0, true));
        l.subscribe("a/+").unwrap();
        // The retained message comes on subscribe.
        assert!(
            matches!(l.poll_event(), Some(BoardEvent::MqttMessage { topic, .. }) if topic == "a/b")
        );
        l.subscribe("a/#").unwrap();
        assert!(l.poll_event().is_some());
        assert!(l.publish("a/c", b"1", 1, false));
        // One delivery although two filters match.
        assert!(l.poll_event().is_some());
        assert_eq!(l.poll_event(), None);
        assert_eq!(h.take_published().len(), 2);
        h.set_connected(false);
        assert_eq!(l.poll_event(), Some(BoardEvent::MqttDisconnected));
        h.publish_from_outside("a/z", b"lost", false);
        assert_eq!(l.poll_event(), None);
        h.set_connected(true);
        assert_eq!(l.poll_event(), Some(BoardEvent::MqttConnected));
        assert!(l.subscribe("a/+/#/x").is_err());
    }
}
