//! The faulty PKCS#11 module (tests/faulty-hsm/faulty.c) does what each of
//! its faults says, judged on a fresh SoftHSM token by pkcs11-tool through
//! the real module, and by OpenSC's pkcs11-spy placed in front of the shim
//! (what the caller got) or behind it (what reached SoftHSM).

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::faulty::{self, Fault};
use common::{MODULE, PIN, Practice, Run, TOKEN};

/// The objects `pkcs11-tool --list-objects` (or `--keypairgen`) printed:
/// each a heading line and its indented lines.
fn objects(run: &Run) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = Vec::new();
    for line in run.stdout.lines() {
        if line.starts_with("  ") {
            if let Some(last) = found.last_mut() {
                last.push(line.trim().to_string());
            }
        } else if line.contains("Object;") {
            found.push(vec![line.to_string()]);
        }
    }
    found
}

fn field<'a>(object: &'a [String], name: &str) -> Option<&'a str> {
    object
        .iter()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// The objects of `kind` ("privkey", "pubkey") labelled `label` on the
/// token, seen through SoftHSM itself.
fn on_token(p: &Practice, kind: &str, label: &str) -> Vec<Vec<String>> {
    let run = p.pkcs11_tool(&["--list-objects", "--type", kind]);
    run.ok();
    objects(&run)
        .into_iter()
        .filter(|o| field(o, "label") == Some(label))
        .collect()
}

fn keypairgen(p: &Practice, faults: &[Fault], label: &str) -> Run {
    faulty::pkcs11_tool(
        p,
        faults,
        &[
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--label",
            label,
        ],
    )
}

/// The items of the "Access:" line of the first private key in `objects`.
fn private_key_access(objects: &[Vec<String>]) -> Vec<String> {
    let key = objects
        .iter()
        .find(|o| o[0].starts_with("Private Key Object"))
        .unwrap_or_else(|| panic!("no private key in {objects:?}"));
    field(key, "Access")
        .unwrap_or_else(|| panic!("no Access line in {key:?}"))
        .split(", ")
        .map(String::from)
        .collect()
}

// --- pkcs11-spy ------------------------------------------------------------

/// OpenSC's pkcs11-spy module (package opensc).
fn spy() -> PathBuf {
    let mut candidates = vec![PathBuf::from("/usr/lib/pkcs11/pkcs11-spy.so")];
    for dir in std::fs::read_dir("/usr/lib").unwrap().flatten() {
        candidates.push(dir.path().join("pkcs11/pkcs11-spy.so"));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .expect("pkcs11-spy.so must be installed (opensc, scripts/bootstrap)")
}

/// Where the spy sits: in front of the shim, it logs what the caller got;
/// behind it, what the shim passed on to SoftHSM.
#[derive(Clone, Copy, Debug)]
enum View {
    Caller,
    Token,
}

struct Call {
    name: String,
    rv: String,
}

/// The calls in a spy log, each with the name of the code it returned.
fn calls(log: &Path) -> Vec<Call> {
    let text =
        std::fs::read_to_string(log).unwrap_or_else(|e| panic!("spy log {}: {e}", log.display()));
    let mut found = Vec::new();
    let mut open: Option<String> = None;
    for line in text.lines() {
        // A call starts with "12: C_Name" and ends with "Returned:  0 CKR_OK".
        let start = line.split_once(": ").filter(|(number, name)| {
            !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
                && name.starts_with("C_")
        });
        if let Some((_, name)) = start {
            open = Some(name.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("Returned:") {
            let rv = rest.split_whitespace().nth(1).unwrap_or("?").to_string();
            let name = open.take().expect("a return outside a call in the spy log");
            found.push(Call { name, rv });
        }
    }
    found
}

/// What each call of `name` returned, in order.
fn results(calls: &[Call], name: &str) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.name == name)
        .map(|c| c.rv.clone())
        .collect()
}

/// The module a client should load and the environment it needs for the
/// spy to sit where `view` says, logging to `log`.
fn spied_setup(view: View, faults: &[Fault], log: &Path) -> (PathBuf, Vec<(String, String)>) {
    let mut faults = faults.to_vec();
    let (module, spied) = match view {
        View::Caller => (spy(), faulty::module()),
        View::Token => {
            faults.push(Fault::Module(spy()));
            (faulty::module(), PathBuf::from(MODULE))
        }
    };
    let mut env: Vec<(String, String)> = faulty::env(&faults)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("PKCS11SPY".into(), spied.display().to_string()));
    env.push(("PKCS11SPY_OUTPUT".into(), log.display().to_string()));
    (module, env)
}

