"""TF-IDF features whose every number is a sum over the message's n-gram occurrences.

A row is the raw counts times idf, divided by sqrt(sum of count x idf^2): the l2 norm the row
would have if each occurrence of an n-gram were a feature of its own. Against scikit-learn's
default (sublinear counts, l2 norm of the row) nothing couples two occurrences, so a linear
model's decision for a message is (sum over occurrences of idf x coef) / sqrt(sum over occurrences
of idf^2) + intercept, and both sums split by word: what ml.joint adds up, from a cache of words,
on the send path. On the SMS Spam Collection it scores as well as the default (5-fold F1 0.966
against 0.964 with the same n-grams and C; bench/ml_spam_cv.py).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

DEFAULT_TOKEN_PATTERN = TfidfVectorizer().token_pattern


class OccurrenceTfidf(TfidfVectorizer):
    """A TfidfVectorizer built with norm=None and raw counts, whose rows are then divided by the
    per-occurrence norm above. It keeps TfidfVectorizer's parameters (and so get_params and
    cloning) as they are; `check` refuses the ones that would break the sums."""

    def check(self):
        if self.norm is not None or self.sublinear_tf or not self.use_idf or self.binary:
            raise ValueError("OccurrenceTfidf needs norm=None, raw counts and idf")

    def fit_transform(self, raw_documents, y=None):
        self.check()
        return self._per_occurrence(super().fit_transform(raw_documents, y))

    def transform(self, raw_documents):
        self.check()
        return self._per_occurrence(super().transform(raw_documents))

    def _per_occurrence(self, rows):
        rows = sp.csr_matrix(rows)
        squares = np.asarray(rows @ self.idf_).ravel()  # count x idf x idf, summed per row
        scale = np.zeros_like(squares)
        np.divide(1.0, np.sqrt(squares), out=scale, where=squares > 0)
        return sp.diags(scale) @ rows
