"""Trusted timestamps: once a day, an RFC 3161 time-stamping authority signs the time at which the
custody chains stood as they do (docs/security.md, "Trusted timestamps"; docs/decisions.md).

What is stamped: for every item whose chain grew since it was last stamped, the hash of its last
custody event (the chain head), one Merkle tree per organisation (RFC 6962 shape: a leaf is
SHA-256(0x00 ‖ head hash), a node SHA-256(0x01 ‖ left ‖ right)); the TSA signs SHA-256 of the
root. A chain head covers the whole chain up to it and, through the ``captured`` event, the
SHA-256 of the blob's ciphertext — never the original's
plaintext SHA-256, so neither the TSA nor whoever seizes the server can confirm they hold a file.

The token is stored with its leaves in order (which event of which item), so that
``defensor evidence verify`` recomputes the root from the custody rows as they are now, compares it
with the token's message imprint and checks the token's signature against ``DEFENSOR_TSA_CERT``.

The TSA is asked without a certificate in its reply (certReq false): the verifier pins the
configured certificate, and TSAs that return their chain in a SET OF not sorted as DER wants
(openssl with ``certs``) stay readable. A failure (unreachable, refused, a reply that does not
verify) is audited with a code and tried again the next day: the heads stay unstamped until then.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django_tasks import task
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from defensor.audit.services import log_action
from defensor.core.models import Organisation
from defensor.core.periodic import periodic_queue_once
from defensor.evidence.models import CustodyEvent, EvidenceItem, TimestampLeaf, TimestampToken

logger = logging.getLogger(__name__)

STAMP_HOUR = 3  # local time: the day's work is done, the TSA is quiet
MAX_REPLY_BYTES = 1024 * 1024
TIMESTAMP_TASK = "defensor.evidence.timestamps.timestamps_daily"


# --- the Merkle tree --------------------------------------------------------------------------


def leaf_hash(head: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(head)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two below ``n`` (RFC 6962, 2.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root_of(leaves: Sequence[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(_root_of(leaves[:k]), _root_of(leaves[k:]))


def merkle_root(heads: Sequence[str]) -> bytes:
    """The root over custody event hashes (hex), in this order."""
    if not heads:
        raise ValueError("no leaves")
    return _root_of([leaf_hash(head) for head in heads])


def merkle_path(heads: Sequence[str], index: int) -> list[tuple[str, str]]:
    """The audit path of leaf ``index``: (side of the sibling, "L" or "R"; sibling hash hex), leaf upwards."""
    leaves = [leaf_hash(head) for head in heads]
    path: list[tuple[str, str]] = []

    def walk(part: Sequence[bytes], at: int) -> None:
        if len(part) == 1:
            return
        k = _split(len(part))
        if at < k:
            walk(part[:k], at)
            path.append(("R", _root_of(part[k:]).hex()))
        else:
            walk(part[k:], at - k)
            path.append(("L", _root_of(part[:k]).hex()))

    walk(leaves, index)
    return path


def merkle_root_from_path(head: str, path: Iterable[tuple[str, str]]) -> bytes:
    """What a court's expert computes: the root from one head and its audit path."""
    value = leaf_hash(head)
    for side, sibling in path:
        value = _node(bytes.fromhex(sibling), value) if side == "L" else _node(value, bytes.fromhex(sibling))
    return value


# --- the TSA's certificate --------------------------------------------------------------------


class TsaCertificateMissing(Exception):
    pass


def tsa_certificates() -> list[x509.Certificate]:
    """The PEM file named by DEFENSOR_TSA_CERT: the TSA's certificate and those up to its root."""
    if not settings.DEFENSOR_TSA_CERT:
        raise TsaCertificateMissing("DEFENSOR_TSA_CERT is not set")
    try:
        certificates = x509.load_pem_x509_certificates(Path(settings.DEFENSOR_TSA_CERT).read_bytes())
    except (OSError, ValueError) as error:
        raise TsaCertificateMissing(f"DEFENSOR_TSA_CERT cannot be read: {type(error).__name__}") from error
    if not any(_stamps(cert) for cert in certificates):
        raise TsaCertificateMissing("DEFENSOR_TSA_CERT holds no certificate for time stamping")
    return certificates