fn command_with(cmd: &mut Command, env: &[(String, String)]) {
    for name in faulty::VARIABLES {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
}

/// pkcs11-tool, logged in, with the spy where `view` says.
fn spied_tool(p: &Practice, view: View, faults: &[Fault], args: &[&str]) -> (Run, Vec<Call>) {
    let log = p.path().join(format!("spy-{view:?}.log"));
    let _ = std::fs::remove_file(&log);
    let (module, env) = spied_setup(view, faults, &log);
    let mut cmd = Command::new("pkcs11-tool");
    cmd.env("SOFTHSM2_CONF", &p.conf)
        .arg("--module")
        .arg(&module)
        .args(["--token-label", TOKEN, "--login", "--pin", PIN])
        .args(args);
    command_with(&mut cmd, &env);
    let run: Run = cmd.output().expect("run pkcs11-tool").into();
    let calls = calls(&log);
    (run, calls)
}

/// A root ceremony by rootca on a fresh token, with the spy where `view`
/// says: rootca is only the client here, what it makes of the faults is
/// not judged.
fn spied_ceremony(view: View, faults: &[Fault]) -> (Run, Vec<Call>) {
    let p = Practice::new();
    let log = p.path().join("spy.log");
    let (module, env) = spied_setup(view, faults, &log);
    p.write(
        "root.toml",
        &common::root_toml("r", "ec-p256", "ecdsa-sha256", "root").replace(
            &format!("module = \"{MODULE}\""),
            &format!("module = \"{}\"", module.display()),
        ),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rootca"));
    cmd.env("SOFTHSM2_CONF", &p.conf)
        .current_dir(p.path())
        .args(["run", "root.toml", "--yes"])
        .stdin(std::process::Stdio::null());
    command_with(&mut cmd, &env);
    let run: Run = cmd.output().expect("run rootca").into();
    let calls = calls(&log);
    (run, calls)
}

// --- no fault ------------------------------------------------------------

#[test]
fn the_shim_exports_only_c_get_function_list() {
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(faulty::module())
        .output()
        .expect("nm (binutils, with gcc) must be installed");
    assert!(out.status.success());
    let symbols: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(String::from))
        .collect();
    assert_eq!(symbols, ["C_GetFunctionList"]);
}

#[test]
fn without_faults_the_shim_generates_and_signs_as_softhsm_does() {
    let p = Practice::new();
    let made = keypairgen(&p, &[], "k");
    made.ok();
    assert_eq!(
        private_key_access(&objects(&made)),
        [
            "sensitive",
            "always sensitive",
            "never extractable",
            "local"
        ]
    );
    assert_eq!(on_token(&p, "privkey", "k").len(), 1);
    assert_eq!(on_token(&p, "pubkey", "k").len(), 1);

    p.write("data", "to be signed\n");
    let data = p.path().join("data").display().to_string();
    let sig = p.path().join("sig").display().to_string();
    faulty::pkcs11_tool(
        &p,
        &[],
        &[
            "--sign",
            "--mechanism",
            "ECDSA",
            "--label",
            "k",
            "-i",
            &data,
            "-o",
            &sig,
        ],
    )
    .ok();
    assert_eq!(std::fs::read(&sig).unwrap().len(), 64, "a P-256 r||s");
}

#[test]
fn rootca_through_cryptoki_runs_a_ceremony_through_the_shim() {
    // The cryptoki crate takes the C_GetFunctionList path (no
    // C_GetInterface) and the shim forwards a whole ceremony.
    let p = Practice::new();
    p.write(
        "root.toml",
        &faulty::root_toml("r", "ec-p256", "ecdsa-sha256", "root"),
    );
    faulty::rootca(&p, &[], &["run", "root.toml", "--yes"]).ok();
    assert_eq!(on_token(&p, "privkey", "r").len(), 1);
    assert!(p.path().join("out/root.pem").is_file());
}

// --- key generation faults -----------------------------------------------

#[test]
fn slow_generate_takes_at_least_the_time_asked() {
    let p = Practice::new();
    let start = Instant::now();
    keypairgen(&p, &[Fault::SlowGenerate(1500)], "slow").ok();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1500),
        "keypairgen took {took:?}"
    );
    assert_eq!(on_token(&p, "privkey", "slow").len(), 1);
}

