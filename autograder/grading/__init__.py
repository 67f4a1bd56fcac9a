"""The trusted grading core: a batch, one submission's run, its outcome and the hidden tests, which run here."""
