//! The report as text for an officer: one field per line, values in one column.

use super::extensions::UNKNOWN_EXTENSION;
use super::{
    CertificateDetails, CrlDetails, Details, DocumentKind, Encoding, ExtensionInfo, Report,
    RequestDetails, SelfSignature, TimeInfo,
};
use crate::text::shown;

/// Width of the label column in the text rendering.
const LABEL_WIDTH: usize = 22;

impl DocumentKind {
    fn title(self) -> &'static str {
        match self {
            DocumentKind::Certificate => "Certificate",
            DocumentKind::CertificateRequest => "Certificate signing request, PKCS#10",
            DocumentKind::Crl => "Certificate revocation list",
        }
    }
}

impl Report {
    /// The report as an officer reads it: one field per line, labels aligned.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let source = match &self.encoding {
            Encoding::Pem { label } => format!("PEM, label {label}"),
            Encoding::Der => "DER".to_string(),
        };
        out.push_str(&format!("{} ({source})\n", self.kind.title()));
        match &self.details {
            Details::Certificate(c) => certificate(&mut out, c),
            Details::Request(r) => request(&mut out, r),
            Details::Crl(c) => crl(&mut out, c),
        }
        field(&mut out, 2, "SHA-256 fingerprint", &self.sha256);
        field(&mut out, 2, "Read aloud", &self.sha256_groups());
        for note in &self.notes {
            field(&mut out, 2, "Note", note);
        }
        out
    }
}

fn certificate(out: &mut String, c: &CertificateDetails) {
    field(out, 2, "Subject", &c.subject);
    field(out, 2, "Issuer", &c.issuer);
    field(out, 2, "Serial", &c.serial);
    field(out, 2, "Not before", &time_text(&c.not_before));
    field(out, 2, "Not after", &time_text(&c.not_after));
    field(out, 2, "Signature algorithm", &c.signature_algorithm);
    field(out, 2, "Public key", &c.public_key);
    field(out, 2, "Public key SHA-256", &c.public_key_sha256);
    field(
        out,
        2,
        "Self-signed",
        &self_signature_text(&c.self_signature),
    );
    extension_block(out, "Extensions", &c.extensions);
}

fn self_signature_text(s: &SelfSignature) -> String {
    match s {
        SelfSignature::OtherIssuer => "no".to_string(),
        SelfSignature::Verified => {
            "yes (issuer = subject; the signature verifies under its own key)".to_string()
        }
        SelfSignature::OtherKey => {
            "no: issuer = subject, but the signature does not verify under its own key".to_string()
        }
        SelfSignature::Unchecked {
            key_ids_agree: true,
            reason,
        } => format!(
            "yes as far as names and key identifiers tell (issuer = subject); signature not \
             checked: {reason}"
        ),
        SelfSignature::Unchecked {
            key_ids_agree: false,
            reason,
        } => format!(
            "no: issuer = subject, but the key identifiers differ; signature not checked: {reason}"
        ),
    }
}

fn request(out: &mut String, r: &RequestDetails) {
    field(out, 2, "Subject", &r.subject);
    field(out, 2, "Public key", &r.public_key);
    field(out, 2, "Public key SHA-256", &r.public_key_sha256);
    field(out, 2, "Signature algorithm", &r.signature_algorithm);
    field(out, 2, "Signature", "not verified here");
    extension_block(out, "Requested extensions", &r.requested_extensions);
    if r.other_attributes.is_empty() {
        field(out, 2, "Other attributes", "none");
        return;
    }
    out.push_str(&format!(
        "  Other attributes ({}):\n",
        r.other_attributes.len()
    ));
    for attr in &r.other_attributes {
        out.push_str(&format!(
            "    {} ({}): {}\n",
            attr.name,
            attr.oid,
            shown(&attr.values.join(", "))
        ));
    }
}

