"""Every built-in template carries the requisites the codes require of it (documents/builtin/
requisites.yaml), drafted with full and with minimal data, for one claimant and for several; what a
requisite takes from the case is something generation refuses without (the template's `needs` or a
required input), and no blank line is left to fill by hand but the signature."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.test_builtin_templates import BUILTIN, COLLECTIVE, GROUP, GUSEV, IDS, TEMPLATES, render, text_of

REQUISITES: dict[str, Any] = yaml.safe_load((BUILTIN / "requisites.yaml").read_text(encoding="utf-8"))
CASES = [(template_id, claimants, optional) for template_id in IDS
         for claimants in ("one", "three") for optional in (True, False)]
SIGNATURE = re.compile(r"_{5,} /[^/]+/$")
MEMBERS_DATE = "«____» _______________ 20____ г."  # a member dates their joinder statement by hand


def applies(requisite: dict[str, Any], *, optional: bool, collective: bool) -> bool:
    """An optional input's requisite only when the input is given; a joinder statement's
    (``per_member``) only in a collective claim."""
    if requisite.get("optional_input") and not optional:
        return False
    return collective or not requisite.get("per_member")


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
        if applies(r, optional=optional, collective=False) and not re.search(r["marker"], text, re.M)
    ]
    assert not missing, missing
    blanks = [line for line in text.splitlines() if "____" in line]
    assert all(SIGNATURE.search(line) for line in blanks), blanks


@pytest.mark.parametrize("optional", [True, False], ids=["all-inputs", "required-only"])
def test_a_collective_claim_carries_each_joinder_requisite_once_for_every_member(optional: bool) -> None:
    """КАС ст. 42: the claim's own requisites, and each joinder statement's for every one of the
    twenty members (counted: one statement missing a line is found)."""
    requisites = REQUISITES["templates"]["kas22-claim"]
    assert any(r.get("per_member") for r in requisites)
    text = text_of(render("kas22-claim", COLLECTIVE, optional=optional))
    missing = [f"{r['article']}: {r['requires']}" for r in requisites
               if applies(r, optional=optional, collective=True) and not re.search(r["marker"], text, re.M)]
    assert not missing, missing
    counted = {r["requires"]: len(re.findall(r["marker"], text, re.M)) for r in requisites if r.get("per_member")}
    assert counted == dict.fromkeys(counted, len(COLLECTIVE))
    blanks = [line for line in text.splitlines() if "____" in line]
    assert all(SIGNATURE.search(line) or line == MEMBERS_DATE for line in blanks), blanks
    assert blanks.count(MEMBERS_DATE) == len(COLLECTIVE)


@pytest.mark.parametrize("template_id", [t for t in IDS if TEMPLATES[t]["powers"]])
@pytest.mark.parametrize("claimants", ["one", "three"])
def test_signed_by_the_claimants_a_document_still_carries_each_requisite(template_id: str, claimants: str) -> None:
    """Without a power of attorney the claimants sign it: the signature requisite is then theirs."""
    document = render(template_id, [GUSEV] if claimants == "one" else GROUP, signed_by_claimants=True)
    text = text_of(document)
    missing = [f"{r['article']}: {r['requires']}" for r in REQUISITES["templates"][template_id]
               if applies(r, optional=True, collective=False) and not re.search(r["marker"], text, re.M)]
    assert not missing, missing
    assert "/Петрова А. С./" not in text
