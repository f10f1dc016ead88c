//! The heap the firmware's own Rust side takes at boot, as the ESP32-C3 build assembles it: the
//! flash store mounted on a partition of the chip's size, the runtime with the chip's limits,
//! both consoles (each with its REPL realm), and the network (DHCP, DNS, the RPC listener's
//! sockets, MQTT and the scripts' HTTP client) with the chip's limits. Counted by a global
//! allocator on the host, whose 64-bit pointers make every figure an upper bound of the chip's
//! (32-bit). docs/BENCHMARKS.md's RAM budget adds the radio's share to it.
//!
//! Then a script that fills its heap budget: the most the heap holds meanwhile, above what it
//! held before the script started (its realm, its objects, and a growing block's old and new
//! copies at once, as on a heap that cannot grow a block in place).
//!
//! The test fails when the boot heap outgrows [`BOOT_BUDGET`], a realm [`REALM_BUDGET`], or
//! the filling script's peak [`FILL_BUDGET`]: what is left for scripts is the product's promise
//! (at least 128 KB with Wi-Fi up, and a script at its full budget fits in it), so growth here
//! must be a decision.
//! `scripts/firmware.sh` prints the figures (`--nocapture`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use ferrite_console::{Console, Line};
use ferrite_flash_store::{Flash, FlashError, FlashStore};
use ferrite_net::{
    NetStack, Network, SharedHttp, SharedMqtt, SharedSockets, WallClock, CHIP_HTTP_LIMITS,
    CHIP_MQTT_LIMITS,
};
use ferrite_runtime::board::Sockets;
use ferrite_runtime::json::json;
use ferrite_runtime::rpc::{Origin, RpcReply};
use ferrite_runtime::sim::{SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};
use smoltcp::phy::{Loopback, Medium};

/// Bytes live now, and the most ever live, through the counting allocator.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The largest single block asked for since it was last reset (what fragmentation can deny).
static LARGEST: AtomicUsize = AtomicUsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The peak as on a heap that cannot grow the block in place: old and new live at once.
        let before = LIVE.load(Ordering::Relaxed).max(0) as usize;
        PEAK.fetch_max(before + new_size, Ordering::Relaxed);
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size as isize - layout.size() as isize);
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        p
    }
}

fn grew(by: isize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now.max(0) as usize, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed).max(0) as usize
}

/// The most the firmware's own boot may keep on the heap (a 64-bit host's figure).
const BOOT_BUDGET: usize = 72 * 1024;

/// The most one script's realm may take when it starts: on a 32-bit target (the chip's) it
/// holds the built-ins' and the API's objects, while their names are shared
/// (`ferrite_engine::atoms::SharedNames`, about 23 KiB a realm) and their property tables'
/// indexes are sorted arrays (about 6 KiB); a 64-bit host's figures are larger.
const REALM_BUDGET: usize = if usize::BITS == 32 {
    56 * 1024
} else {
    70 * 1024
};

/// The most a script filling its budget may need at its peak: on a 32-bit target (the chip's)
/// the 128 KiB the product promises scripts; a 64-bit host's figures are larger.
const FILL_BUDGET: usize = if usize::BITS == 32 {
    128 * 1024
} else {
    176 * 1024
};

/// The chip's store partition (`firmware/esp32c3/partitions.csv`: `ferrite`, 960 KiB).
const PARTITION: u32 = 0xF0000;

/// The chip's per-realm heap budget (`SCRIPT_HEAP_BYTES` in `firmware/esp32c3/src/main.rs`).
const SCRIPT_HEAP_BYTES: usize = 24 * 1024;

/// A script that allocates a little within the chip's budget.
const SCRIPT: &str =
    "let a = []; for (let i = 0; i < 100; i++) a.push({ i }); print('ran', a.length);";

/// A script that makes objects until its heap budget runs out.
const FILL: &str = "let a = []; try { for (;;) a.push({ i: a.length }); } \
    catch (e) { const n = a.length; a = null; print('filled', n); }";

/// Erased NOR flash in RAM, with the chip's sector and write unit. Its bytes are allocated
/// before counting starts: on the chip they are flash, not heap.
struct RamFlash(Vec<u8>);

impl Flash for RamFlash {
    const SECTOR: u32 = 4096;
    const WRITE_UNIT: u32 = 4;
    fn capacity(&self) -> u32 {
        self.0.len() as u32
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        buf.copy_from_slice(&self.0[at..at + buf.len()]);
        Ok(())
    }
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let at = offset as usize;
        for (cell, b) in self.0[at..at + data.len()].iter_mut().zip(data) {
            *cell &= *b;
        }
        Ok(())
    }
    fn erase(&mut self, offset: u32) -> Result<(), FlashError> {
        let at = offset as usize;
        self.0[at..at + Self::SECTOR as usize].fill(0xFF);
        Ok(())
    }
}

