"""The course notebooks build into student and solution versions, and every version runs.

Each source ``course/NN_*.py`` is built (jupytext), and both versions are executed in a fresh
python3 kernel (nbclient) from ``course/``: the solution version must print "correct" for every
exercise check (the checks compare with hand derivations and the papers' numbers), the student
version must run through its stubs and print "not done yet" for each. All of them share one
kernel, one after the other with ``%reset -f`` (which empties the namespace) between any two:
a kernel start and the imports cost 3-4 s each. A source also runs as a plain script from
inside ``course/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupytext")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from course.build import (  # noqa: E402
    EXERCISE,
    SOLUTION,
    CourseError,
    build,
    execute,
    notebook,
    sources,
    variant,
)

COURSE = Path(__file__).resolve().parent.parent / "course"
SOURCES = sources()
NAMES = [p.stem for p in SOURCES]


def _text_outputs(nb) -> str:
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            out.append(o.get("text", ""))
            out.append(o.get("data", {}).get("text/plain", ""))
            if o.get("output_type") == "error":
                out.append(f"ERROR {o.get('ename')}: {o.get('evalue')}")
    return "\n".join(out)


def _images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))


def _exercises(nb) -> int:
    return sum(EXERCISE in c.metadata.get("tags", []) for c in nb.cells)


def test_there_are_seven_notebooks_on_the_issue_topics():
    assert NAMES == ["01_ig_by_hand", "02_completeness_cantor", "03_path_methods",
                     "04_symmetry_paths", "05_check_your_method", "06_trained_network",
                     "07_token_attributions"]


def test_build_writes_student_and_solution_versions(tmp_path):
    written = build(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        f"{kind}/{name}.ipynb" for kind in ("student", "solution") for name in NAMES)
    import nbformat

    for name in NAMES:
        student = nbformat.read(tmp_path / "student" / f"{name}.ipynb", as_version=4)
        solution = nbformat.read(tmp_path / "solution" / f"{name}.ipynb", as_version=4)
        tags_s = [t for c in student.cells for t in c.metadata.get("tags", [])]
        tags_l = [t for c in solution.cells for t in c.metadata.get("tags", [])]
        assert SOLUTION not in tags_s and EXERCISE not in tags_l
        assert tags_s.count(EXERCISE) == tags_l.count(SOLUTION) >= 2
        assert student.metadata["kernelspec"]["name"] == "python3"
        assert student.cells[0].cell_type == "markdown"


def test_variant_refuses_unpaired_exercises():
    import jupytext

    nb = jupytext.reads("# %% tags=[\"exercise\"]\nx = None\n", fmt="py:percent")
    with pytest.raises(CourseError, match="one solution cell per exercise"):
        variant(nb, "student")
    with pytest.raises(CourseError, match="variant must be"):
        variant(notebook(SOURCES[0]), "teacher")


def test_command_line_build_and_bad_name(tmp_path):
    root = COURSE.parent
    done = subprocess.run([sys.executable, "-m", "course", "build", "--out", str(tmp_path),
                           "03"], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "student" / "03_path_methods.ipynb").exists()
    bad = subprocess.run([sys.executable, "course/build.py", "--out", str(tmp_path), "99"],
                         capture_output=True, text=True, cwd=root, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "no notebook named 99" in bad.stderr


def test_build_without_torch_leaves_out_notebook_6_and_says_how_to_get_it(tmp_path):
    # torch hidden in the building process (the kernel is never started for notebook 6)
    code = ("import sys; sys.modules['torch'] = None\n"
            "from course.__main__ import main\n"
            f"sys.exit(main(['build', '--execute', '--out', {str(tmp_path)!r}, '06']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=COURSE.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "student" / "06_trained_network.ipynb").exists()
    assert "06_trained_network not built: it needs PyTorch; pip install torch" in done.stderr
    assert "python -m course build --execute 06" in done.stderr


#: run between two notebooks in one kernel: every name the one before defined is gone
RESET = "%reset -f"


@pytest.fixture(scope="module")
def executed():
    """Every notebook in both versions, executed in one kernel: name -> (solution, student),
    each with its own outputs. The order is 01 solution, reset, 01 student, reset, 02 ...; a
    cell that raises leaves its error in its outputs (the tests look for it) and the run goes
    on. A kernel start with the imports costs 3-4 s; the reset empties the namespace, so a
    version cannot use what another defined (test_the_reset_..._forgets_what_ran_before)."""
    import nbformat

    versions = {name: (variant(notebook(COURSE / f"{name}.py"), "solution"),
                       variant(notebook(COURSE / f"{name}.py"), "student")) for name in NAMES}
    everything = nbformat.v4.new_notebook(metadata=dict(versions[NAMES[0]][0].metadata))
    for solution, student in versions.values():
        everything.cells += [*solution.cells, nbformat.v4.new_code_cell(RESET),
                             *student.cells, nbformat.v4.new_code_cell(RESET)]
    execute(everything, allow_errors=True)  # fills in the outputs of the versions' own cells
    return versions


def test_the_reset_between_versions_forgets_what_ran_before(capfd):
    import nbformat

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": dict(notebook(SOURCES[0]).metadata[
        "kernelspec"])})
    nb.cells = [nbformat.v4.new_code_cell("answer = 42"), nbformat.v4.new_code_cell(RESET),
                nbformat.v4.new_code_cell("print('answer' in dir())")]
    assert _text_outputs(execute(nb)).strip() == "False"
    # the kernels talk over local sockets: no plain-text TCP warning on the terminal
    assert "TCP" not in capfd.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_both_versions(name, executed):
    # run by the fixture, once for all the notebooks
    full = notebook(COURSE / f"{name}.py")
    n = _exercises(full)

    solution, student = executed[name]
    text = _text_outputs(solution)
    assert "ERROR" not in text and "not done yet" not in text
    done = re.findall(r"Exercise \d+: (correct|skipped)", text)
    assert len(done) == n, text[-2000:]
    assert _images(solution) >= 1 or name == "05_check_your_method"

    answers = [a.strip() for a in re.findall(r"Exercise \d+: correct[,;:]?(.*)", text)]
    text = _text_outputs(student)
    assert "ERROR" not in text
    assert len(re.findall(r"Exercise \d+: (not done yet|skipped)", text)) == n, text[-2000:]
    assert "correct" not in " ".join(re.findall(r"Exercise \d+: \w+", text))
    # the student version shows no answer: nothing the solution's checks print as correct
    for answer in answers:
        if re.search(r"\d", answer):
            assert answer not in text, answer


@pytest.mark.slow
def test_a_source_runs_as_a_plain_script():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "03_path_methods.py"], capture_output=True,
                          text=True, cwd=COURSE, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(re.findall(r"Exercise \d+: correct", done.stdout)) == 3
