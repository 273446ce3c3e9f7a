"""The offline recovery key: printed as 3 SLIP-39 shares, any 2 of which restore it."""

from __future__ import annotations

import sys
from typing import Any

import shamir_mnemonic
from django.utils.translation import gettext_lazy as _

from defensor.core.errors import DefensorError
from defensor.keys import crypto

SHARES = 3
THRESHOLD = 2


class InvalidShares(DefensorError):
    user_message = _("These recovery shares are wrong, incomplete, or from another organisation.")


def split(private_key: bytes) -> list[str]:
    return [str(share) for share in shamir_mnemonic.generate_mnemonics(1, [(THRESHOLD, SHARES)], private_key)[0]]


def combine(shares: list[str], expected_public_key: bytes) -> bytes:
    """The recovery private key from THRESHOLD shares, checked against the stored public key."""
    private_key = combine_unchecked(shares)
    if crypto.public_from_private(private_key) != expected_public_key:
        raise InvalidShares()
    return private_key


def combine_unchecked(shares: list[str]) -> bytes:
    """The private key THRESHOLD shares make, before there is a stored public key to check it
    against (``defensor restore``: the archive it opens, or not, is the check)."""
    cleaned = [" ".join(share.lower().split()) for share in shares if share.strip()]
    try:
        private_key = bytes(shamir_mnemonic.combine_mnemonics(cleaned))
    except (shamir_mnemonic.MnemonicError, ValueError, KeyError) as error:
        raise InvalidShares() from error
    if len(private_key) != crypto.KEY_SIZE:
        raise InvalidShares()
    return private_key


def read_shares(stream: Any) -> list[str]:
    """THRESHOLD shares typed one per line on ``stream`` (blank lines skipped), asking for each on
    standard error when it is a terminal. Fewer if the stream ends first."""
    prompt = bool(getattr(stream, "isatty", lambda: False)())
    shares: list[str] = []
    while len(shares) < THRESHOLD:
        if prompt:
            sys.stderr.write(f"Recovery share {len(shares) + 1} of {THRESHOLD} (all words on one line): ")
            sys.stderr.flush()
        line = stream.readline()
        if not line:
            break
        if line.strip():
            shares.append(line.strip())
    return shares


def kit_text(organisation_name: str, shares: list[str], created: str) -> str:
    lines = [
        f"DEFENSOR RECOVERY KIT — {organisation_name} — made {created}",
        "",
        f"The recovery key is split into {SHARES} shares. Any {THRESHOLD} of them restore access to",
        "everything the organisation has encrypted, even if every team member forgets their",
        "password (`defensor recover`). One share alone reveals nothing.",
        "",
        "Print this page, cut it into the three parts, and give each share to a different trusted",
        "person who keeps it offline, away from the server. If it was saved to a file, delete",
        "that file once printed (the workspace reminds administrators until it is gone).",
        "",
    ]
    for number, share in enumerate(shares, start=1):
        words = share.split()
        lines.append(f"--- share {number} of {SHARES} " + "-" * 50)
        for start in range(0, len(words), 6):
            lines.append("  " + " ".join(f"{start + i + 1:>2}.{w:<10}" for i, w in enumerate(words[start : start + 6])))
        lines.append(f"  as typed into `defensor recover` (one line): {share}")
        lines.append("")
    return "\n".join(lines)
