//! The WebUSB CDC-ACM driver's logic, byte-exact against the USB CDC PSTN 1.2 class requests.

use ferrite_ide_core::device::cdc_acm::*;

fn ep(
    number: u8,
    direction: UsbDirection,
    kind: UsbEndpointKind,
    packet_size: u16,
) -> UsbEndpointInfo {
    UsbEndpointInfo {
        number,
        direction,
        kind,
        packet_size,
    }
}

fn iface(number: u8, class: u8, subclass: u8, endpoints: Vec<UsbEndpointInfo>) -> UsbInterfaceInfo {
    UsbInterfaceInfo {
        number,
        class,
        subclass,
        protocol: 0,
        endpoints,
    }
}

fn acm_device() -> Vec<UsbInterfaceInfo> {
    vec![
        iface(
            0,
            0x02,
            0x02,
            vec![ep(3, UsbDirection::In, UsbEndpointKind::Interrupt, 16)],
        ),
        iface(
            1,
            0x0A,
            0x00,
            vec![
                ep(2, UsbDirection::Out, UsbEndpointKind::Bulk, 64),
                ep(1, UsbDirection::In, UsbEndpointKind::Bulk, 64),
            ],
        ),
    ]
}

#[test]
fn a_cdc_acm_device_uses_its_comm_and_data_interfaces() {
    let plan = find_cdc_acm(&acm_device()).unwrap();
    assert_eq!(
        plan,
        CdcAcmPlan {
            control_interface: 0,
            data_interface: 1,
            in_endpoint: 1,
            out_endpoint: 2,
            in_packet_size: 64,
            out_packet_size: 64,
        }
    );
    assert_eq!(plan.interfaces_to_claim(), [0, 1]);
}

#[test]
fn a_composite_device_picks_the_acm_function() {
    // e.g. the ESP32-C3 USB-Serial-JTAG: CDC-ACM on 0/1 plus a vendor JTAG interface with bulk
    // endpoints; here a second data interface and a HID interface come before it too.
    let mut ifaces = vec![
        iface(
            0,
            0x03,
            0x00,
            vec![ep(5, UsbDirection::In, UsbEndpointKind::Interrupt, 8)],
        ),
        iface(
            1,
            0x0A,
            0x00,
            vec![
                ep(6, UsbDirection::In, UsbEndpointKind::Bulk, 512),
                ep(6, UsbDirection::Out, UsbEndpointKind::Bulk, 512),
            ],
        ),
        iface(
            2,
            0x02,
            0x02,
            vec![ep(3, UsbDirection::In, UsbEndpointKind::Interrupt, 16)],
        ),
        iface(
            3,
            0x0A,
            0x00,
            vec![
                ep(4, UsbDirection::In, UsbEndpointKind::Bulk, 64),
                ep(4, UsbDirection::Out, UsbEndpointKind::Bulk, 64),
            ],
        ),
        iface(
            4,
            0xFF,
            0xFF,
            vec![
                ep(7, UsbDirection::In, UsbEndpointKind::Bulk, 64),
                ep(8, UsbDirection::Out, UsbEndpointKind::Bulk, 64),
            ],
        ),
    ];
    let plan = find_cdc_acm(&ifaces).unwrap();
    assert_eq!((plan.control_interface, plan.data_interface), (2, 3));
    assert_eq!((plan.in_endpoint, plan.out_endpoint), (4, 4));
    // Without the data interface right after it, the first data interface is used.
    ifaces.remove(3);
    let plan = find_cdc_acm(&ifaces).unwrap();
    assert_eq!((plan.control_interface, plan.data_interface), (2, 1));
    assert_eq!(plan.in_packet_size, 512);
}

