//! The printable runbook, `rootca script FILE --format html`, judged by a
//! real browser: headless Chromium prints it to PDF, poppler's pdfinfo
//! counts the pages, pdftotext reads each one and pdftoppm renders them.
//! The cover, then one page per step starting with that step's heading,
//! then the closing page; the ceremony file's SHA-256 at the foot of every
//! page. Text from the ceremony file reaches the page escaped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Practice, openssl, root_toml, subordinate_toml, with_root};
use sha2::{Digest, Sha256};

/// Longer than Chromium ever takes to print a runbook on a loaded machine.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// What the plan says, from `rootca check --json`, and the file's SHA-256
/// computed here, in groups of four as the footer shows it.
struct Expected {
    name: String,
    sha256_groups: String,
    /// (number, title) of every step, in order.
    steps: Vec<(u64, String)>,
}

fn expected(p: &Practice, file: &str) -> Expected {
    let run = p.rootca(&["check", file, "--json"]);
    run.ok();
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let sha = hex::encode(Sha256::digest(std::fs::read(p.path().join(file)).unwrap()));
    assert_eq!(
        json["file_sha256"],
        sha.as_str(),
        "check --json hashes another file"
    );
    let steps = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["number"].as_u64().unwrap(),
                s["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    Expected {
        name: json["name"].as_str().unwrap().to_string(),
        sha256_groups: sha
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        steps,
    }
}

/// Writes the runbook of `file` to `html` in the practice folder.
fn script_html(p: &Practice, file: &str, html: &str) -> PathBuf {
    let run = p.rootca(&["script", file, "--format", "html"]);
    run.ok();
    let path = p.path().join(html);
    std::fs::write(&path, &run.stdout).unwrap();
    path
}

/// Headless Chromium prints `html` to `pdf`, with its own profile and home
/// folder, no network, and no header or footer of its own: what is at the
/// foot of a page comes from the runbook's CSS.
fn print_to_pdf(html: &Path, pdf: &Path) {
    let profile = tempfile::tempdir().unwrap();
    // The browser and poppler judge the page, which holds no date: they
    // run on the real clock even when the suite runs under faketime, which
    // makes Chromium crawl.
    let mut child = Command::new("chromium")
        .env_remove("LD_PRELOAD")
        .env("HOME", profile.path())
        .env("XDG_CONFIG_HOME", profile.path().join("config"))
        .env("XDG_CACHE_HOME", profile.path().join("cache"))
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!(
                "--user-data-dir={}",
                profile.path().join("chromium").display()
            ),
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
            &format!("file://{}", html.display()),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium must be installed (scripts/bootstrap)");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > BROWSER_TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "chromium did not print {} in {BROWSER_TIMEOUT:?}",
                html.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    assert!(
        status.success() && pdf.is_file(),
        "chromium failed ({status}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .env_remove("LD_PRELOAD")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{tool} must be installed (poppler-utils, scripts/bootstrap): {e}")
        });
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn page_count(pdf: &Path) -> usize {
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()]);
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap_or_else(|| panic!("pdfinfo gives no page count:\n{info}"));
    line.trim().parse().unwrap()
}

/// The text of page `n`, its runs of white space made single spaces.
fn page_text(pdf: &Path, n: usize) -> String {
    let n = n.to_string();
    let text = poppler(
        "pdftotext",
        &["-f", &n, "-l", &n, "-layout", pdf.to_str().unwrap(), "-"],
    );
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders every page to a PNG at 50 dpi and returns them in page order.
fn render_pages(pdf: &Path, dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            pdf.to_str().unwrap(),
            dir.join("page").to_str().unwrap(),
        ],
    );
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    pngs
}

/// Prints the runbook of `file` and checks every page of it.
fn prints_page_per_step(p: &Practice, file: &str) {
    let want = expected(p, file);
    let html = script_html(p, file, "runbook.html");
    let pdf = p.path().join("runbook.pdf");
    print_to_pdf(&html, &pdf);

    let pages = page_count(&pdf);
    let footer = format!("File SHA-256 {}", want.sha256_groups);
    let texts: Vec<String> = (1..=pages).map(|n| page_text(&pdf, n)).collect();
    assert_eq!(
        pages,
        want.steps.len() + 2,
        "expected the cover, {} step pages and the closing page; the pages begin:\n{}",
        want.steps.len(),
        texts
            .iter()
            .map(|t| t.chars().take(70).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (i, text) in texts.iter().enumerate() {
        assert!(
            text.contains(&footer),
            "page {} has no footer {footer:?}:\n{text}",
            i + 1
        );
        assert!(
            text.contains(&format!("page {} of {pages}", i + 1)),
            "page {} is not numbered:\n{text}",
            i + 1
        );
    }

    let cover = &texts[0];
    for must in [
        want.name.as_str(),
        &want.sha256_groups,
        "OFFICERS AND WITNESSES PRESENT",
        "Signature",
    ] {
        assert!(cover.contains(must), "the cover lacks {must:?}:\n{cover}");
    }
    for (number, title) in &want.steps {
        let text = &texts[*number as usize];
        let heading = format!("Step {number}: {title}");
        assert!(
            text.starts_with(&heading),
            "page {} does not begin with {heading:?}:\n{text}",
            number + 1
        );
        for must in ["Time (UTC)", "Officer initials", "Witness initials"] {
            assert!(text.contains(must), "step {number} lacks {must:?}:\n{text}");
        }
    }
    let closing = texts.last().unwrap();
    assert!(
        closing.starts_with("After the ceremony"),
        "the last page is not the closing page:\n{closing}"
    );
    assert!(
        closing.contains("LAST TRANSCRIPT ENTRY HASH"),
        "the closing page has no box for the last hash:\n{closing}"
    );

    // The rendering of a page with text and boxes is far larger than that
    // of a blank page (1.5 KB at 50 dpi).
    let pngs = render_pages(&pdf, &p.path().join("pages"));
    assert_eq!(pngs.len(), pages, "{pngs:?}");
    for png in &pngs {
        let bytes = std::fs::read(png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is no PNG",
            png.display()
        );
        assert!(
            bytes.len() > 8_000,
            "{} is {} bytes: a blank page?",
            png.display(),
            bytes.len()
        );
    }
}

/// Whether a printed page has the boxes for a fingerprint read aloud.
fn fingerprint_box_on(pdf_text: &str) -> bool {
    pdf_text.contains("FINGERPRINT AS READ ALOUD")
}

#[test]
fn root_runbook_prints_a_page_per_step_with_the_file_hash_on_every_page() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("g1", "ec-p384", "ecdsa-sha384", "root"),
    );
    prints_page_per_step(&p, "root.toml");

    // The read-public-key step (3) has a box for the fingerprint read
    // aloud; the login step (1) has none.
    let pdf = p.path().join("runbook.pdf");
    assert!(fingerprint_box_on(&page_text(&pdf, 4)));
    assert!(!fingerprint_box_on(&page_text(&pdf, 2)));
}

