//! One function per subcommand: load, compute with the library, render.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use profdiff::align::AlignOptions;
use profdiff::diff::{self, DiffOptions};
use profdiff::formats::{callgrind, pstats};
use profdiff::input;
use profdiff::output;
use profdiff::render::flamegraph::{FlameGraphOptions, FlameGraphReport};
use profdiff::render::{
    self, DiffReport, Hints, OutputFormat, Report, RunsReport, ShowReport, Style,
};
use profdiff::snapshot::{self, Mode, SnapshotOptions};
use profdiff::Error;
use profdiff::{callgraph, causes, gate, lambda, merge, stats};

use crate::args::*;
use crate::paths::expand_run_paths;
use crate::Failure;

pub fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut view = args.view.resolve()?;
    if !args.only.is_empty() {
        if !args.base_runs.is_empty() {
            return Err(Error::Usage(
                "--only applies to a diff of two profiles, not to several runs per side".into(),
            )
            .into());
        }
        let kinds: Vec<_> = args.only.iter().map(|o| o.kind()).collect();
        view.filter = view.filter.only(&kinds);
    }
    if let Some(threshold) = args.threshold {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return Err(Error::Usage(format!(
                "--threshold must be a non-negative number, got {threshold}"
            ))
            .into());
        }
    }
    let load = args.input.resolve()?;
    let lambda = args.lambda.resolve(&view.align);
    if !args.base_runs.is_empty() {
        return run_diff_runs(args, &view, &load, lambda.as_ref(), out);
    }
    let (Some(base_path), Some(new_path)) = (args.base.as_deref(), args.new.as_deref()) else {
        return Err(Error::Usage("diff needs BASE and NEW, or --base … --new …".into()).into());
    };
    if base_path.as_os_str() == "-" && new_path.as_os_str() == "-" {
        return Err(Error::Usage("only one of BASE and NEW can be `-` (stdin)".into()).into());
    }
    match (base_path.is_dir(), new_path.is_dir()) {
        (true, true) => {
            return crate::suite::run_suite(args, &view, &load, lambda.as_ref(), out);
        }
        (false, false) => {}
        (base_is_dir, _) => {
            let (dir, file) = if base_is_dir {
                (base_path, new_path)
            } else {
                (new_path, base_path)
            };
            return Err(Error::Input {
                path: dir.display().to_string(),
                message: format!(
                    "is a directory but {} is not: give two directories to compare a \
                     suite (profiles paired by path), or several runs per side with \
                     --base FILE|DIR … --new FILE|DIR …",
                    file.display()
                ),
            }
            .into());
        }
    }
    // The two sides parse at once; the base's error, if any, is reported.
    let (base, new) = profdiff::parallel::join(
        || read_input(base_path, &load),
        || read_input(new_path, &load),
    );
    let (mut base, new) = (base?, new?);
    if args.normalize {
        normalize(&mut base, &new)?;
    }
    let inputs = [base_path, new_path];
    if view.format == OutputFormat::Flamegraph {
        // A flame graph is drawn from the stacks, not from the diff. Built
        // before any output: a stackless input fails before a file is made.
        let report = Report::from(FlameGraphReport::new(
            &base,
            &new,
            &flame_graph_options(args, &view),
        )?);
        emit(view.output.as_deref(), &inputs, out, |w| {
            render::write(&report, view.format, w, view.style)
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let compared = compare(args, &view, lambda.as_ref(), &base, &new)?;
    // The pictures draw the call graph; the HTML report also shows the
    // flame graph when both inputs have stacks.
    let call_graph = matches!(view.format, OutputFormat::Html | OutputFormat::Dot)
        .then(|| callgraph::edge_changes(&base, &new, &compared.result));
    let flame_graph = (view.format == OutputFormat::Html && has_stacks(&base) && has_stacks(&new))
        .then(|| FlameGraphReport::new(&base, &new, &flame_graph_options(args, &view)).ok())
        .flatten();
    let mut report = compared.report(args, &view, &base, &new);
    report.call_graph = call_graph.as_deref();
    report.flame_graph = flame_graph.as_ref();
    let report = Report::from(report);
    emit(view.output.as_deref(), &inputs, out, |w| {
        render::write(&report, view.format, w, view.style)
    })?;
    let code = finish_gate(compared.verdict.as_ref(), &view, out);
    // The process ends here: the system takes its memory back at once,
    // faster than freeing a 100k-row diff and both profiles piece by piece.
    std::mem::forget(report);
    std::mem::forget((compared, base, new));
    code
}

/// The flame graph `--format flamegraph` draws, and the HTML report shows.
fn flame_graph_options(args: &DiffArgs, view: &View) -> FlameGraphOptions {
    FlameGraphOptions {
        base_widths: args.base_widths,
        align: view.align.clone(),
        ..Default::default()
    }
}

/// `--normalize`: the base's costs scaled to the new profile's total.
pub(crate) fn normalize(
    base: &mut profdiff::Profile,
    new: &profdiff::Profile,
) -> Result<(), Error> {
    base.normalize_to(new)?;
    base.meta
        .notes
        .push("costs scaled to the new profile's total (--normalize)".into());
    Ok(())
}

/// A diff of two profiles with everything its report shows: rows sorted,
/// causes, callers of the rows shown, the gate's verdict, the Lambda cost.
pub(crate) struct Compared {
    pub result: diff::ProfileDiff,
    pub causes: Option<causes::Causes>,
    pub verdict: Option<gate::GateVerdict>,
    pub cost: Option<lambda::CostDiff>,
}

impl Compared {
    /// The report `view` shows of it.
    pub fn report<'a>(
        &'a self,
        args: &DiffArgs,
        view: &View,
        base: &'a profdiff::Profile,
        new: &'a profdiff::Profile,
    ) -> DiffReport<'a> {
        let mut report = DiffReport::new(base, new, &self.result, &view.filter, view.top);
        report.causes = self.causes.as_ref();
        report.show_callers = args.callers;
        report.verdict = self.verdict.as_ref();
        report.lambda = self.cost.as_ref();
        report.hints = hints();
        report
    }
}

