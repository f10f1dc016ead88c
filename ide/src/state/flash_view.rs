//! What the Flash page shows and sends, as plain structs: the port kind and settings the user
//! chose (remembered), the bundled-firmware manifest, the request for the flash worker, the
//! worker's messages read from their JSON, and the texts of progress and result. Nothing here
//! talks to a port, a worker or the browser; the controller (`controller::flash`) drives these.
//!
//! The worker's messages are read leniently (outside input): an unknown type or a missing field
//! is an `Unknown` message or a default, never a panic.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::device_view::{ConnectionKind, UsbIds};

/// The baud rate the ROM loader talks at first (and the firmware's console after a reset).
pub const START_BAUD: u32 = 115_200;
/// Baud rates the page offers to switch to once the chip answered.
pub const BAUDS: [u32; 4] = [115_200, 230_400, 460_800, 921_600];
pub const DEFAULT_BAUD: u32 = 460_800;
/// Notes the page keeps (the oldest go first).
pub const NOTES_MAX: usize = 200;
/// Where the bundled firmware's manifest is, relative to the page.
pub const MANIFEST_URL: &str = "firmware/index.json";
/// Offsets above this are refused (16 MiB: the largest flash of the chips we flash).
const MAX_OFFSET: u32 = 16 * 1024 * 1024;

/// How the page reaches the chip's serial line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashPort {
    Serial,
    Usb,
    Bridge,
}

impl FlashPort {
    pub const ALL: [FlashPort; 3] = [FlashPort::Serial, FlashPort::Usb, FlashPort::Bridge];

    /// The option's text in the "Flash connection" select (the UI contract's).
    pub fn label(self) -> &'static str {
        match self {
            FlashPort::Serial => "Serial",
            FlashPort::Usb => "USB",
            FlashPort::Bridge => "Bridge",
        }
    }

    pub fn from_label(label: &str) -> Option<FlashPort> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    /// The transport's name in public/device-io.js.
    pub fn io_kind(self) -> &'static str {
        self.device_kind().io_kind()
    }

    /// The Device tab's connection of the same kind (its console after flashing).
    pub fn device_kind(self) -> ConnectionKind {
        match self {
            FlashPort::Serial => ConnectionKind::WebSerial,
            FlashPort::Usb => ConnectionKind::WebUsb,
            FlashPort::Bridge => ConnectionKind::SerialBridge,
        }
    }
}

/// The Flash page's remembered choices (localStorage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlashSettings {
    pub port: FlashPort,
    #[serde(default = "default_bridge_url")]
    pub bridge_url: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// The port or USB device used last time (serial kinds).
    #[serde(default)]
    pub remembered: Option<UsbIds>,
    #[serde(default = "yes")]
    pub reset: bool,
    /// Not remembered: erasing everything is asked for each time.
    #[serde(skip)]
    pub erase_all: bool,
    #[serde(skip)]
    pub params: FlashParams,
}

fn default_bridge_url() -> String {
    ConnectionKind::SerialBridge.default_address().to_string()
}

fn default_baud() -> u32 {
    DEFAULT_BAUD
}

fn yes() -> bool {
    true
}

impl Default for FlashSettings {
    fn default() -> Self {
        FlashSettings {
            port: FlashPort::Serial,
            bridge_url: default_bridge_url(),
            baud: DEFAULT_BAUD,
            remembered: None,
            reset: true,
            erase_all: false,
            params: FlashParams::default(),
        }
    }
}

/// Flash mode, frequency and size for the image header: `None` keeps the image's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlashParams {
    pub mode: Option<&'static str>,
    pub freq: Option<&'static str>,
    /// Bytes.
    pub size: Option<u32>,
}

/// The choices of the flash parameter selects (`"keep"` first, then the values sent).
pub const FLASH_MODES: [&str; 4] = ["qio", "qout", "dio", "dout"];
pub const FLASH_FREQS: [&str; 4] = ["80m", "40m", "26m", "20m"];
pub const FLASH_SIZES_MB: [u32; 5] = [1, 2, 4, 8, 16];

/// An offset typed by the user: hex (`0x10000`) or decimal; empty = none.
pub fn parse_offset(text: &str) -> Result<Option<u32>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse::<u32>().ok(),
    };
    match parsed {
        Some(n) if n < MAX_OFFSET => Ok(Some(n)),
        _ => Err(format!(
            "\"{t}\" is not a flash offset (hex like 0x10000, below 16 MB)"
        )),
    }
}

