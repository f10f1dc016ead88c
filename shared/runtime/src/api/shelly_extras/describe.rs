//! The API description entries of this family (see [`crate::api::description`]).

use crate::api::description::ApiEntry;

const fn e(path: &'static str, signature: &'static str, doc: &'static str) -> ApiEntry {
    ApiEntry {
        path,
        signature,
        doc,
        family: "shelly",
    }
}

const GAP_CONST: &str = "number";

pub const DESCRIPTION: &[ApiEntry] = &[
    // ----- Virtual -----
    e("Virtual", "new () => Virtual", "A handle on a virtual component (`number:200` …). Get one with `Virtual.getHandle(key)`; `new Virtual()` throws."),
    e("Virtual.getHandle", "(key: string) => Virtual | null", "A handle on virtual component `key` (`\"number:200\"`, `\"text:201\"`, `\"boolean:…\"`, `\"enum:…\"`, `\"button:…\"`, `\"group:…\"`), or `null` if there is no such component."),
    e("Virtual.prototype.setValue", "(value: number | string | boolean) => void", "Set the value; it is applied after the current callback returns (status change with source `script`, `change` listeners). Throws for buttons and groups and for values the config does not allow."),
    e("Virtual.prototype.getValue", "() => any", "The current value; `undefined` for buttons and groups or if the component no longer exists."),
    e("Virtual.prototype.getStatus", "() => { value: any, source: string, last_update_ts: number } | undefined", "The status, as `<Type>.GetStatus`; `undefined` if the component no longer exists."),
    e("Virtual.prototype.getConfig", "() => any", "The config, as `<Type>.GetConfig`; `undefined` if the component no longer exists."),
    e("Virtual.prototype.setConfig", "(config: object) => { restart_required: boolean } | undefined", "Change the config, as `<Type>.SetConfig`; `undefined` if the component no longer exists; throws on an invalid config."),
    e("Virtual.prototype.on", "(event: string, callback: (info: { value?: any, source: string }) => void) => number", "Listen to `change` (number, text, boolean, enum, group: `info.value`, `info.source`) or, for buttons, `single_push`, `double_push`, `triple_push`, `long_push`; returns a handle for `off`."),
    e("Virtual.prototype.off", "(handle: number) => boolean | undefined", "Remove a listener added with `on`: `true` if removed, `false` if not found, `undefined` if the handle is invalid."),
    // ----- BLE -----
    e("BLE", "object", "Bluetooth: the scanner role (`BLE.Scanner`) and advertisement parsing (`BLE.GAP`)."),
    e("BLE.Scanner", "object", "Discovery of Bluetooth devices: one device-wide scan, one subscription per script. Identical results (address, advertisement and scan response) are silenced for 3 seconds."),
    e("BLE.Scanner.SCAN_START", "0", "Scan event: a scan started."),
    e("BLE.Scanner.SCAN_STOP", "1", "Scan event: the scan stopped."),
    e("BLE.Scanner.SCAN_RESULT", "2", "Scan event: an advertisement (the result object)."),
    e("BLE.Scanner.INFINITE_SCAN", "-1", "`duration_ms` of a scan that runs until stopped."),
    e("BLE.Scanner.Subscribe", "(callback: ((event: number, result: BLEScanResult | null, userdata?: any) => void) | null, userdata?: any) => void", "Receive scan events (replaces this script's previous subscription; `null` unsubscribes)."),
    e("BLE.Scanner.Start", "(options: BLEScanOptions, callback?: (event: number, result: BLEScanResult | null, userdata?: any) => void, userdata?: any) => BLEScanOptions | null", "Start a scan (defaults: `duration_ms` 30000, `active` false, `interval_ms` 320, `window_ms` 30) and optionally subscribe. `null` if a scan runs or the options break the rules: window at most a third of the interval and at most 50 ms, duration at least 3 intervals."),
    e("BLE.Scanner.Stop", "() => boolean", "Stop the scan this script started; `false` if there is none or another script started it."),
    e("BLE.Scanner.isRunning", "() => boolean", "Whether a scan runs."),
    e("BLE.Scanner.GetScanOptions", "() => BLEScanOptions", "The options of the running scan, or the defaults."),
    e("BLE.GAP", "object", "Helpers for advertisement data and scan responses (strings of bytes). UUIDs: 4 or 8 hex digits, or `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`."),
    e("BLE.GAP.ADDRESS_TYPE_PUBLIC", GAP_CONST, "0x1"),
    e("BLE.GAP.ADDRESS_TYPE_RANDOM_STATIC", GAP_CONST, "0x2"),
    e("BLE.GAP.ADDRESS_TYPE_RANDOM_NON_RESOLVABLE", GAP_CONST, "0x3"),
    e("BLE.GAP.ADDRESS_TYPE_RANDOM_RESOLVABLE", GAP_CONST, "0x4"),
    e("BLE.GAP.EIR_FLAGS", GAP_CONST, "0x1"),
    e("BLE.GAP.EIR_SERVICE_16_INCOMPLETE", GAP_CONST, "0x2"),
    e("BLE.GAP.EIR_SERVICE_16", GAP_CONST, "0x3"),
    e("BLE.GAP.EIR_SERVICE_32_INCOMPLETE", GAP_CONST, "0x4"),
    e("BLE.GAP.EIR_SERVICE_32", GAP_CONST, "0x5"),
    e("BLE.GAP.EIR_SERVICE_128_INCOMPLETE", GAP_CONST, "0x6"),
    e("BLE.GAP.EIR_SERVICE_128", GAP_CONST, "0x7"),
    e("BLE.GAP.EIR_SHORT_NAME", GAP_CONST, "0x8"),
    e("BLE.GAP.EIR_FULL_NAME", GAP_CONST, "0x9"),
    e("BLE.GAP.EIR_TX_POWER_LEVEL", GAP_CONST, "0xA"),
    e("BLE.GAP.EIR_DEVICE_ID", GAP_CONST, "0x10"),
    e("BLE.GAP.EIR_SERVICE_DATA_16", GAP_CONST, "0x16"),
    e("BLE.GAP.EIR_SERVICE_DATA_32", GAP_CONST, "0x20"),
    e("BLE.GAP.EIR_SERVICE_DATA_128", GAP_CONST, "0x21"),
    e("BLE.GAP.EIR_URL", GAP_CONST, "0x24"),
    e("BLE.GAP.EIR_MANUFACTURER_SPECIFIC_DATA", GAP_CONST, "0xff"),
    e("BLE.GAP.parseName", "(data: string) => string", "The device name (complete, else shortened) from advertisement data or a scan response; empty if none."),
    e("BLE.GAP.parseManufacturerData", "(data: string) => string", "The manufacturer-specific data; empty if none."),
    e("BLE.GAP.ParseDataByEIRType", "(data: string, type: number) => string", "The data of the first structure of EIR `type`; empty if none."),
    e("BLE.GAP.HasService", "(data: string, uuid: string) => boolean", "Whether the data lists service `uuid` (16, 32 or 128-bit)."),
    e("BLE.GAP.ParseServiceData", "(data: string, uuid: string) => string", "The service data of service `uuid`; empty if none."),
    // ----- HTTPServer -----
    e("HTTPServer", "object", "HTTP endpoints of the script at `http://<device>/script/<id>/<name>`."),
    e("HTTPServer.registerEndpoint", "(endpoint_name: string, callback: (request: HTTPServerRequest, response: HTTPServerResponse, userdata?: any) => void, userdata?: any) => string", "Register an endpoint (at most 5 per script; the same name again replaces the callback); returns `/script/<id>/<name>`. Set `response.code`, `.body`, `.headers` (`[[name, value], …]`) and call `response.send()` (false once the transaction is over). Unanswered requests get 504 after 10 s; more than 5 open transactions get 503."),
];
