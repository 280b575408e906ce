//! Command-line arguments (clap) and their validation into the library's
//! option structs. Nothing here runs a command.

use std::io::{self, IsTerminal};
use std::sync::LazyLock;

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use profdiff::align::AlignOptions;
use profdiff::diff::{RowKind, SortKey};
use profdiff::filter::Filter;
use profdiff::formats::{Format, FORMATS};
use profdiff::gate::{GateOptions, GroupRule};
use profdiff::input::LoadOptions;
use profdiff::render::{OutputFormat, Style};
use profdiff::Error;

use crate::values;

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
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Memory budget: rather than use more, profdiff stops with exit code 2
    /// naming the input (e.g. 512M, 4G; `none` for no budget) [default:
    /// three quarters of the machine's memory]
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::memory::parse_budget)]
    pub max_memory: Option<crate::memory::Budget>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compare two profiles function by function.
    #[command(after_help = EXAMPLES)]
    Diff(Box<DiffArgs>),
    /// Show one profile as a table.
    Show(ShowArgs),
    /// Write or check a snapshot file that pins call counts (and time bands).
    #[command(after_help = SNAPSHOT_EXAMPLES)]
    Snapshot(SnapshotArgs),
    /// Sum several profiles into one, as pstats.Stats.add does.
    Merge(MergeArgs),
    /// Convert a profile to callgrind (for KCachegrind / QCacheGrind).
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(ConvertArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout: profdiff(1), or one command's.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

pub const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  bash (current shell, then for good):
    $ source <(profdiff completions bash)
    $ profdiff completions bash > ~/.local/share/bash-completion/completions/profdiff
  zsh (a directory on $fpath):
    $ profdiff completions zsh > ~/.zfunc/_profdiff
  fish:
    $ profdiff completions fish > ~/.config/fish/completions/profdiff.fish";

pub const MAN_EXAMPLES: &str = "\
Examples:
    $ profdiff man | man -l -
    $ profdiff man diff | man -l -
    $ profdiff man > ~/.local/share/man/man1/profdiff.1";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// A command's own page (profdiff-diff(1), …) instead of profdiff(1).
    #[arg(value_parser = ["diff", "show", "snapshot", "merge", "convert", "completions", "man"])]
    pub command: Option<String>,
}

pub const CONVERT_EXAMPLES: &str = "\
Examples:
  Open a cProfile dump in KCachegrind (what pyprof2calltree does):
    $ profdiff convert before.prof -o before.callgrind
    $ kcachegrind before.callgrind

  To stdout:
    $ profdiff convert before.prof -o - | callgrind_annotate /dev/stdin";

pub const SNAPSHOT_EXAMPLES: &str = "\
Examples:
  Pin how many clients the handler creates:
    $ profdiff snapshot after.prof --include create_client -o perf.snapshot
  In CI (exit 1 and a diff when an expectation no longer holds):
    $ profdiff snapshot after.prof --check perf.snapshot
  Accept the new numbers:
    $ profdiff snapshot after.prof --check perf.snapshot --update
  Counts that move with PYTHONHASHSEED, within 2% either way:
    $ profdiff snapshot after.prof --calls-tolerance 2% -o perf.snapshot

