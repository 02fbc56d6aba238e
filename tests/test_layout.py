"""The package's layout: each part imports only the parts before it, and the one
import circle is the Tensor <-> ops one (Tensor's operators call the ops, and
the ops make Tensors). Imports are read from the source with `ast`, those
inside functions included; only `if TYPE_CHECKING:` blocks, which never run,
are left out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "minigrad"

# The parts in reading order; a module may import from its own part and the parts before it.
PARTS = ["core", "ops", "functional", "nn", "optim checkpoint interop information", "compiler", "pages", "viz",
         "training", "lessons", "cli __main__"]
# The one circle: Tensor calls the ops, the ops subclass Op and make Tensors, and Tensor.backward walks the graph.
CIRCLE = {"minigrad.core.tensor", "minigrad.core.op", "minigrad.core.backward"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def part_of(module: str) -> int:
    """The position of the module's part in PARTS (the package itself, which imports every part, with the cli)."""
    if module == "minigrad":
        return len(PARTS) - 1
    first = module.split(".")[1]
    return next(i for i, names in enumerate(PARTS) if first in names.split())


def imports(module: str) -> set[str]:
    """The minigrad modules `module` imports: `from a.b import c` is a.b.c when that is a module, else a.b."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = {id(node) for guard in ast.walk(tree) if isinstance(guard, ast.If)
               and ast.unparse(guard.test) == "TYPE_CHECKING" for node in ast.walk(guard)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                      for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports(module) for module in MODULES}


def test_the_package_has_a_folder_per_part():
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert folders == {"core", "ops", "functional", "nn", "compiler", "pages", "viz", "training", "lessons"}


def test_every_module_belongs_to_a_part():
    assert all(isinstance(part_of(module), int) for module in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_part_and_the_parts_before_it(module):
    higher = sorted(name for name in GRAPH[module] if part_of(name) > part_of(module)
                    and not (module == "minigrad.core.tensor" and name.startswith("minigrad.ops")))
    assert not higher, f"{module} ({PARTS[part_of(module)]}) imports from a later part: {higher}"


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The import circles: the groups of modules that each reach every other one (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [group for group in groups if len(group) > 1]


def test_the_only_import_circle_is_tensor_and_the_ops():
    circles = strongly_connected(GRAPH)
    assert len(circles) == 1, f"more than one import circle: {circles}"
    (circle,) = circles
    strays = sorted(name for name in circle if name not in CIRCLE and not name.startswith("minigrad.ops"))
    assert "minigrad.core.tensor" in circle and not strays, f"modules caught in the Tensor <-> ops circle: {strays}"


def test_the_circle_finder_finds_a_circle_and_ignores_a_chain():
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_file_is_longer_than_a_reader_can_hold_in_mind():
    lengths = {module: len(path.read_text(encoding="utf-8").splitlines()) for module, path in MODULES.items()}
    assert max(lengths.values()) <= 400, sorted(lengths.items(), key=lambda item: -item[1])[:3]
