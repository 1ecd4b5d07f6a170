//! OpenSSL is the live judge: each test makes a root and a name-constrained CA with the
//! openssl CLI, issues a leaf under that CA for each name of a table, and compares what
//! `openssl verify` says of the leaf with what rootca's matcher says of the name, reading the
//! CA's extension as openssl encoded it. The tables also pin OpenSSL's verdicts, so that a
//! change of OpenSSL's behaviour shows as a failure rather than as silent agreement.
//!
//! Every date is fixed and verification happens at a fixed time, so the suite passes whatever
//! the clock says.

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Run, openssl};
use der::DecodePem;
use rootca::profile::name_constraints::{Decision, NameConstraints, TestName};
use x509_cert::Certificate;

/// 2026-02-15, inside the validity of every certificate made here.
const ATTIME: &str = "1771113600";

/// What `openssl verify` says of a leaf, in the terms rootca's verdicts map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accepted,
    /// "permitted subtree violation": outside every permitted subtree of its kind.
    NotPermitted,
    /// "excluded subtree violation".
    Excluded,
}

use Verdict::{Accepted, Excluded, NotPermitted};

const CA_CNF: &str = r#"[ca]
default_ca = ca_default

[ca_default]
database = ./index.txt
new_certs_dir = ./new
serial = ./serial
default_md = sha256
policy = policy_any
preserve = yes
email_in_dn = no
copy_extensions = none
unique_subject = no