fn crl(out: &mut String, c: &CrlDetails) {
    field(out, 2, "Issuer", &c.issuer);
    field(out, 2, "This update", &time_text(&c.this_update));
    let next = c
        .next_update
        .as_ref()
        .map_or_else(|| "absent".to_string(), time_text);
    field(out, 2, "Next update", &next);
    if let Some(days) = c.days_until_next_update {
        let text = if days >= 0 {
            format!("{days} days from now")
        } else {
            format!(
                "PASSED {} days ago: chains under this issuer fail revocation checking",
                -days
            )
        };
        field(out, 2, "Until next update", &text);
    }
    field(out, 2, "Signature algorithm", &c.signature_algorithm);
    field(
        out,
        2,
        "CRL number",
        c.crl_number.as_deref().unwrap_or("absent"),
    );
    field(
        out,
        2,
        "Authority key ID",
        c.authority_key_identifier.as_deref().unwrap_or("absent"),
    );
    extension_block(out, "Extensions", &c.extensions);
    if c.revoked.is_empty() {
        field(out, 2, "Revoked", "none");
        return;
    }
    out.push_str(&format!("  Revoked ({}):\n", c.revoked.len()));
    for r in &c.revoked {
        let reason = r.reason.as_deref().unwrap_or("no reason given");
        out.push_str(&format!(
            "    {}  revoked {}  reason: {reason}\n",
            r.serial, r.date.rfc3339
        ));
        for ext in &r.other_extensions {
            out.push_str(&format!(
                "        {}: {}\n",
                ext.name,
                shown(&ext.lines.join("; "))
            ));
        }
    }
}

/// Renders the label column and its value(s); further values align under the first.
fn field(out: &mut String, indent: usize, label: &str, value: &str) {
    // The value comes from the document: shown escaped, it cannot add a
    // line or rewrite the screen.
    let value = shown(value);
    let label = format!("{label}:");
    out.push_str(&format!(
        "{:indent$}{label:<width$}{value}\n",
        "",
        width = LABEL_WIDTH
    ));
}

fn time_text(t: &TimeInfo) -> String {
    format!("{} ({})", t.rfc3339, t.asn1_type)
}

fn extension_block(out: &mut String, title: &str, extensions: &[ExtensionInfo]) {
    if extensions.is_empty() {
        field(out, 2, title, "none");
        return;
    }
    out.push_str(&format!("  {title} ({}):\n", extensions.len()));
    for ext in extensions {
        let critical = if ext.critical { " [critical]" } else { "" };
        let name = if ext.name == UNKNOWN_EXTENSION {
            format!("{UNKNOWN_EXTENSION} {}", ext.oid)
        } else {
            ext.name.clone()
        };
        match ext.lines.as_slice() {
            [one] => out.push_str(&format!("    {name}{critical}: {}\n", shown(one))),
            lines => {
                out.push_str(&format!("    {name}{critical}:\n"));
                for line in lines {
                    out.push_str(&format!("        {}\n", shown(line)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signature_reads_yes_or_no_first_and_says_how_it_was_told() {
        let unchecked = |key_ids_agree| SelfSignature::Unchecked {
            key_ids_agree,
            reason: "unsupported signature algorithm 1.3.101.112".into(),
        };
        for (s, start) in [
            (
                SelfSignature::Verified,
                "yes (issuer = subject; the signature verifies",
            ),
            (SelfSignature::OtherIssuer, "no"),
            (
                SelfSignature::OtherKey,
                "no: issuer = subject, but the signature",
            ),
            (
                unchecked(true),
                "yes as far as names and key identifiers tell",
            ),
            (
                unchecked(false),
                "no: issuer = subject, but the key identifiers differ",
            ),
        ] {
            let text = self_signature_text(&s);
            assert!(text.starts_with(start), "{text}");
            assert_eq!(text.starts_with("yes"), s.is_self_signed(), "{text}");
        }
        assert!(
            self_signature_text(&unchecked(true))
                .ends_with("not checked: unsupported signature algorithm 1.3.101.112")
        );
    }
}
