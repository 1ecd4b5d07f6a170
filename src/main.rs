//! The `rootca` command line. The only place that turns errors into
//! messages and exit codes: 0 success, 2 input refused, 1 anything else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use rootca::aws::pca::{PrivateCa, SubordinateSpec};
use rootca::aws::s3::{S3, S3Error, S3Location};
use rootca::aws::{AwsError, AwsSettings};
use rootca::ceremony::install::{InstallError, Installed, install};
use rootca::ceremony::runner::{RunOptions, run};
use rootca::ceremony::{CeremonyError, Plan, load, load_content};
use rootca::crl_publish::{
    PublishRefusal, PublishReport, check_own_point, check_subordinate, check_url, read_crl,
};
use rootca::input::{limit, read_bounded};
use rootca::output::transcript::{self, TranscriptError};
use rootca::output::{Staged, ensure_absent, sha256_hex};
use rootca::profile::csr::Csr;
use rootca::profile::document::read_certificate;
use rootca::profile::name_constraints::TestedName;
use rootca::text::{shown, shown_lines};
use x509_cert::Certificate;

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
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
    /// Run a ceremony; run again after an interruption to resume it.
    Run {
        file: PathBuf,
        /// Do not stop at the confirmation points (practice runs only;
        /// refused with confirm_by = 2 or more).
        #[arg(long)]
        yes: bool,
        /// An officer present, who confirms at the terminal when the file
        /// sets confirm_by (repeatable).
        #[arg(long = "officer", value_name = "NAME")]
        officers: Vec<String>,
        /// A witness present, recorded in the transcript (repeatable).
        #[arg(long = "witness", value_name = "NAME")]
        witnesses: Vec<String>,
        /// Close the journal of an interrupted ceremony on purpose, with the
        /// reason typed at the terminal; says what it leaves behind.
        #[arg(long, conflicts_with = "yes")]
        abandon: bool,
        /// The outcome as JSON on stdout (the steps are then shown on stderr).
        #[arg(long)]
        json: bool,
    },
    /// Print the ceremony as a runbook for officers and witnesses: Markdown,
    /// or an HTML page to print with a page per step.
    Script {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        format: rootca::ceremony::plan::RunbookFormat,
    },
    /// Try names against the name constraints a subordinate ceremony will
    /// put in its certificate, before the ceremony.
    Names {
        file: PathBuf,
        /// A name to try: DNS name, IP address, email, URI or DN; a
        /// `dns:`, `ip:`, `email:`, `uri:` or `dn:` prefix forces the kind,
        /// and `cn:` tries a subject CN as OpenSSL checks it.
        #[arg(long = "test", value_name = "NAME", required = true)]
        names: Vec<String>,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
    /// Summarise a certificate, CSR or CRL (PEM or DER).
    Inspect {
        path: PathBuf,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
        /// Judge a certificate by a profile: mdl-iaca, mdl-ds, matter-paa,
        /// matter-pai (exit 2 when it breaks a rule).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// The issuer's certificate, for the rules that compare with it
        /// (mdl-ds, matter-pai).
        #[arg(long, value_name = "PATH", requires = "profile")]
        issuer: Option<PathBuf>,
    },
    /// AWS Private CA, around a ceremony: describe a CA, fetch its CSR,
    /// import a signed certificate, create a subordinate.
    Pca {
        #[command(flatten)]
        aws: AwsArgs,
        #[command(subcommand)]
        command: PcaCommand,
    },
    /// The root's CRL, after the CRL ceremony signed it: publish it to S3.
    Crl {
        #[command(flatten)]
        aws: AwsArgs,
        #[command(subcommand)]
        command: CrlCommand,
    },
    /// AWS CloudHSM around the offline root.
    Hsm {
        #[command(flatten)]
        aws: AwsArgs,
        #[command(subcommand)]
        command: HsmCommand,
    },
    /// Work with ceremony transcripts.
    Transcript {
        #[command(subcommand)]
        command: TranscriptCommand,
    },
    /// Print the completion script of SHELL, e.g. `rootca completions bash
    /// > ~/.local/share/bash-completion/completions/rootca`.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), e.g. `rootca man >
    /// ~/.local/share/man/man1/rootca.1`.
    Man,
}

