"""The emulated CloudHSM v2 (cloudhsm.py), over real HTTP with boto3 and raw JSON 1.1 requests,
with clusters bound to real SoftHSM tokens checked with softhsm2-util and pkcs11-tool.

Run: .venv/bin/pytest scripts/emulator
"""

import datetime
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

HERE = pathlib.Path(__file__).resolve().parent
SCRIPTS = HERE.parent
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
POLLS = 2  # ROOTCA_EMULATOR_CLOUDHSM_POLLS of the session's emulator
TOKEN = "rootca:softhsm-token"
FAULT = "rootca:emulator-fault"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]


# --- the emulator and its SoftHSM ------------------------------------------------------------

class SoftHsm:
    """A SoftHSM configuration of its own under root, and the tools run with it."""

    def __init__(self, root: pathlib.Path):
        self.root = root
        self.tokens = root / "tokens"
        self.tokens.mkdir(parents=True)
        self.conf = root / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")

    def run(self, *args, check=True) -> str:
        out = subprocess.run(args, env=dict(os.environ, SOFTHSM2_CONF=str(self.conf)),
                             capture_output=True, text=True, timeout=60)
        if check:
            assert out.returncode == 0, f"{args}: {out.stderr}"
        return out.stdout

    def new_token(self, label: str) -> str:
        """A token with an EC key pair labelled root; returns the public key's EC point."""
        self.run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "1234", "--pin", "1234")
        self.run("pkcs11-tool", "--module", MODULE, "--token-label", label, "--login", "--pin", "1234",
                 "--keypairgen", "--key-type", "EC:prime256v1", "--label", "root")
        return self.root_key(label)

    def labels(self) -> list[str]:
        """Token labels pkcs11-tool -L lists."""
        return re.findall(r"token label\s*:\s*(.*?)\s*$", self.run("pkcs11-tool", "--module", MODULE, "-L"), re.M)

    def root_key(self, label: str) -> str | None:
        """The EC point of the public key labelled root in the token, as --list-objects shows it."""
        listing = self.run("pkcs11-tool", "--module", MODULE, "--token-label", label, "--login", "--pin", "1234",
                           "--list-objects")
        assert "Private Key Object; EC\n  label:      root" in listing, listing
        return re.search(r"EC_POINT:\s*([0-9a-f]+)", listing)[1]


