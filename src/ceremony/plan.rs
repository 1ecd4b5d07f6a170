//! The plan: the numbered steps of a ceremony, as data. `check` prints it,
//! `script` renders it as a runbook and `run` executes it, so the printed
//! runbook cannot drift from what runs.

use std::fmt::Write;

use super::{Body, Ceremony, CsrSource, KeySpec, RootCeremony, SubordinateCeremony};
use crate::profile::checks::CHECKS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    GenerateKey,
    ReadPublicKey,
    FindIssuerKey,
    CheckPrivateCa,
    ImportIntoPrivateCa,
    DrawSerial,
    PrepareCertificate,
    SignCertificate,
    WriteArtifacts,
    Logout,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub number: u32,
    pub title: String,
    pub details: Vec<String>,
    /// What the witness watches for or writes down at this step.
    pub witness: Option<String>,
    /// The officer must confirm before the step runs (unless `--yes`).
    pub confirm: bool,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub ceremony: Ceremony,
    pub steps: Vec<Step>,
}

struct Steps(Vec<Step>);

impl Steps {
    fn add(
        &mut self,
        action: Action,
        title: &str,
        details: Vec<String>,
        witness: Option<&str>,
        confirm: bool,
    ) {
        self.0.push(Step {
            number: self.0.len() as u32 + 1,
            title: title.into(),
            details,
            witness: witness.map(str::to_string),
            confirm,
            action,
        });
    }
}

fn login(steps: &mut Steps, c: &Ceremony) {
    steps.add(
        Action::Login,
        "Open the HSM and log in",
        vec![
            format!("PKCS#11 module: {}", c.hsm.module.display()),
            format!("token label: \"{}\"", c.hsm.token),
            format!("PIN: {}", c.hsm.pin.describe()),
        ],
        Some("Only the officer holding the PIN sees it; it is never shown or recorded."),
        false,
    );
}

fn generate(steps: &mut Steps, key: &KeySpec) {
    steps.add(
        Action::GenerateKey,
        "Generate the key pair in the HSM",
        vec![
            format!(
                "label: \"{}\"; refused if any object on the token already has it",
                key.label
            ),
            format!("algorithm: {}", key.algorithm),
            "private key: token object, private, sensitive, never extractable, sign only".into(),
            "the attributes are read back and the ceremony stops if any differs".into(),
        ],
        Some(
            "Confirm the label and algorithm match the ceremony sheet before the officer confirms.",
        ),
        true,
    );
    steps.add(
        Action::ReadPublicKey,
        "Read the public key",
        vec!["the SHA-256 fingerprint of the public key (SubjectPublicKeyInfo) is printed".into()],
        Some("Read the public key fingerprint aloud and write it on the ceremony sheet."),
        false,
    );
}

fn draw_serial(steps: &mut Steps) {
    steps.add(
        Action::DrawSerial,
        "Draw the serial number",
        vec!["16 octets from the HSM's random number generator, 126 of them random bits".into()],
        None,
        false,
    );
}

fn checks_line() -> String {
    format!(
        "signed first with a throwaway lint key and checked ({} to {})",
        CHECKS.first().map_or("", |c| c.0),
        CHECKS.last().map_or("", |c| c.0)
    )
}

