//! The simulator's HTTP backend: answers a script's requests from the project's mocks (the
//! mock with the longest `url` prefix of the request URL wins; none: the request fails) and
//! records every request for the traffic log. It never opens a real connection.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_runtime::board::{
    BoardEvent, BoardResult, Clock, HttpClient, HttpRequest, HttpResponse,
};
use ferrite_runtime::sim::NetBackend;

use crate::protocol::{HttpMock, Traffic};

/// The mocks and what was asked, shared between the backend (owned by the board) and the
/// simulator.
#[derive(Default)]
pub struct MockState {
    pub mocks: Vec<HttpMock>,
    /// Requests since the simulator last took them.
    pub traffic: Vec<Traffic>,
    answers: VecDeque<BoardEvent>,
    next_id: u32,
}

/// Most traffic entries kept between two takes (the oldest are dropped).
const KEEP_TRAFFIC: usize = 256;

impl MockState {
    pub fn new(mocks: Vec<HttpMock>) -> MockState {
        MockState {
            mocks,
            ..Default::default()
        }
    }

    /// The mock answering `url`: the longest matching prefix.
    pub fn lookup(&self, url: &str) -> Option<&HttpMock> {
        self.mocks
            .iter()
            .filter(|m| url.starts_with(m.url.as_str()))
            .max_by_key(|m| m.url.len())
    }
}

/// The [`NetBackend`] plugged under the MQTT loopback.
pub struct MockHttp {
    state: Rc<RefCell<MockState>>,
    clock: Box<dyn Clock>,
}

impl MockHttp {
    pub fn new(state: Rc<RefCell<MockState>>, clock: Box<dyn Clock>) -> MockHttp {
        MockHttp { state, clock }
    }
}

impl HttpClient for MockHttp {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
        let mut s = self.state.borrow_mut();
        s.next_id = s.next_id.wrapping_add(1);
        let id = s.next_id;
        let result = match s.lookup(&request.url) {
            Some(m) => {
                let mut headers = Vec::new();
                if !m.content_type.is_empty() {
                    headers.push((String::from("Content-Type"), m.content_type.clone()));
                }
                Ok(HttpResponse {
                    code: m.status,
                    message: String::from(reason(m.status)),
                    headers,
                    body: m.body.clone().into_bytes(),
                })
            }
            None => Err(alloc::format!(
                "no HTTP mock matches {} (add one in the project's HTTP mocks)",
                request.url
            )),
        };
        let status = result.as_ref().map_or(0, |r| r.code);
        if s.traffic.len() >= KEEP_TRAFFIC {
            s.traffic.remove(0);
        }
        let ts_ms = self.clock.now_ms();
        s.traffic.push(Traffic::Http {
            ts_ms,
            method: request.method.clone(),
            url: request.url.clone(),
            status,
        });
        s.answers.push_back(BoardEvent::HttpDone { id, result });
        Ok(id)
    }
}

impl NetBackend for MockHttp {
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        Some(self)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        self.state.borrow_mut().answers.pop_front()
    }
    fn has_pending_events(&self) -> bool {
        !self.state.borrow().answers.is_empty()
    }
}

/// The reason phrase of common status codes.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
