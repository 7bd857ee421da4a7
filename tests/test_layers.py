"""The layers' one-way rule, read from the code's own imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SURFACES = ("logstore.admin", "logstore.web")
DOMAIN = ("core", "ingestion", "query", "exports", "apikeys", "storage", "observability")


def imports_of(package_dir: Path):
    for path in package_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name


def test_the_domain_never_imports_the_http_api():
    offending = [(p, n) for p, n in imports_of(ROOT / "logstore") if n.split(".")[0] == "ingest"]
    assert offending == []


@pytest.mark.parametrize("folder", DOMAIN)
def test_a_domain_folder_never_imports_a_surface(folder):
    offending = [
        (p, n) for p, n in imports_of(ROOT / "logstore" / folder) if n.startswith(SURFACES)
    ]
    assert offending == []


def test_core_imports_nothing_of_the_rest_of_the_project():
    offending = [
        (p, n)
        for p, n in imports_of(ROOT / "logstore" / "core")
        if n.split(".")[0] in {"logstore", "ingest", "project"}
        and not n.startswith("logstore.core")
    ]
    assert offending == []