#[test]
fn the_firmware_boot_heap_stays_within_its_budget() {
    let flash = RamFlash(vec![0xFF; PARTITION as usize]);
    let clock = VirtualClock::new(None);
    let start = live();

    let store = FlashStore::mount(flash).expect("an erased partition mounts");
    let after_store = live();

    let board = SimBoard::new(
        Box::new(clock.clone()),
        Box::new(store),
        Box::new(SimSystem::new(1, [0; 6])),
    );
    let mut rt = Runtime::new(
        Box::new(board),
        RuntimeConfig {
            model: "FerriteC3".into(),
            limits: Limits {
                script_heap: SCRIPT_HEAP_BYTES,
                ..Limits::SHELLY
            },
            lazy_console_realm: true,
            ..Default::default()
        },
    );
    rt.boot();
    let after_runtime = live();

    let mut consoles = [Console::new(Line::Raw), Console::new(Line::Raw)];
    for c in consoles.iter_mut() {
        c.on_boot(&mut rt);
    }
    let after_consoles = live();

    let stack = NetStack::new(
        Loopback::new(Medium::Ethernet),
        [2, 0, 0, 0, 0, 1],
        b"ferrite-c3",
        7,
        0,
    );
    let mut sockets = SharedSockets::new();
    let mut net = Network::new(
        stack,
        [9; 32],
        SharedMqtt::new(CHIP_MQTT_LIMITS),
        SharedHttp::new(CHIP_HTTP_LIMITS),
        sockets.clone(),
        WallClock::default(),
    );
    net.on_boot(&mut rt, 0);
    // A few idle rounds of the main loop, network up (DHCP asks, nobody answers).
    for ms in 1..=50 {
        clock.advance(20);
        rt.poll();
        for c in consoles.iter_mut() {
            c.poll(&mut rt);
        }
        net.poll(&mut rt, ms * 20, true);
    }
    let after_network = live();

    let total = after_network - start;
    let bits = usize::BITS;
    println!("\nboot heap ({bits}-bit target; the chip is 32-bit, and 64-bit figures are larger):");
    println!(
        "  flash store (960 KiB, empty)   {:>7} bytes",
        after_store - start
    );
    println!(
        "  runtime (chip limits)          {:>7} bytes",
        after_runtime - after_store
    );
    println!(
        "  two consoles                   {:>7} bytes",
        after_consoles - after_runtime
    );
    println!(
        "  network (sockets, links)       {:>7} bytes",
        after_network - after_consoles
    );
    println!("  total                          {total:>7} bytes (budget {BOOT_BUDGET})");

    // What each script then costs: its realm with the built-ins and the runtime's API.
    let before = live();
    ok(rt.rpc("Script.Create", json!({"name": "s"}), Origin::Transport));
    ok(rt.rpc(
        "Script.PutCode",
        json!({"id": 1, "code": SCRIPT}),
        Origin::Transport,
    ));
    let stored = live();
    LARGEST.store(0, Ordering::Relaxed);
    ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
    // The realm and the script's compiled code, before its top-level code runs.
    let realm = live() - stored;
    let largest_block = LARGEST.load(Ordering::Relaxed);
    for _ in 0..10 {
        rt.poll();
    }
    let ran = rt
        .device()
        .borrow()
        .log
        .since(0)
        .any(|l| l.text == "ran 100");
    assert!(ran, "the script did not run within the chip's budget");
    println!("  a script's realm (built-ins, the runtime's API) {realm:>7} bytes (budget {REALM_BUDGET})");
    println!("    its largest single block                     {largest_block:>7} bytes");
    let before_console = live();
    rt.console_eval(b"1 + 1");
    for _ in 0..10 {
        rt.poll();
    }
    println!(
        "  the console's realm, made on first use          {:>7} bytes",
        live() - before_console
    );
    println!(
        "  (the script's record and code in the store: {} bytes)",
        stored - before
    );
    // What a script's socket takes from the heap while it is open (none is made at boot): its
    // buffers, smoltcp's socket, its place in the socket set.
    // UDP first: it stays open, where the TCP socket (no network here) goes a round later.
    let before_udp = live();
    sockets.udp_bind(0).unwrap();
    net.poll(&mut rt, 2_000, true);
    let udp = live() - before_udp;
    let before_tcp = live();
    sockets.tcp_connect("192.0.2.1", 80).unwrap();
    net.poll(&mut rt, 2_020, true);
    let tcp = live() - before_tcp;
    println!("  a script's TCP socket, while open             {tcp:>7} bytes");
    // A script that fills its budget: the most the heap holds meanwhile above what it held
    // before (counting a growing block's old and new copies at once, as on a heap that cannot
    // grow it in place).
    ok(rt.rpc("Script.Stop", json!({"id": 1}), Origin::Transport));
    for _ in 0..10 {
        rt.poll();
    }
    let before_fill = live();
    PEAK.store(before_fill, Ordering::Relaxed);
    ok(rt.rpc(
        "Script.PutCode",
        json!({"id": 1, "code": FILL}),
        Origin::Transport,
    ));
    ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
    for _ in 0..50 {
        rt.poll();
    }
    let fill_peak = PEAK.load(Ordering::Relaxed) - before_fill;
    let filled = rt
        .device()
        .borrow()
        .log
        .since(0)
        .find_map(|l| l.text.strip_prefix("filled ").map(str::to_owned))
        .expect("the filling script ran out of budget and said so");
    println!(
        "  a script filling its {SCRIPT_HEAP_BYTES}-byte budget ({filled} objects): peak {fill_peak:>7} bytes (budget {FILL_BUDGET})"
    );
    println!("  a script's UDP socket, while open             {udp:>7} bytes");
    assert!(
        total <= BOOT_BUDGET,
        "the firmware's boot heap grew to {total} bytes, over its budget of {BOOT_BUDGET}"
    );
    assert!(
        fill_peak <= FILL_BUDGET,
        "a script filling its budget needed {fill_peak} bytes at its peak, over {FILL_BUDGET}"
    );
    assert!(
        realm <= REALM_BUDGET,
        "a script's realm grew to {realm} bytes, over its budget of {REALM_BUDGET}"
    );
    drop((net, consoles, rt));
}

/// The RPC succeeded at once.
fn ok(r: RpcReply) {
    match r {
        RpcReply::Done(Ok(_)) => {}
        RpcReply::Done(Err(e)) => panic!("rpc failed: {e}"),
        RpcReply::Pending(_) => panic!("rpc pending"),
    }
}
