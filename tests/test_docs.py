"""The documentation: public docstrings, the generated rule catalogue, and the strict site build."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import griffe
import pytest

import lmtx
from lmtx.catalogue import CATALOGUE
from lmtx.statements import STATEMENTS
from tests.fingerprint import load_statements

ROOT = Path(__file__).resolve().parent.parent

# The modules of the API reference (docs/api/); every other public module is checked too.
REFERENCE_MODULES = (
    "lmtx",
    "lmtx.model",
    "lmtx.drugs",
    "lmtx.result",
    "lmtx.errors",
    "lmtx.policy",
    "lmtx.knowledge",
    "lmtx.dsl",
    "lmtx.catalogue",
    "lmtx.statements",
    "lmtx.course",
    "lmtx.explain",
    "lmtx.batch",
    "lmtx.pool",
    "lmtx.cache",
    "lmtx.schema",
    "lmtx.fhir",
    "lmtx.server",
    "lmtx.strategies",
    "lmtx.integrations",
)
# Public modules whose reference is another page: the command line, and the rule catalogue.
REFERENCED_ELSEWHERE = {"lmtx.cli": "cli.md", "lmtx.rules": "rules.md"}


def _load_docgen() -> ModuleType:
    package = ROOT / "docs" / "lmtx_docgen"
    spec = importlib.util.spec_from_file_location(
        "lmtx_docgen", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lmtx_docgen", module)
    spec.loader.exec_module(module)
    return module


docgen = _load_docgen()


# --------------------------------------------------------------------------- docstrings


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    loaded = griffe.load("lmtx", search_paths=[str(ROOT)], resolve_aliases=True)
    assert isinstance(loaded, griffe.Module)
    return loaded


def _public_modules(package: griffe.Module) -> list[griffe.Module]:
    """The reference modules, and every other module whose dotted path has no private part."""
    found: dict[str, griffe.Module] = {}

    def visit(module: griffe.Module) -> None:
        found[module.path] = module
        for name, member in module.modules.items():
            if not name.startswith("_") and not member.is_alias:
                visit(member)

    visit(package)
    missing = [m for m in REFERENCE_MODULES if m not in found]
    assert not missing, f"modules of the API reference not found: {missing}"
    return list(found.values())


def _exported(module: griffe.Module) -> list[str]:
    """The module's ``__all__``; a module without one declares no public names (the rule modules)."""
    names = module.exports or []
    return [n if isinstance(n, str) else n.name for n in names]


def _target(obj: griffe.Object | griffe.Alias) -> griffe.Object:
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


def _raised_names(function: griffe.Function) -> set[str]:
    """Exceptions a function raises by name in its own body (not in nested functions)."""
    tree = ast.parse(textwrap.dedent(function.source))
    body = tree.body[0]
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                raised = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                name = raised.id if isinstance(raised, ast.Name) else getattr(raised, "attr", "")
                if name[:1].isupper():  # an exception class, not ``raise self.exception()``
                    names.add(name)
            visit(child)

    visit(body)
    return names


def _function_problems(function: griffe.Function, where: str, *, needs_returns: bool) -> list[str]:
    doc = function.docstring.value if function.docstring else ""
    if not doc.strip():
        return [f"{where}: no docstring"]
    problems = []
    parameters = [p.name for p in function.parameters if p.name not in ("self", "cls") and not p.name.startswith("_")]
    undocumented = [p for p in parameters if not re.search(rf"\b{re.escape(p)}\b", doc)]
    if undocumented:
        problems.append(f"{where}: arguments not documented (no Args entry, not named): {undocumented}")
    if needs_returns and function.returns not in (None, "None") and "Returns:" not in doc:
        problems.append(f"{where}: no Returns section")
    raised = _raised_names(function) - {"NotImplementedError"}
    if raised:
        section = doc.split("Raises:", 1)[1] if "Raises:" in doc else ""
        unlisted = sorted(r for r in raised if not re.search(rf"\b{r}\b", section))
        if unlisted:
            problems.append(f"{where}: raises {unlisted} without a Raises section naming it")
    return problems


def _object_problems(obj: griffe.Object, where: str, *, top_level_api: bool) -> list[str]:
    if obj.is_module:
        return []
    if isinstance(obj, griffe.Function):
        return _function_problems(obj, where, needs_returns=top_level_api)
    problems = [] if obj.docstring and obj.docstring.value.strip() else [f"{where}: no docstring"]
    if isinstance(obj, griffe.Class):
        for name, member in obj.members.items():
            if name.startswith("_") or member.is_alias:
                continue
            if isinstance(member, griffe.Function):
                problems += _function_problems(member, f"{where}.{name}", needs_returns=False)
            elif "property" in member.labels and not (member.docstring and member.docstring.value.strip()):
                problems.append(f"{where}.{name}: no docstring")
    return problems


def test_every_public_name_has_a_docstring(package: griffe.Module) -> None:
    """lmtx.__all__ and each public module's __all__: docstrings, arguments, returns and raises documented."""
    problems: list[str] = []
    for module in _public_modules(package):
        if not (module.docstring and module.docstring.value.strip()):
            problems.append(f"{module.path}: no module docstring")
        for name in _exported(module):
            if name.startswith("__"):
                continue  # __version__ and the like
            if name not in module.members:
                problems.append(f"{module.path}.{name}: listed in __all__ but not defined")
                continue
            target = _target(module.members[name])
            problems += _object_problems(target, target.path, top_level_api=module.path == "lmtx")
    assert not problems, "public API lacking documentation:\n" + "\n".join(sorted(set(problems)))


