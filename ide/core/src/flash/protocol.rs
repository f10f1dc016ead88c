//! The messages between the Flash page and the flash worker (`ide/flash-worker`).
//!
//! Every `postMessage`, either way, is a JS object `{json: string, bytes?: Uint8Array}`: `json`
//! is one of the enums below serialized with `serde_json` (tagged by `"type"`), `bytes` a binary
//! payload travelling beside it (transferred, never base64): the file to flash, what the port
//! read, what to write to the port. [`Posted`] is that pair on the Rust side.
//!
//! This module has no dependency on the flasher, so the page (built without the `flash` feature)
//! uses the same types. It must never grow fields whose meaning depends on the flasher's types:
//! flash parameters travel as esptool's names (`"dio"`, `"40m"`) and sizes in bytes.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// A message with its optional byte payload (the `bytes` of the posted object).
#[derive(Clone, Debug, PartialEq)]
pub struct Posted<M> {
    pub msg: M,
    pub bytes: Option<Vec<u8>>,
}

impl<M> Posted<M> {
    pub fn new(msg: M) -> Posted<M> {
        Posted { msg, bytes: None }
    }
    pub fn with_bytes(msg: M, bytes: Vec<u8>) -> Posted<M> {
        Posted {
            msg,
            bytes: Some(bytes),
        }
    }
}

/// What to do after writing: the wire form (`"hard-reset"`, `"no-reset"`) of
/// `ferrite_flasher::After` (the CLI's `--after`), kept here because this module must not
/// depend on the flasher; the names are the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum After {
    /// Pulse EN so the chip runs the new firmware (the port goes back to 115200 baud).
    #[default]
    HardReset,
    /// Leave the chip in the loader.
    NoReset,
}

/// The image header's flash parameters to set (esptool's `--flash-mode/--flash-freq/--flash-size`);
/// `None` keeps what the image says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashParamsMsg {
    /// `"qio"`, `"qout"`, `"dio"`, `"dout"`.
    #[serde(default)]
    pub mode: Option<String>,
    /// esptool's names: `"80m"`, `"40m"`, `"26m"`, `"20m"` (and the chip-specific ones).
    #[serde(default)]
    pub freq: Option<String>,
    /// The flash size in bytes (a power of two from 1 MiB); also the size writes are checked
    /// against instead of the detected one.
    #[serde(default)]
    pub size: Option<u32>,
}

/// Flash a file (the `bytes` of the message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashRequest {
    /// For messages only (which file failed).
    #[serde(default)]
    pub file_name: String,
    /// Where a raw `.bin` goes (required for raw files; an app image defaults to 0x10000, a
    /// merged image and an ELF ignore it).
    #[serde(default)]
    pub offset: Option<u32>,
    /// The rate the page opened the port at (9600 to 5000000; anything else fails the job).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// Switch to this rate after connecting (the job falls back to `baud` if the chip refuses;
    /// 9600 to 5000000, anything else fails the job).
    #[serde(default)]
    pub target_baud: Option<u32>,
    #[serde(default)]
    pub params: FlashParamsMsg,
    #[serde(default)]
    pub after: After,
    /// USB vendor and product id of the port, when known: Espressif's USB-Serial-JTAG
    /// (0x303A:0x1001) is reset into the loader with its own sequence first.
    #[serde(default)]
    pub usb_id: Option<(u16, u16)>,
    /// The port has DTR/RTS lines the worker may drive (`lines` messages); false for a bridge
    /// or a board without auto-reset (then the person puts it into download mode).
    #[serde(default = "yes")]
    pub resets: bool,
    /// Erase the whole flash before writing.
    #[serde(default)]
    pub erase_all: bool,
}

fn default_baud() -> u32 {
    115_200
}

fn yes() -> bool {
    true
}

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToFlashWorker {
    /// Start a flash job; `bytes` = the file. Refused with a `note` while a job runs (the
    /// running job goes on). Bad parameters (an unknown mode, a baud rate of 0 …) end the new
    /// job at once with `failed`.
    Flash(FlashRequest),
    /// `bytes` = what the port read.
    Rx,
    /// Stop the running job: nothing more is sent; it ends with `failed` + `cancelled: true`.
    Cancel,
    /// What is this file? `bytes` = the file; answered by `identified`.
    Identify {
        #[serde(default)]
        file_name: String,
    },
}

