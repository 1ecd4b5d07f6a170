//! `rootca transcript verify` against real transcripts of a root ceremony
//! on SoftHSM, tampered with every way the tests can think of: each flipped
//! byte of each entry (into other ASCII and into invalid UTF-8), an entry
//! deleted, two swapped, the end cut off, an artifact changed or missing,
//! a file in the folder the transcript does not vouch for, a last hash
//! other than the one the witnesses wrote down. Each gives exit 2 and names
//! the line or the file, every time. Also the bounds of the read: a line
//! over 1 MiB, a file over 64 MiB, /dev/zero and a FIFO end at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Practice, Run, root_toml};

const TRANSCRIPT: &str = "out/root.transcript.jsonl";

/// A root ceremony's transcript as written, and the lines of it.
struct Ceremony {
    p: Practice,
    original: Vec<u8>,
}

impl Ceremony {
    fn new() -> Ceremony {
        let p = Practice::new();
        p.write(
            "root.toml",
            &root_toml("t", "ec-p256", "ecdsa-sha256", "root"),
        );
        p.rootca(&["run", "root.toml", "--yes"]).ok();
        let original = std::fs::read(p.path().join(TRANSCRIPT)).unwrap();
        assert!(original.ends_with(b"\n"));
        Ceremony { p, original }
    }

    fn path(&self) -> PathBuf {
        self.p.path().join(TRANSCRIPT)
    }

    /// The lines, without their newlines.
    fn lines(&self) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = self
            .original
            .split(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(lines.pop(), Some(Vec::new()));
        lines
    }

    /// The byte ranges of each line, its newline included.
    fn line_ranges(&self) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut start = 0;
        for (i, b) in self.original.iter().enumerate() {
            if *b == b'\n' {
                ranges.push((start, i + 1));
                start = i + 1;
            }
        }
        ranges
    }

    fn hash_of_line(&self, n: usize) -> String {
        let line = String::from_utf8(self.lines()[n - 1].clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["hash"].as_str().unwrap().to_string()
    }

    fn last_hash(&self) -> String {
        self.hash_of_line(self.lines().len())
    }

    fn write(&self, bytes: &[u8]) {
        std::fs::write(self.path(), bytes).unwrap();
    }

    fn write_lines(&self, lines: &[Vec<u8>]) {
        let mut bytes = Vec::new();
        for line in lines {
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
        }
        self.write(&bytes);
    }

    fn restore(&self) {
        self.write(&self.original);
    }

    fn verify(&self, extra: &[&str]) -> Run {
        let mut args = vec!["transcript", "verify", TRANSCRIPT];
        args.extend_from_slice(extra);
        self.p.rootca(&args)
    }
}

