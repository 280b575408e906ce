//! The `profdiff` binary: parses arguments, decides colour and width once,
//! calls the library and maps the outcome to an exit code
//! (0 ok, 1 regression or mismatch, 2 usage or input error).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use profdiff::align::AlignOptions;
use profdiff::diff::{self, DiffOptions, SortKey};
use profdiff::filter::Filter;
use profdiff::input::{self, LoadOptions};
use profdiff::render::table::Style;
use profdiff::render::{json, text, DiffReport, OutputFormat, ShowReport};
use profdiff::Error;

const EXAMPLES: &str = "\
Examples:
  Profile a Lambda handler before and after a fix, then diff:
    $ python -m cProfile -o before.prof main.py
    $ python -m cProfile -o after.prof main.py
    $ profdiff diff before.prof after.prof
        calls   Δcalls  ...  function
        6 → 1       −5  ...  botocore/session.py:create_client

  Only botocore, with each row's callers:
    $ profdiff diff before.prof after.prof --include botocore --callers

  Machine-readable, every function:
    $ profdiff diff before.prof after.prof --format json > diff.json

  One profile as a table, top 10 by self time:
    $ profdiff show after.prof --sort self --top 10

Exit codes: 0 success, 1 regression or snapshot mismatch, 2 usage or input error.";

#[derive(Parser, Debug)]
#[command(
    name = "profdiff",
    version,
    about = "Diff performance profiles: what changed between two cProfile/pstats dumps",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compare two profiles function by function.
    #[command(after_help = EXAMPLES)]
    Diff(DiffArgs),
    /// Show one profile as a table.
    Show(ShowArgs),
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The profile before the change (`-` reads stdin).
    base: String,
    /// The profile after the change (`-` reads stdin).
    new: String,
    /// Print each row's caller breakdown: which callers account for the change.
    #[arg(long)]
    callers: bool,
    /// Self or inclusive changes at or below this many seconds count as
    /// unchanged [default: 0.1% of the larger total time]
    #[arg(long, value_name = "SECONDS")]
    threshold: Option<f64>,
    #[command(flatten)]
    view: ViewArgs,
}

#[derive(Args, Debug)]
struct ShowArgs {
    /// The profile to show (`-` reads stdin).
    profile: String,
    #[command(flatten)]
    view: ViewArgs,
}

/// Options shared by every table-producing command.
#[derive(Args, Debug)]
struct ViewArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Rows to show; 0 shows all [default: 20 for text, all for JSON]
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Row order (diff: largest change first).
    #[arg(long, value_enum, default_value_t = SortArg::Inclusive)]
    sort: SortArg,
    /// Only rows whose key or name matches this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    include: Vec<String>,
    /// Drop rows whose key or name matches this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    exclude: Vec<String>,
    /// Strip this path prefix from file names before aligning (repeatable).
    #[arg(long, value_name = "PATH")]
    strip_prefix: Vec<String>,
    /// When to colour the output (NO_COLOR is honoured in auto).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Shorten names to fit this many columns [default: the terminal's width]
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SortArg {
    Inclusive,
    #[value(name = "self")]
    SelfTime,
    Calls,
    Name,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Arguments validated once into the objects the library takes.
struct View {
    format: OutputFormat,
    top: Option<usize>,
    sort: SortKey,
    filter: Filter,
    align: AlignOptions,
    style: Style,
}

impl ViewArgs {
    fn resolve(&self) -> Result<View, Error> {
        let format = match self.format {
            FormatArg::Text => OutputFormat::Text,
            FormatArg::Json => OutputFormat::Json,
        };
        let filtered = !self.include.is_empty() || !self.exclude.is_empty();
        // JSON lists everything unless the user narrowed it on purpose.
        let top = match (self.top, format) {
            (Some(0), _) => None,
            (Some(n), _) => Some(n),
            (None, OutputFormat::Text) => Some(20),
            (None, OutputFormat::Json) if filtered => None,
            (None, OutputFormat::Json) => None,
        };
        let stdout_is_tty = io::stdout().is_terminal();
        let color = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                stdout_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let width = self.width.or_else(|| {
            stdout_is_tty
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(width, _)| width.0 as usize)
        });
        Ok(View {
            format,
            top,
            sort: match self.sort {
                SortArg::Inclusive => SortKey::Inclusive,
                SortArg::SelfTime => SortKey::SelfCost,
                SortArg::Calls => SortKey::Calls,
                SortArg::Name => SortKey::Name,
            },
            filter: Filter::new(&self.include, &self.exclude)?,
            align: AlignOptions {
                strip_prefixes: self.strip_prefix.clone(),
            },
            style: Style { color, width },
        })
    }
}

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
    let mut stdout = io::stdout().lock();
    let result = match &cli.command {
        Command::Diff(args) => run_diff(args, &mut stdout),
        Command::Show(args) => run_show(args, &mut stdout),
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
            eprintln!("profdiff: error: {error}");
            ExitCode::from(2)
        }
    }
}

enum Failure {
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

fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let view = args.view.resolve()?;
    if args.base == "-" && args.new == "-" {
        return Err(Error::Usage("only one of BASE and NEW can be `-` (stdin)".into()).into());
    }
    if let Some(threshold) = args.threshold {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return Err(Error::Usage(format!(
                "--threshold must be a non-negative number, got {threshold}"
            ))
            .into());
        }
    }
    let load = LoadOptions::default();
    let base = input::load(&args.base, &load)?;
    let new = input::load(&args.new, &load)?;
    let json_output = view.format == OutputFormat::Json;
    let options = DiffOptions {
        align: view.align.clone(),
        callers: args.callers || json_output,
        cost_threshold: args.threshold,
    };
    let mut result = diff::diff(&base, &new, &options)?;
    diff::sort_functions(&mut result.functions, view.sort);
    let mut report = DiffReport::new(&base, &new, &result, &view.filter, view.top);
    report.show_callers = args.callers;
    match view.format {
        OutputFormat::Text => text::write_diff(out, &report, view.style)?,
        OutputFormat::Json => json::write_diff(out, &report)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_show(args: &ShowArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let view = args.view.resolve()?;
    let profile = input::load(&args.profile, &LoadOptions::default())?;
    let report = ShowReport::new(&profile, &view.align, &view.filter, view.sort, view.top);
    match view.format {
        OutputFormat::Text => text::write_show(out, &report, view.style)?,
        OutputFormat::Json => json::write_show(out, &report)?,
    }
    Ok(ExitCode::SUCCESS)
}