#[test]
fn subordinate_runbook_prints_a_page_per_step_with_the_file_hash_on_every_page() {
    let p = with_root();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "sub.key",
        ],
        p.path(),
    )
    .ok();
    openssl(
        &[
            "req",
            "-new",
            "-key",
            "sub.key",
            "-subj",
            "/C=US/O=Example Corp/CN=Issuing CA",
            "-out",
            "sub.csr",
        ],
        p.path(),
    )
    .ok();
    p.write(
        "sub.toml",
        &subordinate_toml(
            "file = \"sub.csr\"",
            "[certificate.name_constraints]
permitted_dns = [\"dev.example.com\", \".test.example.com\"]
excluded_dns = [\".prod.dev.example.com\"]
excluded_ip = [\"0.0.0.0/0\", \"::/0\"]

[import]
private_ca_arn = \"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555\"",
            "out/sub",
        ),
    );
    prints_page_per_step(&p, "sub.toml");
}

#[test]
fn a_hostile_name_and_subject_are_escaped_in_the_html_and_printed_as_written() {
    let p = Practice::new();
    let name = r#"Root <script>alert("x")</script> & <b>co</b>"#;
    let text = root_toml("g1", "ec-p384", "ecdsa-sha384", "root")
        .replace(
            "name = \"Test root g1\"",
            &format!("name = {}", toml_string(name)),
        )
        .replace(
            "subject = \"CN=Test Root CA g1,",
            r#"subject = "CN=Root \\<script\\>x & y,"#,
        );
    p.write("root.toml", &text);
    let html = script_html(&p, "root.toml", "runbook.html");
    let page = std::fs::read_to_string(&html).unwrap();

    let lower = page.to_ascii_lowercase();
    assert!(
        !lower.contains("<script"),
        "a script element got through:\n{page}"
    );
    assert!(
        !lower.contains("<b>"),
        "markup from the file got through:\n{page}"
    );
    assert!(
        page.contains(
            "Root &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;"
        ),
        "the name is not escaped as expected:\n{page}"
    );
    assert!(
        page.contains("&lt;script\\&gt;x &amp; y"),
        "the subject is not escaped:\n{page}"
    );

    // And the browser shows what the file says, character for character.
    let pdf = p.path().join("runbook.pdf");
    print_to_pdf(&html, &pdf);
    let cover = page_text(&pdf, 1);
    assert!(
        cover.contains(name),
        "the cover does not show the name as written:\n{cover}"
    );
}

#[test]
fn the_page_is_self_contained_html5() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("g1", "ec-p384", "ecdsa-sha384", "root"),
    );
    let page = std::fs::read_to_string(script_html(&p, "root.toml", "runbook.html")).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{page}"
    );
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.trim_end().ends_with("</html>"));
    // Nothing is fetched: no element that loads, no CSS that does.
    let lower = page.to_ascii_lowercase();
    for loads in [
        "<script", "<link", "<img", "<iframe", "<object", "src=", "href=", "url(", "@import",
    ] {
        assert!(!lower.contains(loads), "the page has {loads:?}");
    }
    // Each step its own page, in the print styles.
    assert!(page.contains(".page + .page { break-before: page; }"));
}

#[test]
fn markdown_stays_the_default() {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("g1", "ec-p384", "ecdsa-sha384", "root"),
    );
    let default = p.rootca(&["script", "root.toml"]);
    default.ok();
    let markdown = p.rootca(&["script", "root.toml", "--format", "markdown"]);
    markdown.ok();
    assert_eq!(default.stdout, markdown.stdout);
    assert!(
        default
            .stdout
            .starts_with("# Ceremony runbook: Test root g1\n")
    );
    let bad = p.rootca(&["script", "root.toml", "--format", "pdf"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}