/// The Private CA step that opens a subordinate ceremony which fetches its
/// CSR from, or imports into, Private CA: everything AWS could refuse is
/// learnt before the HSM is opened.
fn private_ca_check(steps: &mut Steps, sub: &SubordinateCeremony) {
    let arn = match (&sub.csr, &sub.import) {
        (CsrSource::PrivateCa { arn }, _) => arn,
        (_, Some(i)) => &i.arn,
        _ => return,
    };
    let mut details = vec![
        format!("certificate authority: {arn}"),
        "DescribeCertificateAuthority: it must be PENDING_CERTIFICATE (first installation) or ACTIVE (its certificate is replaced, e.g. to add name constraints)".into(),
        "GetCertificateAuthorityCsr: the CA's current CSR".into(),
    ];
    match &sub.csr {
        CsrSource::PrivateCa { .. } => details.push(
            "the CSR's self-signature and key are checked, and what it asks for beyond its subject and key is shown and ignored".into(),
        ),
        CsrSource::File { .. } => details.push("the CSR file must carry the same key as the CA's current CSR".into()),
    }
    if let Some(i) = &sub.import {
        details.push(if i.replace {
            "if the CA is ACTIVE its certificate will be replaced (replace = true)".into()
        } else {
            "if the CA is ACTIVE with another certificate the ceremony stops: replacing it needs replace = true in [import]".into()
        });
    }
    steps.add(
        Action::CheckPrivateCa,
        "Check the subordinate CA in AWS Private CA",
        details,
        Some("Compare the CA's ARN and state printed with the ceremony sheet."),
        false,
    );
}

fn import_step(steps: &mut Steps, sub: &SubordinateCeremony) {
    let Some(i) = &sub.import else { return };
    steps.add(
        Action::ImportIntoPrivateCa,
        "Import the certificate into AWS Private CA",
        vec![
            format!("certificate authority: {}", i.arn),
            "Private CA's import rules are checked again on the signed certificate and the chain".into(),
            "ImportCertificateAuthorityCertificate with the certificate and the chain written at the previous steps".into(),
            "then DescribeCertificateAuthority must show ACTIVE with the certificate's notBefore and notAfter, and GetCertificateAuthorityCertificate must return this certificate".into(),
            "a CA already ACTIVE with exactly this certificate is reported and counts as done".into(),
        ],
        Some("Confirm the ARN is the one on the ceremony sheet before the officer confirms."),
        true,
    );
}

fn subordinate_steps(steps: &mut Steps, sub: &SubordinateCeremony) {
    let issuer = sub.issuer.tbs_certificate();
    steps.add(
        Action::FindIssuerKey,
        "Find the root key and match it to the issuer certificate",
        vec![
            format!(
                "label: \"{}\"; exactly one key pair must have it",
                sub.issuer_label
            ),
            format!(
                "its public key must be the one in {}",
                sub.issuer_path.display()
            ),
            "its attributes must still be sensitive, never extractable, sign only".into(),
        ],
        Some(
            "Compare the public key fingerprint printed with the one on the root ceremony's sheet.",
        ),
        false,
    );
    draw_serial(steps);
    let mut details = match &sub.csr {
        CsrSource::File { csr, .. } => vec![
            format!("subject (from the CSR): {}", csr.subject),
            format!("public key (from the CSR): {}", csr.key),
        ],
        CsrSource::PrivateCa { .. } => vec![
            "subject and public key: from the CSR fetched at step 1, nothing else of it".into(),
        ],
    };
    details.extend([
        format!("issuer: {}", issuer.subject()),
        format!(
            "validity: {} to {} (the issuer's ends {})",
            sub.validity.not_before.to_date_time(),
            sub.validity.not_after.to_date_time(),
            issuer.validity().not_after.to_date_time()
        ),
        format!("signature: {}", sub.signature),
        format!("basicConstraints (critical): CA, pathLen {}", sub.path_len),
        format!(
            "keyUsage (critical): keyCertSign, cRLSign{}",
            if sub.digital_signature {
                ", digitalSignature"
            } else {
                ""
            }
        ),
        "subjectKeyIdentifier: SHA-1 of the CSR's public key".into(),
        format!(
            "authorityKeyIdentifier: {}",
            hex::encode(&sub.issuer_key_id)
        ),
    ]);
    if !sub.crl_urls.is_empty() {
        details.push(format!(
            "CRL distribution points: {}",
            sub.crl_urls.join(", ")
        ));
    }
    if !sub.ca_issuers.is_empty() {
        details.push(format!(
            "authority information access (caIssuers): {}",
            sub.ca_issuers.join(", ")
        ));
    }
    if !sub.policies.is_empty() {
        let p: Vec<String> = sub.policies.iter().map(|o| o.to_string()).collect();
        details.push(format!("certificate policies: {}", p.join(", ")));
    }
    match &sub.name_constraints {
        Some(nc) => {
            details.push("name constraints (critical):".into());
            details.extend(nc.describe().into_iter().map(|l| format!("  {l}")));
            let lists = nc.to_lists();
            if lists
                .permitted_dns
                .iter()
                .chain(&lists.excluded_dns)
                .any(|d| d.starts_with('.'))
            {
                details.push(
                    "  note: a leading-dot DNS entry is read by OpenSSL and the AWS sample encoder as \"names below only\", \
                     but it is not RFC 5280 dNSName syntax: pkilint reports it and strict verifiers may read it otherwise \
                     (docs/name-constraints.md)"
                        .into(),
                );
            }
        }
        None => details.push("name constraints: none".into()),
    }
    if let CsrSource::File { ignored, .. } = &sub.csr {
        if ignored.is_empty() {
            details.push("the CSR asks for nothing beyond its subject and key".into());
        } else {
            details.push("ignored from the CSR (the ceremony file decides the extensions):".into());
            details.extend(ignored.iter().map(|l| format!("  {l}")));
        }
    }
    if sub.import.is_some() {
        details
            .push("the lint certificate also passes Private CA's import rules (P1 to P7)".into());
    }
    details.push(checks_line());
    steps.add(
        Action::PrepareCertificate,
        "Build and check the subordinate certificate",
        details,
        None,
        false,
    );
    steps.add(
        Action::SignCertificate,
        "Sign the subordinate certificate with the root key",
        vec![
            "the HSM signs the very bytes that passed the checks".into(),
            "the signature is verified in software under the issuer certificate's key".into(),
            "the signed certificate is parsed back and checked again".into(),
        ],
        Some("Confirm the subject, validity and name constraints printed at the previous step match the ceremony sheet."),
        true,
    );
}

