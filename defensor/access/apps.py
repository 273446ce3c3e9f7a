from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Who holds which key: staff key pairs, grants by role, sharing, erasure, rotation and
    recovery (services.py), and the `recover` and `keys rotate` commands. Above accounts and
    audit, which it uses (roles, users, log_action); the primitives stay in defensor.keys."""

    name = "defensor.access"
    label = "access"
    verbose_name = "Access"
