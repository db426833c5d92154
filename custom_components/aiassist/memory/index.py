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


@dataclass(frozen=True, slots=True)
class Closest:
    """One owner's memories closest in meaning to a question."""

    hits: list[tuple[str, float]]  # (id, cosine), best first
    typical: float  # the mean cosine of all the owner's memories
    count: int


# Owner -> that owner's closest memories.
type Nearest = dict[str, Closest]

# BM25 constants (the usual ones), and reciprocal rank fusion's damping constant.
K1 = 1.2
B = 0.75
RRF_K = 60
# With vectors, words count half: on bench/memory_dataset.json with the built-in model, equal
# weights let one shared word outvote a good match by meaning (recall@5 0.859 against 0.895
# for vectors alone); half keeps exact words (names, days) at 0.887.
WORDS_WEIGHT_WITH_VECTORS = 0.5
# What reaches the prompt, with vectors: the memories whose cosine is within this share of the
# best one's lead over a typical memory (a clear winner comes alone, a close field together),
# the best word match of each owner, and at most `PROMPT_MOST` of them. Relative, because
# models spread their cosines differently: on bench/memory_dataset.json, recall of what reached
# the prompt 0.922 with 5.6 memories on average with the built-in model (a fixed 0.18 window:
# 0.923 with 6.6), and 0.812 with 7.9 with multilingual-e5-small (fixed: 0.819 with 10).
PROMPT_WINDOW = 0.52
PROMPT_MOST = 10
# So few memories that they all go: nothing can be missed, and they cost little.
PROMPT_ALL = 6


