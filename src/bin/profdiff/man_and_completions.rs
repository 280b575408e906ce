//! `profdiff completions SHELL` and `profdiff man [COMMAND]`: both are
//! generated from the clap definitions in [`crate::args`], so they list
//! exactly the arguments the parser accepts.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use profdiff::Error;

use crate::args::{Cli, CompletionsArgs, ManArgs};
use crate::Failure;

pub fn run_completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "profdiff", out);
    Ok(ExitCode::SUCCESS)
}

pub fn run_man(args: &ManArgs, out: &mut dyn Write) -> Result<ExitCode, Failure> {
    let mut top = Cli::command();
    top.build();
    let page = match &args.command {
        None => top,
        Some(name) => {
            let Some(sub) = top.find_subcommand(name) else {
                return Err(Failure::Profdiff(Error::Usage(format!(
                    "no command {name}"
                ))));
            };
            // Named like git's pages: profdiff-diff(1), synopsis `profdiff
            // diff`. (clap takes owned names only with a feature; the
            // process prints one page and exits, so leaking is fine.)
            let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
            sub.clone()
                .name(leak(format!("profdiff-{name}")))
                .bin_name(leak(format!("profdiff {name}")))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page)
        .render(out)
        .map_err(Failure::Io)?;
    Ok(ExitCode::SUCCESS)
}
