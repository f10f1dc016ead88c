//! One script's state that its natives and the event loop share: the resources it holds (timers,
//! subscriptions, endpoints …, each counted against [`crate::Limits`]) and the queue of
//! callbacks waiting to run.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::json::Json;

/// A value to hand to a callback, made into a JavaScript value when the callback runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(Vec<u8>),
    Json(Json),
    /// A value pinned in this script's realm (see `Vm::pin`).
    Pinned(u32),
    /// A host object of this realm: `(tag, id)` with prototype pinned under `proto`.
    HostObject {
        tag: u32,
        id: u32,
        proto: u32,
    },
    /// A plain object built field by field (for values JSON cannot carry, e.g. binary strings).
    Object(Vec<(String, Arg)>),
}

/// What a job does.
#[derive(Clone, Debug, PartialEq)]
pub enum JobKind {
    /// Call the pinned function `func` with `this` and `args`.
    Call {
        func: u32,
        this: Arg,
        args: Vec<Arg>,
    },
    /// Evaluate source text in the script's global scope; the result goes to `reply`.
    Eval { source: Vec<u8>, reply: EvalReply },
}

/// Where the result of an [`JobKind::Eval`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalReply {
    /// Printed on the console (the REPL).
    Console,
    /// The answer of a pending RPC call (`Script.Eval` of a script's id).
    Rpc(u32),
    /// The answer of `Script.Eval` of id 0: the console's, which Ctrl-C on the console ends.
    ConsoleRpc(u32),
}

impl EvalReply {
    /// An eval of the console's (typed at it, or `Script.Eval` of id 0).
    pub fn is_console(self) -> bool {
        matches!(self, EvalReply::Console | EvalReply::ConsoleRpc(_))
    }
}

/// A callback waiting to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub kind: JobKind,
    /// Pins to release once the job ran (one-shot callbacks and their user data).
    pub release: Vec<u32>,
}

/// What a [`Listener`] listens for. API modules add kinds as they need them.
#[derive(Clone, Debug, PartialEq)]
pub enum ListenerKind {
    /// `Timer.set` / `setTimeout` / `setInterval`.
    Timer {
        due_ms: u64,
        period_ms: u64,
        repeat: bool,
    },
    /// `Shelly.addEventHandler`.
    Event,
    /// `Shelly.addStatusHandler`.
    Status,
    /// A `Shelly.call` in flight (the RPC token).
    RpcCall {
        token: u32,
    },
    /// `MQTT.subscribe(filter)`.
    MqttSubscription {
        filter: String,
    },
    MqttConnect,
    MqttDisconnect,
    /// `HTTPServer.registerEndpoint(name)`.
    HttpEndpoint {
        name: String,
    },
    /// `GPIO.setisr(pin)` / TC53 `onReadable` on a digital input.
    GpioEdge {
        pin: u32,
    },
    /// `Virtual.on(event)` on component `key` (e.g. `number:200`).
    Virtual {
        key: String,
        event: String,
    },
    /// `BLE.Scanner.Subscribe`.
    BleScan,
    /// A socket owned by a TC53 or Smart.js object.
    Socket {
        socket: u32,
    },
    /// An HTTP client request (`Http.get`, `HTTP.GET` via `Shelly.call`).
    HttpRequest {
        id: u32,
    },
    /// `Wifi.scan(cb)` waiting for the scan in flight.
    WifiScan,
    /// `Wifi.changed(cb)`: the station's changes.
    WifiChanged,
    /// Anything else an API module tracks (its name says what).
    Other(&'static str),
}

impl ListenerKind {
    /// The resource family this listener counts against, for the limits.
    pub fn family(&self) -> &'static str {
        match self {
            ListenerKind::Timer { .. } => "timers",
            ListenerKind::Event => "event handlers",
            ListenerKind::Status => "status handlers",
            ListenerKind::RpcCall { .. } => "RPC calls",
            ListenerKind::MqttSubscription { .. } => "MQTT subscriptions",
            ListenerKind::HttpEndpoint { .. } => "HTTP endpoints",
            ListenerKind::MqttConnect | ListenerKind::MqttDisconnect => "MQTT handlers",
            ListenerKind::GpioEdge { .. } => "GPIO interrupts",
            ListenerKind::Virtual { .. } => "virtual component handlers",
            ListenerKind::BleScan => "BLE scan subscriptions",
            ListenerKind::Socket { .. } => "sockets",
            ListenerKind::HttpRequest { .. } => "HTTP requests",
            ListenerKind::WifiScan => "Wi-Fi scans",
            ListenerKind::WifiChanged => "Wi-Fi change handlers",
            ListenerKind::Other(n) => n,
        }
    }
}

/// A resource a script holds: what it waits for, the callback and its user data (pins).
#[derive(Clone, Debug, PartialEq)]
pub struct Listener {
    /// The handle the script sees (timer handle, subscription handle …), unique per script.
    pub handle: u32,
    pub kind: ListenerKind,
    /// Pinned callback (or `u32::MAX` for none).
    pub callback: u32,
    /// Pinned user data (or `u32::MAX` for none).
    pub userdata: u32,
    /// Pinned object the callback is called on (TC53 instances), or `u32::MAX`.
    pub this: u32,
}

/// No pin.
pub const NO_PIN: u32 = u32::MAX;

