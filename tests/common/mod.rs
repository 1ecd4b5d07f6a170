//! Test harness: a fresh SoftHSM token in a temporary folder per test, the
//! real `rootca` binary, and the independent judges (openssl, pkilint,
//! pkcs11-tool). A missing tool fails the test: scripts/bootstrap installs
//! them all.

#![allow(dead_code)]

pub mod emulator;
pub mod faulty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
// Not hexadecimal, so a test can look for it in hashes and fingerprints
// without matching one by chance.
pub const PIN: &str = "Qz7-pin-Wx";
pub const TOKEN: &str = "root-ca";

pub struct Practice {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
}

impl Practice {
    /// A folder with its own SoftHSM configuration and one initialised
    /// token labelled "root-ca", with the user PIN in `pin.txt`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token folder");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        std::fs::write(dir.path().join("pin.txt"), format!("{PIN}\n")).expect("pin file");
        // As an officer keeps a PIN file: readable by its owner only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("pin.txt"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("pin file mode");
        let p = Self { dir, conf };
        p.init_token(TOKEN);
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn init_token(&self, label: &str) {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                "5678",
            ])
            .output()
            .expect("softhsm2-util must be installed (scripts/bootstrap)");
        assert!(
            out.status.success(),
            "softhsm2-util: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }

    /// Runs the real binary with this folder's SoftHSM, no terminal input.
    pub fn rootca(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_rootca"))
            .env("SOFTHSM2_CONF", &self.conf)
            .current_dir(self.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run rootca");
        Run::from(out)
    }

    /// Runs the real binary with this folder's SoftHSM and `emulator`'s
    /// AWS settings in its environment, no terminal input.
    pub fn rootca_aws(&self, emulator: &emulator::Emulator, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
        command
            .env("SOFTHSM2_CONF", &self.conf)
            .current_dir(self.path())
            .args(args)
            .stdin(std::process::Stdio::null());
        emulator
            .apply(&mut command)
            .output()
            .expect("run rootca")
            .into()
    }

    pub fn pkcs11_tool(&self, args: &[&str]) -> Run {
        let out = Command::new("pkcs11-tool")
            .env("SOFTHSM2_CONF", &self.conf)
            .args([
                "--module",
                MODULE,
                "--token-label",
                TOKEN,
                "--login",
                "--pin",
                PIN,
            ])
            .args(args)
            .output()
            .expect("pkcs11-tool must be installed (opensc, scripts/bootstrap)");
        Run::from(out)
    }

    /// Every file below the folder, except the SoftHSM state and inputs.
    pub fn outputs(&self) -> Vec<String> {
        let mut found = Vec::new();
        walk(&self.path().join("out"), &mut found);
        found
    }
}

fn walk(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, found);
        }
        found.push(p.display().to_string());
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The folder of the project's Python tools (pkilint).
pub fn venv_bin(tool: &str) -> PathBuf {
    let venv = std::env::var_os("ROOTCA_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let path = venv.join("bin").join(tool);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/bootstrap",
        path.display()
    );
    path
}

pub fn openssl(args: &[&str], dir: &Path) -> Run {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl must be installed")
        .into()
}

/// The SHA-256 (lowercase hex) of a PEM file's DER as openssl computes it:
/// `kind` is "x509" for a certificate, "pubkey" for a public key (its
/// SubjectPublicKeyInfo, the fingerprint rootca prints).
pub fn openssl_sha256(dir: &Path, kind: &str, pem: &str) -> String {
    let der = format!("{pem}.der");
    let args: Vec<&str> = match kind {
        "x509" => vec!["x509", "-in", pem, "-outform", "DER", "-out", &der],
        "pubkey" => vec![
            "pkey", "-pubin", "-in", pem, "-outform", "DER", "-out", &der,
        ],
        other => panic!("openssl_sha256: unknown kind {other}"),
    };
    openssl(&args, dir).ok();
    openssl(&["dgst", "-sha256", "-r", &der], dir)
        .stdout
        .split_whitespace()
        .next()
        .expect("openssl dgst prints the digest")
        .to_string()
}

/// The clock at which fixture certificates made with `openssl_fixed` start,
/// so that their validity is the same whatever day the tests run.
pub const FIXTURE_CLOCK: &str = "2026-01-01 00:00:00";

/// The time at which the tests ask `openssl verify` to judge a chain
/// (`-attime`): 2026-01-15T00:00:00Z, inside the validity of every
/// certificate the tests make or the ceremony files they run give.
pub const VERIFY_AT: &str = "1768435200";

