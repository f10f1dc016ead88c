// run: 7000
// at 1000: ble aa:bb:cc:dd:ee:01 -60 020106070953656e736f720303aafe0616aafe01020305ff4c000908 050853686f72
// at 1500: ble aa:bb:cc:dd:ee:01 -61 020106070953656e736f720303aafe0616aafe01020305ff4c000908 050853686f72
// at 1500: ble aa:bb:cc:dd:ee:02 -75 020106
// at 2000: ble aa:bb:cc:dd:ee:01 -59 020106070953656e736f720303aafe0616aafe01020305ff4c000908 050853686f72
// at 4100: ble aa:bb:cc:dd:ee:01 -58 020106070953656e736f720303aafe0616aafe01020305ff4c000908 050853686f72
// at 5500: ble aa:bb:cc:dd:ee:03 -50 020106
// BLE.Scanner (options, subscription, 3 s silence, duration) and BLE.GAP parsing.
let S = BLE.Scanner, G = BLE.GAP;
print("events", S.SCAN_START, S.SCAN_STOP, S.SCAN_RESULT, S.INFINITE_SCAN);
print("gap", G.ADDRESS_TYPE_PUBLIC, G.EIR_FULL_NAME, G.EIR_SERVICE_DATA_16, G.EIR_MANUFACTURER_SPECIFIC_DATA);
let adv = "\x02\x01\x06\x07\x09Sensor\x03\x03\xaa\xfe\x06\x16\xaa\xfe\x01\x02\x03\x05\xff\x4c\x00\x09\x08";
print("name", G.parseName(adv), "short", G.parseName("\x05\x08Shor"), "none", JSON.stringify(G.parseName("")));
print("manufacturer", btoh(G.parseManufacturerData(adv)), "by type", btoh(G.ParseDataByEIRType(adv, G.EIR_FLAGS)));
print("has feaa", G.HasService(adv, "feaa"), "has FEAA", G.HasService(adv, "FEAA"), "has fe95", G.HasService(adv, "fe95"));
print("service data", btoh(G.ParseServiceData(adv, "feaa")), "missing", JSON.stringify(G.ParseServiceData(adv, "0000feaa-0000-1000-8000-00805f9b34fb")));
let uuid128 = "\x11\x07\xfb\x34\x9b\x5f\x80\x00\x00\x80\x00\x10\x00\x00\xaa\xfe\x00\x00";
print("128-bit", G.HasService(uuid128, "0000feaa-0000-1000-8000-00805f9b34fb"), "32-bit", G.HasService("\x05\x05\x78\x56\x34\x12", "12345678"));
try { G.HasService(adv, "xyz"); } catch (e) { print(e.name, e.message); }
try { G.parseName(42); } catch (e) { print(e.name, e.message); }
print("running", S.isRunning(), "defaults", JSON.stringify(S.GetScanOptions()));
print("window too long", S.Start({window_ms: 200}));
print("window over a third", S.Start({interval_ms: 60, window_ms: 30}));
print("too short", S.Start({duration_ms: 500}));
try { S.Start("x"); } catch (e) { print(e.name, e.message); }
function onScan(ev, res, ud) {
  if (ev === S.SCAN_RESULT) {
    print("result", res.addr, res.addr_type, res.rssi, btoh(res.advData), JSON.stringify(G.parseName(res.scanRsp)), ud);
  } else {
    print("scan event", ev, res, ud);
  }
}
print("started", JSON.stringify(S.Start({duration_ms: 5000, active: true}, onScan, "ud")));
print("second start", S.Start({}), "running", S.isRunning(), "options", S.GetScanOptions().duration_ms);
Timer.set(5200, false, function () {
  print("after duration: running", S.isRunning());
  S.Subscribe(function (ev, res) { print("new subscriber", ev, res ? res.addr : res); });
  print("infinite", JSON.stringify(S.Start({duration_ms: S.INFINITE_SCAN})));
  Timer.set(1000, false, function () {
    print("stop", S.Stop(), S.Stop(), "running", S.isRunning());
  });
});