class Emulator(SoftHsm):
    """An emulator started with its own SoftHSM (SOFTHSM2_CONF) and state folder."""

    def __init__(self, root: pathlib.Path, polls: int):
        super().__init__(root)
        self.state = root / "state"
        port_file = root / "port"
        env = dict(os.environ, SOFTHSM2_CONF=str(self.conf), ROOTCA_EMULATOR_STATE_DIR=str(self.state),
                   ROOTCA_EMULATOR_CLOUDHSM_POLLS=str(polls))
        env.pop("ROOTCA_EMULATOR_SOFTHSM_TOKENDIR", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--port", "0", "--port-file", str(port_file), "--idle-exit", "900"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert self.proc.poll() is None, "emulator exited at start"
            assert time.monotonic() < deadline, "emulator did not listen within 20 s"
            time.sleep(0.05)
        self.endpoint = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def client(self, region="us-east-1", retries=True):
        config = botocore.config.Config(retries={"total_max_attempts": 1}) if not retries else None
        return boto3.client("cloudhsmv2", endpoint_url=self.endpoint, region_name=region, config=config,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    started = Emulator(tmp_path_factory.mktemp("cloudhsm"), POLLS)
    yield started
    started.stop()


@pytest.fixture(scope="session")
def hsm(emulator):
    return emulator.client()


@pytest.fixture(scope="session")
def west(emulator):
    return emulator.client("us-west-2")


# --- helpers ---------------------------------------------------------------------------------

def raw(endpoint: str, operation: str, body: dict, region: str = "us-east-1"):
    """A JSON 1.1 request as the Rust SDK sends it (signing name cloudhsm), without boto3's
    parsing: (status, headers, decoded body). moto reads, not checks, the signature."""
    request = urllib.request.Request(endpoint + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"BaldrApiService.{operation}",
        "X-Amz-Date": "20260101T000000Z",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/cloudhsm/aws4_request, "
                         "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read())


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def tags(**kv) -> list[dict]:
    names = {"token": TOKEN, "tokendir": "rootca:softhsm-tokendir", "fault": FAULT,
             "polls": "rootca:emulator-polls", "state": "rootca:emulator-state"}
    return [{"Key": names.get(k, k), "Value": v} for k, v in kv.items()]


def new_cluster(hsm, settle=True, **tag_values) -> str:
    """A cluster (ACTIVE unless state= says otherwise), waited for when settle."""
    tag_values.setdefault("state", "ACTIVE")
    cluster_id = hsm.create_cluster(HsmType="hsm2m.medium", SubnetIds=SUBNETS, TagList=tags(**tag_values))["Cluster"]["ClusterId"]
    if settle:
        poll_cluster(hsm, cluster_id, lambda c: c["State"] != "CREATE_IN_PROGRESS")
    return cluster_id


def describe(hsm, cluster_id) -> dict | None:
    found = hsm.describe_clusters(Filters={"clusterIds": [cluster_id]})["Clusters"]
    return found[0] if found else None


def poll_cluster(hsm, cluster_id, done, polls=POLLS):
    """DescribeClusters until done(cluster) (cluster None once it is gone), at most `polls` times."""
    for _ in range(polls):
        cluster = describe(hsm, cluster_id)
        if done(cluster):
            return cluster
    raise AssertionError(f"{cluster_id} not done after {polls} describes: {cluster}")


def backups(hsm, **filters) -> list[dict]:
    return hsm.describe_backups(Filters=filters)["Backups"]


def poll_backup(hsm, state="READY", polls=POLLS, **filters) -> dict:
    for _ in range(polls):
        found = backups(hsm, **filters)
        if found and found[0]["BackupState"] == state:
            return found[0]
    raise AssertionError(f"no {state} backup for {filters} after {polls} describes: {found}")


def active_hsm(hsm, cluster_id, zone="us-east-1a") -> dict:
    created = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone=zone)["Hsm"]
    cluster = poll_cluster(hsm, cluster_id, lambda c: any(h["HsmId"] == created["HsmId"] and h["State"] == "ACTIVE" for h in c["Hsms"]))
    return next(h for h in cluster["Hsms"] if h["HsmId"] == created["HsmId"])


def hsm_gone(hsm, cluster_id, hsm_id):
    poll_cluster(hsm, cluster_id, lambda c: all(h["HsmId"] != hsm_id for h in c["Hsms"]))


# --- wire format: what the Rust SDK needs and boto3 would forgive ------------------------------

def test_timestamps_are_epoch_numbers_on_the_wire(emulator):
    e = emulator.endpoint
    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    status, headers, body = raw(e, "CreateCluster", {"HsmType": "hsm2m.medium", "SubnetIds": SUBNETS[:1],
                                                     "TagList": tags(polls="0", state="ACTIVE")})
    assert status == 200 and headers["content-type"] == "application/x-amz-json-1.1"
    assert number(body["Cluster"]["CreateTimestamp"])
    cluster_id = body["Cluster"]["ClusterId"]
    hsm_id = raw(e, "CreateHsm", {"ClusterId": cluster_id, "AvailabilityZone": "us-east-1a"})[2]["Hsm"]["HsmId"]
    raw(e, "DeleteHsm", {"ClusterId": cluster_id, "HsmId": hsm_id})  # takes a backup
    clusters = raw(e, "DescribeClusters", {"Filters": {"clusterIds": [cluster_id]}})[2]["Clusters"]
    assert number(clusters[0]["CreateTimestamp"])

    backup = raw(e, "DescribeBackups", {"Filters": {"clusterIds": [cluster_id]}})[2]["Backups"][0]
    assert backup["BackupState"] == "READY" and number(backup["CreateTimestamp"])
    copied = raw(e, "CopyBackupToRegion", {"DestinationRegion": "us-west-2", "BackupId": backup["BackupId"]})[2]
    assert number(copied["DestinationBackup"]["CreateTimestamp"])
    copy = raw(e, "DescribeBackups", {"Filters": {"sourceBackupIds": [backup["BackupId"]]}}, "us-west-2")[2]["Backups"][0]
    assert number(copy["CreateTimestamp"]) and number(copy["CopyTimestamp"])
    assert copy["CreateTimestamp"] == backup["CreateTimestamp"]  # "The copy's CreateTimestamp equals the source's"
    deleted = raw(e, "DeleteBackup", {"BackupId": backup["BackupId"]})[2]["Backup"]
    assert number(deleted["DeleteTimestamp"])


def test_errors_carry_the_cloudhsm_prefix_on_the_wire(emulator):
    e = emulator.endpoint
    cases = [
        ("DeleteCluster", {"ClusterId": "cluster-aaaaaaaaaaa"}, "CloudHsmResourceNotFoundException"),
        ("DescribeBackups", {"Filters": {"colour": ["red"]}}, "CloudHsmInvalidRequestException"),
        ("CreateHsm", {"ClusterId": "cluster-aaaaaaaaaaa"}, "CloudHsmInvalidRequestException"),  # no AvailabilityZone
        ("CreateCluster", {"HsmType": "hsm2m.medium", "SubnetIds": SUBNETS, "TagList": [{"Key": "aws:x", "Value": "y"}]},
         "CloudHsmTagException"),
        ("InitializeCluster", {"ClusterId": "cluster-aaaaaaaaaaa", "SignedCert": "x", "TrustAnchor": "y"},
         "CloudHsmInvalidRequestException"),  # not emulated, and says so in JSON
    ]
    for operation, body, expected in cases:
        status, headers, answer = raw(e, operation, body)
        assert status == 400, (operation, answer)
        assert answer["__type"] == expected and headers["x-amzn-errortype"] == expected
        assert answer["Message"] and answer["message"] == answer["Message"]


# --- clusters ----------------------------------------------------------------------------------

def test_new_cluster_follows_the_api(hsm):
    cluster = hsm.create_cluster(HsmType="hsm2m.medium", SubnetIds=SUBNETS)["Cluster"]
    assert re.fullmatch(r"cluster-[2-7a-z]{11}", cluster["ClusterId"])
    assert cluster["State"] == "CREATE_IN_PROGRESS"
    assert cluster["BackupRetentionPolicy"] == {"Type": "DAYS", "Value": "90"}
    assert cluster["BackupPolicy"] == "DEFAULT" and cluster["Mode"] == "FIPS" and cluster["NetworkType"] == "IPV4"
    assert cluster["SubnetMapping"] == {"us-east-1a": SUBNETS[0], "us-east-1b": SUBNETS[1]}
    assert re.fullmatch(r"sg-[0-9a-f]{17}", cluster["SecurityGroup"]) and cluster["VpcId"].startswith("vpc-")
    assert cluster["Hsms"] == [] and "SourceBackupId" not in cluster
    assert describe(hsm, cluster["ClusterId"])["State"] == "CREATE_IN_PROGRESS"
    assert describe(hsm, cluster["ClusterId"])["State"] == "UNINITIALIZED"  # after POLLS describes
    assert backups(hsm, clusterIds=[cluster["ClusterId"]]) == []  # no backup before activation
    by_vpc = hsm.describe_clusters(Filters={"vpcIds": [cluster["VpcId"]], "states": ["UNINITIALIZED"]})["Clusters"]
    assert [c["ClusterId"] for c in by_vpc] == [cluster["ClusterId"]]


@pytest.mark.parametrize("kwargs, expected", [
    ({"HsmType": "hsm9.huge"}, "CloudHsmInvalidRequestException"),
    ({"HsmType": "hsm1.medium", "Mode": "NON_FIPS"}, "CloudHsmInvalidRequestException"),
    ({"BackupRetentionPolicy": {"Type": "DAYS", "Value": "6"}}, "CloudHsmInvalidRequestException"),
    ({"BackupRetentionPolicy": {"Type": "DAYS", "Value": "380"}}, "CloudHsmInvalidRequestException"),
    ({"SubnetIds": [SUBNETS[0], SUBNETS[0]]}, "CloudHsmInvalidRequestException"),
    ({"SubnetIds": ["subnet-xyz"]}, "CloudHsmInvalidRequestException"),
    ({"SourceBackupId": "backup-aaaaaaaaaaa"}, "CloudHsmResourceNotFoundException"),
    ({"SourceBackupId": "not-a-backup"}, "CloudHsmInvalidRequestException"),
    ({"TagList": tags(fault="hsm-sometimes-active")}, "CloudHsmInvalidRequestException"),
    ({"TagList": tags(fault="access-denied:MakeCoffee")}, "CloudHsmInvalidRequestException"),
    ({"TagList": tags(token="x" * 33)}, "CloudHsmInvalidRequestException"),
    ({"TagList": [{"Key": "aws:cloudformation", "Value": "x"}]}, "CloudHsmTagException"),
])
def test_create_cluster_is_validated(hsm, kwargs, expected):
    request = {"HsmType": "hsm2m.medium", "SubnetIds": SUBNETS, **kwargs}
    with pytest.raises(ClientError) as e:
        hsm.create_cluster(**request)
    assert code(e) == expected


def test_tags_are_one_store_for_create_list_tag_and_untag(hsm):
    cluster_id = new_cluster(hsm, settle=False, team="pki")
    assert {"Key": "team", "Value": "pki"} in hsm.list_tags(ResourceId=cluster_id)["TagList"]
    hsm.tag_resource(ResourceId=cluster_id, TagList=[{"Key": "owner", "Value": "ops"}, {"Key": "team", "Value": "ca"}])
    shown = {t["Key"]: t["Value"] for t in describe(hsm, cluster_id)["TagList"]}
    assert shown["owner"] == "ops" and shown["team"] == "ca"
    hsm.untag_resource(ResourceId=cluster_id, TagKeyList=["owner"])
    listed = {t["Key"] for t in hsm.list_tags(ResourceId=cluster_id)["TagList"]}
    assert "owner" not in listed and "team" in listed
    page = hsm.list_tags(ResourceId=cluster_id, MaxResults=1)
    assert len(page["TagList"]) == 1 and page["NextToken"]

    with pytest.raises(ClientError) as e:
        hsm.tag_resource(ResourceId=cluster_id, TagList=[{"Key": "aws:x", "Value": "y"}])
    assert code(e) == "CloudHsmTagException"
    with pytest.raises(ClientError) as e:
        hsm.tag_resource(ResourceId=cluster_id, TagList=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert code(e) == "CloudHsmResourceLimitExceededException"
    for call in (lambda: hsm.list_tags(ResourceId="cluster-aaaaaaaaaaa"),
                 lambda: hsm.tag_resource(ResourceId="backup-aaaaaaaaaaa", TagList=[{"Key": "a", "Value": "b"}]),
                 lambda: hsm.untag_resource(ResourceId="cluster-aaaaaaaaaaa", TagKeyList=["a"])):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "CloudHsmResourceNotFoundException"


def test_modify_cluster_sets_the_backup_retention(hsm):
    cluster_id = new_cluster(hsm)
    modified = hsm.modify_cluster(ClusterId=cluster_id, BackupRetentionPolicy={"Type": "DAYS", "Value": "379"})["Cluster"]
    assert modified["BackupRetentionPolicy"] == {"Type": "DAYS", "Value": "379"}
    assert describe(hsm, cluster_id)["BackupRetentionPolicy"]["Value"] == "379"
    for bad in ({"BackupRetentionPolicy": {"Type": "DAYS", "Value": "3"}}, {"HsmType": "hsm1.medium"}):
        with pytest.raises(ClientError) as e:
            hsm.modify_cluster(ClusterId=cluster_id, **bad)
        assert code(e) == "CloudHsmInvalidRequestException"
    with pytest.raises(ClientError) as e:
        hsm.modify_cluster(ClusterId="cluster-aaaaaaaaaaa", BackupRetentionPolicy={"Type": "DAYS", "Value": "30"})
    assert code(e) == "CloudHsmResourceNotFoundException"


# --- HSMs (clusters without a token) ---------------------------------------------------------

def test_hsms_are_created_and_deleted_by_each_identifier(emulator, hsm):
    cluster_id = new_cluster(hsm)
    created = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1b", IpAddress="10.0.1.50")["Hsm"]
    assert re.fullmatch(r"hsm-[2-7a-z]{11}", created["HsmId"]) and re.fullmatch(r"eni-[0-9a-f]{17}", created["EniId"])
    assert created["State"] == "CREATE_IN_PROGRESS" and created["EniIp"] == "10.0.1.50"
    assert created["SubnetId"] == SUBNETS[1] and created["ClusterId"] == cluster_id
    assert [h["State"] for h in describe(hsm, cluster_id)["Hsms"]] == ["CREATE_IN_PROGRESS"]
    assert [h["State"] for h in describe(hsm, cluster_id)["Hsms"]] == ["ACTIVE"]

    for bad in ({"AvailabilityZone": "us-east-1c"}, {"AvailabilityZone": "us-east-1b", "IpAddress": "10.0.1.50"},
                {"AvailabilityZone": "us-east-1a", "IpAddress": "10.9.9.9"}):
        with pytest.raises(ClientError) as e:
            hsm.create_hsm(ClusterId=cluster_id, **bad)
        assert code(e) == "CloudHsmInvalidRequestException", bad
    status, _, body = raw(emulator.endpoint, "CreateHsm", {"ClusterId": cluster_id})
    assert status == 400 and body["__type"] == "CloudHsmInvalidRequestException"  # AvailabilityZone is required
    with pytest.raises(ClientError) as e:
        hsm.create_hsm(ClusterId="cluster-aaaaaaaaaaa", AvailabilityZone="us-east-1a")
    assert code(e) == "CloudHsmResourceNotFoundException"

    second = active_hsm(hsm, cluster_id)
    third = active_hsm(hsm, cluster_id)
    with pytest.raises(ClientError) as e:
        hsm.delete_hsm(ClusterId=cluster_id, HsmId=created["HsmId"], EniIp=created["EniIp"])
    assert code(e) == "CloudHsmInvalidRequestException"  # exactly one identifier
    with pytest.raises(ClientError) as e:
        hsm.delete_hsm(ClusterId=cluster_id, EniIp="10.0.0.3")
    assert code(e) == "CloudHsmResourceNotFoundException"
    assert hsm.delete_hsm(ClusterId=cluster_id, EniIp=created["EniIp"])["HsmId"] == created["HsmId"]
    assert hsm.delete_hsm(ClusterId=cluster_id, EniId=second["EniId"])["HsmId"] == second["HsmId"]
    assert hsm.delete_hsm(ClusterId=cluster_id, HsmId=third["HsmId"])["HsmId"] == third["HsmId"]
    states = {h["HsmId"]: h["State"] for h in describe(hsm, cluster_id)["Hsms"]}
    assert set(states.values()) == {"DELETE_IN_PROGRESS"}
    poll_cluster(hsm, cluster_id, lambda c: c["Hsms"] == [])
    # each removal from an ACTIVE cluster took a backup
    assert len(backups(hsm, clusterIds=[cluster_id])) >= 3


def test_delete_cluster_refuses_while_it_has_hsms(hsm):
    cluster_id = new_cluster(hsm)
    hsm_id = active_hsm(hsm, cluster_id)["HsmId"]
    with pytest.raises(ClientError) as e:
        hsm.delete_cluster(ClusterId=cluster_id)
    assert code(e) == "CloudHsmInvalidRequestException"
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
    with pytest.raises(ClientError) as e:  # DELETE_IN_PROGRESS still counts
        hsm.delete_cluster(ClusterId=cluster_id)
    assert code(e) == "CloudHsmInvalidRequestException"
    hsm_gone(hsm, cluster_id, hsm_id)
    assert hsm.delete_cluster(ClusterId=cluster_id)["Cluster"]["State"] == "DELETE_IN_PROGRESS"
    poll_cluster(hsm, cluster_id, lambda c: c is None)
    with pytest.raises(ClientError) as e:
        hsm.delete_cluster(ClusterId=cluster_id)
    assert code(e) == "CloudHsmResourceNotFoundException"
    assert backups(hsm, clusterIds=[cluster_id])  # a deleted cluster's backups stay


# --- backups ---------------------------------------------------------------------------------

def backed_up_cluster(hsm, count=1) -> tuple[str, list[str]]:
    """An ACTIVE cluster without a token whose transitions are immediate, and `count` backups
    of it (one per HSM removed), oldest first."""
    cluster_id = new_cluster(hsm, polls="0")
    for _ in range(count):
        hsm_id = active_hsm(hsm, cluster_id)["HsmId"]
        hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
        time.sleep(0.002)  # distinct CreateTimestamps
    return cluster_id, [b["BackupId"] for b in backups(hsm, clusterIds=[cluster_id])][::-1]


def test_backups_delete_restore_and_never_expire(hsm):
    cluster_id, (backup_id,) = backed_up_cluster(hsm)
    backup = backups(hsm, backupIds=[backup_id])[0]
    assert re.fullmatch(r"backup-[2-7a-z]{11}", backup_id) and backup["BackupState"] == "READY"
    assert backup["BackupArn"] == f"arn:aws:cloudhsm:us-east-1:123456789012:backup/{backup_id}"
    assert backup["ClusterId"] == cluster_id and backup["NeverExpires"] is False
    assert backup["HsmType"] == "hsm2m.medium" and backup["Mode"] == "FIPS"

    assert hsm.modify_backup_attributes(BackupId=backup_id, NeverExpires=True)["Backup"]["NeverExpires"] is True
    assert backup_id in [b["BackupId"] for b in backups(hsm, neverExpires=["true"])]
    assert backup_id not in [b["BackupId"] for b in backups(hsm, neverExpires=["false"])]

    before = datetime.datetime.now(datetime.timezone.utc)
    deleted = hsm.delete_backup(BackupId=backup_id)["Backup"]
    assert deleted["BackupState"] == "PENDING_DELETION"
    assert abs(deleted["DeleteTimestamp"] - before - datetime.timedelta(days=7)) < datetime.timedelta(minutes=1)
    for again in (lambda: hsm.delete_backup(BackupId=backup_id),
                  lambda: hsm.modify_backup_attributes(BackupId=backup_id, NeverExpires=False)):
        with pytest.raises(ClientError) as e:
            again()
        assert code(e) == "CloudHsmInvalidRequestException"
    assert backups(hsm, backupIds=[backup_id], states=["PENDING_DELETION"])

    restored = hsm.restore_backup(BackupId=backup_id)["Backup"]
    assert restored["BackupState"] == "READY" and "DeleteTimestamp" not in restored
    with pytest.raises(ClientError) as e:
        hsm.restore_backup(BackupId=backup_id)
    assert code(e) == "CloudHsmInvalidRequestException"  # only from PENDING_DELETION
    for call in (hsm.delete_backup, hsm.restore_backup):
        with pytest.raises(ClientError) as e:
            call(BackupId="backup-aaaaaaaaaaa")
        assert code(e) == "CloudHsmResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        hsm.modify_backup_attributes(BackupId="backup-aaaaaaaaaaa", NeverExpires=True)
    assert code(e) == "CloudHsmResourceNotFoundException"


def test_describe_backups_filters_sorts_newest_first_and_pages(hsm):
    cluster_id, oldest_first = backed_up_cluster(hsm, count=3)
    assert [b["BackupId"] for b in backups(hsm, clusterIds=[cluster_id])] == oldest_first[::-1]
    ascending = hsm.describe_backups(Filters={"clusterIds": [cluster_id]}, SortAscending=True)["Backups"]
    assert [b["BackupId"] for b in ascending] == oldest_first
    first = hsm.describe_backups(Filters={"clusterIds": [cluster_id]}, MaxResults=2)
    rest = hsm.describe_backups(Filters={"clusterIds": [cluster_id]}, MaxResults=2, NextToken=first["NextToken"])
    assert [b["BackupId"] for b in first["Backups"] + rest["Backups"]] == oldest_first[::-1]
    assert "NextToken" not in rest
    assert backups(hsm, clusterIds=[cluster_id], states=["CREATE_IN_PROGRESS"]) == []
    assert [b["BackupId"] for b in backups(hsm, backupIds=oldest_first[:1])] == oldest_first[:1]
    assert hsm.describe_backups(Filters={"clusterIds": [cluster_id]}, Shared=True)["Backups"] == []
    for bad in ({"Filters": {"clusterId": [cluster_id]}}, {"MaxResults": 51}, {"Filters": {"neverExpires": ["maybe"]}}):
        with pytest.raises(ClientError) as e:
            hsm.describe_backups(**bad)
        assert code(e) == "CloudHsmInvalidRequestException"


def test_copy_backup_to_region_makes_an_independent_copy_there(hsm, west):
    cluster_id, (backup_id,) = backed_up_cluster(hsm)
    hsm.tag_resource(ResourceId=backup_id, TagList=[{"Key": "purpose", "Value": "dr"}])
    hsm.tag_resource(ResourceId=cluster_id, TagList=tags(polls=str(POLLS)))  # copies take POLLS describes
    destination = hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId=backup_id)["DestinationBackup"]
    assert destination["SourceBackup"] == backup_id and destination["SourceRegion"] == "us-east-1"
    assert destination["SourceCluster"] == cluster_id and "BackupId" not in destination
    assert backups(hsm, sourceBackupIds=[backup_id]) == []  # the copy is in the destination region only
    copy = backups(west, sourceBackupIds=[backup_id])[0]
    assert copy["BackupState"] == "CREATE_IN_PROGRESS" and "ClusterId" not in copy  # POLLS describes there
    copy = poll_backup(west, polls=POLLS - 1, sourceBackupIds=[backup_id])
    assert copy["BackupArn"].startswith("arn:aws:cloudhsm:us-west-2:123456789012:backup/")
    assert copy["SourceCluster"] == cluster_id and copy["CreateTimestamp"] == destination["CreateTimestamp"]
    assert {"Key": "purpose", "Value": "dr"} in copy["TagList"]  # no TagList given: the source's tags

    retagged = hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId=backup_id,
                                         TagList=[{"Key": "only", "Value": "this"}])["DestinationBackup"]
    copies = backups(west, sourceBackupIds=[backup_id])
    assert len(copies) == 2 and retagged["SourceBackup"] == backup_id
    assert any(c.get("TagList") == [{"Key": "only", "Value": "this"}] for c in copies)

    west.delete_backup(BackupId=copy["BackupId"])  # the copy goes its own way
    assert backups(hsm, backupIds=[backup_id])[0]["BackupState"] == "READY"
    for bad in ({"DestinationRegion": "us-east-1", "BackupId": backup_id},
                {"DestinationRegion": "cn-north-1", "BackupId": backup_id}):
        with pytest.raises(ClientError) as e:
            hsm.copy_backup_to_region(**bad)
        assert code(e) == "CloudHsmInvalidRequestException"
    with pytest.raises(ClientError) as e:
        hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId="backup-aaaaaaaaaaa")
    assert code(e) == "CloudHsmResourceNotFoundException"


