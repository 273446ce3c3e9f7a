from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class DefensorArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the same time and memory cost as the key that wraps the user's private key.

    A cheaper password hash would be the weak link: cracking it yields the password, and with it
    the private key. Parameters come from settings.DEFENSOR_KDF at each call.
    """

    algorithm = "defensor_argon2"

    def params(self) -> Any:
        parameters = super().params()  # type: ignore[misc]
        parameters.time_cost = settings.DEFENSOR_KDF["opslimit"]
        parameters.memory_cost = settings.DEFENSOR_KDF["memlimit"] // 1024
        parameters.parallelism = 1
        return parameters
