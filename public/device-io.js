// FerriteDeviceIo: the browser I/O of live devices, for the Rust bindings in ide/src/device/io.rs.
//
// This file only moves bytes and messages; every decision (framing, RPC, timeouts, reconnects,
// the WebUSB CDC-ACM driver's choices) is made in Rust (ferrite_ide_core::device). web-sys'
// WebSerial and WebUSB bindings are unstable, which is why the browser calls live here.
//
// A *transport* is created once per connection the user asks for (`create`) and may be opened
// and closed several times (reconnects reuse the port or device the user picked). It reports to
// four callbacks the Rust side gives:
//   onOpen()               the transport is open (bytes/messages may flow)
//   onBytes(Uint8Array)    bytes from a byte stream (WebSerial, WebUSB, serial bridge)
//   onText(string[, status, request])  a WebSocket text message; for HTTP RPC the response
//                          body with its HTTP status and the request body it answers
//   onClosed(reason, forGood)  the open failed or the open transport ended (once per open);
//                          forGood: another client took the bridge over — do not reconnect
// Rules this file keeps:
// - callbacks are never called synchronously from a call of the Rust side (always from a later
//   task), so the Rust side never re-enters itself;
// - every `open` ends in exactly one onOpen or onClosed (no promise is left hanging unreported),
//   and after `close` (or a newer `open`) nothing of the old connection is reported;
// - timeouts of opens and calls are the Rust session's; this file only bounds HTTP requests,
//   whose fetch would otherwise hang as long as the browser likes.
(function () {
  "use strict";

  /// How long one HTTP RPC request may take before it is reported as failed.
  const HTTP_TIMEOUT_MS = 15000;
  /// The close code of a bridge that gave its port to another client.
  const TAKEN_OVER = 4000;
  /// Bytes asked for per WebUSB bulk IN transfer when the Rust plan does not say.
  const USB_DEFAULT_IN_LEN = 4096;
  /// How long the bridge may take to answer a DTR/RTS request (linesSupported).
  const LINES_ANSWER_MS = 3000;

  const transports = new Map();
  let nextId = 1;

  function later(fn) {
    Promise.resolve().then(fn).catch(function (e) {
      console.error("FerriteDeviceIo:", e);
    });
  }

  /// An error that ends the connection for good (the session must not retry): the user
  /// cancelled the chooser, a chooser without the user's click, or no such API in this browser.
  function finalError(e) {
    const err = e instanceof Error ? e : new Error(message(e));
    err.final = true;
    return err;
  }

  /// Ask the user to pick (requestPort / requestDevice). The chooser may outlive the attempt
  /// that showed it (the session's open timeout, a reconnect): the pending pick is kept in
  /// `t.picking` and every later attempt waits for the same answer instead of asking again
  /// (which would fail without a click). A cancel or a missing click is final.
  function choose(t, ask) {
    if (!t.picking) {
      t.picking = Promise.resolve()
        .then(ask)
        .catch(function (e) {
          if (e && (e.name === "NotFoundError" || e.name === "SecurityError")) throw finalError(e);
          throw e;
        })
        .finally(function () {
          t.picking = null;
        });
    }
    return t.picking;
  }

  /// Closes still under way per SerialPort / USBDevice, shared by all transports (a new
  /// connection may reuse the port an older transport is still closing).
  const closings = new WeakMap();

  async function waitClosed(handle) {
    const pending = handle && closings.get(handle);
    if (pending) await pending;
  }

  /// Run `fn` (a close of `handle`) after every close of `handle` registered before it, and
  /// register it: closes of one port or device never overlap, and an open that waits for
  /// `closings` waits for all of them. Never rejects.
  function afterClosings(handle, fn) {
    const prior = (handle && closings.get(handle)) || Promise.resolve();
    const done = prior.then(fn).catch(function (e) {
      console.warn("FerriteDeviceIo: close failed:", message(e));
    });
    if (handle) {
      closings.set(handle, done);
      done.then(function () {
        if (closings.get(handle) === done) closings.delete(handle);
      });
    }
    return done;
  }

  /// `promise` or, if it has not settled after `ms`, undefined.
  function bounded(promise, ms) {
    return Promise.race([
      promise.catch(function () {}),
      new Promise(function (resolve) {
        setTimeout(resolve, ms);
      }),
    ]);
  }

  /// How long a port/device close may take before it is given up on.
  const CLOSE_TIMEOUT_MS = 3000;

  function message(e) {
    if (!e) return "unknown error";
    if (typeof e === "string") return e;
    return e.message || e.name || String(e);
  }

  /// A report of the current connection only: `gen` is the connection's generation; anything
  /// older is dropped. onClosed is reported at most once per generation.
  function reporter(t, gen) {
    return {
      live: function () {
        return t.gen === gen && !t.disposed;
      },
      open: function () {
        if (t.gen === gen && !t.disposed && !t.closedReported) {
          t.isOpen = true;
          t.cb.onOpen();
        }
      },
      bytes: function (u8) {
        if (t.gen === gen && !t.disposed && t.isOpen) t.cb.onBytes(u8);
      },
      text: function (s) {
        if (t.gen === gen && !t.disposed && t.isOpen) t.cb.onText(s);
      },
      /// The answer to an HTTP RPC request: its status and body, and the request it answers.
      httpResponse: function (status, s, request) {
        if (t.gen === gen && !t.disposed && t.isOpen) t.cb.onText(s, status, request);
      },
      /// `forGood`: the other end does not want us back (another client took the bridge's
      /// port over): the session must not reconnect.
      closed: function (reason, forGood) {
        if (t.gen === gen && !t.disposed && !t.closedReported) {
          t.closedReported = true;
          t.isOpen = false;
          t.cb.onClosed(reason, !!forGood);
        }
      },
    };
  }

  // ---------- WebSerial ----------

  function serialMatches(port, want) {
    if (!want) return false;
    const info = port.getInfo ? port.getInfo() : {};
    return info.usbVendorId === want.usbVendorId && info.usbProductId === want.usbProductId;
  }

  async function serialPick(t) {
    // The port picked before (still valid unless it was unplugged), else a previously granted
    // one with the same USB ids, else ask the user (needs the click that started the connect).
    if (t.port && t.portUsable) return t.port;
    const granted = await navigator.serial.getPorts();
    const want = t.portInfo || t.options.remembered || null;
    const match = granted.find(function (p) {
      return serialMatches(p, want);
    });
    if (match) return match;
    if (t.portInfo) throw new Error("the port is gone (unplugged?); waiting for it to come back");
    const port = await choose(t, function () {
      return navigator.serial.requestPort({});
    });
    // Kept even if the attempt that asked has ended (timeout): the next attempt uses it.
    t.port = port;
    t.portUsable = true;
    t.portInfo = port.getInfo ? port.getInfo() : {};
    return port;
  }

  async function serialOpen(t, r) {
    if (!navigator.serial) throw finalError("this browser has no WebSerial");
    // A close or baud change still under way finishes first (the port cannot be opened twice).
    if (t.closingDone) await t.closingDone;
    if (t.reopening) await t.reopening;
    // Locks left by an earlier connection of this transport (its read loop ended by itself)
    // are released and the port closed before it is opened again.
    if (t.reader || t.writer) await serialClose(t);
    const port = await serialPick(t);
    if (!r.live()) return;
    t.port = port;
    t.portUsable = true;
    t.portInfo = port.getInfo ? port.getInfo() : {};
    await waitClosed(port);
    if (!r.live()) return;
    try {
      await port.open({ baudRate: t.options.baud || 115200, bufferSize: 65536 });
    } catch (e) {
      if (e && e.name === "InvalidStateError") {
        throw new Error("the port is already open (in another tab or program?)");
      }
      throw e;
    }
    t.portOpened = true;
    if (!r.live()) {
      // Closed (or reopened) while the port was opening: registered like every close.
      await afterClosings(port, function () {
        if (!t.portOpened) return;
        t.portOpened = false;
        return bounded(port.close(), CLOSE_TIMEOUT_MS);
      });
      return;
    }
    if (t.options.dtr !== undefined || t.options.rts !== undefined) {
      await port
        .setSignals({ dataTerminalReady: !!t.options.dtr, requestToSend: !!t.options.rts })
        .catch(function () {});
    }
    serialStart(t, r, port);
    r.open();
  }

  /// Read errors after which WebSerial hands out a new `port.readable` (the port stays open):
  /// a BREAK or garbled bytes, as DTR/RTS reset pulses and baud switches cause.
  const RECOVERABLE_READ_ERRORS = ["BreakError", "FramingError", "ParityError", "BufferOverrunError"];

  /// Take the open port's writer and reader and read until it ends (reported to `r`). A
  /// recoverable read error takes the new stream's reader and goes on; the reader in use is
  /// always `t.reader` (a teardown cancels it).
  function serialStart(t, r, port) {
    t.writer = port.writable.getWriter();
    t.reader = port.readable.getReader();
    (async function () {
      let reason = "the port closed";
      let reader = t.reader;
      for (;;) {
        try {
          for (;;) {
            const chunk = await reader.read();
            if (chunk.done) break;
            if (chunk.value && chunk.value.length) r.bytes(chunk.value);
          }
          break;
        } catch (e) {
          const recoverable = e && RECOVERABLE_READ_ERRORS.indexOf(e.name) >= 0;
          if (!recoverable || t.reader !== reader || !port.readable) {
            reason = message(e);
            break;
          }
          console.warn("FerriteDeviceIo: serial read:", message(e), "(reading on)");
          try {
            reader.releaseLock();
            reader = port.readable.getReader();
          } catch (e2) {
            reason = message(e2);
            break;
          }
          t.reader = reader;
        }
      }
      // Ended by itself (a read error, the port went away): release the locks and close the
      // port now, so that a reconnect can open it again.
      if (t.reader === reader) t.closingDone = serialClose(t);
      r.closed(reason);
    })();
  }

  /// Release the reader and writer (abort: a pending write may never finish) and close the
  /// port, bounded in time.
  /// Serialized behind every close of the same port still under way (`closings`); the
  /// reader and writer are the ones in use when its turn comes. Never rejects.
  function serialClose(t) {
    return afterClosings(t.port, function () {
      return serialTeardown(t);
    });
  }

  async function serialTeardown(t) {
    const reader = t.reader;
    const writer = t.writer;
    const port = t.port;
    t.reader = null;
    t.writer = null;
    if (reader) {
      await bounded(reader.cancel(), CLOSE_TIMEOUT_MS);
      try {
        reader.releaseLock();
      } catch (_) {}
    }
    if (writer) {
      await bounded(writer.abort(), CLOSE_TIMEOUT_MS);
      try {
        writer.releaseLock();
      } catch (_) {}
    }
    // Only a port this transport opened (and did not close yet): closing a closed port fails.
    if (port && t.portOpened) {
      t.portOpened = false;
      await bounded(port.close(), CLOSE_TIMEOUT_MS);
    }
  }

  function serialWrite(t, u8) {
    // Queued even while a baud change reopens the port (no writer then): the writer is taken
    // when the write's turn comes, after the reopen (setBaud is in the same chain).
    t.writeChain = t.writeChain.then(function () {
      if (t.writer) return t.writer.write(u8);
    }).catch(function (e) {
      console.warn("FerriteDeviceIo: serial write failed:", message(e));
    });
  }

  function serialSignals(t, dtr, rts) {
    t.signals = { dataTerminalReady: dtr, requestToSend: rts };
    if (!t.port) return;
    t.port.setSignals({ dataTerminalReady: dtr, requestToSend: rts }).catch(function (e) {
      console.warn("FerriteDeviceIo: setSignals failed:", message(e));
    });
  }

  /// Change the open port's baud rate: WebSerial sets it only at open, so the port is closed
  /// and opened again at `baud` (after the writes before it), as a new generation of the same
  /// connection: the old reader's end is not reported and the Rust side sees no close. The
  /// lines set last are set again. A failure to reopen ends the connection (onClosed).
  function serialSetBaud(t, baud) {
    if (!t.isOpen || !t.port) return;
    const port = t.port;
    t.gen += 1;
    const r = reporter(t, t.gen);
    t.report = r;
    t.writeChain = t.writeChain.then(function () {
      // Closed (or reopened) before the earlier writes were done: nothing to switch.
      if (!r.live()) return;
      // The close and the open as one promise: a close() while it runs waits for it.
      const reopening = serialClose(t)
        .then(function () {
          if (!r.live()) return;
          return port.open({ baudRate: baud, bufferSize: 65536 }).then(function () {
            // Closed while opening: close() waits for `t.reopening`, so this close is its.
            if (!r.live()) return bounded(port.close(), CLOSE_TIMEOUT_MS);
            t.portOpened = true;
            if (t.signals) port.setSignals(t.signals).catch(function () {});
            serialStart(t, r, port);
          });
        })
        .catch(function (e) {
          r.closed("could not reopen the port at " + baud + " baud: " + message(e));
        })
        .finally(function () {
          if (t.reopening === reopening) t.reopening = null;
        });
      t.reopening = reopening;
      return reopening;
    });
  }

  // ---------- WebUSB (CDC-ACM; the plan comes from the Rust driver) ----------

  function usbInterfaces(device) {
    const config = device.configuration;
    if (!config) return [];
    return config.interfaces.map(function (iface) {
      const alt = iface.alternate || iface.alternates[0];
      return {
        number: iface.interfaceNumber,
        class: alt.interfaceClass,
        subclass: alt.interfaceSubclass,
        protocol: alt.interfaceProtocol,
        endpoints: alt.endpoints.map(function (ep) {
          return { number: ep.endpointNumber, direction: ep.direction, kind: ep.type, packet_size: ep.packetSize };
        }),
      };
    });
  }

  async function usbPick(t) {
    if (t.device && t.deviceUsable) return t.device;
    const granted = await navigator.usb.getDevices();
    const want = t.deviceInfo || t.options.remembered || null;
    const match = want
      ? granted.find(function (d) {
          return d.vendorId === want.usbVendorId && d.productId === want.usbProductId;
        })
      : null;
    if (match) return match;
    if (t.deviceInfo) throw new Error("the device is gone (unplugged?); waiting for it to come back");
    const device = await choose(t, function () {
      return navigator.usb.requestDevice({ filters: [] });
    });
    // Kept even if the attempt that asked has ended (timeout): the next attempt uses it.
    t.device = device;
    t.deviceUsable = true;
    t.deviceInfo = { usbVendorId: device.vendorId, usbProductId: device.productId };
    return device;
  }

  function controlOut(device, transfer) {
    return device.controlTransferOut(
      {
        requestType: transfer.request_type,
        recipient: transfer.recipient,
        request: transfer.request,
        value: transfer.value,
        index: transfer.index,
      },
      new Uint8Array(transfer.data || []),
    );
  }

  async function usbOpen(t, r) {
    if (!navigator.usb) throw finalError("this browser has no WebUSB");
    if (t.closingDone) await t.closingDone;
    const device = await usbPick(t);
    if (!r.live()) return;
    t.device = device;
    t.deviceUsable = true;
    t.deviceInfo = { usbVendorId: device.vendorId, usbProductId: device.productId };
    // Another transport's close of this device (a hand-over between the Device tab and Flash)
    // finishes first: `opened` is true until it did.
    await waitClosed(device);
    if (!r.live()) return;
    if (!device.opened) await device.open();
    if (device.configuration === null) await device.selectConfiguration(1);
    // The Rust driver chooses interfaces, endpoints and the setup transfers.
    const answer = JSON.parse(t.options.usbPlan(JSON.stringify(usbInterfaces(device)), t.options.baud || 115200));
    if (answer.error) throw new Error(answer.error);
    t.plan = answer;
    for (const n of answer.interfaces) await device.claimInterface(n);
    for (const transfer of answer.setup || []) {
      const result = await controlOut(device, transfer);
      if (result.status !== "ok") throw new Error("control transfer " + transfer.request + ": " + result.status);
    }
    if (!r.live()) return;
    r.open();
    (async function () {
      let reason = "the device closed";
      try {
        for (;;) {
          const result = await device.transferIn(answer.in_endpoint, answer.in_len || USB_DEFAULT_IN_LEN);
          if (!r.live()) return;
          if (result.status === "stall") {
            await device.clearHalt("in", answer.in_endpoint);
            continue;
          }
          if (result.status !== "ok") throw new Error("transfer in: " + result.status);
          if (result.data && result.data.byteLength) {
            r.bytes(new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength).slice());
          }
        }
      } catch (e) {
        reason = message(e);
      }
      r.closed(reason);
    })();
  }

  /// Close the device, serialized behind every close of it still under way (`closings`, shared
  /// with other transports). Never rejects.
  function usbClose(t) {
    const device = t.device;
    return afterClosings(device, function () {
      if (device && device.opened) return bounded(device.close(), CLOSE_TIMEOUT_MS);
    });
  }

  /// One bulk OUT transfer (the Rust side already split the write into transfers).
  function usbWrite(t, u8) {
    const device = t.device;
    const plan = t.plan;
    if (!device || !plan) return;
    t.writeChain = t.writeChain.then(function () {
      return device.transferOut(plan.out_endpoint, u8);
    }).catch(function (e) {
      console.warn("FerriteDeviceIo: USB write failed:", message(e));
    });
  }

  function usbControl(t, json) {
    const device = t.device;
    if (!device) return;
    const transfer = JSON.parse(json);
    t.writeChain = t.writeChain.then(function () {
      return controlOut(device, transfer);
    }).catch(function (e) {
      console.warn("FerriteDeviceIo: USB control transfer failed:", message(e));
    });
  }

  // ---------- WebSocket (RPC) and the serial bridge ----------

  /// Open a WebSocket to `t.options.url`. Its handlers report to the transport's *current*
  /// connection (`t.report`): a bridge keeps its socket across reconnects of the serial port.
  function wsOpen(t, bridge) {
    let socket;
    const r = t.report;
    try {
      socket = new WebSocket(t.options.url);
    } catch (e) {
      later(function () {
        r.closed(message(e));
      });
      return;
    }
    socket.binaryType = "arraybuffer";
    t.socket = socket;
    t.portUp = false;
    const current = function () {
      return t.socket === socket && !t.disposed ? t.report : null;
    };
    socket.onopen = function () {
      const rep = current();
      if (!rep) return;
      if (!bridge) {
        rep.open();
        return;
      }
      if (t.options.baud) bridgeControl(t, "baud", { baud: t.options.baud });
    };
    socket.onmessage = function (ev) {
      const rep = current();
      if (!rep) return;
      if (typeof ev.data !== "string") {
        if (bridge) rep.bytes(new Uint8Array(ev.data));
        return;
      }
      if (!bridge) {
        rep.text(ev.data);
        return;
      }
      let event;
      try {
        event = JSON.parse(ev.data);
      } catch (_) {
        return;
      }
      bridgeEvent(t, event);
    };
    socket.onclose = function (ev) {
      const rep = current();
      if (!rep) return;
      t.socket = null;
      t.waitingForPort = false;
      const why = ev.reason
        ? ev.reason
        : ev.code === 1006
          ? "the connection failed or dropped"
          : "closed (code " + ev.code + ")";
      // 4000: the bridge gave its port to another client (PROTOCOL.md §5).
      rep.closed(why, ev.code === TAKEN_OVER);
    };
    // An error is always followed by close, which reports it.
    socket.onerror = function () {};
  }

  /// The bridge's events: "open" — its serial port is (again) open; "lost" — the port went away
  /// (the bridge keeps the socket and reopens the port: its next "open" is a reconnect).
  function bridgeEvent(t, event) {
    if (event.event === "open") {
      t.portUp = true;
      if (t.waitingForPort) {
        t.waitingForPort = false;
        t.report.open();
      }
    } else if (event.event === "lost") {
      t.portUp = false;
      if (t.isOpen) t.report.closed("serial port lost: " + (event.reason || "no reason given"));
    } else if (event.event === "set") {
      // The answers come in the order of the requests (PROTOCOL.md §5).
      const kind = t.controls.shift();
      if (kind === "lines") {
        t.linesOk = event.ok !== false;
        const waiting = t.linesWaiters.splice(0);
        waiting.forEach(function (resolve) {
          resolve(t.linesOk);
        });
      }
      if (event.ok === false) console.warn("FerriteDeviceIo: the bridge refused a setting:", event.error);
    }
  }

  /// Send a control request to the bridge (`kind` "baud" | "lines", to match its answer).
  function bridgeControl(t, kind, request) {
    if (!t.socket || t.socket.readyState !== WebSocket.OPEN) return false;
    t.controls.push(kind);
    t.socket.send(JSON.stringify(request));
    return true;
  }

  function dropSocket(t) {
    const s = t.socket;
    t.socket = null;
    // Answers of a dropped socket never come: whoever waits for one hears "unknown" (true).
    t.controls = [];
    t.linesWaiters.splice(0).forEach(function (resolve) {
      resolve(true);
    });
    if (!s) return;
    try {
      s.close(1000, "closed by the IDE");
    } catch (_) {}
  }

  // ---------- HTTP RPC ----------

  function httpPost(t, body) {
    const r = t.report;
    if (!r || !t.isOpen) return;
    const abort = new AbortController();
    t.aborts.add(abort);
    const timer = setTimeout(function () {
      abort.abort();
    }, HTTP_TIMEOUT_MS);
    fetch(t.options.url, {
      method: "POST",
      body: body,
      headers: { "Content-Type": "application/json" },
      signal: abort.signal,
      cache: "no-store",
    })
      .then(function (response) {
        return response.text().then(function (text) {
          r.httpResponse(response.status, text, body);
        });
      })
      .catch(function (e) {
        const why = abort.signal.aborted ? "no HTTP answer in " + HTTP_TIMEOUT_MS / 1000 + " s" : message(e);
        if (!t.closing) r.closed("HTTP request failed: " + why);
      })
      .finally(function () {
        clearTimeout(timer);
        t.aborts.delete(abort);
      });
  }

  // ---------- choosing a port before connecting ----------

  /// The port / device chosen by the last `pick`, taken by the next `create` of its kind.
  const picked = { serial: null, usb: null };

  async function pickSerial(remembered) {
    if (!navigator.serial) throw new Error("this browser has no WebSerial");
    const granted = await navigator.serial.getPorts();
    const match = remembered
      ? granted.find(function (p) {
          return serialMatches(p, remembered);
        })
      : null;
    picked.serial = match || (await navigator.serial.requestPort({}));
  }

  async function pickUsb(remembered) {
    if (!navigator.usb) throw new Error("this browser has no WebUSB");
    const granted = await navigator.usb.getDevices();
    const match = remembered
      ? granted.find(function (d) {
          return d.vendorId === remembered.usbVendorId && d.productId === remembered.usbProductId;
        })
      : null;
    picked.usb = match || (await navigator.usb.requestDevice({ filters: [] }));
  }

  // ---------- the surface for Rust ----------

  function get(id) {
    return transports.get(id) || null;
  }

  self.FerriteDeviceIo = {
    /// What this browser can do: {serial, usb} (WebSocket and HTTP are always there).
    supports: function () {
      return {
        serial: !!(self.navigator && navigator.serial),
        usb: !!(self.navigator && navigator.usb),
        secure: !!self.isSecureContext,
      };
    },

    /// Before `create` of a "serial" / "usb" transport, from the user's click: the port or
    /// device granted before (matching `remembered`), else the user's choice. Resolves when
    /// there is one; rejects with a message (the user cancelled, no such API).
    pick: function (kind, remembered) {
      const run = kind === "serial" ? pickSerial : kind === "usb" ? pickUsb : null;
      if (!run) return Promise.resolve();
      return run(remembered || null).catch(function (e) {
        if (e && e.name === "NotFoundError") throw "no port chosen";
        throw message(e);
      });
    },

    /// A transport of `kind` ("serial" | "usb" | "websocket" | "http" | "bridge"); `options`:
    /// {url, baud, dtr, rts, remembered: {usbVendorId, usbProductId}, usbPlan(json, baud) → json,
    /// usbLineCoding(baud) → json (for setBaud)}.
    create: function (kind, options, onOpen, onBytes, onText, onClosed) {
      const id = nextId++;
      transports.set(id, {
        id: id,
        kind: kind,
        options: options || {},
        cb: { onOpen: onOpen, onBytes: onBytes, onText: onText, onClosed: onClosed },
        gen: 0,
        isOpen: false,
        closedReported: false,
        disposed: false,
        closing: false,
        writeChain: Promise.resolve(),
        aborts: new Set(),
        report: null,
        waitingForPort: false,
        controls: [],
        linesWaiters: [],
        linesOk: undefined,
        reopening: null,
      });
      // The port / device `pick` found: reconnects reuse it without asking again.
      const t = transports.get(id);
      if (kind === "serial" && picked.serial) {
        t.port = picked.serial;
        t.portUsable = true;
        t.portInfo = t.port.getInfo ? t.port.getInfo() : {};
        picked.serial = null;
      } else if (kind === "usb" && picked.usb) {
        t.device = picked.usb;
        t.deviceUsable = true;
        t.deviceInfo = { usbVendorId: t.device.vendorId, usbProductId: t.device.productId };
        picked.usb = null;
      }
      return id;
    },

    /// Open (or reopen) transport `id`; ends in onOpen or onClosed.
    open: function (id) {
      const t = get(id);
      if (!t) return;
      t.gen += 1;
      t.isOpen = false;
      t.closedReported = false;
      t.closing = false;
      t.writeChain = Promise.resolve();
      const r = reporter(t, t.gen);
      t.report = r;
      const fail = function (e) {
        r.closed(message(e), !!(e && e.final));
      };
      switch (t.kind) {
        case "serial":
          // Called synchronously from the click (requestPort needs the user's gesture).
          try {
            serialOpen(t, r).catch(fail);
          } catch (e) {
            later(function () {
              fail(e);
            });
          }
          break;
        case "usb":
          try {
            usbOpen(t, r).catch(fail);
          } catch (e) {
            later(function () {
              fail(e);
            });
          }
          break;
        case "websocket":
          dropSocket(t);
          wsOpen(t, false);
          break;
        case "bridge":
          if (t.socket && t.socket.readyState === WebSocket.OPEN) {
            // The socket stayed up while the bridge's port was away.
            if (t.portUp) later(r.open);
            else t.waitingForPort = true;
          } else {
            dropSocket(t);
            t.waitingForPort = true;
            wsOpen(t, true);
          }
          break;
        case "http":
          later(r.open);
          break;
        default:
          later(function () {
            r.closed("unknown connection kind " + t.kind);
          });
      }
    },

    /// Close the current connection (the transport may be opened again); nothing of it is
    /// reported any more.
    close: function (id) {
      const t = get(id);
      if (!t) return;
      t.gen += 1;
      t.isOpen = false;
      t.closing = true;
      t.waitingForPort = false;
      t.aborts.forEach(function (a) {
        a.abort();
      });
      t.aborts.clear();
      dropSocket(t);
      if (t.kind === "serial") {
        // A baud change under way (close and reopen) finishes first; then this close.
        const reopening = t.reopening;
        t.closingDone = afterClosings(t.port, function () {
          return Promise.resolve(reopening).then(function () {
            return serialTeardown(t);
          });
        });
      }
      if (t.kind === "usb") t.closingDone = usbClose(t);
    },

    /// Close and forget transport `id`.
    dispose: function (id) {
      const t = get(id);
      if (!t) return;
      self.FerriteDeviceIo.close(id);
      t.disposed = true;
      transports.delete(id);
    },

    /// Bytes for a byte stream (serial, bridge; for USB: one bulk OUT transfer). `view` is a
    /// view into the wasm memory, valid only during this call: the writes are asynchronous, so
    /// they get a copy.
    write: function (id, view) {
      const t = get(id);
      if (!t || !t.isOpen) return;
      const u8 = view.slice();
      if (t.kind === "serial") serialWrite(t, u8);
      else if (t.kind === "usb") usbWrite(t, u8);
      else if (t.kind === "bridge" && t.socket && t.socket.readyState === WebSocket.OPEN) t.socket.send(u8);
    },

    /// A text message (WebSocket RPC).
    sendText: function (id, text) {
      const t = get(id);
      if (!t || !t.isOpen || !t.socket || t.socket.readyState !== WebSocket.OPEN) return;
      t.socket.send(text);
    },

    /// An HTTP RPC request: the response body arrives as onText, a failure as onClosed.
    post: function (id, body) {
      const t = get(id);
      if (t) httpPost(t, body);
    },

    /// DTR/RTS (serial: setSignals; bridge: a control message).
    setSignals: function (id, dtr, rts) {
      const t = get(id);
      if (!t) return;
      if (t.kind === "serial") serialSignals(t, dtr, rts);
      else if (t.kind === "bridge") bridgeControl(t, "lines", { dtr: dtr, rts: rts });
    },

    /// Switch the line to `baud` now: serial reopens the same port at that rate (no close is
    /// reported), the bridge gets `{"baud": n}` (PROTOCOL.md §5), USB the SET_LINE_CODING
    /// transfer its `usbLineCoding(baud)` option builds. Later opens use the new rate too.
    setBaud: function (id, baud) {
      const t = get(id);
      if (!t) return;
      t.options.baud = baud;
      if (t.kind === "serial") serialSetBaud(t, baud);
      else if (t.kind === "bridge") {
        bridgeControl(t, "baud", { baud: baud });
      } else if (t.kind === "usb" && t.isOpen && t.options.usbLineCoding) {
        const json = t.options.usbLineCoding(baud);
        if (json) usbControl(t, json);
      }
    },

    /// Whether the open line can drive DTR/RTS: true for WebSerial and WebUSB; the bridge is
    /// asked by setting the lines to `dtr`/`rts` (a PTY answers ok:false). Resolves to true when
    /// it cannot be told (no answer in a few seconds, the socket went).
    linesSupported: function (id, dtr, rts) {
      const t = get(id);
      if (!t || t.kind !== "bridge") return Promise.resolve(true);
      if (t.linesOk !== undefined) return Promise.resolve(t.linesOk);
      return new Promise(function (resolve) {
        if (!bridgeControl(t, "lines", { dtr: dtr, rts: rts })) return resolve(true);
        t.linesWaiters.push(resolve);
        setTimeout(function () {
          const i = t.linesWaiters.indexOf(resolve);
          if (i >= 0) t.linesWaiters.splice(i, 1);
          resolve(true);
        }, LINES_ANSWER_MS);
      });
    },

    /// Hand transport `id`'s port or device over to the next `create` of its kind (before the
    /// transport is disposed): the Device console after a flash opens the very port the flash
    /// used, without a chooser (which needs a click) and without guessing by USB ids. False if
    /// there is none, or it was unplugged.
    handOver: function (id) {
      const t = get(id);
      if (!t) return false;
      if (t.kind === "serial" && t.port && t.portUsable) {
        picked.serial = t.port;
        return true;
      }
      if (t.kind === "usb" && t.device && t.deviceUsable) {
        picked.usb = t.device;
        return true;
      }
      return false;
    },

    /// A control transfer the Rust CDC-ACM driver built (JSON of ControlTransfer), WebUSB only.
    usbControl: function (id, json) {
      const t = get(id);
      if (t && t.kind === "usb" && t.isOpen) usbControl(t, json);
    },

    /// USB ids of the port/device in use ({usbVendorId, usbProductId}), to find it again after
    /// a reload among the previously granted ones; null if unknown.
    portInfo: function (id) {
      const t = get(id);
      if (!t) return null;
      const info = t.kind === "usb" ? t.deviceInfo : t.portInfo;
      if (!info || info.usbVendorId === undefined) return null;
      return { usbVendorId: info.usbVendorId, usbProductId: info.usbProductId };
    },
  };

  // Unplugging: the port/device object is no longer usable; the read loop reports the loss.
  if (self.navigator && navigator.serial) {
    navigator.serial.addEventListener("disconnect", function (ev) {
      transports.forEach(function (t) {
        if (t.port === ev.target) {
          t.portUsable = false;
          if (t.report) t.report.closed("the port was unplugged");
        }
      });
    });
  }
  if (self.navigator && navigator.usb) {
    navigator.usb.addEventListener("disconnect", function (ev) {
      transports.forEach(function (t) {
        if (t.device === ev.device) {
          t.deviceUsable = false;
          if (t.report) t.report.closed("the device was unplugged");
        }
      });
    });
  }
})();
