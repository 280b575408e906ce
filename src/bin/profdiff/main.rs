//! The `profdiff` binary: parses arguments, runs one command and maps the
//! outcome to an exit code (0 ok, 1 regression or mismatch, 2 usage or input
//! error). Colour and terminal width are decided once, in [`args`].

mod args;
mod commands;
mod man_and_completions;
mod memory;
mod paths;
mod suite;
mod values;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use profdiff::{Error, Remedy};

#[global_allocator]
static ALLOCATOR: memory::Budgeted = memory::Budgeted;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are successes; everything else is a usage error.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    memory::set_limit(match cli.max_memory {
        Some(memory::Budget(bytes)) => bytes,
        None => memory::default_limit(),
    });
    let mut stdout = stdout_writer();
    let result = match &cli.command {
        Command::Diff(args) => commands::run_diff(args, &mut stdout),
        Command::Show(args) => commands::run_show(args, &mut stdout),
        Command::Convert(args) => commands::run_convert(args, &mut stdout),
        Command::Merge(args) => commands::run_merge(args, &mut stdout),
        Command::Snapshot(args) => commands::run_snapshot(args, &mut stdout),
        Command::Completions(args) => man_and_completions::run_completions(args, &mut stdout),
        Command::Man(args) => man_and_completions::run_man(args, &mut stdout),
    };
    let result = result.and_then(|code| stdout.flush().map(|_| code).map_err(Failure::Io));
    match result {
        Ok(code) => code,
        // A closed pipe (`profdiff … | head`) is the reader's choice, not an error.
        Err(Failure::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(error)) => {
            eprintln!("profdiff: error writing output: {error}");
            ExitCode::from(2)
        }
        Err(Failure::Profdiff(error)) => {
            // Messages quote names and input: never raw control characters.
            eprintln!(
                "profdiff: error: {}",
                profdiff::render::escape::escape(&message(&error))
            );
            ExitCode::from(2)
        }
    }
}

/// Standard output, buffered but not line-buffered: Rust's own stdout
/// searches every write for its last newline, which on a 75 MB JSON
/// document is measurable. Everything is written through this one handle
/// and flushed before the gate's verdict goes to stderr.
fn stdout_writer() -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(io::BufWriter::with_capacity(
                1 << 16,
                std::fs::File::from(fd),
            ));
        }
    }
    Box::new(io::stdout().lock())
}

/// The library's error in the command line's words: a pattern is named by
/// the flag that gave it.
pub(crate) fn message(error: &Error) -> String {
    match error {
        Error::Pattern {
            role,
            pattern,
            message,
        } => format!("invalid --{role} regex {pattern:?}: {message}"),
        Error::Remedy { error, remedy } => {
            let words = match remedy {
                Remedy::ForceFormat => "use --from to force one",
                Remedy::SampleRate => {
                    "give its sampling rate (--sample-rate HZ, e.g. 100 for py-spy's default) \
                     to read them as seconds"
                }
                other => other.describe(),
            };
            format!("{}; {words}", message(error))
        }
        other => other.to_string(),
    }
}

pub enum Failure {
    Profdiff(Error),
    Io(io::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Profdiff(error)
    }
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Io(error)
    }
}
