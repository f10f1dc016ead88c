//! What the page shows of the simulated device: the console (bounded), the traffic log
//! (bounded), the simulator's status and the linter's problems — plain structs the worker's
//! messages are folded into. They never talk to the worker themselves.

use std::collections::VecDeque;
use std::sync::Arc;

use ferrite_ide_core::protocol::{Diagnostic, ErrorLocation, Traffic};
use ferrite_protocols::mqtt_topic;

/// Lines the console keeps (older ones are dropped).
pub const CONSOLE_MAX_LINES: usize = 5000;
/// Entries the traffic log keeps.
pub const TRAFFIC_MAX_ENTRIES: usize = 500;

/// How a console line looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// `print`/`console.log` output, shown as-is.
    Output,
    Info,
    Warn,
    Error,
    /// What the user typed into the REPL.
    Input,
}

impl LineKind {
    pub fn from_level(level: &str) -> LineKind {
        match level {
            "warn" => LineKind::Warn,
            "error" => LineKind::Error,
            "info" => LineKind::Info,
            _ => LineKind::Output,
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            LineKind::Output => "line",
            LineKind::Info => "line info",
            LineKind::Warn => "line warn",
            LineKind::Error => "line error",
            LineKind::Input => "line input",
        }
    }
}

/// One console line; `id` is unique within a [`ConsoleLog`] (the view's key).
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleLine {
    pub id: u64,
    pub kind: LineKind,
    pub text: String,
    /// Where an error happened (shown as a link).
    pub location: Option<ErrorLocation>,
}

/// The console: the last [`CONSOLE_MAX_LINES`] lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsoleLog {
    lines: VecDeque<Arc<ConsoleLine>>,
    next_id: u64,
}

impl ConsoleLog {
    pub fn push(&mut self, kind: LineKind, text: String, location: Option<ErrorLocation>) {
        self.next_id += 1;
        self.lines.push_back(Arc::new(ConsoleLine {
            id: self.next_id,
            kind,
            text,
            location,
        }));
        while self.lines.len() > CONSOLE_MAX_LINES {
            self.lines.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
    }

    pub fn lines(&self) -> Vec<Arc<ConsoleLine>> {
        self.lines.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }
}

/// One line of the traffic log.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficLine {
    pub id: u64,
    pub text: String,
    /// The topic of an MQTT message (what the panel's "Subscribe" filter matches).
    pub mqtt_topic: Option<String>,
}

/// MQTT and HTTP traffic of the device, newest last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrafficLog {
    entries: VecDeque<Arc<TrafficLine>>,
    next_id: u64,
}

impl TrafficLog {
    pub fn push(&mut self, entry: &Traffic) {
        self.next_id += 1;
        self.entries.push_back(Arc::new(TrafficLine {
            id: self.next_id,
            text: describe_traffic(entry),
            mqtt_topic: match entry {
                Traffic::Mqtt { topic, .. } => Some(topic.clone()),
                Traffic::Http { .. } => None,
            },
        }));
        while self.entries.len() > TRAFFIC_MAX_ENTRIES {
            self.entries.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn lines(&self) -> Vec<Arc<TrafficLine>> {
        self.entries.iter().cloned().collect()
    }

    /// The lines the panel's "Subscribe" filter lets through: every HTTP line, and the MQTT
    /// lines whose topic matches `filter` (MQTT wildcards `+` and `#`). An invalid filter is an
    /// error (the caller says so and shows every line).
    pub fn subscribed(&self, filter: &str) -> Result<Vec<Arc<TrafficLine>>, String> {
        let filter = filter.trim();
        if !mqtt_topic::valid_filter(filter) {
            return Err(format!(
                "\"{filter}\" is not a topic filter: \"+\" must be a whole level, \"#\" the last one"
            ));
        }
        Ok(self
            .entries
            .iter()
            .filter(|l| {
                l.mqtt_topic
                    .as_deref()
                    .is_none_or(|t| mqtt_topic::matches(filter, t))
            })
            .cloned()
            .collect())
    }
}

/// Why `topic` cannot be published to from the panel (`None`: it can): not empty, no
/// wildcards (those are for subscribing).
pub fn publish_topic_problem(topic: &str) -> Option<&'static str> {
    if topic.trim().is_empty() {
        Some("Enter a topic to publish to.")
    } else if topic.contains(['+', '#']) {
        Some("A topic to publish to cannot contain the wildcards + or # (they are for Subscribe).")
    } else {
        None
    }
}

/// `MQTT → topic payload` (the device published), `MQTT ← topic payload` (the panel did),
/// `HTTP GET url → 200`.
pub fn describe_traffic(t: &Traffic) -> String {
    match t {
        Traffic::Mqtt {
            from_device,
            topic,
            payload,
            retain,
            ..
        } => {
            let arrow = if *from_device { "→" } else { "←" };
            let retain = if *retain { " (retained)" } else { "" };
            format!("MQTT {arrow} {topic} {payload}{retain}")
        }
        Traffic::Http {
            method,
            url,
            status,
            ..
        } => {
            if *status == 0 {
                format!("HTTP {method} {url} → no mock (failed)")
            } else {
                format!("HTTP {method} {url} → {status}")
            }
        }
    }
}

/// What the simulator is doing, for the status bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SimState {
    /// The worker has not said it is ready yet.
    #[default]
    Starting,
    Ready,
    Running,
    /// The user pressed Stop.
    Stopped,
    /// Every script ended (the reason is the worker's).
    Idle(String),
}

