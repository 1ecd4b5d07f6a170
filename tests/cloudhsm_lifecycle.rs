//! The offline root's CloudHSM lifecycle through the real SDK over HTTP,
//! against the emulated CloudHSM with SoftHSM behind it: root ceremony ->
//! deactivate (the token is gone: nothing can be signed) -> reactivate
//! (the key proven; a CRL can be signed) -> deactivate again. And what
//! must not happen: an HSM that never comes up (deleted again on the
//! timeout), AccessDenied half way, a process killed while waiting for
//! its HSM (the rerun uses it, never makes a second).

// Tests may unwrap: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::emulator::Emulator;
use common::{MODULE, Practice, Run, TOKEN, with_root};

/// An ACTIVE cluster bound to the practice's token, with one ACTIVE HSM
/// that adopted it: the state right after the root ceremony on CloudHSM.
fn online_cluster(p: &Practice, emulator: &Emulator, extra_tags: &[(&str, &str)]) -> String {
    let tokens = p.path().join("tokens");
    let mut tags = vec![
        ("rootca:softhsm-token".to_string(), TOKEN.to_string()),
        (
            "rootca:softhsm-tokendir".to_string(),
            tokens.display().to_string(),
        ),
        ("rootca:emulator-state".to_string(), "ACTIVE".to_string()),
        ("rootca:emulator-polls".to_string(), "2".to_string()),
    ];
    tags.extend(
        extra_tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let tags = serde_json::to_string(
        &tags
            .iter()
            .map(|(k, v)| serde_json::json!({"Key": k, "Value": v}))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let run = emulator.python(
        p.path(),
        r#"
import json, sys, time, boto3
hsm = boto3.client("cloudhsmv2")
cid = hsm.create_cluster(HsmType="hsm2m.medium", SubnetIds=["subnet-0123456789abcdef0"],
                         TagList=json.loads(sys.argv[1]))["Cluster"]["ClusterId"]
def cluster():
    return hsm.describe_clusters(Filters={"clusterIds": [cid]})["Clusters"][0]
for _ in range(20):
    if cluster()["State"] == "ACTIVE":
        break
hsm.create_hsm(ClusterId=cid, AvailabilityZone="us-east-1a")
for _ in range(20):
    c = cluster()
    if c["Hsms"] and c["Hsms"][0]["State"] == "ACTIVE":
        break
assert cluster()["Hsms"][0]["State"] == "ACTIVE", cluster()
print(cid)
"#,
        &[&tags],
    );
    run.ok();
    run.stdout.trim().to_string()
}

/// `online_cluster`, then taken offline by a deactivate ceremony whose
/// transcript is out/off.transcript.jsonl: the state between sessions.
fn offline_cluster(p: &Practice, emulator: &Emulator) -> String {
    let cluster = online_cluster(p, emulator, &[]);
    p.write("deactivate.toml", &deactivate_toml(&cluster, "out/off"));
    rootca(p, emulator, &["run", "deactivate.toml", "--yes"]).ok();
    cluster
}

fn rootca(p: &Practice, emulator: &Emulator, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .env("ROOTCA_CLOUDHSM_POLL_MS", "20")
        .current_dir(p.path())
        .args(args);
    emulator.apply(&mut command);
    command.output().unwrap().into()
}

/// `rootca hsm status --json` of `cluster`, which must succeed.
fn status_json(p: &Practice, emulator: &Emulator, cluster: &str) -> serde_json::Value {
    let status = rootca(
        p,
        emulator,
        &["hsm", "status", "--cluster-id", cluster, "--json"],
    );
    status.ok();
    serde_json::from_str(&status.stdout).unwrap()
}

fn token_present(p: &Practice) -> bool {
    p.pkcs11_tool(&["--list-token-slots"])
        .stdout
        .contains(&format!("token label        : {TOKEN}"))
}

fn deactivate_toml(cluster: &str, out: &str) -> String {
    format!(
        r#"ceremony = "deactivate"
name = "Take the root offline"

[cloudhsm]
cluster_id = "{cluster}"
wait_minutes = 0.2

[outputs]
transcript = "{out}.transcript.jsonl"
"#
    )
}

fn reactivate_toml(cluster: &str, out: &str) -> String {
    format!(
        r#"ceremony = "reactivate"
name = "Bring the root back"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[cloudhsm]
cluster_id = "{cluster}"
availability_zone = "us-east-1a"
wait_minutes = 0.2

[verify]
key_label = "root"
certificate = "ca/root.pem"

[outputs]
transcript = "{out}.transcript.jsonl"
"#
    )
}

fn crl_toml(out: &str) -> String {
    format!(
        r#"ceremony = "crl"
name = "Root CRL 1"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[issuer]
key_label = "root"
certificate = "ca/root.pem"

[crl]
number = 1
this_update = "2026-01-10T00:00:00Z"
next_update = "2026-07-01T00:00:00Z"
signature = "ecdsa-sha384"
distribution_point = "http://crl.example.com/root.crl"

[outputs]
crl = "{out}.crl"
transcript = "{out}.transcript.jsonl"
"#
    )
}

fn entries(p: &Practice, transcript: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p.path().join(transcript))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn deactivate_reactivate_deactivate_with_the_key_proven_and_used_in_between() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = online_cluster(&p, &emulator, &[]);
    assert!(token_present(&p));

    let status = rootca(&p, &emulator, &["hsm", "status", "--cluster-id", &cluster]);
    status.ok();
    assert!(
        status.stdout.contains("ONLINE: 1 HSM running"),
        "{}",
        status.stdout
    );

    // Offline: every HSM deleted, the backup kept forever, the token gone.
    p.write(
        "deactivate.toml",
        &deactivate_toml(&cluster, "out/deactivate-1"),
    );
    let off = rootca(&p, &emulator, &["run", "deactivate.toml", "--yes"]);
    off.ok();
    assert!(!token_present(&p), "the key is usable offline");
    let e = entries(&p, "out/deactivate-1.transcript.jsonl");
    let kept = e
        .iter()
        .find(|e| e["event"] == "Mark the backup never-expires" && e["status"] == "ok")
        .unwrap();
    let backup = kept["details"]["backup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(backup.starts_with("backup-"), "{backup}");
    assert_eq!(kept["details"]["backup"]["never_expires"], true);
    let v = status_json(&p, &emulator, &cluster);
    assert_eq!(v["verdict"], "offline");
    assert_eq!(v["backup"], backup.as_str());
    assert_eq!(
        v["verdict_line"],
        format!("offline, key held by backup {backup} (never expires)")
    );

    // While offline nothing can be signed: the token is not there.
    p.write("crl.toml", &crl_toml("out/crl-1"));
    let refused = rootca(&p, &emulator, &["run", "crl.toml", "--yes"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains(&format!("no token labelled \"{TOKEN}\"")),
        "{}",
        refused.stderr
    );
    assert!(!p.path().join("out/crl-1.crl").exists());

    // Back: one HSM, the backup restored, the key proven by a signature.
    p.write(
        "reactivate.toml",
        &reactivate_toml(&cluster, "out/reactivate-1"),
    );
    let on = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    on.ok();
    assert!(token_present(&p));
    assert!(
        on.stdout
            .contains("verified under the root certificate's key"),
        "{}",
        on.stdout
    );
    // A second reactivation uses that HSM, never a second one.
    p.write(
        "reactivate2.toml",
        &reactivate_toml(&cluster, "out/reactivate-2"),
    );
    let again = rootca(&p, &emulator, &["run", "reactivate2.toml", "--yes"]);
    again.ok();
    assert!(
        again
            .stdout
            .contains("already there; used, not created again"),
        "{}",
        again.stdout
    );
    let v = status_json(&p, &emulator, &cluster);
    assert_eq!(v["hsms"], 1, "{}", v);
    // How long it has run, from the reactivation's transcript, and its cost.
    let status = rootca(
        &p,
        &emulator,
        &[
            "hsm",
            "status",
            "--cluster-id",
            &cluster,
            "--transcripts",
            "out",
            "--hourly-price",
            "1.85",
        ],
    );
    status.ok();
    assert!(
        status.stdout.contains("ONLINE: 1 HSM running for ")
            && status
                .stdout
                .contains("so far and 1.85 per hour at 1.85 per HSM-hour")
            && status.stdout.contains(" ago)"),
        "{}",
        status.stdout
    );

    // The restored key signs: the CRL ceremony completes and openssl agrees.
    rootca(&p, &emulator, &["run", "crl.toml", "--yes"]).ok();
    common::openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "out/crl-1.crl",
            "-CAfile",
            "ca/root.pem",
            "-noout",
        ],
        p.path(),
    )
    .ok();

    // And offline again.
    p.write(
        "deactivate2.toml",
        &deactivate_toml(&cluster, "out/deactivate-2"),
    );
    rootca(&p, &emulator, &["run", "deactivate2.toml", "--yes"]).ok();
    assert!(!token_present(&p));
    // The backup kept is the one this deletion took, which holds the key as
    // the session left it: never the previous deactivation's, however close.
    let e = entries(&p, "out/deactivate-2.transcript.jsonl");
    let second = e
        .iter()
        .find(|e| e["event"] == "Mark the backup never-expires" && e["status"] == "ok")
        .unwrap()["details"]["backup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        second, backup,
        "the first deactivation's backup was taken for the second's"
    );
    for t in [
        "out/deactivate-1.transcript.jsonl",
        "out/reactivate-1.transcript.jsonl",
        "out/reactivate-2.transcript.jsonl",
        "out/deactivate-2.transcript.jsonl",
    ] {
        rootca(&p, &emulator, &["transcript", "verify", t]).ok();
    }
}

#[test]
fn an_hsm_that_never_becomes_active_is_deleted_again_on_the_timeout() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    emulator
        .python(
            p.path(),
            "import sys, boto3\nhsm = boto3.client('cloudhsmv2')\n\
             arn = hsm.describe_clusters(Filters={'clusterIds': [sys.argv[1]]})['Clusters'][0]['ClusterId']\n\
             hsm.tag_resource(ResourceId=arn, TagList=[{'Key': 'rootca:emulator-fault', 'Value': 'hsm-never-active'}])",
            &[&cluster],
        )
        .ok();
    p.write("reactivate.toml", &reactivate_toml(&cluster, "out/on"));
    let run = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("did not become ACTIVE within")
            && run
                .stderr
                .contains("this ceremony created was deleted again"),
        "{}",
        run.stderr
    );
    // Nothing left running: once the deletion settles the cluster has no HSM.
    let mut hsms = 1;
    for _ in 0..10 {
        let v = status_json(&p, &emulator, &cluster);
        hsms = v["cluster"]["hsms"].as_array().unwrap().len();
        if hsms == 0 {
            break;
        }
    }
    assert_eq!(hsms, 0, "an HSM was left running");
}

