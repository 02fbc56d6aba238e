"""The import paths users rely on stay put however the package is laid out inside (../shared/API.md)."""

import subprocess
import sys

import pytest

import minigrad as mg


@pytest.mark.parametrize("name", ["Tensor", "Op", "nn", "optim", "functional", "information", "viz", "grad", "hvp",
                                  "hessian", "no_grad", "enable_grad", "gradcheck", "gradgradcheck", "save", "load",
                                  "tensor", "zeros", "ones", "randn", "manual_seed", "concatenate", "stack", "where",
                                  "ShapeError", "BadIndexError", "GradcheckError"])
def test_import_minigrad_as_mg_gives(name):
    assert getattr(mg, name) is not None and name in mg.__all__


def test_the_submodules_import_by_their_public_names():
    import minigrad.functional as F
    from minigrad import interop, nn, optim, viz
    assert F.cross_entropy and nn.Linear and optim.SGD and viz.draw_graph and interop.to_torch


@pytest.mark.parametrize("error", ["ShapeError", "BadIndexError", "GradcheckError"])
def test_exceptions_print_under_the_name_users_import_them_by(error):
    assert f"{getattr(mg, error).__module__}.{error}" == f"minigrad.{error}"


def test_an_unknown_attribute_of_minigrad_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'minigrad' has no attribute 'vis'"):
        _ = mg.vis


def run_without_graphviz(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", f"import sys; sys.modules['graphviz'] = None; {code}"],
                          capture_output=True, text=True, timeout=60)


def test_without_graphviz_minigrad_imports_and_trains():
    result = run_without_graphviz("import minigrad as mg; from minigrad import training; print(mg.Tensor(1.0) * 2)")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Tensor(2.)\n"


def test_without_graphviz_mg_viz_says_in_one_line_which_extra_to_install():
    result = run_without_graphviz("import minigrad as mg; mg.viz")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == \
        "ImportError: minigrad.viz needs the graphviz package: pip install 'minigrad[viz]'"
