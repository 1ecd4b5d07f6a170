//! The plan: the numbered steps of a ceremony, as data. `check` prints it,
//! `script` renders it as a runbook and `run` executes it, so the printed
//! runbook cannot drift from what runs: the runner refuses to run a step
//! the plan does not have next.

mod html;

use std::fmt::Write;

use super::Ceremony;
use crate::text::shown;

/// The forms of the runbook `rootca script` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum RunbookFormat {
    /// Markdown, to read or to print as text.
    #[default]
    Markdown,
    /// One self-contained HTML page to print: a page per step, boxes to fill in.
    Html,
}

/// Which step of the step library (or of a kind's own) a plan entry is.
pub type StepId = &'static str;

#[derive(Debug, Clone)]
pub struct Step {
    pub number: u32,
    pub id: StepId,
    pub title: String,
    pub details: Vec<String>,
    /// What the witness watches for or writes down at this step.
    pub witness: Option<String>,
    /// The officer must confirm before the step runs (unless `--yes`).
    pub confirm: bool,
    /// The step can change the HSM or the outside world.
    pub lasting: bool,
}

impl Step {
    /// A step not yet numbered: the plan numbers them in order.
    pub fn new(id: StepId, title: &str) -> Self {
        Self {
            number: 0,
            id,
            title: title.into(),
            details: Vec::new(),
            witness: None,
            confirm: false,
            lasting: false,
        }
    }

    pub fn details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }

    pub fn witness(mut self, text: &str) -> Self {
        self.witness = Some(text.into());
        self
    }

    /// The officer confirms before it runs.
    pub fn confirmed(mut self) -> Self {
        self.confirm = true;
        self
    }

    /// It can have a lasting effect.
    pub fn lasting(mut self) -> Self {
        self.lasting = true;
        self
    }
}

#[derive(serde::Serialize)]
struct PlanJson<'a> {
    ceremony: &'a str,
    name: &'a str,
    file: &'a std::path::Path,
    file_sha256: &'a str,
    steps: Vec<StepJson<'a>>,
    /// The interrupted run's journal, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    interrupted: Option<InterruptedJson<'a>>,
}

#[derive(serde::Serialize)]
struct InterruptedJson<'a> {
    journal: &'a std::path::Path,
    last_done: Option<u32>,
    states: Vec<String>,
    present_outputs: &'a [std::path::PathBuf],
    temporary_copies: &'a [std::path::PathBuf],
}

#[derive(serde::Serialize)]
struct StepJson<'a> {
    number: u32,
    title: &'a str,
    details: &'a [String],
    witness: Option<&'a str>,
    confirm: bool,
}

#[derive(Debug)]
pub struct Plan {
    pub ceremony: Ceremony,
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn new(ceremony: Ceremony) -> Self {
        let mut steps = ceremony.kind.steps();
        for (i, s) in steps.iter_mut().enumerate() {
            s.number = i as u32 + 1;
        }
        Self { ceremony, steps }
    }

    fn header(&self) -> Vec<(String, String)> {
        let c = &self.ceremony;
        vec![
            ("ceremony".into(), c.kind.name().into()),
            ("name".into(), c.name.clone()),
            ("file".into(), c.file.display().to_string()),
            ("file SHA-256".into(), c.file_sha256.clone()),
            (
                "transcript".into(),
                c.kind.transcript().display().to_string(),
            ),
        ]
    }

