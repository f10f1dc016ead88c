//! `BLE.GAP`: the address-type and EIR (advertising data) type constants and the helpers that
//! parse advertisement data and scan responses: `parseName`, `parseManufacturerData`,
//! `ParseDataByEIRType`, `HasService` and `ParseServiceData`. UUIDs are lowercase hexadecimal:
//! 4 digits (16-bit), 8 digits (32-bit) or `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (128-bit);
//! in the data they are little-endian.

use alloc::format;
use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

type R = Result<Value, Value>;

pub const ADDRESS_TYPE_PUBLIC: u8 = 0x1;
pub const ADDRESS_TYPE_RANDOM_STATIC: u8 = 0x2;
pub const ADDRESS_TYPE_RANDOM_NON_RESOLVABLE: u8 = 0x3;
pub const ADDRESS_TYPE_RANDOM_RESOLVABLE: u8 = 0x4;
pub const EIR_FLAGS: u8 = 0x1;
pub const EIR_SERVICE_16_INCOMPLETE: u8 = 0x2;
pub const EIR_SERVICE_16: u8 = 0x3;
pub const EIR_SERVICE_32_INCOMPLETE: u8 = 0x4;
pub const EIR_SERVICE_32: u8 = 0x5;
pub const EIR_SERVICE_128_INCOMPLETE: u8 = 0x6;
pub const EIR_SERVICE_128: u8 = 0x7;
pub const EIR_SHORT_NAME: u8 = 0x8;
pub const EIR_FULL_NAME: u8 = 0x9;
pub const EIR_TX_POWER_LEVEL: u8 = 0xA;
pub const EIR_DEVICE_ID: u8 = 0x10;
pub const EIR_SERVICE_DATA_16: u8 = 0x16;
pub const EIR_SERVICE_DATA_32: u8 = 0x20;
pub const EIR_SERVICE_DATA_128: u8 = 0x21;
pub const EIR_URL: u8 = 0x24;
pub const EIR_MANUFACTURER_SPECIFIC_DATA: u8 = 0xff;

/// The constants as `BLE.GAP` exposes them.
pub const CONSTANTS: &[(&str, u8)] = &[
    ("ADDRESS_TYPE_PUBLIC", ADDRESS_TYPE_PUBLIC),
    ("ADDRESS_TYPE_RANDOM_STATIC", ADDRESS_TYPE_RANDOM_STATIC),
    (
        "ADDRESS_TYPE_RANDOM_NON_RESOLVABLE",
        ADDRESS_TYPE_RANDOM_NON_RESOLVABLE,
    ),
    (
        "ADDRESS_TYPE_RANDOM_RESOLVABLE",
        ADDRESS_TYPE_RANDOM_RESOLVABLE,
    ),
    ("EIR_FLAGS", EIR_FLAGS),
    ("EIR_SERVICE_16_INCOMPLETE", EIR_SERVICE_16_INCOMPLETE),
    ("EIR_SERVICE_16", EIR_SERVICE_16),
    ("EIR_SERVICE_32_INCOMPLETE", EIR_SERVICE_32_INCOMPLETE),
    ("EIR_SERVICE_32", EIR_SERVICE_32),
    ("EIR_SERVICE_128_INCOMPLETE", EIR_SERVICE_128_INCOMPLETE),
    ("EIR_SERVICE_128", EIR_SERVICE_128),
    ("EIR_SHORT_NAME", EIR_SHORT_NAME),
    ("EIR_FULL_NAME", EIR_FULL_NAME),
    ("EIR_TX_POWER_LEVEL", EIR_TX_POWER_LEVEL),
    ("EIR_DEVICE_ID", EIR_DEVICE_ID),
    ("EIR_SERVICE_DATA_16", EIR_SERVICE_DATA_16),
    ("EIR_SERVICE_DATA_32", EIR_SERVICE_DATA_32),
    ("EIR_SERVICE_DATA_128", EIR_SERVICE_DATA_128),
    ("EIR_URL", EIR_URL),
    (
        "EIR_MANUFACTURER_SPECIFIC_DATA",
        EIR_MANUFACTURER_SPECIFIC_DATA,
    ),
];

/// The AD structures of `data`: `(type, payload)`, stopping at a zero length or a truncated one.
pub fn structures(data: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let len = data[i] as usize;
        if len == 0 || i + 1 + len > data.len() {
            break;
        }
        out.push((data[i + 1], &data[i + 2..i + 1 + len]));
        i += 1 + len;
    }
    out
}

/// The payload of the first structure of type `t` (empty if none).
pub fn by_type(data: &[u8], t: u8) -> &[u8] {
    structures(data)
        .into_iter()
        .find(|(ty, _)| *ty == t)
        .map_or(&[][..], |(_, p)| p)
}

/// The device name: the complete name, else the short one.
pub fn name(data: &[u8]) -> &[u8] {
    let full = by_type(data, EIR_FULL_NAME);
    if full.is_empty() {
        by_type(data, EIR_SHORT_NAME)
    } else {
        full
    }
}

/// A UUID string as it appears in advertising data (little-endian bytes).
pub fn uuid_bytes(uuid: &str) -> Option<Vec<u8>> {
    let digits: alloc::string::String = match uuid.len() {
        4 | 8 => uuid.into(),
        36 => {
            let b = uuid.as_bytes();
            if [8, 13, 18, 23].iter().any(|i| b[*i] != b'-') {
                return None;
            }
            uuid.split('-').collect()
        }
        _ => return None,
    };
    let mut bytes = crate::codec::hex_decode(&digits)?;
    bytes.reverse();
    Some(bytes)
}

