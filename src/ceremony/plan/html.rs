//! The runbook as one self-contained HTML page made to be printed: a cover
//! (the file, its SHA-256, who is present), one page per step with boxes
//! to write the time and initials in, and a closing page for the
//! transcript's last hash and the signatures. It is drawn from the same
//! `Plan` as the Markdown runbook, so the two cannot disagree on the steps.
//!
//! Everything is inline: the ceremony machine is offline and the page must
//! print the same wherever it is opened. Text from the ceremony file goes
//! through `shown` (deceptive characters) and then HTML escaping.

use std::fmt::Write;

use super::{Plan, Step};
use crate::text::shown;

/// Who signs the cover and the closing page, as docs/root-ceremony.md
/// names the roles; two blank rows for whoever else the policy requires.
const ROLES: [&str; 6] = [
    "Ceremony administrator (officer)",
    "Witness",
    "Witness",
    "Auditor / recorder",
    "",
    "",
];

/// The initials each step page asks for, after the time.
const INITIALS: [&str; 3] = ["Officer initials", "Witness initials", "Witness initials"];

const STYLE: &str = r#"
@page {
  margin: 14mm 14mm 17mm 14mm;
  /* Widths fixed so that the hash stays on one line on A4 and Letter. */
  @bottom-left {
    content: "File SHA-256 " FOOTER_HASH;
    width: 86%;
    font: 7.5pt "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace;
    vertical-align: top;
    text-align: left;
  }
  @bottom-right {
    content: "page " counter(page) " of " counter(pages);
    width: 14%;
    font: 7.5pt "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace;
    vertical-align: top;
    text-align: right;
  }
}
* { box-sizing: border-box; }
html { font: 10.5pt/1.35 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #000; }
/* A border drawn on the edge of the page area would be clipped. */
body { margin: 0; padding: 0 1.5pt; }
.page + .page { break-before: page; }
h1 { font-size: 19pt; margin: 0 0 3mm; overflow-wrap: anywhere; }
h2 { font-size: 17pt; margin: 0 0 1mm; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; text-transform: uppercase; letter-spacing: 0.04em; }
p { margin: 1mm 0; }
code, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; }
.kicker { font-size: 9pt; text-transform: uppercase; letter-spacing: 0.08em; margin: 0 0 2mm; }
.sub { font-size: 9pt; margin: 0 0 4mm; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
table.facts th { text-align: left; font-weight: normal; width: 30mm; padding: 0.8mm 2mm 0.8mm 0; vertical-align: top; }
table.facts td { padding: 0.8mm 0; overflow-wrap: anywhere; font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; }
.hash { display: grid; grid-template-columns: repeat(8, max-content); gap: 0.5mm 3.2mm;
        font: 16pt/1.2 "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace; margin: 1mm 0 2mm; }
.cells { display: grid; grid-template-columns: repeat(8, 1fr); gap: 1.6mm; margin: 1mm 0 2mm; break-inside: avoid; }
.cells span { border: 1.2pt solid #000; height: 11mm; position: relative; }
.cells span::before { content: attr(data-n); position: absolute; top: 0.4mm; left: 0.8mm; font-size: 6pt; }
.boxes { display: flex; gap: 3mm; margin: 2mm 0; break-inside: avoid; }
.box { flex: 1; border: 1.5pt solid #000; height: 17mm; position: relative; }
.box.time { flex: 1.3; }
.box .label { position: absolute; top: 0.8mm; left: 1.5mm; font-size: 8pt; }
.box .hint { position: absolute; bottom: 1mm; left: 0; right: 0; text-align: center; font-size: 14pt; color: #555; }
table.fill th { text-align: left; font-size: 8.5pt; font-weight: normal; padding: 0.5mm 1.5mm; border: 1pt solid #000; }
table.fill td { border: 1pt solid #000; height: 10.5mm; padding: 0 1.5mm; font-size: 9pt; }
table.fill .role { width: 32%; }
table.fill .name { width: 30%; }
table.fill .initials { width: 13%; }
ul.check { list-style: none; padding: 0; margin: 1mm 0; }
ul.check li { margin: 1.2mm 0; padding-left: 7mm; text-indent: -7mm; }
ul.check li::before { content: ""; display: inline-block; width: 3.8mm; height: 3.8mm; border: 1.2pt solid #000;
                      margin-right: 3.2mm; vertical-align: -0.6mm; }
ul.details { margin: 1mm 0; padding-left: 5mm; font-size: 9.5pt; line-height: 1.3; }
ul.details li { margin: 0.4mm 0; overflow-wrap: anywhere; }
/* A detail line indented in the plan continues the one above it. */
ul.details li.more { list-style: none; padding-left: 5mm; white-space: pre-wrap; }
.flags { display: flex; gap: 3mm; margin: 2mm 0 3mm; }
.flag { border: 1pt solid #000; padding: 1mm 2.5mm; font-size: 9.5pt; }
.flag.strong { border-width: 2.5pt; font-weight: bold; }
.witness { border-left: 2.5pt solid #000; padding: 1mm 0 1mm 3mm; margin: 2mm 0; font-size: 11pt; }
.lines { border: 1.5pt solid #000; padding: 0 1.5mm; break-inside: avoid; }
.lines .label { display: block; font-size: 8pt; padding-top: 0.8mm; }
.lines i { display: block; height: 8mm; border-bottom: 0.6pt solid #888; }
.lines i:last-child { border-bottom: none; }
.note { font-size: 8.5pt; }
@media print {
  /* A step fills its page (in print 100vh is the page area): the remarks box
     takes what the step leaves, so a long step still fits and a short one has
     room to write. The box's own height is set, or the page would be
     measured with all its ruled lines. */
  .step { display: flex; flex-direction: column; min-height: calc(100vh - 3mm); }
  .step .lines { flex: 1 1 18mm; height: 18mm; min-height: 18mm; overflow: hidden; }
}
@media screen {
  body { background: #ccc; }
  .page { background: #fff; max-width: 190mm; margin: 8mm auto; padding: 12mm; box-shadow: 0 1px 4px #0006; }
}
"#;

impl Plan {
    /// The runbook `rootca script --format html` prints: one HTML5 page,
    /// every style inline, nothing fetched.
    pub fn render_html(&self) -> String {
        let c = &self.ceremony;
        let mut s = String::new();
        let style = STYLE.replace("FOOTER_HASH", &css_string(&groups(&c.file_sha256)));
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"rootca {}\">\n\
             <title>Ceremony runbook: {}</title>\n<style>{style}</style>\n</head>\n<body>\n",
            env!("CARGO_PKG_VERSION"),
            esc(&c.name)
        );
        self.cover(&mut s);
        for step in &self.steps {
            self.step_page(&mut s, step);
        }
        self.closing(&mut s);
        s.push_str("</body>\n</html>\n");
        s
    }

    fn cover(&self, s: &mut String) {
        let c = &self.ceremony;
        let file = esc(&c.file.display().to_string());
        let _ = writeln!(
            s,
            "<section class=\"page cover\">\n<p class=\"kicker\">Key ceremony runbook &middot; \
             {} ceremony &middot; {} steps</p>\n<h1>{}</h1>",
            esc(c.kind.name()),
            self.steps.len(),
            esc(&c.name)
        );
        s.push_str("<table class=\"facts\">\n");
        for (k, v) in self.header() {
            if k == "file SHA-256" {
                continue;
            }
            let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(&k), esc(&v));
        }
        let _ = writeln!(
            s,
            "<tr><th>rootca</th><td>{}</td></tr>\n</table>",
            env!("CARGO_PKG_VERSION")
        );
        s.push_str("<h3>Ceremony file SHA-256</h3>\n");
        hash(s, &c.file_sha256);
        let _ = writeln!(
            s,
            "<ul class=\"check\">\n\
             <li>A witness compared the SHA-256 above with <code>sha256sum {file}</code> on the \
             ceremony machine, and with the one distributed with the reviewed file.</li>\n\
             <li><code>rootca check {file}</code> on the ceremony machine printed this same plan \
             of {} steps.</li>\n\
             <li>Everyone present has written their name and signed below.</li>\n</ul>",
            self.steps.len()
        );
        boxes(s, &["Date", "Place", "Start time (UTC)"]);
        s.push_str("<h3>Officers and witnesses present</h3>\n");
        people(s, &["Role", "Name", "Initials", "Signature"]);
        s.push_str(
            "<p class=\"note\">Printed from the ceremony file by <code>rootca script --format html</code>. \
             Every page shows the ceremony file's SHA-256 at its foot: a page whose footer differs \
             belongs to another file.</p>\n</section>\n",
        );
    }

    fn step_page(&self, s: &mut String, step: &Step) {
        let _ = writeln!(
            s,
            "<section class=\"page step\" id=\"step-{n}\">\n<h2>Step {n}: {}</h2>\n\
             <p class=\"sub\">step {n} of {} &middot; {}</p>",
            esc(&step.title),
            self.steps.len(),
            esc(&self.ceremony.name),
            n = step.number,
        );
        s.push_str("<div class=\"flags\">");
        s.push_str(if step.confirm {
            "<span class=\"flag strong\">The officer confirms: rootca waits for \u{201c}yes\u{201d} (unless run with --yes)</span>"
        } else {
            "<span class=\"flag\">Runs without stopping</span>"
        });
        s.push_str(if step.lasting {
            "<span class=\"flag strong\">Lasting: changes the HSM or the outside world; it cannot be undone</span>"
        } else {
            "<span class=\"flag\">No lasting effect</span>"
        });
        s.push_str("</div>\n");
        if !step.details.is_empty() {
            s.push_str("<h3>What rootca does</h3>\n<ul class=\"details\">\n");
            for d in &step.details {
                let text = d.trim_start();
                let class = if text.len() < d.len() {
                    " class=\"more\""
                } else {
                    ""
                };
                let _ = writeln!(s, "<li{class}>{}</li>", esc(text));
            }
            s.push_str("</ul>\n");
        }
        if let Some(w) = &step.witness {
            let _ = writeln!(
                s,
                "<h3>The witnesses</h3>\n<p class=\"witness\">{}</p>",
                esc(w)
            );
        }
        if reads_fingerprint(step) {
            s.push_str("<h3>Fingerprint as read aloud (SHA-256, 16 groups of 4)</h3>\n");
            cells(s, 16);
        }
        if step.confirm {
            s.push_str(
                "<ul class=\"check\"><li>No witness objected before the officer typed \
                 \u{201c}yes\u{201d}.</li></ul>\n",
            );
        }
        s.push_str("<h3>Done</h3>\n");
        let mut record = vec!["Time (UTC)"];
        record.extend(INITIALS);
        boxes(s, &record);
        // More lines than a page holds: the box shows what fits.
        lines(s, "Deviations, remarks", 30);
        s.push_str("</section>\n");
    }

    fn closing(&self, s: &mut String) {
        let c = &self.ceremony;
        let transcript = esc(&c.kind.transcript().display().to_string());
        let _ = writeln!(
            s,
            "<section class=\"page closing\">\n<h2>After the ceremony</h2>\n\
             <p class=\"sub\">{}</p>\n<ul class=\"check\">\n\
             <li><code>rootca transcript verify {transcript}</code> reports the hash chain intact.</li>\n\
             <li>The fingerprints written on the step pages match those openssl computes from the \
             artifacts (docs/root-ceremony.md, \u{201c}After the ceremony\u{201d}).</li>\n\
             <li>The artifacts and the transcript are copied and stored as the policy requires.</li>\n</ul>",
            esc(&c.name)
        );
        s.push_str("<h3>Last transcript entry hash (SHA-256, 16 groups of 4)</h3>\n");
        cells(s, 16);
        let _ = writeln!(
            s,
            "<p class=\"note\">As <code>rootca run</code> prints it at the end, in groups of four \
             (<code>Last entry hash, for the witnesses to write down</code>). Anyone can later check that nothing was cut off with \
             <code>rootca transcript verify {transcript} --expect-last HASH</code>.</p>"
        );
        boxes(s, &["Transcript entries", "End time (UTC)"]);
        lines(s, "Deviations, remarks", 3);
        s.push_str("<h3>Signatures</h3>\n");
        people(s, &["Role", "Name", "Date", "Signature"]);
        s.push_str("</section>\n");
    }
}

/// Whether the witnesses read a fingerprint at this step. The plan says so
/// in the witness's instruction, the one place every kind states it.
fn reads_fingerprint(step: &Step) -> bool {
    step.witness
        .as_deref()
        .is_some_and(|w| w.to_ascii_lowercase().contains("fingerprint"))
}

/// A hex digest in groups of four, as rootca prints fingerprints.
fn groups(hex: &str) -> String {
    let chars: Vec<char> = hex.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A digest in large monospace groups of four, eight to a line.
fn hash(s: &mut String, hex: &str) {
    s.push_str("<div class=\"hash\">");
    for g in groups(hex).split(' ') {
        let _ = write!(s, "<span>{}</span>", esc(g));
    }
    s.push_str("</div>\n");
}

/// Empty numbered cells to write a digest in, four hex digits to a cell.
fn cells(s: &mut String, n: usize) {
    s.push_str("<div class=\"cells\">");
    for i in 1..=n {
        let _ = write!(s, "<span data-n=\"{i}\"></span>");
    }
    s.push_str("</div>\n");
}

/// Labelled empty boxes in a row; a box for a time has a colon to write
/// the hours and minutes around.
fn boxes(s: &mut String, labels: &[&str]) {
    s.push_str("<div class=\"boxes\">");
    for l in labels {
        let (class, hint) = if l.to_ascii_lowercase().contains("time") {
            (
                "box time",
                "<span class=\"hint\">&nbsp;&nbsp;&nbsp;&nbsp;:&nbsp;&nbsp;&nbsp;&nbsp;</span>",
            )
        } else {
            ("box", "")
        };
        let _ = write!(
            s,
            "<div class=\"{class}\"><span class=\"label\">{}</span>{hint}</div>",
            esc(l)
        );
    }
    s.push_str("</div>\n");
}

/// A labelled box ruled with `n` lines to write on.
fn lines(s: &mut String, label: &str, n: usize) {
    let _ = write!(
        s,
        "<div class=\"lines\"><span class=\"label\">{}</span>",
        esc(label)
    );
    for _ in 0..n {
        s.push_str("<i></i>");
    }
    s.push_str("</div>\n");
}

/// The table of people: one row per role, empty cells to fill in.
fn people(s: &mut String, columns: &[&str; 4]) {
    let _ = write!(
        s,
        "<table class=\"fill\">\n<tr><th class=\"role\">{}</th><th class=\"name\">{}</th>\
         <th class=\"initials\">{}</th><th>{}</th></tr>\n",
        esc(columns[0]),
        esc(columns[1]),
        esc(columns[2]),
        esc(columns[3])
    );
    for role in ROLES {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td></td><td></td><td></td></tr>",
            esc(role)
        );
    }
    s.push_str("</table>\n");
}

/// Text as HTML text or attribute value: deceptive characters written out
/// as `shown` writes them, then the characters HTML gives a meaning to.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in shown(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` as a CSS string literal: every character but letters, digits
/// and spaces as a six-digit escape, so nothing can end the string or the
/// style element.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' {
            out.push(c);
        } else {
            let _ = write!(out, "\\{:06x}", u32::from(c));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_escapes_markup_and_deceptive_characters() {
        assert_eq!(
            esc("<script>a & 'b' \"c\"</script>\u{202e}"),
            "&lt;script&gt;a &amp; &#39;b&#39; &quot;c&quot;&lt;/script&gt;\\u{202e}"
        );
    }

    #[test]
    fn css_string_cannot_close_the_string_or_the_style() {
        assert_eq!(css_string("ab 12"), "\"ab 12\"");
        assert_eq!(
            css_string("\"</style>"),
            "\"\\000022\\00003c\\00002fstyle\\00003e\""
        );
    }

    #[test]
    fn groups_splits_a_digest_in_fours() {
        assert_eq!(groups("0123456789abcdef01"), "0123 4567 89ab cdef 01");
    }
}
