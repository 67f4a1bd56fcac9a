"""The release gate's mutants: generic mutations, catalogues, exercise spans, and a release that a
surviving mutant stops (autograder/mutants/, autograder/preprocessors/mutant_trials.py)."""
import textwrap

import nbformat
import pytest

from autograder.authoring import simulate as sim
from autograder.course import Course
from autograder.instructor.release import release
from autograder.mutants import CatalogueError, catalogue, mutants_of, released_stub
from autograder.mutants.generic import generic_mutants
from autograder.preprocessors.mutant_trials import exercise_spans
from tests.fixture_course import FIXTURES, LESSON

LOOP = textwrap.dedent("""\
    def train_one_epoch(model, X, y, loss_fn, optimizer):
        model.train()
        for xb, yb in zip(X, y):
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        return 0.0
""")
NET = textwrap.dedent("""\
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(torch.relu(self.features(x)))
""")


def test_generic_mutations_of_a_training_loop():
    mutants = generic_mutants(LOOP)
    assert {"returns-constant", "returns-input", "no-zero-grad", "no-backward", "no-step",
            "no-train-mode"} <= set(mutants)
    assert "zero_grad" not in mutants["no-zero-grad"] and "optimizer.step()" in mutants["no-zero-grad"]
    assert "step()" not in mutants["no-step"]
    assert "return model" in mutants["returns-input"]
    for source in mutants.values():
        compile(source, "<mutant>", "exec")


def test_generic_mutations_of_a_module():
    mutants = generic_mutants(NET)
    assert "nn.ReLU" not in mutants["no-nonlinearity"] and "torch.relu" not in mutants["no-nonlinearity"]
    assert "return self.head(torch.relu(x))" in mutants["skip-layer-features"]
    assert "return torch.relu(self.features(x))" in mutants["skip-layer-head"]
    assert "def __init__" in mutants["returns-constant"] and "return 0" in mutants["returns-constant"]


def test_mutations_that_change_nothing_are_not_tried():
    assert generic_mutants("def answer():\n    return 42\n") == {"returns-constant": "def answer():\n    return 0\n"}
    assert generic_mutants("this is not python") == {}


def test_the_released_stub_replaces_only_the_solution():
    stub = released_stub("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n")
    assert stub.startswith("def f(x):") and "raise NotImplementedError()" in stub and "return x" not in stub


def _catalogue(tmp_path, text):
    (tmp_path / f"{LESSON}.py").write_text(textwrap.dedent(text))
    return tmp_path


def test_a_catalogue_that_does_not_fit_its_lesson_is_refused(tmp_path):
    notebook = FIXTURES / LESSON / "fixture.ipynb"
    folder = _catalogue(tmp_path, 'MISTAKES = [{"cell": "cube-answer", "intent": "x", "source": "y"}]\n')
    with pytest.raises(CatalogueError, match="not answer cells: \\['cube-answer'\\]"):
        mutants_of(notebook, LESSON, folder)
    _catalogue(tmp_path, 'MISTAKES = [{"cell": "square-answer", "source": "y", "score": 1}]\n')
    with pytest.raises(CatalogueError, match="unknown keys \\['score'\\].*lacks \\['intent'\\]"):
        catalogue(LESSON, folder)
    _catalogue(tmp_path, 'EQUIVALENT = {("square-answer", "no-step"): "there is no step"}\n')
    with pytest.raises(CatalogueError, match="no longer apply: \\['square-answer/no-step'\\]"):
        mutants_of(notebook, LESSON, folder)


def test_the_fixture_lesson_has_every_kind_of_mutant():
    trials = mutants_of(FIXTURES / LESSON / "fixture.ipynb", LESSON, FIXTURES.parent / "mutants")
    names = {(t["cell"], t["name"]) for t in trials}
    assert {("square-answer", "returns-constant"), ("square-answer", "in-added-cell"),
            ("softmax-answer", "mistake-1"), ("mean-answer", "mistake-2")} <= names
    added = next(t for t in trials if t["name"] == "in-added-cell")
    assert "x * x" in added["added"] and "NotImplementedError" in added["source"]


def test_an_exercise_spans_its_answers_to_its_last_test_cell():
    nb = nbformat.read(str(FIXTURES / LESSON / "fixture.ipynb"), as_version=4)
    index = {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(nb.cells)}
    assert exercise_spans(nb) == {index["square-tests"]: [index["square-answer"]],
                                  index["mean-tests"]: [index["mean-answer"]],
                                  index["softmax-tests"]: [index["softmax-answer"]]}
    nb.cells.remove(sim.find_cell(nb, "square-tests"))  # square is then judged with mean's tests
    index = {cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(nb.cells)}
    assert exercise_spans(nb)[index["mean-tests"]] == [index["square-answer"], index["mean-answer"]]


@pytest.mark.slow
def test_release_refuses_a_lesson_whose_tests_miss_a_mutant(tmp_path):
    """A hidden test that checks square only at 0 keeps a constant 0 and the identity: the gate
    names them and nothing is released; the fixture's own tests kill all of its mutants."""
    source = tmp_path / "notebooks" / "01-weak"
    source.mkdir(parents=True)
    nb = nbformat.read(str(FIXTURES / LESSON / "fixture.ipynb"), as_version=4)
    sim.find_cell(nb, "square-tests").source = (
        "### BEGIN HIDDEN TESTS\nexpect(student.square(0) == 0, 'square(0) is 0')\n### END HIDDEN TESTS")
    nbformat.write(nb, str(source / "weak.ipynb"))
    (tmp_path / "notebooks" / LESSON).symlink_to(FIXTURES / LESSON, target_is_directory=True)
    lines = []
    course = Course.at(tmp_path, timeout=20)
    assert release(course, ["01-weak", LESSON], say=lines.append) == ["01-weak"]
    assert "01-weak: NOT RELEASED - 2 of 9 mutants keep their exercise's points (mutants killed 7/9): " \
           "square-answer: every function returns a constant; square-answer: every function returns its input" \
           in lines[0], lines
    assert not (tmp_path / "release" / "01-weak").exists()
    assert "00-fixture: released release/00-fixture/fixture.ipynb (reference 6/6, unanswered 0/6, " \
           "mutants killed 9/9)" in lines[1], lines