/// The status bar: the simulator's state, or a short-lived notice ("Saved").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub sim: SimState,
    pub notice: Option<String>,
    /// Simulator workers started so far (more than one: it was restarted).
    pub workers: u32,
    /// The last write of the projects failed (shown until a write succeeds).
    pub unsaved: Option<String>,
}

impl Status {
    pub fn text(&self) -> String {
        if let Some(n) = &self.notice {
            return n.clone();
        }
        match &self.sim {
            SimState::Starting => "Starting simulator…".into(),
            SimState::Ready => "Ready".into(),
            SimState::Running => "Running".into(),
            SimState::Stopped => "Stopped".into(),
            SimState::Idle(reason) => format!("Idle: {reason}"),
        }
    }

    pub fn running(&self) -> bool {
        self.sim == SimState::Running
    }
}

/// The linter's latest findings for one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Problems {
    pub file: String,
    pub items: Vec<Diagnostic>,
}

impl Problems {
    /// `main.js:3:7: message`.
    pub fn describe(&self, d: &Diagnostic) -> String {
        format!("{}:{}:{}: {}", self.file, d.line, d.col, d.message)
    }
}

/// `hh:mm:ss.mmm` of virtual milliseconds since boot.
pub fn format_virtual_time(ms: u64) -> String {
    let h = ms / 3_600_000;
    let m = ms / 60_000 % 60;
    let s = ms / 1000 % 60;
    let milli = ms % 1000;
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_keeps_the_last_lines() {
        let mut c = ConsoleLog::default();
        for i in 0..CONSOLE_MAX_LINES + 10 {
            c.push(LineKind::Output, i.to_string(), None);
        }
        assert_eq!(c.len(), CONSOLE_MAX_LINES);
        assert_eq!(c.lines()[0].text, "10");
    }

    #[test]
    fn time_and_traffic_read_as_the_contract_says() {
        assert_eq!(format_virtual_time(65_250), "00:01:05.250");
        assert_eq!(format_virtual_time(100 * 3_600_000), "100:00:00.000");
        let t = Traffic::Mqtt {
            ts_ms: 0,
            from_device: false,
            topic: "a/b".into(),
            payload: "on".into(),
            retain: false,
        };
        assert_eq!(describe_traffic(&t), "MQTT ← a/b on");
    }

    fn mqtt(topic: &str) -> Traffic {
        Traffic::Mqtt {
            ts_ms: 0,
            from_device: true,
            topic: topic.into(),
            payload: "x".into(),
            retain: false,
        }
    }

    #[test]
    fn subscribe_filters_mqtt_lines_and_keeps_http() {
        let mut log = TrafficLog::default();
        log.push(&mqtt("home/kitchen/temp"));
        log.push(&mqtt("home/hall/temp"));
        log.push(&mqtt("office/temp"));
        log.push(&Traffic::Http {
            ts_ms: 0,
            method: "GET".into(),
            url: "http://x/".into(),
            status: 200,
        });
        let texts = |f: &str| -> Vec<String> {
            log.subscribed(f)
                .unwrap()
                .iter()
                .map(|l| l.text.clone())
                .collect()
        };
        assert_eq!(texts("#").len(), 4);
        assert_eq!(
            texts("home/+/temp"),
            vec![
                "MQTT → home/kitchen/temp x",
                "MQTT → home/hall/temp x",
                "HTTP GET http://x/ → 200"
            ]
        );
        assert_eq!(texts("office/#").len(), 2);
        assert!(log.subscribed("home/#/temp").is_err());
        assert!(log.subscribed("").is_err());
    }

    #[test]
    fn publishing_needs_a_topic_without_wildcards() {
        assert!(publish_topic_problem("a/b").is_none());
        assert!(publish_topic_problem("  ").is_some());
        assert!(publish_topic_problem("a/+").is_some());
        assert!(publish_topic_problem("a/#").is_some());
    }
}
