"""Search indexes, one pair (lexical, vector) per owner, updated one memory at a time.

Partitioning by owner makes privacy structural: a search only ever looks at the indexes
of the owners it is given, so another person's memory cannot rank, leak or be counted.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
import math

import numpy as np
import numpy.typing as npt

from .text import tokenize

type Vector = npt.NDArray[np.float32]

# BM25 constants (the usual ones), and reciprocal rank fusion's damping constant.
K1 = 1.2
B = 0.75
RRF_K = 60
# With vectors, words count half: on bench/memory_dataset.json with the built-in model, equal
# weights let one shared word outvote a good match by meaning (recall@5 0.859 against 0.895
# for vectors alone); half keeps exact words (names, days) at 0.887.
WORDS_WEIGHT_WITH_VECTORS = 0.5
# What reaches the prompt, with vectors: the memories within this cosine of the best one (a
# clear winner comes alone, a close field together), the best word match of each owner, and
# at most `PROMPT_MOST` of them (recall of what reached the prompt 0.928 with 6.9 memories on
# average, against 0.964 with 20).
PROMPT_WINDOW = 0.18
PROMPT_MOST = 10
# So few memories that they all go: nothing can be missed, and they cost little.
PROMPT_ALL = 6


@dataclass
class LexicalIndex:
    """BM25 over an inverted index."""

    language: str = "en"
    postings: dict[str, dict[str, int]] = field(default_factory=dict)
    terms: dict[str, Counter[str]] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    total_length: int = 0

    def add(self, doc_id: str, text: str) -> None:
        """Index a document (replacing its previous text)."""
        self.remove(doc_id)
        counts = Counter(tokenize(text, self.language))
        self.terms[doc_id] = counts
        self.lengths[doc_id] = length = sum(counts.values())
        self.total_length += length
        for term, count in counts.items():
            self.postings.setdefault(term, {})[doc_id] = count

    def remove(self, doc_id: str) -> None:
        """Forget a document."""
        counts = self.terms.pop(doc_id, None)
        if counts is None:
            return
        self.total_length -= self.lengths.pop(doc_id)
        for term in counts:
            docs = self.postings[term]
            del docs[doc_id]
            if not docs:
                del self.postings[term]

    def search(self, terms: Iterable[str], limit: int) -> list[tuple[str, float]]:
        """Return up to `limit` (doc, score) pairs with a positive score, best first."""
        count = len(self.terms)
        if not count:
            return []
        average = self.total_length / count or 1.0
        scores: dict[str, float] = {}
        for term in set(terms):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = math.log(1 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc_id, frequency in docs.items():
                norm = frequency + K1 * (1 - B + B * self.lengths[doc_id] / average)
                scores[doc_id] = scores.get(doc_id, 0.0) + idf * frequency * (K1 + 1) / norm
        # Ties by id: the same question recalls the same memories, run after run.
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


class VectorIndex:
    """Normalised embeddings in one matrix; cosine similarity is one matrix product."""

    def __init__(self) -> None:
        """Start empty; the dimension is set by the first vector."""
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.matrix: Vector = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        """Return the number of vectors."""
        return len(self.ids)

    def add(self, doc_id: str, vector: Vector) -> None:
        """Add or replace a document's vector."""
        norm = float(np.linalg.norm(vector))
        unit = (vector / norm if norm else vector).astype(np.float32)
        if self.matrix.shape[1] != unit.shape[0]:
            if self.ids:
                raise ValueError("embedding dimension changed")
            self.matrix = np.zeros((8, unit.shape[0]), dtype=np.float32)
        if (row := self.rows.get(doc_id)) is None:
            row = len(self.ids)
            if row == self.matrix.shape[0]:
                self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
            self.ids.append(doc_id)
            self.rows[doc_id] = row
        self.matrix[row] = unit

    def remove(self, doc_id: str) -> None:
        """Remove a document's vector by moving the last row into its place."""
        row = self.rows.pop(doc_id, None)
        if row is None:
            return
        last = len(self.ids) - 1
        if row != last:
            moved = self.ids[last]
            self.matrix[row] = self.matrix[last]
            self.ids[row] = moved
            self.rows[moved] = row
        self.ids.pop()

    def search(self, query: Vector, limit: int) -> list[tuple[str, float]]:
        """Return up to `limit` (doc, cosine) pairs, best first."""
        count = len(self.ids)
        if not count or query.shape[0] != self.matrix.shape[1]:
            return []
        norm = float(np.linalg.norm(query)) or 1.0
        scores = similarities(self.matrix[:count], (query / norm).astype(np.float32))
        if count > limit:
            top = np.argpartition(-scores, limit)[:limit]
            top = top[np.argsort(-scores[top])]
        else:
            top = np.argsort(-scores)
        return [(self.ids[int(i)], float(scores[int(i)])) for i in top]


@dataclass
class OwnerIndex:
    """The two indexes of one owner's memories."""

    lexical: LexicalIndex = field(default_factory=LexicalIndex)
    vectors: VectorIndex = field(default_factory=VectorIndex)


