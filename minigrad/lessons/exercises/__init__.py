"""The workbook: exercises a learner edits, and the checks that say what is right and what is wrong.

    catalogue.py   the exercises in the tutorial's order; `start` writes them into a folder (stubs/*.txt)
    cases.py       the random cases (hypothesis, float64) each exercise is checked on
    checking.py    `check`: blame, the progress table, one paragraph and a picture per failure

`minigrad exercises start DIR` and `minigrad exercises check DIR` are these two functions.
"""

from minigrad.lessons.exercises.catalogue import EXERCISES, NAMES, start, stub
from minigrad.lessons.exercises.checking import Outcome, Progress, check

__all__ = ["EXERCISES", "NAMES", "Outcome", "Progress", "check", "start", "stub"]
