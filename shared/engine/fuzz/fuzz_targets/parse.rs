//! The lexer and parser must return Ok or a SyntaxError for any input: never panic or overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ferrite_engine::parser::ParseOptions::default();
    let _ = ferrite_engine::parser::parse_program(data, &opts);
});