def test_a_drill_fault_on_a_backup_goes_with_its_copies_into_clusters_made_from_them(hsm, west):
    cluster_id, (backup_id,) = backed_up_cluster(hsm)
    hsm.tag_resource(ResourceId=backup_id,
                     TagList=[{"Key": "rootca:emulator-drill-fault", "Value": "access-denied:CreateHsm"}])
    hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId=backup_id)
    copy = poll_backup(west, polls=POLLS, sourceBackupIds=[backup_id])
    made = west.create_cluster(HsmType=copy["HsmType"], Mode=copy["Mode"], SourceBackupId=copy["BackupId"],
                               SubnetIds=["subnet-0fedcba9876543210"])["Cluster"]
    assert {"Key": "rootca:emulator-fault", "Value": "access-denied:CreateHsm"} in made["TagList"]
    poll_cluster(west, made["ClusterId"], lambda c: c["State"] == "ACTIVE")
    with pytest.raises(ClientError) as e:
        west.create_hsm(ClusterId=made["ClusterId"], AvailabilityZone="us-west-2a")
    assert code(e) == "CloudHsmAccessDeniedException"
    # the source cluster itself is not affected
    assert not any(t["Key"] == "rootca:emulator-fault" for t in
                   hsm.describe_clusters(Filters={"clusterIds": [cluster_id]})["Clusters"][0].get("TagList", []))


