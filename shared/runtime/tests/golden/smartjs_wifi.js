// The simulated board's Wi-Fi station through Smart.js `Wifi` and Shelly's status changes:
// joined at boot, a scan (the names, and Shelly's Wifi.Scan), the access point going out of
// range and coming back (Wifi.changed codes, the `wifi` status change with the reason), then
// a wrong password, the right one, straight back to the first network (left, joined, an
// address), and the station switched off.
// wifi
// run: 7000
// at 1000: wifi out-of-range
// at 2000: wifi in-range
print('status', Wifi.status(), Wifi.ip(), Wifi.show(), Wifi.mode(1), Wifi.mode(2));
Wifi.changed(function (code) { print('changed', code, Wifi.status()); });
Shelly.addStatusHandler(function (s) {
  if (s.component === 'wifi') print('wifi', JSON.stringify(s.delta));
});
Wifi.scan(function (names, err) { print('scan', JSON.stringify(names), err); });
Shelly.call('Wifi.Scan', {}, function (r) {
  print('Wifi.Scan', r.results.length, r.results[0].ssid, r.results[0].auth, r.results[1].auth);
});
Timer.set(3000, false, function () {
  print('setup', Wifi.setup('neighbours', 'guess1234'));
});
Timer.set(4000, false, function () {
  print('setup', Wifi.setup('neighbours', 'not-yours'));
});
Timer.set(5000, false, function () {
  print('setup', Wifi.setup('ferrite-sim'));
});
Timer.set(6000, false, function () {
  Shelly.call('Wifi.SetConfig', { config: { sta: { enable: false } } });
});
