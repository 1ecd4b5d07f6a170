//! The ready-to-edit files in ceremony/ must pass `rootca check` as shipped,
//! given the inputs they name.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Practice, openssl, openssl_fixed};

fn ceremony_file(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("ceremony")
            .join(name),
    )
    .unwrap()
}

/// A stand-in root in out/root-g1.pem (P-384, key in root.key), valid for
/// twenty years from 2026-01-01 whatever day the test runs.
fn stand_in_root(p: &Practice) {
    openssl_fixed(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "root.key",
            "-subj",
            "/C=US/O=Example Corp/CN=Example Corp Root CA G1",
            "-days",
            "7300",
            "-addext",
            "basicConstraints=critical,CA:TRUE,pathlen:1",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "subjectKeyIdentifier=hash",
            "-out",
            "out/root-g1.pem",
        ],
        p.path(),
    )
    .ok();
}

#[test]
fn the_root_ceremony_files_pass_check() {
    for name in ["root.toml", "practice/root.toml"] {
        let p = Practice::new();
        p.write("root.toml", &ceremony_file(name));
        let check = p.rootca(&["check", "root.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(
            check.stdout.contains("Generate the key pair in the HSM"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn the_subordinate_ceremony_files_pass_check() {
    for (name, csr) in [
        ("subordinate.toml", "in/issuing-ca-1.csr"),
        ("subordinate-dev.toml", "in/dev-issuing-ca.csr"),
    ] {
        let p = Practice::new();
        std::fs::create_dir_all(p.path().join("in")).unwrap();
        std::fs::create_dir_all(p.path().join("out")).unwrap();
        // A stand-in root and a CSR.
        stand_in_root(&p);
        openssl(
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "sub.key",
                "-subj",
                "/C=US/O=Example Corp/CN=Issuing CA",
                "-out",
                csr,
            ],
            p.path(),
        )
        .ok();
        p.write("sub.toml", &ceremony_file(name));
        let check = p.rootca(&["check", "sub.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(
            check
                .stdout
                .contains("excluded  IP   0.0.0.0/0 (every IPv4 address)"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn the_crl_ceremony_files_pass_check() {
    for name in ["crl.toml", "practice/crl.toml"] {
        let p = Practice::new();
        std::fs::create_dir_all(p.path().join("out")).unwrap();
        stand_in_root(&p);
        // The practice file's dates are filled in by the practice script.
        let text = ceremony_file(name)
            .replace("THIS_UPDATE", "2026-12-01T00:00:00Z")
            .replace("NEXT_UPDATE", "2027-06-01T00:00:00Z");
        p.write("crl.toml", &text);
        let check = p.rootca(&["check", "crl.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(
            check.stdout.contains("Sign the CRL with the root key"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn the_lifecycle_ceremony_files_pass_check() {
    for name in ["deactivate.toml", "practice/deactivate.toml"] {
        let p = Practice::new();
        p.write(
            "deactivate.toml",
            &ceremony_file(name).replace("CLUSTER_ID", "cluster-jxhlf7644ne"),
        );
        let check = p.rootca(&["check", "deactivate.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(
            check
                .stdout
                .contains("Delete every HSM of the cluster  [officer confirms]"),
            "{}",
            check.stdout
        );
    }
    for name in ["reactivate.toml", "practice/reactivate.toml"] {
        let p = Practice::new();
        std::fs::create_dir_all(p.path().join("out")).unwrap();
        stand_in_root(&p);
        p.write(
            "reactivate.toml",
            &ceremony_file(name).replace("CLUSTER_ID", "cluster-jxhlf7644ne"),
        );
        let check = p.rootca(&["check", "reactivate.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(
            check
                .stdout
                .contains("Prove the key signs as the root certificate's key"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn the_profile_root_ceremony_files_pass_check() {
    for (name, shows) in [
        (
            "mdl-iaca.toml",
            "profile: mdl-iaca (ISO/IEC 18013-5 IACA root (mDL))",
        ),
        (
            "matter-paa.toml",
            "Vendor ID: FFF1 (subject attribute, UTF8String)",
        ),
    ] {
        let p = Practice::new();
        p.write("root.toml", &ceremony_file(name));
        let check = p.rootca(&["check", "root.toml"]);
        assert_eq!(check.code, 0, "{name}:\n{}", check.stderr);
        assert!(check.stdout.contains(shows), "{name}:\n{}", check.stdout);
    }
}

/// What openssl needs to write Matter's Vendor ID attribute (without the
/// oid_section it drops the attribute) as a UTF8String.
const OPENSSL_OIDS: &str = "oid_section = oids\n[oids]\nmatterVID = 1.3.6.1.4.1.37244.2.1\n[req]\ndistinguished_name = dn\nstring_mask = utf8only\n[dn]\n";

/// A key and CSR at `path` for `subject`, on P-256.
fn p256_csr(p: &Practice, subject: &str, path: &str) {
    p.write("oids.cnf", OPENSSL_OIDS);
    openssl(
        &[
            "req",
            "-new",
            "-config",
            "oids.cnf",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "csr.key",
            "-subj",
            subject,
            "-out",
            path,
        ],
        p.path(),
    )
    .ok();
}

/// A stand-in CA at `path` (P-256, self-signed with openssl from
/// 2026-01-01, `days` long) with the extensions given.
fn stand_in_p256_ca(p: &Practice, subject: &str, days: &str, exts: &[&str], path: &str) {
    p.write("oids.cnf", OPENSSL_OIDS);
    let mut args = vec![
        "req",
        "-x509",
        "-config",
        "oids.cnf",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-subj",
        subject,
        "-days",
        days,
        "-sha256",
    ];
    for e in exts {
        args.extend(["-addext", e]);
    }
    args.extend(["-out", path]);
    openssl_fixed(&args, p.path()).ok();
}

#[test]
fn the_document_signer_and_matter_pai_ceremony_files_pass_check() {
    let p = Practice::new();
    std::fs::create_dir_all(p.path().join("in")).unwrap();
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    stand_in_p256_ca(
        &p,
        "/C=US/ST=US-CA/O=Example State DMV/CN=Example State DMV IACA G1",
        "3650",
        &[
            "basicConstraints=critical,CA:TRUE,pathlen:0",
            "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=hash",
            "issuerAltName=email:pki@dmv.example.gov",
            "crlDistributionPoints=URI:https://crl.dmv.example.gov/iaca-g1.crl",
        ],
        "out/iaca-g1.pem",
    );
    p256_csr(
        &p,
        "/C=US/ST=US-CA/CN=Example State DMV DS 2027",
        "in/ds-2027.csr",
    );
    p.write("ds.toml", &ceremony_file("document-signer.toml"));
    let check = p.rootca(&["check", "ds.toml"]);
    assert_eq!(check.code, 0, "document-signer.toml:\n{}", check.stderr);
    assert!(
        check
            .stdout
            .contains("extKeyUsage (critical): 1.0.18013.5.1.2 (id-mdl-kp-mdlDS)"),
        "{}",
        check.stdout
    );

    stand_in_p256_ca(
        &p,
        "/CN=Example Corp Matter PAA G1/O=Example Corp/1.3.6.1.4.1.37244.2.1=FFF1",
        "7300",
        &[
            "basicConstraints=critical,CA:TRUE,pathlen:1",
            "keyUsage=critical,keyCertSign,cRLSign",
            "subjectKeyIdentifier=hash",
        ],
        "out/matter-paa-g1.pem",
    );
    p256_csr(
        &p,
        "/CN=Example Corp Matter PAI 1/1.3.6.1.4.1.37244.2.1=FFF1",
        "in/matter-pai-1.csr",
    );
    p.write("pai.toml", &ceremony_file("matter-pai.toml"));
    let check = p.rootca(&["check", "pai.toml"]);
    assert_eq!(check.code, 0, "matter-pai.toml:\n{}", check.stderr);
    assert!(
        check.stdout.contains("Vendor ID (from the CSR): FFF1"),
        "{}",
        check.stdout
    );
}

#[test]
fn the_succession_ceremony_files_pass_check() {
    let p = Practice::new();
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    p.write("key.toml", &ceremony_file("key.toml"));
    let check = p.rootca(&["check", "key.toml"]);
    assert_eq!(check.code, 0, "key.toml:\n{}", check.stderr);

    p.write("g2.toml", &ceremony_file("root-existing-key.toml"));
    let check = p.rootca(&["check", "g2.toml"]);
    assert_eq!(check.code, 0, "root-existing-key.toml:\n{}", check.stderr);
    assert!(
        check
            .stdout
            .contains("Find the existing key pair in the HSM")
            && !check.stdout.contains("Generate the key pair"),
        "{}",
        check.stdout
    );

    // Stand-ins: G1 without pathLen (so it can cross-sign a root with
    // subordinates), G2 a root of its own, both valid from 2026 for 30 years.
    for (name, key) in [("root-g1", "g1.key"), ("root-g2", "g2.key")] {
        openssl_fixed(
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-nodes",
                "-keyout",
                key,
                "-subj",
                &format!("/C=US/O=Example Corp/CN={name}"),
                "-days",
                "10950",
                "-addext",
                if name == "root-g1" {
                    "basicConstraints=critical,CA:TRUE"
                } else {
                    "basicConstraints=critical,CA:TRUE,pathlen:1"
                },
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-addext",
                "subjectKeyIdentifier=hash",
                "-out",
                &format!("out/{name}.pem"),
            ],
            p.path(),
        )
        .ok();
    }
    p.write("cross.toml", &ceremony_file("cross-certificate.toml"));
    let check = p.rootca(&["check", "cross.toml"]);
    assert_eq!(check.code, 0, "cross-certificate.toml:\n{}", check.stderr);
    assert!(
        check.stdout.contains("subject (from ") && check.stdout.contains("CN=root-g2"),
        "{}",
        check.stdout
    );
    p.write("cross-csr.toml", &ceremony_file("cross-csr.toml"));
    let check = p.rootca(&["check", "cross-csr.toml"]);
    assert_eq!(check.code, 0, "cross-csr.toml:\n{}", check.stderr);
    assert!(check.stdout.contains("CN=root-g2"), "{}", check.stdout);
}

#[test]
fn the_key_move_ceremony_files_pass_check_once_the_fingerprint_is_typed_in() {
    let p = Practice::new();
    std::fs::create_dir_all(p.path().join("move")).unwrap();
    std::fs::create_dir_all(p.path().join("out")).unwrap();
    p.write(
        "transport.toml",
        &ceremony_file("import-key-transport.toml"),
    );
    let check = p.rootca(&["check", "transport.toml"]);
    assert_eq!(
        check.code, 0,
        "import-key-transport.toml:\n{}",
        check.stderr
    );
    assert!(
        check.stdout.contains("Generate the transport key pair"),
        "{}",
        check.stdout
    );

    stand_in_root(&p);
    // A stand-in transport public key, as the target room writes it.
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:3072",
            "-out",
            "transport.key",
        ],
        p.path(),
    )
    .ok();
    openssl(
        &[
            "pkey",
            "-in",
            "transport.key",
            "-pubout",
            "-out",
            "move/transport-root-g1.pem",
        ],
        p.path(),
    )
    .ok();
    let fp = common::openssl_sha256(p.path(), "pubkey", "move/transport-root-g1.pem");
    // As shipped, the fingerprint is a placeholder: refused, naming the field.
    p.write("export.toml", &ceremony_file("export-key.toml"));
    let check = p.rootca(&["check", "export.toml"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert!(
        check.stderr.contains("target.transport_sha256")
            && check.stderr.contains("is not the fingerprint of"),
        "{}",
        check.stderr
    );
    let zeros = "0000 ".repeat(16);
    p.write(
        "export.toml",
        &ceremony_file("export-key.toml").replace(zeros.trim_end(), &fp),
    );
    let check = p.rootca(&["check", "export.toml"]);
    assert_eq!(check.code, 0, "export-key.toml:\n{}", check.stderr);
    assert!(
        check
            .stdout
            .contains("The security officer marks the target's transport key trusted"),
        "{}",
        check.stdout
    );
}