fn root_steps(steps: &mut Steps, r: &RootCeremony) {
    draw_serial(steps);
    let mut details = vec![
        format!("subject and issuer: {}", r.subject_text),
        format!(
            "validity: {} to {}",
            r.validity.not_before.to_date_time(),
            r.validity.not_after.to_date_time()
        ),
        format!("signature: {}", r.signature),
        format!(
            "basicConstraints (critical): CA, {}",
            r.path_len
                .map_or("no path length limit".into(), |n| format!("pathLen {n}"))
        ),
        "keyUsage (critical): keyCertSign, cRLSign".into(),
        "subjectKeyIdentifier: SHA-1 of the public key".into(),
    ];
    if !r.crl_urls.is_empty() {
        details.push(format!(
            "CRL distribution points: {}",
            r.crl_urls.join(", ")
        ));
    }
    if !r.policies.is_empty() {
        let p: Vec<String> = r.policies.iter().map(|o| o.to_string()).collect();
        details.push(format!("certificate policies: {}", p.join(", ")));
    }
    details.push(checks_line());
    steps.add(
        Action::PrepareCertificate,
        "Build and check the root certificate",
        details,
        None,
        false,
    );
    steps.add(
        Action::SignCertificate,
        "Sign the root certificate with the HSM key",
        vec![
            "the HSM signs the very bytes that passed the checks".into(),
            "the signature is verified in software with the public key read from the HSM".into(),
            "the signed certificate is parsed back and checked again".into(),
        ],
        Some("Confirm the subject and validity printed at the previous step match the ceremony sheet."),
        true,
    );
}

