from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "defensor.keys"
    label = "keys"
    verbose_name = "Keys"