# --- the SoftHSM binding ---------------------------------------------------------------------

def test_offline_root_lifecycle_on_softhsm(emulator, hsm, west):
    label = "root-ca"
    key = emulator.new_token(label)
    cluster_id = new_cluster(hsm, token=label)
    assert label in emulator.labels()

    # first HSM: adopts the token; the token is back once the HSM is ACTIVE
    created = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")["Hsm"]
    assert label not in emulator.labels()  # CREATE_IN_PROGRESS: no usable HSM
    poll_cluster(hsm, cluster_id, lambda c: c["Hsms"][0]["State"] == "ACTIVE")
    assert label in emulator.labels() and emulator.root_key(label) == key

    # deactivate: deleting the last HSM takes a backup, which takes the token away
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=created["HsmId"])
    assert label not in emulator.labels()
    backup = backups(hsm, clusterIds=[cluster_id])[0]
    assert backup["BackupState"] == "CREATE_IN_PROGRESS"
    assert {"Key": TOKEN, "Value": label} in backup["TagList"]
    with pytest.raises(ClientError) as e:  # restoring an older backup would lose what this one holds
        hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")
    assert code(e) == "CloudHsmInvalidRequestException" and "CREATE_IN_PROGRESS" in str(e.value)
    poll_backup(hsm, clusterIds=[cluster_id])
    hsm_gone(hsm, cluster_id, created["HsmId"])
    assert describe(hsm, cluster_id)["State"] == "ACTIVE"  # an ACTIVE cluster with no HSMs
    assert label not in emulator.labels()

    # reactivate: a new HSM restores the latest READY backup, the same key
    again = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1b")["Hsm"]
    assert label not in emulator.labels()
    poll_cluster(hsm, cluster_id, lambda c: c["Hsms"][0]["State"] == "ACTIVE")
    assert emulator.root_key(label) == key

    # DR drill: the backup copied to us-west-2, a cluster there from the copy restores the key,
    # once the token is no longer live in us-east-1
    hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId=backup["BackupId"])
    copy = poll_backup(west, sourceBackupIds=[backup["BackupId"]])
    drill = west.create_cluster(HsmType="hsm2m.medium", SubnetIds=SUBNETS[:1], SourceBackupId=copy["BackupId"])["Cluster"]
    assert {"Key": TOKEN, "Value": label} in drill["TagList"] and drill["SourceBackupId"] == copy["BackupId"]
    assert poll_cluster(west, drill["ClusterId"], lambda c: c["State"] != "CREATE_IN_PROGRESS")["State"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        west.create_hsm(ClusterId=drill["ClusterId"], AvailabilityZone="us-west-2a")
    assert code(e) == "CloudHsmInvalidRequestException" and "is live in cluster" in str(e.value)
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=again["HsmId"])
    assert label not in emulator.labels()
    drill_hsm = active_hsm(west, drill["ClusterId"], "us-west-2a")
    assert emulator.root_key(label) == key

    # the drill ends: its HSM deleted (the token leaves with a backup of the drill cluster) and
    # the cluster deleted; us-east-1 can restore its own backup again
    west.delete_hsm(ClusterId=drill["ClusterId"], HsmId=drill_hsm["HsmId"])
    assert label not in emulator.labels()
    hsm_gone(west, drill["ClusterId"], drill_hsm["HsmId"])
    west.delete_cluster(ClusterId=drill["ClusterId"])
    assert backups(west, clusterIds=[drill["ClusterId"]])
    poll_backup(hsm, clusterIds=[cluster_id])
    active_hsm(hsm, cluster_id)
    assert emulator.root_key(label) == key


