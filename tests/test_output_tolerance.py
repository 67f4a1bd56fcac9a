"""Comparing a training cell's output with its stored one, numbers within a tolerance."""
import pytest

from autograder.authoring.output_tolerance import Tolerance, align

TRAINING = Tolerance(relative=0.05, points=1.0)
STORED = ("Epoch 30: train loss 0.4250, accuracy 82.1% | validation loss 0.4299, accuracy 82.2% "
          "| lowest validation loss at epoch 25 (0.4284)")


def test_numbers_within_tolerance_compare_as_stored():
    computed = STORED.replace("0.4250", "0.4311").replace("82.1%", "82.9%")
    comparison = align(STORED, computed, TRAINING)
    assert comparison.text == STORED
    assert comparison.moved == 2 and not comparison.problems


@pytest.mark.parametrize("stored,computed,why", [
    ("loss 0.4250", "loss 0.4500", "moved 5.56% of its size, allowed 5.00%"),
    ("accuracy 82.1%", "accuracy 83.3%", "moved 1.2 points, allowed 1"),
    ("at epoch 25", "at epoch 24", "a whole number moved by 1, allowed 0"),
    ("loss 1e999", "loss 2e999", "not a finite number"),
    ("loss 0.4250", "loss 0.425", "printed in another form"),
    ("loss 0.4250", "loss 4.250e-01", "printed in another form"),
    ("accuracy 82.1%", "accuracy 0.821", "printed in another form"),
])
def test_numbers_beyond_tolerance_are_named(stored, computed, why):
    comparison = align(stored, computed, TRAINING)
    assert comparison.text == computed
    assert len(comparison.problems) == 1 and comparison.problems[0].endswith(why)
    assert f"{computed.split()[-1]} (stored {stored.split()[-1]})" in comparison.problems[0]


def test_only_the_numbers_beyond_tolerance_are_left_in_the_text():
    computed = STORED.replace("0.4250", "0.4311").replace("0.4299", "0.9999")
    comparison = align(STORED, computed, TRAINING)
    assert comparison.text == STORED.replace("0.4299", "0.9999")
    assert comparison.moved == 1 and len(comparison.problems) == 1


@pytest.mark.parametrize("computed", [
    STORED.replace("validation loss", "train loss"),     # a wrong label
    STORED.replace(" | lowest validation loss at epoch 25 (0.4284)", ""),  # a part missing
    STORED + " 1.0",                                     # one number more
    STORED.replace("82.2%", "82.2 %"),                   # a space where there was none
])
def test_the_text_around_the_numbers_is_exact(computed):
    comparison = align(STORED, computed, Tolerance(relative=1.0, points=100, counts={"": 100}))
    assert comparison.text == computed
    assert comparison.problems == ("the text around the numbers differs",)


def test_a_table_may_pad_its_columns_to_another_width():
    stored = ("        loss  accuracy\n"
              "MSE   0.1397     81.4%\n"
              "NLL   0.0002     82.2%\n")
    computed = ("         loss  accuracy\n"
                "MSE    0.1396     81.4%\n"
                "NLL   -0.0001     82.2%\n")
    assert align(stored, computed, Tolerance(relative=0.01, absolute=1e-3)).text == stored
    shifted_column = stored.replace("0.1397     81.4%", "0.1397\n     81.4%")
    assert align(stored, shifted_column, TRAINING).problems


def test_whole_numbers_move_only_after_the_text_the_cell_names():
    kept = Tolerance(counts={"kept from epoch": 2, r"\(": 30})
    stored = "Epoch 20: weights kept from epoch 15 (9699/10000)"
    assert align(stored, stored.replace("15", "17").replace("9699", "9720"), kept).text == stored
    for regression in ("Epoch 21:", "epoch 18 ", "(9730/", "/10001)"):
        old = {"Epoch 21:": "Epoch 20:", "epoch 18 ": "epoch 15 ", "(9730/": "(9699/",
               "/10001)": "/10000)"}[regression]
        comparison = align(stored, stored.replace(old, regression), kept)
        assert len(comparison.problems) == 1, regression
        assert "a whole number moved by" in comparison.problems[0]
    shape = "images (32, 1, 8, 8)"
    assert align(shape, "images (32, 1, 8, 9)", TRAINING).problems


def test_the_last_printed_digit_may_round_either_way():
    exact = Tolerance()
    assert align("-1942.1841", "-1942.1840", exact).text == "-1942.1841"
    assert align("98.1%", "98.2%", exact).text == "98.1%"
    assert align("9.5e-07", "9.6e-07", exact).text == "9.5e-07"
    assert align("-1942.1841", "-1942.1839", exact).problems


def test_names_and_inline_images_hold_no_numbers():
    text = 'l1_loss ex1 MLP 4-16-16-2 <img src="data:image/gif;base64,R0lGOD/lh+5Aq3w==">'
    assert align(text, text.replace("4-16-16-2", "4-16-16-3"), TRAINING).problems
    assert align(text, text.replace("R0lGOD", "R0lGOE"), TRAINING).problems
    assert align(text, text, TRAINING).moved == 0


def test_nan_and_infinity_compare_as_text():
    assert align("loss nan", "loss nan", TRAINING).text == "loss nan"
    assert align("loss inf", "loss nan", TRAINING).problems


@pytest.mark.parametrize("metadata,declared", [
    ({}, None),
    ({"tolerance": {"relative": 0.1, "points": 2}}, Tolerance(relative=0.1, points=2)),
    ({"tolerance": {"counts": {"epoch": 3}}}, Tolerance(counts={"epoch": 3})),
])
def test_a_cell_declares_its_tolerance_in_its_metadata(metadata, declared):
    assert Tolerance.of(metadata) == declared


@pytest.mark.parametrize("declared", [
    {"relativ": 0.1}, {"relative": -0.1}, {"points": "2"}, {"points": True}, 0.1,
    {"counts": 3}, {"counts": {"epoch": -1}}, {"counts": {"(epoch": 1}}, {"mask": "best"},
    {"mask": ["(best"]},
])
def test_a_mistyped_tolerance_is_refused(declared):
    with pytest.raises(ValueError, match="tolerance"):
        Tolerance.of({"tolerance": declared})


def test_what_a_near_tie_decides_can_be_masked():
    from autograder.authoring.output_tolerance import align_outputs

    searched = Tolerance(relative=0.05, mask=[r"best alpha \S+"])
    stored = [{"output_type": "stream", "name": "stdout", "text": "best alpha 0.01, accuracy 0.914"}]
    computed = [{"output_type": "stream", "name": "stdout", "text": "best alpha 0.1, accuracy 0.910"}]
    comparison, = align_outputs(computed, stored, searched)
    assert computed[0]["text"] == stored[0]["text"] == "<varies by CPU> accuracy 0.914"
    assert comparison.moved == 1 and not comparison.problems
    wrong_label = [{"output_type": "stream", "name": "stdout", "text": "worst alpha 0.1, accuracy 0.9"}]
    assert align_outputs(wrong_label, stored, searched)[0].problems

