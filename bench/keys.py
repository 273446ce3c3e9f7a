"""What encryption costs: unlocking keys at login, sealing, blind indexes (production parameters).

Figures (bench/results/keys.json):
  unlock_ms                      Argon2id derivation + opening the wrapped private key, per login
  password_check_ms              Django's password check at login (Argon2id, same cost): the baseline
  unlock_vs_password_check_ratio unlock_ms / password_check_ms (about 1: the key adds one hash)
  seal_open_per_s                seal a 4 KB submission to a public key and open it again, per second
  aead_round_trip_per_s          XChaCha20-Poly1305 encrypt+decrypt of 4 KB (the symmetric baseline)
  blind_index_per_s              normalise a phone number and compute its keyed BLAKE2b index
  plain_sha256_per_s             SHA-256 of the same normalised values (baseline)
  field_decrypt_per_s            open one encrypted field of a record (AEAD + AAD build), per second
"""

from __future__ import annotations

import os
import statistics
import time

from bench.common import FULL, cleanup, print_table, rate, setup_django, write_results


def main() -> dict[str, float | int]:
    data_dir = setup_django()
    import hashlib

    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from defensor.accounts.hashers import DefensorArgon2PasswordHasher
    from defensor.keys import crypto
    from defensor.keys.blind import normalise_phone
    from defensor.keys.keyring import unwrap_private_key, wrap_private_key
    from defensor.keys.models import UserKeyPair

    rounds = 7 if FULL else 3
    password = "correct horse battery staple 42"  # noqa: S105 - a benchmark input
    pair = crypto.generate_keypair()
    wrapped, salt, params = wrap_private_key(1, pair.private, password)
    keypair = UserKeyPair(
        user_id=1, public_key=pair.public, wrapped_private_key=wrapped, kdf_salt=salt,
        kdf_opslimit=params.opslimit, kdf_memlimit=params.memlimit,
    )
    unlock = []
    for _ in range(rounds):
        start = time.perf_counter()
        assert unwrap_private_key(keypair, password) == pair.private
        unlock.append((time.perf_counter() - start) * 1000)
    encoded = make_password(password)
    hasher = DefensorArgon2PasswordHasher()
    check = []
    for _ in range(rounds):
        start = time.perf_counter()
        assert hasher.verify(password, encoded)
        check.append((time.perf_counter() - start) * 1000)

    payload = os.urandom(4096)
    count = 20000 if FULL else 4000

    def seal_open() -> None:
        crypto.unseal(pair.private, crypto.seal(pair.public, payload))

    key = crypto.random_key()

    def aead_round_trip() -> None:
        crypto.decrypt(key, crypto.encrypt(key, payload, aad=b"x"), aad=b"x")

    phones = [f"8 (9{i % 100:02d}) {i % 1000:03d}-{i % 100:02d}-{(i * 7) % 100:02d}" for i in range(count)]
    index_key = crypto.random_key()
    position = iter(range(10**9))

    def blind() -> None:
        crypto.keyed_digest(index_key, "phone_index", normalise_phone(phones[next(position) % count]) or "")

    normalised = [normalise_phone(p) or "" for p in phones]
    position2 = iter(range(10**9))

    def sha() -> None:
        hashlib.sha256(normalised[next(position2) % count].encode()).hexdigest()

    field = crypto.encrypt(key, "Иванов Иван Иванович".encode(), aad=b"people.person.full_name.x")

    def field_decrypt() -> None:
        crypto.decrypt(key, field, aad=b"people.person.full_name.x")

    figures: dict[str, float | int] = {
        "unlock_ms": round(statistics.median(unlock), 1),
        "password_check_ms": round(statistics.median(check), 1),
        "seal_open_per_s": round(rate(seal_open, count)),
        "aead_round_trip_per_s": round(rate(aead_round_trip, count)),
        "blind_index_per_s": round(rate(blind, count)),
        "plain_sha256_per_s": round(rate(sha, count)),
        "field_decrypt_per_s": round(rate(field_decrypt, count)),
        "kdf_opslimit": settings.DEFENSOR_KDF["opslimit"],
        "kdf_memlimit_mib": settings.DEFENSOR_KDF["memlimit"] // (1024 * 1024),
    }
    figures["unlock_vs_password_check_ratio"] = round(figures["unlock_ms"] / figures["password_check_ms"], 2)
    write_results("keys", figures)
    print_table("keys (production Argon2id parameters)", [(k, str(v)) for k, v in figures.items()])
    cleanup(data_dir)
    return figures


if __name__ == "__main__":
    main()
