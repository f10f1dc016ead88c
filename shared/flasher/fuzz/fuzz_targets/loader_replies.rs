//! Whatever a chip (or a noisy line) answers, the flasher must never panic, must keep what it
//! buffers bounded, and must end every task: by a result or an error at a deadline.
#![no_main]
use ferrite_flasher::{Config, Flasher, Task};
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
    for _ in 0..10_000 {
        while f.poll(now).is_some() {}
        if !f.busy() {
            return;
        }
        match f.deadline() {
            Some(d) => now = d.max(now + 1),
            None => panic!("a busy flasher without a deadline waits forever"),
        }
    }
    panic!("the flasher is still busy after 10000 deadlines of silence");
});
