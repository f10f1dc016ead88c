//! `ferrite run` and `ferrite check`, and the buffered standard output the engine prints to.

use std::cell::RefCell;
use std::io::{self, BufWriter, Read, Stdout, Write};
use std::rc::Rc;

use ferrite_engine::{Config, Engine, JsError};

/// Exit statuses of the CLI.
pub const EXIT_OK: i32 = 0;
pub const EXIT_JS_ERROR: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// An output sink, as [`Engine::set_output`] takes it.
pub type Sink = Box<dyn FnMut(&[u8])>;

/// Buffered standard output shared between the engine's output sink and the CLI.
///
/// Write errors (a closed pipe) are ignored: a script must not fail because nobody reads it.
#[derive(Clone)]
pub struct Output(Rc<RefCell<BufWriter<Stdout>>>);

impl Output {
    pub fn new() -> Output {
        Output(Rc::new(RefCell::new(BufWriter::with_capacity(
            16 << 10,
            io::stdout(),
        ))))
    }

    /// A sink for [`Engine::set_output`].
    pub fn sink(&self) -> Sink {
        let out = self.clone();
        Box::new(move |bytes: &[u8]| out.write(bytes))
    }

    pub fn write(&self, bytes: &[u8]) {
        let _ = self.0.borrow_mut().write_all(bytes);
    }

    pub fn flush(&self) {
        let _ = self.0.borrow_mut().flush();
    }
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

/// A new engine with this heap budget, printing to `out`.
pub fn new_engine(heap: usize, out: &Output) -> Engine {
    let mut engine = Engine::new(Config {
        heap_budget: heap,
        ..Config::default()
    });
    engine.set_output(out.sink());
    engine.set_clock(Box::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64)
    }));
    engine
}

/// Print an uncaught error to standard error: `file:line:col: Name: message`, then the JS stack.
pub fn report_error(err: &JsError) {
    let mut text = format!("{err}\n");
    let stack = err.stack.trim_end_matches('\n');
    if !stack.is_empty() {
        text.push_str(stack);
        text.push('\n');
    }
    let _ = io::stderr().write_all(text.as_bytes());
}

/// Read a script (`-` is standard input); on failure, print why and return `Err(EXIT_USAGE)`.
fn read_source(file: &str) -> Result<Vec<u8>, i32> {
    let result = if file == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(file)
    };
    result.map_err(|e| {
        eprintln!("ferrite: cannot read `{file}`: {e}");
        EXIT_USAGE
    })
}

/// The script name given to the engine (what error locations show): the path as given.
fn script_name(file: &str) -> &str {
    if file == "-" {
        "<stdin>"
    } else {
        file
    }
}

/// `ferrite run FILE`: the exit status.
pub fn run_file(file: &str, heap: usize) -> i32 {
    let source = match read_source(file) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let out = Output::new();
    let mut engine = new_engine(heap, &out);
    let result = engine.eval(&source, script_name(file));
    out.flush();
    match result {
        Ok(_) => EXIT_OK,
        Err(err) => {
            report_error(&err);
            EXIT_JS_ERROR
        }
    }
}

/// `ferrite check FILE`: the exit status.
pub fn check_file(file: &str, heap: usize) -> i32 {
    let source = match read_source(file) {
        Ok(s) => s,
        Err(status) => return status,
    };
    let out = Output::new();
    let mut engine = new_engine(heap, &out);
    let result = engine.check(&source, script_name(file));
    out.flush();
    match result {
        Ok(()) => EXIT_OK,
        Err(err) => {
            report_error(&err);
            EXIT_JS_ERROR
        }
    }
}
