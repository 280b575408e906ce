//! `diff BASE_DIR NEW_DIR`: a test suite's profiles, paired by path below
//! the two directories, each pair an ordinary diff (same options, same
//! gate). The pairs are compared a few at a time on every core and kept
//! only as the suite's lines (and a regressed pair's own report), so a
//! suite of thousands of tests needs the memory of a few pairs.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use profdiff::input;
use profdiff::lambda;
use profdiff::render::suite::{PairView, SuiteReport};
use profdiff::render::{self, OutputFormat, Report, Style};
use profdiff::suite::{self, PairStatus};
use profdiff::Error;

use crate::args::{color_for, DiffArgs, View};
use crate::commands::{compare, emit, normalize, read_input};
use crate::paths::{suite_entries, SuiteEntry};
use crate::Failure;

pub fn run_suite(
    args: &DiffArgs,
    view: &View,
    load: &input::LoadOptions,
    lambda_options: Option<&lambda::CostOptions>,
    out: &mut dyn Write,
) -> Result<ExitCode, Failure> {
    if !matches!(
        view.format,
        OutputFormat::Text | OutputFormat::Json | OutputFormat::Markdown
    ) {
        return Err(Error::Usage(
            "a suite (two directories) is written as --format text, json or markdown".into(),
        )
        .into());
    }
    let (Some(base_dir), Some(new_dir)) = (args.base.as_deref(), args.new.as_deref()) else {
        return Err(Error::Usage("a suite needs BASE_DIR and NEW_DIR".into()).into());
    };
    let entries = suite_entries(base_dir, new_dir)?;
    let mut report = SuiteReport::new(
        base_dir.display().to_string(),
        new_dir.display().to_string(),
        args.gate.fail_on_regression,
    );
    let compare_entry = |entry: &SuiteEntry| -> PairView {
        match entry {
            SuiteEntry::OnlyBase { relative } => {
                PairView::unpaired(relative.clone(), PairStatus::OnlyBase, None)
            }
            SuiteEntry::OnlyNew { relative } => {
                PairView::unpaired(relative.clone(), PairStatus::OnlyNew, None)
            }
            SuiteEntry::Both {
                relative,
                base,
                new,
            } => compare_pair(args, view, load, lambda_options, relative, base, new)
                .unwrap_or_else(|message| {
                    PairView::unpaired(relative.clone(), PairStatus::Error, Some(message))
                }),
        }
    };
    profdiff::parallel::for_each_ordered(&entries, compare_entry, |pair| {
        report.pairs.push(pair);
        Ok::<(), Failure>(())
    })?;

    let inputs = [base_dir, new_dir];
    let report = Report::Suite(report);
    emit(view.output.as_deref(), &inputs, out, |w| {
        render::write(&report, view.format, w, view.style)
    })?;
    let Report::Suite(report) = report else {
        unreachable!("built above")
    };
    out.flush()?;
    // Failures reach the CI log on stderr even when stdout goes to a file.
    let mut stderr = io::stderr().lock();
    for pair in report
        .pairs
        .iter()
        .filter(|p| p.status == PairStatus::Error)
    {
        writeln!(
            stderr,
            "profdiff: error: {}",
            render::escape::escape(pair.error.as_deref().unwrap_or_default())
        )?;
    }
    if report.has_errors() {
        return Ok(ExitCode::from(2));
    }
    if report.gated {
        let style = Style {
            color: color_for(view.color_choice, io::stderr().is_terminal()),
            ..Style::default()
        };
        render::suite::write_gate_line(&mut stderr, &report, style)?;
        if report.regressed() {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One pair as the suite shows it; `Err` is the message of a side that
/// could not be read or compared (it names the file).
fn compare_pair(
    args: &DiffArgs,
    view: &View,
    load: &input::LoadOptions,
    lambda_options: Option<&lambda::CostOptions>,
    relative: &str,
    base_path: &Path,
    new_path: &Path,
) -> Result<PairView, String> {
    let message = |failure: Failure| match failure {
        Failure::Profdiff(error) => crate::message(&error),
        Failure::Io(error) => error.to_string(),
    };
    let mut base = read_input(base_path, load).map_err(|e| message(e.into()))?;
    let new = read_input(new_path, load).map_err(|e| message(e.into()))?;
    if args.normalize {
        normalize(&mut base, &new).map_err(|e| message(e.into()))?;
    }
    let compared = compare(args, view, lambda_options, &base, &new).map_err(message)?;
    let status = suite::pair_status(&compared.result, compared.verdict.as_ref());
    let headline = suite::headline(&compared.result, compared.causes.as_ref(), |row| {
        view.filter.keeps(row, compared.result.cost_threshold)
    });
    let report = compared.report(args, view, &base, &new);
    PairView::compared(
        relative.to_string(),
        status,
        report,
        headline,
        view.format,
        view.style,
    )
    .map_err(|e| e.to_string())
}