/// One image of the bundled firmware (`firmware/index.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct BundledImage {
    pub chip: String,
    pub name: String,
    pub version: String,
    /// Relative to the manifest's folder.
    pub file: String,
    /// "merged" (written at 0) or "app".
    pub kind: String,
}

impl BundledImage {
    /// The option's text: "Ferrite 0.3.0 for ESP32-C3".
    pub fn label(&self) -> String {
        format!("{} {} for {}", self.name, self.version, self.chip)
    }

    /// The image's URL relative to the page.
    pub fn url(&self) -> String {
        format!("firmware/{}", self.file)
    }
}

/// The images a manifest lists (entries without a file name are skipped).
pub fn parse_manifest(text: &str) -> Result<Vec<BundledImage>, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable firmware manifest: {e}"))?;
    let list = v
        .get("images")
        .and_then(Value::as_array)
        .ok_or("the firmware manifest lists no images")?;
    Ok(list
        .iter()
        .filter_map(|i| {
            let s = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let file = s("file");
            // A file name only: nothing outside the firmware folder.
            let safe = !file.is_empty() && !file.contains("..") && !file.starts_with('/');
            safe.then(|| BundledImage {
                chip: s("chip"),
                name: s("name"),
                version: s("version"),
                kind: s("kind"),
                file,
            })
        })
        .collect())
}

/// The bundled firmware of this build.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Bundled {
    /// Not asked for yet, or the manifest is on its way.
    #[default]
    Loading,
    /// This build has none (or its manifest is unreadable: the reason).
    Missing(String),
    Images(Vec<BundledImage>),
}

/// What the user flashes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// The bundled image with this index.
    Bundled(usize),
    #[default]
    File,
}

/// The user's file (its bytes stay with the controller).
#[derive(Clone, Debug, PartialEq)]
pub struct ChosenFile {
    pub name: String,
    pub size: u64,
    /// The worker's answer to `identify` (`None` until it came).
    pub facts: Option<FileFacts>,
}

impl ChosenFile {
    /// An offset applies: raw and app images (by the worker's answer; before it, by the name).
    pub fn takes_offset(&self) -> bool {
        match &self.facts {
            Some(f) => f.takes_offset(),
            None => !self.name.to_ascii_lowercase().ends_with(".elf"),
        }
    }
}

/// What the flash worker found a file to be (its `identified` answer).
#[derive(Clone, Debug, PartialEq)]
pub struct FileFacts {
    /// The file it is about.
    pub file_name: String,
    /// "elf" | "app" | "merged" | "raw".
    pub kind: String,
    pub chip: Option<String>,
    pub size: u64,
}

impl FileFacts {
    /// The kind in words: "ESP32-C3 app image".
    pub fn describe(&self) -> String {
        let what = match self.kind.as_str() {
            "elf" => "ELF program",
            "app" => "app image",
            "merged" => "merged image (bootloader, partition table, app)",
            _ => "raw binary",
        };
        match &self.chip {
            Some(c) => format!("{c} {what}, {}", size_text(self.size as f64)),
            None => format!("{what}, {}", size_text(self.size as f64)),
        }
    }

    /// The file needs an offset from the user (a raw binary has no place of its own).
    pub fn needs_offset(&self) -> bool {
        self.kind == "raw"
    }

    /// The file may be given an offset (all but an ELF, which is laid out by its partition
    /// table, and a merged image, which starts at 0).
    pub fn takes_offset(&self) -> bool {
        self.kind == "raw" || self.kind == "app"
    }
}

/// The facts of the chip that answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChipFacts {
    pub chip: String,
    pub mac: String,
    pub flash_size: Option<u64>,
    pub stub: bool,
}

/// A progress report of the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Bytes per second.
    pub rate: f64,
    pub eta_ms: Option<f64>,
    pub segment: String,
    pub segment_index: u32,
    pub segments: u32,
    /// The stage's own counter (stub bytes, blocks compared, bytes of the segment, ranges
    /// verified).
    pub stage_done: u64,
    pub stage_total: u64,
}