#[test]
fn fallback_and_errors() {
    // A lone vendor interface with bulk IN and OUT.
    let lone = vec![
        iface(
            0,
            0xFF,
            0x00,
            vec![
                ep(1, UsbDirection::In, UsbEndpointKind::Bulk, 64),
                ep(1, UsbDirection::Out, UsbEndpointKind::Bulk, 64),
            ],
        ),
        iface(
            1,
            0x03,
            0x00,
            vec![ep(2, UsbDirection::In, UsbEndpointKind::Interrupt, 8)],
        ),
    ];
    let plan = find_cdc_acm(&lone).unwrap();
    assert_eq!((plan.control_interface, plan.data_interface), (0, 0));
    assert_eq!(plan.interfaces_to_claim(), [0]);

    // No serial interface at all (a mouse).
    let hid = vec![iface(
        0,
        0x03,
        0x01,
        vec![ep(1, UsbDirection::In, UsbEndpointKind::Interrupt, 8)],
    )];
    let e = find_cdc_acm(&hid).unwrap_err();
    assert!(matches!(e, CdcAcmError::NoSerialInterface { .. }));
    assert!(e.to_string().contains("interface 0 class 0x03"), "{e}");
    assert_eq!(find_cdc_acm(&[]).unwrap_err(), CdcAcmError::NoInterfaces);

    // ACM without a usable data interface (bulk IN only).
    let half = vec![
        iface(0, 0x02, 0x02, vec![]),
        iface(
            1,
            0x0A,
            0x00,
            vec![ep(1, UsbDirection::In, UsbEndpointKind::Bulk, 64)],
        ),
    ];
    assert_eq!(
        find_cdc_acm(&half).unwrap_err(),
        CdcAcmError::NoDataInterface { control: 0 }
    );

    // Two vendor interfaces: ambiguous.
    let two = vec![
        lone[0].clone(),
        UsbInterfaceInfo {
            number: 2,
            ..lone[0].clone()
        },
    ];
    assert_eq!(
        find_cdc_acm(&two).unwrap_err(),
        CdcAcmError::Ambiguous {
            candidates: vec![0, 2]
        }
    );
}

#[test]
fn interfaces_from_the_glues_json() {
    let json = r#"[{"interfaceNumber": 0, "interfaceClass": 2, "interfaceSubclass": 2, "interfaceProtocol": 1,
                    "endpoints": [{"number": 3, "direction": "in", "type": "interrupt", "packetSize": 16}]},
                   {"number": 1, "class": 10, "subclass": 0, "endpoints": [
                    {"number": 2, "direction": "out", "type": "bulk", "packetSize": 64},
                    {"number": 1, "direction": "in", "kind": "bulk", "packet_size": 64}]}]"#;
    let ifaces: Vec<UsbInterfaceInfo> = serde_json::from_str(json).unwrap();
    assert_eq!(
        ifaces,
        acm_device()
            .into_iter()
            .map(|mut i| {
                if i.number == 0 {
                    i.protocol = 1
                }
                i
            })
            .collect::<Vec<_>>()
    );
}

#[test]
fn set_line_coding_is_byte_exact() {
    let mut ifaces = acm_device();
    ifaces[0].number = 4;
    ifaces[1].number = 5;
    let plan = find_cdc_acm(&ifaces).unwrap();
    let t = set_line_coding(&plan, &LineCoding::new(115_200));
    // bmRequestType 0x21: host-to-device, class, interface; bRequest 0x20; wValue 0;
    // wIndex = the communications interface (4); wLength 7.
    assert_eq!(
        t.setup_packet(),
        [0x21, 0x20, 0x00, 0x00, 0x04, 0x00, 0x07, 0x00]
    );
    assert_eq!(
        (t.request_type, t.recipient, t.request, t.value, t.index),
        ("class", "interface", 0x20, 0, 4)
    );
    // dwDTERate 115200 = 0x0001C200 LE, bCharFormat 0 (1 stop bit), bParityType 0, bDataBits 8.
    assert_eq!(t.data, [0x00, 0xC2, 0x01, 0x00, 0x00, 0x00, 0x08]);
    let t = set_line_coding(
        &plan,
        &LineCoding {
            baud: 9600,
            stop_bits: StopBits::Two,
            parity: Parity::Even,
            data_bits: 7,
        },
    );
    assert_eq!(t.data, [0x80, 0x25, 0x00, 0x00, 0x02, 0x02, 0x07]);
    let t = set_line_coding(
        &plan,
        &LineCoding {
            baud: 3_000_000,
            stop_bits: StopBits::OnePointFive,
            parity: Parity::Space,
            data_bits: 5,
        },
    );
    assert_eq!(t.data, [0xC0, 0xC6, 0x2D, 0x00, 0x01, 0x04, 0x05]);
    // As the glue sees it (WebUSB's USBControlTransferParameters names).
    let json = serde_json::to_value(set_line_coding(&plan, &LineCoding::new(115_200))).unwrap();
    assert_eq!(json["requestType"], "class");
    assert_eq!(json["recipient"], "interface");
    assert_eq!(json["request"], 0x20);
    assert_eq!(json["index"], 4);
    assert_eq!(json["direction"], "out");
    assert_eq!(json["data"], serde_json::json!([0, 194, 1, 0, 0, 0, 8]));
}