def test_clusters_can_name_their_own_token_directories(emulator, hsm, west, tmp_path):
    # As rootca's Rust tests run: one emulator, a SoftHSM per test, every token labelled root-ca.
    first, second = SoftHsm(tmp_path / "first"), SoftHsm(tmp_path / "second")
    keys = [first.new_token("root-ca"), second.new_token("root-ca")]
    clusters = [new_cluster(hsm, token="root-ca", tokendir=str(s.tokens), polls="0") for s in (first, second)]
    hsms = [active_hsm(hsm, c)["HsmId"] for c in clusters]  # one label, two directories: no conflict
    for softhsm, key in zip((first, second), keys):
        assert softhsm.root_key("root-ca") == key
    for cluster_id, hsm_id in zip(clusters, hsms):
        hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
    assert first.labels() == second.labels() == []

    backup_id = backups(hsm, clusterIds=[clusters[0]])[0]["BackupId"]
    hsm.copy_backup_to_region(DestinationRegion="us-west-2", BackupId=backup_id)
    copy = backups(west, sourceBackupIds=[backup_id])[0]
    drill = west.create_cluster(HsmType="hsm2m.medium", SubnetIds=SUBNETS[:1], SourceBackupId=copy["BackupId"],
                                TagList=tags(polls="0"))["Cluster"]
    assert {"Key": "rootca:softhsm-tokendir", "Value": str(first.tokens)} in drill["TagList"]  # inherited
    active_hsm(west, drill["ClusterId"], "us-west-2a")
    assert first.root_key("root-ca") == keys[0] and second.labels() == []