Hand-edit a line into a bound: `calls <= 2`, `calls ≈ 3028 ±50`, `incl < 200ms`.
Bound a sum over a pattern: `group clients = create_client|boto3  calls <= 3`.
Locally a mismatch also writes FILE.new for review; with CI set nothing is written.";

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// The profile to snapshot or check (`-` reads stdin).
    pub profile: PathBuf,
    /// Write a new snapshot to FILE (atomically; `-` writes stdout).
    #[arg(
        short,
        long,
        value_name = "FILE",
        required_unless_present = "check",
        conflicts_with = "check"
    )]
    pub output: Option<PathBuf>,
    /// Check the profile against the snapshot FILE.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// With --check: rewrite FILE with the profile's numbers (bounds that
    /// still hold are kept).
    #[arg(long, requires = "check")]
    pub update: bool,
    /// Only functions whose key or name matches (repeatable; recorded in the file).
    #[arg(long, value_name = "REGEX", conflicts_with = "check")]
    pub include: Vec<String>,
    /// Drop functions whose key or name matches (repeatable; recorded in the file).
    #[arg(long, value_name = "REGEX", conflicts_with = "check")]
    pub exclude: Vec<String>,
    /// Also pin each function's inclusive time within a band (±50%).
    #[arg(long, conflicts_with = "check")]
    pub with_time: bool,
    /// Write call counts with a tolerance, `calls ≈ N ±T`: a number of calls
    /// (50) or a percent of each count (2%). Recorded in the file, so
    /// functions added by --update get it too.
    #[arg(long, value_name = "T", conflicts_with = "check")]
    pub calls_tolerance: Option<String>,
    /// Strip this path prefix from file names before keying (repeatable).
    #[arg(long, value_name = "PATH")]
    pub strip_prefix: Vec<String>,
    /// When to colour the diff (NO_COLOR is honoured in auto).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The profile to convert (`-` reads stdin).
    pub profile: PathBuf,
    /// Output file (`-` writes stdout). Written atomically; never an input.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ToArg::Callgrind)]
    pub to: ToArg,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ToArg {
    Callgrind,
    /// A marshal dump that Python's pstats loads.
    Pstats,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Profiles to add up (files, or directories of them).
    #[arg(required = true, num_args = 1..)]
    pub profiles: Vec<PathBuf>,
    /// Output file (`-` writes stdout). Written atomically; never an input.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ToArg::Pstats)]
    pub to: ToArg,
    #[command(flatten)]
    pub input: InputArgs,
}

/// How to read input profiles.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// Read inputs as this format instead of detecting it from their content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<FromArg>,
    /// Event (callgrind: Ir, ns, …) or sample type (pprof) to compare
    /// [default: the file's first event / pprof's default sample type]
    #[arg(long, value_name = "EVENT")]
    pub metric: Option<String>,
    /// Sampling rate of folded stacks in Hz: report seconds instead of samples.
    #[arg(long, value_name = "HZ")]
    pub sample_rate: Option<f64>,
    /// Only this thread of a speedscope file [default: all threads merged]
    #[arg(long, value_name = "NAME")]
    pub thread: Option<String>,
    /// Strip this regex from the start of each line of pstats text or an
    /// import-time log (CloudWatch and Lambda runtime prefixes are stripped
    /// automatically).
    #[arg(long, value_name = "REGEX")]
    pub strip_log_prefix: Option<String>,
}

/// A `--from` value: one of the library's formats, named and described as
/// its table ([`FORMATS`]) says.
#[derive(Clone, Copy, Debug)]
pub struct FromArg(pub Format);

impl ValueEnum for FromArg {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: LazyLock<Vec<FromArg>> =
            LazyLock::new(|| FORMATS.iter().map(|entry| FromArg(entry.format)).collect());
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let entry = self.0.entry();
        Some(PossibleValue::new(entry.name).help(entry.about))
    }
}

