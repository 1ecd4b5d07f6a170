"""AWS CloudHSM v2 for rootca's emulator, in place of moto's, with clusters bound to SoftHSM tokens.

moto 5.2.5 has no CreateHsm, DeleteHsm, CopyBackupToRegion, ModifyBackupAttributes, DeleteBackup,
RestoreBackup or ModifyCluster, and what it has does not parse in the Rust SDK: it writes
timestamps as ISO strings where aws-sdk-cloudhsmv2 reads epoch seconds, and error codes without
the `CloudHsm` prefix. This module answers every CloudHSM operation rootca uses as the AWS API
reference describes them (JSON 1.1, `X-Amz-Target: BaldrApiService.<Op>`), and makes the
offline-root lifecycle real on SoftHSM:

- a cluster is bound to the SoftHSM token whose label is its tag `rootca:softhsm-token`, in
  the emulator's SoftHSM token directory or the one its tag `rootca:softhsm-tokendir` names; a
  cluster created from a backup inherits the backup's token;
- while a bound cluster has no ACTIVE HSM, its token folder is not in SoftHSM's token directory,
  so no PKCS#11 client can find the key;
- deleting the last ACTIVE HSM takes a backup, which is the token folder moved into the
  emulator's state folder; creating an HSM in a cluster with no ACTIVE HSM restores (copies
  back) the latest READY backup of the cluster, or of the backup the cluster was created from,
  once the HSM turns ACTIVE; the first HSM of a new cluster with no backup adopts the token
  already in the token directory;
- a token is live in at most one cluster: CreateHsm fails while another cluster holds it;
- HSMs, backups, copies and clusters pass through their *_IN_PROGRESS states for
  ROOTCA_EMULATOR_CLOUDHSM_POLLS describes (default 3; 0 = at once);
- tags `rootca:emulator-fault`, `rootca:emulator-polls` and `rootca:emulator-state` on a
  cluster inject faults, change its poll count and choose the state a new cluster reaches.

docs/practice-environment.md ("Emulated CloudHSM") is the user's description; `install()`
applies it.
"""

import atexit
import base64
import ipaddress
import itertools
import json
import os
import random
import re
import shutil
import struct
import tempfile
import threading
import time
import uuid

from moto.cloudhsmv2 import models, responses
from moto.core.exceptions import JsonRESTError
from moto.core.utils import camelcase_to_underscores
from moto.utilities.utils import get_partition

TOKEN_TAG = "rootca:softhsm-token"
TOKENDIR_TAG = "rootca:softhsm-tokendir"
FAULT_TAG = "rootca:emulator-fault"
POLLS_TAG = "rootca:emulator-polls"
STATE_TAG = "rootca:emulator-state"
# On a backup: the rootca:emulator-fault of any cluster created from it (or from a copy of it,
# which carries the backup's tags), so a test can make a drill region misbehave.
DRILL_FAULT_TAG = "rootca:emulator-drill-fault"

# Set by install() from the environment.
POLLS = 3
STATE_DIR: str | None = None

# One lock for every CloudHSM request: operations move token folders that all regions and
# accounts share, and the server answers requests on several threads.
LOCK = threading.RLock()
_SEQUENCE = itertools.count()  # breaks CreateTimestamp ties when sorting
_RANDOM = random.SystemRandom()


# --- errors --------------------------------------------------------------------------------

class CloudHsmError(JsonRESTError):
    """An error answered as awsJson1.1 does: HTTP 400, `__type` the exception's name."""

    code = 400

    def __init__(self, message: str):
        super().__init__(type(self).__name__, message)
        # The model's member is `Message` (what the Rust SDK's error struct reads);
        # `message` is what most JSON services send and what generic parsers look for.
        self.description = json.dumps({"__type": self.error_type, "message": message, "Message": message})

    def get_headers(self, *args, **kwargs):
        return [("X-Amzn-ErrorType", self.error_type), ("Content-Type", "application/x-amz-json-1.1")]


class CloudHsmAccessDeniedException(CloudHsmError): pass
class CloudHsmInternalFailureException(CloudHsmError): code = 500  # the model's only fault
class CloudHsmInvalidRequestException(CloudHsmError): pass
class CloudHsmResourceLimitExceededException(CloudHsmError): pass
class CloudHsmResourceNotFoundException(CloudHsmError): pass
class CloudHsmServiceException(CloudHsmError): pass
class CloudHsmTagException(CloudHsmError): pass


InvalidRequest = CloudHsmInvalidRequestException
NotFound = CloudHsmResourceNotFoundException


# --- identifiers and request parsing -------------------------------------------------------

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
CLUSTER_ID = re.compile(r"^cluster-[2-7a-zA-Z]{11,16}$")
HSM_ID = re.compile(r"^hsm-[2-7a-zA-Z]{11,16}$")
BACKUP_ID = re.compile(r"^backup-[2-7a-zA-Z]{11,16}$")
BACKUP_ARN = re.compile(r"^arn:aws[\w-]*:cloudhsm:([\w-]+):(\d{12}):backup/(backup-[2-7a-zA-Z]{11,16})$")
RESOURCE_ID = re.compile(r"^(?:cluster|backup)-[2-7a-zA-Z]{11,16}$")
ENI_ID = re.compile(r"^eni-[0-9a-fA-F]{8,17}$")
IP_ADDRESS = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-fA-F]{8,17}$")
AVAILABILITY_ZONE = re.compile(r"^[a-z]{2}(-(gov))?-(east|west|north|south|central){1,2}-\d[a-z]$")
REGION = re.compile(r"^[a-z]{2}(-(gov))?-(east|west|north|south|central){1,2}-\d$")
HSM_TYPE = re.compile(r"^((p|)hsm[0-9][a-z.]*\.[a-zA-Z]+)$")
# TagKey/TagValue: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (\w covers letters, digits and _).
TAG_TEXT = re.compile(r"^[\w .:/=+\-@\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$")

HSM_TYPES = ("hsm1.medium", "hsm2m.medium")  # "The allowed values are hsm1.medium and hsm2m.medium."
MODES = ("FIPS", "NON_FIPS")
NETWORK_TYPES = ("IPV4", "DUALSTACK")
BACKUP_STATES = ("CREATE_IN_PROGRESS", "READY", "DELETED", "PENDING_DELETION")
INIT_STATES = ("UNINITIALIZED", "INITIALIZED", "ACTIVE")  # what rootca:emulator-state may ask for
DEFAULT_RETENTION = {"Type": "DAYS", "Value": "90"}
RESTORE_WINDOW = 7 * 24 * 3600  # DeleteBackup: "can be restored up to 7 days after"
MAX_TAGS = 50
MAX_HSMS_PER_CLUSTER = 28