#[test]
fn extractable_is_what_the_generating_process_reads_not_what_the_token_holds() {
    let p = Practice::new();
    // pkcs11-tool reads the new key's attributes back in the process that
    // made it, through the shim.
    let made = keypairgen(&p, &[Fault::Extractable], "x");
    made.ok();
    let told = private_key_access(&objects(&made));
    assert!(
        told.iter().any(|a| a == "extractable"),
        "CKA_EXTRACTABLE not TRUE: {told:?}"
    );
    assert!(
        !told.iter().any(|a| a == "never extractable"),
        "CKA_NEVER_EXTRACTABLE not FALSE: {told:?}"
    );
    // The key itself was made as asked.
    let held = private_key_access(&on_token(&p, "privkey", "x"));
    assert!(held.iter().any(|a| a == "never extractable"), "{held:?}");
    assert!(!held.iter().any(|a| a == "extractable"), "{held:?}");
}

#[test]
fn error_after_generate_fails_the_call_yet_the_pair_is_on_the_token() {
    let p = Practice::new();
    let made = keypairgen(&p, &[Fault::ErrorAfterGenerate], "e");
    assert_ne!(made.code, 0, "keypairgen succeeded:\n{}", made.stdout);
    assert!(
        made.stderr.contains("C_GenerateKeyPair") && made.stderr.contains("CKR_DEVICE_ERROR"),
        "{}",
        made.stderr
    );
    assert_eq!(on_token(&p, "privkey", "e").len(), 1);
    assert_eq!(on_token(&p, "pubkey", "e").len(), 1);
}

#[test]
fn duplicate_label_leaves_two_pairs_and_hands_back_one() {
    let p = Practice::new();
    let made = keypairgen(&p, &[Fault::DuplicateLabel], "d");
    made.ok();
    let handed = objects(&made);
    assert_eq!(handed.len(), 2, "one pair reported: {handed:?}");
    assert_eq!(on_token(&p, "privkey", "d").len(), 2);
    let public = on_token(&p, "pubkey", "d");
    assert_eq!(public.len(), 2);
    // Two pairs, not one pair listed twice; the caller got one of them.
    let points: Vec<&str> = public
        .iter()
        .map(|o| field(o, "EC_POINT").expect("EC_POINT"))
        .collect();
    assert_ne!(points[0], points[1]);
    let reported = handed
        .iter()
        .find_map(|o| field(o, "EC_POINT"))
        .expect("EC_POINT");
    assert!(points.contains(&reported), "{reported} not on the token");
}

// --- ROOTCA_SHIM_FAIL ----------------------------------------------------

/// The n-th call of `name` is the only one the caller sees fail with
/// CKR_DEVICE_ERROR, and exactly one call fewer reaches SoftHSM.
fn assert_nth_fails(name: &str, n: usize, caller: &[Call], token: &[Call]) {
    let got = results(caller, name);
    assert!(
        got.len() >= n,
        "only {} calls of {name}: {got:?}",
        got.len()
    );
    for (i, rv) in got.iter().enumerate() {
        if i + 1 == n {
            assert_eq!(rv, "CKR_DEVICE_ERROR", "call {} of {name}: {got:?}", i + 1);
        } else {
            assert_ne!(rv, "CKR_DEVICE_ERROR", "call {} of {name}: {got:?}", i + 1);
        }
    }
    let reached = results(token, name).len();
    assert_eq!(
        reached,
        got.len() - 1,
        "{name}: {} calls made, {reached} reached SoftHSM",
        got.len()
    );
}

#[test]
fn fail_makes_the_nth_call_of_a_function_fail_without_reaching_softhsm() {
    for (name, n, args) in [
        ("C_GetAttributeValue", 3, &["--list-objects"][..]),
        ("C_FindObjectsInit", 1, &["--list-objects"][..]),
        ("C_Finalize", 1, &["--list-objects"][..]),
        ("C_GenerateRandom", 1, &["--generate-random", "16"][..]),
    ] {
        let p = Practice::new();
        keypairgen(&p, &[], "k").ok();
        let faults = [Fault::Fail(name, n)];
        let (_, caller) = spied_tool(&p, View::Caller, &faults, args);
        let (_, token) = spied_tool(&p, View::Token, &faults, args);
        assert_nth_fails(name, n as usize, &caller, &token);
    }
}

