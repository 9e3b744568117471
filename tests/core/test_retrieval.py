"""Answers found by meaning: the nearest example wins above the threshold; nobody waits for the index."""
import threading
import time
import zlib

import numpy as np

from actions.core.retrieval import AnswerIndex


def bag_of_words(texts):
    """A stand-in embedding for the pure core's tests: unit vectors of hashed words (a stable hash, so the
    same words collide or not on every run)."""
    vectors = np.zeros((len(texts), 4096), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            vectors[row, zlib.crc32(word.encode()) % 4096] += 1
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def test_nearest_example_answers_above_the_threshold(poxnet):
    index = AnswerIndex(bag_of_words, background=False)
    example = poxnet.answers["ask_dns"].examples[0]
    match = index.find(poxnet, example, threshold=0.99)
    assert match is not None and match.intent == "ask_dns"
    assert index.find(poxnet, "zzz qqq www", threshold=0.5) is None


def test_first_lookup_does_not_wait_for_the_index(poxnet):
    release = threading.Event()

    def blocked(texts):
        if len(texts) > 1:  # the company's examples: held until the test releases them
            release.wait(10)
        return bag_of_words(texts)

    index = AnswerIndex(blocked)
    example = poxnet.answers["ask_dns"].examples[0]
    assert index.find(poxnet, example, threshold=0.99) is None  # answered at once, while the index is built
    release.set()
    deadline = time.time() + 10
    while time.time() < deadline and index.find(poxnet, example, threshold=0.99) is None:
        time.sleep(0.05)
    assert index.find(poxnet, example, threshold=0.99).intent == "ask_dns"
