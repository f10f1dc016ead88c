//! Bytes over a flash driver that moves whole words between word-aligned memory and
//! word-aligned flash offsets (the ESP32-C3's ROM functions): for a [`Flash`](crate::Flash)
//! implementation on such a driver. Where the caller's memory and the flash offset are both
//! word-aligned the driver reads or writes the caller's bytes in place; the rest (an unaligned
//! start or end, or memory whose alignment differs from the offset's) goes through a
//! [`STAGING_WORDS`]-word buffer on the stack — not through a sector-sized one, as esp-storage's
//! byte-level calls do, which would take 4 KiB of the chip's stack on every store call.
//!
//! Must never: touch flash outside the words that hold the requested bytes (a read may read the
//! rest of its first and last words; a write writes whole words only).

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

/// Write `data` at word-aligned flash offset `at` (a whole number of words, from memory of any
/// alignment) with `write_words(offset, words)`.
///
/// # Panics
/// In debug builds, if `at` or `data.len()` is not a multiple of 4 (the caller checks).
pub fn write_bytes<E>(
    at: u32,
    data: &[u8],
    mut write_words: impl FnMut(u32, &[u32]) -> Result<(), E>,
) -> Result<(), E> {
    debug_assert!(at.is_multiple_of(WORD) && data.len().is_multiple_of(WORD as usize));
    if data.is_empty() {
        return Ok(());
    }
    if (data.as_ptr() as usize).is_multiple_of(WORD as usize) {
        // SAFETY: `data` starts at a word-aligned address; its whole words are read only,
        // while `data` is borrowed; every bit pattern is a valid `u32`.
        let words = unsafe {
            core::slice::from_raw_parts(data.as_ptr().cast::<u32>(), data.len() / WORD as usize)
        };
        return write_words(at, words);
    }
    let mut staging = [0u32; STAGING_WORDS];
    for (i, chunk) in data.chunks(STAGING_WORDS * WORD as usize).enumerate() {
        let n = chunk.len() / WORD as usize;
        for (word, bytes) in staging.iter_mut().zip(chunk.chunks_exact(WORD as usize)) {
            *word = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let offset = at + (i * STAGING_WORDS) as u32 * WORD;
        write_words(offset, &staging[..n])?;
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
    use alloc::vec::Vec;

    /// Word-aligned bytes, to slice at each alignment.
    #[repr(C, align(4))]
    struct Aligned([u8; 4200]);

    fn aligned() -> Box<Aligned> {
        Box::new(Aligned([0; 4200]))
    }

    /// A flash of `len` bytes (byte `i` is `i * 7 + 3`) moving whole words, which fails the
    /// test on an unaligned offset or memory, or on a word outside the region.
    struct WordFlash {
        bytes: Vec<u8>,
        calls: usize,
    }

    impl WordFlash {
        fn new(len: usize) -> WordFlash {
            WordFlash {
                bytes: (0..len).map(|i| (i * 7 + 3) as u8).collect(),
                calls: 0,
            }
        }

        fn read(&mut self, offset: u32, words: &mut [u32]) -> Result<(), &'static str> {
            assert!(offset.is_multiple_of(WORD), "offset {offset}");
            assert!(words.as_ptr().is_aligned());
            let start = offset as usize;
            let end = start + words.len() * 4;
            assert!(end <= self.bytes.len(), "{start}..{end}");
            for (i, word) in words.iter_mut().enumerate() {
                let b = &self.bytes[start + i * 4..][..4];
                *word = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            }
            self.calls += 1;
            Ok(())
        }

        fn write(&mut self, offset: u32, words: &[u32]) -> Result<(), &'static str> {
            assert!(offset.is_multiple_of(WORD), "offset {offset}");
            assert!(words.as_ptr().is_aligned());
            let start = offset as usize;
            for (i, word) in words.iter().enumerate() {
                self.bytes[start + i * 4..][..4].copy_from_slice(&word.to_ne_bytes());
            }
            self.calls += 1;
            Ok(())
        }
    }

    #[test]
    fn reads_any_offset_length_and_memory_alignment() {
        let mut flash = WordFlash::new(2048);
        let expected = flash.bytes.clone();
        // Memory at each alignment: a word-aligned buffer, read from 0..4 bytes in.
        let mut backing = aligned();
        for at in [0u32, 1, 2, 3, 4, 5, 255, 256, 257, 1021] {
            for len in [0usize, 1, 2, 3, 4, 5, 7, 8, 255, 256, 257, 600, 1023] {
                for shift in 0..4 {
                    let buf = &mut backing.0[shift..shift + len];
                    buf.fill(0xEE);
                    read_bytes(at, buf, |o, w| flash.read(o, w)).unwrap();
                    let want = &expected[at as usize..at as usize + len];
                    assert_eq!(buf, want, "at {at} len {len} shift {shift}");
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
    fn writes_words_from_memory_of_any_alignment() {
        let mut backing = aligned();
        for shift in 0..4 {
            for len in [0usize, 4, 8, 252, 256, 260, 1024] {
                let mut flash = WordFlash::new(2048);
                let data = &mut backing.0[shift..shift + len];
                for (i, b) in data.iter_mut().enumerate() {
                    *b = (i * 13 + shift) as u8;
                }
                let before = flash.bytes.clone();
                write_bytes(512, data, |o, w| flash.write(o, w)).unwrap();
                assert_eq!(
                    &flash.bytes[512..512 + len],
                    &*data,
                    "shift {shift} len {len}"
                );
                assert_eq!(flash.bytes[..512], before[..512]);
                assert_eq!(flash.bytes[512 + len..], before[512 + len..]);
                let chunks = match (len, shift) {
                    (0, _) => 0,
                    (_, 0) => 1,
                    _ => len.div_ceil(256),
                };
                assert_eq!(flash.calls, chunks, "shift {shift} len {len}");
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
