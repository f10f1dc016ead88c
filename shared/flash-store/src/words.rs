//! Bytes over a flash driver that moves whole words between word-aligned memory and
//! word-aligned flash offsets (the ESP32-C3's ROM functions): for a [`Flash`](crate::Flash)
//! implementation on such a driver. Where the caller's memory and the flash offset are both
//! word-aligned the driver reads or writes the caller's bytes in place; the rest (an unaligned
//! start or end, or memory whose alignment differs from the offset's) goes through a
//! [`STAGING_WORDS`]-word buffer on the stack — not through a sector-sized one, as esp-storage's
//! byte-level calls do, which would take 4 KiB of the chip's stack on every store call.
//!
//! Must never: touch flash outside the words that hold the requested bytes (a read may read the
//! rest of its first and last words; a write writes 0xFF there, which changes no bit).

/// The staging buffer's size in words (256 bytes).
pub const STAGING_WORDS: usize = 64;

const WORD: u32 = 4;

/// Read `buf.len()` bytes at flash offset `at` (any alignment) with `read_words(offset,
/// words)`, which fills `words` from word-aligned `offset`; the region's bounds are the
/// caller's to check (whole words around the bytes are read).
pub fn read_bytes<E>(
    at: u32,
    buf: &mut [u8],
    mut read_words: impl FnMut(u32, &mut [u32]) -> Result<(), E>,
) -> Result<(), E> {
    let (head, middle, tail) = split_aligned(at, buf.len(), buf.as_ptr());
    let (head_buf, rest) = buf.split_at_mut(head);
    let (middle_buf, tail_buf) = rest.split_at_mut(middle);
    staged_read(at, head_buf, &mut read_words)?;
    if middle > 0 {
        // SAFETY: `split_aligned` made `middle_buf` start at a word-aligned address and hold
        // whole words, which it borrows exclusively; every bit pattern is a valid `u32`.
        let words = unsafe {
            core::slice::from_raw_parts_mut(middle_buf.as_mut_ptr().cast::<u32>(), middle / 4)
        };
        read_words(at + head as u32, words)?;
    }
    staged_read(at + (head + middle) as u32, tail_buf, &mut read_words)?;
    debug_assert_eq!(tail, tail_buf.len());
    Ok(())
}

/// Write `data` at flash offset `at` (any alignment and length, from memory of any
/// alignment) with `write_words(offset, words)`. NOR flash only clears bits, so the bytes of
/// the first and last words around `data` are written as 0xFF, which leaves them as they are.
pub fn write_bytes<E>(
    at: u32,
    data: &[u8],
    mut write_words: impl FnMut(u32, &[u32]) -> Result<(), E>,
) -> Result<(), E> {
    if data.is_empty() {
        return Ok(());
    }
    let whole = data.len() / WORD as usize * WORD as usize;
    let mut done = 0;
    if at.is_multiple_of(WORD) && (data.as_ptr() as usize).is_multiple_of(WORD as usize) {
        if whole > 0 {
            // SAFETY: `data` starts at a word-aligned address and holds `whole` bytes; they
            // are only read, while `data` is borrowed; every bit pattern is a valid `u32`.
            let words =
                unsafe { core::slice::from_raw_parts(data.as_ptr().cast::<u32>(), whole / 4) };
            write_words(at, words)?;
        }
        done = whole;
    }
    // The rest through the staging buffer, padded with 0xFF to whole words.
    let at = at + done as u32;
    let head = (at % WORD) as usize;
    let rest = &data[done..];
    let mut bytes = core::iter::repeat_n(0xFF, head)
        .chain(rest.iter().copied())
        .chain(core::iter::repeat(0xFF));
    let mut staging = [0u32; STAGING_WORDS];
    let mut offset = at - head as u32;
    let mut words_left = (head + rest.len()).div_ceil(WORD as usize);
    while words_left > 0 {
        let n = words_left.min(STAGING_WORDS);
        for word in &mut staging[..n] {
            let mut b = [0xFF; 4];
            for byte in &mut b {
                *byte = bytes.next().unwrap_or(0xFF);
            }
            *word = u32::from_ne_bytes(b);
        }
        write_words(offset, &staging[..n])?;
        offset += n as u32 * WORD;
        words_left -= n;
    }
    Ok(())
}