pub(crate) fn compare(
    args: &DiffArgs,
    view: &View,
    lambda_options: Option<&lambda::CostOptions>,
    base: &profdiff::Profile,
    new: &profdiff::Profile,
) -> Result<Compared, Failure> {
    // Caller breakdowns are made after the rows are chosen, for those rows.
    let options = DiffOptions {
        align: view.align.clone(),
        callers: false,
        cost_threshold: args.threshold,
    };
    let mut result = diff::diff(base, new, &options)?;
    // Before sorting: rows in alignment order keep a file's functions
    // together, which the analysis's walks over the call graph profit from.
    let causes = (!args.no_causes).then(|| {
        let mut causes = causes::analyze(base, new, &result);
        causes.retain_related(|key, display| view.filter.matches(key, display));
        causes
    });
    diff::sort_functions(&mut result.functions, view.sort);
    // Text and JSON show callers when asked; Markdown always folds the shown
    // rows' callers into <details>.
    if args.callers || view.format == OutputFormat::Markdown {
        let shown = view.filter.select(&result, view.top);
        diff::add_callers(base, new, &mut result, &shown);
    }
    // The gate judges every function, so --top cannot hide a violation.
    let verdict = args
        .gate
        .fail_on_regression
        .then(|| args.gate.resolve(view, &result.unit))
        .transpose()?
        .map(|options| gate::evaluate(&result, &options));
    let cost = lambda_options
        .map(|options| lambda::compare(base, new, options))
        .transpose()?;
    Ok(Compared {
        result,
        causes,
        verdict,
        cost,
    })
}

fn has_stacks(profile: &profdiff::Profile) -> bool {
    !profile.stacks.is_empty()
}

