//! The `rootca` command line. The only place that turns errors into
//! messages and exit codes: 0 success, 2 input refused, 1 anything else.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use rootca::ceremony::runner::{RunOptions, run};
use rootca::ceremony::{CeremonyError, Plan, load};
use rootca::output::transcript::{self, TranscriptError};

#[derive(Parser)]
#[command(
    name = "rootca",
    version,
    about = "Key ceremonies for an offline root CA in a PKCS#11 HSM"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a ceremony file and print the numbered plan; touches nothing.
    Check {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run a ceremony.
    Run {
        file: PathBuf,
        /// Do not stop at the confirmation points.
        #[arg(long)]
        yes: bool,
        /// A witness present, recorded in the transcript (repeatable).
        #[arg(long = "witness", value_name = "NAME")]
        witnesses: Vec<String>,
    },
    /// Print the ceremony as a runbook (Markdown) for officers and witnesses.
    Script { file: PathBuf },
    /// Summarise a certificate (PEM or DER).
    Inspect {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Work with ceremony transcripts.
    Transcript {
        #[command(subcommand)]
        command: TranscriptCommand,
    },
}

#[derive(Subcommand)]
enum TranscriptCommand {
    /// Check a transcript's hash chain and the artifacts it names.
    Verify {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

enum Failure {
    Refused(String),
    Failed(String),
}

impl From<CeremonyError> for Failure {
    fn from(e: CeremonyError) -> Self {
        if e.is_refusal() {
            Failure::Refused(e.to_string())
        } else {
            Failure::Failed(e.to_string())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(msg)) => {
            eprintln!("rootca: refused: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(msg)) => {
            eprintln!("rootca: failed: {msg}");
            ExitCode::from(1)
        }
    }
}

fn print_json(v: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check { file, json } => {
            let plan = Plan::new(load(&file)?);
            if json {
                print_json(&plan.to_json());
            } else {
                print!("{}", plan.render_text());
            }
            Ok(())
        }
        Command::Script { file } => {
            let plan = Plan::new(load(&file)?);
            print!("{}", plan.render_markdown());
            Ok(())
        }
        Command::Run {
            file,
            yes,
            witnesses,
        } => {
            let plan = Plan::new(load(&file)?);
            let summary =
                run(&plan, &RunOptions { yes, witnesses }).map_err(|e| match Failure::from(e) {
                    Failure::Refused(m) => Failure::Refused(format!(
                        "{m}\nNothing was changed: no key generated, no file written."
                    )),
                    other => other,
                })?;
            println!("\nCeremony complete.");
            for p in &summary.outputs {
                println!("  artifact:   {}", p.display());
            }
            println!("  transcript: {}", summary.transcript.display());
            Ok(())
        }
        Command::Inspect { path, json } => {
            let bytes = std::fs::read(&path)
                .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", path.display())))?;
            let report = rootca::inspect::inspect(&bytes)
                .map_err(|e| Failure::Refused(format!("{}: {e}", path.display())))?;
            if json {
                print_json(&report.to_json());
            } else {
                print!("{}", report.render_text());
            }
            Ok(())
        }
        Command::Transcript {
            command: TranscriptCommand::Verify { path, json },
        } => match transcript::verify(&path) {
            Ok(v) => {
                if json {
                    print_json(&serde_json::json!(v));
                } else {
                    println!(
                        "{}: {} entries, hash chain intact",
                        path.display(),
                        v.entries
                    );
                    for (file, hash) in &v.artifacts {
                        println!("  artifact unchanged: {file}  SHA-256 {hash}");
                    }
                    if !v.complete {
                        println!("  note: the ceremony did not complete (no closing entry)");
                    }
                    println!("  last entry hash: {}", v.last_hash);
                }
                Ok(())
            }
            Err(e @ TranscriptError::Broken { .. }) => Err(Failure::Refused(e.to_string())),
            Err(e) => Err(Failure::Failed(e.to_string())),
        },
    }
}