def _directives() -> dict[str, str]:
    """``::: identifier`` directive -> the API page (relative to docs/) that renders it."""
    found: dict[str, str] = {}
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        for identifier in re.findall(r"^::: ([\w.]+)$", page.read_text(encoding="utf-8"), re.MULTILINE):
            assert identifier not in found, f"{identifier} is rendered twice ({found[identifier]}, {page.name})"
            found[identifier] = f"api/{page.name}"
    return found


def test_every_public_module_has_a_reference_page(package: griffe.Module) -> None:
    """Every public module and subpackage is rendered by mkdocstrings, a top-level one on its own page in the nav."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    directives = _directives()
    directives.update(dict.fromkeys(docgen.api.GENERATED_DIRECTIVES, "api/lmtx.md"))
    top_level = {m.path for m in package.modules.values() if not m.name.startswith("_")}
    assert len(top_level) == len(REFERENCE_MODULES) - 1 + len(REFERENCED_ELSEWHERE)
    for module in _public_modules(package):
        top = ".".join(module.path.split(".")[:2])
        if top in REFERENCED_ELSEWHERE:
            assert f": {REFERENCED_ELSEWHERE[top]}" in nav
            continue
        assert module.path in directives, f"{module.path}: no ::: directive on any docs/api page"
        page = directives[module.path]
        assert f"- {top}: {page}" in nav or module.path != top, f"{module.path}: {page} is not in the nav"
        assert page == directives[top], f"{module.path} is rendered on {page}, not on its package's page"
    for identifier in directives:
        assert identifier in {m.path for m in _public_modules(package)}, f"{identifier}: not a public module"


def test_the_api_overview_names_every_page() -> None:
    overview = (ROOT / "docs" / "api" / "index.md").read_text(encoding="utf-8")
    for module in REFERENCE_MODULES:
        page = docgen.api.API_PAGES[module].removeprefix("api/")
        assert f"[`{module}`]({page})" in overview, module
    for module, page in REFERENCED_ELSEWHERE.items():
        assert f"`{module}`" in overview
        assert f"(../{page})" in overview


# --------------------------------------------------------------------------- generated catalogue


def test_statement_index_matches_the_document_numbering() -> None:
    ids = [s.id for s in STATEMENTS]
    assert ids == [f"S{n:02d}" for n in range(1, 31)]
    document = load_statements()
    assert ids == [s["id"] for s in document]
    assert [s.role for s in STATEMENTS] == [s["role"] for s in document]


def test_rule_catalogue_lists_every_rule() -> None:
    page = docgen.rule_catalogue()
    for info in lmtx.knowledge_base().rules:
        assert f"{{ #rule-{info.id} }}" in page, info.id
        for sid in info.statements:
            assert f"[{sid}](statements.md#{sid.lower()})" in page


@pytest.mark.parametrize("source", ["package", "document"])
def test_statement_index_covers_every_statement(source: str) -> None:
    ids = [s.id for s in STATEMENTS] if source == "package" else [str(s["id"]) for s in load_statements()]
    page = docgen.statement_index()
    coverage = docgen.statements.statement_coverage()
    for sid in ids:
        assert f"{{ #{sid.lower()} }}" in page, sid
        assert sid in coverage, sid


def test_statement_coverage_follows_the_roles() -> None:
    coverage = docgen.statements.statement_coverage()
    for s in STATEMENTS:
        if s.role == "encode":
            assert coverage[s.id]["rules"], s.id
        elif s.role == "evidence":
            assert coverage[s.id]["evidence_for"], s.id
        else:
            assert coverage[s.id]["restates"], s.id


def test_output_page_lists_every_catalogue_code() -> None:
    page = docgen.output_codes()
    for code in CATALOGUE:
        assert f"{{ #code-{code} }}" in page, code


def test_input_page_lists_every_field_and_value() -> None:
    fields = docgen.input_fields()
    values = docgen.input_values()
    for cls in docgen.fields.walk(lmtx.Patient):
        for field in cls.__attrs_attrs__:
            assert f"`{field.name}`" in fields, f"{cls.__name__}.{field.name}"
    for enum_cls in docgen.fields.enums_of(docgen.fields.walk(lmtx.Patient)):
        for member in enum_cls:
            assert f"`{member.value}`" in values, f"{enum_cls.__name__}.{member.value}"


def test_generators_refuse_undocumented_additions(monkeypatch: pytest.MonkeyPatch) -> None:
    phases = dict(docgen.output_format.PHASE_MEANINGS)
    del phases["combination"]
    monkeypatch.setattr(docgen.output_format, "PHASE_MEANINGS", phases)
    with pytest.raises(docgen.DocsError, match="combination"):
        docgen.phase_codes()


# --------------------------------------------------------------------------- the site


def test_site_builds_strictly(site: Path) -> None:
    for page in ("index.html", "rules/index.html", "statements/index.html", "api/lmtx/index.html"):
        assert (site / page).is_file(), page
    for module, source in docgen.api.API_PAGES.items():
        html = (site / source.removesuffix(".md") / "index.html").read_text(encoding="utf-8")
        assert f'id="{module}"' in html, f"{module}: not rendered on {source}"
    assert not list(site.rglob("*.py")), "generator modules must not be published"


def test_site_catalogue_has_every_rule_and_statement(site: Path) -> None:
    rules = (site / "rules" / "index.html").read_text(encoding="utf-8")
    for info in lmtx.knowledge_base().rules:
        assert f'id="rule-{info.id}"' in rules, info.id
    statements = (site / "statements" / "index.html").read_text(encoding="utf-8")
    for s in STATEMENTS:
        assert f'id="{s.id.lower()}"' in statements, s.id


def test_site_changelog_is_the_repository_changelog(site: Path) -> None:
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    first_heading = next(line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## "))
    assert first_heading.removeprefix("## ").split(" ")[0] in changelog
