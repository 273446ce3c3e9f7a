from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "defensor.deadlines"
    label = "deadlines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from defensor.accounts.sections import account_section_register
        from defensor.cases.signals import period_end_asked
        from defensor.core.periodic import periodic_register
        from defensor.deadlines.account import FEED_SECTION
        from defensor.deadlines.periods import period_end_answer
        from defensor.deadlines.tasks import reminders_schedule

        # The worker queues the daily reminder run when it starts (defensor worker).
        periodic_register("deadline reminders", reminders_schedule)
        account_section_register(FEED_SECTION)
        # An appeal drafted by documents asks when its period ends (documents cannot import deadlines).
        period_end_asked.connect(period_end_answer, dispatch_uid="deadlines.period_end_answer")
