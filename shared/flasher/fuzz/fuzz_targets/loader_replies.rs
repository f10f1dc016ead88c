//! Whatever a chip (or a noisy line) answers, the flasher must never panic, must keep what it
//! buffers bounded, and must end every task: by a result or an error at a deadline. A hard
//! reset afterwards always ends in `Done::Reset` and leaves the flasher unconnected.
#![no_main]
use ferrite_flasher::{Config, Done, Error, Flasher, Output, Task};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let cfg = Config {
        use_stub: sel & 1 != 0,
        compress: sel & 2 != 0,
        target_baud: (sel & 4 != 0).then_some(921_600),
        sync_attempts: 3,
        usb_id: (sel & 0x10 != 0).then_some((0x303A, 0x1001)),
        ..Config::default()
    };
    let mut f = Flasher::new(cfg);
    let task = if sel & 8 != 0 {
        Task::Connect
    } else {
        Task::Write {
            offset: 0x1000,
            data: rest.iter().copied().take(8192).collect(),
        }
    };
    if f.start(task, 0).is_err() {
        return;
    }
    let step = usize::from(sel >> 4) + 1;
    let mut now = 0u64;
    for piece in rest.chunks(step) {
        f.feed(piece, now);
        while f.poll(now).is_some() {}
        now += 7;
    }
    // Silence from here: the task must end at its deadlines, not wait forever.
    finish(&mut f, &mut now);

    f.start(Task::HardReset, now)
        .expect("a hard reset is allowed when idle");
    let last = finish(&mut f, &mut now);
    assert_eq!(last, Some(Output::Done(Done::Reset)));
    assert_eq!(
        f.start(Task::Read { offset: 0, len: 4 }, now),
        Err(Error::NotConnected)
    );
});

/// Poll through deadlines of silence until the task ends; its last output.
fn finish(f: &mut Flasher, now: &mut u64) -> Option<Output> {
    let mut last = None;
    for _ in 0..10_000 {
        while let Some(o) = f.poll(*now) {
            last = Some(o);
        }
        if !f.busy() {
            return last;
        }
        match f.deadline() {
            Some(d) => *now = d.max(*now + 1),
            None => panic!("a busy flasher without a deadline waits forever"),
        }
    }
    panic!("the flasher is still busy after 10000 deadlines of silence");
}