class LexicalIndex:
    """BM25 over an inverted index, scored with numpy.

    Each document has a row that never moves; a term's rows and counts are kept as arrays
    until the term's postings change, so a search is a few vector operations per term rather
    than a Python loop over every document that shares a word.
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
        self._arrays: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]] = {}

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

    def _term(self, term: str, docs: dict[str, int]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        if (arrays := self._arrays.get(term)) is None:
            rows = np.fromiter((self._rows[doc_id] for doc_id in docs), dtype=np.intp, count=len(docs))
            counts = np.fromiter(docs.values(), dtype=np.float32, count=len(docs))
            arrays = self._arrays[term] = (rows, counts)
        return arrays

    def search(self, terms: Iterable[str], limit: int) -> list[tuple[str, float]]:
        """Return up to `limit` (doc, score) pairs with a positive score, best first."""
        count = len(self.terms)
        if not count:
            return []
        average = self.total_length / count or 1.0
        scores = np.zeros(len(self._ids))
        for term in set(terms):
            if not (docs := self.postings.get(term)):
                continue
            idf = math.log(1 + (count - len(docs) + 0.5) / (len(docs) + 0.5))
            rows, frequency = self._term(term, docs)
            norm = frequency + K1 * (1 - B + B * self._lengths[rows] / average)
            scores[rows] += idf * frequency * (K1 + 1) / norm
        found = np.flatnonzero(scores > 0)
        if len(found) > limit:
            # Every document scoring as well as the `limit`-th one, so that ties break by id.
            least = np.partition(scores[found], len(found) - limit)[len(found) - limit]
            found = found[scores[found] >= least]
        ranked = sorted(
            ((str(self._ids[row]), float(scores[row])) for row in found), key=lambda item: (-item[1], item[0])
        )
        return ranked[:limit]


class VectorIndex:
    """Normalised embeddings in one matrix; cosine similarity is one product per row.

    Safe to search from the executor while the event loop changes it: a row, once written, is
    never written again (a replaced or removed memory leaves a dead row), and growing or
    compacting builds a new matrix and id list, swapped in as one attribute. A search that
    overlaps a removal may return the removed id, which callers skip.
    """

    def __init__(self) -> None:
        """Start empty; the dimension is set by the first vector."""
        self.rows: dict[str, int] = {}
        self._state: tuple[Vector, list[str | None]] = (np.zeros((0, 0), dtype=np.float32), [])

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
        return None if row is None else self._state[0][row]

    def add(self, doc_id: str, vector: Vector) -> None:
        """Add or replace a document's vector."""
        norm = float(np.linalg.norm(vector))
        unit = (vector / norm if norm else vector).astype(np.float32)
        matrix, ids = self._state
        if matrix.shape[1] != unit.shape[0]:
            if self.rows:
                raise ValueError("embedding dimension changed")
            matrix, ids = np.zeros((8, unit.shape[0]), dtype=np.float32), []
        self.remove(doc_id)
        if len(ids) > 2 * len(self.rows) + 8:
            matrix, ids = self._compacted(matrix, ids)
        row = len(ids)
        if row == matrix.shape[0]:
            matrix = np.concatenate([matrix, np.zeros_like(matrix)])
        matrix[row] = unit
        ids.append(doc_id)
        self.rows[doc_id] = row
        self._state = (matrix, ids)

    def remove(self, doc_id: str) -> None:
        """Remove a document's vector; its row stays, dead, until the matrix is compacted."""
        row = self.rows.pop(doc_id, None)
        if row is not None:
            self._state[1][row] = None

    def _compacted(self, matrix: Vector, ids: list[str | None]) -> tuple[Vector, list[str | None]]:
        live = [row for row, doc_id in enumerate(ids) if doc_id is not None]
        fresh = np.zeros((max(8, 2 * len(live)), matrix.shape[1]), dtype=np.float32)
        fresh[: len(live)] = matrix[live]
        fresh_ids: list[str | None] = [ids[row] for row in live]
        self.rows = {str(doc_id): row for row, doc_id in enumerate(fresh_ids)}
        return fresh, fresh_ids

    def search(self, query: Vector, limit: int) -> list[tuple[str, float]]:
        """Return up to `limit` (doc, cosine) pairs, best first."""
        return self.closest(query, limit).hits

    def closest(self, query: Vector, limit: int) -> Closest:
        """The `limit` closest documents, and how close a typical one is."""
        matrix, ids = self._state
        count = len(ids)
        if not self.rows or query.shape[0] != matrix.shape[1]:
            return Closest([], 0.0, 0)
        norm = float(np.linalg.norm(query)) or 1.0
        scores = similarities(matrix[:count], (query / norm).astype(np.float32))
        live = scores
        if len(self.rows) != count:
            scores[[row for row, doc_id in enumerate(ids[:count]) if doc_id is None]] = -np.inf
            live = scores[np.isfinite(scores)]
        if count > limit:
            top = np.argpartition(-scores, limit)[:limit]
            top = top[np.argsort(-scores[top])]
        else:
            top = np.argsort(-scores)
        hits = [(doc_id, float(scores[i])) for i in top if (doc_id := ids[int(i)]) is not None]
        return Closest(hits, float(live.mean()) if len(live) else 0.0, len(live))


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
        """Each owner's `limit` memories closest in meaning, with their cosines.

        The vector half of a search, safe to run in the executor (see VectorIndex).
        """
        return {
            owner: index.vectors.closest(query_vector, limit)
            for owner in owners
            if (index := self._owners.get(owner)) is not None and len(index.vectors)
        }

    def search(
        self,
        text: str,
        owners: Iterable[str],
        limit: int,
        query_vector: Vector | None = None,
        nearest: Nearest | None = None,
    ) -> list[str]:
        """Return the ids of the best memories of these owners, by reciprocal rank fusion.

        By words, and by meaning with `query_vector` (or its `nearest`, already computed).
        """
        owners = tuple(owners)
        if nearest is None and query_vector is not None:
            nearest = self.nearest(owners, query_vector, limit)
        terms = tokenize(text, self.language)
        fused: dict[str, float] = {}
        for owner in owners:
            if (index := self._owners.get(owner)) is None:
                continue
            rankings = [(1.0, index.lexical.search(terms, limit))]
            if nearest and owner in nearest:
                rankings = [(WORDS_WEIGHT_WITH_VECTORS, rankings[0][1]), (1.0, nearest[owner].hits[:limit])]
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

    def for_prompt(
        self,
        text: str,
        owners: Iterable[str],
        query_vector: Vector | None,
        limit: int,
        nearest: Nearest | None = None,
    ) -> list[str]:
        """The memories worth a place in the prompt, by meaning and by the best word match.

        Only with vectors (`query_vector`, or its `nearest`): without them, the caller keeps
        the best `limit` by words.
        """
        owners = tuple(owners)
        if nearest is None:
            nearest = self.nearest(owners, query_vector, limit) if query_vector is not None else {}
        close = sorted(
            (item for closest in nearest.values() for item in closest.hits[:limit]),
            key=lambda item: (-item[1], item[0]),
        )
        terms = tokenize(text, self.language)
        by_words = [
            doc_id
            for owner in owners
            if (index := self._owners.get(owner)) is not None
            for doc_id, _score in index.lexical.search(terms, 1)
        ]
        best = close[0][1] if close else 0.0
        counted = sum(closest.count for closest in nearest.values()) or 1
        typical = sum(closest.typical * closest.count for closest in nearest.values()) / counted
        least = best - PROMPT_WINDOW * max(best - typical, 0.0)
        chosen = [doc_id for doc_id, cosine in close if cosine >= least]
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
            if vector is not None and (unit := index.vectors.vector(doc_id)) is not None:
                norm = float(np.linalg.norm(vector)) or 1.0
                cosine = float(unit @ (vector / norm))
            result.append((doc_id, overlap, cosine))
        return sorted(result, key=lambda item: max(item[1], item[2] or 0.0), reverse=True)


def similarities(matrix: Vector, unit: Vector) -> Vector:
    """Each row's dot product with `unit`, on this thread only.

    A BLAS matrix-vector product spreads over every core, and on a busy Home Assistant the wait
    for them made a recall's p95 16-25 ms. `vecdot` (numpy 2) takes one vectorised dot per
    row on this thread: 0.14 ms for 2,000 512-dimension memories, 0.2 ms at p95 with every
    core busy (einsum: 0.27 and 2.3 ms).
    """
    scores: Vector = np.vecdot(matrix, unit)
    return scores
