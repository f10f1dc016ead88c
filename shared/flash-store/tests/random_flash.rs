//! Whatever the flash holds, mount and every operation after it return values, never panic (and
//! never write where the flash is not erased: the simulator panics on that): random bytes,
//! random bytes under valid sector headers, and a real store image with random damage.

mod common;

use common::{Rng, SimFlash};
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 512;
const SECTORS: u32 = 8;
type Sim = SimFlash<SECTOR>;

/// Mount and use the store; every result is allowed, a panic is not.
fn exercise(mem: Vec<u8>, seed: u64) -> bool {
    let flash = Sim::with_content(mem, seed);
    let Ok(mut store) = FlashStore::mount(flash.handle()) else {
        return false;
    };
    for name in store.list_files("") {
        let _ = store.read_file(&name);
        let _ = store.file_size(&name);
    }
    let _ = store.usage_bytes();
    let mut rng = Rng(seed);
    for i in 0..20 {
        let name = format!("n{}", rng.below(4));
        let len = rng.below(700) as usize;
        let data = rng.bytes(len);
        if i % 5 == 4 {
            let _ = store.remove_file(&name);
        } else if store.write_file(&name, &data).is_ok() {
            assert_eq!(store.read_file(&name).unwrap(), Some(data), "seed {seed}");
        }
    }
    drop(store);
    // What the store wrote onto the damaged flash mounts again.
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    for name in store.list_files("") {
        let _ = store.read_file(&name);
    }
    true
}

/// A valid store image with some history.
fn valid_image(seed: u64) -> Vec<u8> {
    let flash = Sim::new(SECTORS, seed);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let mut rng = Rng(seed);
    for _ in 0..40 {
        let name = format!("f{}", rng.below(6));
        let len = rng.below(400) as usize;
        let data = rng.bytes(len);
        let _ = store.write_file(&name, &data);
        if rng.below(4) == 0 {
            let _ = store.remove_file(&name);
        }
    }
    flash.image()
}

#[test]
fn random_bytes_mount_or_fail_cleanly() {
    let mut rng = Rng(1);
    for seed in 0..200 {
        let mem = rng.bytes((SECTOR * SECTORS) as usize);
        exercise(mem, seed);
    }
}

#[test]
fn random_bodies_under_valid_headers() {
    for seed in 0..200 {
        let mut mem = valid_image(seed);
        let mut rng = Rng(seed + 1000);
        for s in 0..SECTORS as usize {
            if rng.below(2) == 0 {
                let base = s * SECTOR as usize;
                let from = base + 20 + rng.below(u64::from(SECTOR) - 20) as usize;
                let noise = rng.bytes(base + SECTOR as usize - from);
                mem[from..base + SECTOR as usize].copy_from_slice(&noise);
            }
        }
        assert!(
            exercise(mem, seed),
            "seed {seed}: mount failed on a readable flash"
        );
    }
}

#[test]
fn damaged_store_images() {
    let mut mounted = 0;
    for seed in 0..300 {
        let mut mem = valid_image(seed);
        let mut rng = Rng(seed + 7);
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(mem.len() as u64) as usize;
            match rng.below(4) {
                0 => mem[at] ^= 1 << rng.below(8),
                1 => mem[at] = rng.next() as u8,
                2 => {
                    // A copy of one sector over another (stale data, duplicate sequence numbers).
                    let (a, b) = (rng.below(8) as usize, rng.below(8) as usize);
                    let src = mem[a * 512..(a + 1) * 512].to_vec();
                    mem[b * 512..(b + 1) * 512].copy_from_slice(&src);
                }
                _ => {
                    let end = (at + 64).min(mem.len());
                    mem[at..end].fill(0);
                }
            }
        }
        if exercise(mem, seed) {
            mounted += 1;
        }
    }
    assert_eq!(mounted, 300, "a damaged but readable flash must mount");
}

#[test]
fn unusable_geometry_is_an_error() {
    let err = FlashStore::mount(Sim::new(3, 1))
        .err()
        .expect("3 sectors cannot hold a store");
    assert!(err.to_string().contains("4 to 65535 sectors"), "{err}");
    let ragged = Sim::with_content(vec![0xFF; 8 * 512 + 100], 1);
    assert!(FlashStore::mount(ragged).is_err());
}