/// Does `data` list service `uuid` (in the complete or incomplete list of its size)?
pub fn has_service(data: &[u8], uuid: &[u8]) -> bool {
    let types = match uuid.len() {
        2 => [EIR_SERVICE_16, EIR_SERVICE_16_INCOMPLETE],
        4 => [EIR_SERVICE_32, EIR_SERVICE_32_INCOMPLETE],
        _ => [EIR_SERVICE_128, EIR_SERVICE_128_INCOMPLETE],
    };
    structures(data)
        .into_iter()
        .filter(|(t, _)| types.contains(t))
        .any(|(_, p)| p.chunks_exact(uuid.len()).any(|c| c == uuid))
}

/// The service data of `uuid` (empty if none).
pub fn service_data<'a>(data: &'a [u8], uuid: &[u8]) -> &'a [u8] {
    let t = match uuid.len() {
        2 => EIR_SERVICE_DATA_16,
        4 => EIR_SERVICE_DATA_32,
        _ => EIR_SERVICE_DATA_128,
    };
    structures(data)
        .into_iter()
        .find(|(ty, p)| *ty == t && p.starts_with(uuid))
        .map_or(&[][..], |(_, p)| &p[uuid.len()..])
}

fn data_arg(vm: &mut Vm, args: &[Value], what: &str) -> Result<Vec<u8>, Value> {
    crate::host::string_arg(vm, args, 0, &format!("BLE.GAP.{what}: data"))
}

fn uuid_arg(vm: &mut Vm, args: &[Value], what: &str) -> Result<Vec<u8>, Value> {
    let bad = |vm: &mut Vm| {
        vm.type_error(&format!(
            "BLE.GAP.{what}: uuid must be 4 or 8 hex digits or XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX"
        ))
    };
    if !Vm::arg(args, 1).is_string() {
        return Err(bad(vm));
    }
    let s: alloc::string::String = vm.arg_as(args, 1)?;
    match uuid_bytes(&s.to_ascii_lowercase()) {
        Some(b) => Ok(b),
        None => Err(bad(vm)),
    }
}

fn parse_name(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let data = data_arg(vm, args, "parseName")?;
    vm.new_string(name(&data))
}

fn parse_manufacturer_data(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let data = data_arg(vm, args, "parseManufacturerData")?;
    vm.new_string(by_type(&data, EIR_MANUFACTURER_SPECIFIC_DATA))
}

fn parse_data_by_eir_type(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let data = data_arg(vm, args, "ParseDataByEIRType")?;
    let t = match crate::host::whole_in(Vm::arg(args, 1), 0.0, 255.0) {
        Some(n) => n as u8,
        None => {
            return Err(
                vm.type_error("BLE.GAP.ParseDataByEIRType: type must be an EIR type (0-255)")
            )
        }
    };
    vm.new_string(by_type(&data, t))
}

fn has_service_js(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let data = data_arg(vm, args, "HasService")?;
    let uuid = uuid_arg(vm, args, "HasService")?;
    Ok(Value::bool(has_service(&data, &uuid)))
}

fn parse_service_data(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let data = data_arg(vm, args, "ParseServiceData")?;
    let uuid = uuid_arg(vm, args, "ParseServiceData")?;
    vm.new_string(service_data(&data, &uuid))
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("BLE.GAP.parseName", 1, parse_name);
    vm.define_native_path("BLE.GAP.parseManufacturerData", 1, parse_manufacturer_data);
    vm.define_native_path("BLE.GAP.ParseDataByEIRType", 2, parse_data_by_eir_type);
    vm.define_native_path("BLE.GAP.HasService", 2, has_service_js);
    vm.define_native_path("BLE.GAP.ParseServiceData", 2, parse_service_data);
    let gap = super::ble_scanner::namespace(vm, "GAP");
    for (name, v) in CONSTANTS {
        let k = vm.key(name);
        vm.define_value(gap, k, Value::number(*v as f64), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADV: &[u8] = b"\x02\x01\x06\x03\x03\xaa\xfe\x05\x09Test\x07\x16\xaa\xfe\x10\x00\x01\x02\x05\xff\x4c\x00\x01\x02";

    #[test]
    fn parse() {
        assert_eq!(name(ADV), b"Test");
        assert_eq!(
            by_type(ADV, EIR_MANUFACTURER_SPECIFIC_DATA),
            b"\x4c\x00\x01\x02"
        );
        let u = uuid_bytes("feaa").unwrap();
        assert_eq!(u, b"\xaa\xfe");
        assert!(has_service(ADV, &u));
        assert!(!has_service(ADV, &uuid_bytes("fe95").unwrap()));
        assert_eq!(service_data(ADV, &u), b"\x10\x00\x01\x02");
        assert_eq!(
            uuid_bytes("0000feaa-0000-1000-8000-00805f9b34fb")
                .unwrap()
                .len(),
            16
        );
        assert!(uuid_bytes("0000feaa_0000-1000-8000-00805f9b34fb").is_none());
        // Truncated structures are ignored, never read past the end.
        assert_eq!(structures(b"\x05\x09ab").len(), 0);
    }
}