impl Progress {
    /// The stage in words: "Writing app (1 of 3)", "Comparing 12/74 blocks".
    pub fn stage_text(&self) -> String {
        let of = |what: &str| {
            if self.segments > 1 {
                format!(
                    "{what} {} ({} of {})",
                    self.segment,
                    self.segment_index + 1,
                    self.segments
                )
            } else if self.segment.is_empty() {
                what.to_string()
            } else {
                format!("{what} {}", self.segment)
            }
        };
        match self.stage.as_str() {
            "connect" => "Connecting to the chip".into(),
            "stub" => "Starting the flasher stub".into(),
            "erase" => "Erasing the flash".into(),
            "compare" if self.stage_total > 0 => format!(
                "{} {}/{} blocks",
                of("Comparing"),
                self.stage_done,
                self.stage_total
            ),
            "compare" => of("Comparing"),
            "write" => of("Writing"),
            "verify" => of("Verifying"),
            "reset" => "Resetting the chip".into(),
            other => other.to_string(),
        }
    }

    /// 0–100.
    pub fn percent(&self) -> u32 {
        if self.total == 0 {
            return 0;
        }
        (self.done.min(self.total) * 100 / self.total) as u32
    }

    /// "123.4 kB of 300.0 kB · 45.6 kB/s · 3 s left" (rate and time left when known).
    pub fn text(&self) -> String {
        let mut t = format!(
            "{} of {}",
            size_text(self.done as f64),
            size_text(self.total as f64)
        );
        if self.rate > 0.0 {
            t.push_str(&format!(" · {}/s", size_text(self.rate)));
        }
        if let Some(ms) = self.eta_ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
            t.push_str(&format!(" · {} left", duration_text(ms)));
        }
        t
    }
}

/// Bytes in kB with one decimal (1 kB = 1000 bytes), MB from 1 MB on.
pub fn size_text(bytes: f64) -> String {
    if bytes >= 1_000_000.0 {
        format!("{:.1} MB", bytes / 1_000_000.0)
    } else {
        format!("{:.1} kB", bytes / 1000.0)
    }
}

/// "3 s", "1 min 5 s".
pub fn duration_text(ms: f64) -> String {
    let s = (ms / 1000.0).ceil() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// A finished flash (the worker's `done`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Blocks written and blocks found unchanged.
    pub written: u64,
    pub unchanged: u64,
    pub bytes_sent: u64,
    pub ms: f64,
    pub verified: bool,
    /// The chip was reset into its firmware.
    pub reset: bool,
    /// What the page adds to the result (the port closed while resetting, press RESET…).
    pub remark: Option<String>,
}

impl Outcome {
    /// "Verified (MD5): 12 blocks written, 3 unchanged".
    pub fn text(&self) -> String {
        let head = if self.verified {
            "Verified (MD5)"
        } else {
            "Written (not verified)"
        };
        let mut text = format!(
            "{head}: {} blocks written, {} unchanged",
            self.written, self.unchanged
        );
        if let Some(remark) = &self.remark {
            text.push_str("; ");
            text.push_str(remark);
        }
        text
    }

    /// "4.2 s, 123.4 kB sent".
    pub fn detail(&self) -> String {
        format!(
            "{:.1} s, {} sent",
            self.ms / 1000.0,
            size_text(self.bytes_sent as f64)
        )
    }
}

/// A message of the flash worker (`{json, bytes}`: `bytes` is the payload of `tx`).
#[derive(Clone, Debug, PartialEq)]
pub enum FromFlashWorker {
    Ready,
    /// Bytes to write to the port.
    Tx(Vec<u8>),
    /// Switch the port to this baud rate now.
    Baud(u32),
    /// Set these modem lines now (`None`: leave it).
    Lines {
        dtr: Option<bool>,
        rts: Option<bool>,
    },
    Progress(Progress),
    Note(String),
    Chip(ChipFacts),
    Identified(FileFacts),
    Done(Outcome),
    Failed(String),
    /// A type this page does not know (a newer worker): ignored.
    Unknown(String),
}

