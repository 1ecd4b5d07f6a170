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
