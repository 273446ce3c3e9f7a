# Trusted timestamps: tokens over the Merkle root of custody chain heads, and their leaves in order.

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("evidence", "0001_evidence_locker"),
    ]

    operations = [
        migrations.CreateModel(
            name="TimestampToken",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
                ("stamped_at", models.DateTimeField()),
                ("root", models.CharField(max_length=64)),
                ("response", models.BinaryField()),
                ("organisation", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                   to="core.organisation")),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="TimestampLeaf",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveIntegerField()),
                ("seq", models.PositiveIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("item", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                           related_name="timestamp_leaves", to="evidence.evidenceitem")),
                ("token", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="leaves",
                                            to="evidence.timestamptoken")),
            ],
            options={
                "ordering": ["token", "position"],
                "constraints": [models.UniqueConstraint(fields=("token", "position"), name="timestamp_leaf_once")],
            },
        ),
    ]