impl FromFlashWorker {
    /// Read a message from its JSON (and the bytes that came with it).
    pub fn parse(json: &str, bytes: Option<Vec<u8>>) -> Result<FromFlashWorker, String> {
        let v: Value =
            serde_json::from_str(json).map_err(|e| format!("unreadable message: {e}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let n = |k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(0.0);
        let u = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
        let b = |k: &str| v.get(k).and_then(Value::as_bool);
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        Ok(match kind {
            "ready" => FromFlashWorker::Ready,
            "tx" => FromFlashWorker::Tx(bytes.unwrap_or_default()),
            "baud" => match v.get("baud").and_then(Value::as_u64) {
                Some(baud) if baud > 0 => FromFlashWorker::Baud(baud.min(u32::MAX as u64) as u32),
                _ => return Err("a baud message without a baud rate".into()),
            },
            "lines" => FromFlashWorker::Lines {
                dtr: b("dtr"),
                rts: b("rts"),
            },
            "progress" => FromFlashWorker::Progress(Progress {
                stage: s("stage"),
                done: u("done"),
                total: u("total"),
                rate: n("rate"),
                eta_ms: v.get("eta_ms").and_then(Value::as_f64),
                segment: s("segment"),
                segment_index: u("segment_index") as u32,
                segments: u("segments") as u32,
                stage_done: u("stage_done"),
                stage_total: u("stage_total"),
            }),
            "note" => FromFlashWorker::Note(s("text")),
            "chip" => FromFlashWorker::Chip(ChipFacts {
                chip: s("chip"),
                mac: s("mac"),
                flash_size: v.get("flash_size").and_then(Value::as_u64),
                stub: b("stub").unwrap_or(false),
            }),
            "identified" => FromFlashWorker::Identified(FileFacts {
                file_name: s("file_name"),
                kind: s("kind"),
                chip: v.get("chip").and_then(Value::as_str).map(str::to_string),
                size: u("size"),
            }),
            "done" => FromFlashWorker::Done(Outcome {
                written: u("written"),
                unchanged: u("unchanged"),
                bytes_sent: u("bytes_sent"),
                ms: n("ms"),
                verified: b("verified").unwrap_or(false),
                reset: b("reset").unwrap_or(false),
                remark: None,
            }),
            "failed" => FromFlashWorker::Failed(match s("error") {
                e if e.is_empty() => "the flash failed (no reason given)".into(),
                e => e,
            }),
            other => FromFlashWorker::Unknown(other.to_string()),
        })
    }
}

/// What one flash asks of the worker (its `flash` message; the file goes as the bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct FlashRequest {
    pub file_name: String,
    pub offset: Option<u32>,
    /// The rate to switch to once the chip answered (`None`: stay at [`START_BAUD`]).
    pub target_baud: Option<u32>,
    pub params: FlashParams,
    pub reset_after: bool,
    pub usb_id: Option<UsbIds>,
    /// Drive DTR/RTS to reset into the loader (a port without modem lines ignores them).
    pub resets: bool,
    pub erase_all: bool,
}

impl FlashRequest {
    pub fn to_json(&self) -> String {
        json!({
            "type": "flash",
            "file_name": self.file_name,
            "offset": self.offset,
            "baud": START_BAUD,
            "target_baud": self.target_baud,
            "params": {
                "mode": self.params.mode,
                "freq": self.params.freq,
                "size": self.params.size,
            },
            "after": if self.reset_after { "hard-reset" } else { "no-reset" },
            "usb_id": self.usb_id.map(|i| [i.vendor, i.product]),
            "resets": self.resets,
            "erase_all": self.erase_all,
        })
        .to_string()
    }
}

/// The `cancel` message.
pub const CANCEL_JSON: &str = r#"{"type":"cancel"}"#;
/// The `rx` message (its bytes: what the port read).
pub const RX_JSON: &str = r#"{"type":"rx"}"#;

/// The `identify` message for a file the user chose.
pub fn identify_json(file_name: &str) -> String {
    json!({"type": "identify", "file_name": file_name}).to_string()
}

/// DTR/RTS as last set: a `lines` message may name only one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    pub dtr: bool,
    pub rts: bool,
}

impl Default for Lines {
    /// What a freshly opened port drives (the Device tab's default too).
    fn default() -> Self {
        Lines {
            dtr: true,
            rts: false,
        }
    }
}

impl Lines {
    /// Apply a `lines` message; the line it leaves out keeps its value.
    pub fn apply(&mut self, dtr: Option<bool>, rts: Option<bool>) -> Lines {
        if let Some(d) = dtr {
            self.dtr = d;
        }
        if let Some(r) = rts {
            self.rts = r;
        }
        *self
    }
}

/// Where a flash is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    #[default]
    Idle,
    /// Waiting for the port (and the worker).
    Connecting,
    Running,
    Cancelling,
    Done(Outcome),
    Failed(String),
    /// The page refused to start (a missing file, a bad offset): why.
    NotStarted(String),
}

