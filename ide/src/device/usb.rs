//! The WebUSB CDC-ACM driver's page side: reads the interface description public/device-io.js
//! takes from the USB device as `ferrite_ide_core::device::cdc_acm` types, lets the core pick
//! interfaces and endpoints, and hands back the plan and the setup transfers (line coding, DTR
//! and RTS) as JSON for the glue to execute. The plan is kept for splitting writes.

use std::cell::RefCell;
use std::rc::Rc;

use ferrite_ide_core::device::cdc_acm::{
    self, CdcAcmPlan, ControlTransfer, LineCoding, UsbInterfaceInfo,
};
use serde_json::{json, Value};

/// Largest bulk OUT transfer the page sends at once.
pub const MAX_OUT_TRANSFER: usize = 16 * 1024;

/// A control transfer as WebUSB's `controlTransferOut` takes it.
pub fn transfer_json(t: &ControlTransfer) -> Value {
    json!({
        "request_type": t.request_type,
        "recipient": t.recipient,
        "request": t.request,
        "value": t.value,
        "index": t.index,
        "data": t.data,
    })
}

/// The driver state shared between the glue's `usbPlan` callback and the client.
#[derive(Clone, Default)]
pub struct UsbDriver(Rc<RefCell<Option<CdcAcmPlan>>>);

impl UsbDriver {
    /// Answer the glue: `{control_interface, data_interface, in_endpoint, out_endpoint, in_len,
    /// setup: [transfers]}` or `{error}`.
    // Not inlined: the device client and the flasher's port share one copy.
    #[inline(never)]
    pub fn plan(&self, interfaces_json: &str, baud: u32) -> String {
        let list: Vec<UsbInterfaceInfo> = match serde_json::from_str(interfaces_json) {
            Ok(l) => l,
            Err(e) => {
                return json!({"error": format!("unreadable USB descriptors: {e}")}).to_string()
            }
        };
        let plan = match cdc_acm::find_cdc_acm(&list) {
            Ok(p) => p,
            Err(e) => return json!({"error": format!("not a USB serial device: {e}")}).to_string(),
        };
        let coding = LineCoding::new(baud);
        let setup = [
            cdc_acm::set_line_coding(&plan, &coding),
            cdc_acm::set_control_line_state(&plan, true, false),
        ];
        let answer = json!({
            "interfaces": plan.interfaces_to_claim(),
            "in_endpoint": plan.in_endpoint,
            "out_endpoint": plan.out_endpoint,
            "in_len": cdc_acm::in_transfer_len(plan.in_packet_size),
            "setup": setup.iter().map(transfer_json).collect::<Vec<_>>(),
        });
        *self.0.borrow_mut() = Some(plan);
        answer.to_string()
    }

    /// A write split into bulk OUT transfers (with a zero-length packet where needed).
    #[inline(never)]
    pub fn out_transfers(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        match &*self.0.borrow() {
            Some(plan) => cdc_acm::out_transfers(bytes, plan.out_packet_size, MAX_OUT_TRANSFER),
            None => Vec::new(),
        }
    }

    /// The SET_CONTROL_LINE_STATE transfer for DTR/RTS (JSON), once a plan exists.
    pub fn signals(&self, dtr: bool, rts: bool) -> Option<String> {
        self.0
            .borrow()
            .as_ref()
            .map(|plan| transfer_json(&cdc_acm::set_control_line_state(plan, dtr, rts)).to_string())
    }

    /// The SET_LINE_CODING transfer for `baud` (JSON), once a plan exists.
    pub fn line_coding(&self, baud: u32) -> Option<String> {
        self.0.borrow().as_ref().map(|plan| {
            transfer_json(&cdc_acm::set_line_coding(plan, &LineCoding::new(baud))).to_string()
        })
    }
}