/// Exit 2, a refusal naming `line` of the transcript, no verdict of "intact".
fn refused_at_line(run: &Run, line: usize, what: &str) {
    assert_eq!(
        run.code, 2,
        "{what}: expected exit 2\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let needle = format!("{TRANSCRIPT} line {line}: ");
    assert!(
        run.stderr.starts_with("rootca: refused: ") && run.stderr.contains(&needle),
        "{what}: the refusal does not name line {line}:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("intact"),
        "{what}: a broken transcript reported intact:\n{}",
        run.stdout
    );
}

/// The witnesses' way of writing a hash: groups of four, upper case.
fn grouped_upper(hash: &str) -> String {
    hash.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap().to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn an_intact_transcript_verifies_and_matches_the_witnesses_hash() {
    let c = Ceremony::new();
    let run = c.verify(&[]);
    run.ok();
    for expected in [
        "13 entries, hash chain intact",
        "artifact unchanged: root.pem",
        "artifact unchanged: root.pub.pem",
        &format!("last entry hash: {}", c.last_hash()),
    ] {
        assert!(run.stdout.contains(expected), "{expected}:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("cut off"), "{}", run.stdout);
    assert!(!run.stdout.contains("not vouched"), "{}", run.stdout);

    let grouped = grouped_upper(&c.last_hash());
    let run = c.verify(&["--expect-last", &grouped]);
    run.ok();
    assert!(
        run.stdout.contains("last entry hash matches --expect-last"),
        "{}",
        run.stdout
    );

    let json = c.verify(&["--json", "--expect-last", &c.last_hash()]);
    json.ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["entries"], 13);
    assert_eq!(v["complete"], true);
    assert_eq!(v["closed"], true);
    assert_eq!(v["last_hash_expected"], true);
    assert_eq!(v["may_be_cut_off"], false);
    assert_eq!(v["not_vouched_for"], serde_json::json!([]));
}

#[test]
fn every_flipped_byte_of_every_entry_is_refused_naming_its_line() {
    let c = Ceremony::new();
    let ranges = c.line_ranges();
    assert_eq!(ranges.len(), 13);
    for (i, &(start, end)) in ranges.iter().enumerate() {
        let n = i + 1;
        let len = end - start;
        // The opening brace, a byte of the body, a digit of the hash, the
        // closing brace and the newline.
        let positions = [start, start + len / 3, end - 10, end - 2, end - 1];
        for at in positions {
            for (how, flip) in [("xor 1", None), ("0xff", Some(0xffu8))] {
                let mut bytes = c.original.clone();
                bytes[at] = flip.unwrap_or(bytes[at] ^ 0x01);
                c.write(&bytes);
                let run = c.verify(&[]);
                refused_at_line(&run, n, &format!("byte {at} of line {n} ({how})"));
                if flip.is_some() {
                    assert!(
                        run.stderr.contains("not UTF-8"),
                        "line {n}, byte {at}: {}",
                        run.stderr
                    );
                }
            }
        }
    }
    c.restore();
    c.verify(&[]).ok();
}

#[test]
fn a_deleted_entry_is_refused_naming_its_line() {
    let c = Ceremony::new();
    let lines = c.lines();
    // The last line deleted is a cut-off end: see the test below.
    for i in 0..lines.len() - 1 {
        let mut edited = lines.clone();
        edited.remove(i);
        c.write_lines(&edited);
        let run = c.verify(&[]);
        refused_at_line(&run, i + 1, &format!("line {} deleted", i + 1));
        assert!(
            run.stderr.contains("removed or reordered"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn two_swapped_entries_are_refused_naming_the_first() {
    let c = Ceremony::new();
    let lines = c.lines();
    for (a, b) in [(0, 1), (2, 3), (1, 7), (8, 9), (0, 12)] {
        let mut edited = lines.clone();
        edited.swap(a, b);
        c.write_lines(&edited);
        refused_at_line(
            &c.verify(&[]),
            a + 1,
            &format!("lines {} and {} swapped", a + 1, b + 1),
        );
    }
}

#[test]
fn a_transcript_cut_off_at_the_end_says_so_and_fails_the_witnesses_hash() {
    let c = Ceremony::new();
    let original_last = c.last_hash();
    let lines = c.lines();

    // Without its closing entry: the chain holds, the artifacts are still
    // vouched for by step 7, and it says plainly it may have been cut off.
    c.write_lines(&lines[..12]);
    let run = c.verify(&[]);
    run.ok();
    assert!(
        run.stdout.contains("no closing entry")
            && run.stdout.contains("may have been cut off")
            && run.stdout.contains("Only --expect-last HASH"),
        "{}",
        run.stdout
    );
    // With the hash the witnesses wrote down it fails, naming what it found.
    let run = c.verify(&["--expect-last", &grouped_upper(&original_last)]);
    refused_at_line(&run, 12, "closing entry cut off, --expect-last");
    assert!(
        run.stderr.contains(&c.hash_of_line(12))
            && run.stderr.contains(&original_last)
            && run.stderr.contains("cut off"),
        "{}",
        run.stderr
    );
    // With the hash it has now it passes, and says nothing was cut after it.
    let run = c.verify(&["--expect-last", &c.hash_of_line(12)]);
    run.ok();
    assert!(run.stdout.contains("nothing was cut off"), "{}", run.stdout);

    // Cut before step 7 ended: no entry names the artifacts any more.
    c.write_lines(&lines[..10]);
    let run = c.verify(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("not vouched for by this transcript: root.pem, root.pub.pem")
            && run
                .stderr
                .contains("has no closing entry and does not vouch for root.pem, root.pub.pem"),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("may have been cut off"),
        "{}",
        run.stdout
    );
    let json = c.verify(&["--json"]);
    assert_eq!(json.code, 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["not_vouched_for"],
        serde_json::json!(["root.pem", "root.pub.pem"])
    );
    assert_eq!(v["may_be_cut_off"], true);
    assert_eq!(v["closed"], false);
    refused_at_line(
        &c.verify(&["--expect-last", &original_last]),
        10,
        "cut before step 7, --expect-last",
    );

    // Cut in the middle of the last line.
    let mut bytes = c.original.clone();
    bytes.truncate(bytes.len() - 30);
    c.write(&bytes);
    refused_at_line(&c.verify(&[]), 13, "cut inside the last line");
}

#[test]
fn an_entry_added_after_the_witnesses_hash_is_named() {
    let c = Ceremony::new();
    let lines = c.lines();
    // The witnesses wrote down the hash of line 5; the file goes on to 13.
    let run = c.verify(&["--expect-last", &c.hash_of_line(5)]);
    refused_at_line(&run, 13, "--expect-last of line 5");
    assert!(
        run.stderr
            .contains("that is the hash of line 5, so 8 entries were added after it"),
        "{}",
        run.stderr
    );
    assert_eq!(lines.len(), 13);

    let wrong = c.verify(&["--expect-last", &"ab".repeat(32)]);
    refused_at_line(&wrong, 13, "a wrong --expect-last");
    let invalid = c.verify(&["--expect-last", "12 34"]);
    assert_eq!(invalid.code, 2, "{}", invalid.stderr);
    assert!(
        invalid
            .stderr
            .contains("--expect-last \"12 34\" is not a SHA-256 hash"),
        "{}",
        invalid.stderr
    );
}

#[test]
fn a_changed_or_missing_artifact_is_refused_naming_it_and_the_line() {
    let c = Ceremony::new();
    let pem = c.p.path().join("out/root.pem");
    let original = std::fs::read(&pem).unwrap();

    let mut changed = original.clone();
    changed.push(b'\n');
    std::fs::write(&pem, &changed).unwrap();
    let run = c.verify(&[]);
    refused_at_line(&run, 11, "root.pem changed");
    assert!(
        run.stderr
            .contains("the artifact root.pem has changed since the ceremony"),
        "{}",
        run.stderr
    );

    let mut flipped = original.clone();
    flipped[40] ^= 0x01;
    std::fs::write(&pem, &flipped).unwrap();
    refused_at_line(&c.verify(&[]), 11, "a byte of root.pem flipped");

    std::fs::write(&pem, &original).unwrap();
    c.verify(&[]).ok();

    std::fs::remove_file(c.p.path().join("out/root.pub.pem")).unwrap();
    let run = c.verify(&[]);
    refused_at_line(&run, 11, "root.pub.pem removed");
    assert!(
        run.stderr
            .contains("the artifact root.pub.pem cannot be read"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_in_the_folder_the_transcript_does_not_name_is_not_vouched_for() {
    let c = Ceremony::new();
    let out = c.p.path().join("out");
    // Not counted: hidden files, files below the folder, the journal's name.
    std::fs::write(out.join(".hidden"), "x").unwrap();
    std::fs::create_dir(out.join("below")).unwrap();
    std::fs::write(out.join("below/deeper.pem"), "x").unwrap();
    std::fs::write(out.join("root.transcript.jsonl.partial"), "x").unwrap();
    c.verify(&[]).ok();

    std::fs::write(out.join("root-forged.pem"), "forged").unwrap();
    std::fs::write(out.join("another.txt"), "note").unwrap();
    // A closed transcript: the files are said not to be vouched for, and
    // the verification itself passes (ceremonies may share a folder).
    let run = c.verify(&[]);
    run.ok();
    let said = "not vouched for by this transcript: another.txt, root-forged.pem";
    assert!(run.stdout.contains(said), "{}", run.stdout);
    let json = c.verify(&["--json"]);
    json.ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v["not_vouched_for"],
        serde_json::json!(["another.txt", "root-forged.pem"])
    );

    // A link in the folder to a file elsewhere is a file the transcript does not name.
    std::fs::remove_file(out.join("root-forged.pem")).unwrap();
    std::fs::remove_file(out.join("another.txt")).unwrap();
    let elsewhere = c.p.path().join("elsewhere.pem");
    std::fs::write(&elsewhere, "elsewhere").unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("linked.pem")).unwrap();
    let run = c.verify(&[]);
    run.ok();
    assert!(
        run.stdout
            .contains("not vouched for by this transcript: linked.pem"),
        "{}",
        run.stdout
    );
}

fn ends_quickly_refused(p: &Practice, path: &str, must_mention: &[&str]) {
    let started = Instant::now();
    let run = p.rootca(&["transcript", "verify", path]);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "{path}: took {elapsed:?}"
    );
    assert_eq!(run.code, 2, "{path}: {}", run.stderr);
    for m in must_mention {
        assert!(run.stderr.contains(m), "{path}: no {m:?} in {}", run.stderr);
    }
}

#[test]
fn the_read_is_bounded() {
    let c = Ceremony::new();
    let p = &c.p;

    ends_quickly_refused(p, "/dev/zero", &["/dev/zero line 1", "1 MiB"]);

    // A real first line, then one of 1 MiB and a byte.
    let mut long = c.lines()[0].clone();
    long.push(b'\n');
    long.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 1));
    long.push(b'\n');
    std::fs::write(p.path().join("long.jsonl"), &long).unwrap();
    ends_quickly_refused(p, "long.jsonl", &["long.jsonl line 2", "1 MiB"]);

    // Over 64 MiB (sparse: nothing is written, nothing need be read).
    let big = std::fs::File::create(p.path().join("big.jsonl")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    drop(big);
    ends_quickly_refused(p, "big.jsonl", &["big.jsonl", "64 MiB"]);

    // A FIFO nobody writes to would block the open.
    let fifo = std::process::Command::new("mkfifo")
        .arg(p.path().join("fifo.jsonl"))
        .status()
        .unwrap();
    assert!(fifo.success());
    ends_quickly_refused(p, "fifo.jsonl", &["fifo.jsonl", "named pipe"]);

    ends_quickly_refused(p, "out", &["out is a folder"]);
}

#[test]
fn a_changed_ceremony_file_is_named_when_it_is_present_and_noted_when_not() {
    let c = Ceremony::new();
    let run = c.verify(&[]);
    run.ok();
    assert!(
        run.stdout.contains("input unchanged: ") && run.stdout.contains("/root.toml  SHA-256"),
        "{}",
        run.stdout
    );
    let file = c.p.path().join("root.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, original.replace("Example", "Exemplary")).unwrap();
    let run = c.verify(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 1: the input ")
            && run
                .stderr
                .contains("/root.toml is not the file the ceremony read"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&file).unwrap();
    let run = c.verify(&[]);
    run.ok();
    assert!(
        run.stdout.contains("input not present here, not checked: "),
        "{}",
        run.stdout
    );
}
