//! The committed ELF fixture is exactly what the generator in tests/support makes, so it cannot
//! drift from the code that documents it. To change it: edit `tiny_esp32c3_elf`, then run this
//! test with FERRITE_WRITE_FIXTURES=1 and commit the new file.

mod support;

#[test]
fn the_committed_fixture_is_what_the_generator_makes() {
    let made = support::tiny_esp32c3_elf();
    let path = support::fixture_path();
    if std::env::var_os("FERRITE_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &made).expect("write the fixture");
    }
    let committed = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run with FERRITE_WRITE_FIXTURES=1 to make it",
            path.display()
        )
    });
    assert!(
        committed == made,
        "{} differs from support::tiny_esp32c3_elf() ({} vs {} bytes); regenerate it with \
         FERRITE_WRITE_FIXTURES=1",
        path.display(),
        committed.len(),
        made.len()
    );
}