/// Reports the gate's verdict on stderr (so it reaches the CI log even when
/// stdout is JSON or Markdown headed for a file) and picks the exit code.
pub(crate) fn finish_gate(
    verdict: Option<&gate::GateVerdict>,
    view: &View,
    out: &mut dyn Write,
) -> Result<ExitCode, Failure> {
    let Some(verdict) = verdict else {
        return Ok(ExitCode::SUCCESS);
    };
    out.flush()?;
    let stderr_style = Style {
        color: color_for(view.color_choice, io::stderr().is_terminal()),
        ..Style::default()
    };
    render::gate::write_text(&mut io::stderr().lock(), verdict, &hints(), stderr_style)?;
    Ok(if verdict.regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How the reports' notes point at this program's options.
pub(crate) fn hints() -> Hints {
    let mut hints = Hints::default();
    hints.several_runs = Some("--base/--new");
    hints.calls_tolerance = Some("--max-calls-increase-pct or --max-calls-increase");
    hints.all_rows = Some("--top 0 shows all");
    hints
}

/// `diff --base A1 A2 … --new B1 B2 …`: medians and significance.
fn run_diff_runs(
    args: &DiffArgs,
    view: &View,
    load: &input::LoadOptions,
    lambda_options: Option<&lambda::CostOptions>,
    out: &mut dyn Write,
) -> Result<ExitCode, Failure> {
    if !matches!(view.format, OutputFormat::Text | OutputFormat::Json) {
        return Err(Error::Usage("with --base/--new runs, --format is text or json".into()).into());
    }
    let base_paths = expand_run_paths(&args.base_runs)?;
    let new_paths = expand_run_paths(&args.new_runs)?;
    let options = stats::StatsOptions {
        level: args.level,
        min_effect: args.min_effect / 100.0,
        min_effect_abs: args.min_effect_abs,
        align: view.align.clone(),
    };
    // Runs are parsed a few at a time on every core and added in order;
    // of each only its values are kept (and its Lambda measurement).
    let mut builder = stats::RunsBuilder::new(&options)?;
    builder.expect_runs(base_paths.len(), new_paths.len());
    let mut measured: [Vec<lambda::Measured>; 2] = [Vec::new(), Vec::new()];
    for (side, paths) in [&base_paths, &new_paths].into_iter().enumerate() {
        profdiff::parallel::for_each_ordered(
            paths,
            |path| read_input(path, load),
            |run| -> Result<(), Error> {
                let run = run?;
                if let Some(options) = lambda_options {
                    measured[side].push(lambda::measure_run(&run, options)?);
                }
                match side {
                    0 => builder.add_base(run),
                    _ => builder.add_new(run),
                }
            },
        )?;
    }
    let mut result = builder.finish()?;
    // Noise never fails the gate: time rules see only significant changes.
    // Judged before the rows are filtered: per-function rules apply the
    // filters themselves, and group rules sum members the filters drop.
    let verdict = args
        .gate
        .fail_on_regression
        .then(|| args.gate.resolve(view, &result.unit))
        .transpose()?
        .map(|options| gate::evaluate_runs(&result, &options));
    result
        .functions
        .retain(|f| view.filter.matches(&f.key, &f.display));
    stats::sort_functions(&mut result.functions, view.sort);
    let cost = match lambda_options {
        Some(options) => {
            let [base, new] = measured;
            Some(lambda::compare_measured(base, new, options)?)
        }
        None => None,
    };
    let inputs: Vec<&Path> = base_paths
        .iter()
        .chain(&new_paths)
        .map(PathBuf::as_path)
        .collect();
    let mut report = RunsReport::new(&result, view.top);
    report.hints = hints();
    report.verdict = verdict.as_ref();
    report.lambda = cost.as_ref();
    let report = Report::from(report);
    emit(view.output.as_deref(), &inputs, out, |w| {
        render::write(&report, view.format, w, view.style)
    })?;
    finish_gate(verdict.as_ref(), view, out)
}

/// Reads one input, named as being read should memory run out.
pub(crate) fn read_input(
    path: &Path,
    options: &input::LoadOptions,
) -> Result<profdiff::Profile, Error> {
    crate::memory::reading(path, || input::load(path, options))
}

/// Writes to `destination` atomically (refusing to overwrite an input), or to
/// stdout when there is none or it is `-`.
pub(crate) fn emit(
    destination: Option<&Path>,
    inputs: &[&Path],
    stdout: &mut dyn Write,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Failure> {
    match destination {
        None => Ok(render(stdout)?),
        Some(path) if path.as_os_str() == "-" => Ok(render(stdout)?),
        Some(path) => Ok(output::write_atomically(path, inputs, render)?),
    }
}

pub fn run_show(args: &ShowArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let view = args.view.resolve()?;
    if !matches!(
        view.format,
        OutputFormat::Text | OutputFormat::Json | OutputFormat::Html
    ) {
        return Err(Error::Usage("show supports --format text, json and html".into()).into());
    }
    let profile = read_input(&args.profile, &args.input.resolve()?)?;
    let cost = args
        .lambda
        .resolve(&view.align)
        .map(|options| lambda::estimate(&profile, &options))
        .transpose()?;
    let mut report = ShowReport::new(&profile, &view.align, &view.filter, view.sort, view.top);
    report.hints = hints();
    report.lambda = cost.as_ref();
    let report = Report::from(report);
    emit(
        view.output.as_deref(),
        &[args.profile.as_path()],
        out,
        |w| render::write(&report, view.format, w, view.style),
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_convert(args: &ConvertArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let profile = read_input(&args.profile, &args.input.resolve()?)?;
    write_profile(
        &profile,
        args.to,
        &args.output,
        &[args.profile.as_path()],
        out,
    )
}

/// `profdiff merge IN… -o OUT`: the sum, as `pstats.Stats.add` computes it.
pub fn run_merge(args: &MergeArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let load = args.input.resolve()?;
    let paths = expand_run_paths(&args.profiles)?;
    // Parsed a few at a time on every core, added in the order given (the
    // sum is then bit-identical to pstats' fold), and dropped.
    let mut merger = merge::Merger::new();
    profdiff::parallel::for_each_ordered(
        &paths,
        |path| read_input(path, &load),
        |profile| merger.add(profile?),
    )?;
    let merged = merger.finish()?;
    let inputs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    write_profile(&merged, args.to, &args.output, &inputs, out)
}

fn write_profile(
    profile: &profdiff::Profile,
    to: ToArg,
    destination: &Path,
    inputs: &[&Path],
    out: &mut dyn Write,
) -> Result<ExitCode, Failure> {
    if matches!(to, ToArg::Pstats) && !profile.meta.unit.is_time() {
        return Err(Error::Usage(format!(
            "{}: a pstats dump holds seconds, but this profile counts {}; use --to callgrind",
            profile.meta.path, profile.meta.unit
        ))
        .into());
    }
    let render = |sink: &mut dyn Write| match to {
        ToArg::Callgrind => callgrind::write(profile, sink),
        ToArg::Pstats => pstats::write(profile, sink),
    };
    emit(Some(destination), inputs, out, render)?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_snapshot(args: &SnapshotArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let calls_tolerance = args
        .calls_tolerance
        .as_deref()
        .map(snapshot::CallsTolerance::parse)
        .transpose()
        .map_err(|e| Error::Usage(format!("--calls-tolerance: {e}")))?;
    let profile = read_input(&args.profile, &args.input.resolve()?)?;
    let align = AlignOptions {
        strip_prefixes: args.strip_prefix.clone(),
    };
    let inputs = [args.profile.as_path()];
    let Some(check) = &args.check else {
        let output = args.output.as_deref().expect("clap requires -o or --check");
        let options = SnapshotOptions {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            with_time: args.with_time,
            calls_tolerance,
            align,
            ..SnapshotOptions::default()
        };
        if output == "-" {
            // As everywhere else, `-` is standard output.
            out.write_all(snapshot::render(&profile, &options)?.as_bytes())?;
        } else {
            snapshot::render_to(output, &profile, &options, &inputs)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let path = check.as_path();
    if !path.exists() {
        return Err(Error::Input {
            path: check.display().to_string(),
            message: "no such snapshot; create it with `profdiff snapshot PROFILE -o FILE`".into(),
        }
        .into());
    }
    let outcome = snapshot::check_file(&profile, path, &align)?;
    let style = Style {
        color: color_for(args.color, io::stdout().is_terminal()),
        ..Style::default()
    };
    let mode = if args.update {
        Mode::Update
    } else {
        Mode::Check
    };
    if !outcome.is_ok() && mode == Mode::Check {
        render::snapshot::write_report(out, &outcome, &check.display().to_string(), style)?;
    }
    out.flush()?;
    let action = snapshot::apply_policy(path, &outcome, mode, snapshot::is_ci(), &inputs).map_err(
        |source| Error::Io {
            path: check.display().to_string(),
            source,
        },
    )?;
    if let Some(message) = action.message(path, "--update") {
        eprintln!("profdiff: {message}");
    }
    Ok(ExitCode::from(action.exit_code()))
}