/// Per-stage progress of a job. `done`/`total` count bytes to write over all segments;
/// `stage_done`/`stage_total` count the current stage's own units (see [`ProgressMsg`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgressMsg {
    /// `"connect"`, `"stub"`, `"erase"`, `"compare"`, `"write"`, `"verify"`, `"reset"`.
    pub stage: String,
    /// Bytes written so far over all segments.
    pub done: u64,
    /// Bytes to write over all segments: each segment counts its full length until it has
    /// been compared with the flash, then only the bytes that differ. 0 before the plan exists
    /// (during `connect` and `stub`).
    pub total: u64,
    /// Bytes written per second over the last seconds of writing, rounded (0 while unknown).
    pub rate: u64,
    /// Time left for the writing, from `rate` (`null` while unknown).
    pub eta_ms: Option<u64>,
    /// The segment being worked on (`"bootloader"`, `"partition table"`, `"app"`, `"image"`),
    /// `null` before the plan exists.
    pub segment: Option<String>,
    /// 0-based index of that segment, and how many there are (0 before the plan exists).
    pub segment_index: u32,
    pub segments: u32,
    /// The stage's own counter: stub bytes uploaded, blocks compared, bytes of this segment
    /// written, ranges verified.
    pub stage_done: u64,
    pub stage_total: u64,
}

/// The chip that answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChipMsg {
    /// Espressif's name, e.g. `"ESP32-C3"`.
    pub chip: String,
    /// `"aa:bb:cc:dd:ee:ff"`, `null` when it could not be read.
    pub mac: Option<String>,
    /// Bytes of flash in use (detected, given in the params, or the 4 MiB default).
    pub flash_size: u32,
    /// The flasher stub runs.
    pub stub: bool,
    /// The rate the job talks at now.
    pub baud: u32,
}

/// How a job ended well. Every written range was verified by MD5 (always on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneMsg {
    /// 4 KiB blocks written (they differed), over all segments.
    pub written: u32,
    /// 4 KiB blocks that already held the image and were skipped.
    pub unchanged: u32,
    /// Bytes of the image that were written (the differing blocks).
    pub bytes_written: u64,
    /// Bytes put on the wire by the whole job (connect, stub, compare, write, verify).
    pub bytes_sent: u64,
    /// Wall time of the job.
    pub ms: u64,
    pub verified: bool,
    /// The chip was reset into its firmware by the job (the port is at 115200 baud again).
    /// `false` with `after: "no-reset"`, and when the request had `resets: false`: then nothing
    /// could pulse EN, the chip is still in the loader until someone presses RESET, and the
    /// page must not assume a booted firmware (the job still set the port to 115200 and said
    /// so in a note).
    pub reset: bool,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromFlashWorker {
    /// The worker loaded and takes messages.
    Ready,
    /// Write `bytes` to the port.
    Tx,
    /// Switch the port to this rate now (after everything posted before was written).
    Baud {
        baud: u32,
    },
    /// Set these modem lines now (`null`: leave as is). Carry out in order; never delay.
    Lines {
        dtr: Option<bool>,
        rts: Option<bool>,
    },
    Progress(ProgressMsg),
    /// A line for the person (what happens, a fallback taken, a hint).
    Note {
        text: String,
    },
    Chip(ChipMsg),
    Done(DoneMsg),
    /// The job ended without success; `error` says what failed where. `cancelled` when the page
    /// asked for it (`error` is then `"cancelled"`).
    Failed {
        error: String,
        #[serde(default)]
        cancelled: bool,
    },
    /// The answer to `identify`: `kind` is `"elf"`, `"app"`, `"merged"` or `"raw"`; `chip` the
    /// chip named in an image header (`null` for ELF/raw or an unknown id); `size` in bytes.
    Identified {
        file_name: String,
        kind: String,
        chip: Option<String>,
        size: u64,
    },
}