def test_token_live_in_one_cluster_is_a_conflict_for_another(emulator, hsm):
    label = "conflict-ca"
    emulator.new_token(label)
    holder = new_cluster(hsm, token=label)
    active_hsm(hsm, holder)
    other = new_cluster(hsm, token=label)
    with pytest.raises(ClientError) as e:
        hsm.create_hsm(ClusterId=other, AvailabilityZone="us-east-1a")
    assert code(e) == "CloudHsmInvalidRequestException"
    assert f"is live in cluster {holder}" in e.value.response["Error"]["Message"]
    assert describe(hsm, other)["Hsms"] == []
    with pytest.raises(ClientError) as e:  # the binding of a cluster in use does not change
        hsm.untag_resource(ResourceId=holder, TagKeyList=[TOKEN])
    assert code(e) == "CloudHsmInvalidRequestException"


def test_create_hsm_needs_a_backup_or_the_token(emulator, hsm):
    cluster_id = new_cluster(hsm, token="no-such-token")
    with pytest.raises(ClientError) as e:
        hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")
    assert code(e) == "CloudHsmInvalidRequestException" and "no READY backup" in str(e.value)
    assert describe(hsm, cluster_id)["Hsms"] == []


def test_a_backup_pending_deletion_is_not_restored(emulator, hsm):
    label = "pending-deletion-ca"
    key = emulator.new_token(label)
    cluster_id = new_cluster(hsm, token=label, polls="0")
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=active_hsm(hsm, cluster_id)["HsmId"])
    (backup,) = backups(hsm, clusterIds=[cluster_id])
    hsm.delete_backup(BackupId=backup["BackupId"])
    with pytest.raises(ClientError) as e:
        hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")
    assert code(e) == "CloudHsmInvalidRequestException"
    hsm.restore_backup(BackupId=backup["BackupId"])
    active_hsm(hsm, cluster_id)
    assert emulator.root_key(label) == key


