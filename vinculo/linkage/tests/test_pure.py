"""The matching engine stays pure: no module under vinculo/linkage imports Django."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
_DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def imported_modules(source: str) -> set[str]:
    """Modules a source imports: ``import x``, ``from x import y``, and ``import_module("x")`` with a literal."""
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if name in _DYNAMIC_IMPORTERS:
                modules.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return modules


def test_no_module_in_the_engine_imports_django():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 5
    offenders = {}
    for path in sources:
        django = sorted(m for m in imported_modules(path.read_text(encoding="utf-8")) if m.split(".")[0] == "django")
        if django:
            offenders[str(path.relative_to(PACKAGE))] = django
    assert offenders == {}


def test_the_scan_sees_every_form_of_import():
    assert imported_modules("from django.db import models") == {"django.db"}
    assert imported_modules("import django.conf as conf") == {"django.conf"}
    assert imported_modules("import importlib\nimportlib.import_module('django.conf')") == {"importlib", "django.conf"}
    assert imported_modules("from . import names") == set()
