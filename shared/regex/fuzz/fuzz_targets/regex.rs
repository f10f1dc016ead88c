//! Any pattern, flags and subject: parsing returns a pattern or a SyntaxError, matching returns
//! a match, no match or a limit error — never a panic, an overflow or a hang (small limits).
#![no_main]
use libfuzzer_sys::fuzz_target;

use ferrite_regex::{Flags, Limits, Regex};

fuzz_target!(|data: &[u8]| {
    let Some((&flag_bits, rest)) = data.split_first() else {
        return;
    };
    // The pattern, then a NUL, then the subject.
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let (pattern, subject) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
    let flags = Flags {
        ignore_case: flag_bits & 1 != 0,
        multiline: flag_bits & 2 != 0,
        dot_all: flag_bits & 4 != 0,
        unicode: flag_bits & 8 != 0,
    };
    let Ok(re) = Regex::new(pattern, flags) else {
        return;
    };
    let limits = Limits {
        steps: 200_000,
        stack_bytes: 1 << 20,
    };
    let mut steps = 0;
    let start = usize::from(flag_bits >> 5);
    if let Ok(Some(m)) = re.find_at(subject, start, flag_bits & 16 != 0, limits, &mut steps) {
        for (s, e) in m.captures.iter().flatten() {
            assert!(s <= e && *e <= subject.len(), "capture out of the subject");
        }
    }
    assert!(steps <= limits.steps + 1 + subject.len() as u64);
});
