"""The house as the README draws it: every module listed, layers importing only downwards."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wkcli"

# Higher layers may import lower ones, never the other way; equal layers in different folders
# (output, live, store) do not import each other.
RANK = {
    "cli": 6,
    "__main__": 7,
    "commands": 5,
    "browse": 4,
    "output": 3,
    "live": 3,
    "store": 3,
    "cluster": 3,
    "read": 2,
    "webhook": 1,
    "errors": 0,
    "text": 0,
    "__init__": 0,
}
CORE = ("read", "webhook", "live", "store", "cluster", "errors", "text")
UI_LIBRARIES = ("typer", "click", "rich", "textual")
MAX_LINES = 400


def _readme_tree() -> set[str]:
    """The files the README's layout block names, as paths relative to the repository."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### Layout\n.*?```\n(wkcli/\n.*?)```", text, re.S)
    assert block is not None, "README has a ### Layout section with the tree in a code block"
    listed: set[str] = set()
    folders: list[str] = []  # the folder open at each depth
    for line in block.group(1).splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        names = []
        for token in line.split():
            if token.endswith((".py", "/")):
                names.append(token)
            else:
                break  # the rest of the line says what the entry is for
        del folders[depth:]
        for name in names:
            if name.endswith("/"):
                folders.append(name)
                listed.add("".join(folders))
            else:
                listed.add("".join(folders) + name)
    return listed


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_readme_layout_matches_the_tree() -> None:
    listed = _readme_tree()
    actual = {
        str(path.relative_to(ROOT)) for path in _modules() if path.name not in ("__init__.py", "__main__.py")
    }
    actual |= {str(path.parent.relative_to(ROOT)) + "/" for path in _modules() if path.name == "__init__.py"}
    listed_files = {name for name in listed if not name.endswith("/") and not name.endswith("__init__.py")}
    listed_folders = {name for name in listed if name.endswith("/")}
    assert sorted(actual - listed_files - listed_folders) == [], "modules the README's layout does not list"
    assert sorted((listed_files | listed_folders) - actual) == [], "the README lists files that do not exist"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "wkcli":
                found.extend(f"wkcli.{alias.name}" for alias in node.names)
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def test_layers_import_only_downwards() -> None:
    wrong = []
    for path in _modules():
        mine = _layer(path)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] != "wkcli" or len(parts) < 2:
                continue
            theirs = parts[1] if parts[1] in RANK else "__init__"
            if theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_core_imports_no_ui_library() -> None:
    wrong = []
    for path in _modules():
        if _layer(path) not in CORE:
            continue
        for module in _imports(path):
            if module.split(".")[0] in UI_LIBRARIES:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_no_module_calls_another_modules_private_names() -> None:
    wrong = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wkcli"):
                wrong.extend(
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                )
    assert wrong == []


def test_modules_stay_small() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
