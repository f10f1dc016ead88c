//! The logic of a USB CDC-ACM serial driver over WebUSB (for browsers without WebSerial, such
//! as Chrome on Android), in the spirit of npm `web-serial-polyfill`: which interfaces and
//! endpoints to claim, the class requests of the CDC PSTN subclass (SET_LINE_CODING,
//! GET_LINE_CODING, SET_CONTROL_LINE_STATE) as WebUSB control transfer parameters, and how to
//! cut writes into bulk transfers (with the zero-length packet rule).
//!
//! It never talks to USB itself: the page's glue claims the interfaces, runs the transfers this
//! module describes and feeds the results back.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// USB class code of a Communications (CDC control) interface.
pub const CLASS_COMM: u8 = 0x02;
/// Subclass of the Abstract Control Model.
pub const SUBCLASS_ACM: u8 = 0x02;
/// USB class code of a CDC Data interface.
pub const CLASS_DATA: u8 = 0x0A;
/// Vendor-specific class.
pub const CLASS_VENDOR: u8 = 0xFF;

/// CDC PSTN class requests (USB CDC PSTN 1.2, §6.3).
pub const SET_LINE_CODING: u8 = 0x20;
pub const GET_LINE_CODING: u8 = 0x21;
pub const SET_CONTROL_LINE_STATE: u8 = 0x22;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsbDirection {
    In,
    Out,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsbEndpointKind {
    Bulk,
    Interrupt,
    Isochronous,
    Control,
}

/// An endpoint as WebUSB's `USBEndpoint` describes it (`number`, `direction`, `type`,
/// `packetSize`; both spellings of the last two are accepted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbEndpointInfo {
    pub number: u8,
    pub direction: UsbDirection,
    #[serde(alias = "type")]
    pub kind: UsbEndpointKind,
    #[serde(alias = "packetSize")]
    pub packet_size: u16,
}

/// An interface (its current alternate) as WebUSB describes it (`interfaceNumber`,
/// `interfaceClass`, `interfaceSubclass`, `interfaceProtocol` are accepted too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbInterfaceInfo {
    #[serde(alias = "interfaceNumber")]
    pub number: u8,
    #[serde(alias = "interfaceClass")]
    pub class: u8,
    #[serde(alias = "interfaceSubclass")]
    pub subclass: u8,
    #[serde(alias = "interfaceProtocol", default)]
    pub protocol: u8,
    #[serde(default)]
    pub endpoints: Vec<UsbEndpointInfo>,
}

/// What to claim and use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdcAcmPlan {
    /// The interface class requests go to (`wIndex`); the same as `data_interface` for a
    /// device without a separate communications interface.
    pub control_interface: u8,
    pub data_interface: u8,
    /// Bulk endpoint numbers (without the direction bit, as WebUSB's `transferIn/Out` take).
    pub in_endpoint: u8,
    pub out_endpoint: u8,
    pub in_packet_size: u16,
    pub out_packet_size: u16,
}

impl CdcAcmPlan {
    /// The interfaces to claim, control first (one when they are the same).
    pub fn interfaces_to_claim(&self) -> Vec<u8> {
        if self.control_interface == self.data_interface {
            alloc::vec![self.data_interface]
        } else {
            alloc::vec![self.control_interface, self.data_interface]
        }
    }
}

/// Why the driver cannot use a device or a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdcAcmError {
    /// The device reported no interfaces.
    NoInterfaces,
    /// No CDC-ACM communications interface and no single interface with bulk IN and OUT.
    /// `found`: the interfaces seen, for the message.
    NoSerialInterface { found: String },
    /// A CDC-ACM communications interface without a data interface with bulk IN and OUT.
    NoDataInterface { control: u8 },
    /// Several interfaces with bulk IN and OUT and no CDC-ACM to choose by.
    Ambiguous { candidates: Vec<u8> },
    /// A line coding reply that is not 7 bytes.
    LineCodingLength { len: usize },
    /// A line coding field out of range.
    LineCodingField { field: &'static str, value: u32 },
}

impl core::fmt::Display for CdcAcmError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CdcAcmError::NoInterfaces => f.write_str("the USB device has no interfaces"),
            CdcAcmError::NoSerialInterface { found } => write!(
                f,
                "the USB device has no CDC-ACM serial interface (no communications interface \
                 of class 0x02 subclass 0x02, and no interface with bulk IN and OUT endpoints); \
                 it has: {found}"
            ),
            CdcAcmError::NoDataInterface { control } => write!(
                f,
                "the CDC-ACM interface {control} has no data interface (class 0x0A) with bulk IN \
                 and OUT endpoints"
            ),
            CdcAcmError::Ambiguous { candidates } => write!(
                f,
                "the USB device is not CDC-ACM and has several interfaces with bulk endpoints \
                 ({candidates:?}): which one is the serial port is unknown"
            ),
            CdcAcmError::LineCodingLength { len } => {
                write!(f, "a line coding is 7 bytes, the device sent {len}")
            }
            CdcAcmError::LineCodingField { field, value } => {
                write!(f, "line coding: {field} {value} is not valid")
            }
        }
    }
}