#[test]
fn deactivating_a_cluster_that_is_offline_already_is_refused_and_changes_nothing() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = online_cluster(&p, &emulator, &[]);
    p.write("d1.toml", &deactivate_toml(&cluster, "out/d1"));
    rootca(&p, &emulator, &["run", "d1.toml", "--yes"]).ok();
    p.write("d2.toml", &deactivate_toml(&cluster, "out/d2"));
    let run = rootca(&p, &emulator, &["run", "d2.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the root is offline already"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("out/d2.transcript.jsonl").exists());
}

#[test]
fn access_denied_half_way_names_what_was_done_and_a_rerun_finishes() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = online_cluster(
        &p,
        &emulator,
        &[(
            "rootca:emulator-fault",
            "access-denied:ModifyBackupAttributes",
        )],
    );
    p.write("deactivate.toml", &deactivate_toml(&cluster, "out/off"));
    let run = rootca(&p, &emulator, &["run", "deactivate.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("ModifyBackupAttributes")
            && run.stderr.contains("access denied")
            && run.stderr.contains("deleted the HSMs"),
        "{}",
        run.stderr
    );
    // The fault fires once: run again, the ceremony resumes and finishes.
    let again = rootca(&p, &emulator, &["run", "deactivate.toml", "--yes"]);
    again.ok();
    // The resumed run's record of the deletion still names the HSM the
    // first run deleted, whose zone and IP a reactivation reuses.
    let e = entries(&p, "out/off.transcript.jsonl");
    let deletions: Vec<&serde_json::Value> = e
        .iter()
        .filter(|e| e["event"] == "Delete every HSM of the cluster" && e["status"] == "ok")
        .collect();
    assert_eq!(deletions.len(), 2, "the first run's and the resumed run's");
    for d in deletions {
        let id = d["details"]["deleted"][0]["id"]
            .as_str()
            .unwrap_or_default();
        assert!(id.starts_with("hsm-"), "{d}");
    }
    let status = rootca(&p, &emulator, &["hsm", "status", "--cluster-id", &cluster]);
    assert!(
        status.stdout.contains("(never expires)"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_reactivation_killed_while_waiting_for_its_hsm_uses_that_hsm_when_run_again() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    p.write("reactivate.toml", &reactivate_toml(&cluster, "out/on"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .env("ROOTCA_CLOUDHSM_POLL_MS", "20")
        .env("ROOTCA_TEST_PAUSE", "created-hsm")
        .current_dir(p.path())
        .args(["run", "reactivate.toml", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    emulator.apply(&mut command);
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("paused at created-hsm") {
        let n = std::io::Read::read(&mut stderr, &mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let again = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    again.ok();
    assert!(
        again
            .stdout
            .contains("created by the interrupted run before the journal recorded it"),
        "{}",
        again.stdout
    );
    let v = status_json(&p, &emulator, &cluster);
    assert_eq!(v["hsms"], 1, "one HSM, never a second: {}", v);
}

#[test]
fn a_restored_key_that_is_not_the_root_certificates_is_refused_loudly() {
    let emulator = Emulator::shared();
    let p = with_root();
    let other = with_root(); // another root, another key under the same label
    std::fs::copy(
        other.path().join("ca/root.pem"),
        p.path().join("other-root.pem"),
    )
    .unwrap();
    let cluster = offline_cluster(&p, &emulator);
    p.write(
        "reactivate.toml",
        &reactivate_toml(&cluster, "out/on").replace("ca/root.pem", "other-root.pem"),
    );
    let run = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("is not the key of the issuer certificate other-root.pem")
            && run.stderr.contains("created HSM hsm-")
            && run
                .stderr
                .contains("aws cloudhsmv2 delete-hsm --cluster-id"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_restored_token_without_the_key_is_refused_loudly() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    p.write(
        "reactivate.toml",
        &reactivate_toml(&cluster, "out/on")
            .replace("key_label = \"root\"", "key_label = \"root-g2\""),
    );
    let run = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("labelled \"root-g2\", found 0 private and 0 public")
            && run.stderr.contains("created HSM hsm-"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cluster_without_hsm_or_ready_backup_is_not_reactivated() {
    let emulator = Emulator::shared();
    let p = with_root();
    let run = emulator.python(
        p.path(),
        r#"
import sys, boto3
hsm = boto3.client("cloudhsmv2")
tags = [{"Key": "rootca:emulator-state", "Value": "ACTIVE"}, {"Key": "rootca:emulator-polls", "Value": "0"}]
print(hsm.create_cluster(HsmType="hsm2m.medium", SubnetIds=["subnet-0123456789abcdef0"], TagList=tags)["Cluster"]["ClusterId"])
"#,
        &[],
    );
    run.ok();
    let cluster = run.stdout.trim().to_string();
    p.write("reactivate.toml", &reactivate_toml(&cluster, "out/on"));
    let run = rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("has no HSM and no READY backup")
            && run.stderr.contains("Nothing was changed"),
        "{}",
        run.stderr
    );
    let status = rootca(&p, &emulator, &["hsm", "status", "--cluster-id", &cluster]);
    assert!(status.stdout.contains("NO BACKUP"), "{}", status.stdout);
}

#[test]
fn a_reactivation_reuses_the_zone_and_ip_of_the_hsm_the_last_deactivation_deleted() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    let e = entries(&p, "out/off.transcript.jsonl");
    let deleted = e
        .iter()
        .find(|e| e["event"] == "Delete every HSM of the cluster" && e["status"] == "ok")
        .unwrap()["details"]["deleted"][0]
        .clone();
    let old_ip = deleted["eni_ip"].as_str().unwrap().to_string();

    let text = reactivate_toml(&cluster, "out/on").replace(
        "availability_zone = \"us-east-1a\"",
        "previous_deactivation = \"out/off.transcript.jsonl\"",
    );
    p.write("reactivate.toml", &text);
    let check = rootca(&p, &emulator, &["check", "reactivate.toml"]);
    check.ok();
    assert!(
        check
            .stdout
            .contains(&format!("CreateHsm in us-east-1a at {old_ip}")),
        "{}",
        check.stdout
    );
    rootca(&p, &emulator, &["run", "reactivate.toml", "--yes"]).ok();
    let v = status_json(&p, &emulator, &cluster);
    assert_eq!(v["cluster"]["hsms"][0]["eni_ip"], old_ip.as_str(), "{}", v);

    // A transcript that is not this cluster's deactivation is refused at check.
    p.write(
        "wrong.toml",
        &reactivate_toml(&cluster, "out/wrong").replace(
            "availability_zone = \"us-east-1a\"",
            "previous_deactivation = \"ca/root.transcript.jsonl\"",
        ),
    );
    let wrong = rootca(&p, &emulator, &["check", "wrong.toml"]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("cloudhsm.previous_deactivation")
            && wrong
                .stderr
                .contains("is not the transcript of a deactivation of"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn without_the_right_to_keep_a_backup_nothing_is_deleted() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = online_cluster(&p, &emulator, &[]);
    // A backup to keep first: one deactivation and reactivation.
    p.write("d1.toml", &deactivate_toml(&cluster, "out/d1"));
    rootca(&p, &emulator, &["run", "d1.toml", "--yes"]).ok();
    p.write("r1.toml", &reactivate_toml(&cluster, "out/r1"));
    rootca(&p, &emulator, &["run", "r1.toml", "--yes"]).ok();
    // The newest backup may expire again, and keeping it is denied.
    emulator
        .python(
            p.path(),
            "import sys, boto3\nhsm = boto3.client('cloudhsmv2')\n\
             for _ in range(5):\n    hsm.describe_backups(Filters={'clusterIds': [sys.argv[1]]})\n\
             bs = hsm.describe_backups(Filters={'clusterIds': [sys.argv[1]]}, SortAscending=False)['Backups']\n\
             b = [b for b in bs if b['BackupState'] == 'READY'][0]\n\
             hsm.modify_backup_attributes(BackupId=b['BackupId'], NeverExpires=False)\n\
             hsm.tag_resource(ResourceId=sys.argv[1], TagList=[{'Key': 'rootca:emulator-fault', 'Value': 'access-denied:ModifyBackupAttributes'}])",
            &[&cluster],
        )
        .ok();
    p.write("d2.toml", &deactivate_toml(&cluster, "out/d2"));
    let run = rootca(&p, &emulator, &["run", "d2.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("access denied") && run.stderr.contains("Nothing was changed"),
        "{}",
        run.stderr
    );
    assert!(token_present(&p), "an HSM was deleted");
    let status = rootca(&p, &emulator, &["hsm", "status", "--cluster-id", &cluster]);
    assert!(status.stdout.contains("ONLINE: 1 HSM"), "{}", status.stdout);
}
