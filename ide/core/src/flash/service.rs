//! The flash worker's state, sans-IO: at most one [`FlashJob`], driven by the page's
//! [`ToFlashWorker`] messages; what the page must see comes out of [`FlashService::poll`].
//! The worker shell (`ide/flash-worker`) only moves messages and keeps the timer.
//!
//! Must never: run two jobs at once (a `flash` while one runs is refused with a note), or
//! answer a message it cannot read with anything but a note.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::job::{FlashJob, Message};
use super::protocol::{FromFlashWorker, Posted, ToFlashWorker};

/// What `identify` says about a file.
pub fn identify(file_name: String, bytes: &[u8]) -> FromFlashWorker {
    let kind = ferrite_esp_image::identify(bytes);
    FromFlashWorker::Identified {
        file_name,
        kind: kind.name().into(),
        chip: kind.chip().map(|c| c.name().into()),
        size: bytes.len() as u64,
    }
}

/// The worker's state.
#[derive(Debug, Default)]
pub struct FlashService {
    job: Option<FlashJob>,
    out: VecDeque<Message>,
}

impl FlashService {
    pub fn new() -> FlashService {
        FlashService::default()
    }

    /// A message from the page: `json` and the `bytes` beside it.
    pub fn handle_json(&mut self, json: &str, bytes: Option<Vec<u8>>, now: u64) {
        match ToFlashWorker::from_json(json) {
            Ok(msg) => self.handle(msg, bytes, now),
            Err(text) => self.note(text),
        }
    }

    fn note(&mut self, text: String) {
        self.out
            .push_back(Posted::new(FromFlashWorker::Note { text }));
    }

    fn running(&self) -> bool {
        self.job.as_ref().is_some_and(|j| !j.ended())
    }

    pub fn handle(&mut self, msg: ToFlashWorker, bytes: Option<Vec<u8>>, now: u64) {
        match msg {
            ToFlashWorker::Flash(request) => {
                if self.running() {
                    self.note(format!(
                        "a flash job runs already: cancel it before flashing {}",
                        request.file_name
                    ));
                    return;
                }
                self.flush_job(now);
                self.job = Some(FlashJob::new(request, bytes.unwrap_or_default(), now));
            }
            ToFlashWorker::Rx => {
                if let (Some(job), Some(b)) = (self.job.as_mut(), bytes) {
                    job.feed(&b, now);
                }
            }
            ToFlashWorker::Cancel => {
                if let Some(job) = self.job.as_mut() {
                    job.cancel(now);
                }
            }
            ToFlashWorker::Identify { file_name } => {
                let answer = identify(file_name, bytes.as_deref().unwrap_or_default());
                self.out.push_back(Posted::new(answer));
            }
        }
    }

    /// Move what the ended job still has to say into our queue, so a new job can replace it.
    fn flush_job(&mut self, now: u64) {
        if let Some(job) = self.job.as_mut() {
            while let Some(m) = job.poll(now) {
                self.out.push_back(m);
            }
        }
    }

    /// The next message for the page; also fires the job's timeouts that passed by `now`.
    pub fn poll(&mut self, now: u64) -> Option<Message> {
        if let Some(m) = self.out.pop_front() {
            return Some(m);
        }
        let job = self.job.as_mut()?;
        let m = job.poll(now);
        if m.is_none() && job.ended() {
            self.job = None;
        }
        m
    }

    /// When [`FlashService::poll`] must be called even without a message (`None`: only then).
    pub fn deadline(&self) -> Option<u64> {
        if !self.out.is_empty() {
            return Some(0);
        }
        self.job.as_ref().and_then(FlashJob::deadline)
    }
}
