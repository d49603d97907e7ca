"""The README's status model is the code's: its tables, parsed, equal the rollup's constants."""

from __future__ import annotations

import re
from pathlib import Path

from annexa.mappings.rollup import CONTROL_STATUSES, DECISION_ROWS, STATUS_MEANINGS
from annexa.model import EVIDENCE_CLASSES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.index("\n### ", start + 1)
    return README[start:end]


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables in `text`: rows of stripped cells, header and separator dropped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif current:
            tables.append([row for row in current[1:] if not re.fullmatch(r"-+", row[0])])
            current = []
    return tables


def _code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def test_readme_status_table_is_the_code_status_list_with_its_meanings() -> None:
    meanings, decisions = _tables(_section("Control statuses"))
    assert [(_code(status), meaning) for status, meaning in meanings] == list(STATUS_MEANINGS.items())
    assert [_code(status) for status, _ in meanings] == list(CONTROL_STATUSES)
    assert [(int(row), condition, _code(status)) for row, condition, status in decisions] == [
        (n, condition, status) for n, (condition, status) in enumerate(DECISION_ROWS, 1)
    ]


def test_readme_evidence_class_table_is_the_code_list() -> None:
    (classes,) = _tables(_section("Evidence classes"))
    assert [_code(row[0]) for row in classes] == list(EVIDENCE_CLASSES)