impl InputArgs {
    pub fn resolve(&self) -> Result<LoadOptions, Error> {
        if let Some(rate) = self.sample_rate {
            if !(rate > 0.0 && rate.is_finite()) {
                return Err(Error::Usage(format!(
                    "--sample-rate must be a positive number of samples per second, got {rate}"
                )));
            }
        }
        let strip_log_prefix = match &self.strip_log_prefix {
            Some(pattern) => Some(regex::Regex::new(&format!("^(?:{pattern})")).map_err(|e| {
                Error::Usage(format!("invalid --strip-log-prefix regex {pattern:?}: {e}"))
            })?),
            None => None,
        };
        Ok(LoadOptions {
            format: self.from.map(|FromArg(format)| format),
            metric: self.metric.clone(),
            sample_rate: self.sample_rate,
            thread: self.thread.clone(),
            strip_log_prefix,
        })
    }
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The profile before the change (`-` reads stdin).
    #[arg(required_unless_present = "base_runs", conflicts_with = "base_runs")]
    pub base: Option<PathBuf>,
    /// The profile after the change (`-` reads stdin).
    #[arg(required_unless_present = "new_runs", conflicts_with = "new_runs")]
    pub new: Option<PathBuf>,
    /// Several runs of the base (files, or a directory of them): compare
    /// medians and test each time change for significance.
    #[arg(long = "base", value_name = "PROFILE", num_args = 1.., requires = "new_runs")]
    pub base_runs: Vec<PathBuf>,
    /// Several runs of the new version (files, or a directory of them).
    #[arg(long = "new", value_name = "PROFILE", num_args = 1.., requires = "base_runs")]
    pub new_runs: Vec<PathBuf>,
    /// With several runs: significance level of the Mann–Whitney U test.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05)]
    pub level: f64,
    /// With several runs: smallest relative change (percent of the base
    /// median) reported as significant.
    #[arg(long, value_name = "PCT", default_value_t = 5.0)]
    pub min_effect: f64,
    /// With several runs: smallest absolute change (seconds, or the unit)
    /// reported as significant.
    #[arg(long, value_name = "AMOUNT", default_value_t = 0.0005)]
    pub min_effect_abs: f64,
    /// Print each row's caller breakdown: which callers account for the
    /// change (text and JSON; Markdown always folds them in).
    #[arg(long)]
    pub callers: bool,
    /// Leave out the causes section (the call counts that changed at their
    /// origin, which lead the report and JSON's `causes`).
    #[arg(long)]
    pub no_causes: bool,
    /// Keep only these rows, in every format and in the gate's scope
    /// (repeatable): regressions (new, or more inclusive time, or more
    /// calls), improvements, changed, added, removed.
    #[arg(long, value_name = "KIND")]
    pub only: Vec<OnlyArg>,
    /// Scale the base so its total equals the new total (compare shapes of
    /// sampled profiles of different lengths).
    #[arg(long)]
    pub normalize: bool,
    /// Flame graph: draw the base's widths (shows what disappeared).
    #[arg(long)]
    pub base_widths: bool,
    #[command(flatten)]
    pub lambda: LambdaArgs,
    /// Self or inclusive changes at or below this many seconds count as
    /// unchanged [default: 0.1% of the larger total time]
    #[arg(long, value_name = "SECONDS")]
    pub threshold: Option<f64>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Regression gate for CI (`diff --fail-on-regression`).
#[derive(Args, Debug)]
pub struct GateArgs {
    /// Exit 1 when a rule below is violated (calls: no function may gain
    /// more than --max-calls-increase / --max-calls-increase-pct; time only
    /// with --max-time-increase). --include/--exclude scope the per-function
    /// rules.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Calls a function (or the total) may gain before failing.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        value_parser = parse_calls_increase,
        requires = "fail_on_regression"
    )]
    pub max_calls_increase: u64,
    /// Percent of its base count a function's calls (or the total) may gain
    /// before failing; with --max-calls-increase too, the larger allowance
    /// applies. An added function gets no percent allowance.
    #[arg(long, value_name = "PCT", requires = "fail_on_regression")]
    pub max_calls_increase_pct: Option<String>,
    /// Percent an inclusive time (or the total) may grow before failing.
    #[arg(long, value_name = "PCT", requires = "fail_on_regression")]
    pub max_time_increase: Option<String>,
    /// Time increases at or below this never fail (e.g. 1ms, 250us) [default:
    /// 1ms; 0 for non-time units]
    #[arg(long, value_name = "DURATION", requires = "fail_on_regression")]
    pub time_noise_floor: Option<String>,
    /// The functions whose key or name PATTERN matches may make at most N
    /// calls together in NEW (repeatable), e.g.
    /// 'clients=botocore/session.py:create_client|boto3/__init__.py:(client|resource):3'.
    /// NAME ends at the first `=`, N follows the last `:`. --include/--exclude
    /// do not scope it. With --base/--new runs, the sum of the members'
    /// median counts.
    #[arg(long, value_name = "NAME=PATTERN:N", requires = "fail_on_regression")]
    pub max_group_calls: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The profile to show (`-` reads stdin).
    pub profile: PathBuf,
    #[command(flatten)]
    pub lambda: LambdaArgs,
    #[command(flatten)]
    pub view: ViewArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Options shared by every table-producing command.
#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Rows to show; 0 shows all [default: 20 for text, all for JSON]
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Row order (diff: largest change first).
    #[arg(long, value_enum, default_value_t = SortArg::Inclusive)]
    pub sort: SortArg,
    /// Only rows whose key or name matches this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Drop rows whose key or name matches this regex (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Strip this path prefix from file names before aligning (repeatable).
    #[arg(long, value_name = "PATH")]
    pub strip_prefix: Vec<String>,
    /// When to colour the output (NO_COLOR is honoured in auto).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Shorten names to fit this many columns [default: the terminal's width]
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Indent JSON output (two spaces a level) instead of one compact line.
    #[arg(long)]
    pub pretty: bool,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// AWS Lambda cost estimate (`--lambda-memory` and friends).