    /// The numbered plan `rootca check` prints.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        for (k, v) in self.header() {
            let _ = writeln!(s, "{k:<13} {}", shown(&v));
        }
        let _ = writeln!(
            s,
            "\nThe ceremony file is valid. The ceremony will run these steps:\n"
        );
        let by = self.ceremony.confirm_by;
        if by > 1 {
            let _ = writeln!(
                s,
                "Two-person control: each confirmed step is confirmed by {by} officers named with --officer.\n"
            );
        }
        for step in &self.steps {
            let confirm = match (step.confirm, by) {
                (false, _) => String::new(),
                (true, 1) => "  [officer confirms]".into(),
                (true, n) => format!("  [{n} officers confirm]"),
            };
            let _ = writeln!(s, "{:>2}. {}{confirm}", step.number, shown(&step.title));
            for d in &step.details {
                let _ = writeln!(s, "      {}", shown(d));
            }
        }
        s
    }

    /// Where an interrupted ceremony of this file stands, for `check`:
    /// empty when none is.
    pub fn render_interrupted(&self) -> String {
        let c = &self.ceremony;
        let Some(i) = &c.interrupted else {
            return String::new();
        };
        let mut s = String::new();
        if i.running {
            let _ = writeln!(
                s,
                "\nA rootca process is running this ceremony now (it holds the journal {}); where it stands:",
                i.journal.display()
            );
        } else {
            let _ = writeln!(
                s,
                "\nAn interrupted run of this ceremony left its journal {}:",
                i.journal.display()
            );
        }
        let steps: Vec<(u32, String)> = self
            .steps
            .iter()
            .map(|st| (st.number, st.title.clone()))
            .collect();
        for line in i.describe(&steps) {
            let _ = writeln!(s, "  {}", shown(&line));
        }
        for e in &c.existing {
            let _ = writeln!(
                s,
                "  present already, checked by the resume against what the ceremony writes: {}",
                e.display()
            );
        }
        for l in &c.leftovers {
            let _ = writeln!(
                s,
                "  temporary copy left by the interrupted run, removed by the resume: {}",
                l.display()
            );
        }
        let _ = writeln!(
            s,
            "`rootca run {0}` resumes it after the last step done; `rootca run {0} --abandon` closes it.",
            c.file.display()
        );
        s
    }

    /// The runbook `rootca script` prints, in the format asked for.
    pub fn render_runbook(&self, format: RunbookFormat) -> String {
        match format {
            RunbookFormat::Markdown => self.render_markdown(),
            RunbookFormat::Html => self.render_html(),
        }
    }

    /// The runbook `rootca script` prints, in Markdown.
    pub fn render_markdown(&self) -> String {
        let c = &self.ceremony;
        let mut s = String::new();
        let _ = writeln!(s, "# Ceremony runbook: {}\n", shown(&c.name));
        let _ = writeln!(s, "| | |\n|---|---|");
        for (k, v) in self.header() {
            let _ = writeln!(s, "| {k} | `{}` |", shown(&v));
        }
        let _ = writeln!(s, "\n## Before the ceremony\n");
        let _ = writeln!(
            s,
            "- [ ] Every participant has signed the attendance sheet."
        );
        let _ = writeln!(
            s,
            "- [ ] The witness has compared the file SHA-256 above with `sha256sum {}`.",
            c.file.display()
        );
        let _ = writeln!(
            s,
            "- [ ] `rootca check {}` printed this same plan.",
            c.file.display()
        );
        let _ = writeln!(s, "\n## Steps\n");
        for step in &self.steps {
            let confirm = match (step.confirm, self.ceremony.confirm_by) {
                (false, _) => String::new(),
                (true, 1) => " (the officer confirms)".into(),
                (true, n) => format!(" ({n} officers confirm, each by name)"),
            };
            let _ = writeln!(s, "### {}. {}{confirm}\n", step.number, shown(&step.title));
            for d in &step.details {
                let _ = writeln!(s, "- {}", shown(d));
            }
            if let Some(w) = &step.witness {
                let _ = writeln!(s, "\n**Witness:** {}", shown(w));
            }
            let _ = writeln!(
                s,
                "\n- [ ] Done at ____:____ UTC   Officer ________   Witness ________\n"
            );
        }
        let _ = writeln!(s, "## After the ceremony\n");
        let _ = writeln!(
            s,
            "- [ ] `rootca transcript verify {}` reports the chain intact.",
            c.kind.transcript().display()
        );
        let _ = writeln!(
            s,
            "- [ ] Fingerprints recorded: ______________________________________"
        );
        s
    }

    /// What `rootca check --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.ceremony;
        serde_json::to_value(PlanJson {
            ceremony: c.kind.name(),
            name: &c.name,
            file: &c.file,
            file_sha256: &c.file_sha256,
            steps: self
                .steps
                .iter()
                .map(|s| StepJson {
                    number: s.number,
                    title: &s.title,
                    details: &s.details,
                    witness: s.witness.as_deref(),
                    confirm: s.confirm,
                })
                .collect(),
            interrupted: c.interrupted.as_ref().map(|i| InterruptedJson {
                journal: &i.journal,
                last_done: i.last_done(),
                states: i.describe(
                    &self
                        .steps
                        .iter()
                        .map(|st| (st.number, st.title.clone()))
                        .collect::<Vec<_>>(),
                ),
                present_outputs: &c.existing,
                temporary_copies: &c.leftovers,
            }),
        })
        .unwrap_or(serde_json::Value::Null)
    }
}
