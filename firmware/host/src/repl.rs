//! `ferrite repl`: an interactive line REPL over standard input and output.
//!
//! The prompt shows the heap like Smart.js' console, `[free/used] > `. An entry that ends inside an
//! unclosed bracket, template literal or block comment continues with a `... ` prompt. Every entry
//! is evaluated as a script named `<repl>` in the same engine, so globals persist.

use std::io::{self, BufRead, IsTerminal};

use ferrite_console::entry::is_incomplete;
use ferrite_engine::Engine;

use crate::run::{new_engine, Output, EXIT_OK};

const HELP: &str = "\
.exit     quit (or end of input / Ctrl-D)
.break    abandon a multi-line entry
.gc       collect garbage and show heap statistics
.help     this text
The prompt shows [free/used] heap bytes.
";

pub fn repl(heap: usize) -> i32 {
    let out = Output::new();
    let mut engine = new_engine(heap, &out);
    let stdin = io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    if interactive {
        out.write(
            format!(
                "ferrite {} — .help for help, .exit to quit\n",
                env!("CARGO_PKG_VERSION")
            )
            .as_bytes(),
        );
    }

    let mut entry: Vec<u8> = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    loop {
        if entry.is_empty() {
            let s = engine.heap_stats();
            out.write(format!("[{}/{}] > ", s.free, s.used).as_bytes());
        } else {
            out.write(b"... ");
        }
        out.flush();

        line.clear();
        let n = input.read_until(b'\n', &mut line).unwrap_or(0);
        if n == 0 {
            // End of input: evaluate what is pending (its error says what is missing), then quit.
            if interactive {
                out.write(b"\n");
            }
            if !entry.is_empty() {
                eval_entry(&mut engine, &out, &entry);
            }
            break;
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }

        let command = String::from_utf8_lossy(&line);
        let command = command.trim();
        if entry.is_empty() {
            match command {
                "" => continue,
                ".exit" => break,
                ".help" => {
                    out.write(HELP.as_bytes());
                    continue;
                }
                ".gc" => {
                    engine.collect_garbage();
                    let s = engine.heap_stats();
                    out.write(
                        format!(
                            "budget {} used {} free {} objects {} collections {}\n",
                            s.budget, s.used, s.free, s.objects, s.collections
                        )
                        .as_bytes(),
                    );
                    continue;
                }
                _ => {}
            }
        } else if command == ".break" {
            entry.clear();
            continue;
        }

        entry.extend_from_slice(&line);
        entry.push(b'\n');
        if is_incomplete(&entry) {
            continue;
        }
        eval_entry(&mut engine, &out, &entry);
        entry.clear();
    }
    out.flush();
    EXIT_OK
}

fn eval_entry(engine: &mut Engine, out: &Output, source: &[u8]) {
    match engine.eval(source, "<repl>") {
        Ok(v) => {
            if !v.is_undefined() {
                let mut text = engine.display(v);
                text.push('\n');
                out.write(text.as_bytes());
            }
        }
        Err(e) => out.write(format!("{}: {}\n", e.name, e.message).as_bytes()),
    }
}