impl Phase {
    /// A flash is under way (Flash is disabled, Cancel shown).
    pub fn busy(&self) -> bool {
        matches!(self, Phase::Connecting | Phase::Running | Phase::Cancelling)
    }

    /// The result line: the outcome or the error ("" before the first flash and while one runs).
    pub fn result_text(&self) -> String {
        match self {
            Phase::Done(o) => o.text(),
            Phase::Failed(e) => format!("Failed: {e}"),
            Phase::NotStarted(why) => why.clone(),
            _ => String::new(),
        }
    }
}

/// What the page shows of the flash under way or the last one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlashView {
    pub phase: Phase,
    pub stage: String,
    pub progress: Option<Progress>,
    pub chip: Option<ChipFacts>,
}

impl FlashView {
    /// A new flash starts: what the last one showed goes.
    pub fn start(&mut self) {
        *self = FlashView {
            phase: Phase::Connecting,
            stage: "Opening the port".into(),
            ..FlashView::default()
        };
    }

    /// Fold a worker message in (the ones that change what is shown).
    pub fn apply(&mut self, m: &FromFlashWorker) {
        match m {
            FromFlashWorker::Progress(p) => {
                if self.phase == Phase::Connecting {
                    self.phase = Phase::Running;
                }
                if !p.stage.is_empty() {
                    self.stage = p.stage_text();
                }
                self.progress = Some(p.clone());
            }
            FromFlashWorker::Chip(c) => self.chip = Some(c.clone()),
            FromFlashWorker::Done(o) => {
                self.stage = "Done".into();
                self.phase = Phase::Done(o.clone());
            }
            FromFlashWorker::Failed(e) => {
                self.stage = "Stopped".into();
                self.phase = Phase::Failed(e.clone());
            }
            _ => {}
        }
    }
}

/// Everything the Flash page shows but the notes, in one value: one signal for the page (the
/// page's wasm pays per signal type, and the page has few elements to update).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlashPage {
    pub settings: FlashSettings,
    pub bundled: Bundled,
    pub source: Source,
    pub file: Option<ChosenFile>,
    /// The offset field as typed.
    pub offset_text: String,
    pub view: FlashView,
}

/// The notes log (bounded).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notes {
    lines: std::collections::VecDeque<(u64, String)>,
    next: u64,
}

