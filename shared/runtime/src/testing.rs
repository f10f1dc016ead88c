//! Helpers of the crate's unit tests: a runtime on a simulated board running one script.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use crate::board::{Board, BoardEvent, Clock, Gpio, I2c, Storage, System, Uart};
use crate::json::json;
use crate::rpc::{Origin, RpcReply};
use crate::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use crate::{Runtime, RuntimeConfig};

/// The RPC succeeded at once.
pub fn ok(r: RpcReply) {
    match r {
        RpcReply::Done(Ok(_)) => {}
        RpcReply::Done(Err(e)) => panic!("rpc failed: {e}"),
        RpcReply::Pending(_) => panic!("rpc pending"),
    }
}

/// Poll until the runtime has nothing to do (at most 200 rounds).
pub fn run(rt: &mut Runtime) {
    for _ in 0..200 {
        if !rt.poll().busy {
            break;
        }
    }
}

/// The text of every device log line.
pub fn log_lines(rt: &Runtime) -> Vec<String> {
    let dev = rt.device();
    let d = dev.borrow();
    d.log.since(0).map(|l| l.text.clone()).collect()
}

/// A simulated board with a virtual clock, no storage space and no parts.
pub fn bare_board() -> SimBoard {
    SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(0)),
        Box::new(SimSystem::new(1, [0; 6])),
    )
}

/// Boot `board` with `config`, run `code` as script 1 until it is idle.
pub fn start_script(board: SimBoard, config: RuntimeConfig, code: &str) -> Runtime {
    start_script_on(Box::new(board), config, code)
}

/// [`start_script`] on a board of any kind.
pub fn start_script_on(board: Box<dyn Board>, config: RuntimeConfig, code: &str) -> Runtime {
    let mut rt = Runtime::new(board, config);
    rt.boot();
    ok(rt.rpc("Script.Create", json!({"name": "t"}), Origin::Transport));
    ok(rt.rpc(
        "Script.PutCode",
        json!({"id": 1, "code": code}),
        Origin::Transport,
    ));
    ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
    run(&mut rt);
    rt
}

/// The simulator's system, counting watchdog feeds and, when `heap_free` is set, reporting that
/// many bytes free in one fixed heap (as a chip does).
pub struct ProbeSystem {
    inner: SimSystem,
    pub feeds: Rc<Cell<u32>>,
    pub heap_free: Option<Rc<Cell<usize>>>,
    /// `System::heap_free_probe`.
    pub probe: Option<fn() -> usize>,
}

impl Default for ProbeSystem {
    fn default() -> Self {
        ProbeSystem::new()
    }
}

impl ProbeSystem {
    pub fn new() -> ProbeSystem {
        ProbeSystem {
            inner: SimSystem::new(1, [0; 6]),
            feeds: Rc::new(Cell::new(0)),
            heap_free: None,
            probe: None,
        }
    }

    /// On a chip with one fixed heap, of which `free` bytes are free.
    pub fn with_heap(free: Rc<Cell<usize>>) -> ProbeSystem {
        ProbeSystem {
            heap_free: Some(free),
            ..ProbeSystem::new()
        }
    }
}

impl System for ProbeSystem {
    fn random(&mut self, buf: &mut [u8]) {
        self.inner.random(buf)
    }
    fn feed_watchdog(&mut self) {
        self.feeds.set(self.feeds.get() + 1);
    }
    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        self.inner.crash_marker()
    }
    fn set_crash_marker(&mut self, marker: &[u8]) {
        self.inner.set_crash_marker(marker)
    }
    fn mac(&self) -> [u8; 6] {
        self.inner.mac()
    }
    fn heap_free(&self) -> Option<usize> {
        self.heap_free.as_ref().map(|f| f.get())
    }
    fn heap_free_probe(&self) -> Option<fn() -> usize> {
        self.probe
    }
}

/// The simulated board with a test's own I2C controller or UART in place of the simulator's
/// (one that records what scripts ask, refuses, or fills up).
pub struct BoardWith {
    pub sim: SimBoard,
    pub i2c: Option<Box<dyn I2c>>,
    pub uart: Option<Box<dyn Uart>>,
}

impl Board for BoardWith {
    fn clock(&self) -> &dyn Clock {
        self.sim.clock()
    }
    fn storage(&mut self) -> &mut dyn Storage {
        self.sim.storage()
    }
    fn system(&mut self) -> &mut dyn System {
        self.sim.system()
    }
    fn gpio(&mut self) -> Option<&mut dyn Gpio> {
        self.sim.gpio()
    }
    fn i2c(&mut self) -> Option<&mut dyn I2c> {
        match &mut self.i2c {
            Some(i2c) => Some(i2c.as_mut()),
            None => self.sim.i2c(),
        }
    }
    fn uart(&mut self) -> Option<&mut dyn Uart> {
        match &mut self.uart {
            Some(uart) => Some(uart.as_mut()),
            None => self.sim.uart(),
        }
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        self.sim.poll_event()
    }
}