#[derive(Args, Debug)]
pub struct LambdaArgs {
    /// Add a Lambda cost section, with the function's memory in MB (128–10240).
    #[arg(long, value_name = "MB")]
    pub lambda_memory: Option<u32>,
    /// Lambda architecture (decides the default price).
    #[arg(long, value_enum, value_name = "ARCH", requires = "lambda_memory")]
    pub lambda_arch: Option<ArchArg>,
    /// Billing granularity in ms: 1 (since Dec 2020) or 100.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 1,
        requires = "lambda_memory"
    )]
    pub billing_granularity_ms: u32,
    /// Duration price in USD per GB-second [default: us-east-1 tier 1 for the arch]
    #[arg(long, value_name = "USD", requires = "lambda_memory")]
    pub price_per_gb_second: Option<f64>,
    /// Request price in USD per request [default: 0.0000002]
    #[arg(long, value_name = "USD", requires = "lambda_memory")]
    pub price_per_request: Option<f64>,
    /// Lambda time = local time × F (Lambda below 1,769 MB gets a fraction of a core).
    #[arg(
        long,
        value_name = "F",
        default_value_t = 1.0,
        requires = "lambda_memory"
    )]
    pub cpu_scale: f64,
    /// The entry function (key or regex) [default: the one `handler` or
    /// `lambda_handler`, else the profile total]
    #[arg(long, value_name = "KEY", requires = "lambda_memory")]
    pub entry: Option<String>,
    /// Share of invocations that are cold starts (e.g. 0.01): adds that share
    /// of INIT to the per-invocation cost.
    #[arg(long, value_name = "RATE", requires = "lambda_memory")]
    pub cold_start_rate: Option<f64>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ArchArg {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

impl LambdaArgs {
    /// The cost options, or `None` when no estimate was asked for.
    pub fn resolve(&self, align: &AlignOptions) -> Option<profdiff::lambda::CostOptions> {
        use profdiff::lambda::{Arch, CostOptions, PRICE_PER_REQUEST};
        let memory_mb = self.lambda_memory?;
        Some(CostOptions {
            memory_mb,
            arch: match self.lambda_arch {
                Some(ArchArg::Arm64) => Arch::Arm64,
                _ => Arch::X86_64,
            },
            billing_granularity_ms: self.billing_granularity_ms,
            price_per_gb_second: self.price_per_gb_second,
            price_per_request: self.price_per_request.unwrap_or(PRICE_PER_REQUEST),
            cpu_scale: self.cpu_scale,
            entry: self.entry.clone(),
            cold_start_rate: self.cold_start_rate,
            align: align.clone(),
        })
    }
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    Text,
    Json,
    /// A compact report for pull requests and $GITHUB_STEP_SUMMARY (diff only).
    Markdown,
    /// A differential flame graph SVG (diff of folded, speedscope or pprof
    /// profiles; use with -o).
    Flamegraph,
    /// One self-contained HTML report (diff and show; use with -o): summary,
    /// causes, a sortable, filterable table, callers and callees.
    Html,
    /// A Graphviz call graph of the changed region (diff only; `dot
    /// -Tsvg`); --top caps its nodes (default 40).
    Dot,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SortArg {
    Inclusive,
    #[value(name = "self")]
    SelfTime,
    Calls,
    Name,
}

/// `--only`: kinds of diff rows.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum OnlyArg {
    Regressions,
    Improvements,
    Changed,
    Added,
    Removed,
}

impl OnlyArg {
    pub fn kind(self) -> RowKind {
        match self {
            OnlyArg::Regressions => RowKind::Regressions,
            OnlyArg::Improvements => RowKind::Improvements,
            OnlyArg::Changed => RowKind::Changed,
            OnlyArg::Added => RowKind::Added,
            OnlyArg::Removed => RowKind::Removed,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Arguments validated once into the objects the library takes.
pub struct View {
    pub format: OutputFormat,
    pub top: Option<usize>,
    pub sort: SortKey,
    pub filter: Filter,
    pub align: AlignOptions,
    pub style: Style,
    pub color_choice: ColorArg,
    pub output: Option<PathBuf>,
}

/// Colour on a terminal unless NO_COLOR is set, or as forced.
pub fn color_for(choice: ColorArg, is_terminal: bool) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

impl ViewArgs {
    pub fn resolve(&self) -> Result<View, Error> {
        let format = match self.format {
            FormatArg::Text => OutputFormat::Text,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Markdown => OutputFormat::Markdown,
            FormatArg::Flamegraph => OutputFormat::Flamegraph,
            FormatArg::Html => OutputFormat::Html,
            FormatArg::Dot => OutputFormat::Dot,
        };
        // JSON lists everything unless the user narrowed it on purpose.
        let top = match (self.top, format) {
            (Some(0), _) => None,
            (Some(n), _) => Some(n),
            (None, OutputFormat::Text | OutputFormat::Markdown) => Some(20),
            (None, OutputFormat::Dot) => Some(profdiff::render::dot::DEFAULT_NODES),
            (None, _) => None,
        };
        // A file is never a terminal: no colour, no shortening.
        let stdout_is_tty = self.output.is_none() && io::stdout().is_terminal();
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
            style: Style {
                color,
                width,
                indent: self.pretty,
            },
            color_choice: self.color,
            output: self.output.clone(),
        })
    }
}

/// `--max-calls-increase N`: a whole number of calls. A percentage is
/// pointed at its own option rather than read as a number.
fn parse_calls_increase(text: &str) -> Result<u64, String> {
    if text.trim_end().ends_with('%') {
        return Err(
            "a number of calls; for a percentage of the base count use --max-calls-increase-pct"
                .to_string(),
        );
    }
    text.trim()
        .parse::<u64>()
        .map_err(|_| "expected a whole number of calls, such as 0 or 50".to_string())
}

impl GateArgs {
    pub fn resolve(&self, view: &View, unit: &profdiff::Unit) -> Result<GateOptions, Error> {
        let max_calls_increase_pct = self
            .max_calls_increase_pct
            .as_deref()
            .map(values::parse_percent)
            .transpose()
            .map_err(|e| Error::Usage(format!("--max-calls-increase-pct: {e}")))?;
        let max_time_increase_pct = self
            .max_time_increase
            .as_deref()
            .map(values::parse_percent)
            .transpose()
            .map_err(|e| Error::Usage(format!("--max-time-increase: {e}")))?;
        let time_noise_floor = self
            .time_noise_floor
            .as_deref()
            .map(|text| values::parse_noise_floor(text, unit))
            .transpose()
            .map_err(|e| Error::Usage(format!("--time-noise-floor: {e}")))?;
        let mut groups: Vec<GroupRule> = Vec::with_capacity(self.max_group_calls.len());
        for text in &self.max_group_calls {
            let rule = parse_group_rule(text)
                .map_err(|e| Error::Usage(format!("--max-group-calls {text:?}: {e}")))?;
            if groups.iter().any(|other| other.name == rule.name) {
                return Err(Error::Usage(format!(
                    "--max-group-calls {text:?}: group {} is given twice",
                    rule.name
                )));
            }
            groups.push(rule);
        }
        Ok(GateOptions {
            max_calls_increase: self.max_calls_increase,
            max_calls_increase_pct,
            max_time_increase_pct,
            time_noise_floor,
            filter: view.filter.clone(),
            groups,
        })
    }
}

/// `NAME=PATTERN:N`: NAME up to the first `=`, N after the last `:` (a
/// pattern is full of `:`, a name never has one).
fn parse_group_rule(text: &str) -> Result<GroupRule, String> {
    let syntax = "expected NAME=PATTERN:N, such as 'clients=create_client|boto3:3'";
    let (name, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("no `=` after the group's name; {syntax}"))?;
    let (pattern, count) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("no `:N` (the most calls) after the pattern; {syntax}"))?;
    if pattern.is_empty() {
        return Err(format!("the pattern is empty; {syntax}"));
    }
    let count = count.trim();
    let max_calls = count.parse::<u64>().map_err(|_| {
        format!("N after the last `:` must be a whole number of calls, found {count:?}; {syntax}")
    })?;
    GroupRule::new(name, pattern, max_calls).map_err(|e| match e {
        Error::Pattern { message, .. } => format!("invalid regex {pattern:?}: {message}"),
        other => other.to_string(),
    })
}