/// The bulk IN and OUT endpoints of an interface: (in number, in packet size, out number, out
/// packet size).
fn bulk_pair(i: &UsbInterfaceInfo) -> Option<(u8, u16, u8, u16)> {
    let bulk = |d: UsbDirection| {
        i.endpoints
            .iter()
            .find(|e| e.kind == UsbEndpointKind::Bulk && e.direction == d)
    };
    let (inp, out) = (bulk(UsbDirection::In)?, bulk(UsbDirection::Out)?);
    Some((inp.number, inp.packet_size, out.number, out.packet_size))
}

fn plan(control: u8, data: &UsbInterfaceInfo) -> Option<CdcAcmPlan> {
    let (in_endpoint, in_packet_size, out_endpoint, out_packet_size) = bulk_pair(data)?;
    Some(CdcAcmPlan {
        control_interface: control,
        data_interface: data.number,
        in_endpoint,
        out_endpoint,
        in_packet_size,
        out_packet_size,
    })
}

/// Choose the interfaces and endpoints of the serial port:
/// 1. a CDC-ACM communications interface (class 0x02, subclass 0x02) and its data interface
///    (class 0x0A with bulk IN and OUT; the one numbered right after it, else the first);
/// 2. else the only interface with bulk IN and OUT (a data-class or vendor interface that
///    speaks the same class requests, or none at all).
pub fn find_cdc_acm(interfaces: &[UsbInterfaceInfo]) -> Result<CdcAcmPlan, CdcAcmError> {
    if interfaces.is_empty() {
        return Err(CdcAcmError::NoInterfaces);
    }
    let data_ifaces = || {
        interfaces
            .iter()
            .filter(|i| i.class == CLASS_DATA && bulk_pair(i).is_some())
    };
    if let Some(comm) = interfaces
        .iter()
        .find(|i| i.class == CLASS_COMM && i.subclass == SUBCLASS_ACM)
    {
        let data = data_ifaces()
            .find(|i| Some(i.number) == comm.number.checked_add(1))
            .or_else(|| data_ifaces().next())
            .ok_or(CdcAcmError::NoDataInterface {
                control: comm.number,
            })?;
        return plan(comm.number, data).ok_or(CdcAcmError::NoDataInterface {
            control: comm.number,
        });
    }
    let candidates: Vec<&UsbInterfaceInfo> = interfaces
        .iter()
        .filter(|i| bulk_pair(i).is_some())
        .collect();
    match candidates.as_slice() {
        [only] => plan(only.number, only).ok_or(CdcAcmError::NoInterfaces),
        [] => Err(CdcAcmError::NoSerialInterface {
            found: interfaces
                .iter()
                .map(|i| {
                    format!(
                        "interface {} class 0x{:02x} subclass 0x{:02x}",
                        i.number, i.class, i.subclass
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        }),
        many => Err(CdcAcmError::Ambiguous {
            candidates: many.iter().map(|i| i.number).collect(),
        }),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopBits {
    One,
    OnePointFive,
    Two,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parity {
    None,
    Odd,
    Even,
    Mark,
    Space,
}

/// The serial line's settings (CDC PSTN `LineCoding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCoding {
    pub baud: u32,
    pub stop_bits: StopBits,
    pub parity: Parity,
    /// 5, 6, 7, 8 or 16.
    pub data_bits: u8,
}

impl LineCoding {
    /// `baud` 8N1.
    pub fn new(baud: u32) -> LineCoding {
        LineCoding {
            baud,
            stop_bits: StopBits::One,
            parity: Parity::None,
            data_bits: 8,
        }
    }

    /// The 7-byte body: dwDTERate (LE), bCharFormat, bParityType, bDataBits.
    pub fn to_bytes(&self) -> [u8; 7] {
        let b = self.baud.to_le_bytes();
        let stop = match self.stop_bits {
            StopBits::One => 0,
            StopBits::OnePointFive => 1,
            StopBits::Two => 2,
        };
        let parity = match self.parity {
            Parity::None => 0,
            Parity::Odd => 1,
            Parity::Even => 2,
            Parity::Mark => 3,
            Parity::Space => 4,
        };
        [b[0], b[1], b[2], b[3], stop, parity, self.data_bits]
    }
}

/// A control transfer as WebUSB's `USBControlTransferParameters` takes it (`requestType`,
/// `recipient`, `request`, `value`, `index`), plus its direction, the OUT data and the IN
/// length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlTransfer {
    /// Always `"class"`.
    pub request_type: &'static str,
    /// Always `"interface"`.
    pub recipient: &'static str,
    pub request: u8,
    pub value: u16,
    /// The communications interface number.
    pub index: u16,
    /// `controlTransferOut` (with `data`) or `controlTransferIn` (of `length` bytes).
    pub direction: UsbDirection,
    pub data: Vec<u8>,
    pub length: u16,
}

impl ControlTransfer {
    /// The 8-byte SETUP packet (bmRequestType, bRequest, wValue, wIndex, wLength), as it
    /// goes on the wire.
    pub fn setup_packet(&self) -> [u8; 8] {
        // Class request (bits 6..5 = 01) to an interface (bits 4..0 = 00001).
        let dir = match self.direction {
            UsbDirection::Out => 0x00,
            UsbDirection::In => 0x80,
        };
        let v = self.value.to_le_bytes();
        let i = self.index.to_le_bytes();
        let l = self.length.to_le_bytes();
        [dir | 0x21, self.request, v[0], v[1], i[0], i[1], l[0], l[1]]
    }
}

fn class_request(
    plan: &CdcAcmPlan,
    request: u8,
    value: u16,
    direction: UsbDirection,
    data: Vec<u8>,
    length: u16,
) -> ControlTransfer {
    ControlTransfer {
        request_type: "class",
        recipient: "interface",
        request,
        value,
        index: u16::from(plan.control_interface),
        direction,
        data,
        length,
    }
}

/// SET_LINE_CODING (0x20) with the 7-byte body.
pub fn set_line_coding(plan: &CdcAcmPlan, coding: &LineCoding) -> ControlTransfer {
    let body = coding.to_bytes().to_vec();
    class_request(plan, SET_LINE_CODING, 0, UsbDirection::Out, body, 7)
}

/// SET_CONTROL_LINE_STATE (0x22): `wValue` bit 0 DTR, bit 1 RTS; no data.
pub fn set_control_line_state(plan: &CdcAcmPlan, dtr: bool, rts: bool) -> ControlTransfer {
    let value = u16::from(dtr) | (u16::from(rts) << 1);
    class_request(
        plan,
        SET_CONTROL_LINE_STATE,
        value,
        UsbDirection::Out,
        Vec::new(),
        0,
    )
}

/// GET_LINE_CODING (0x21): an IN transfer of 7 bytes (read with [`parse_line_coding`]).
pub fn get_line_coding(plan: &CdcAcmPlan) -> ControlTransfer {
    class_request(plan, GET_LINE_CODING, 0, UsbDirection::In, Vec::new(), 7)
}

/// Read a GET_LINE_CODING reply.
pub fn parse_line_coding(bytes: &[u8]) -> Result<LineCoding, CdcAcmError> {
    let [b0, b1, b2, b3, stop, parity, data_bits] = *bytes else {
        return Err(CdcAcmError::LineCodingLength { len: bytes.len() });
    };
    let stop_bits = match stop {
        0 => StopBits::One,
        1 => StopBits::OnePointFive,
        2 => StopBits::Two,
        v => {
            return Err(CdcAcmError::LineCodingField {
                field: "bCharFormat",
                value: u32::from(v),
            })
        }
    };
    let parity = match parity {
        0 => Parity::None,
        1 => Parity::Odd,
        2 => Parity::Even,
        3 => Parity::Mark,
        4 => Parity::Space,
        v => {
            return Err(CdcAcmError::LineCodingField {
                field: "bParityType",
                value: u32::from(v),
            })
        }
    };
    if !matches!(data_bits, 5..=8 | 16) {
        return Err(CdcAcmError::LineCodingField {
            field: "bDataBits",
            value: u32::from(data_bits),
        });
    }
    Ok(LineCoding {
        baud: u32::from_le_bytes([b0, b1, b2, b3]),
        stop_bits,
        parity,
        data_bits,
    })
}

/// Cut a write into bulk OUT transfers of at most `max_transfer` bytes (a whole number of
/// packets when `max_transfer` holds at least one), with an empty transfer after the last
/// when it ends on a packet boundary (a zero-length packet: the device sees where the write
/// ends). Nothing for no data.
pub fn out_transfers(data: &[u8], packet_size: u16, max_transfer: usize) -> Vec<Vec<u8>> {
    let packet = usize::from(packet_size.max(1));
    let max = max_transfer.max(1);
    let chunk = if max >= packet {
        max - max % packet
    } else {
        max
    };
    let mut out: Vec<Vec<u8>> = data.chunks(chunk).map(<[u8]>::to_vec).collect();
    if let Some(last) = out.last() {
        if last.len() % packet == 0 {
            out.push(Vec::new());
        }
    }
    out
}

/// Packets per bulk IN transfer.
pub const IN_PACKETS: u32 = 64;

/// The length to ask for in each bulk IN transfer: [`IN_PACKETS`] packets.
pub fn in_transfer_len(packet_size: u16) -> u32 {
    u32::from(packet_size.max(8)) * IN_PACKETS
}
