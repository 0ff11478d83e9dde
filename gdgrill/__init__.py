"""gdgrill: spaced-repetition quizzes, derive-and-verify drills and a readiness report
for interviews on gradient descent, optimizers, learning-rate schedules and diagnostics."""

__version__ = "0.1.0"
