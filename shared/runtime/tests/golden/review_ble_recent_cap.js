// run: 3000
// at 1000: ble aa:bb:cc:dd:00:00 -60 020106
// at 1000: ble aa:bb:cc:dd:00:01 -60 020106
// at 1000: ble aa:bb:cc:dd:00:02 -60 020106
// at 1000: ble aa:bb:cc:dd:00:03 -60 020106
// at 1000: ble aa:bb:cc:dd:00:04 -60 020106
// at 1000: ble aa:bb:cc:dd:00:05 -60 020106
// at 1000: ble aa:bb:cc:dd:00:06 -60 020106
// at 1000: ble aa:bb:cc:dd:00:07 -60 020106
// at 1000: ble aa:bb:cc:dd:00:08 -60 020106
// at 1000: ble aa:bb:cc:dd:00:09 -60 020106
// at 1000: ble aa:bb:cc:dd:00:0a -60 020106
// at 1000: ble aa:bb:cc:dd:00:0b -60 020106
// at 1000: ble aa:bb:cc:dd:00:0c -60 020106
// at 1000: ble aa:bb:cc:dd:00:0d -60 020106
// at 1000: ble aa:bb:cc:dd:00:0e -60 020106
// at 1000: ble aa:bb:cc:dd:00:0f -60 020106
// at 1000: ble aa:bb:cc:dd:00:10 -60 020106
// at 1000: ble aa:bb:cc:dd:00:11 -60 020106
// at 1000: ble aa:bb:cc:dd:00:12 -60 020106
// at 1000: ble aa:bb:cc:dd:00:13 -60 020106
// at 1000: ble aa:bb:cc:dd:00:14 -60 020106
// at 1000: ble aa:bb:cc:dd:00:15 -60 020106
// at 1000: ble aa:bb:cc:dd:00:16 -60 020106
// at 1000: ble aa:bb:cc:dd:00:17 -60 020106
// at 1000: ble aa:bb:cc:dd:00:18 -60 020106
// at 1000: ble aa:bb:cc:dd:00:19 -60 020106
// at 1000: ble aa:bb:cc:dd:00:1a -60 020106
// at 1000: ble aa:bb:cc:dd:00:1b -60 020106
// at 1000: ble aa:bb:cc:dd:00:1c -60 020106
// at 1000: ble aa:bb:cc:dd:00:1d -60 020106
// at 1000: ble aa:bb:cc:dd:00:1e -60 020106
// at 1000: ble aa:bb:cc:dd:00:1f -60 020106
// at 1000: ble aa:bb:cc:dd:00:20 -60 020106
// at 1000: ble aa:bb:cc:dd:00:21 -60 020106
// at 1000: ble aa:bb:cc:dd:00:22 -60 020106
// at 1000: ble aa:bb:cc:dd:00:23 -60 020106
// at 1000: ble aa:bb:cc:dd:00:24 -60 020106
// at 1000: ble aa:bb:cc:dd:00:25 -60 020106
// at 1000: ble aa:bb:cc:dd:00:26 -60 020106
// at 1000: ble aa:bb:cc:dd:00:27 -60 020106
// at 1000: ble aa:bb:cc:dd:00:28 -60 020106
// at 1000: ble aa:bb:cc:dd:00:29 -60 020106
// at 1000: ble aa:bb:cc:dd:00:2a -60 020106
// at 1000: ble aa:bb:cc:dd:00:2b -60 020106
// at 1000: ble aa:bb:cc:dd:00:2c -60 020106
// at 1000: ble aa:bb:cc:dd:00:2d -60 020106
// at 1000: ble aa:bb:cc:dd:00:2e -60 020106
// at 1000: ble aa:bb:cc:dd:00:2f -60 020106
// at 1000: ble aa:bb:cc:dd:00:30 -60 020106
// at 1000: ble aa:bb:cc:dd:00:31 -60 020106
// at 1000: ble aa:bb:cc:dd:00:32 -60 020106
// at 1000: ble aa:bb:cc:dd:00:33 -60 020106
// at 1000: ble aa:bb:cc:dd:00:34 -60 020106
// at 1000: ble aa:bb:cc:dd:00:35 -60 020106
// at 1000: ble aa:bb:cc:dd:00:36 -60 020106
// at 1000: ble aa:bb:cc:dd:00:37 -60 020106
// at 1000: ble aa:bb:cc:dd:00:38 -60 020106
// at 1000: ble aa:bb:cc:dd:00:39 -60 020106
// at 1000: ble aa:bb:cc:dd:00:3a -60 020106
// at 1000: ble aa:bb:cc:dd:00:3b -60 020106
// at 1000: ble aa:bb:cc:dd:00:3c -60 020106
// at 1000: ble aa:bb:cc:dd:00:3d -60 020106
// at 1000: ble aa:bb:cc:dd:00:3e -60 020106
// at 1000: ble aa:bb:cc:dd:00:3f -60 020106
// at 1000: ble aa:bb:cc:dd:00:40 -60 020106
// at 1500: ble aa:bb:cc:dd:00:00 -60 020106
// at 1600: ble aa:bb:cc:dd:00:40 -60 020106
// Review: the list of recently reported advertisements (for the 3 s silence) holds at most
// 64 entries; the oldest is forgotten first, so the first device is reported again at 1500 while
// the newest (00:40) stays silenced at 1600.
let n = 0;
BLE.Scanner.Subscribe(function (ev, res) {
  if (ev === BLE.Scanner.SCAN_RESULT) {
    n++;
    if (n > 64) print("result", n, res.addr);
  }
});
print("start", BLE.Scanner.Start({duration_ms: BLE.Scanner.INFINITE_SCAN}) !== null);
Timer.set(2000, false, function () { print("results", n); });