class MemoryIndex:
    """Hybrid search over the memories of the owners a caller may see."""

    def __init__(self, language: str = "en") -> None:
        """Start empty; words are stemmed for `language` (Home Assistant's language)."""
        self.language = language
        self._owners: dict[str, OwnerIndex] = {}

    def _owner(self, owner: str) -> OwnerIndex:
        if (index := self._owners.get(owner)) is None:
            index = self._owners[owner] = OwnerIndex(LexicalIndex(self.language))
        return index

    def add(self, doc_id: str, owner: str, text: str) -> None:
        """Index a memory's text."""
        self._owner(owner).lexical.add(doc_id, text)

    def add_vector(self, doc_id: str, owner: str, vector: Vector) -> None:
        """Index a memory's embedding."""
        self._owner(owner).vectors.add(doc_id, vector)

    def remove(self, doc_id: str, owner: str) -> None:
        """Remove a memory from every index at once."""
        if (index := self._owners.get(owner)) is not None:
            index.lexical.remove(doc_id)
            index.vectors.remove(doc_id)

    def remove_vector(self, doc_id: str, owner: str) -> None:
        """Drop a memory's embedding, keeping its words indexed."""
        if (index := self._owners.get(owner)) is not None:
            index.vectors.remove(doc_id)

    def search(
        self, text: str, owners: Iterable[str], limit: int, query_vector: Vector | None = None
    ) -> list[str]:
        """Return the ids of the best memories of these owners, by reciprocal rank fusion."""
        terms = tokenize(text, self.language)
        fused: dict[str, float] = {}
        for owner in owners:
            if (index := self._owners.get(owner)) is None:
                continue
            rankings = [(1.0, index.lexical.search(terms, limit))]
            if query_vector is not None and len(index.vectors):
                rankings = [
                    (WORDS_WEIGHT_WITH_VECTORS, rankings[0][1]),
                    (1.0, index.vectors.search(query_vector, limit)),
                ]
            for weight, ranking in rankings:
                for rank, (doc_id, _score) in enumerate(ranking):
                    fused[doc_id] = fused.get(doc_id, 0.0) + weight / (RRF_K + rank)
        return [doc_id for doc_id, _ in sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:limit]]

    def ids(self, owners: Iterable[str]) -> list[str]:
        """The ids of these owners' memories."""
        found: dict[str, None] = {}
        for owner in owners:
            if (index := self._owners.get(owner)) is not None:
                found.update(dict.fromkeys(index.lexical.terms))
                found.update(dict.fromkeys(index.vectors.ids))
        return list(found)

    def for_prompt(self, text: str, owners: Iterable[str], query_vector: Vector, limit: int) -> list[str]:
        """The memories worth a place in the prompt, by meaning and by the best word match.

        Only with vectors: without them, the caller keeps the best `limit` by words.
        """
        close: list[tuple[str, float]] = []
        by_words: list[str] = []
        terms = tokenize(text, self.language)
        for owner in owners:
            if (index := self._owners.get(owner)) is None:
                continue
            close.extend(index.vectors.search(query_vector, limit))
            by_words.extend(doc_id for doc_id, _score in index.lexical.search(terms, 1))
        close.sort(key=lambda item: (-item[1], item[0]))
        best = close[0][1] if close else 0.0
        chosen = [doc_id for doc_id, cosine in close if cosine >= best - PROMPT_WINDOW]
        chosen += [doc_id for doc_id in by_words if doc_id not in chosen]
        return chosen[:PROMPT_MOST]

    def similar(self, text: str, owner: str, vector: Vector | None) -> list[tuple[str, float, float | None]]:
        """Return the owner's memories closest to `text`, for deduplication.

        Each is (id, word overlap as the Jaccard index of terms, cosine or None without vectors).
        """
        index = self._owners.get(owner)
        if index is None:
            return []
        terms = set(tokenize(text, self.language))
        candidates = {doc_id for doc_id, _ in index.lexical.search(terms, 5)}
        if vector is not None:
            candidates.update(doc_id for doc_id, _ in index.vectors.search(vector, 3))
        result: list[tuple[str, float, float | None]] = []
        for doc_id in candidates:
            other = set(index.lexical.terms.get(doc_id, ()))
            overlap = len(terms & other) / (len(terms | other) or 1)
            cosine: float | None = None
            if vector is not None and (row := index.vectors.rows.get(doc_id)) is not None:
                norm = float(np.linalg.norm(vector)) or 1.0
                cosine = float(index.vectors.matrix[row] @ (vector / norm))
            result.append((doc_id, overlap, cosine))
        return sorted(result, key=lambda item: max(item[1], item[2] or 0.0), reverse=True)


def similarities(matrix: Vector, unit: Vector) -> Vector:
    """Each row's dot product with `unit`, on this thread only.

    A BLAS matrix product spreads over every core, and on a busy Home Assistant the wait for
    them made a recall's p95 25 ms; einsum's own loop takes a steady 2 ms for 5,000 memories.
    """
    scores: Vector = np.einsum("ij,j->i", matrix, unit)
    return scores
