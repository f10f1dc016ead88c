//! `ferrite`: the host (Linux) build of Ferrite — run, check, REPL, the virtual device and the
//! serial-to-WebSocket bridge, and flashing Espressif chips over their serial ROM loader.

mod bridge;
mod cli;
mod device;
mod flash;
mod repl;
mod run;
mod serial_port;

use std::process::ExitCode;

use cli::Command;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("device") {
        let status = match device::parse(&args[1..]) {
            Ok(opts) => device::run(opts),
            Err(e) => {
                eprintln!("ferrite device: {e}\nTry `ferrite --help`.");
                run::EXIT_USAGE
            }
        };
        return ExitCode::from(status as u8);
    }
    if args.first().map(String::as_str) == Some("bridge") {
        let status = match bridge::parse(&args[1..]) {
            Ok(opts) => bridge::run(opts),
            Err(e) => {
                eprintln!("ferrite bridge: {e}\nTry `ferrite --help`.");
                run::EXIT_USAGE
            }
        };
        return ExitCode::from(status as u8);
    }
    if let Some(cmd) = args.first() {
        if flash::COMMANDS.contains(&cmd.as_str()) {
            return ExitCode::from(flash::main(&args) as u8);
        }
    }
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