def test_backups_are_copies_of_the_token_folder(emulator, hsm):
    label = "copies-ca"
    emulator.new_token(label)
    folder = next(p for p in emulator.tokens.iterdir() if label.encode() in (p / "token.object").read_bytes())
    cluster_id = new_cluster(hsm, token=label, polls="0")
    first, second = active_hsm(hsm, cluster_id), active_hsm(hsm, cluster_id)  # the second took a backup
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=first["HsmId"])  # another; one ACTIVE HSM is left
    assert label in emulator.labels()
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=second["HsmId"])  # the last: the token leaves
    assert not folder.exists()
    found = backups(hsm, clusterIds=[cluster_id])
    assert len(found) == 3
    for b in found:
        copy = emulator.state / "cloudhsm" / "backups" / b["BackupId"] / folder.name
        assert (copy / "token.object").read_bytes().count(label.encode()) == 1


# --- faults and time -------------------------------------------------------------------------

def test_hsm_never_active_fault_keeps_the_token_away(emulator, hsm):
    label = "never-active-ca"
    emulator.new_token(label)
    cluster_id = new_cluster(hsm, token=label, fault="hsm-never-active", polls="0")
    hsm_id = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")["Hsm"]["HsmId"]
    for _ in range(5):
        assert describe(hsm, cluster_id)["Hsms"][0]["State"] == "CREATE_IN_PROGRESS"
    assert label not in emulator.labels()
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)  # never ACTIVE: no backup, the token back as it was
    assert backups(hsm, clusterIds=[cluster_id]) == []
    assert label in emulator.labels()
    hsm.untag_resource(ResourceId=cluster_id, TagKeyList=[FAULT])
    active_hsm(hsm, cluster_id)
    assert label in emulator.labels()


