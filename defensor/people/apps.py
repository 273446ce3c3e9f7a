from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "defensor.people"
    label = "people"
    verbose_name = "People"
