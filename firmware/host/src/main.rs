//! `ferrite`: the host (Linux) build of Ferrite — run, check, REPL; later the virtual device.

mod cli;
mod repl;
mod run;

use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    let status = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            run::EXIT_OK
        }
        Ok(Command::Version) => {
            println!("ferrite {}", env!("CARGO_PKG_VERSION"));
            run::EXIT_OK
        }
        Ok(Command::Run { file, heap }) => run::run_file(&file, heap),
        Ok(Command::Check { file, heap }) => run::check_file(&file, heap),
        Ok(Command::Repl { heap }) => repl::repl(heap),
        Err(e) => {
            eprintln!("ferrite: {e}\nTry `ferrite --help`.");
            run::EXIT_USAGE
        }
    };
    ExitCode::from(status as u8)
}