#[derive(clap::Args)]
struct AwsArgs {
    /// AWS region (else AWS_REGION or the profile's).
    #[arg(long, global = true)]
    region: Option<String>,
    /// AWS config/credentials profile (else AWS_PROFILE or the default chain).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Endpoint URL: a VPC endpoint or a local emulator (else AWS_ENDPOINT_URL).
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
}

#[derive(Subcommand)]
enum PcaCommand {
    /// DescribeCertificateAuthority: status, type, validity, subject.
    Describe {
        arn: String,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
    /// GetCertificateAuthorityCsr, written to a new file.
    FetchCsr {
        arn: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
    /// ImportCertificateAuthorityCertificate, after Private CA's import
    /// rules are checked locally; then confirms the CA is ACTIVE with it.
    Import {
        arn: String,
        #[arg(long, value_name = "FILE")]
        certificate: PathBuf,
        /// The chain, issuer first and root last (PEM).
        #[arg(long, value_name = "FILE")]
        chain: PathBuf,
        /// Replace the certificate of a CA that is already ACTIVE.
        #[arg(long)]
        replace: bool,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
    /// CreateCertificateAuthority (SUBORDINATE) from a TOML file; prints its ARN.
    CreateSubordinate {
        #[arg(long, value_name = "FILE")]
        spec: PathBuf,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CrlCommand {
    /// Upload a signed CRL to S3 (its DER, Content-Type application/pkix-crl),
    /// replacing the object at the key; read it back and compare; check the
    /// bucket's public access block.
    Publish {
        /// The signed CRL, DER or PEM (X509 CRL).
        file: PathBuf,
        /// Where to upload it.
        #[arg(long, value_name = "s3://BUCKET/KEY")]
        to: String,
        /// The URL the subordinates' CRL distribution points name; its path
        /// must agree with the key (rootca cannot see CloudFront's mapping).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// A certificate the root issued, whose CRL distribution points must
        /// name --url (repeatable).
        #[arg(long = "subordinate", value_name = "CERT", requires = "url")]
        subordinates: Vec<PathBuf>,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum HsmCommand {
    /// The cluster, its HSMs and backups (newest first), and whether the
    /// root is offline (its key held by a backup) or an HSM is running.
    Status {
        #[arg(long, value_name = "ID")]
        cluster_id: String,
        /// The price of one HSM-hour, for the cost of running HSMs.
        #[arg(long, value_name = "PRICE")]
        hourly_price: Option<f64>,
        /// A folder of ceremony transcripts: the reactivations' give each
        /// HSM's creation time, hence how long it has run.
        #[arg(long, value_name = "DIR")]
        transcripts: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TranscriptCommand {
    /// Check a transcript's hash chain and the artifacts it names, and
    /// list the files of its folder it does not vouch for.
    Verify {
        path: PathBuf,
        /// Print the result as one JSON document on stdout (an error too).
        #[arg(long)]
        json: bool,
        /// The last entry hash the witnesses wrote down: fails unless the
        /// transcript ends with it (case and spaces do not matter).
        #[arg(long, value_name = "HASH")]
        expect_last: Option<String>,
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
    // As Cli::parse(), keeping the matches to see whether --json was given
    // anywhere on the line, whichever command has it.
    let matches = Cli::command().get_matches();
    let json = json_asked(&matches);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let (refused, msg) = match dispatch(cli.command) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::Refused(msg)) => (true, msg),
        Err(Failure::Failed(msg)) => (false, msg),
    };
    // What a file, a CSR or the HSM put into a message is shown
    // escaped: it cannot rewrite the screen the witnesses read. The word
    // is coloured on a terminal only, and not under NO_COLOR (anstream).
    let (word, style) = if refused {
        ("refused:", anstyle::AnsiColor::Yellow.on_default().bold())
    } else {
        ("failed:", anstyle::AnsiColor::Red.on_default().bold())
    };
    let msg = shown_lines(&msg);
    anstream::eprintln!("rootca: {style}{word}{style:#} {msg}");
    // With --json, stdout holds one JSON document: the report, or this.
    if json && !JSON_PRINTED.load(Ordering::Relaxed) {
        print_json(&serde_json::json!({"error": {"refused": refused, "message": msg}}));
    }
    ExitCode::from(if refused { 2 } else { 1 })
}

/// Whether the command given, or one above it, has --json set.
fn json_asked(matches: &ArgMatches) -> bool {
    matches
        .try_get_one::<bool>("json")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false)
        || matches.subcommand().is_some_and(|(_, sub)| json_asked(sub))
}

/// Set once a JSON document is on stdout, so that an error after it (an
/// unclosed transcript's) does not add a second.
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

fn run_command(file: &std::path::Path, people: RunOptions, abandon: bool) -> Result<(), Failure> {
    let json = people.json;
    let plan = Plan::new(load(file)?);
    if abandon {
        let a = rootca::ceremony::runner::abandon(&plan, &people)?;
        if json {
            print_json(&serde_json::json!({
                "abandoned": true,
                "transcript": a.transcript,
                "last_hash": a.last_hash,
                "left_behind": a.left_behind,
                "removed_temporary_copies": a.removed,
            }));
            return Ok(());
        }
        println!(
            "\nThe ceremony is abandoned; its transcript is {}.",
            a.transcript.display()
        );
        if a.left_behind.is_empty() {
            println!("It left nothing behind.");
        } else {
            println!("What it leaves behind (rootca deletes none of it):");
            for c in &a.left_behind {
                println!("  - {}", shown(&c.what));
                println!("    {}", shown(&c.if_failed));
            }
        }
        for r in &a.removed {
            println!("  removed rootca's temporary copy {}", r.display());
        }
        println!(
            "\nLast entry hash, for the witnesses to write down:\n  {}",
            rootca::ceremony::runner::hash_for_witnesses(&a.last_hash)
        );
        return Ok(());
    }
    let summary = run(&plan, &people)?;
    if json {
        print_json(&serde_json::json!({
            "complete": true,
            "resumed": summary.resumed,
            "outputs": summary.outputs,
            "transcript": summary.transcript,
            "last_hash": summary.last_hash,
        }));
        return Ok(());
    }
    println!("\nCeremony complete.");
    for p in &summary.outputs {
        println!("  artifact:   {}", p.display());
    }
    println!("  transcript: {}", summary.transcript.display());
    println!(
        "\nLast entry hash, for the witnesses to write down:\n  {}",
        rootca::ceremony::runner::hash_for_witnesses(&summary.last_hash)
    );
    println!(
        "Check it later with: rootca transcript verify {} --expect-last \"<the hash written down>\"",
        summary.transcript.display()
    );
    Ok(())
}

fn hsm_status(
    aws: AwsArgs,
    cluster_id: &str,
    hourly_price: Option<f64>,
    transcripts: Option<&std::path::Path>,
    json: bool,
) -> Result<(), Failure> {
    use rootca::aws::cloudhsm::{CloudHsm, CloudHsmError, status};
    if let Some(p) = hourly_price.filter(|p| !(p.is_finite() && *p > 0.0)) {
        return Err(Failure::Refused(format!(
            "--hourly-price {p} is not a price: give what one HSM-hour costs, a number above 0"
        )));
    }
    let created = match transcripts {
        Some(dir) => rootca::ceremony::steps::cloudhsm::created_hsms(dir)
            .map_err(|e| Failure::Refused(format!("--transcripts {}: {e}", dir.display())))?,
        None => Vec::new(),
    };
    let failed = |e: CloudHsmError| match e {
        CloudHsmError::ClusterNotFound { .. } => Failure::Refused(e.to_string()),
        other => Failure::Failed(other.to_string()),
    };
    let settings = AwsSettings {
        region: aws.region,
        profile: aws.profile,
        endpoint_url: aws.endpoint_url,
    };
    let hsm = CloudHsm::connect(&settings).map_err(failed)?;
    let cluster = hsm.cluster(cluster_id).map_err(failed)?;
    let backups = hsm.backups(cluster_id).map_err(failed)?;
    let s = status(cluster, backups, hourly_price).with_created(&created);
    if json {
        let mut v = serde_json::to_value(&s)
            .map_err(|e| Failure::Failed(format!("cannot write the status: {e}")))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("verdict_line".into(), s.verdict_line().into());
        }
        print_json(&v);
    } else {
        print!("{}", shown_lines(&s.render_text()));
    }
    Ok(())
}

fn print_json(v: &serde_json::Value) {
    JSON_PRINTED.store(true, Ordering::Relaxed);
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}

/// Generated text to stdout; a closed pipe (`| head`) is a failure, not a panic.
fn print_generated(text: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Failed(format!("cannot write to stdout: {e}")))
}

/// The sections of the man page that hold for every command.
const MAN_SECTIONS: &[rootca::manpage::Section<'static>] = &[
    (
        "Exit status",
        &[
            "0 success; 2 the input was refused and nothing was changed; 1 anything else failed. \
             With --json, stdout then holds {\"error\": {\"refused\": true|false, \"message\": \"...\"}}, \
             and the message is on stderr as text too.",
        ],
    ),
    (
        "Environment",
        &[
            "AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and the rest of the AWS SDK's standard chain, \
             where --region, --profile, --endpoint-url or the ceremony file do not say.",
            "ROOTCA_AWS_CONNECT_TIMEOUT_SECS, ROOTCA_AWS_ATTEMPT_TIMEOUT_SECS, ROOTCA_AWS_OPERATION_TIMEOUT_SECS: \
             the bounds of every AWS call (10, 30 and 120 s). ROOTCA_AWS_ACTIVE_TIMEOUT_SECS: how long an import \
             waits for the CA to show ACTIVE (120 s).",
            "NO_COLOR: any value but empty turns colour off; there is none either when the output is not a terminal.",
            "SOFTHSM2_CONF: SoftHSM's configuration, for practice tokens.",
        ],
    ),
    (
        "See also",
        &[
            "The documentation in the project's docs/ folder: ceremony files, the runbooks, the transcript.",
        ],
    ),
];

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check { file, json } => {
            let plan = Plan::new(load(&file)?);
            if json {
                print_json(&plan.to_json());
            } else {
                print!("{}", plan.render_text());
                print!("{}", plan.render_interrupted());
            }
            Ok(())
        }
        Command::Script { file, format } => {
            let plan = Plan::new(load(&file)?);
            print!("{}", plan.render_runbook(format));
            Ok(())
        }
        Command::Run {
            file,
            yes,
            officers,
            witnesses,
            abandon,
            json,
        } => run_command(
            &file,
            RunOptions {
                yes,
                officers,
                witnesses,
                json,
            },
            abandon,
        ),
        Command::Names { file, names, json } => {
            let ceremony = load_content(&file)?;
            let Some(constraints) = ceremony.kind.name_constraints() else {
                return Err(Failure::Refused(format!(
                    "{} is a {} ceremony; names are tried against a subordinate ceremony's name constraints",
                    file.display(),
                    ceremony.kind.name()
                )));
            };
            let results = names
                .iter()
                .map(|name| TestedName::judge(name, constraints))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Failure::Refused(e.to_string()))?;
            if json {
                let value = serde_json::to_value(&results)
                    .map_err(|e| Failure::Failed(format!("cannot write the results: {e}")))?;
                print_json(&value);
            } else {
                for r in &results {
                    let verdict = if r.decision.permitted {
                        "permitted"
                    } else {
                        "REFUSED  "
                    };
                    println!(
                        "{verdict}  {}  ({})",
                        shown(&r.name),
                        shown(&r.decision.reason)
                    );
                    for warning in &r.decision.warnings {
                        println!("           warning: {}", shown(warning));
                    }
                }
            }
            Ok(())
        }
        Command::Inspect {
            path,
            json,
            profile,
            issuer,
        } => {
            let read = |path: &PathBuf| {
                read_bounded(path, limit::DOCUMENT)
                    .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", path.display())))
            };
            let bytes = read(&path)?;
            let report = rootca::inspect::inspect(&bytes)
                .map_err(|e| Failure::Refused(format!("{}: {e}", path.display())))?;
            let verdict = match &profile {
                None => None,
                Some(name) => {
                    let profile = name.parse().map_err(Failure::Refused)?;
                    let issuer = issuer.as_ref().map(read).transpose()?;
                    Some(
                        rootca::profile::ecosystem::judge(profile, &bytes, issuer.as_deref())
                            .map_err(|e| Failure::Refused(format!("{}: {e}", path.display())))?,
                    )
                }
            };
            if json {
                let mut doc = report.to_json();
                if let (Some(v), Some(map)) = (&verdict, doc.as_object_mut()) {
                    map.insert("profile".into(), v.to_json());
                }
                print_json(&doc);
            } else {
                print!("{}", report.render_text());
                if let Some(v) = &verdict {
                    print!("{}", v.render_text());
                }
            }
            match verdict {
                Some(v) if !v.satisfied() => Err(Failure::Refused(format!(
                    "{} does not satisfy {}: {} finding(s)",
                    path.display(),
                    v.profile,
                    v.findings.len()
                ))),
                _ => Ok(()),
            }
        }
        Command::Pca { aws, command } => pca(aws, command),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rootca", &mut script);
            print_generated(&script)
        }
        Command::Man => {
            let page = rootca::manpage::render(Cli::command(), MAN_SECTIONS)
                .map_err(|e| Failure::Failed(format!("cannot write the man page: {e}")))?;
            print_generated(page.as_bytes())
        }
        Command::Crl { aws, command } => crl(aws, command),
        Command::Hsm {
            aws,
            command:
                HsmCommand::Status {
                    cluster_id,
                    hourly_price,
                    transcripts,
                    json,
                },
        } => hsm_status(aws, &cluster_id, hourly_price, transcripts.as_deref(), json),
        Command::Transcript {
            command:
                TranscriptCommand::Verify {
                    path,
                    json,
                    expect_last,
                },
        } => match transcript::verify(&path, expect_last.as_deref()) {
            Ok(v) => {
                if json {
                    print_json(&serde_json::json!(v));
                } else {
                    println!(
                        "{}: {} entries, hash chain intact",
                        path.display(),
                        v.entries
                    );
                    for (file, hash) in &v.inputs {
                        println!("  input unchanged: {}  SHA-256 {hash}", shown(file));
                    }
                    for file in &v.inputs_absent {
                        println!("  input not present here, not checked: {}", shown(file));
                    }
                    for (file, hash) in &v.artifacts {
                        println!("  artifact unchanged: {}  SHA-256 {hash}", shown(file));
                    }
                    if v.closed && !v.complete {
                        println!(
                            "  note: the ceremony did not complete (it was abandoned, or failed under an older rootca)"
                        );
                    }
                    if !v.closed {
                        println!(
                            "  WARNING: no closing entry (\"ceremony complete\", \"ceremony abandoned\" or \"ceremony failed\"): \
                             the transcript may have been cut off{}",
                            if v.last_hash_expected {
                                "; its last hash is the one given with --expect-last, so nothing was cut off after it"
                            } else {
                                ". Only --expect-last HASH, with the last hash the witnesses wrote \
                                 down, can prove it was not"
                            }
                        );
                    }
                    println!("  last entry hash: {}", v.last_hash);
                    if v.last_hash_expected {
                        println!("  last entry hash matches --expect-last");
                    }
                    if !v.not_vouched_for.is_empty() {
                        println!(
                            "  not vouched for by this transcript: {} (files in its folder no entry names{})",
                            shown(&v.not_vouched_for.join(", ")),
                            if v.closed {
                                ": other ceremonies' files, or files put there since"
                            } else {
                                ""
                            }
                        );
                    }
                }
                // Files the transcript does not name are only suspect when it
                // has no closing entry: then the entries naming them may have
                // been cut off. A closed transcript shares its folder with
                // other ceremonies' files, as the documented layout has it.
                if v.not_vouched_for.is_empty() || v.closed {
                    Ok(())
                } else {
                    Err(Failure::Refused(format!(
                        "{}: has no closing entry and does not vouch for {} in its folder: \
                         the entries that named them may have been cut off; do not trust them on this transcript's word",
                        path.display(),
                        v.not_vouched_for.join(", ")
                    )))
                }
            }
            Err(
                e @ (TranscriptError::Broken { .. }
                | TranscriptError::Empty { .. }
                | TranscriptError::TooLarge { .. }
                | TranscriptError::NotAFile { .. }
                | TranscriptError::InvalidExpectedHash { .. }),
            ) => Err(Failure::Refused(e.to_string())),
            Err(e) => Err(Failure::Failed(e.to_string())),
        },
    }
}

fn aws_failure(e: AwsError) -> Failure {
    match e {
        // A ROOTCA_AWS_*_TIMEOUT_SECS the officer set: input, refused before any call.
        e @ AwsError::InvalidTimeout { .. } => Failure::Refused(e.to_string()),
        e => Failure::Failed(e.to_string()),
    }
}

fn read_file(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, Failure> {
    read_bounded(path, limit)
        .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", path.display())))
}

fn pca(aws: AwsArgs, command: PcaCommand) -> Result<(), Failure> {
    let settings = AwsSettings {
        region: aws.region,
        profile: aws.profile,
        endpoint_url: aws.endpoint_url,
    };
    // A spec is checked before anything is sent.
    let spec = match &command {
        PcaCommand::CreateSubordinate { spec, .. } => {
            let text = String::from_utf8(read_file(spec, limit::SPEC)?)
                .map_err(|_| Failure::Refused(format!("{} is not UTF-8 text", spec.display())))?;
            let parsed: SubordinateSpec = toml::from_str(&text)
                .map_err(|e| Failure::Refused(format!("{}: {e}", spec.display())))?;
            parsed
                .validate()
                .map_err(|e| Failure::Refused(format!("{}: {e}", spec.display())))?;
            Some(parsed)
        }
        _ => None,
    };
    if let PcaCommand::FetchCsr { out, .. } = &command {
        ensure_absent(out).map_err(|e| Failure::Refused(e.to_string()))?;
    }
    let client = PrivateCa::connect(&settings).map_err(aws_failure)?;
    match command {
        PcaCommand::Describe { arn, json } => {
            let d = client.describe(&arn).map_err(aws_failure)?;
            let time = |t: Option<std::time::SystemTime>| {
                t.map(|t| {
                    time::OffsetDateTime::from(t)
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                })
            };
            if json {
                #[derive(serde::Serialize)]
                struct Described<'a> {
                    arn: &'a str,
                    status: &'a str,
                    #[serde(rename = "type")]
                    ca_type: &'a str,
                    not_before: Option<String>,
                    not_after: Option<String>,
                    subject: &'a str,
                    key_algorithm: &'a str,
                    signing_algorithm: &'a str,
                }
                print_json(
                    &serde_json::to_value(Described {
                        arn: &d.arn,
                        status: d.status.as_str(),
                        ca_type: &d.ca_type,
                        not_before: time(d.not_before),
                        not_after: time(d.not_after),
                        subject: &d.subject,
                        key_algorithm: &d.key_algorithm,
                        signing_algorithm: &d.signing_algorithm,
                    })
                    .unwrap_or_default(),
                );
            } else {
                println!("{}", shown(&d.arn));
                println!("  status:             {}", d.status);
                println!("  type:               {}", shown(&d.ca_type));
                println!("  subject:            {}", shown(&d.subject));
                println!("  key algorithm:      {}", shown(&d.key_algorithm));
                println!("  signing algorithm:  {}", shown(&d.signing_algorithm));
                println!(
                    "  not before:         {}",
                    time(d.not_before).unwrap_or_else(|| "(no certificate yet)".into())
                );
                println!(
                    "  not after:          {}",
                    time(d.not_after).unwrap_or_else(|| "(no certificate yet)".into())
                );
            }
            Ok(())
        }
        PcaCommand::FetchCsr { arn, out, json } => {
            let pem = client.csr(&arn).map_err(aws_failure)?;
            let mut staged = Staged::default();
            staged
                .add(&out, pem.as_bytes())
                .map_err(|e| Failure::Failed(e.to_string()))?;
            staged
                .commit()
                .map_err(|e| Failure::Failed(e.to_string()))?;
            let sha256 = sha256_hex(pem.as_bytes());
            if json {
                print_json(&serde_json::json!({
                    "arn": arn, "csr": out.display().to_string(), "sha256": sha256,
                }));
            } else {
                println!("wrote {} (SHA-256 {sha256})", out.display());
            }
            Ok(())
        }
        PcaCommand::Import {
            arn,
            certificate,
            chain,
            replace,
            json,
        } => {
            let cert_bytes = read_file(&certificate, limit::CERTIFICATE)?;
            let (cert, _) = read_certificate(&cert_bytes)
                .map_err(|e| Failure::Refused(format!("{} {e}", certificate.display())))?;
            let chain_bytes = read_file(&chain, limit::CHAIN)?;
            let chain_certs = Certificate::load_pem_chain(&chain_bytes).map_err(|e| {
                Failure::Refused(format!(
                    "{} is not a PEM chain of certificates: {e}",
                    chain.display()
                ))
            })?;
            let csr_pem = client.csr(&arn).map_err(aws_failure)?;
            let csr = Csr::parse(csr_pem.as_bytes())
                .map_err(|e| Failure::Failed(format!("the CSR of {arn} {e}")))?;
            let outcome = install(&client, &arn, &cert, &chain_certs, &csr.public_key, replace)
                .map_err(|e| match e {
                    InstallError::Refused(m) => Failure::Refused(m),
                    InstallError::NotConfirmed(m) => Failure::Failed(m),
                    InstallError::Aws(e) => aws_failure(e),
                })?;
            if json {
                // install() returns only once the CA is ACTIVE with this certificate.
                print_json(&serde_json::json!({
                    "arn": arn,
                    "outcome": match outcome {
                        Installed::First => "imported",
                        Installed::Replaced => "replaced",
                        Installed::AlreadyThere => "already_installed",
                    },
                    "status": "ACTIVE",
                    "certificate": {"path": certificate.display().to_string(), "sha256": sha256_hex(&cert_bytes)},
                    "chain": {"path": chain.display().to_string(), "sha256": sha256_hex(&chain_bytes)},
                    "messages": outcome.say(&arn),
                }));
            } else {
                for line in outcome.say(&arn) {
                    println!("{}", shown(&line));
                }
            }
            Ok(())
        }
        PcaCommand::CreateSubordinate { spec: path, json } => {
            let Some(spec) = spec else {
                return Err(Failure::Failed("internal error: no spec".into()));
            };
            let arn = client.create_subordinate(&spec).map_err(aws_failure)?;
            if json {
                print_json(&serde_json::json!({
                    "arn": arn,
                    "spec": path.display().to_string(),
                    "key_algorithm": spec.key_algorithm,
                    "signing_algorithm": spec.signing_algorithm,
                    "common_name": spec.subject.common_name,
                }));
            } else {
                println!("{arn}");
            }
            Ok(())
        }
    }
}

fn s3_failure(e: S3Error) -> Failure {
    match e {
        S3Error::Aws(e) => aws_failure(e),
        e => Failure::Failed(e.to_string()),
    }
}

/// `rootca crl publish`: every local check first (the file is a CRL, --to,
/// --url, --subordinate), then the calls to S3.
fn crl(aws: AwsArgs, command: CrlCommand) -> Result<(), Failure> {
    let CrlCommand::Publish {
        file,
        to,
        url,
        subordinates,
        json,
    } = command;
    let refused = |e: PublishRefusal| Failure::Refused(e.to_string());
    let name = file.display().to_string();
    let crl = read_crl(&name, &read_file(&file, limit::DOCUMENT)?).map_err(refused)?;
    let location = S3Location::parse(&to).map_err(|e| Failure::Refused(e.to_string()))?;
    let url_check = match &url {
        Some(url) => {
            let checked = check_url(url, &location).map_err(refused)?;
            check_own_point(&crl, url).map_err(refused)?;
            Some(checked)
        }
        None => None,
    };
    let mut checked = Vec::new();
    for path in &subordinates {
        let Some(url) = &url else {
            return Err(Failure::Refused(
                "--subordinate needs --url: the URL its CRL distribution points must name".into(),
            ));
        };
        let bytes = read_file(path, limit::CERTIFICATE)?;
        checked.push(
            check_subordinate(&path.display().to_string(), &bytes, &crl, url).map_err(refused)?,
        );
    }
    let settings = AwsSettings {
        region: aws.region,
        profile: aws.profile,
        endpoint_url: aws.endpoint_url,
    };
    let s3 = S3::connect(&settings).map_err(s3_failure)?;
    let publication = s3.publish_crl(&location, &crl.der).map_err(s3_failure)?;
    let report = PublishReport::new(
        &name,
        &crl,
        publication,
        s3.region(),
        s3.endpoint(),
        url_check,
        checked,
        std::time::SystemTime::now(),
    );
    if json {
        let value = serde_json::to_value(&report)
            .map_err(|e| Failure::Failed(format!("cannot write the report: {e}")))?;
        print_json(&value);
    } else {
        print!("{}", report.render_text());
    }
    Ok(())
}
