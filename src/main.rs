//! The `rootca` command line. The only place that turns errors into
//! messages and exit codes: 0 success, 2 input refused, 1 anything else.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use rootca::ceremony::runner::{RunOptions, run};
use rootca::ceremony::{Body, CeremonyError, Plan, load, load_content};
use rootca::output::transcript::{self, TranscriptError};
use rootca::profile::name_constraints::{Decision, TestName};

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
    /// Try names against the name constraints a subordinate ceremony will
    /// put in its certificate, before the ceremony.
    Names {
        file: PathBuf,
        /// A name to try: DNS name, IP address, email, URI or DN; a
        /// `dns:`, `ip:`, `email:`, `uri:` or `dn:` prefix forces the kind.
        #[arg(long = "test", value_name = "NAME", required = true)]
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Summarise a certificate, CSR or CRL (PEM or DER).
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
        Command::Names { file, names, json } => {
            let ceremony = load_content(&file)?;
            let Body::Subordinate(sub) = &ceremony.body else {
                return Err(Failure::Refused(format!(
                    "{} is a {} ceremony; names are tried against a subordinate ceremony's name constraints",
                    file.display(),
                    ceremony.body.kind()
                )));
            };
            let mut results = Vec::new();
            for name in &names {
                let parsed = TestName::parse(name).map_err(|e| Failure::Refused(e.to_string()))?;
                let decision = match &sub.name_constraints {
                    Some(nc) => nc.test(&parsed),
                    None => Decision {
                        permitted: true,
                        reason: "the certificate has no name constraints".into(),
                    },
                };
                results.push((name, parsed, decision));
            }
            if json {
                let list: Vec<_> = results
                    .iter()
                    .map(|(n, p, d)| serde_json::json!({ "name": n, "kind": p.to_string(), "permitted": d.permitted, "reason": d.reason }))
                    .collect();
                print_json(&serde_json::json!(list));
            } else {
                for (name, _, d) in &results {
                    let verdict = if d.permitted {
                        "permitted"
                    } else {
                        "REFUSED  "
                    };
                    println!("{verdict}  {name}  ({})", d.reason);
                }
            }
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
            Err(e @ (TranscriptError::Broken { .. } | TranscriptError::Empty { .. })) => {
                Err(Failure::Refused(e.to_string()))
            }
            Err(e) => Err(Failure::Failed(e.to_string())),
        },
    }
}
