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

from .model import HOUSEHOLD
from .text import tokenize

type Vector = npt.NDArray[np.float32]
type Rows = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Closest:
    """One owner's memories closest in meaning to a question, and how close all of them are."""

    hits: list[tuple[str, float]]  # (id, cosine), best first
    total: float  # the sum of every memory's cosine, and of their squares
    squares: float
    count: int


@dataclass(frozen=True, slots=True)
class Nearest:
    """The vector half of a search: each owner's closest memories, and the question's vector."""

    query: Vector  # unit length
    owners: dict[str, Closest]

    @property
    def spread(self) -> tuple[float, float]:
        """The mean and standard deviation of the cosines of every memory searched."""
        count = sum(closest.count for closest in self.owners.values())
        if not count:
            return 0.0, 1.0
        mean = sum(closest.total for closest in self.owners.values()) / count
        squares = sum(closest.squares for closest in self.owners.values()) / count
        return mean, math.sqrt(max(squares - mean * mean, 0.0)) or 1.0


# BM25 constants (the usual ones), and reciprocal rank fusion's damping constant (words only).
K1 = 1.2
B = 0.75
RRF_K = 60
# With vectors, a memory's score is its cosine in standard deviations above the question's
# mean cosine (so the same weights hold for models that spread their cosines differently), plus:
# - SPEAKER_LEAD for a memory of the person speaking rather than the household's: the memories
#   name the person ("Anna is vegetarian") and the question says "I", which the model cannot
#   tell is Anna. On bench/memory_dataset.json with the built-in model: recall@5 0.857 ranking
#   the speaker's and the household's memories together without it, 0.927 with it (0.895 when
#   each owner was ranked apart and the rankings interleaved);
# - up to WORDS_WEIGHT for shared words, half of it at a BM25 score of WORDS_HALF: a calibrated
#   score, so one shared word cannot outvote a clear match by meaning (0.934 with words against
#   0.927 without; the reciprocal rank fusion it replaces gave 0.887 against 0.895).
SPEAKER_LEAD = 1.25
WORDS_WEIGHT = 0.5
WORDS_HALF = 5.0
# What reaches the prompt, with vectors: the memories within PROMPT_WINDOW standard deviations
# of the best one, at least PROMPT_LEAST and at most PROMPT_MOST of them: a clear winner comes
# with few others, a close field together. On bench/memory_dataset.json with the built-in
# model: 0.952 of the memories meant reach the prompt, with 5.9 memories on average (the best
# 6 every time: 0.940).
PROMPT_WINDOW = 2.5
PROMPT_LEAST = 4
PROMPT_MOST = 8
# So few memories that they all go: nothing can be missed, and they cost little.
PROMPT_ALL = 6