#[test]
fn fail_reaches_the_calls_of_a_ceremony_logout_and_session_close() {
    for name in ["C_Logout", "C_CloseSession"] {
        let faults = [Fault::Fail(name, 1)];
        let (run, caller) = spied_ceremony(View::Caller, &faults);
        let (_, token) = spied_ceremony(View::Token, &faults);
        assert!(
            !results(&caller, "C_Sign").is_empty(),
            "the ceremony did not get to signing:\n{}",
            run.stderr
        );
        assert_nth_fails(name, 1, &caller, &token);
    }
}

#[test]
fn several_fails_each_hit_their_own_call() {
    let p = Practice::new();
    keypairgen(&p, &[], "k").ok();
    let faults = [
        Fault::Fail("C_GetAttributeValue", 2),
        Fault::Fail("C_GetAttributeValue", 4),
        Fault::Fail("C_Finalize", 1),
    ];
    let (_, caller) = spied_tool(&p, View::Caller, &faults, &["--list-objects"]);
    let failed: Vec<usize> = results(&caller, "C_GetAttributeValue")
        .iter()
        .enumerate()
        .filter(|(_, rv)| *rv == "CKR_DEVICE_ERROR")
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(failed, [2, 4]);
    assert_eq!(results(&caller, "C_Finalize"), ["CKR_DEVICE_ERROR"]);
}

#[test]
fn a_failed_destroy_leaves_the_object() {
    let p = Practice::new();
    keypairgen(&p, &[], "k").ok();
    let args = ["--delete-object", "--type", "privkey", "--label", "k"];
    let run = faulty::pkcs11_tool(&p, &[Fault::Fail("C_DestroyObject", 1)], &args);
    assert_ne!(run.code, 0, "delete succeeded:\n{}", run.stdout);
    assert_eq!(on_token(&p, "privkey", "k").len(), 1);
    // The same command without the fault does delete it.
    faulty::pkcs11_tool(&p, &[], &args).ok();
    assert_eq!(on_token(&p, "privkey", "k").len(), 0);
}

#[test]
fn a_failed_sign_fails_and_ends_the_signing_operation() {
    let p = Practice::new();
    keypairgen(&p, &[], "k").ok();
    p.write("data", "to be signed\n");
    let data = p.path().join("data").display().to_string();
    let sig = p.path().join("sig").display().to_string();
    let args = [
        "--sign",
        "--mechanism",
        "ECDSA",
        "--label",
        "k",
        "-i",
        &data,
        "-o",
        &sig,
    ];
    let (run, caller) = spied_tool(&p, View::Caller, &[Fault::Fail("C_Sign", 1)], &args);
    assert_ne!(run.code, 0, "signing succeeded");
    assert_eq!(results(&caller, "C_Sign"), ["CKR_DEVICE_ERROR"]);
    // pkcs11-tool starts over after a failed C_Sign: a second C_SignInit
    // on the session finds no operation left active.
    assert_eq!(results(&caller, "C_SignInit"), ["CKR_OK", "CKR_OK"]);

    // The second call is never made, so nothing fails.
    let (run, caller) = spied_tool(&p, View::Caller, &[Fault::Fail("C_Sign", 2)], &args);
    run.ok();
    assert_eq!(results(&caller, "C_Sign"), ["CKR_OK"]);
    assert_eq!(std::fs::read(&sig).unwrap().len(), 64);
}

// --- random ----------------------------------------------------------------

fn random(p: &Practice, faults: &[Fault], len: usize) -> Vec<u8> {
    let out = p.path().join("random.bin");
    let _ = std::fs::remove_file(&out);
    let out_arg = out.display().to_string();
    faulty::pkcs11_tool(
        p,
        faults,
        &["--generate-random", &len.to_string(), "-o", &out_arg],
    )
    .ok();
    std::fs::read(&out).unwrap()
}

#[test]
fn short_random_fills_only_the_first_half() {
    let p = Practice::new();
    let short = random(&p, &[Fault::ShortRandom], 64);
    assert_eq!(short.len(), 64);
    assert!(short[..32].iter().any(|&b| b != 0), "{short:02x?}");
    assert!(short[32..].iter().all(|&b| b == 0), "{short:02x?}");
    // Without the fault the second half is random too (all zero once in
    // 2^256).
    let full = random(&p, &[], 64);
    assert!(full[32..].iter().any(|&b| b != 0), "{full:02x?}");
}