[policy_any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional

[req]
distinguished_name = req_dn
[req_dn]

[v3_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"#;

/// A root, a CA under it with name constraints, and a leaf key, all made by openssl in a
/// folder of their own.
struct Pki {
    dir: tempfile::TempDir,
    constraints: NameConstraints,
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(
        run.code, 0,
        "{what}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

impl Pki {
    /// `name_constraints` is the value of openssl's `nameConstraints` setting, without
    /// `critical`; `sections` holds any dirName sections it refers to.
    fn new(name_constraints: &str, sections: &str) -> Self {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("temporary folder: {e}"),
        };
        let path = dir.path();
        let cnf = format!("{CA_CNF}nameConstraints = critical, {name_constraints}\n\n{sections}\n");
        write(path, "ca.cnf", &cnf);
        write(path, "index.txt", "");
        write(path, "serial", "1000\n");
        if let Err(e) = std::fs::create_dir(path.join("new")) {
            panic!("new/: {e}");
        }
        for key in ["root", "ca", "leaf"] {
            ok(
                openssl(
                    &[
                        "genpkey",
                        "-algorithm",
                        "EC",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-out",
                        &format!("{key}.key"),
                    ],
                    path,
                ),
                "genpkey",
            );
            ok(
                openssl(
                    &[
                        "req",
                        "-new",
                        "-config",
                        "ca.cnf",
                        "-key",
                        &format!("{key}.key"),
                        "-subj",
                        &format!("/CN=Live {key}"),
                        "-out",
                        &format!("{key}.csr"),
                    ],
                    path,
                ),
                "req",
            );
        }
        let mut root = vec!["-selfsign", "-keyfile", "root.key", "-in", "root.csr"];
        root.extend([
            "-startdate",
            "20260101000000Z",
            "-enddate",
            "20460101000000Z",
        ]);
        root.extend(["-extensions", "v3_root", "-out", "root.pem"]);
        ok(ca(path, &root), "root");
        let mut sub = vec!["-cert", "root.pem", "-keyfile", "root.key", "-in", "ca.csr"];
        sub.extend([
            "-startdate",
            "20260101000000Z",
            "-enddate",
            "20360101000000Z",
        ]);
        sub.extend(["-extensions", "v3_ca", "-out", "ca.pem"]);
        ok(ca(path, &sub), "name-constrained CA");
        let constraints = read_constraints(&path.join("ca.pem"));
        Pki { dir, constraints }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Issues leaf.pem for `name`, a name as `rootca names` reads it, with its kind prefix:
    /// a subjectAltName of that kind under the subject "CN=leaf test" (which OpenSSL does not
    /// read as a host name), or for `dn:` and `cn:` that subject and no subjectAltName.
    fn issue(&self, name: &str) {
        let (subject, san) = leaf_subject_and_san(name);
        let mut ext = "[leaf]\nbasicConstraints = critical, CA:FALSE\n\
                       keyUsage = critical, digitalSignature\n\
                       subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n"
            .to_string();
        if let Some(san) = san {
            ext.push_str(&format!("subjectAltName = {san}\n"));
        }
        write(self.path(), "leaf.ext", &ext);
        let mut args = vec!["-utf8", "-cert", "ca.pem", "-keyfile", "ca.key"];
        args.extend(["-in", "leaf.csr", "-subj", &subject]);
        args.extend([
            "-startdate",
            "20260201000000Z",
            "-enddate",
            "20260301000000Z",
        ]);
        args.extend([
            "-extfile",
            "leaf.ext",
            "-extensions",
            "leaf",
            "-out",
            "leaf.pem",
        ]);
        ok(ca(self.path(), &args), name);
    }

    /// `openssl verify` of leaf.pem, optionally also checking it for host name `host`.
    fn verify(&self, host: Option<&str>) -> Run {
        let mut args = vec!["verify", "-x509_strict", "-attime", ATTIME];
        if let Some(host) = host {
            args.extend(["-verify_hostname", host]);
        }
        args.extend(["-CAfile", "root.pem", "-untrusted", "ca.pem", "leaf.pem"]);
        openssl(&args, self.path())
    }

    /// What OpenSSL says of a leaf carrying `name`.
    fn openssl_verdict(&self, name: &str) -> Result<Verdict, String> {
        self.issue(name);
        let run = self.verify(None);
        let said = format!("{}{}", run.stdout, run.stderr);
        if run.code == 0 && said.contains("leaf.pem: OK") {
            Ok(Accepted)
        } else if said.contains("permitted subtree violation") {
            Ok(NotPermitted)
        } else if said.contains("excluded subtree violation") {
            Ok(Excluded)
        } else {
            Err(said)
        }
    }

    /// What rootca's matcher says of `name`, from the extension openssl encoded.
    fn decision(&self, name: &str) -> Decision {
        match TestName::parse(name) {
            Ok(n) => self.constraints.test(&n),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    if let Err(e) = std::fs::write(dir.join(name), text) {
        panic!("{name}: {e}");
    }
}

fn ca(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["ca", "-batch", "-notext", "-config", "ca.cnf"];
    all.extend_from_slice(args);
    openssl(&all, dir)
}

fn read_constraints(pem: &Path) -> NameConstraints {
    let text = match std::fs::read_to_string(pem) {
        Ok(t) => t,
        Err(e) => panic!("{}: {e}", pem.display()),
    };
    let cert = match Certificate::from_pem(&text) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    match cert
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::NameConstraints>()
    {
        Ok(Some((_, ext))) => match NameConstraints::from_extension(&ext) {
            Ok(nc) => nc,
            Err(e) => panic!("rootca cannot read openssl's extension: {e}"),
        },
        other => panic!("no name constraints: {other:?}"),
    }
}

/// `openssl ca -subj` form of an RFC 4514 name: most significant first, '/'-separated.
fn openssl_subject(rfc4514: &str) -> String {
    rfc4514
        .split(',')
        .rev()
        .map(|rdn| format!("/{rdn}"))
        .collect()
}

fn leaf_subject_and_san(name: &str) -> (String, Option<String>) {
    let Some((kind, value)) = name.split_once(':') else {
        panic!("{name}: tables give every name with its kind prefix");
    };
    let default_subject = "/CN=leaf test".to_string();
    match kind {
        "dns" => (default_subject, Some(format!("DNS:{value}"))),
        "ip" => (default_subject, Some(format!("IP:{value}"))),
        "email" => (default_subject, Some(format!("email:{value}"))),
        "uri" => (default_subject, Some(format!("URI:{value}"))),
        "dn" => (openssl_subject(value), None),
        "cn" => (format!("/CN={}", value.replace('/', "\\/")), None),
        other => panic!("{name}: unknown kind {other}"),
    }
}

/// rootca's decision in OpenSSL's terms.
fn verdict_of(d: &Decision) -> Verdict {
    if d.permitted {
        Accepted
    } else if d.reason.starts_with("excluded by ") {
        Excluded
    } else {
        NotPermitted
    }
}

/// For each (name, OpenSSL's verdict): OpenSSL still says so, and rootca says the same.
fn assert_agrees(pki: &Pki, cases: &[(&str, Verdict)]) {
    let mut wrong = Vec::new();
    for &(name, expected) in cases {
        let openssl = pki.openssl_verdict(name);
        let decision = pki.decision(name);
        let rootca = verdict_of(&decision);
        if openssl != Ok(expected) || rootca != expected {
            wrong.push(format!(
                "{name}: table {expected:?}, openssl {openssl:?}, rootca {rootca:?} ({})",
                decision.reason
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The issue's development CA, with an exclusion one label below a permitted name.
fn dns_pki() -> Pki {
    Pki::new(
        "permitted;DNS:dev.example.com, permitted;DNS:.test.example.com, \
         excluded;DNS:.prod.dev.example.com, excluded;DNS:www.dev.example.com, \
         excluded;IP:0.0.0.0/0.0.0.0, excluded;IP:::/::",
        "",
    )
}

#[test]
fn dns_names_are_judged_as_openssl_judges_them() {
    assert_agrees(
        &dns_pki(),
        &[
            ("dns:dev.example.com", Accepted),
            ("dns:a.dev.example.com", Accepted),
            ("dns:A.Dev.Example.COM", Accepted),
            ("dns:x.test.example.com", Accepted),
            ("dns:a.b.test.example.com", Accepted),
            ("dns:test.example.com", NotPermitted),
            ("dns:prod.dev.example.com", Accepted),
            ("dns:x.prod.dev.example.com", Excluded),
            ("dns:www.dev.example.com", Excluded),
            ("dns:a.www.dev.example.com", Excluded),
            ("dns:wwwx.dev.example.com", Accepted),
            ("dns:baddev.example.com", NotPermitted),
            ("dns:xtest.example.com", NotPermitted),
            ("dns:example.com", NotPermitted),
            ("dns:dev.example.com.evil.org", NotPermitted),
            ("ip:10.1.2.3", Excluded),
            ("ip:2001:db8::1", Excluded),
            ("email:user@example.com", Accepted),
            ("uri:https://any.example.net/", Accepted),
        ],
    );
}

#[test]
fn wildcards_are_judged_as_openssl_judges_them_compared_as_written() {
    assert_agrees(
        &dns_pki(),
        &[
            ("dns:*.dev.example.com", Accepted),
            ("dns:*.a.dev.example.com", Accepted),
            ("dns:*.test.example.com", Accepted),
            ("dns:*.prod.dev.example.com", Excluded),
            ("dns:*.www.dev.example.com", Excluded),
            ("dns:*.example.com", NotPermitted),
        ],
    );
}

#[test]
fn a_permitted_wildcard_over_an_excluded_name_is_warned_about_because_openssl_lets_it_serve_that_name()
 {
    let pki = dns_pki();
    // OpenSSL refuses the excluded name itself...
    assert_eq!(pki.openssl_verdict("dns:www.dev.example.com"), Ok(Excluded));
    // ...but accepts the wildcard, and the wildcard for that very name.
    pki.issue("dns:*.dev.example.com");
    let run = pki.verify(Some("www.dev.example.com"));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let d = pki.decision("dns:*.dev.example.com");
    assert!(d.permitted, "{d:?}");
    assert_eq!(d.warnings.len(), 1, "{d:?}");
    assert!(
        d.warnings[0].contains("also covers www.dev.example.com"),
        "{d:?}"
    );
}

#[test]
fn warnings_of_the_constraints_name_the_excluded_entry_a_wildcard_slips_past() {
    let warnings = dns_pki().constraints.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "excluded_dns entry 2 (\"www.dev.example.com\") does not stop a wildcard: \
             a certificate for \"*.dev.example.com\" passes OpenSSL"
        ),
        "{warnings:?}"
    );
}

#[test]
fn ip_addresses_are_judged_as_openssl_judges_them() {
    let pki = Pki::new(
        "permitted;IP:10.0.0.0/255.0.0.0, permitted;IP:192.0.2.128/255.255.255.128, \
         permitted;IP:2001:db8::/ffff:ffff::, excluded;IP:10.9.0.0/255.255.0.0",
        "",
    );
    assert_agrees(
        &pki,
        &[
            ("ip:10.1.2.3", Accepted),
            ("ip:10.9.1.1", Excluded),
            ("ip:11.0.0.1", NotPermitted),
            ("ip:192.0.2.200", Accepted),
            ("ip:192.0.2.127", NotPermitted),
            ("ip:2001:db8::1", Accepted),
            ("ip:2001:db9::1", NotPermitted),
            ("ip:::ffff:10.0.0.1", NotPermitted),
            ("dns:www.example.com", Accepted),
            // IP constraints never apply to a CN, even one that is an address.
            ("cn:127.0.0.1", Accepted),
            ("cn:10.9.1.1", Accepted),
        ],
    );
}

#[test]
fn email_addresses_are_judged_as_openssl_judges_them() {
    let pki = Pki::new(
        "permitted;email:ops@example.com, permitted;email:example.net, \
         permitted;email:.example.org, excluded;email:.bad.example.org",
        "",
    );
    assert_agrees(
        &pki,
        &[
            ("email:ops@example.com", Accepted),
            ("email:dev@example.com", NotPermitted),
            ("email:OPS@example.com", NotPermitted),
            ("email:ops@EXAMPLE.COM", Accepted),
            ("email:anyone@example.net", Accepted),
            ("email:first.last+tag@example.net", Accepted),
            ("email:anyone@mail.example.net", NotPermitted),
            ("email:anyone@a.example.org", Accepted),
            ("email:anyone@example.org", NotPermitted),
            ("email:x@y.bad.example.org", Excluded),
            ("email:user@[192.0.2.1]", NotPermitted),
            ("dns:www.example.com", Accepted),
        ],
    );
}

#[test]
fn email_addresses_that_are_no_mailbox_are_refused_though_openssl_would_pass_them() {
    let pki = Pki::new("permitted;email:example.com", "");
    for name in [
        "email:invalid@address@example.com",
        "email:@example.com",
        "email:a..b@example.com",
    ] {
        // OpenSSL looks only at what follows the last '@'.
        assert_eq!(pki.openssl_verdict(name), Ok(Accepted), "{name}");
        assert!(TestName::parse(name).is_err(), "{name}");
    }
}

#[test]
fn uris_are_judged_as_openssl_judges_them() {
    let pki = Pki::new(
        "permitted;URI:x.example.com, permitted;URI:.example.org, excluded;URI:.bad.example.org",
        "",
    );
    assert_agrees(
        &pki,
        &[
            ("uri:https://x.example.com/path", Accepted),
            ("uri:https://x.example.com", Accepted),
            ("uri:https://X.EXAMPLE.COM:8443/", Accepted),
            ("uri:https://a.x.example.com/", NotPermitted),
            ("uri:http://a.example.org/", Accepted),
            ("uri:http://example.org/", NotPermitted),
            ("uri:http://z.bad.example.org/", Excluded),
            // OpenSSL 3.0 ends the host at the first ':' even after a '/', and does not
            // look for a user name.
            ("uri:https://x.example.com/a:b", NotPermitted),
            ("uri:https://u@x.example.com/", NotPermitted),
        ],
    );
}

#[test]
fn distinguished_names_are_judged_as_openssl_judges_them() {
    let pki = Pki::new(
        "permitted;dirName:dn_ok, excluded;dirName:dn_bad",
        "[dn_ok]\nC = US\nO = Example Corp\n\n[dn_bad]\nC = US\nO = Example Corp\nOU = Prod\n",
    );
    assert_agrees(
        &pki,
        &[
            ("dn:CN=host,OU=Dev,O=Example Corp,C=US", Accepted),
            ("dn:CN=host,O=Example Corp,C=US", Accepted),
            ("dn:O=Example Corp,C=US", Accepted),
            ("dn:CN=x,O=example  CORP,C=US", Accepted),
            ("dn:CN=host,OU=Prod,O=Example Corp,C=US", Excluded),
            ("dn:CN=host,OU=prod,O=EXAMPLE CORP,C=us", Excluded),
            ("dn:CN=host,O=Other,C=US", NotPermitted),
            ("dn:C=US", NotPermitted),
            ("dn:CN=host,O=Example Corp,C=GB", NotPermitted),
        ],
    );
}

/// Permitted localhost and example.com, excluded secret.example.com, and an IP constraint.
fn cn_pki() -> Pki {
    Pki::new(
        "permitted;DNS:localhost, permitted;DNS:example.com, \
         excluded;DNS:secret.example.com, permitted;IP:10.0.0.0/255.0.0.0",
        "",
    )
}

#[test]
fn a_cn_that_looks_like_a_host_is_judged_by_the_dns_constraints_as_openssl_does() {
    assert_agrees(
        &cn_pki(),
        &[
            ("cn:www.example.com", Accepted),
            ("cn:WWW.EXAMPLE.COM", Accepted),
            ("cn:www.example.org", NotPermitted),
            ("cn:a.secret.example.com", Excluded),
            ("cn:_srv.example.org", NotPermitted),
            ("cn:my-host.example.org", NotPermitted),
            // An address looks like a host name and is judged as a DNS name, by the DNS
            // constraints only: inside the permitted IP network, outside the DNS names.
            ("cn:127.0.0.1", NotPermitted),
            ("cn:10.1.2.3", NotPermitted),
        ],
    );
}

#[test]
fn a_cn_that_does_not_look_like_a_host_escapes_the_dns_constraints_as_in_openssl() {
    assert_agrees(
        &cn_pki(),
        &[
            ("cn:localhost", Accepted),
            ("cn:leaf test", Accepted),
            ("cn:www.example.org.", Accepted),
            ("cn:-a.example.org", Accepted),
            ("cn:a-.example.org", Accepted),
            ("cn:a..example.org", Accepted),
            ("cn:bücher.example.org", Accepted),
            ("cn:*.secret.example.com", Accepted),
        ],
    );
}

#[test]
fn a_wildcard_cn_is_warned_about_because_openssl_lets_it_serve_an_excluded_name() {
    let pki = cn_pki();
    pki.issue("cn:*.secret.example.com");
    let run = pki.verify(Some("www.secret.example.com"));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let d = pki.decision("cn:*.secret.example.com");
    assert!(d.permitted, "{d:?}");
    assert_eq!(d.warnings.len(), 1, "{d:?}");
}

#[test]
fn openssl_checks_no_cn_of_a_leaf_with_a_dns_name() {
    // Why `cn:` judges a leaf without DNS names: with one, the CN is not checked at all.
    let pki = cn_pki();
    write(
        pki.path(),
        "leaf.ext",
        "[leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n\
         subjectAltName = DNS:www.example.com\n",
    );
    let mut args = vec!["-cert", "ca.pem", "-keyfile", "ca.key", "-in", "leaf.csr"];
    args.extend(["-subj", "/CN=www.example.org"]);
    args.extend([
        "-startdate",
        "20260201000000Z",
        "-enddate",
        "20260301000000Z",
    ]);
    args.extend([
        "-extfile",
        "leaf.ext",
        "-extensions",
        "leaf",
        "-out",
        "leaf.pem",
    ]);
    ok(ca(pki.path(), &args), "leaf with CN and DNS name");
    let run = pki.verify(None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!pki.decision("cn:www.example.org").permitted);
}