/// The libfaketime library, for a command run at another clock. It is
/// preloaded directly: the `faketime` wrapper names a semaphore after its
/// pid and fails when a killed run left one behind for a reused pid.
pub fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists());
    found.expect("libfaketime must be installed (package faketime; scripts/bootstrap)")
}

/// Makes `command` run with its clock starting at `start`
/// ("2026-01-01 00:00:00") and ticking from there.
pub fn at_clock<'a>(command: &'a mut Command, start: &str) -> &'a mut Command {
    command
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", format!("@{start}"))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
}

/// `openssl` with its clock set to FIXTURE_CLOCK: `-days N` then means N
/// days from 2026-01-01. OpenSSL 3.0 has no option to give a certificate
/// fixed dates.
pub fn openssl_fixed(args: &[&str], dir: &Path) -> Run {
    let mut command = Command::new("openssl");
    command.current_dir(dir).args(args);
    at_clock(&mut command, FIXTURE_CLOCK)
        .output()
        .expect("openssl must be installed")
        .into()
}

/// notBefore and notAfter of the certificate at `cert`, as
/// `openssl x509 -startdate -enddate` prints them.
pub fn openssl_dates(cert: &str, dir: &Path) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let run = openssl(
        &["x509", "-in", cert, "-noout", "-startdate", "-enddate"],
        dir,
    );
    run.ok();
    let format = time::macros::format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    let date = |name: &str| {
        let text = run
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} from openssl:\n{}", run.stdout));
        time::PrimitiveDateTime::parse(text.trim(), &format)
            .unwrap_or_else(|e| panic!("openssl's {name}{text}: {e}"))
            .assume_utc()
    };
    (date("notBefore="), date("notAfter="))
}

/// pkilint's exit status is the number of findings at WARNING or above.
pub fn pkilint(tool: &str, args: &[&str], dir: &Path) -> Run {
    Command::new(venv_bin(tool))
        .current_dir(dir)
        .arg("lint")
        .args(["-s", "WARNING"])
        .args(args)
        .output()
        .expect("run pkilint")
        .into()
}

/// A root ceremony file; `extra` lines are appended to [certificate].
pub fn root_toml(label: &str, algorithm: &str, signature: &str, prefix: &str) -> String {
    format!(
        r#"ceremony = "root"
name = "Test root {label}"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[key]
label = "{label}"
algorithm = "{algorithm}"

[certificate]
subject = "CN=Test Root CA {label},O=Example Corp,C=US"
not_before = "2026-01-01T00:00:00Z"
not_after = "2046-01-01T00:00:00Z"
signature = "{signature}"
path_len = 1
crl_urls = ["http://crl.example.com/root.crl"]

[outputs]
certificate = "out/{prefix}.pem"
public_key = "out/{prefix}.pub.pem"
transcript = "out/{prefix}.transcript.jsonl"
"#
    )
}

/// Runs a ceremony that must be refused: exit 2, a message with each of
/// `must_mention`, nothing under out/.
pub fn refused(p: &Practice, file: &str, must_mention: &[&str]) -> String {
    let run = p.rootca(&["run", file, "--yes"]);
    assert_eq!(
        run.code, 2,
        "expected refusal\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    for m in must_mention {
        assert!(
            run.stderr.contains(m),
            "message lacks {m:?}:\n{}",
            run.stderr
        );
    }
    assert!(
        p.outputs().is_empty(),
        "written despite refusal: {:?}",
        p.outputs()
    );
    run.stderr
}

/// `check` refuses `file` with exit 2, naming each of `must_mention`;
/// `run` refuses it too and writes nothing ([`refused`]).
pub fn refused_at_check(p: &Practice, file: &str, must_mention: &[&str]) {
    let check = p.rootca(&["check", file]);
    assert_eq!(
        check.code, 2,
        "expected refusal\n{}{}",
        check.stdout, check.stderr
    );
    for m in must_mention {
        assert!(
            check.stderr.contains(m),
            "message lacks {m:?}:\n{}",
            check.stderr
        );
    }
    refused(p, file, must_mention);
}

/// A token with a root made by a root ceremony: ec-p384, label "root",
/// its artifacts under ca/.
pub fn with_root() -> Practice {
    let p = Practice::new();
    p.write(
        "root.toml",
        &root_toml("root", "ec-p384", "ecdsa-sha384", "root").replace("out/", "ca/"),
    );
    p.rootca(&["run", "root.toml", "--yes"]).ok();
    p
}

