"""Questionnaires as data: versioned YAML files, text in Russian and English, steps and questions
shown or skipped by earlier answers (evaluated on the server between steps).

A malformed file is rejected at start-up (system check defensor.E010) with its file and line.
The schema is documented in docs/questionnaires.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import get_language

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent / "questionnaires"
REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.yaml"

QUESTION_TYPES = frozenset(
    {"short_text", "long_text", "single_choice", "multiple_choice", "yes_no", "date", "phone", "region",
     "attachment", "consent"}
)
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
LANGUAGES = ("ru", "en")
DEFAULT_MAX_LENGTH = {"short_text": 200, "long_text": 4000}
DEFAULT_MAX_FILES = 3

Answers = Mapping[str, Any]  # question id -> str | list[str] (attachments are kept apart)


class QuestionnaireError(Exception):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path.name}:{line}" if line else path.name
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Text:
    ru: str
    en: str

    def __str__(self) -> str:
        return self.ru if (get_language() or settings.LANGUAGE_CODE).startswith("ru") else self.en


@dataclass(frozen=True)
class Condition:
    """A test on earlier answers; ``kind`` is equals | in | answered | all | any."""

    kind: str
    question: str = ""
    values: tuple[str, ...] = ()
    parts: tuple[Condition, ...] = ()

    def questions(self) -> set[str]:
        """The questions this condition looks at."""
        if self.kind in {"all", "any"}:
            return set().union(*(part.questions() for part in self.parts))
        return {self.question}

    def holds(self, answers: Answers) -> bool:
        if self.kind == "all":
            return all(part.holds(answers) for part in self.parts)
        if self.kind == "any":
            return any(part.holds(answers) for part in self.parts)
        given = answers.get(self.question)
        if self.kind == "answered":
            return bool(given)
        given_values = set(given) if isinstance(given, list) else ({given} if given else set())
        return bool(given_values & set(self.values))


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    help: Text | None = None
    required: bool = False
    options: tuple[Option, ...] = ()
    max_length: int = 0
    max_files: int = 0
    show_if: Condition | None = None
    section: Text | None = None  # a heading shown above it (a page that joins several topics)
    unsure: bool = False  # yes_no: "I don't know / don't remember" is a third answer ("unknown")
    approximate: bool = False  # date: a month or a year alone, or "roughly" (docs/questionnaires.md)

    def visible(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.holds(answers)

    def follows_up_on(self, step: Step) -> bool:
        """Its condition looks at an answer given on the same page (not known before the page is sent)."""
        if self.show_if is None:
            return False
        same_page = {q.id for q in step.questions}
        return bool(self.show_if.questions() & same_page)


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    questions: tuple[Question, ...]
    help: Text | None = None
    show_if: Condition | None = None
    formerly: tuple[str, ...] = ()  # step ids of an accepted earlier version that this step took over

    def visible(self, answers: Answers) -> bool:
        return self.show_if is None or self.show_if.holds(answers)


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: Text
    steps: tuple[Step, ...]
    intro: Text | None = None
    path: Path = field(default=Path(), compare=False)
    # Earlier versions whose forms in progress go on under this one (same question ids; their
    # steps are found through ``Step.formerly``): a form begun before an upgrade is not lost.
    accepts_versions: tuple[int, ...] = ()

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def step_formerly(self, step_id: str) -> Step | None:
        """The step that took over ``step_id`` of an accepted earlier version."""
        return next((s for s in self.steps if step_id in s.formerly), None)

    def questions(self) -> Iterator[Question]:
        for step in self.steps:
            yield from step.questions

    def visible_steps(self, answers: Answers) -> list[Step]:
        return [s for s in self.steps if s.visible(answers)]

    def next_step(self, answers: Answers, after: str | None) -> Step | None:
        """The first visible step after ``after`` (or the first visible step)."""
        seen = after is None
        for step in self.steps:
            if seen and step.visible(answers):
                return step
            if step.id == after:
                seen = True
        return None

    def previous_step(self, answers: Answers, before: str) -> Step | None:
        previous = None
        for step in self.steps:
            if step.id == before:
                return previous
            if step.visible(answers):
                previous = step
        return None

    def visible_answers(self, answers: Answers) -> dict[str, Any]:
        """Only answers to questions that are visible given all answers (drop hidden leftovers)."""
        kept: dict[str, Any] = {}
        for step in self.steps:
            if not step.visible(kept):
                continue
            for question in step.questions:
                if question.id in answers and question.visible(kept):
                    kept[question.id] = answers[question.id]
                    # A rough date's "roughly" flag goes with its date (an unticked box is None: dropped).
                    flag = answers.get(f"{question.id}_approximate")
                    if question.type == "date" and question.approximate and flag:
                        kept[f"{question.id}_approximate"] = flag
        return kept


# --- loading with line numbers ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(key): value for key, value in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.question_ids: set[str] = set()
        self.step_ids: set[str] = set()
        self.options_of: dict[str, set[str]] = {}

    def fail(self, node: Any, message: str) -> QuestionnaireError:
        line = node.get("__line__") if isinstance(node, dict) else None
        return QuestionnaireError(self.path, line, message)

    def mapping(self, node: Any, where: str, *, required: set[str], allowed: set[str]) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise QuestionnaireError(self.path, None, f"{where} must be a mapping")
        keys = set(node) - {"__line__"}
        missing = required - keys
        if missing:
            raise self.fail(node, f"{where}: missing {', '.join(sorted(missing))}")
        unknown = keys - required - allowed
        if unknown:
            raise self.fail(node, f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        return dict(node)

    def text(self, node: Any, where: str, parent: Any) -> Text:
        if not isinstance(node, dict):
            raise self.fail(parent, f"{where} needs ru and en texts")
        self.mapping(node, where, required=set(LANGUAGES), allowed=set())
        for language in LANGUAGES:
            if not isinstance(node[language], str) or not node[language].strip():
                raise self.fail(node, f"{where}.{language} must be non-empty text")
        return Text(ru=node["ru"].strip(), en=node["en"].strip())

    def identifier(self, value: Any, where: str, node: Any) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            raise self.fail(node, f"{where} must match [a-z0-9_]+")
        return value

    def condition(self, node: Any, where: str) -> Condition:
        if not isinstance(node, dict):
            raise QuestionnaireError(self.path, None, f"{where} must be a mapping")
        keys = set(node) - {"__line__"}
        if keys in ({"all"}, {"any"}):
            kind = next(iter(keys))
            parts = node[kind]
            if not isinstance(parts, list) or not parts:
                raise self.fail(node, f"{where}.{kind} must be a non-empty list")
            return Condition(kind=kind, parts=tuple(self.condition(p, f"{where}.{kind}") for p in parts))
        if "question" not in keys or len(keys) != 2 or not keys & {"equals", "in", "answered"}:
            raise self.fail(node, f"{where}: use question with equals, in or answered (or all/any)")
        question = node["question"]
        if question not in self.question_ids:
            raise self.fail(node, f"{where}: {question!r} is not an earlier question")
        if "answered" in keys:
            if node["answered"] is not True:
                raise self.fail(node, f"{where}.answered must be true")
            return Condition(kind="answered", question=question)
        values = [node["equals"]] if "equals" in keys else node["in"]
        if not isinstance(values, list) or not values:
            raise self.fail(node, f"{where}.in must be a non-empty list")
        known = self.options_of.get(question)
        for value in values:
            if not isinstance(value, str) or (known is not None and value not in known):
                raise self.fail(node, f"{where}: {value!r} is not a value of {question!r}")
        return Condition(kind="equals" if "equals" in keys else "in", question=question, values=tuple(values))

    def question(self, node: Any, where: str) -> Question:
        node = self.mapping(
            node, where, required={"id", "type", "label"},
            allowed={"help", "required", "options", "max_length", "max_files", "show_if", "section", "unsure",
                     "approximate"},
        )
        question_id = self.identifier(node["id"], f"{where}.id", node)
        if question_id in self.question_ids:
            raise self.fail(node, f"question id {question_id!r} is used twice")
        kind = node["type"]
        if kind not in QUESTION_TYPES:
            raise self.fail(node, f"{where}: unknown type {kind!r} (one of {', '.join(sorted(QUESTION_TYPES))})")
        show_if = self.condition(node["show_if"], f"{question_id}.show_if") if "show_if" in node else None
        options: tuple[Option, ...] = ()
        if kind in {"single_choice", "multiple_choice"}:
            raw = node.get("options")
            if not isinstance(raw, list) or len(raw) < 2:
                raise self.fail(node, f"{question_id}: a choice needs at least two options")
            parsed = []
            for item in raw:
                item = self.mapping(item, f"{question_id}.options", required={"value", "label"}, allowed=set())
                parsed.append(Option(self.identifier(item["value"], f"{question_id} option", item),
                                     self.text(item["label"], f"{question_id} option label", item)))
            if len({o.value for o in parsed}) != len(parsed):
                raise self.fail(node, f"{question_id}: option values must be unique")
            options = tuple(parsed)
        elif "options" in node:
            raise self.fail(node, f"{question_id}: only choices have options")
        if "max_length" in node and kind not in DEFAULT_MAX_LENGTH:
            raise self.fail(node, f"{question_id}: max_length is for text questions")
        if "max_files" in node and kind != "attachment":
            raise self.fail(node, f"{question_id}: max_files is for attachments")
        max_length = node.get("max_length", DEFAULT_MAX_LENGTH.get(kind, 0))
        max_files = node.get("max_files", DEFAULT_MAX_FILES if kind == "attachment" else 0)
        for name, value in (("max_length", max_length), ("max_files", max_files)):
            if not isinstance(value, int) or value < 0 or (name == "max_length" and value > 20000):
                raise self.fail(node, f"{question_id}.{name} must be a sensible whole number")
        required = node.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(node, f"{question_id}.required must be true or false")
        flags = {}
        for name, for_kind in (("unsure", "yes_no"), ("approximate", "date")):
            flags[name] = node.get(name, False)
            if not isinstance(flags[name], bool):
                raise self.fail(node, f"{question_id}.{name} must be true or false")
            if name in node and kind != for_kind:
                raise self.fail(node, f"{question_id}: {name} is for {for_kind} questions")
        self.question_ids.add(question_id)
        if kind == "yes_no":
            self.options_of[question_id] = {"yes", "no", "unknown"} if flags["unsure"] else {"yes", "no"}
        elif options:
            self.options_of[question_id] = {o.value for o in options}
        return Question(
            id=question_id, type=kind, label=self.text(node["label"], f"{question_id}.label", node),
            help=self.text(node["help"], f"{question_id}.help", node) if "help" in node else None,
            required=required, options=options, max_length=max_length, max_files=max_files, show_if=show_if,
            section=self.text(node["section"], f"{question_id}.section", node) if "section" in node else None,
            unsure=flags["unsure"], approximate=flags["approximate"],
        )

    def step(self, node: Any) -> Step:
        node = self.mapping(node, "step", required={"id", "title", "questions"},
                            allowed={"help", "show_if", "formerly"})
        step_id = self.identifier(node["id"], "step id", node)
        if step_id in self.step_ids:
            raise self.fail(node, f"step id {step_id!r} is used twice")
        self.step_ids.add(step_id)
        show_if = self.condition(node["show_if"], f"{step_id}.show_if") if "show_if" in node else None
        raw = node["questions"]
        if not isinstance(raw, list) or not raw:
            raise self.fail(node, f"step {step_id!r} needs questions")
        questions = tuple(self.question(q, f"{step_id} question") for q in raw)
        formerly = node.get("formerly", [])
        if not isinstance(formerly, list):
            raise self.fail(node, f"{step_id}.formerly must be a list of step ids")
        return Step(
            id=step_id, title=self.text(node["title"], f"{step_id}.title", node), questions=questions,
            help=self.text(node["help"], f"{step_id}.help", node) if "help" in node else None, show_if=show_if,
            formerly=tuple(self.identifier(s, f"{step_id}.formerly", node) for s in formerly),
        )

    def questionnaire(self, node: Any) -> Questionnaire:
        node = self.mapping(node, "questionnaire", required={"id", "version", "title", "steps"},
                            allowed={"intro", "accepts_versions"})
        if not isinstance(node["version"], int) or node["version"] < 1:
            raise self.fail(node, "version must be a whole number from 1")
        accepts = node.get("accepts_versions", [])
        if not isinstance(accepts, list) or not all(
            isinstance(v, int) and 1 <= v < node["version"] for v in accepts
        ):
            raise self.fail(node, "accepts_versions must list earlier versions")
        steps = node["steps"]
        if not isinstance(steps, list) or not steps:
            raise self.fail(node, "steps must be a non-empty list")
        parsed_steps = tuple(self.step(s) for s in steps)
        return Questionnaire(
            id=self.identifier(str(node["id"]).replace("-", "_"), "id", node),
            version=node["version"],
            title=self.text(node["title"], "title", node),
            intro=self.text(node["intro"], "intro", node) if "intro" in node else None,
            steps=parsed_steps,
            path=self.path,
            accepts_versions=tuple(accepts),
        )


def parse(path: Path) -> Questionnaire:
    try:
        node = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise QuestionnaireError(path, mark.line + 1 if mark else None, f"not valid YAML: {error}") from error
    return _Parser(path).questionnaire(node)


@cache
def questionnaires() -> dict[str, Questionnaire]:
    found = {}
    for path in sorted(QUESTIONNAIRE_DIR.glob("*.yaml")):
        questionnaire = parse(path)
        found[questionnaire.id] = questionnaire
    return found


def default_questionnaire() -> Questionnaire:
    return questionnaires()[settings.DEFENSOR_INTAKE_QUESTIONNAIRE]


@dataclass(frozen=True)
class Region:
    code: str
    name: Text
    annexed: bool


@cache
def regions() -> tuple[Region, ...]:
    raw = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Region(
            code=item["code"], name=Text(ru=item["name"]["ru"], en=item["name"]["en"]), annexed=bool(item["annexed"])
        )
        for item in raw
    )