/// The state one script shares between the event loop and its natives.
#[derive(Debug, Default)]
pub struct ScriptState {
    pub id: u32,
    pub listeners: Vec<Listener>,
    next_handle: u32,
    pub jobs: VecDeque<Job>,
    /// Events dropped because the job queue was full.
    pub dropped_jobs: u64,
    /// Pins whose release was requested by a native (released by the loop, which owns the realm).
    pub unpin_queue: Vec<u32>,
    /// `Shelly.call`s made and not yet dispatched: (listener handle, method, params).
    pub outgoing_rpc: Vec<(u32, String, Json)>,
    /// The script asked to stop itself (`Script.Stop` of its own id, `die`).
    pub stop_requested: bool,
    /// Per-script data of API families (their instance tables), dropped with the script.
    pub extensions: Extensions,
}

/// Data API families keep per script, by family name (see [`Extensions::get`]).
#[derive(Default)]
pub struct Extensions(
    pub ferrite_collections::SortedMap<&'static str, alloc::boxed::Box<dyn core::any::Any>>,
);

impl Extensions {
    /// Family `name`'s data, created with `T::default()` on first use (`None` if `name` holds
    /// another type).
    pub fn get<T: Default + 'static>(&mut self, name: &'static str) -> Option<&mut T> {
        self.0
            .get_or_insert_with(name, || alloc::boxed::Box::new(T::default()))
            .downcast_mut::<T>()
    }
}

impl core::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl ScriptState {
    pub fn new(id: u32) -> ScriptState {
        ScriptState {
            id,
            next_handle: 1,
            ..Default::default()
        }
    }

    /// A fresh handle (never 0, never reused while the script runs).
    pub fn new_handle(&mut self) -> u32 {
        let h = self.next_handle;
        self.next_handle = self.next_handle.wrapping_add(1).max(1);
        h
    }

    /// How many listeners of `kind`'s family the script holds.
    pub fn count(&self, family: &str) -> usize {
        self.listeners
            .iter()
            .filter(|l| l.kind.family() == family)
            .count()
    }

    /// Add a listener unless `limit` listeners of its family exist; returns its handle.
    pub fn add_listener(
        &mut self,
        kind: ListenerKind,
        callback: u32,
        userdata: u32,
        this: u32,
        limit: usize,
    ) -> Result<u32, String> {
        let family = kind.family();
        if self.count(family) >= limit {
            return Err(alloc::format!(
                "too many {family}: a script may have at most {limit}"
            ));
        }
        let handle = self.new_handle();
        self.listeners.push(Listener {
            handle,
            kind,
            callback,
            userdata,
            this,
        });
        Ok(handle)
    }

    /// Remove the listener with `handle` if `pred` accepts it; its pins go to the unpin queue.
    pub fn remove_listener(&mut self, handle: u32, pred: impl Fn(&ListenerKind) -> bool) -> bool {
        let Some(i) = self
            .listeners
            .iter()
            .position(|l| l.handle == handle && pred(&l.kind))
        else {
            return false;
        };
        let l = self.listeners.remove(i);
        self.release_pins(&l);
        true
    }

    /// Take the listener with `handle` out without releasing its pins (the caller passes them
    /// on, e.g. to a one-shot job's release list).
    pub fn take_listener(&mut self, handle: u32) -> Option<Listener> {
        let i = self.listeners.iter().position(|l| l.handle == handle)?;
        Some(self.listeners.remove(i))
    }

    /// Queue the pins of a removed listener for release, and cancel its queued calls (they
    /// would otherwise run a released — and possibly reused — pin).
    pub fn release_pins(&mut self, l: &Listener) {
        if l.callback != NO_PIN {
            self.jobs
                .retain(|j| !matches!(j.kind, JobKind::Call { func, .. } if func == l.callback));
        }
        for p in [l.callback, l.userdata, l.this] {
            if p != NO_PIN {
                self.unpin_queue.push(p);
            }
        }
    }

    /// Queue a job (dropped and counted if the queue is full).
    pub fn push_job(&mut self, job: Job, limit: usize) -> bool {
        if self.jobs.len() >= limit {
            self.dropped_jobs += 1;
            // The job's one-shot pins would never be released otherwise.
            self.unpin_queue.extend(job.release.iter().copied());
            return false;
        }
        self.jobs.push_back(job);
        true
    }

    /// Queue a call of every listener of exactly `kind` with (a copy of) `args`.
    pub fn call_all(&mut self, kind: &ListenerKind, args: &[Arg], limit: usize) {
        let ls: Vec<Listener> = self
            .listeners
            .iter()
            .filter(|l| l.kind == *kind)
            .cloned()
            .collect();
        for l in ls {
            self.call_listener(&l, args.to_vec(), limit, false);
        }
    }

    /// Queue a call of listener `l`'s callback with `args` then its user data.
    pub fn call_listener(&mut self, l: &Listener, mut args: Vec<Arg>, limit: usize, once: bool) {
        if l.callback == NO_PIN {
            return;
        }
        if l.userdata != NO_PIN {
            args.push(Arg::Pinned(l.userdata));
        } else {
            args.push(Arg::Undefined);
        }
        let this = if l.this != NO_PIN {
            Arg::Pinned(l.this)
        } else {
            Arg::Undefined
        };
        let release = if once {
            [l.callback, l.userdata, l.this]
                .into_iter()
                .filter(|p| *p != NO_PIN)
                .collect()
        } else {
            Vec::new()
        };
        self.push_job(
            Job {
                kind: JobKind::Call {
                    func: l.callback,
                    this,
                    args,
                },
                release,
            },
            limit,
        );
    }
}
