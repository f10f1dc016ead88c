// HTTP.GET to a web service (answered by the project's HTTP mock in the simulator) and JSON.
const URL = "http://api.weather.test/v1/now?city=Sofia";
function poll() {
  Shelly.call("HTTP.GET", {url: URL, timeout: 5}, function (res, code, msg) {
    if (code !== 0) {
      print("request failed:", msg);
      return;
    }
    if (res.code !== 200) {
      print("HTTP", res.code);
      return;
    }
    let w = JSON.parse(res.body);
    print("weather:", w.temp_c, "°C,", w.sky);
  });
}
poll();
Timer.set(60 * 1000, true, poll);
