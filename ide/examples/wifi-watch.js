// Wi-Fi watch: an LED on pin 2 shows the link (steady: joined with an address, blinking: the
// station is trying), the reason a link was lost is printed, and how long it was down once it
// is back. Shelly.addStatusHandler gets the `wifi` component's changes, as on a Shelly.
const LED = 2;
GPIO.setmode(LED, 2, 0); // output
let blinker = null;
let lit = 0;
let lostAt = 0;

function show(status) {
  if (status === "got ip") {
    if (blinker !== null) {
      Timer.clear(blinker);
      blinker = null;
    }
    GPIO.write(LED, 1);
  } else if (blinker === null) {
    blinker = Timer.set(250, true, function () {
      lit = 1 - lit;
      GPIO.write(LED, lit);
    });
  }
}

Shelly.addStatusHandler(function (change) {
  if (change.component !== "wifi") return;
  const wifi = change.delta;
  if (wifi.status === "got ip") {
    const down = lostAt ? " after " + Math.round((Date.now() - lostAt) / 1000) + " s" : "";
    print("back on", wifi.ssid, wifi.sta_ip + down);
    lostAt = 0;
  } else if (!lostAt) {
    lostAt = Date.now();
    print("Wi-Fi " + wifi.status + ":", wifi.error || "switched off");
  }
  show(wifi.status);
});

const now = Shelly.getComponentStatus("wifi");
print("Wi-Fi", now.status, now.ssid, now.sta_ip);
show(now.status);