def test_access_denied_fault_on_the_nth_call(emulator):
    hsm = emulator.client(retries=False)
    cluster_id = new_cluster(hsm, settle=False, polls="0",
                             fault="access-denied:DescribeClusters:2 access-denied:DeleteHsm internal-failure:CreateHsm:2+")
    describe(hsm, cluster_id)
    with pytest.raises(ClientError) as e:
        describe(hsm, cluster_id)
    assert code(e) == "CloudHsmAccessDeniedException"
    assert "not authorized to perform: cloudhsm:DescribeClusters" in str(e.value)
    assert describe(hsm, cluster_id)["State"] == "ACTIVE"  # the 3rd call goes through

    hsm_id = hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")["Hsm"]["HsmId"]
    for _ in range(2):  # the 2nd CreateHsm and every one after it
        with pytest.raises(ClientError) as e:
            hsm.create_hsm(ClusterId=cluster_id, AvailabilityZone="us-east-1a")
        assert code(e) == "CloudHsmInternalFailureException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError) as e:
        hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
    assert code(e) == "CloudHsmAccessDeniedException"
    assert [h["State"] for h in describe(hsm, cluster_id)["Hsms"]] == ["ACTIVE"]  # refused before doing anything
    hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
    assert describe(hsm, cluster_id)["Hsms"] == []


def test_polls_zero_makes_every_transition_immediate(tmp_path):
    emulator = Emulator(tmp_path / "immediate", polls=0)
    try:
        hsm = emulator.client()
        label = "immediate-ca"
        key = emulator.new_token(label)
        cluster = hsm.create_cluster(HsmType="hsm2m.medium", SubnetIds=SUBNETS, TagList=tags(token=label))["Cluster"]
        assert cluster["State"] == "UNINITIALIZED"
        created = hsm.create_hsm(ClusterId=cluster["ClusterId"], AvailabilityZone="us-east-1a")["Hsm"]
        assert created["State"] == "ACTIVE" and emulator.root_key(label) == key
        hsm.delete_hsm(ClusterId=cluster["ClusterId"], HsmId=created["HsmId"])
        assert describe(hsm, cluster["ClusterId"])["Hsms"] == []
        assert backups(hsm, clusterIds=[cluster["ClusterId"]])[0]["BackupState"] == "READY"
        assert label not in emulator.labels()
        assert hsm.create_hsm(ClusterId=cluster["ClusterId"], AvailabilityZone="us-east-1a")["Hsm"]["State"] == "ACTIVE"
        assert emulator.root_key(label) == key
    finally:
        emulator.stop()


# --- scripts/practice-env ------------------------------------------------------------------

def test_practice_env_binds_clusters_to_its_own_softhsm(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOTCA_EMULATOR_", "SOFTHSM2_CONF"))}
    practice_env = str(SCRIPTS / "practice-env")
    run = lambda *args: subprocess.run([practice_env, *args], env=env, capture_output=True, text=True, timeout=120)
    up = run("up", str(tmp_path / "practice"))
    assert up.returncode == 0, up.stderr
    exports = dict(re.findall(r"^export (\w+)=(.*)$", up.stdout, re.M))
    practice = pathlib.Path(exports["ROOTCA_PRACTICE_DIR"])
    try:
        softhsm = dict(env, SOFTHSM2_CONF=exports["SOFTHSM2_CONF"])
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "practice-root",
                        "--so-pin", "5678", "--pin", "1234"], env=softhsm, check=True, capture_output=True)
        assert len(list((practice / "tokens").iterdir())) == 1
        hsm = boto3.client("cloudhsmv2", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        cluster_id = new_cluster(hsm, token="practice-root", polls="0")
        hsm_id = active_hsm(hsm, cluster_id)["HsmId"]
        hsm.delete_hsm(ClusterId=cluster_id, HsmId=hsm_id)
        assert list((practice / "tokens").iterdir()) == []
        backup_id = backups(hsm, clusterIds=[cluster_id])[0]["BackupId"]
        assert (practice / "emulator-state" / "cloudhsm" / "backups" / backup_id).is_dir()
    finally:
        assert run("down", str(practice)).returncode == 0
