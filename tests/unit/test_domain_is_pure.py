from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "shared" / "domain"
INFRASTRUCTURE = {"pg8000", "redis", "stripe", "flask", "functions_framework", "requests", "os", "google", "jwt"}


def test_the_domain_imports_no_infrastructure() -> None:
    offenders = []
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in INFRASTRUCTURE]
    assert offenders == []
