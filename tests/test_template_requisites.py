"""Every built-in template carries the requisites the codes require of it (documents/builtin/
requisites.yaml), drafted with full and with minimal data, for one claimant and for several; what a
requisite takes from the case is something generation refuses without (the template's `needs` or a
required input), and no blank line is left to fill by hand but the signature."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.test_builtin_templates import BUILTIN, GROUP, GUSEV, IDS, TEMPLATES, render, text_of

REQUISITES: dict[str, Any] = yaml.safe_load((BUILTIN / "requisites.yaml").read_text(encoding="utf-8"))
CASES = [(template_id, claimants, optional) for template_id in IDS
         for claimants in ("one", "three") for optional in (True, False)]


def test_every_template_has_a_checklist_and_every_requisite_says_where_it_comes_from() -> None:
    assert sorted(REQUISITES["templates"]) == sorted(IDS)
    for template_id, requisites in REQUISITES["templates"].items():
        assert requisites, template_id
        template = TEMPLATES[template_id]
        required_inputs = {i["name"] for i in template["inputs"] if i["required"]}
        optional_inputs = {i["name"] for i in template["inputs"] if not i["required"]}
        for requisite in requisites:
            assert requisite["article"], requisite
            assert requisite["requires"], requisite
            re.compile(requisite["marker"])
            field = requisite["field"]
            if field == "text":
                continue
            if field.startswith("inputs."):
                name = field.removeprefix("inputs.")
                allowed = optional_inputs if requisite.get("optional_input") else required_inputs
                assert name in allowed, (template_id, field)  # refused without it unless marked optional
            else:
                assert field in template["needs"], (template_id, field)  # listed as missing without it


@pytest.mark.parametrize(("template_id", "claimants", "optional"), CASES)
def test_a_drafted_document_carries_each_requisite_and_no_blank_but_the_signature(
    template_id: str, claimants: str, optional: bool
) -> None:
    document = render(template_id, [GUSEV] if claimants == "one" else GROUP, optional=optional)
    text = text_of(document)
    missing = [
        f"{r['article']}: {r['requires']}" for r in REQUISITES["templates"][template_id]
        if not (r.get("optional_input") and not optional) and not re.search(r["marker"], text, re.M)
    ]
    assert not missing, missing
    blanks = [line for line in text.splitlines() if "____" in line]
    assert all(re.search(r"_{5,} /[^/]+/$", line) for line in blanks), blanks
