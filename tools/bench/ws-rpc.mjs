// RPC round trips per second over one WebSocket to a Ferrite device: send the next request when
// the answer to the previous one arrived, for SECONDS seconds. Prints the rate.
// Usage: node --experimental-websocket ws-rpc.mjs PORT SECONDS
const [port, seconds] = process.argv.slice(2).map(Number);
const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`);
let n = 0;
let start = 0;
let end = 0;
function send() {
  ws.send(JSON.stringify({ id: n, src: "bench", method: "Shelly.GetDeviceInfo" }));
}
ws.onopen = () => {
  start = performance.now();
  end = start + seconds * 1000;
  send();
};
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id !== n) return;
  n++;
  if (performance.now() < end) {
    send();
  } else {
    console.log((n / ((performance.now() - start) / 1000)).toFixed(0));
    ws.close();
  }
};
ws.onerror = (e) => {
  console.error("ws-rpc: " + (e.message || "connection failed"));
  process.exit(1);
};
