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

/// Runs rootca with `args` until it reaches the pause point `point`, and
/// kills it there with SIGKILL, as a power cut would.
fn kill_at(p: &Practice, emulator: &Emulator, args: &[&str], point: &str) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .env("ROOTCA_CLOUDHSM_POLL_MS", "20")
        .env("ROOTCA_TEST_PAUSE", point)
        .current_dir(p.path())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    emulator.apply(&mut command);
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains(&format!("paused at {point}")) {
        let n = std::io::Read::read(&mut stderr, &mut buf).unwrap();
        assert!(
            n > 0,
            "rootca ended before {point}:\n{}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    child.kill().unwrap();
    child.wait().unwrap();
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
    kill_at(
        &p,
        &emulator,
        &["run", "reactivate.toml", "--yes"],
        "created-hsm",
    );

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

fn session_toml(cluster: &str, out: &str, ceremonies: &[&str]) -> String {
    format!(
        r#"ceremony = "session"
name = "Yearly session"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[cloudhsm]
cluster_id = "{cluster}"
previous_deactivation = "out/off.transcript.jsonl"
wait_minutes = 0.2
client_command = ["true"]

[verify]
key_label = "root"
certificate = "ca/root.pem"

[session]
ceremonies = {ceremonies:?}

[outputs]
transcript = "{out}.transcript.jsonl"
"#
    )
}

/// The emulator's view of a region: its clusters (ID, state, HSM count)
/// and its backups (ID, state, never-expires, source backup).
fn region(p: &Practice, emulator: &Emulator, name: &str) -> serde_json::Value {
    let run = emulator.python(
        p.path(),
        r#"
import json, sys, boto3
hsm = boto3.client("cloudhsmv2", region_name=sys.argv[1])
clusters = [{"id": c["ClusterId"], "state": c["State"], "hsms": len(c["Hsms"])}
            for c in hsm.describe_clusters()["Clusters"]]
backups = [{"id": b["BackupId"], "state": b["BackupState"], "never_expires": b.get("NeverExpires"),
            "source": b.get("SourceBackup"), "cluster": b.get("ClusterId")}
           for b in hsm.describe_backups()["Backups"]]
print(json.dumps({"clusters": clusters, "backups": backups}))
"#,
        &[name],
    );
    run.ok();
    serde_json::from_str(run.stdout.trim()).unwrap()
}

/// The emulator's state of one source cluster: its HSMs and backups.
fn source_state(p: &Practice, emulator: &Emulator, cluster: &str) -> serde_json::Value {
    let all = region(p, emulator, "us-east-1");
    let backups: Vec<&serde_json::Value> = all["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["cluster"] == cluster)
        .collect();
    let clusters: Vec<&serde_json::Value> = all["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == cluster)
        .collect();
    serde_json::json!({ "clusters": clusters, "backups": backups })
}

#[test]
fn a_yearly_session_brings_the_root_back_signs_a_crl_and_takes_it_offline() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    let backups_before = status_json(&p, &emulator, &cluster)["backups"]
        .as_array()
        .unwrap()
        .len();
    p.write("crl.toml", &crl_toml("out/crl-1"));
    p.write(
        "session.toml",
        &session_toml(&cluster, "out/session", &["crl.toml"]),
    );

    // The plan shows the CRL ceremony's own steps inside the session's.
    let check = rootca(&p, &emulator, &["check", "session.toml"]);
    check.ok();
    for line in [
        "Create one HSM, restoring the newest backup",
        "Run the crl ceremony crl.toml",
        "Sign the CRL with the root key",
        "Read the cluster before taking the root offline",
        "Record the HSM time the session cost",
    ] {
        assert!(check.stdout.contains(line), "{line}:\n{}", check.stdout);
    }

    let run = rootca(&p, &emulator, &["run", "session.toml", "--yes"]);
    run.ok();
    // The CRL the session's ceremony signed verifies under the root.
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
            "-verify",
        ],
        p.path(),
    )
    .ok();
    rootca(
        &p,
        &emulator,
        &["transcript", "verify", "out/crl-1.transcript.jsonl"],
    )
    .ok();
    rootca(
        &p,
        &emulator,
        &["transcript", "verify", "out/session.transcript.jsonl"],
    )
    .ok();

    // Offline again: no HSM, the token gone, one more backup, never expiring.
    let status = status_json(&p, &emulator, &cluster);
    assert_eq!(
        status["cluster"]["hsms"].as_array().unwrap().len(),
        0,
        "{status}"
    );
    assert!(!token_present(&p));
    let backups = status["backups"].as_array().unwrap();
    assert_eq!(backups.len(), backups_before + 1, "{status}");
    assert!(
        backups.iter().all(|b| b["never_expires"] == true),
        "{status}"
    );

    // The transcript names the CRL ceremony's transcript and last hash,
    // and what the HSM time cost.
    let entries = entries(&p, "out/session.transcript.jsonl");
    let ran = entries
        .iter()
        .find(|e| e["event"] == "Run the crl ceremony crl.toml" && e["status"] == "ok")
        .expect("the CRL ceremony's entry");
    assert_eq!(ran["details"]["last_hash"].as_str().unwrap().len(), 64);
    let cost = entries
        .iter()
        .find(|e| e["event"] == "Record the HSM time the session cost")
        .unwrap();
    let minutes = cost["details"]["hsm_minutes"].as_f64().unwrap();
    let parts = cost["details"]["waiting_for_aws_minutes"].as_f64().unwrap()
        + cost["details"]["in_ceremonies_minutes"].as_f64().unwrap()
        + cost["details"]["other_minutes"].as_f64().unwrap();
    assert!(minutes > 0.0 && (minutes - parts).abs() < 1e-6, "{cost}");
    assert_eq!(entries.last().unwrap()["event"], "ceremony complete");
}

#[test]
fn a_session_whose_ceremony_is_refused_still_ends_with_the_root_offline() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    // Valid as a file, refused when run: the key labelled "root" is not
    // the key of this other root's certificate.
    let other = with_root();
    std::fs::copy(
        other.path().join("ca/root.pem"),
        p.path().join("other-root.pem"),
    )
    .unwrap();
    p.write(
        "crl.toml",
        &crl_toml("out/crl-1").replace(
            "certificate = \"ca/root.pem\"",
            "certificate = \"other-root.pem\"",
        ),
    );
    p.write("crl-2.toml", &crl_toml("out/crl-2"));
    p.write(
        "session.toml",
        &session_toml(&cluster, "out/session", &["crl.toml", "crl-2.toml"]),
    );
    rootca(&p, &emulator, &["check", "session.toml"]).ok();
    let run = rootca(&p, &emulator, &["run", "session.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    for said in [
        "(Run the crl ceremony crl.toml) failed: `rootca run",
        "was refused (exit 2)",
        "the root was taken offline again",
        "has no HSM",
        "there is nothing to resume",
    ] {
        assert!(run.stderr.contains(said), "{said}:\n{}", run.stderr);
    }
    assert!(
        run.stdout.contains("not run: step 9 failed"),
        "{}",
        run.stdout
    );
    assert!(!p.path().join("out/crl-2.crl").exists());
    assert!(!p.path().join("out/crl-1.crl").exists());

    let status = status_json(&p, &emulator, &cluster);
    assert_eq!(
        status["cluster"]["hsms"].as_array().unwrap().len(),
        0,
        "{status}"
    );
    assert!(!token_present(&p));
    // The transcript is closed with the failure, and verifies.
    rootca(
        &p,
        &emulator,
        &["transcript", "verify", "out/session.transcript.jsonl"],
    )
    .ok();
    let entries = entries(&p, "out/session.transcript.jsonl");
    let last = entries.last().unwrap();
    assert_eq!(last["event"], "ceremony failed", "{last}");
    assert!(
        last["details"]["afterwards"][0]
            .as_str()
            .unwrap()
            .contains("taken offline again"),
        "{last}"
    );
    assert!(entries.iter().any(|e| e["status"] == "not run"));
}

#[test]
fn a_session_refuses_at_check_a_listed_file_that_cannot_run() {
    let emulator = Emulator::shared();
    let p = with_root();
    p.write(
        "crl.toml",
        &crl_toml("out/crl-1").replace("number = 1", "number = 0"),
    );
    p.write(
        "deactivate.toml",
        &deactivate_toml("cluster-abcdefghijk", "out/off"),
    );
    p.write(
        "session.toml",
        &session_toml(
            "cluster-abcdefghijk",
            "out/session",
            &["crl.toml", "deactivate.toml", "missing.toml"],
        )
        .replace(
            "previous_deactivation = \"out/off.transcript.jsonl\"\n",
            "availability_zone = \"us-east-1a\"\n",
        ),
    );
    let run = rootca(&p, &emulator, &["check", "session.toml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for said in [
        "session.ceremonies",
        "crl.toml cannot be run",
        "crl.number",
        "deactivate.toml is a deactivate ceremony: a session runs the ceremonies that use the root's HSM",
        "missing.toml cannot be run",
    ] {
        assert!(run.stderr.contains(said), "{said}:\n{}", run.stderr);
    }
    assert!(!p.path().join("out").exists());
}

#[test]
fn ctrl_c_during_a_sessions_ceremony_still_takes_the_root_offline() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    p.write("crl.toml", &crl_toml("out/crl-1"));
    p.write(
        "session.toml",
        &session_toml(&cluster, "out/session", &["crl.toml"]),
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_rootca"));
    command
        .env("SOFTHSM2_CONF", &p.conf)
        .env("ROOTCA_CLOUDHSM_POLL_MS", "20")
        .current_dir(p.path())
        .args(["run", "session.toml"]);
    emulator.apply(&mut command);
    let mut officer = common::Interactive::start(command);
    officer.wait_for(common::PROMPT, 1); // the session's: create the HSM
    officer.answer("yes");
    officer.wait_for(common::PROMPT, 2); // the CRL ceremony's: sign
    officer.ctrl_c();
    let run = officer.finish();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("was interrupted by Ctrl-C")
            && run.stderr.contains("the root was taken offline again"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("out/crl-1.crl").exists());
    let status = status_json(&p, &emulator, &cluster);
    assert_eq!(
        status["cluster"]["hsms"].as_array().unwrap().len(),
        0,
        "{status}"
    );
    assert!(!token_present(&p));
    let entries = entries(&p, "out/session.transcript.jsonl");
    assert_eq!(entries.last().unwrap()["event"], "ceremony failed");
}

fn drill_toml(cluster: &str, out: &str) -> String {
    format!(
        r#"ceremony = "dr-drill"
name = "DR drill"

[hsm]
module = "{MODULE}"
token = "{TOKEN}"
pin = {{ file = "pin.txt" }}

[aws]
region = "us-east-1"

[cloudhsm]
cluster_id = "{cluster}"
drill_region = "us-west-2"
drill_subnet_ids = ["subnet-0fedcba9876543210"]
wait_minutes = 0.2
client_command = ["true"]

[verify]
key_label = "root"
certificate = "ca/root.pem"

[outputs]
report = "{out}.md"
transcript = "{out}.transcript.jsonl"
"#
    )
}

/// What the drill of `report` left in us-west-2 that is not being
/// deleted: backups not PENDING_DELETION, copied from `sources` or taken of
/// its drill cluster. Other tests' drills share the emulated region, so
/// only this drill's own count.
fn left_in_drill_region(
    p: &Practice,
    emulator: &Emulator,
    sources: &[String],
    report: &serde_json::Value,
) -> Vec<String> {
    let west = region(p, emulator, "us-west-2");
    let mut left = Vec::new();
    for b in west["backups"].as_array().unwrap() {
        let ours = sources.iter().any(|s| b["source"] == s.as_str())
            || (b["cluster"].is_string() && b["cluster"] == report["drill_cluster"]);
        if ours && b["state"] != "PENDING_DELETION" {
            left.push(format!("backup {}", b["id"]));
        }
    }
    left
}

fn source_backups(p: &Practice, emulator: &Emulator, cluster: &str) -> Vec<String> {
    source_state(p, emulator, cluster)["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

fn drill_clusters(
    p: &Practice,
    emulator: &Emulator,
    report: &serde_json::Value,
) -> Vec<serde_json::Value> {
    let west = region(p, emulator, "us-west-2");
    west["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| report["drill_cluster"] == c["id"])
        .cloned()
        .collect()
}

fn report_json(p: &Practice, out: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p.path().join(format!("{out}.json"))).unwrap())
        .unwrap()
}

#[test]
fn a_dr_drill_restores_the_key_in_another_region_and_leaves_nothing_there() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    let source_before = source_state(&p, &emulator, &cluster);
    p.write("drill.toml", &drill_toml(&cluster, "out/drill"));
    rootca(&p, &emulator, &["check", "drill.toml"]).ok();
    let run = rootca(&p, &emulator, &["run", "drill.toml", "--yes"]);
    run.ok();

    let report = report_json(&p, "out/drill");
    assert_eq!(report["verdict"], "PASS", "{report}");
    let recovery = report["recovery_seconds"].as_f64().unwrap();
    let waits = report["waits_seconds"].as_f64().unwrap();
    assert!(recovery > 0.0 && waits <= recovery, "{report}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 16, "{report}");
    let md = std::fs::read_to_string(p.path().join("out/drill.md")).unwrap();
    assert!(md.starts_with("# Disaster-recovery drill: PASS"), "{md}");
    assert!(md.contains(report["copy"]["id"].as_str().unwrap()), "{md}");

    // Nothing left in the drill region but backups on their way out; the
    // source region as it was; the token gone again.
    assert!(drill_clusters(&p, &emulator, &report).is_empty());
    assert_eq!(
        left_in_drill_region(
            &p,
            &emulator,
            &source_backups(&p, &emulator, &cluster),
            &report
        ),
        Vec::<String>::new()
    );
    for r in report["resources"].as_array().unwrap() {
        assert!(
            r["fate"] == "deleted"
                || r["fate"]
                    .as_str()
                    .unwrap()
                    .starts_with("PENDING_DELETION until"),
            "{r}"
        );
    }
    assert_eq!(source_state(&p, &emulator, &cluster), source_before);
    assert!(!token_present(&p));
    rootca(
        &p,
        &emulator,
        &["transcript", "verify", "out/drill.transcript.jsonl"],
    )
    .ok();
}

/// A drill that fails: exit 1, a FAIL report naming `reason`, nothing
/// left in the drill region but what the report names, the source as it was.
fn failing_drill(
    p: &Practice,
    emulator: &Emulator,
    cluster: &str,
    file: &str,
    reason: &str,
) -> serde_json::Value {
    let source_before = source_state(p, emulator, cluster);
    p.write("drill.toml", file);
    let run = rootca(p, emulator, &["run", "drill.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the drill report out/drill.md says FAIL"),
        "{}",
        run.stderr
    );
    let report = report_json(p, "out/drill");
    assert_eq!(report["verdict"], "FAIL");
    assert!(
        report["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains(reason)),
        "{reason}: {report}"
    );
    let named: Vec<String> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["remove_with"].is_string())
        .map(|r| format!("backup \"{}\"", r["id"].as_str().unwrap()))
        .collect();
    for left in left_in_drill_region(p, emulator, &source_backups(p, emulator, cluster), &report) {
        assert!(
            named.contains(&left),
            "{left} is left, and the report does not name it: {report}"
        );
    }
    assert_eq!(source_state(p, emulator, cluster), source_before);
    report
}

/// Sets the emulator's fault tag of `cluster` to `faults`.
fn cluster_faults(p: &Practice, emulator: &Emulator, cluster: &str, faults: &str) {
    emulator
        .python(
            p.path(),
            r#"
import sys, boto3
boto3.client("cloudhsmv2").tag_resource(ResourceId=sys.argv[1], TagList=[{"Key": "rootca:emulator-fault", "Value": sys.argv[2]}])
"#,
            &[cluster, faults],
        )
        .ok();
}

/// Tags the newest backup of `cluster` so that what is made from it in the
/// drill region misbehaves as `faults` says.
fn drill_faults(p: &Practice, emulator: &Emulator, cluster: &str, faults: &str) {
    emulator
        .python(
            p.path(),
            r#"
import sys, boto3
hsm = boto3.client("cloudhsmv2")
b = hsm.describe_backups(Filters={"clusterIds": [sys.argv[1]]})["Backups"][0]
hsm.tag_resource(ResourceId=b["BackupId"], TagList=[{"Key": "rootca:emulator-drill-fault", "Value": sys.argv[2]}])
"#,
            &[cluster, faults],
        )
        .ok();
}

/// A drill whose drill region misbehaves as `faults` says fails for
/// `reason`, and tears down everything it made: nothing is left to remove.
fn drill_fails_and_leaves_nothing(faults: &str, reason: &str) {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    drill_faults(&p, &emulator, &cluster, faults);
    let report = failing_drill(
        &p,
        &emulator,
        &cluster,
        &drill_toml(&cluster, "out/drill"),
        reason,
    );
    assert!(drill_clusters(&p, &emulator, &report).is_empty());
    assert!(
        report["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["remove_with"].is_null()),
        "{report}"
    );
}

#[test]
fn a_drill_whose_hsm_never_becomes_active_tears_down_and_says_fail() {
    drill_fails_and_leaves_nothing("hsm-never-active", "did not become ACTIVE");
}

#[test]
fn a_drill_denied_half_way_tears_down_what_it_made() {
    drill_fails_and_leaves_nothing("access-denied:CreateHsm", "access denied");
}

#[test]
fn a_drill_that_cannot_delete_its_cluster_names_it_and_the_command() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    drill_faults(&p, &emulator, &cluster, "access-denied:DeleteCluster");
    p.write("drill.toml", &drill_toml(&cluster, "out/drill"));
    let run = rootca(&p, &emulator, &["run", "drill.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = report_json(&p, "out/drill");
    assert_eq!(report["verdict"], "FAIL");
    let left = drill_clusters(&p, &emulator, &report);
    assert_eq!(left.len(), 1, "{report}");
    let named = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "cluster")
        .unwrap();
    assert!(
        named["remove_with"]
            .as_str()
            .unwrap()
            .contains("aws cloudhsmv2 delete-cluster --region us-west-2"),
        "{named}"
    );
    assert!(
        run.stderr
            .contains("aws cloudhsmv2 delete-cluster --region us-west-2"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_drill_whose_copy_never_becomes_ready_names_the_copy_it_leaves() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    cluster_faults(&p, &emulator, &cluster, "copy-never-ready");
    let report = failing_drill(
        &p,
        &emulator,
        &cluster,
        &drill_toml(&cluster, "out/drill"),
        "did not become READY",
    );
    assert!(report["drill_cluster"].is_null(), "{report}");
}

#[test]
fn a_drill_whose_restored_token_lacks_the_key_tears_down_and_says_fail() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    let report = failing_drill(
        &p,
        &emulator,
        &cluster,
        &drill_toml(&cluster, "out/drill")
            .replace("key_label = \"root\"", "key_label = \"root-g2\""),
        "found 0 private and 0 public",
    );
    assert!(report["recovery_seconds"].is_null());
    assert!(drill_clusters(&p, &emulator, &report).is_empty());
    assert!(!token_present(&p));
}

#[test]
fn a_session_that_cannot_take_the_root_offline_says_what_runs_and_the_command() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    cluster_faults(&p, &emulator, &cluster, "access-denied:DeleteHsm");
    p.write("crl.toml", &crl_toml("out/crl-1"));
    p.write(
        "session.toml",
        &session_toml(&cluster, "out/session", &["crl.toml"]),
    );
    let run = rootca(&p, &emulator, &["run", "session.toml", "--yes"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("(Delete every HSM of the cluster) failed")
            && run.stderr.contains("access denied")
            && run.stderr.contains("created HSM hsm-")
            && run
                .stderr
                .contains(&format!("aws cloudhsmv2 delete-hsm --cluster-id {cluster}")),
        "{}",
        run.stderr
    );
    // The CRL was signed; the HSM is still there, as the message says.
    assert!(p.path().join("out/crl-1.crl").exists());
    let status = status_json(&p, &emulator, &cluster);
    assert_eq!(
        status["cluster"]["hsms"].as_array().unwrap().len(),
        1,
        "{status}"
    );
}

#[test]
fn a_session_killed_after_its_ceremony_resumes_and_takes_the_root_offline() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    p.write("crl.toml", &crl_toml("out/crl-1"));
    p.write(
        "session.toml",
        &session_toml(&cluster, "out/session", &["crl.toml"]),
    );
    // SIGKILL: nothing of the session's own cleanup runs.
    kill_at(
        &p,
        &emulator,
        &["run", "session.toml", "--yes"],
        "after-step-9",
    );
    let crl = std::fs::read(p.path().join("out/crl-1.crl")).unwrap();
    assert_eq!(
        status_json(&p, &emulator, &cluster)["cluster"]["hsms"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Run again: the HSM found again, the CRL ceremony not run again, the root offline.
    let run = rootca(&p, &emulator, &["run", "session.toml", "--yes"]);
    run.ok();
    assert!(
        run.stdout
            .contains("the HSM this ceremony created, found again")
            && run.stdout.contains("completed before the interruption"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read(p.path().join("out/crl-1.crl")).unwrap(), crl);
    let status = status_json(&p, &emulator, &cluster);
    assert_eq!(
        status["cluster"]["hsms"].as_array().unwrap().len(),
        0,
        "{status}"
    );
    assert!(!token_present(&p));
}

#[test]
fn a_drill_killed_with_its_hsm_up_resumes_without_making_anything_twice() {
    let emulator = Emulator::shared();
    let p = with_root();
    let cluster = offline_cluster(&p, &emulator);
    p.write("drill.toml", &drill_toml(&cluster, "out/drill"));
    kill_at(
        &p,
        &emulator,
        &["run", "drill.toml", "--yes"],
        "after-step-7",
    );
    // The drill cluster the killed run made, as its journal records it,
    // with its HSM up (other tests share the emulated us-west-2).
    let made = entries(&p, "out/drill.transcript.jsonl.partial")
        .into_iter()
        .find(|e| {
            e["event"] == "Create a drill cluster in us-west-2 from the copy" && e["status"] == "ok"
        })
        .unwrap()["details"]["cluster"]
        .clone();
    let west = region(&p, &emulator, "us-west-2");
    let live: Vec<&serde_json::Value> = west["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == made && c["hsms"] == 1)
        .collect();
    assert_eq!(live.len(), 1, "{made}: {west}");

    let run = rootca(&p, &emulator, &["run", "drill.toml", "--yes"]);
    run.ok();
    assert!(
        run.stdout
            .contains("made before the interruption, found again")
            && run
                .stdout
                .contains("the HSM this ceremony created, found again"),
        "{}",
        run.stdout
    );
    let report = report_json(&p, "out/drill");
    assert_eq!(report["verdict"], "PASS", "{report}");
    assert_eq!(report["drill_cluster"], live[0]["id"], "{report}");
    assert!(drill_clusters(&p, &emulator, &report).is_empty());
    assert_eq!(
        left_in_drill_region(
            &p,
            &emulator,
            &source_backups(&p, &emulator, &cluster),
            &report
        ),
        Vec::<String>::new()
    );
}

#[test]
fn a_drill_without_a_kept_backup_or_with_bad_fields_is_refused_and_changes_nothing() {
    let emulator = Emulator::shared();
    let p = with_root();
    // Online, never deactivated: no backup that never expires.
    let cluster = online_cluster(&p, &emulator, &[]);
    p.write("drill.toml", &drill_toml(&cluster, "out/drill"));
    let run = rootca(&p, &emulator, &["run", "drill.toml", "--yes"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("has no READY backup that never expires"),
        "{}",
        run.stderr
    );
    assert!(!p.path().join("out").exists());
    // Nothing was copied (other tests share the emulator's us-west-2).
    let sources = source_backups(&p, &emulator, &cluster);
    let copies = region(&p, &emulator, "us-west-2")["backups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| sources.iter().any(|s| b["source"] == s.as_str()))
        .count();
    assert_eq!(copies, 0);

    p.write(
        "bad.toml",
        &drill_toml(&cluster, "out/drill")
            .replace(
                "drill_region = \"us-west-2\"",
                "drill_region = \"us-east-1\"",
            )
            .replace("subnet-0fedcba9876543210", "subnet-xyz")
            .replace("out/drill.md", "out/drill.txt"),
    );
    let run = rootca(&p, &emulator, &["check", "bad.toml"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for said in [
        "cloudhsm.drill_region (line 14): is the source region us-east-1",
        "cloudhsm.drill_subnet_ids (line 15): \"subnet-xyz\" is not a subnet ID",
        "outputs.report (line 24): must end in .md",
    ] {
        assert!(run.stderr.contains(said), "{said}:\n{}", run.stderr);
    }
}