#[test]
fn control_line_state_and_get_line_coding() {
    let plan = find_cdc_acm(&acm_device()).unwrap();
    for (dtr, rts, value) in [
        (false, false, 0),
        (true, false, 1),
        (false, true, 2),
        (true, true, 3),
    ] {
        let t = set_control_line_state(&plan, dtr, rts);
        assert_eq!(
            t.setup_packet(),
            [0x21, 0x22, value, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
        assert!(t.data.is_empty());
    }
    let t = get_line_coding(&plan);
    // bmRequestType 0xA1: device-to-host, class, interface; bRequest 0x21; wLength 7.
    assert_eq!(
        t.setup_packet(),
        [0xA1, 0x21, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00]
    );
    assert_eq!((t.direction, t.length), (UsbDirection::In, 7));
    let c = parse_line_coding(&[0x00, 0xC2, 0x01, 0x00, 0x02, 0x01, 0x08]).unwrap();
    assert_eq!(
        c,
        LineCoding {
            baud: 115_200,
            stop_bits: StopBits::Two,
            parity: Parity::Odd,
            data_bits: 8
        }
    );
    assert_eq!(
        parse_line_coding(&LineCoding::new(921_600).to_bytes()).unwrap(),
        LineCoding::new(921_600)
    );
    assert_eq!(
        parse_line_coding(&[0; 6]).unwrap_err(),
        CdcAcmError::LineCodingLength { len: 6 }
    );
    assert!(matches!(
        parse_line_coding(&[0, 0, 0, 0, 3, 0, 8]),
        Err(CdcAcmError::LineCodingField {
            field: "bCharFormat",
            ..
        })
    ));
    assert!(matches!(
        parse_line_coding(&[0, 0, 0, 0, 0, 5, 8]),
        Err(CdcAcmError::LineCodingField {
            field: "bParityType",
            ..
        })
    ));
    assert!(matches!(
        parse_line_coding(&[0, 0, 0, 0, 0, 0, 9]),
        Err(CdcAcmError::LineCodingField {
            field: "bDataBits",
            ..
        })
    ));
}

#[test]
fn out_transfers_and_the_zero_length_packet() {
    let data: Vec<u8> = (0..200u8).collect();
    // 200 bytes in transfers of at most 128 (two 64-byte packets): 128 + 72, no ZLP.
    let t = out_transfers(&data, 64, 128);
    assert_eq!(t.iter().map(Vec::len).collect::<Vec<_>>(), [128, 72]);
    assert_eq!(t.concat(), data);
    // Exactly 128 bytes: ends on a packet boundary, an empty transfer follows.
    let t = out_transfers(&data[..128], 64, 4096);
    assert_eq!(t.iter().map(Vec::len).collect::<Vec<_>>(), [128, 0]);
    // 64 bytes in transfers capped at 100 (rounded down to 64).
    let t = out_transfers(&data[..192], 64, 100);
    assert_eq!(t.iter().map(Vec::len).collect::<Vec<_>>(), [64, 64, 64, 0]);
    // Short last packet: no ZLP; nothing for nothing.
    assert_eq!(out_transfers(&data[..10], 64, 4096), [data[..10].to_vec()]);
    assert!(out_transfers(&[], 64, 4096).is_empty());
    assert_eq!(in_transfer_len(64), 4096);
    assert_eq!(in_transfer_len(512), 512 * 64);
}