impl Plan {
    pub fn new(ceremony: Ceremony) -> Self {
        let mut steps = Steps(Vec::new());
        if let Body::Subordinate(sub) = &ceremony.body {
            private_ca_check(&mut steps, sub);
        }
        login(&mut steps, &ceremony);
        match &ceremony.body {
            Body::Key(k) => {
                generate(&mut steps, &k.key);
                steps.add(
                    Action::WriteArtifacts,
                    "Write the public key",
                    vec![format!("public key (PEM): {}", k.public_key.display())],
                    Some("Compare the fingerprint printed with the one written down."),
                    false,
                );
            }
            Body::Root(r) => {
                generate(&mut steps, &r.key);
                root_steps(&mut steps, r);
                steps.add(
                    Action::WriteArtifacts,
                    "Write the certificate and the public key",
                    vec![
                        format!("certificate (PEM): {}", r.certificate.display()),
                        format!("public key (PEM): {}", r.public_key.display()),
                        "nothing is overwritten; the files appear together or not at all".into(),
                    ],
                    Some("Read the certificate fingerprint aloud and write it on the ceremony sheet."),
                    false,
                );
            }
            Body::Subordinate(sub) => {
                subordinate_steps(&mut steps, sub);
                steps.add(
                    Action::WriteArtifacts,
                    "Write the certificate and the chain",
                    vec![
                        format!("certificate (PEM): {}", sub.certificate.display()),
                        format!("chain for Private CA (PEM, the issuer certificate): {}", sub.chain.display()),
                        "nothing is overwritten; the files appear together or not at all".into(),
                    ],
                    Some("Read the certificate fingerprint aloud and write it on the ceremony sheet."),
                    false,
                );
            }
        }
        steps.add(
            Action::Logout,
            "Log out and close the session",
            vec![],
            None,
            false,
        );
        if let Body::Subordinate(sub) = &ceremony.body {
            import_step(&mut steps, sub);
        }
        Self {
            ceremony,
            steps: steps.0,
        }
    }

    fn header(&self) -> Vec<(String, String)> {
        let c = &self.ceremony;
        vec![
            ("ceremony".into(), c.body.kind().into()),
            ("name".into(), c.name.clone()),
            ("file".into(), c.file.display().to_string()),
            ("file SHA-256".into(), c.file_sha256.clone()),
            (
                "transcript".into(),
                c.body.transcript().display().to_string(),
            ),
        ]
    }

    /// The numbered plan `rootca check` prints.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        for (k, v) in self.header() {
            let _ = writeln!(s, "{k:<13} {v}");
        }
        let _ = writeln!(
            s,
            "\nThe ceremony file is valid. The ceremony will run these steps:\n"
        );
        for step in &self.steps {
            let confirm = if step.confirm {
                "  [officer confirms]"
            } else {
                ""
            };
            let _ = writeln!(s, "{:>2}. {}{confirm}", step.number, step.title);
            for d in &step.details {
                let _ = writeln!(s, "      {d}");
            }
        }
        s
    }

    /// The runbook `rootca script` prints, in Markdown.
    pub fn render_markdown(&self) -> String {
        let c = &self.ceremony;
        let mut s = String::new();
        let _ = writeln!(s, "# Ceremony runbook: {}\n", c.name);
        let _ = writeln!(s, "| | |\n|---|---|");
        for (k, v) in self.header() {
            let _ = writeln!(s, "| {k} | `{v}` |");
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
            let confirm = if step.confirm {
                " (the officer confirms)"
            } else {
                ""
            };
            let _ = writeln!(s, "### {}. {}{confirm}\n", step.number, step.title);
            for d in &step.details {
                let _ = writeln!(s, "- {d}");
            }
            if let Some(w) = &step.witness {
                let _ = writeln!(s, "\n**Witness:** {w}");
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
            c.body.transcript().display()
        );
        let _ = writeln!(
            s,
            "- [ ] Fingerprints recorded: ______________________________________"
        );
        s
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "ceremony": self.ceremony.body.kind(),
            "name": self.ceremony.name,
            "file": self.ceremony.file,
            "file_sha256": self.ceremony.file_sha256,
            "steps": self.steps.iter().map(|s| serde_json::json!({
                "number": s.number,
                "title": s.title,
                "details": s.details,
                "witness": s.witness,
                "confirm": s.confirm,
            })).collect::<Vec<_>>(),
        })
    }
}