class LexicalIndex:
    """BM25 over an inverted index, scored with numpy.

    Each document has a row that never moves; a term's rows and BM25 weights are kept as
    arrays until the index changes, so a search is one vector operation per term rather than
    a Python loop over every document that shares a word.
    """

    def __init__(self, language: str = "en") -> None:
        """Start empty; words are stemmed for `language`."""
        self.language = language
        self.postings: dict[str, dict[str, int]] = {}
        self.terms: dict[str, Counter[str]] = {}
        self.total_length = 0
        self._rows: dict[str, int] = {}
        self._ids: list[str | None] = []
        self._lengths = np.zeros(16, dtype=np.float32)
        self._arrays: dict[str, tuple[Rows, Vector]] = {}
        self._key = (0, 0)

    def add(self, doc_id: str, text: str) -> None:
        """Index a document (replacing its previous text)."""
        self.remove(doc_id)
        counts = Counter(tokenize(text, self.language))
        self.terms[doc_id] = counts
        length = sum(counts.values())
        self.total_length += length
        if len(self._ids) > 2 * len(self.terms) + 16:
            self._compact()
        row = self._rows[doc_id] = len(self._ids)
        self._ids.append(doc_id)
        if row == len(self._lengths):
            self._lengths = np.concatenate([self._lengths, np.zeros_like(self._lengths)])
        self._lengths[row] = length
        for term, count in counts.items():
            self.postings.setdefault(term, {})[doc_id] = count
            self._arrays.pop(term, None)

    def remove(self, doc_id: str) -> None:
        """Forget a document."""
        counts = self.terms.pop(doc_id, None)
        if counts is None:
            return
        row = self._rows.pop(doc_id)
        self._ids[row] = None
        self.total_length -= int(self._lengths[row])
        for term in counts:
            self._arrays.pop(term, None)
            docs = self.postings[term]
            del docs[doc_id]
            if not docs:
                del self.postings[term]

    def _compact(self) -> None:
        """Renumber the rows once removed documents leave more holes than documents."""
        live = [doc_id for doc_id in self._ids if doc_id is not None]
        lengths = np.zeros(max(16, 2 * len(live)), dtype=np.float32)
        for row, doc_id in enumerate(live):
            lengths[row] = self._lengths[self._rows[doc_id]]
            self._rows[doc_id] = row
        self._ids = list[str | None](live)
        self._lengths = lengths
        self._arrays.clear()

    def _weights(self, term: str, docs: dict[str, int]) -> tuple[Rows, Vector]:
        """A term's rows and BM25 weights, kept until the term's postings or the index change."""
        key = (len(self.terms), self.total_length)
        if key != self._key:
            self._arrays.clear()
            self._key = key
        if (arrays := self._arrays.get(term)) is None:
            rows = np.fromiter((self._rows[doc_id] for doc_id in docs), dtype=np.intp, count=len(docs))
            frequency = np.fromiter(docs.values(), dtype=np.float32, count=len(docs))
            count, average = key[0], self.total_length / key[0] or 1.0
            idf = math.log(1 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = frequency + K1 * (1 - B + B * self._lengths[rows] / average)
            weights = (idf * (K1 + 1) * frequency / norm).astype(np.float32)
            arrays = self._arrays[term] = (rows, weights)
        return arrays

    def search(self, terms: Iterable[str], limit: int) -> list[tuple[str, float]]:
        """Return up to `limit` (doc, score) pairs with a positive score, best first."""
        if not self.terms:
            return []
        scores = np.zeros(len(self._ids))
        for term in set(terms):
            if docs := self.postings.get(term):
                rows, weights = self._weights(term, docs)
                scores[rows] += weights
        found = np.flatnonzero(scores > 0)
        if len(found) > limit:
            # Every document scoring as well as the `limit`-th one, so that ties break by id.
            least = np.partition(scores[found], len(found) - limit)[len(found) - limit]
            found = found[scores[found] >= least]
        ranked = sorted(
            ((str(self._ids[row]), float(scores[row])) for row in found), key=lambda item: (-item[1], item[0])
        )
        return ranked[:limit]


@dataclass(frozen=True, slots=True)
class _Rows:
    """A VectorIndex's rows, replaced as a whole when they grow or are compacted."""

    matrix: Vector  # one unit vector per row
    ids: list[str | None]  # None for a dead row
    alive: npt.NDArray[np.bool_]  # False for a dead row


class VectorIndex:
    """Normalised embeddings in one matrix; cosine similarity is one product per row.

    A replaced or removed vector leaves a dead row, reused when the rows are compacted, so
    forgetting costs nothing.
    """

    def __init__(self) -> None:
        """Start empty; the dimension is set by the first vector."""
        self.rows: dict[str, int] = {}
        self._rows = _Rows(np.zeros((0, 0), dtype=np.float32), [], np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        """Return the number of vectors."""
        return len(self.rows)

    @property
    def ids(self) -> list[str]:
        """The ids that have a vector."""
        return list(self.rows)

    def vector(self, doc_id: str) -> Vector | None:
        """A document's unit vector."""
        row = self.rows.get(doc_id)
        return None if row is None else self._rows.matrix[row]

    def add(self, doc_id: str, vector: Vector) -> None:
        """Add or replace a document's vector."""
        unit = unit_vector(vector)
        rows = self._rows
        if rows.matrix.shape[1] != unit.shape[0]:
            if self.rows:
                raise ValueError("embedding dimension changed")
            rows = _Rows(np.zeros((8, unit.shape[0]), dtype=np.float32), [], np.zeros(8, dtype=bool))
        self.remove(doc_id)
        if len(rows.ids) > 2 * len(self.rows) + 8:
            rows = self._compacted(rows)
        row = len(rows.ids)
        if row == rows.matrix.shape[0]:
            rows = _Rows(
                np.concatenate([rows.matrix, np.zeros_like(rows.matrix)]),
                rows.ids,
                np.concatenate([rows.alive, np.zeros_like(rows.alive)]),
            )
        rows.matrix[row] = unit
        rows.alive[row] = True
        rows.ids.append(doc_id)
        self.rows[doc_id] = row
        self._rows = rows

    def remove(self, doc_id: str) -> None:
        """Remove a document's vector; its row stays, dead, until the rows are compacted."""
        row = self.rows.pop(doc_id, None)
        if row is not None:
            self._rows.ids[row] = None
            self._rows.alive[row] = False

    def _compacted(self, rows: _Rows) -> _Rows:
        live = [row for row, doc_id in enumerate(rows.ids) if doc_id is not None]
        size = max(8, 2 * len(live))
        matrix = np.zeros((size, rows.matrix.shape[1]), dtype=np.float32)
        alive = np.zeros(size, dtype=bool)
        matrix[: len(live)] = rows.matrix[live]
        alive[: len(live)] = True
        ids: list[str | None] = [rows.ids[row] for row in live]
        self.rows = {str(doc_id): row for row, doc_id in enumerate(ids)}
        return _Rows(matrix, ids, alive)

    def cosines(self, doc_ids: Iterable[str], unit: Vector) -> dict[str, float]:
        """These documents' cosines with a unit vector (those without a vector are left out)."""
        found = {doc_id: row for doc_id in doc_ids if (row := self.rows.get(doc_id)) is not None}
        if not found:
            return {}
        scores = similarities(self._rows.matrix[list(found.values())], unit)
        return dict(zip(found, map(float, scores), strict=True))

    def closest(self, unit: Vector, limit: int) -> Closest:
        """The `limit` documents closest to a unit vector, and the sums of every cosine."""
        rows = self._rows
        count = len(rows.ids)
        if not self.rows or unit.shape[0] != rows.matrix.shape[1]:
            return Closest([], 0.0, 0.0, 0)
        scores = similarities(rows.matrix[:count], unit)
        alive = rows.alive[:count]
        typical = scores[alive]
        scores[~alive] = -np.inf
        if count > limit:
            top = np.argpartition(-scores, limit)[:limit]
            top = top[np.argsort(-scores[top])]
        else:
            top = np.argsort(-scores)
        hits = [(str(rows.ids[int(i)]), float(scores[i])) for i in top if alive[i]]
        return Closest(hits, float(typical.sum()), float(np.vecdot(typical, typical)), len(typical))


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

    def nearest(self, owners: Iterable[str], query_vector: Vector, limit: int) -> Nearest:
        """Each owner's `limit` memories closest in meaning, with their cosines."""
        unit = unit_vector(query_vector)
        return Nearest(
            unit,
            {
                owner: index.vectors.closest(unit, limit)
                for owner in owners
                if (index := self._owners.get(owner)) is not None and len(index.vectors)
            },
        )

    def ranked(
        self, text: str, owners: Iterable[str], limit: int, nearest: Nearest | None = None
    ) -> list[tuple[str, float]]:
        """The owners' best memories for `text`, with their scores, best first.

        With vectors (`nearest`), ranked together by meaning, with a lead for the speaker's own
        and a little for shared words (see SPEAKER_LEAD). By words alone, each owner's BM25
        ranking is merged by reciprocal rank: BM25 scores of different owners do not compare.
        """
        owners = tuple(owners)
        terms = tokenize(text, self.language)
        scores: dict[str, float] = {}
        if nearest is None or not nearest.owners:
            for owner in owners:
                if (index := self._owners.get(owner)) is not None:
                    for rank, (doc_id, _score) in enumerate(index.lexical.search(terms, limit)):
                        scores[doc_id] = scores.get(doc_id, 0.0) + 1 / (RRF_K + rank)
        else:
            mean, deviation = nearest.spread
            for owner in owners:
                if (index := self._owners.get(owner)) is None:
                    continue
                lead = SPEAKER_LEAD if owner != HOUSEHOLD else 0.0
                closest = nearest.owners.get(owner)
                cosines = dict(closest.hits) if closest else {}
                words = dict(index.lexical.search(terms, limit))
                # Memories found by words only: their cosines, all at once.
                cosines.update(index.vectors.cosines(words.keys() - cosines.keys(), nearest.query))
                for doc_id in cosines.keys() | words.keys():
                    bm25 = words.get(doc_id, 0.0)
                    scores[doc_id] = (
                        (cosines.get(doc_id, mean) - mean) / deviation
                        + lead
                        + WORDS_WEIGHT * bm25 / (bm25 + WORDS_HALF)
                    )
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def search(
        self,
        text: str,
        owners: Iterable[str],
        limit: int,
        query_vector: Vector | None = None,
        nearest: Nearest | None = None,
    ) -> list[str]:
        """Return the ids of the best memories of these owners, best first.

        By words, and by meaning with `query_vector` (or its `nearest`, already computed).
        """
        owners = tuple(owners)
        if nearest is None and query_vector is not None:
            nearest = self.nearest(owners, query_vector, limit)
        return [doc_id for doc_id, _score in self.ranked(text, owners, limit, nearest)]

    def ids(self, owners: Iterable[str]) -> list[str]:
        """The ids of these owners' memories."""
        found: dict[str, None] = {}
        for owner in owners:
            if (index := self._owners.get(owner)) is not None:
                found.update(dict.fromkeys(index.lexical.terms))
                found.update(dict.fromkeys(index.vectors.ids))
        return list(found)

    def for_prompt(
        self,
        text: str,
        owners: Iterable[str],
        query_vector: Vector | None,
        limit: int = PROMPT_MOST,
        nearest: Nearest | None = None,
    ) -> list[str]:
        """The memories worth a place in the prompt: those close to the best one (see PROMPT_WINDOW).

        At most `limit` (and PROMPT_MOST). Only with vectors (`query_vector`, or its `nearest`):
        without them, the caller keeps the best few by words.
        """
        owners = tuple(owners)
        most = min(limit, PROMPT_MOST)
        if nearest is None and query_vector is not None:
            nearest = self.nearest(owners, query_vector, most)
        ranked = self.ranked(text, owners, most, nearest)
        if not ranked:
            return []
        least = ranked[0][1] - PROMPT_WINDOW
        close = sum(score >= least for _doc_id, score in ranked)
        return [doc_id for doc_id, _score in ranked[: max(PROMPT_LEAST, close)]]

    def similar(self, text: str, owner: str, vector: Vector | None) -> list[tuple[str, float, float | None]]:
        """Return the owner's memories closest to `text`, for deduplication.

        Each is (id, word overlap as the Jaccard index of terms, cosine or None without vectors).
        """
        index = self._owners.get(owner)
        if index is None:
            return []
        terms = set(tokenize(text, self.language))
        candidates = {doc_id for doc_id, _ in index.lexical.search(terms, 5)}
        cosines: dict[str, float] = {}
        if vector is not None:
            unit = unit_vector(vector)
            candidates.update(doc_id for doc_id, _ in index.vectors.closest(unit, 3).hits)
            cosines = index.vectors.cosines(candidates, unit)
        result: list[tuple[str, float, float | None]] = []
        for doc_id in candidates:
            other = set(index.lexical.terms.get(doc_id, ()))
            overlap = len(terms & other) / (len(terms | other) or 1)
            result.append((doc_id, overlap, cosines.get(doc_id)))
        return sorted(result, key=lambda item: max(item[1], item[2] or 0.0), reverse=True)


def unit_vector(vector: Vector) -> Vector:
    """The vector scaled to length 1, as float32."""
    norm = float(np.linalg.norm(vector)) or 1.0
    unit: Vector = (vector / norm).astype(np.float32)
    return unit


def similarities(matrix: Vector, unit: Vector) -> Vector:
    """Each row's dot product with `unit`, on this thread only.

    A BLAS matrix-vector product spreads over every core, and on a busy Home Assistant the wait
    for them made a recall's p95 16-25 ms. `vecdot` (numpy 2) takes one vectorised dot per
    row on this thread: 0.14 ms for 2,000 512-dimension memories, 0.2 ms at p95 with every
    core busy (einsum: 0.27 and 2.3 ms).
    """
    scores: Vector = np.vecdot(matrix, unit)
    return scores