/// pkcs11-tool through the shim, logged in as the security officer to do
/// what only the SO may: set the user PIN (here to the one it has).
fn as_security_officer(p: &Practice, faults: &[Fault]) -> Run {
    let mut cmd = Command::new("pkcs11-tool");
    cmd.env("SOFTHSM2_CONF", &p.conf)
        .arg("--module")
        .arg(faulty::module())
        .args(["--token-label", TOKEN, "--login", "--login-type", "so"])
        .args(["--so-pin", "5678", "--init-pin", "--new-pin", PIN]);
    faulty::apply(&mut cmd, faults).output().unwrap().into()
}

#[test]
fn no_so_login_refuses_the_security_officer_and_lets_the_user_in() {
    let p = Practice::new();
    as_security_officer(&p, &[]).ok();
    let refused = as_security_officer(&p, &[Fault::NoSoLogin]);
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("CKR_USER_TYPE_INVALID"),
        "{}",
        refused.stderr
    );
    faulty::pkcs11_tool(&p, &[Fault::NoSoLogin], &["--list-objects"]).ok();
}

#[test]
fn rfc_5649_key_wrap_is_offered_under_the_name_the_fault_gives() {
    let p = Practice::new();
    let listed = |faults: &[Fault]| {
        let run = faulty::pkcs11_tool(&p, faults, &["--list-mechanisms"]);
        run.ok();
        let has = |name: &str| run.stdout.lines().any(|l| l.trim().starts_with(name));
        (has("mechtype-0x210A"), has("mechtype-0x8000216F"))
    };
    assert_eq!(listed(&[]), (true, false), "SoftHSM's own name");
    assert_eq!(
        listed(&[Fault::CloudHsmKeyWrap]),
        (false, true),
        "CloudHSM's name"
    );
    assert_eq!(listed(&[Fault::NoKeyWrapPad]), (false, false), "neither");
    // The other mechanisms stay as SoftHSM lists them, the first of all
    // (CKM_RSA_PKCS_KEY_PAIR_GEN, 0) included.
    for faults in [[Fault::CloudHsmKeyWrap], [Fault::NoKeyWrapPad]] {
        let run = faulty::pkcs11_tool(&p, &faults, &["--list-mechanisms"]);
        for name in [
            "RSA-PKCS-KEY-PAIR-GEN",
            "RSA-PKCS-OAEP",
            "ECDSA",
            "AES-KEY-WRAP,",
        ] {
            assert!(
                run.stdout.contains(name),
                "{faults:?} hides {name}:\n{}",
                run.stdout
            );
        }
    }
}

// --- a misspelt fault ------------------------------------------------------

#[test]
fn a_fault_the_shim_does_not_understand_stops_it_from_loading() {
    let p = Practice::new();
    for (name, value, said) in [
        (
            "ROOTCA_SHIM_FAIL",
            "C_Sgn",
            "no such PKCS#11 function: C_Sgn",
        ),
        ("ROOTCA_SHIM_FAIL", "C_Sign:0", "call number"),
        ("ROOTCA_SHIM_FAIL", "C_Sign:x", "call number"),
        ("ROOTCA_SHIM_EXTRACTABLE", "yes", "ROOTCA_SHIM_EXTRACTABLE"),
        ("ROOTCA_SHIM_SLOW_GENERATE_MS", "1s", "milliseconds"),
        ("ROOTCA_SHIM_DUPLICATE_LABELS", "1", "unknown variable"),
        (
            "ROOTCA_SHIM_MODULE",
            "/nonexistent.so",
            "cannot load the real module",
        ),
    ] {
        let mut cmd = Command::new("pkcs11-tool");
        cmd.env("SOFTHSM2_CONF", &p.conf)
            .arg("--module")
            .arg(faulty::module())
            .arg("--list-slots");
        faulty::apply(&mut cmd, &[]).env(name, value);
        let run: Run = cmd.output().expect("run pkcs11-tool").into();
        assert_ne!(run.code, 0, "{name}={value} was accepted");
        assert!(run.stderr.contains(said), "{name}={value}:\n{}", run.stderr);
    }
}
