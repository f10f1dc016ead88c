//! What mount does with damage it finds: a broken newest version falls back to the best older
//! one (found by a rescan for that name alone), and a headerless sector that reads blank in an
//! initialised partition is erased again with an erase count above the others, not taken for a
//! new sector.

mod common;

use common::SimFlash;
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 1024;
const SECTORS: u32 = 8;
type Sim = SimFlash<SECTOR>;

#[test]
fn a_damaged_newest_version_falls_back_to_the_older_one() {
    let flash = Sim::new(SECTORS, 4);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let v1: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    let v2 = vec![0xA5u8; 300];
    let v3 = vec![0x3Cu8; 300];
    store.write_file("f", &v1).unwrap();
    store.write_file("other", b"x").unwrap();
    store.write_file("f", &v2).unwrap();
    store.write_file("f", &v3).unwrap();
    drop(store);
    // Damage a data byte of every v3 and v2 chunk (their CRCs fail: the versions are broken).
    let mut image = flash.image();
    for fill in [0x3Cu8, 0xA5] {
        let mut at = 0;
        while let Some(off) = image[at..]
            .windows(16)
            .position(|w| w.iter().all(|&b| b == fill))
        {
            image[at + off] = 0;
            at += off + 16;
            while at < image.len() && image[at] == fill {
                at += 1;
            }
        }
    }
    flash.set_image(&image);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    assert_eq!(store.read_file("f").unwrap(), Some(v1));
    assert_eq!(store.read_file("other").unwrap(), Some(b"x".to_vec()));
    // New versions go above the broken ones.
    store.write_file("f", b"v4").unwrap();
    drop(store);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    assert_eq!(store.read_file("f").unwrap(), Some(b"v4".to_vec()));
}

#[test]
fn a_blank_headerless_sector_is_erased_again_with_a_higher_count() {
    let flash = Sim::new(SECTORS, 6);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    store.write_file("a", b"kept").unwrap();
    let counts = store.erase_counts();
    drop(store);
    // The last sector is free (the store uses the first); make it read blank, header included,
    // as an interrupted erase can leave it.
    let last = (SECTORS - 1) as usize;
    let mut image = flash.image();
    image[last * SECTOR as usize..].fill(0xFF);
    flash.set_image(&image);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    let top = counts.iter().copied().max().unwrap();
    assert_eq!(store.erase_counts()[last], top + 1);
    assert_eq!(store.read_file("a").unwrap(), Some(b"kept".to_vec()));

    // A wholly blank partition is a fresh one: nothing is erased, every count starts at 0.
    let fresh = Sim::new(SECTORS, 7);
    let mut store = FlashStore::mount(fresh.handle()).unwrap();
    assert_eq!(store.erase_counts(), vec![0; SECTORS as usize]);
}
