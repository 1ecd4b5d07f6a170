"""Amazon S3 behaviour that moto lacks, patched into moto's s3 module at startup.

moto 5.2.5 serves S3 (buckets, objects, Content-Type, ETags, public access blocks and
NoSuchPublicAccessBlockConfiguration) on the same port as every other service. What it gets
wrong only shows once IAM is enforced (POST /moto-api/reset-auth with 0, as rootca's access
tests do):

- GetPublicAccessBlock, PutPublicAccessBlock and DeletePublicAccessBlock are authorised as
  s3:ListBucket and s3:CreateBucket (its action table keys them by "public_access_block" while
  the query string says "publicAccessBlock"); AWS authorises them as
  s3:GetBucketPublicAccessBlock and s3:PutBucketPublicAccessBlock.
- HeadObject of an absent key answers 404 to every caller; AWS answers 403 to a caller that
  may not list the bucket (s3:ListBucket), so as not to tell it whether the key exists.

`install()` applies it.
"""

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.s3 import responses
from moto.s3.exceptions import S3AccessDeniedError

# Query string -> the IAM action AWS checks, per method, for bucket sub-resources.
BUCKET_ACTIONS = {
    "GET": {"publicAccessBlock": "GetBucketPublicAccessBlock"},
    "PUT": {"publicAccessBlock": "PutBucketPublicAccessBlock"},
    "DELETE": {"publicAccessBlock": "PutBucketPublicAccessBlock"},
}


def iam_enforced() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


_moto_head_object = responses.S3Response.head_object


def head_object(self, bucket_name, query, key_name, headers):
    status, response_headers, body = _moto_head_object(self, bucket_name, query, key_name, headers)
    if status == 404 and iam_enforced():
        try:
            self.backend.get_bucket(bucket_name)
        except Exception:  # no such bucket: 404 stays
            return status, response_headers, body
        self.data["Action"] = "ListBucket"
        try:
            self._authenticate_and_authorize_s3_action(bucket_name=bucket_name)
        except S3AccessDeniedError:
            return 403, {}, ""
    return status, response_headers, body


def install() -> None:
    """Patch moto's s3 module; call before the server handles a request."""
    table = responses.ACTION_MAP["BUCKET"]
    for method, actions in BUCKET_ACTIONS.items():
        table[method].pop("public_access_block", None)
        table[method].update(actions)
    responses.S3Response.head_object = head_object