def new_id(prefix: str) -> str:
    return prefix + "-" + "".join(_RANDOM.choice(BASE32) for _ in range(11))


def hex_id(prefix: str) -> str:
    return f"{prefix}-{_RANDOM.getrandbits(68):017x}"


def timestamp(t: float) -> float:
    """Epoch seconds, as the model's Timestamp shape is read by the SDKs (a JSON number)."""
    return round(t, 3)


def string(params: dict, key: str, pattern: re.Pattern | None = None, required: bool = False) -> str | None:
    value = params.get(key)
    if value is None:
        if required:
            raise InvalidRequest(f"{key} is required.")
        return None
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        raise InvalidRequest(f"Invalid {key}: {value!r}.")
    return value


def boolean(params: dict, key: str, required: bool = False) -> bool | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, bool):
        raise InvalidRequest(f"{key} must be a boolean.")
    return value


def page_size(params: dict, largest: int) -> int:
    value = params.get("MaxResults")
    if value is None:
        return largest
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= largest:
        raise InvalidRequest(f"MaxResults must be between 1 and {largest}.")
    return value


def paginate(items: list, params: dict, largest: int) -> tuple[list, dict]:
    """One page of items and, when more follow, {"NextToken": ...} (an opaque offset)."""
    size = page_size(params, largest)
    token = string(params, "NextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequest("Invalid NextToken.") from None
    page = items[start : start + size]
    more = {}
    if start + size < len(items):
        more["NextToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
    return page, more


def filters(params: dict, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    value = params.get("Filters") or {}
    if not isinstance(value, dict):
        raise InvalidRequest("Filters must be a map of names to lists of strings.")
    for key, values in value.items():
        if key not in allowed:
            raise InvalidRequest(f"Invalid filter {key!r}; valid filters are {', '.join(allowed)}.")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidRequest(f"Filter {key} must be a list of strings.")
    return value


# --- tags ----------------------------------------------------------------------------------

def tag_list(value, what: str = "TagList") -> list[dict]:
    """A validated TagList (CloudHsmTagException for what the tag rules refuse)."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TAGS:
        raise CloudHsmTagException(f"{what} must hold 1 to {MAX_TAGS} tags.")
    tags: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, dict) or not isinstance(tag.get("Key"), str) or not isinstance(tag.get("Value"), str):
            raise CloudHsmTagException("Every tag needs a string Key and a string Value.")
        key, val = tag["Key"], tag["Value"]
        if not 1 <= len(key) <= 128 or not TAG_TEXT.match(key):
            raise CloudHsmTagException(f"Invalid tag key {key!r}.")
        if len(val) > 256 or not TAG_TEXT.match(val):
            raise CloudHsmTagException(f"Invalid value for tag {key!r}.")
        if key.lower().startswith("aws:"):
            raise CloudHsmTagException(f"Tag keys starting with aws: are reserved ({key!r}).")
        tags[key] = val
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_value(tags: list[dict], key: str) -> str | None:
    return next((t["Value"] for t in tags if t["Key"] == key), None)


def merge_tags(old: list[dict], new: list[dict]) -> list[dict]:
    merged = {t["Key"]: t["Value"] for t in old}
    merged.update({t["Key"]: t["Value"] for t in new})
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def check_emulator_tags(tags: list[dict]) -> None:
    """The rootca:* tags the emulator reads must make sense, so a typo fails loudly."""
    label = tag_value(tags, TOKEN_TAG)
    if label is not None and not 1 <= len(label.encode()) <= 32:
        raise InvalidRequest(f"{TOKEN_TAG} must be a SoftHSM token label of 1 to 32 bytes.")
    directory = tag_value(tags, TOKENDIR_TAG)
    if directory is not None and not os.path.isabs(directory):
        raise InvalidRequest(f"{TOKENDIR_TAG} must be an absolute path.")
    polls = tag_value(tags, POLLS_TAG)
    if polls is not None and not polls.isdigit():
        raise InvalidRequest(f"{POLLS_TAG} must be a number of polls (0 or more).")
    state = tag_value(tags, STATE_TAG)
    if state is not None and state not in INIT_STATES:
        raise InvalidRequest(f"{STATE_TAG} must be one of {', '.join(INIT_STATES)}.")
    parse_faults(tag_value(tags, FAULT_TAG) or "")


# --- faults --------------------------------------------------------------------------------

FAULT_FLAGS = ("hsm-never-active", "backup-never-ready", "copy-never-ready")
FAULT_ERRORS = {
    "access-denied": CloudHsmAccessDeniedException,
    "internal-failure": CloudHsmInternalFailureException,
    "service-error": CloudHsmServiceException,
}
FAULT_RULE = re.compile(r"^([a-z-]+):([A-Za-z]+)(?::([0-9]+)(\+)?)?$")


def parse_faults(value: str) -> tuple[set[str], list[tuple[str, type, int, bool]]]:
    """The flags and (operation, error, N, and-after) rules of a rootca:emulator-fault value."""
    flags, rules = set(), []
    for word in value.split():
        if word in FAULT_FLAGS:
            flags.add(word)
            continue
        m = FAULT_RULE.match(word)
        if not m or m[1] not in FAULT_ERRORS or m[2] not in OPERATIONS or (m[3] is not None and int(m[3]) < 1):
            raise InvalidRequest(
                f"Unknown fault {word!r} in {FAULT_TAG}: use {', '.join(FAULT_FLAGS)} or "
                f"ERROR:Operation[:N[+]] with ERROR one of {', '.join(FAULT_ERRORS)}."
            )
        rules.append((m[2], FAULT_ERRORS[m[1]], int(m[3] or 1), bool(m[4])))
    return flags, rules


# --- SoftHSM -------------------------------------------------------------------------------

CKA_OS_TOKENLABEL = 0x80005349  # SoftHSM's OSAttributes.h: CKA_VENDOR_DEFINED + 0x5349


def token_dir(tagged: str | None = None) -> str:
    """SoftHSM's token directory: a cluster's rootca:softhsm-tokendir if given, else
    ROOTCA_EMULATOR_SOFTHSM_TOKENDIR, else directories.tokendir of the SOFTHSM2_CONF this
    process was started with (SoftHSM's default file when unset)."""
    if tagged:
        return tagged
    override = os.environ.get("ROOTCA_EMULATOR_SOFTHSM_TOKENDIR")
    if override:
        return override
    conf = os.environ.get("SOFTHSM2_CONF") or "/etc/softhsm/softhsm2.conf"
    try:
        with open(conf) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise CloudHsmInternalFailureException(f"The emulator cannot read SoftHSM's configuration {conf}: {e.strerror}.") from None
    for line in lines:
        key, eq, value = line.strip().partition("=")
        if eq and not key.startswith("#") and key.strip() == "directories.tokendir":
            return value.strip()
    raise CloudHsmInternalFailureException(f"SoftHSM's configuration {conf} sets no directories.tokendir.")


def token_label(folder: str) -> str | None:
    """The label in a SoftHSM token folder's token.object (file object store), or None.

    token.object is SoftHSM's ObjectFile: an 8-byte generation counter, then attributes, each a
    big-endian unsigned long type, an unsigned long kind (1 bool: 1 byte; 2 ulong: 8 bytes;
    3 byte string: unsigned long length and the bytes). The label is CKA_OS_TOKENLABEL, 32 bytes
    padded with spaces.
    """
    try:
        with open(os.path.join(folder, "token.object"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    pos = 8
    while pos + 16 <= len(data):
        attribute, kind = struct.unpack_from(">QQ", data, pos)
        pos += 16
        if kind == 1:
            size = 1
        elif kind == 2:
            size = 8
        elif kind == 3 and pos + 8 <= len(data):
            (size,) = struct.unpack_from(">Q", data, pos)
            pos += 8
        else:
            return None  # an attribute map or mechanism set: past the token's own attributes
        if attribute == CKA_OS_TOKENLABEL and kind == 3:
            return data[pos : pos + size].decode("utf-8", "replace").rstrip(" ")
        pos += size
    return None


def find_token(label: str, directory: str) -> str | None:
    """The folder of the token labelled `label` in a token directory, if there is one."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CloudHsmInternalFailureException(f"The emulator cannot list SoftHSM's token directory {directory}: {e.strerror}.") from None
    found = [os.path.join(directory, n) for n in names if os.path.isdir(os.path.join(directory, n))]
    found = [f for f in found if token_label(f) == label]
    if len(found) > 1:
        raise InvalidRequest(f"{len(found)} SoftHSM tokens are labelled {label!r} in {directory}; the emulator binds one.")
    return found[0] if found else None


def state_path(*parts: str) -> str:
    """A path in the emulator's own state folder (ROOTCA_EMULATOR_STATE_DIR or a temporary one)."""
    global STATE_DIR
    if STATE_DIR is None:
        STATE_DIR = tempfile.mkdtemp(prefix="rootca-emulator-")
        atexit.register(shutil.rmtree, STATE_DIR, True)
    return os.path.join(STATE_DIR, "cloudhsm", *parts)


def move_tree(source: str, destination: str) -> None:
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    shutil.move(source, destination)  # a rename when both are on one file system


def copy_tree(source: str, destination: str) -> None:
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    shutil.copytree(source, destination, symlinks=True)


def place_in_token_dir(name: str, directory: str) -> str:
    """A path for a token folder in a token directory: its old name unless that is taken."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    return path if not os.path.exists(path) else os.path.join(directory, str(uuid.uuid4()))


# --- resources -----------------------------------------------------------------------------

CLUSTER_MESSAGES = {
    "CREATE_IN_PROGRESS": "The cluster is being created.",
    "UNINITIALIZED": "The cluster is not initialized.",
    "INITIALIZED": "The cluster is initialized and not yet activated.",
    "ACTIVE": "The cluster is ready for use.",
    "DELETE_IN_PROGRESS": "The cluster is being deleted.",
    "DELETED": "The cluster has been deleted.",
}


class Hsm:
    def __init__(self, cluster: "Cluster", zone: str, ip: str):
        self.id = new_id("hsm")
        self.cluster = cluster
        self.zone = zone
        self.subnet_id = cluster.subnet_mapping[zone]
        self.eni_id = hex_id("eni")
        self.eni_ip = ip
        self.eni_ipv6 = f"2600:1f18:{cluster.zones.index(zone):x}::{_RANDOM.getrandbits(16):x}" if cluster.network_type == "DUALSTACK" else None
        self.state = "CREATE_IN_PROGRESS"
        self.message = "The HSM is being created."
        self.polls = cluster.polls()

    def to_dict(self) -> dict:
        d = {
            "AvailabilityZone": self.zone,
            "ClusterId": self.cluster.id,
            "SubnetId": self.subnet_id,
            "EniId": self.eni_id,
            "EniIp": self.eni_ip,
            "HsmId": self.id,
            "HsmType": self.cluster.hsm_type,
            "State": self.state,
            "StateMessage": self.message,
        }
        if self.eni_ipv6:
            d["EniIpV6"] = self.eni_ipv6
        return d


class Cluster:
    def __init__(self, backend: "CloudHsmBackend", hsm_type: str, mode: str, subnet_ids: list[str],
                 network_type: str, retention: dict, tags: list[dict], source: "Backup | None"):
        self.backend = backend
        self.id = new_id("cluster")
        self.created = time.time()
        self.seq = next(_SEQUENCE)
        self.hsm_type = hsm_type
        self.mode = mode
        self.network_type = network_type
        # Subnets are not looked up in EC2: the i-th subnet is in zone <region>a, b, ... and
        # holds 10.0.i.0/24.
        self.zones = [f"{backend.region_name}{chr(ord('a') + i)}" for i in range(len(subnet_ids))]
        self.subnet_mapping = dict(zip(self.zones, subnet_ids))
        self.subnet_cidr = {z: ipaddress.ip_network(f"10.0.{i}.0/24") for i, z in enumerate(self.zones)}
        self.vpc_id = hex_id("vpc")
        self.security_group = hex_id("sg")
        self.retention = retention
        self.tags = tags
        self.source = source
        self.hsms: dict[str, Hsm] = {}
        self.state = "CREATE_IN_PROGRESS"
        self.next_state = "ACTIVE" if source else (tag_value(tags, STATE_TAG) or "UNINITIALIZED")
        self.state_polls = self.polls()
        self.calls: dict[str, int] = {}
        # The token binding. `claimed`: the real path of the token directory, from the CreateHsm
        # that binds the token until the last HSM is gone (the token is this cluster's and no
        # other's; a token is a label in a directory). `live`: the token folder is
        # in the token directory (an HSM has been ACTIVE since it was restored or adopted).
        # `pending`: what the first HSM to turn ACTIVE puts back, ("restore", Backup) or
        # ("custody", path of the adopted folder in the state folder).
        self.claimed: str | None = None
        self.live = False
        self.pending: tuple[str, object] | None = None

    @property
    def label(self) -> str | None:
        return tag_value(self.tags, TOKEN_TAG)

    def token_dir(self) -> str:
        """Where the cluster's token lives: the directory it claimed, else the one it names."""
        return self.claimed or os.path.realpath(token_dir(tag_value(self.tags, TOKENDIR_TAG)))

    def polls(self) -> int:
        value = tag_value(self.tags, POLLS_TAG)
        return int(value) if value is not None else POLLS

    def faults(self) -> tuple[set[str], list]:
        return parse_faults(tag_value(self.tags, FAULT_TAG) or "")

    def where(self) -> str:
        return f"{self.id} ({self.backend.region_name}, account {self.backend.account_id})"

    def to_dict(self) -> dict:
        d = {
            "BackupPolicy": "DEFAULT",
            "BackupRetentionPolicy": dict(self.retention),
            "ClusterId": self.id,
            "CreateTimestamp": timestamp(self.created),
            "Hsms": [h.to_dict() for h in self.hsms.values()],
            "HsmType": self.hsm_type,
            "SecurityGroup": self.security_group,
            "State": self.state,
            "StateMessage": CLUSTER_MESSAGES.get(self.state, ""),
            "SubnetMapping": dict(self.subnet_mapping),
            "VpcId": self.vpc_id,
            "NetworkType": self.network_type,
            "Certificates": {},
            "Mode": self.mode,
        }
        if self.source:
            d["SourceBackupId"] = self.source.id
        if self.tags:
            d["TagList"] = [dict(t) for t in self.tags]
        return d


class Backup:
    def __init__(self, backend: "CloudHsmBackend", cluster_id: str | None, hsm_type: str, mode: str,
                 label: str | None, tags: list[dict], created: float, polls: int, never_ready: tuple | None):
        self.backend = backend
        self.id = new_id("backup")
        self.cluster_id = cluster_id
        self.hsm_type = hsm_type
        self.mode = mode
        self.label = label  # the token it holds; what a cluster created from it is bound to
        self.tokendir: str | None = None  # the rootca:softhsm-tokendir it was taken under
        self.tags = tags
        self.created = created
        self.seq = next(_SEQUENCE)
        self.state = "CREATE_IN_PROGRESS"
        self.polls = polls
        self.never_ready = never_ready  # (account, region, cluster id, fault flag) that holds it back
        self.never_expires = False
        self.delete_at: float | None = None
        self.copied: float | None = None
        self.source: tuple[str, str, str | None] | None = None  # (region, backup id, cluster id)
        self.data: str | None = None  # the token folder's copy in the state folder

    @property
    def arn(self) -> str:
        b = self.backend
        return f"arn:{get_partition(b.region_name)}:cloudhsm:{b.region_name}:{b.account_id}:backup/{self.id}"

    def held_back(self) -> bool:
        if self.never_ready is None:
            return False
        account, region, cluster_id, flag = self.never_ready
        cluster = backend_for(account, region).clusters.get(cluster_id)
        return cluster is not None and flag in cluster.faults()[0]

    def to_dict(self) -> dict:
        d = {
            "BackupId": self.id,
            "BackupArn": self.arn,
            "BackupState": self.state,
            "CreateTimestamp": timestamp(self.created),
            "NeverExpires": self.never_expires,
            "HsmType": self.hsm_type,
            "Mode": self.mode,
        }
        if self.cluster_id:
            d["ClusterId"] = self.cluster_id
        if self.source:
            d["CopyTimestamp"] = timestamp(self.copied)
            d["SourceRegion"], d["SourceBackup"] = self.source[0], self.source[1]
            if self.source[2]:
                d["SourceCluster"] = self.source[2]
        if self.delete_at is not None:
            d["DeleteTimestamp"] = timestamp(self.delete_at)
        if self.tags:
            d["TagList"] = [dict(t) for t in self.tags]
        return d


def backend_for(account: str, region: str) -> "CloudHsmBackend":
    return models.cloudhsmv2_backends[account][region]


def all_clusters():
    for per_account in list(models.cloudhsmv2_backends.values()):
        for backend in list(per_account.values()):
            yield from list(backend.clusters.values())


# --- the backend ---------------------------------------------------------------------------

class CloudHsmBackend(models.CloudHSMV2Backend):
    """One account's CloudHSM in one region. Operations take the request's JSON and return the
    response's; `install()` routes moto's CloudHSMV2Response to them."""

    # moto finds a backend's URL table next to the module the class claims to be from.
    __module__ = models.__name__

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.clusters: dict[str, Cluster] = {}
        self.backups: dict[str, Backup] = {}

    # --- lookups and faults

    def cluster(self, cluster_id: str) -> Cluster:
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise NotFound(f"Cluster {cluster_id} not found in {self.region_name}.")
        return cluster

    def backup(self, backup_id: str) -> Backup:
        backup = self.backups.get(backup_id)
        if backup is None:
            raise NotFound(f"Backup {backup_id} not found in {self.region_name}.")
        return backup

    def inject(self, operation: str, clusters) -> None:
        """Counts this call against each cluster it concerns and raises the error a
        rootca:emulator-fault rule asks for on this call, before the operation does anything."""
        for cluster in dict.fromkeys(c for c in clusters if c is not None):
            count = cluster.calls[operation] = cluster.calls.get(operation, 0) + 1
            for op, error, n, onwards in cluster.faults()[1]:
                if op == operation and (count == n or (onwards and count > n)):
                    raise error(
                        f"User: arn:{get_partition(self.region_name)}:iam::{self.account_id}:user/rootca-emulator "
                        f"is not authorized to perform: cloudhsm:{operation} on {cluster.id} "
                        f"(injected by tag {FAULT_TAG}, call {count})"
                        if error is CloudHsmAccessDeniedException
                        else f"Injected by tag {FAULT_TAG} of {cluster.id}: call {count} of {operation}."
                    )

    def cluster_of(self, backup: Backup) -> Cluster | None:
        return self.clusters.get(backup.cluster_id) if backup.cluster_id else None

    # --- progress: each describe moves in-progress resources one poll on

    def advance_cluster(self, cluster: Cluster) -> None:
        if cluster.state in ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):
            cluster.state_polls -= 1
            if cluster.state_polls <= 0:
                self.finish_cluster(cluster)
        for hsm in list(cluster.hsms.values()):
            if hsm.state == "CREATE_IN_PROGRESS" and "hsm-never-active" in cluster.faults()[0]:
                continue
            if hsm.state in ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):
                hsm.polls -= 1
                if hsm.polls <= 0:
                    self.finish_hsm(hsm)

    def advance_backup(self, backup: Backup) -> None:
        if backup.state == "CREATE_IN_PROGRESS" and not backup.held_back():
            backup.polls -= 1
            if backup.polls <= 0:
                backup.state = "READY"

    def finish_cluster(self, cluster: Cluster) -> None:
        if cluster.state == "CREATE_IN_PROGRESS":
            cluster.state = cluster.next_state
        elif cluster.state == "DELETE_IN_PROGRESS":
            cluster.state = "DELETED"
            self.clusters.pop(cluster.id, None)

    def finish_hsm(self, hsm: Hsm) -> None:
        cluster = hsm.cluster
        if hsm.state == "DELETE_IN_PROGRESS":
            hsm.state = "DELETED"
            cluster.hsms.pop(hsm.id, None)
            return
        if cluster.pending is not None:
            kind, what = cluster.pending
            if find_token(cluster.label, cluster.token_dir()) is not None:
                hsm.state = "DEGRADED"
                hsm.message = (f"The SoftHSM token {cluster.label!r} appeared in the token directory while the HSM "
                               "was being created; the emulator does not overwrite it. Delete this HSM.")
                return
            if kind == "custody":
                move_tree(what, place_in_token_dir(os.path.basename(what), cluster.token_dir()))
            elif what.data is not None:  # restore: a copy, the backup stays as it is
                copy_tree(what.data, place_in_token_dir(os.path.basename(what.data), cluster.token_dir()))
            cluster.pending = None
            cluster.live = True
        hsm.state = "ACTIVE"
        hsm.message = "The HSM is ready for use."

    def settle(self, resource) -> None:
        """Polls 0: the transition happens within the call that started it."""
        if isinstance(resource, Cluster) and resource.state_polls <= 0:
            self.finish_cluster(resource)
        elif isinstance(resource, Hsm) and resource.polls <= 0:
            if not (resource.state == "CREATE_IN_PROGRESS" and "hsm-never-active" in resource.cluster.faults()[0]):
                self.finish_hsm(resource)
        elif isinstance(resource, Backup) and resource.polls <= 0 and not resource.held_back():
            resource.state = "READY"

    # --- backups taken by the service

    def take_backup(self, cluster: Cluster, move_token: bool) -> Backup:
        """A backup of the cluster: a copy of its token folder if it is live (moved out of the
        token directory when `move_token`, i.e. no ACTIVE HSM is left)."""
        label = cluster.label
        binding = [t for t in cluster.tags if t["Key"] in (TOKEN_TAG, TOKENDIR_TAG)] if label else []
        backup = Backup(self, cluster.id, cluster.hsm_type, cluster.mode, label, [dict(t) for t in binding],
                        time.time(), cluster.polls(), (self.account_id, self.region_name, cluster.id, "backup-never-ready"))
        backup.tokendir = tag_value(binding, TOKENDIR_TAG)
        folder = find_token(label, cluster.token_dir()) if label and cluster.live else None
        if folder is not None:
            backup.data = state_path("backups", backup.id, os.path.basename(folder))
            (move_tree if move_token else copy_tree)(folder, backup.data)
        self.backups[backup.id] = backup
        self.settle(backup)
        return backup

    def restore_source(self, cluster: Cluster) -> Backup | None:
        """The latest READY backup of the cluster, or of the backup it was created from. A newer
        backup still CREATE_IN_PROGRESS is refused rather than passed over, since restoring an
        older one would lose what the newer one holds."""
        own = [b for b in self.backups.values() if b.cluster_id == cluster.id]
        newest = max(own, key=lambda b: (b.created, b.seq), default=None)
        if newest is not None and newest.state == "CREATE_IN_PROGRESS":
            raise InvalidRequest(f"Backup {newest.id} of cluster {cluster.id} is still CREATE_IN_PROGRESS; "
                                 "wait until it is READY before creating an HSM.")
        candidates = [b for b in own if b.state == "READY"]
        source = cluster.source
        if source is not None and source.state == "READY" and source.id in source.backend.backups:
            candidates.append(source)
        return max(candidates, key=lambda b: (b.created, b.seq), default=None)

    # --- operations

    def CreateCluster(self, p: dict) -> dict:
        hsm_type = string(p, "HsmType", HSM_TYPE, required=True)
        if hsm_type not in HSM_TYPES:
            raise InvalidRequest(f"HsmType must be one of {', '.join(HSM_TYPES)}.")
        subnets = p.get("SubnetIds")
        if not isinstance(subnets, list) or not 1 <= len(subnets) <= 10:
            raise InvalidRequest("SubnetIds must list 1 to 10 subnets.")
        for s in subnets:
            if not isinstance(s, str) or not SUBNET_ID.match(s):
                raise InvalidRequest(f"Invalid subnet ID {s!r}.")
        if len(set(subnets)) != len(subnets):
            raise InvalidRequest("SubnetIds lists a subnet twice.")
        network_type = string(p, "NetworkType") or "IPV4"
        if network_type not in NETWORK_TYPES:
            raise InvalidRequest(f"NetworkType must be one of {', '.join(NETWORK_TYPES)}.")
        mode = string(p, "Mode") or "FIPS"
        if mode not in MODES:
            raise InvalidRequest(f"Mode must be one of {', '.join(MODES)}.")
        if mode == "NON_FIPS" and hsm_type != "hsm2m.medium":
            raise InvalidRequest("NON_FIPS mode is available only with HsmType hsm2m.medium.")
        retention = self.retention(p.get("BackupRetentionPolicy"))
        tags = tag_list(p["TagList"]) if p.get("TagList") is not None else []

        source = None
        source_id = string(p, "SourceBackupId")
        if source_id is not None:
            m = BACKUP_ARN.match(source_id)
            if m:
                if m[1] != self.region_name:
                    raise InvalidRequest(f"Backup {m[3]} is in {m[1]}; copy it to {self.region_name} first.")
                source = backend_for(m[2], m[1]).backups.get(m[3])
                source_id = m[3]
            elif BACKUP_ID.match(source_id):
                source = self.backups.get(source_id)
            else:
                raise InvalidRequest(f"Invalid SourceBackupId {source_id!r}.")
            if source is None:
                raise NotFound(f"Backup {source_id} not found in {self.region_name}.")
            if source.state != "READY":
                raise InvalidRequest(f"Backup {source_id} is {source.state}; only a READY backup can be restored.")
            if source.mode != mode:
                raise InvalidRequest(f"Backup {source_id} is a {source.mode} backup; it restores only into a {source.mode} cluster.")
            if source.hsm_type != hsm_type:
                raise InvalidRequest(f"Backup {source_id} was made with {source.hsm_type}; create the cluster with that HsmType.")
            if source.label is not None:  # the cluster is bound to the token the backup holds
                asked = tag_value(tags, TOKEN_TAG)
                if asked is not None and asked != source.label:
                    raise InvalidRequest(f"Backup {source_id} holds SoftHSM token {source.label!r}, not {asked!r}.")
                tags = merge_tags(tags, [{"Key": TOKEN_TAG, "Value": source.label}])
                if source.tokendir is not None and tag_value(tags, TOKENDIR_TAG) is None:
                    tags = merge_tags(tags, [{"Key": TOKENDIR_TAG, "Value": source.tokendir}])
            drill_faults = tag_value(source.tags, DRILL_FAULT_TAG)
            if drill_faults is not None:
                tags = merge_tags(tags, [{"Key": FAULT_TAG, "Value": drill_faults}])
        check_emulator_tags(tags)

        cluster = Cluster(self, hsm_type, mode, subnets, network_type, retention, tags, source)
        self.clusters[cluster.id] = cluster
        self.settle(cluster)
        return {"Cluster": cluster.to_dict()}

    @staticmethod
    def retention(policy) -> dict:
        if policy is None:
            return dict(DEFAULT_RETENTION)
        if not isinstance(policy, dict) or policy.get("Type", "DAYS") != "DAYS":
            raise InvalidRequest("BackupRetentionPolicy Type must be DAYS.")
        value = policy.get("Value")
        if not isinstance(value, str) or not value.isdigit() or not 7 <= int(value) <= 379:
            raise InvalidRequest("BackupRetentionPolicy Value must be a number of days from 7 to 379, as a string.")
        return {"Type": "DAYS", "Value": str(int(value))}

    def DescribeClusters(self, p: dict) -> dict:
        f = filters(p, ("clusterIds", "vpcIds", "states"))

        def matches(c: Cluster, states: bool) -> bool:
            return (("clusterIds" not in f or c.id in f["clusterIds"])
                    and ("vpcIds" not in f or c.vpc_id in f["vpcIds"])
                    and (not states or "states" not in f or c.state in f["states"]))

        # A describe advances what it would show, whatever state it is in.
        touched = [c for c in self.clusters.values() if matches(c, False)]
        page_size(p, 25)
        self.inject("DescribeClusters", touched)
        for c in touched:
            self.advance_cluster(c)
        shown = sorted((c for c in self.clusters.values() if matches(c, True)), key=lambda c: (c.created, c.seq))
        page, more = paginate(shown, p, 25)
        return {"Clusters": [c.to_dict() for c in page], **more}

    def DeleteCluster(self, p: dict) -> dict:
        cluster = self.cluster(string(p, "ClusterId", CLUSTER_ID, required=True))
        self.inject("DeleteCluster", [cluster])
        if cluster.hsms:
            raise InvalidRequest(f"Cluster {cluster.id} has {len(cluster.hsms)} HSM(s); delete them first.")
        if cluster.state in ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):
            raise InvalidRequest(f"Cluster {cluster.id} is {cluster.state}.")
        cluster.state = "DELETE_IN_PROGRESS"
        cluster.state_polls = cluster.polls()
        self.settle(cluster)
        return {"Cluster": cluster.to_dict()}

    def ModifyCluster(self, p: dict) -> dict:
        cluster_id = string(p, "ClusterId", CLUSTER_ID, required=True)
        hsm_type = string(p, "HsmType", HSM_TYPE)
        policy = p.get("BackupRetentionPolicy")
        cluster = self.cluster(cluster_id)
        self.inject("ModifyCluster", [cluster])
        if cluster.state in ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):
            raise InvalidRequest(f"Cluster {cluster.id} is {cluster.state}.")
        if hsm_type is not None and hsm_type != cluster.hsm_type:
            raise InvalidRequest("The emulator does not emulate HSM type migration.")
        if policy is None and hsm_type is None:
            raise InvalidRequest("Give BackupRetentionPolicy or HsmType.")
        if policy is not None:
            cluster.retention = self.retention(policy)
        return {"Cluster": cluster.to_dict()}

    def CreateHsm(self, p: dict) -> dict:
        cluster_id = string(p, "ClusterId", CLUSTER_ID, required=True)
        zone = string(p, "AvailabilityZone", AVAILABILITY_ZONE, required=True)
        ip = string(p, "IpAddress", IP_ADDRESS)
        cluster = self.cluster(cluster_id)
        self.inject("CreateHsm", [cluster])
        if cluster.state not in ("UNINITIALIZED", "INITIALIZED", "ACTIVE", "DEGRADED"):
            raise InvalidRequest(f"Cluster {cluster.id} is {cluster.state}; HSMs cannot be added now.")
        if zone not in cluster.subnet_mapping:
            raise InvalidRequest(f"Cluster {cluster.id} has no subnet in {zone}; its zones are {', '.join(cluster.zones)}.")
        if len(cluster.hsms) >= MAX_HSMS_PER_CLUSTER:
            raise InvalidRequest(f"A cluster holds at most {MAX_HSMS_PER_CLUSTER} HSMs.")
        ip = self.address(cluster, zone, ip)

        label = cluster.label
        if label is not None and not cluster.claimed:
            directory = cluster.token_dir()
            holder = next((c for c in all_clusters()
                           if c is not cluster and c.claimed == directory and c.label == label), None)
            if holder is not None:
                raise InvalidRequest(f"Conflict: SoftHSM token {label!r} is live in cluster {holder.where()}; "
                                     "a token is live in at most one cluster.")
            backup = self.restore_source(cluster)
            present = find_token(label, directory)
            if backup is not None:
                if present is not None:
                    raise InvalidRequest(f"Conflict: SoftHSM token {label!r} is in the token directory "
                                         f"({present}) though no cluster holds it; restoring backup {backup.id} "
                                         "would give two tokens one label.")
                pending = ("restore", backup)
            elif present is not None:  # a first HSM adopts the token the officer prepared
                custody = state_path("custody", cluster.id, os.path.basename(present))
                move_tree(present, custody)
                pending = ("custody", custody)
            else:
                raise InvalidRequest(f"Cluster {cluster.id} has no READY backup and SoftHSM token {label!r} "
                                     f"is not in the token directory {directory}: there is nothing to put on the HSM.")
            cluster.claimed, cluster.pending = directory, pending
        elif any(h.state == "ACTIVE" for h in cluster.hsms.values()) and (cluster.live or cluster.state == "ACTIVE"):
            # "adding an HSM to an active cluster" forces a backup (user guide, manage-backups)
            self.take_backup(cluster, move_token=False)

        hsm = Hsm(cluster, zone, ip)
        cluster.hsms[hsm.id] = hsm
        self.settle(hsm)
        return {"Hsm": hsm.to_dict()}

    @staticmethod
    def address(cluster: Cluster, zone: str, asked: str | None) -> str:
        network = cluster.subnet_cidr[zone]
        hosts = list(network.hosts())[3:]  # AWS keeps the first four addresses and the last
        used = {h.eni_ip for h in cluster.hsms.values()}
        if asked is not None:
            try:
                address = ipaddress.ip_address(asked)
            except ValueError:
                raise InvalidRequest(f"Invalid IpAddress {asked!r}.") from None
            if address not in hosts:
                raise InvalidRequest(f"IpAddress {asked} is not an available address of subnet "
                                     f"{cluster.subnet_mapping[zone]} ({network}).")
            if asked in used:
                raise InvalidRequest(f"IpAddress {asked} is in use by another HSM.")
            return asked
        free = [str(h) for h in hosts if str(h) not in used]
        return _RANDOM.choice(free)

    def DeleteHsm(self, p: dict) -> dict:
        cluster_id = string(p, "ClusterId", CLUSTER_ID, required=True)
        given = {k: p.get(k) for k in ("HsmId", "EniId", "EniIp") if p.get(k) is not None}
        if len(given) != 1:
            raise InvalidRequest("Give exactly one of HsmId, EniId and EniIp.")
        (key, value), = given.items()
        string(p, key, {"HsmId": HSM_ID, "EniId": ENI_ID, "EniIp": IP_ADDRESS}[key])
        cluster = self.cluster(cluster_id)
        self.inject("DeleteHsm", [cluster])
        attribute = {"HsmId": "id", "EniId": "eni_id", "EniIp": "eni_ip"}[key]
        hsm = next((h for h in cluster.hsms.values() if getattr(h, attribute) == value), None)
        if hsm is None:
            raise NotFound(f"No HSM with {key} {value} in cluster {cluster.id}.")
        if hsm.state == "DELETE_IN_PROGRESS":
            return {"HsmId": hsm.id}

        was_active = hsm.state == "ACTIVE"
        hsm.state, hsm.message, hsm.polls = "DELETE_IN_PROGRESS", "The HSM is being deleted.", cluster.polls()
        others = [h for h in cluster.hsms.values() if h is not hsm and h.state != "DELETE_IN_PROGRESS"]
        active_left = any(h.state == "ACTIVE" for h in others)
        if was_active and (cluster.live or cluster.state == "ACTIVE"):
            # "removing an HSM from an active cluster" forces a backup; when no ACTIVE HSM is
            # left it takes the token out of the token directory
            backup = self.take_backup(cluster, move_token=cluster.live and not active_left)
            if cluster.live and not active_left:
                cluster.live = False
                cluster.pending = ("restore", backup) if others else None
        if cluster.claimed and not others:
            if cluster.pending is not None and cluster.pending[0] == "custody":
                # never ACTIVE: the adopted token goes back as it was before CreateHsm
                move_tree(cluster.pending[1], place_in_token_dir(os.path.basename(cluster.pending[1]), cluster.claimed))
            cluster.claimed, cluster.live, cluster.pending = None, False, None
        self.settle(hsm)
        return {"HsmId": hsm.id}

    def DescribeBackups(self, p: dict) -> dict:
        f = filters(p, ("backupIds", "sourceBackupIds", "clusterIds", "states", "neverExpires"))
        shared = boolean(p, "Shared")
        ascending = boolean(p, "SortAscending")
        never = f.get("neverExpires")
        if never is not None and (len(never) != 1 or never[0].lower() not in ("true", "false")):
            raise InvalidRequest("The neverExpires filter takes one value, true or false.")

        def matches(b: Backup, states: bool) -> bool:
            return (not shared  # no backups are shared with this account through RAM
                    and ("backupIds" not in f or b.id in f["backupIds"])
                    and ("sourceBackupIds" not in f or (b.source is not None and b.source[1] in f["sourceBackupIds"]))
                    and ("clusterIds" not in f or b.cluster_id in f["clusterIds"])
                    and (never is None or b.never_expires == (never[0].lower() == "true"))
                    and (not states or "states" not in f or b.state in f["states"]))

        touched = [b for b in self.backups.values() if matches(b, False)]
        page_size(p, 50)
        self.inject("DescribeBackups", [self.cluster_of(b) for b in touched]
                    + [self.clusters.get(c) for c in f.get("clusterIds", [])])
        for b in touched:
            self.advance_backup(b)
        shown = sorted((b for b in self.backups.values() if matches(b, True)),
                       key=lambda b: (b.created, b.seq), reverse=not ascending)
        page, more = paginate(shown, p, 50)
        return {"Backups": [b.to_dict() for b in page], **more}

    def CopyBackupToRegion(self, p: dict) -> dict:
        region = string(p, "DestinationRegion", REGION, required=True)
        backup = self.backup(string(p, "BackupId", BACKUP_ID, required=True))
        tags = tag_list(p["TagList"]) if p.get("TagList") is not None else [dict(t) for t in backup.tags]
        self.inject("CopyBackupToRegion", [self.cluster_of(backup)])
        if region == self.region_name:
            raise InvalidRequest("DestinationRegion is the backup's own region.")
        if region not in models.cloudhsmv2_backends[self.account_id]:
            raise InvalidRequest(f"CloudHSM is not available in {region}.")
        if get_partition(region) != get_partition(self.region_name):
            raise InvalidRequest(f"Backups cannot be copied between {self.region_name} and {region}.")
        if backup.state != "READY":
            raise InvalidRequest(f"Backup {backup.id} is {backup.state}; only a READY backup can be copied.")

        destination = backend_for(self.account_id, region)
        source_cluster = self.cluster_of(backup)
        copy = Backup(destination, None, backup.hsm_type, backup.mode, backup.label, tags, backup.created,
                      source_cluster.polls() if source_cluster else POLLS,
                      (self.account_id, self.region_name, backup.cluster_id, "copy-never-ready") if backup.cluster_id else None)
        copy.copied = time.time()
        copy.tokendir = backup.tokendir
        copy.source = (self.region_name, backup.id, backup.cluster_id)
        if backup.data is not None:
            copy.data = state_path("backups", copy.id, os.path.basename(backup.data))
            copy_tree(backup.data, copy.data)
        destination.backups[copy.id] = copy
        destination.settle(copy)
        out = {"CreateTimestamp": timestamp(copy.created), "SourceRegion": self.region_name, "SourceBackup": backup.id}
        if backup.cluster_id:
            out["SourceCluster"] = backup.cluster_id
        return {"DestinationBackup": out}

    def ModifyBackupAttributes(self, p: dict) -> dict:
        backup = self.backup(string(p, "BackupId", BACKUP_ID, required=True))
        never = boolean(p, "NeverExpires", required=True)
        self.inject("ModifyBackupAttributes", [self.cluster_of(backup)])
        if backup.state != "READY":
            raise InvalidRequest(f"Backup {backup.id} is {backup.state}; only a READY backup can be modified.")
        backup.never_expires = never
        return {"Backup": backup.to_dict()}

    def DeleteBackup(self, p: dict) -> dict:
        backup = self.backup(string(p, "BackupId", BACKUP_ID, required=True))
        self.inject("DeleteBackup", [self.cluster_of(backup)])
        if backup.state != "READY":
            raise InvalidRequest(f"Backup {backup.id} is {backup.state}; only a READY backup can be deleted.")
        backup.state = "PENDING_DELETION"
        backup.delete_at = time.time() + RESTORE_WINDOW
        return {"Backup": backup.to_dict()}

    def RestoreBackup(self, p: dict) -> dict:
        backup = self.backup(string(p, "BackupId", BACKUP_ID, required=True))
        self.inject("RestoreBackup", [self.cluster_of(backup)])
        if backup.state != "PENDING_DELETION":
            raise InvalidRequest(f"Backup {backup.id} is {backup.state}; only a backup in PENDING_DELETION can be restored.")
        backup.state = "READY"
        backup.delete_at = None
        return {"Backup": backup.to_dict()}

    def resource(self, p: dict) -> Cluster | Backup:
        resource_id = string(p, "ResourceId", RESOURCE_ID, required=True)
        found = self.clusters.get(resource_id) or self.backups.get(resource_id)
        if found is None:
            raise NotFound(f"Resource {resource_id} not found in {self.region_name}.")
        return found

    def concerned(self, resource: Cluster | Backup) -> Cluster | None:
        return resource if isinstance(resource, Cluster) else self.cluster_of(resource)

    def retag(self, resource: Cluster | Backup, tags: list[dict]) -> None:
        if isinstance(resource, Cluster):
            check_emulator_tags(tags)
            if tag_value(tags, TOKENDIR_TAG) != tag_value(resource.tags, TOKENDIR_TAG) and (resource.hsms or resource.claimed):
                raise InvalidRequest(f"Cluster {resource.id} has HSMs; its {TOKENDIR_TAG} tag cannot change now.")
            if tag_value(tags, TOKEN_TAG) != resource.label:
                if resource.hsms or resource.claimed:
                    raise InvalidRequest(f"Cluster {resource.id} has HSMs; its {TOKEN_TAG} tag cannot change now.")
                if resource.source or any(b.cluster_id == resource.id for b in self.backups.values()):
                    raise InvalidRequest(f"Cluster {resource.id} has backups of token {resource.label!r}; "
                                         f"its {TOKEN_TAG} tag cannot change.")
            if tag_value(tags, FAULT_TAG) != tag_value(resource.tags, FAULT_TAG):
                resource.calls = {}  # a new fault rule counts calls from now on
        resource.tags = tags

    def TagResource(self, p: dict) -> dict:
        resource = self.resource(p)
        new = tag_list(p.get("TagList"))
        self.inject("TagResource", [self.concerned(resource)])
        tags = merge_tags(resource.tags, new)
        if len(tags) > MAX_TAGS:
            raise CloudHsmResourceLimitExceededException(f"A resource has at most {MAX_TAGS} tags.")
        self.retag(resource, tags)
        return {}

    def UntagResource(self, p: dict) -> dict:
        resource = self.resource(p)
        keys = p.get("TagKeyList")
        if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_TAGS or not all(isinstance(k, str) for k in keys):
            raise CloudHsmTagException(f"TagKeyList must hold 1 to {MAX_TAGS} tag keys.")
        self.inject("UntagResource", [self.concerned(resource)])
        self.retag(resource, [t for t in resource.tags if t["Key"] not in keys])
        return {}

    def ListTags(self, p: dict) -> dict:
        resource = self.resource(p)
        page_size(p, 100)
        self.inject("ListTags", [self.concerned(resource)])
        page, more = paginate(resource.tags, p, 100)
        return {"TagList": [dict(t) for t in page], **more}


OPERATIONS = tuple(
    name for name in vars(CloudHsmBackend) if name[0].isupper() and callable(getattr(CloudHsmBackend, name))
)
# In the model but not emulated: answered with an error an SDK can read, not moto's HTML 500.
# (GetResourcePolicy and PutResourcePolicy stay moto's.)
NOT_EMULATED = ("InitializeCluster", "DeleteResourcePolicy")


def _not_emulated(operation: str):
    def method(self):
        raise InvalidRequest(f"The rootca emulator does not implement {operation}.")

    method.__name__ = camelcase_to_underscores(operation)
    return method


def _respond(operation: str):
    def method(self):
        try:
            params = json.loads(self.body) if self.body else {}
        except ValueError:
            raise InvalidRequest("The request body is not JSON.") from None
        if not isinstance(params, dict):
            raise InvalidRequest("The request body is not a JSON object.")
        with LOCK:
            result = getattr(self.cloudhsmv2_backend, operation)(params)
        return json.dumps(result), {"Content-Type": "application/x-amz-json-1.1"}

    method.__name__ = camelcase_to_underscores(operation)
    return method


def install() -> None:
    """Route moto's cloudhsmv2 requests to this module; call before the server handles one."""
    global POLLS, STATE_DIR
    polls = os.environ.get("ROOTCA_EMULATOR_CLOUDHSM_POLLS", "3")
    if not polls.isdigit():
        raise SystemExit(f"ROOTCA_EMULATOR_CLOUDHSM_POLLS must be a number of polls (0 or more), not {polls!r}")
    POLLS = int(polls)
    STATE_DIR = os.environ.get("ROOTCA_EMULATOR_STATE_DIR") or None
    models.cloudhsmv2_backends.backend = CloudHsmBackend
    for operation in OPERATIONS:
        setattr(responses.CloudHSMV2Response, camelcase_to_underscores(operation), _respond(operation))
    for operation in NOT_EMULATED:
        setattr(responses.CloudHSMV2Response, camelcase_to_underscores(operation), _not_emulated(operation))
