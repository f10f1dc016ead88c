//! `ferrite-wasm-runner`: the engine as a plain wasm32 module for node, without wasm-bindgen.
//!
//! Built with `cargo build -p ferrite-wasm-runner --target wasm32-unknown-unknown --profile bench-wasm`.
//! This is a `std` crate: on wasm32-unknown-unknown, std's global allocator is dlmalloc, so no
//! custom allocator or panic handler is needed.
//!
//! The module's interface (all integers are i32 on wasm32):
//! - exports `alloc(len) -> ptr` and `dealloc(ptr, len)`: the host copies a script in with these;
//! - exports `run(ptr, len, heap_budget) -> status`: runs the script (0 = ok, 1 = uncaught JS error;
//!   a `heap_budget` of 0 means the engine's default); it does not free the script;
//! - exports `run_named(ptr, len, name_ptr, name_len, heap_budget) -> status`: the same, with the
//!   script's name (UTF-8) for error locations; `run` names it `script.js`;
//! - imports `env.write(ptr, len)`: receives the script's output (`print`, `console.log`) and, after
//!   it, in one last call, the text of an uncaught error (`file:line:col: Name: message` and the
//!   stack) or of a panic (then `run` traps).
//!
//! `tools/bench/run-wasm.mjs` is the node side.

use std::cell::RefCell;
use std::rc::Rc;

use ferrite_engine::{Config, Engine};

/// Output is collected and handed to the host in chunks of about this size.
const CHUNK: usize = 8 << 10;

/// Run `source` named `name` in a fresh engine, sending all output to `write`; returns the status
/// `run` returns (0 ok, 1 uncaught error).
pub fn run_script(source: &[u8], name: &str, heap_budget: usize, write: fn(&[u8])) -> i32 {
    let mut config = Config::default();
    if heap_budget != 0 {
        config.heap_budget = heap_budget;
    }
    let buffer = Rc::new(RefCell::new(Vec::<u8>::with_capacity(CHUNK)));
    let mut engine = Engine::new(config);
    {
        let buffer = buffer.clone();
        engine.set_output(Box::new(move |bytes: &[u8]| {
            let mut b = buffer.borrow_mut();
            b.extend_from_slice(bytes);
            if b.len() >= CHUNK {
                write(&b);
                b.clear();
            }
        }));
    }
    let result = engine.eval(source, name);
    let rest = std::mem::take(&mut *buffer.borrow_mut());
    if !rest.is_empty() {
        write(&rest);
    }
    match result {
        Ok(_) => 0,
        Err(err) => {
            // One final `write` call, so that the host can tell it from the output.
            let mut text = format!("{err}\n");
            let stack = err.stack.trim_end_matches('\n');
            if !stack.is_empty() {
                text.push_str(stack);
                text.push('\n');
            }
            write(text.as_bytes());
            1
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use std::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};

    #[link(wasm_import_module = "env")]
    extern "C" {
        #[link_name = "write"]
        fn host_write(ptr: *const u8, len: usize);
    }

    fn write(bytes: &[u8]) {
        // SAFETY: the host only reads `len` bytes at `ptr` during the call.
        unsafe { host_write(bytes.as_ptr(), bytes.len()) }
    }

    /// Allocate `len` bytes (at least 1) for the host to fill; free with `dealloc(ptr, len)`.
    #[no_mangle]
    pub extern "C" fn alloc(len: usize) -> *mut u8 {
        match Layout::from_size_align(len.max(1), 1) {
            // SAFETY: the layout has a non-zero size.
            Ok(layout) => unsafe { raw_alloc(layout) },
            Err(_) => core::ptr::null_mut(),
        }
    }

    /// Free a block from `alloc` with the same `len`.
    ///
    /// # Safety
    /// `ptr` must come from `alloc(len)` and not have been freed.
    #[no_mangle]
    pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
        if ptr.is_null() {
            return;
        }
        // SAFETY: the caller guarantees `ptr` came from `alloc(len)`, i.e. this layout.
        unsafe { raw_dealloc(ptr, Layout::from_size_align_unchecked(len.max(1), 1)) }
    }

    /// Run the script in `ptr..ptr+len` with this heap budget (0: the default).
    ///
    /// # Safety
    /// `ptr..ptr+len` must be readable memory of this module (e.g. from `alloc(len)`).
    #[no_mangle]
    pub unsafe extern "C" fn run(ptr: *const u8, len: usize, heap_budget: usize) -> i32 {
        install_panic_hook();
        // SAFETY: guaranteed by the caller.
        let source = unsafe { bytes(ptr, len) };
        super::run_script(source, "script.js", heap_budget, write)
    }

    /// [`run`] with the script's name (UTF-8, used in error locations).
    ///
    /// # Safety
    /// Both ranges must be readable memory of this module (e.g. from `alloc`).
    #[no_mangle]
    pub unsafe extern "C" fn run_named(
        ptr: *const u8,
        len: usize,
        name_ptr: *const u8,
        name_len: usize,
        heap_budget: usize,
    ) -> i32 {
        install_panic_hook();
        // SAFETY: guaranteed by the caller.
        let (source, name) = unsafe { (bytes(ptr, len), bytes(name_ptr, name_len)) };
        let name = String::from_utf8_lossy(name);
        super::run_script(source, &name, heap_budget, write)
    }

    /// # Safety
    /// `ptr..ptr+len` must be readable (or `len` 0).
    unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
        if len == 0 {
            &[]
        } else {
            // SAFETY: guaranteed by the caller.
            unsafe { core::slice::from_raw_parts(ptr, len) }
        }
    }

    /// Panics print their message through `write` before trapping.
    fn install_panic_hook() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                write(format!("panic: {info}\n").as_bytes())
            }));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::run_script;
    use std::cell::RefCell;

    thread_local! {
        static OUT: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    fn capture(bytes: &[u8]) {
        OUT.with(|o| o.borrow_mut().push(bytes.to_vec()));
    }

    fn run(src: &str) -> (i32, Vec<String>) {
        OUT.with(|o| o.borrow_mut().clear());
        let status = run_script(src.as_bytes(), "t.js", 1 << 20, capture);
        let writes = OUT.with(|o| {
            o.borrow()
                .iter()
                .map(|w| String::from_utf8_lossy(w).into())
                .collect()
        });
        (status, writes)
    }

    #[test]
    fn output_then_error_in_a_last_write() {
        assert_eq!(run("print(1 + 1);"), (0, vec!["2\n".to_string()]));
        let (status, writes) = run("print('a');\nthrow new TypeError('boom');");
        assert_eq!(status, 1);
        assert_eq!(writes[0], "a\n");
        assert!(
            writes[1].starts_with("t.js:2:1: TypeError: boom\n"),
            "{writes:?}"
        );
    }
}
