from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "defensor.audit"
    label = "audit"
    verbose_name = "Audit"