/// How `len` bytes at flash offset `at`, in memory at `ptr`, split into a staged head, a
/// middle of whole words read in place (both `at` and `ptr` word-aligned there; empty when
/// their alignments differ) and a staged tail.
fn split_aligned(at: u32, len: usize, ptr: *const u8) -> (usize, usize, usize) {
    let to_aligned_flash = (WORD - at % WORD) as usize % WORD as usize;
    let to_aligned_memory = (WORD as usize - ptr as usize % WORD as usize) % WORD as usize;
    if to_aligned_flash != to_aligned_memory || to_aligned_flash >= len {
        return (len, 0, 0);
    }
    let head = to_aligned_flash;
    let middle = (len - head) / WORD as usize * WORD as usize;
    (head, middle, len - head - middle)
}

/// Read `buf` at `at` through the staging buffer, a chunk at a time.
fn staged_read<E>(
    at: u32,
    buf: &mut [u8],
    read_words: &mut impl FnMut(u32, &mut [u32]) -> Result<(), E>,
) -> Result<(), E> {
    let mut staging = [0u32; STAGING_WORDS];
    let mut skip = (at % WORD) as usize;
    let mut offset = at - skip as u32;
    let mut rest = buf;
    while !rest.is_empty() {
        let n = (skip + rest.len())
            .div_ceil(WORD as usize)
            .min(STAGING_WORDS);
        read_words(offset, &mut staging[..n])?;
        let take = (n * WORD as usize - skip).min(rest.len());
        let (now, later) = rest.split_at_mut(take);
        for (i, byte) in now.iter_mut().enumerate() {
            let at_byte = skip + i;
            *byte = staging[at_byte / WORD as usize].to_ne_bytes()[at_byte % WORD as usize];
        }
        rest = later;
        offset += n as u32 * WORD;
        skip = 0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;
    use alloc::format;
    use alloc::vec::Vec;

    /// Word-aligned bytes, to slice at each alignment.
    #[repr(C, align(4))]
    struct Aligned([u8; 4200]);

    fn aligned() -> Box<Aligned> {
        Box::new(Aligned([0; 4200]))
    }

    /// A NOR flash (a write clears bits: new = old & written) of `len` bytes (byte `i` is
    /// `i * 7 + 3`) moving whole words, which fails the test on an unaligned offset or memory
    /// or a word outside the region, and notes the span of flash each call touched.
    struct WordFlash {
        bytes: Vec<u8>,
        calls: usize,
        touched: Option<(usize, usize)>,
    }

    impl WordFlash {
        fn new(len: usize) -> WordFlash {
            WordFlash {
                bytes: (0..len).map(|i| (i * 7 + 3) as u8).collect(),
                calls: 0,
                touched: None,
            }
        }

        fn span(&mut self, offset: u32, words: usize) -> (usize, usize) {
            assert!(offset.is_multiple_of(WORD), "offset {offset}");
            let (start, end) = (offset as usize, offset as usize + words * 4);
            assert!(end <= self.bytes.len(), "{start}..{end}");
            let (lo, hi) = self.touched.unwrap_or((start, end));
            self.touched = Some((lo.min(start), hi.max(end)));
            self.calls += 1;
            (start, end)
        }

        fn read(&mut self, offset: u32, words: &mut [u32]) -> Result<(), &'static str> {
            assert!(words.as_ptr().is_aligned());
            let (start, _) = self.span(offset, words.len());
            for (i, word) in words.iter_mut().enumerate() {
                let b = &self.bytes[start + i * 4..][..4];
                *word = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            }
            Ok(())
        }

        fn write(&mut self, offset: u32, words: &[u32]) -> Result<(), &'static str> {
            assert!(words.as_ptr().is_aligned());
            let (start, _) = self.span(offset, words.len());
            for (i, word) in words.iter().enumerate() {
                for (old, new) in self.bytes[start + i * 4..][..4]
                    .iter_mut()
                    .zip(word.to_ne_bytes())
                {
                    *old &= new;
                }
            }
            Ok(())
        }
    }

    /// The words around `len` bytes at `at`.
    fn around(at: u32, len: usize) -> (usize, usize) {
        let start = at as usize / 4 * 4;
        (start, (at as usize + len).div_ceil(4) * 4)
    }

    #[test]
    fn reads_any_offset_length_and_memory_alignment() {
        let expected = WordFlash::new(2048).bytes;
        // Memory at each alignment: a word-aligned buffer, read from 0..4 bytes in.
        let mut backing = aligned();
        for at in [0u32, 1, 2, 3, 4, 5, 255, 256, 257, 1021] {
            for len in [0usize, 1, 2, 3, 4, 5, 7, 8, 255, 256, 257, 600, 1023] {
                for shift in 0..4 {
                    let mut flash = WordFlash::new(2048);
                    let buf = &mut backing.0[shift..shift + len];
                    buf.fill(0xEE);
                    read_bytes(at, buf, |o, w| flash.read(o, w)).unwrap();
                    let want = &expected[at as usize..at as usize + len];
                    assert_eq!(buf, want, "at {at} len {len} shift {shift}");
                    if len > 0 {
                        assert_eq!(flash.touched, Some(around(at, len)), "at {at} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn reads_in_place_when_memory_and_offset_align() {
        let mut flash = WordFlash::new(8192);
        let mut backing = aligned();
        let bytes = &mut backing.0[..4096];
        read_bytes(4, bytes, |o, w| flash.read(o, w)).unwrap();
        assert_eq!(flash.calls, 1, "one call for 4 KiB in place");
        assert_eq!(bytes, &flash.bytes[4..4 + 4096]);
        // Misaligned to each other: 4 KiB through 256-byte chunks.
        flash.calls = 0;
        read_bytes(5, &mut bytes[..4096], |o, w| flash.read(o, w)).unwrap();
        assert_eq!(flash.calls, 17);
        assert_eq!(&bytes[..4096], &flash.bytes[5..5 + 4096]);
    }

    #[test]
    fn writes_any_offset_length_and_memory_alignment() {
        let mut backing = aligned();
        for at in [512u32, 513, 514, 515] {
            for shift in 0..4 {
                for len in [0usize, 1, 3, 4, 5, 8, 252, 255, 256, 260, 1024] {
                    let mut flash = WordFlash::new(2048);
                    // Erased where the data goes, so that the written bytes read back as given.
                    flash.bytes[at as usize..at as usize + len].fill(0xFF);
                    let data = &mut backing.0[shift..shift + len];
                    for (i, b) in data.iter_mut().enumerate() {
                        *b = (i * 13 + shift) as u8;
                    }
                    let before = flash.bytes.clone();
                    write_bytes(at, data, |o, w| flash.write(o, w)).unwrap();
                    let (a, b) = (at as usize, at as usize + len);
                    let case = format!("at {at} shift {shift} len {len}");
                    assert_eq!(&flash.bytes[a..b], &*data, "{case}");
                    assert_eq!(flash.bytes[..a], before[..a], "{case}");
                    assert_eq!(flash.bytes[b..], before[b..], "{case}");
                    if len > 0 {
                        assert_eq!(flash.touched, Some(around(at, len)), "{case}");
                    }
                    if at == 512 && shift == 0 && len % 4 == 0 && len > 0 {
                        assert_eq!(flash.calls, 1, "in place: {case}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_driver_error_ends_the_call() {
        let mut calls = 0;
        let mut buf = [0u8; 600];
        let r = read_bytes(1, &mut buf, |_, _| {
            calls += 1;
            Err("I/O")
        });
        assert_eq!((r, calls), (Err("I/O"), 1));
        let r = write_bytes(0, &buf[1..513], |_, _| Err("I/O"));
        assert_eq!(r, Err("I/O"));
    }
}
