from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "defensor.cases"
    label = "cases"
    verbose_name = "Cases"
