//! The faulty PKCS#11 module (tests/faulty-hsm/faulty.c): SoftHSM behind a
//! shim that misbehaves on purpose, told what to do by `ROOTCA_SHIM_*`
//! variables in the environment of the process that loads it.
//!
//! ```ignore
//! let mut cmd = Command::new(env!("CARGO_BIN_EXE_rootca"));
//! faulty::apply(&mut cmd, &[Fault::Fail("C_Sign", 1)]);
//! // a ceremony file whose [hsm] module is faulty::module()
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{MODULE, PIN, Practice, Run, TOKEN};

/// Every variable the shim reads; `apply` clears them all first, so that
/// nothing leaks in from the environment the tests run in.
pub const VARIABLES: [&str; 10] = [
    "ROOTCA_SHIM_MODULE",
    "ROOTCA_SHIM_SLOW_GENERATE_MS",
    "ROOTCA_SHIM_EXTRACTABLE",
    "ROOTCA_SHIM_ERROR_AFTER_GENERATE",
    "ROOTCA_SHIM_DUPLICATE_LABEL",
    "ROOTCA_SHIM_FAIL",
    "ROOTCA_SHIM_SHORT_RANDOM",
    "ROOTCA_SHIM_NO_SO_LOGIN",
    "ROOTCA_SHIM_CLOUDHSM_KEY_WRAP",
    "ROOTCA_SHIM_NO_KEY_WRAP_PAD",
];

/// One misbehaviour of the shim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Sleep this many milliseconds before C_GenerateKeyPair.
    SlowGenerate(u64),
    /// The private keys made by C_GenerateKeyPair in the process read back
    /// CKA_EXTRACTABLE TRUE and CKA_NEVER_EXTRACTABLE FALSE (the key itself
    /// is made as asked).
    Extractable,
    /// C_GenerateKeyPair makes the pair, then returns CKR_DEVICE_ERROR.
    ErrorAfterGenerate,
    /// C_GenerateKeyPair makes a second pair from the same templates, as
    /// another client would at the same moment; the caller gets the first.
    DuplicateLabel,
    /// The n-th call (from 1) of this PKCS#11 function in the process
    /// returns CKR_DEVICE_ERROR without reaching SoftHSM.
    Fail(&'static str, u32),
    /// C_GenerateRandom fills the first half of the buffer and zeroes the
    /// rest, returning CKR_OK.
    ShortRandom,
    /// C_Login as the security officer returns CKR_USER_TYPE_INVALID, as
    /// on a module without that role (CloudHSM's PKCS#11 library).
    NoSoLogin,
    /// RFC 5649 key wrap is offered as CloudHSM Client SDK 5 names it,
    /// CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD, and not as CKM_AES_KEY_WRAP_PAD.
    CloudHsmKeyWrap,
    /// No RFC 5649 key wrap under either name.
    NoKeyWrapPad,
    /// The real module behind the shim (default: SoftHSM's).
    Module(PathBuf),
}

/// The shim's shared library, built by scripts/build-faulty-hsm the first
/// time a test process asks (a no-op when it is newer than its source).
pub fn module() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-faulty-hsm");
            let out = Command::new(&script)
                .output()
                .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
            assert!(
                out.status.success(),
                "{} failed (scripts/bootstrap installs gcc and libp11-kit-dev):\n{}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            assert!(path.is_file(), "no library at {}", path.display());
            path
        })
        .clone()
}

/// The environment that asks the shim for `faults`: each variable at most
/// once, several `Fail`s joined by commas.
pub fn env(faults: &[Fault]) -> Vec<(&'static str, String)> {
    let mut vars = Vec::new();
    let mut fails = Vec::new();
    for fault in faults {
        match fault {
            Fault::SlowGenerate(ms) => vars.push(("ROOTCA_SHIM_SLOW_GENERATE_MS", ms.to_string())),
            Fault::Extractable => vars.push(("ROOTCA_SHIM_EXTRACTABLE", "1".into())),
            Fault::ErrorAfterGenerate => {
                vars.push(("ROOTCA_SHIM_ERROR_AFTER_GENERATE", "1".into()))
            }
            Fault::DuplicateLabel => vars.push(("ROOTCA_SHIM_DUPLICATE_LABEL", "1".into())),
            Fault::Fail(name, n) => fails.push(format!("{name}:{n}")),
            Fault::ShortRandom => vars.push(("ROOTCA_SHIM_SHORT_RANDOM", "1".into())),
            Fault::NoSoLogin => vars.push(("ROOTCA_SHIM_NO_SO_LOGIN", "1".into())),
            Fault::CloudHsmKeyWrap => vars.push(("ROOTCA_SHIM_CLOUDHSM_KEY_WRAP", "1".into())),
            Fault::NoKeyWrapPad => vars.push(("ROOTCA_SHIM_NO_KEY_WRAP_PAD", "1".into())),
            Fault::Module(path) => vars.push(("ROOTCA_SHIM_MODULE", path.display().to_string())),
        }
    }
    if !fails.is_empty() {
        vars.push(("ROOTCA_SHIM_FAIL", fails.join(",")));
    }
    for (i, (name, _)) in vars.iter().enumerate() {
        assert!(
            vars[..i].iter().all(|(other, _)| other != name),
            "{name} given twice: {faults:?}"
        );
    }
    vars
}

/// Sets the variables for `faults` on `cmd`, after clearing any inherited.
pub fn apply<'a>(cmd: &'a mut Command, faults: &[Fault]) -> &'a mut Command {
    for name in VARIABLES {
        cmd.env_remove(name);
    }
    cmd.envs(env(faults))
}

/// `pkcs11-tool` on the practice token through the shim with `faults`,
/// logged in as the user, like `Practice::pkcs11_tool`.
pub fn pkcs11_tool(p: &Practice, faults: &[Fault], args: &[&str]) -> Run {
    let mut cmd = Command::new("pkcs11-tool");
    cmd.env("SOFTHSM2_CONF", &p.conf)
        .arg("--module")
        .arg(module())
        .args(["--token-label", TOKEN, "--login", "--pin", PIN])
        .args(args);
    apply(&mut cmd, faults)
        .output()
        .expect("pkcs11-tool must be installed (opensc, scripts/bootstrap)")
        .into()
}

/// A root ceremony file (see `root_toml`) whose module is the shim.
pub fn root_toml(label: &str, algorithm: &str, signature: &str, prefix: &str) -> String {
    let text = super::root_toml(label, algorithm, signature, prefix);
    let real = format!("module = \"{MODULE}\"");
    assert!(text.contains(&real), "root_toml names no module:\n{text}");
    text.replace(&real, &format!("module = \"{}\"", module().display()))
}

/// `rootca` with the practice folder's SoftHSM behind the shim with
/// `faults` (the ceremony file must name `module()`).
pub fn rootca(p: &Practice, faults: &[Fault], args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rootca"));
    cmd.env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(args)
        .stdin(std::process::Stdio::null());
    apply(&mut cmd, faults).output().expect("run rootca").into()
}
