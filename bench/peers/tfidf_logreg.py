"""Peer: TF-IDF of word and character n-grams with logistic regression (scikit-learn), no augmentation,
trained on the same training data, with the same 0.3 fallback threshold as the assistant."""
from __future__ import annotations

from typing import List

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

import nlu_quality

THRESHOLD = 0.3


class TfidfLogReg:
    def __init__(self):
        features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        self.model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=3000))

    @classmethod
    def trained(cls) -> "TfidfLogReg":
        peer = cls()
        data = [x for v in nlu_quality.VARIANTS for x in nlu_quality.training(v)]
        peer.model.fit([t for t, _ in data], [i for _, i in data])
        return peer

    def predict(self, texts: List[str]) -> List[str]:
        probabilities = self.model.predict_proba(texts)
        labels = self.model.classes_
        return [labels[row.argmax()] if row.max() >= THRESHOLD else nlu_quality.FALLBACK for row in probabilities]