/// A subordinate ceremony under the root of `with_root`: `csr` is the line
/// of its [csr] section, `sections` follow [certificate] (name constraints,
/// [import]), and the outputs are `{stem}.pem`, `{stem}.chain.pem` and
/// `{stem}.transcript.jsonl`.
pub fn subordinate_toml(csr: &str, sections: &str, stem: &str) -> String {
    format!(
        r#"ceremony = "subordinate"
name = "Issuing CA"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "root"
certificate = "ca/root.pem"

[csr]
{csr}

[certificate]
not_before = "2026-01-01T00:00:00Z"
not_after = "2036-01-01T00:00:00Z"
signature = "ecdsa-sha384"
path_len = 0
crl_urls = ["http://crl.example.com/root.crl"]
aia_ca_issuers = ["http://crl.example.com/root.cer"]

{sections}

[outputs]
certificate = "{stem}.pem"
chain = "{stem}.chain.pem"
transcript = "{stem}.transcript.jsonl"
"#
    )
}

/// A `rootca` process answered at its confirmation prompts, as an officer
/// would: the test waits for what it prints, acts, then types. It runs on
/// a real terminal (a pty made by util-linux `script`), since rootca reads
/// confirmations and PINs only from its controlling terminal; its stdout
/// and stderr go to files, so what a test reads of them is what they got,
/// and `terminal` is what the officer saw at the terminal.
pub struct Interactive {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    terminal: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    dir: tempfile::TempDir,
}

/// `s` quoted for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Interactive {
    /// Starts `command` (already given its arguments and environment) on
    /// a terminal of its own.
    pub fn start(command: Command) -> Self {
        use std::process::Stdio;
        let dir = tempfile::tempdir().expect("a folder for the outputs");
        let mut line = sh_quote(&command.get_program().to_string_lossy());
        for a in command.get_args() {
            line.push(' ');
            line.push_str(&sh_quote(&a.to_string_lossy()));
        }
        let out = dir.path().join("stdout");
        let err = dir.path().join("stderr");
        let line = format!(
            "exec {line} >{} 2>{}",
            sh_quote(&out.to_string_lossy()),
            sh_quote(&err.to_string_lossy())
        );
        let mut script = Command::new("script");
        script.args(["-q", "-e", "-f", "-c", &line, "/dev/null"]);
        if let Some(cwd) = command.get_current_dir() {
            script.current_dir(cwd);
        }
        for (k, v) in command.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        let mut child = script
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rootca under script");
        let stdin = child.stdin.take();
        let mut tty = child.stdout.take().expect("the terminal");
        let terminal = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = terminal.clone();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = tty.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("terminal buffer")
                    .extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            stdin,
            terminal,
            reader: Some(reader),
            dir,
        }
    }

    /// What the terminal and stdout have shown so far.
    pub fn seen(&self) -> String {
        let mut text =
            String::from_utf8_lossy(&self.terminal.lock().expect("terminal buffer")).into_owned();
        text.push_str(&std::fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default());
        text
    }

    /// Waits until the terminal or stdout holds `text` `times` times (at
    /// most a minute).
    pub fn wait_for(&self, text: &str, times: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if self.seen().matches(text).count() >= times {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "rootca never showed {text:?} {times} times; it showed:\n{}",
                self.seen()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Types `line` and Enter, a moment after the prompt, as a person
    /// would (a PIN prompt turns echo off just after it is printed).
    pub fn answer(&mut self, line: &str) {
        use std::io::Write;
        std::thread::sleep(std::time::Duration::from_millis(150));
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("type an answer");
        stdin.flush().expect("flush the answer");
    }

    /// Closes the terminal's input and waits for rootca to end; `terminal`
    /// is what the terminal showed.
    pub fn finish_with_terminal(mut self) -> (Run, String) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait for rootca");
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let terminal =
            String::from_utf8_lossy(&self.terminal.lock().expect("terminal buffer")).into_owned();
        (
            Run {
                code: status.code().unwrap_or(-1),
                stdout: read("stdout"),
                stderr: read("stderr"),
            },
            terminal,
        )
    }

    pub fn finish(self) -> Run {
        self.finish_with_terminal().0
    }

    /// Presses Ctrl-C: the terminal sends SIGINT to every process in its
    /// foreground group, rootca and any ceremony it runs.
    pub fn ctrl_c(&mut self) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(b"\x03").expect("type Ctrl-C");
        stdin.flush().expect("flush Ctrl-C");
    }
}

/// The confirmation prompt rootca prints before an officer-confirmed step.
pub const PROMPT: &str = "Type \"yes\" to go on";

/// An openssl configuration for software CAs in tests: `-extensions root`
/// for a self-signed root, `sub` for a subordinate it signs.
pub const OPENSSL_CA_CONFIG: &str = "\
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[sub]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";