impl Notes {
    pub fn push(&mut self, text: impl Into<String>) {
        self.next += 1;
        self.lines.push_back((self.next, text.into()));
        while self.lines.len() > NOTES_MAX {
            self.lines.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
    }

    pub fn lines(&self) -> Vec<(u64, String)> {
        self.lines.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_hex_and_decimal_and_refuse_nonsense() {
        assert_eq!(parse_offset("0x10000"), Ok(Some(0x10000)));
        assert_eq!(parse_offset(" 65536 "), Ok(Some(65536)));
        assert_eq!(parse_offset(""), Ok(None));
        assert!(parse_offset("0x").is_err());
        assert!(parse_offset("ten").is_err());
        assert!(parse_offset("0x1000000").is_err());
    }

    #[test]
    fn outcome_reads_with_the_pages_remark() {
        let mut o = Outcome {
            written: 3,
            unchanged: 71,
            verified: true,
            ..Outcome::default()
        };
        assert_eq!(o.text(), "Verified (MD5): 3 blocks written, 71 unchanged");
        o.remark = Some("press the board's RESET button".into());
        assert_eq!(
            o.text(),
            "Verified (MD5): 3 blocks written, 71 unchanged; press the board's RESET button"
        );
    }

    #[test]
    fn progress_reads_as_bytes_rate_and_time_left() {
        let p = Progress {
            done: 123_400,
            total: 300_000,
            rate: 45_600.0,
            eta_ms: Some(2_100.0),
            ..Progress::default()
        };
        assert_eq!(p.text(), "123.4 kB of 300.0 kB · 45.6 kB/s · 3 s left");
        assert_eq!(p.percent(), 41);
        let early = Progress {
            total: 2_500_000,
            ..Progress::default()
        };
        assert_eq!(early.text(), "0.0 kB of 2.5 MB");
        assert_eq!(early.percent(), 0);
        assert_eq!(Progress::default().percent(), 0);
        assert_eq!(duration_text(65_000.0), "1 min 5 s");
    }

    #[test]
    fn worker_messages_are_read_leniently() {
        let m = FromFlashWorker::parse(
            r#"{"type":"progress","stage":"Writing","done":10,"total":20,"rate":5.5,"eta_ms":null,"segment":"app","segment_index":0,"segments":1}"#,
            None,
        )
        .unwrap();
        let FromFlashWorker::Progress(p) = m else {
            panic!("not progress: {m:?}")
        };
        assert_eq!((p.done, p.total, p.eta_ms), (10, 20, None));
        assert_eq!(
            FromFlashWorker::parse(r#"{"type":"tx"}"#, Some(vec![0xc0])).unwrap(),
            FromFlashWorker::Tx(vec![0xc0])
        );
        assert_eq!(
            FromFlashWorker::parse(r#"{"type":"lines","dtr":false,"rts":null}"#, None).unwrap(),
            FromFlashWorker::Lines {
                dtr: Some(false),
                rts: None
            }
        );
        assert_eq!(
            FromFlashWorker::parse(r#"{"type":"failed"}"#, None).unwrap(),
            FromFlashWorker::Failed("the flash failed (no reason given)".into())
        );
        assert!(matches!(
            FromFlashWorker::parse(r#"{"type":"later"}"#, None).unwrap(),
            FromFlashWorker::Unknown(_)
        ));
        assert!(FromFlashWorker::parse(r#"{"type":"baud"}"#, None).is_err());
        assert!(FromFlashWorker::parse("not json", None).is_err());
        let done = FromFlashWorker::parse(
            r#"{"type":"done","written":12,"unchanged":3,"bytes_sent":9000,"ms":4200,"verified":true,"reset":true}"#,
            None,
        )
        .unwrap();
        let mut view = FlashView::default();
        view.start();
        view.apply(&done);
        assert_eq!(
            view.phase.result_text(),
            "Verified (MD5): 12 blocks written, 3 unchanged"
        );
        assert!(!view.phase.busy());
    }

    #[test]
    fn lines_keep_the_line_a_message_leaves_out() {
        let mut l = Lines::default();
        assert_eq!(
            l.apply(Some(false), Some(true)),
            Lines {
                dtr: false,
                rts: true
            }
        );
        assert_eq!(
            l.apply(None, Some(false)),
            Lines {
                dtr: false,
                rts: false
            }
        );
        assert_eq!(
            l.apply(Some(true), None),
            Lines {
                dtr: true,
                rts: false
            }
        );
    }

    #[test]
    fn the_request_carries_every_choice() {
        let r = FlashRequest {
            file_name: "app.bin".into(),
            offset: Some(0x10000),
            target_baud: Some(460_800),
            params: FlashParams {
                mode: Some("dio"),
                freq: None,
                size: Some(4 << 20),
            },
            reset_after: true,
            usb_id: Some(UsbIds {
                vendor: 0x303a,
                product: 0x1001,
            }),
            resets: true,
            erase_all: false,
        };
        let v: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["type"], "flash");
        assert_eq!(v["offset"], 0x10000);
        assert_eq!(v["baud"], START_BAUD);
        assert_eq!(v["target_baud"], 460_800);
        assert_eq!(v["params"]["mode"], "dio");
        assert!(v["params"]["freq"].is_null());
        assert_eq!(v["params"]["size"], 4 << 20);
        assert_eq!(v["after"], "hard-reset");
        assert_eq!(v["usb_id"], json!([0x303a, 0x1001]));
    }

    #[test]
    fn manifests_list_images_and_refuse_paths_outside() {
        let list = parse_manifest(
            r#"{"images":[{"chip":"ESP32-C3","name":"Ferrite","version":"0.3.0","file":"ferrite-esp32c3.bin","kind":"merged"},{"file":"../x.bin"},{"chip":"X"}]}"#,
        )
        .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].label(), "Ferrite 0.3.0 for ESP32-C3");
        assert_eq!(list[0].url(), "firmware/ferrite-esp32c3.bin");
        assert!(parse_manifest("{}").is_err());
        assert!(parse_manifest("<html>").is_err());
    }

    /// The page reads and writes the protocol without linking its serde types (the page's wasm
    /// has a size budget): these check both ends agree on every message.
    #[test]
    fn the_page_speaks_the_workers_protocol() {
        use ferrite_ide_core::flash::protocol as p;
        let request = FlashRequest {
            file_name: "fw.bin".into(),
            offset: None,
            target_baud: None,
            params: FlashParams {
                mode: None,
                freq: Some("40m"),
                size: None,
            },
            reset_after: false,
            usb_id: None,
            resets: true,
            erase_all: true,
        };
        let parsed = p::ToFlashWorker::from_json(&request.to_json()).unwrap();
        let p::ToFlashWorker::Flash(r) = parsed else {
            panic!("not a flash request: {parsed:?}")
        };
        assert_eq!(r.file_name, "fw.bin");
        assert_eq!(r.offset, None);
        assert_eq!(r.baud, START_BAUD);
        assert_eq!(r.after, p::After::NoReset);
        assert!(r.erase_all && r.resets);
        assert!(matches!(
            p::ToFlashWorker::from_json(&identify_json("x.elf")).unwrap(),
            p::ToFlashWorker::Identify { .. }
        ));
        assert_eq!(
            p::ToFlashWorker::from_json(CANCEL_JSON).unwrap(),
            p::ToFlashWorker::Cancel
        );
        assert_eq!(
            p::ToFlashWorker::from_json(RX_JSON).unwrap(),
            p::ToFlashWorker::Rx
        );

        let read = |m: p::FromFlashWorker| FromFlashWorker::parse(&m.to_json(), None).unwrap();
        assert_eq!(read(p::FromFlashWorker::Ready), FromFlashWorker::Ready);
        assert_eq!(
            read(p::FromFlashWorker::Baud { baud: 460_800 }),
            FromFlashWorker::Baud(460_800)
        );
        assert_eq!(
            read(p::FromFlashWorker::Lines {
                dtr: None,
                rts: Some(true)
            }),
            FromFlashWorker::Lines {
                dtr: None,
                rts: Some(true)
            }
        );
        let progress = read(p::FromFlashWorker::Progress(p::ProgressMsg {
            stage: "compare".into(),
            done: 0,
            total: 303_104,
            rate: 0,
            eta_ms: None,
            segment: Some("app".into()),
            segment_index: 0,
            segments: 1,
            stage_done: 12,
            stage_total: 74,
        }));
        let FromFlashWorker::Progress(pr) = progress else {
            panic!("not progress: {progress:?}")
        };
        assert_eq!(pr.stage_text(), "Comparing app 12/74 blocks");
        let chip = read(p::FromFlashWorker::Chip(p::ChipMsg {
            chip: "ESP32-C3".into(),
            mac: None,
            flash_size: 4 << 20,
            stub: true,
            baud: 460_800,
        }));
        assert_eq!(
            chip,
            FromFlashWorker::Chip(ChipFacts {
                chip: "ESP32-C3".into(),
                mac: String::new(),
                flash_size: Some(4 << 20),
                stub: true,
            })
        );
        let done = read(p::FromFlashWorker::Done(p::DoneMsg {
            written: 0,
            unchanged: 74,
            bytes_written: 0,
            bytes_sent: 4000,
            ms: 900,
            verified: true,
            reset: true,
        }));
        let FromFlashWorker::Done(o) = done else {
            panic!("not done: {done:?}")
        };
        assert_eq!(o.text(), "Verified (MD5): 0 blocks written, 74 unchanged");
        assert!(o.reset);
        assert_eq!(
            read(p::FromFlashWorker::Failed {
                error: "cancelled".into(),
                cancelled: true
            }),
            FromFlashWorker::Failed("cancelled".into())
        );
        assert_eq!(
            read(p::FromFlashWorker::Identified {
                file_name: "a.bin".into(),
                kind: "app".into(),
                chip: Some("ESP32-C3".into()),
                size: 1000,
            }),
            FromFlashWorker::Identified(FileFacts {
                file_name: "a.bin".into(),
                kind: "app".into(),
                chip: Some("ESP32-C3".into()),
                size: 1000,
            })
        );
        assert_eq!(
            read(p::FromFlashWorker::Note { text: "hi".into() }),
            FromFlashWorker::Note("hi".into())
        );
    }

    #[test]
    fn settings_tolerate_missing_fields() {
        let s: FlashSettings = serde_json::from_str(r#"{"port":"bridge"}"#).unwrap();
        assert_eq!(s.port, FlashPort::Bridge);
        assert_eq!(s.baud, DEFAULT_BAUD);
        assert!(s.reset);
        assert_eq!(s.bridge_url, "ws://127.0.0.1:8765");
        for p in FlashPort::ALL {
            assert_eq!(FlashPort::from_label(p.label()), Some(p));
        }
    }
}