def _stamps(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.TIME_STAMPING in usage


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def token_verify(response: TimeStampResponse, certificates: list[x509.Certificate], *,
                 nonce: int | None = None) -> None:
    """The reply is granted and signed by one of the configured TSA certificates, whose chain ends at
    a root in the same file (the last certificate when none is self-signed). ``VerificationError``
    otherwise. The message imprint is compared by the caller."""
    roots = [cert for cert in certificates if _self_signed(cert)] or certificates[-1:]
    intermediates = [cert for cert in certificates if cert not in roots and not _stamps(cert)]
    failure: VerificationError | None = None
    for signer in (cert for cert in certificates if _stamps(cert)):
        builder = VerifierBuilder(tsa_certificate=signer, roots=list(roots), intermediates=list(intermediates))
        if nonce is not None:
            builder = builder.nonce(nonce)
        try:
            builder.build().verify(response, response.tst_info.message_imprint.message)
        except VerificationError as error:
            failure = error
        else:
            return
    raise failure or VerificationError("no time-stamping certificate")


def _imprint_matches(response: TimeStampResponse, root: bytes) -> bool:
    imprint = response.tst_info.message_imprint
    return (imprint.hash_algorithm == x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
            and imprint.message == hashlib.sha256(root).digest())


# --- stamping ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    item_id: Any
    seq: int
    hash: str


class StampFailed(Exception):
    """Why the TSA gave no usable token, as a code (audited; nothing else is known)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def unstamped_heads(*, organisation: Organisation) -> list[Head]:
    """The chain head of every item of ``organisation`` whose chain grew since it was last stamped."""
    last = CustodyEvent.objects.filter(item=OuterRef("pk")).order_by("-seq")
    stamped = TimestampLeaf.objects.filter(item=OuterRef("pk")).order_by("-seq")
    rows = (EvidenceItem.objects.filter(case__organisation=organisation)
            .annotate(head_seq=Subquery(last.values("seq")[:1]), head_hash=Subquery(last.values("hash")[:1]),
                      stamped_seq=Subquery(stamped.values("seq")[:1]))
            .filter(head_seq__isnull=False)
            .filter(Q(stamped_seq__isnull=True) | Q(stamped_seq__lt=F("head_seq")))
            .order_by("case_id", "number")
            .values_list("pk", "head_seq", "head_hash"))
    return [Head(item_id, seq, head) for item_id, seq, head in rows]


def _ask_tsa(root: bytes) -> TimeStampResponse:
    url = settings.DEFENSOR_TSA_URL
    if urlsplit(url).scheme not in ("http", "https"):
        raise StampFailed("tsa-url-invalid")
    try:
        certificates = tsa_certificates()
    except TsaCertificateMissing as error:
        raise StampFailed("tsa-cert-missing") from error
    query = TimestampRequestBuilder().data(root).hash_algorithm(HashAlgorithm.SHA256).cert_request(
        cert_request=False).build()
    request = urllib.request.Request(url, data=query.as_bytes(), method="POST", headers={  # noqa: S310 (checked above)
        "Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(request, timeout=settings.DEFENSOR_TSA_TIMEOUT) as reply:  # noqa: S310
            body = reply.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise StampFailed("tsa-http-error") from error
    except (urllib.error.URLError, OSError) as error:  # refused, no route, timeout
        raise StampFailed("tsa-unreachable") from error
    if len(body) > MAX_REPLY_BYTES:
        raise StampFailed("tsa-reply-too-large")
    try:
        response = decode_timestamp_response(body)
    except ValueError as error:
        raise StampFailed("tsa-reply-unreadable") from error
    if response.status != PKIStatus.GRANTED:  # "granted with modifications" is not what we asked for
        raise StampFailed("tsa-refused")
    try:
        token_verify(response, certificates, nonce=query.nonce)
    except VerificationError as error:
        raise StampFailed("tsa-reply-invalid") from error
    if not _imprint_matches(response, root):
        raise StampFailed("tsa-reply-other-imprint")
    return response


def organisation_stamp(*, organisation: Organisation) -> TimestampToken | None:
    """Stamp the organisation's new chain heads (None when there are none, or when the TSA fails:
    then the failure is audited and the same heads, and the day's new ones, go in tomorrow's run).
    The TSA is asked outside any transaction; the token and its audit event are written in one."""
    heads = unstamped_heads(organisation=organisation)
    if not heads:
        return None
    root = merkle_root([head.hash for head in heads])
    try:
        response = _ask_tsa(root)
    except StampFailed as failure:
        logger.warning("evidence timestamp: %s (%d chain heads wait for the next run)", failure.code, len(heads))
        with transaction.atomic():
            log_action(action="evidence.timestamp_failed", organisation=organisation,
                       details={"reason": failure.code, "leaves": len(heads)})
        return None
    with transaction.atomic():
        token = TimestampToken.objects.create(organisation=organisation, created_at=timezone.now(),
                                              stamped_at=response.tst_info.gen_time,
                                              root=root.hex(), response=response.as_bytes())
        TimestampLeaf.objects.bulk_create(
            TimestampLeaf(token=token, position=position, item_id=head.item_id, seq=head.seq, hash=head.hash)
            for position, head in enumerate(heads))
        log_action(action="evidence.timestamped", organisation=organisation, target=token,
                   details={"leaves": len(heads), "serial": str(response.tst_info.serial_number)})
    return token


def timestamps_stamp() -> int:
    """Every organisation's new chain heads, stamped (nothing when DEFENSOR_TSA_URL is empty).
    Returns how many tokens were stored."""
    if not settings.DEFENSOR_TSA_URL:
        return 0
    made = 0
    for organisation in Organisation.objects.filter(
            pk__in=EvidenceItem.objects.values("case__organisation_id")).order_by("pk"):
        if organisation_stamp(organisation=organisation) is not None:
            made += 1
    return made


def next_run_after(now: datetime) -> datetime:
    local = timezone.localtime(now)
    at = timezone.make_aware(datetime.combine(local.date(), time(STAMP_HOUR)))
    return at if at > now else at + timedelta(days=1)


def timestamps_schedule(*, now: datetime | None = None) -> bool:
    """Queue the next daily run unless one waits, or timestamps are off. True if one was queued."""
    if not settings.DEFENSOR_TSA_URL:
        return False
    return periodic_queue_once(timestamps_daily, run_after=next_run_after(now or timezone.now()))


@task()
def timestamps_daily() -> int:
    """Today's stamp, then tomorrow's run."""
    try:
        return timestamps_stamp()
    finally:
        timestamps_schedule()


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenProblem:
    """One thing wrong with a stored token, by ids and a code only (printed by ``evidence verify``)."""

    token_id: str
    code: str
    item_id: str | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = f" evidence {self.item_id} seq={self.seq}" if self.item_id is not None else ""
        return f"timestamp {self.token_id}: {self.code}{where}"


def token_problems(token: TimestampToken, certificates: list[x509.Certificate] | None) -> list[TokenProblem]:
    """Recompute ``token``'s root from the custody rows as they are now and check it against the
    token's message imprint; check the token's signature (unless ``certificates`` is None)."""
    token_id = str(token.pk)
    problems: list[TokenProblem] = []
    leaves = list(TimestampLeaf.objects.filter(token=token).order_by("position"))
    current = {(event.item_id, event.seq): event.hash for event in CustodyEvent.objects.filter(
        item_id__in={leaf.item_id for leaf in leaves}).only("item_id", "seq", "hash")}
    heads: list[str] = []
    for index, leaf in enumerate(leaves):
        if leaf.position != index:
            problems.append(TokenProblem(token_id, "timestamp-leaf-order"))
        head = current.get((leaf.item_id, leaf.seq))
        if head is None:
            problems.append(TokenProblem(token_id, "timestamp-leaf-missing", str(leaf.item_id), leaf.seq))
            continue
        if head != leaf.hash:
            problems.append(TokenProblem(token_id, "timestamp-leaf-changed", str(leaf.item_id), leaf.seq))
        heads.append(head)
    try:
        response = decode_timestamp_response(bytes(token.response))
    except ValueError:
        return [*problems, TokenProblem(token_id, "timestamp-token-unreadable")]
    root = merkle_root(heads) if heads else b""
    if not heads or root.hex() != token.root or not _imprint_matches(response, root):
        problems.append(TokenProblem(token_id, "timestamp-root"))
    if certificates is not None:
        try:
            token_verify(response, certificates)
        except VerificationError:
            problems.append(TokenProblem(token_id, "timestamp-token"))
    return problems


def timestamps_verify() -> list[str]:
    """Every stored token checked (one line per problem; none when all hold or none is stored)."""
    tokens = TimestampToken.objects.order_by("created_at", "pk")
    if not tokens.exists():
        return []
    lines: list[str] = []
    certificates: list[x509.Certificate] | None
    try:
        certificates = tsa_certificates()
    except TsaCertificateMissing:
        certificates = None
        lines.append("timestamps: tsa-cert-missing (DEFENSOR_TSA_CERT): the tokens' signatures are not checked")
    for token in tokens.iterator():
        lines.extend(str(problem) for problem in token_problems(token, certificates))
    return lines


# --- for the court bundle ---------------------------------------------------------------------


@dataclass(frozen=True)
class StampProof:
    """That one chain head of an item is under a token: the head, its audit path and the token."""

    token_id: str
    stamped_at: datetime
    root: str
    response: bytes  # the TSA's reply, DER (``openssl ts -reply -in … -token_out`` gives the token)
    item_id: str
    seq: int
    head: str
    index: int
    leaves: int
    path: list[tuple[str, str]]


def stamp_proofs(*, items: Iterable[EvidenceItem]) -> list[StampProof]:
    """Every stamp of these items' chains, oldest first, each with its audit path (no other item's
    id is given out: only sibling hashes)."""
    wanted = {item.pk for item in items}
    proofs: list[StampProof] = []
    leaves = TimestampLeaf.objects.filter(item_id__in=wanted).select_related("token").order_by(
        "token__created_at", "token_id", "position")
    heads_of: dict[Any, list[str]] = {}
    for leaf in leaves:
        token = leaf.token
        if token.pk not in heads_of:
            heads_of[token.pk] = list(TimestampLeaf.objects.filter(token=token).order_by("position")
                                      .values_list("hash", flat=True))
        heads = heads_of[token.pk]
        proofs.append(StampProof(
            token_id=str(token.pk), stamped_at=token.stamped_at, root=token.root, response=bytes(token.response),
            item_id=str(leaf.item_id), seq=leaf.seq, head=leaf.hash, index=leaf.position, leaves=len(heads),
            path=merkle_path(heads, leaf.position)))
    return proofs


def tsa_certificates_pem() -> bytes:
    """The configured TSA certificates, PEM (empty when none is configured): what a court needs
    besides the tokens to check them."""
    try:
        return b"".join(cert.public_bytes(Encoding.PEM) for cert in tsa_certificates())
    except TsaCertificateMissing:
        return b""


# --- start-up checks --------------------------------------------------------------------------


@register()
def check_timestamps(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEFENSOR_TSA_URL:
        return []
    messages: list[CheckMessage] = []
    if urlsplit(settings.DEFENSOR_TSA_URL).scheme not in ("http", "https"):
        messages.append(Error("DEFENSOR_TSA_URL is not an http:// or https:// address.", id="defensor.E025"))
    try:
        tsa_certificates()
    except TsaCertificateMissing as error:
        messages.append(Error(
            f"Trusted timestamps are on (DEFENSOR_TSA_URL) but {error}.",
            hint="Set DEFENSOR_TSA_CERT to a PEM file with the TSA's certificate and the chain up to its root.",
            id="defensor.E026",
        ))
    return messages
