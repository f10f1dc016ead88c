//! A simulator session driven by a fake wall clock, for the tests.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

use ferrite_ide_core::project::ProjectFile;
use ferrite_ide_core::protocol::{
    FromWorker, HttpMock, LogEntry, ScriptError, Snapshot, Speed, ToWorker, Traffic,
};
use ferrite_ide_core::simulator::{Simulator, Step};

pub struct Session {
    pub sim: Simulator,
    /// The fake wall clock (ms).
    pub wall: Rc<Cell<f64>>,
    /// Everything the simulator sent.
    pub out: Vec<FromWorker>,
}

pub fn files(list: &[(&str, &str)]) -> Vec<ProjectFile> {
    list.iter()
        .map(|(n, c)| ProjectFile {
            name: n.to_string(),
            code: c.to_string(),
        })
        .collect()
}

impl Session {
    /// Run `code` as `main.js` at ×1 (the tests move the fake wall clock).
    pub fn run(code: &str) -> Session {
        Session::run_project(
            files(&[("main.js", code)]),
            "main.js",
            Vec::new(),
            Speed::Realtime,
        )
    }

    pub fn run_project(
        files: Vec<ProjectFile>,
        start: &str,
        http_mocks: Vec<HttpMock>,
        speed: Speed,
    ) -> Session {
        let mut s = Session {
            sim: Simulator::new(),
            wall: Rc::new(Cell::new(1000.0)),
            out: Vec::new(),
        };
        s.send(ToWorker::Run {
            run: 1,
            files,
            start: start.into(),
            http_mocks,
            speed,
            epoch_ms: 0.0,
        });
        s
    }

    pub fn send(&mut self, msg: ToWorker) -> Vec<FromWorker> {
        let out = self.sim.handle(msg, self.wall.get());
        self.out.extend(out.iter().cloned());
        out
    }

    /// One step with the wall clock standing still (the speed's target bounds the work).
    pub fn step(&mut self) -> Step {
        let w = self.wall.get();
        let step = self.sim.step(&move || w, 1e9);
        self.out.extend(step.out.iter().cloned());
        step
    }

    /// Let `ms` of wall time pass at ×1 (steps until the device is idle at the target).
    pub fn advance(&mut self, ms: f64) {
        let end = self.wall.get() + ms;
        // Steps of at most 50 ms, as the worker would take them.
        while self.wall.get() < end {
            self.wall.set((self.wall.get() + 50.0).min(end));
            self.step();
        }
        self.step();
    }

    pub fn now(&self) -> u64 {
        self.sim.device().now_ms()
    }

    pub fn logs(&self) -> Vec<LogEntry> {
        self.out
            .iter()
            .filter_map(|m| match m {
                FromWorker::Log { lines } => Some(lines.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// What the scripts printed.
    pub fn printed(&self) -> Vec<String> {
        self.logs()
            .into_iter()
            .filter(|l| l.level == "script")
            .map(|l| l.text)
            .collect()
    }

    pub fn errors(&self) -> Vec<ScriptError> {
        self.out
            .iter()
            .filter_map(|m| match m {
                FromWorker::ScriptError { error } => Some(error.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn traffic(&self) -> Vec<Traffic> {
        self.out
            .iter()
            .filter_map(|m| match m {
                FromWorker::Traffic { entries } => Some(entries.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    pub fn last_snapshot(&self) -> Option<Snapshot> {
        self.out.iter().rev().find_map(|m| match m {
            FromWorker::State { snapshot } => Some(snapshot.clone()),
            _ => None,
        })
    }

    pub fn idles(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|m| match m {
                FromWorker::Idle { reason } => Some(reason.clone()),
                _ => None,
            })
            .collect()
    }
}