impl ToFlashWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn from_json(text: &str) -> Result<ToFlashWorker, String> {
        serde_json::from_str(text)
            .map_err(|e| alloc::format!("bad message to the flash worker: {e}"))
    }
}

impl FromFlashWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn from_json(text: &str) -> Result<FromFlashWorker, String> {
        serde_json::from_str(text)
            .map_err(|e| alloc::format!("bad message from the flash worker: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_request_reads_the_designs_json() {
        let m = ToFlashWorker::from_json(
            r#"{"type":"flash","file_name":"app.bin","offset":65536,"baud":115200,
                "target_baud":460800,"params":{"mode":"dio","freq":null,"size":4194304},
                "after":"no-reset","usb_id":[12346,4097],"resets":false,"erase_all":true}"#,
        )
        .unwrap();
        let ToFlashWorker::Flash(r) = m else {
            panic!("not a flash request: {m:?}")
        };
        assert_eq!(r.offset, Some(0x10000));
        assert_eq!(r.target_baud, Some(460_800));
        assert_eq!(r.params.mode.as_deref(), Some("dio"));
        assert_eq!(r.params.size, Some(4 << 20));
        assert_eq!(r.after, After::NoReset);
        assert_eq!(r.usb_id, Some((0x303A, 0x1001)));
        assert!(!r.resets && r.erase_all);
    }

    #[test]
    fn a_minimal_flash_request_takes_the_defaults() {
        let m = ToFlashWorker::from_json(r#"{"type":"flash"}"#).unwrap();
        let ToFlashWorker::Flash(r) = m else {
            panic!("not a flash request: {m:?}")
        };
        assert_eq!(r.baud, 115_200);
        assert_eq!(r.after, After::HardReset);
        assert!(r.resets && !r.erase_all && r.offset.is_none());
    }

    #[test]
    fn simple_messages_are_tagged_by_type() {
        assert_eq!(
            ToFlashWorker::from_json(r#"{"type":"rx"}"#).unwrap(),
            ToFlashWorker::Rx
        );
        assert_eq!(
            ToFlashWorker::from_json(r#"{"type":"cancel"}"#).unwrap(),
            ToFlashWorker::Cancel
        );
        assert_eq!(FromFlashWorker::Ready.to_json(), r#"{"type":"ready"}"#);
        assert_eq!(FromFlashWorker::Tx.to_json(), r#"{"type":"tx"}"#);
        assert_eq!(
            FromFlashWorker::Lines {
                dtr: Some(false),
                rts: None
            }
            .to_json(),
            r#"{"type":"lines","dtr":false,"rts":null}"#
        );
        let failed = FromFlashWorker::from_json(r#"{"type":"failed","error":"x"}"#).unwrap();
        assert_eq!(
            failed,
            FromFlashWorker::Failed {
                error: "x".into(),
                cancelled: false
            }
        );
    }

    #[test]
    fn progress_and_done_round_trip() {
        let p = FromFlashWorker::Progress(ProgressMsg {
            stage: "write".into(),
            done: 4096,
            total: 8192,
            rate: 2048,
            eta_ms: Some(2000),
            segment: Some("app".into()),
            segment_index: 0,
            segments: 1,
            stage_done: 4096,
            stage_total: 8192,
        });
        let text = p.to_json();
        assert!(text.starts_with(r#"{"type":"progress","stage":"write","done":4096"#));
        assert_eq!(FromFlashWorker::from_json(&text).unwrap(), p);
        let d = FromFlashWorker::Done(DoneMsg {
            written: 2,
            unchanged: 70,
            bytes_written: 8192,
            bytes_sent: 12_000,
            ms: 900,
            verified: true,
            reset: true,
        });
        assert_eq!(FromFlashWorker::from_json(&d.to_json()).unwrap(), d);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(ToFlashWorker::from_json("{").is_err());
        assert!(ToFlashWorker::from_json(r#"{"type":"format_disk"}"#).is_err());
        assert!(ToFlashWorker::from_json(r#"{"type":"flash","baud":"fast"}"#).is_err());
    }
}
