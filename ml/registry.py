"""Model artefacts on disk and the process's loaded models.

A version is ML_MODELS_DIR/<name>/<version>/ with `model.skops` (skops, never pickle: loading
runs no code from the file), `vocabularies.json` (the fitted vocabularies, kept apart for size),
`metadata.json` (data sources and their hashes, parameters, held-out metrics, code version,
time) and `report.json` (the training run's evaluation). The ModelVersion row keeps a SHA-256 over
the two model files, and loading refuses files whose hash differs, or a model that holds a type
outside TRUSTED_TYPES.
"""

import hashlib
import json
import logging
import shutil
import subprocess  # nosec B404 - reads the code's git revision for a model's metadata
import threading
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from ml.config import ml_settings
from ml.joint import JointScorer
from ml.models import ModelVersion
from ml.pipeline import LinearScorer

log = logging.getLogger(__name__)

ARTEFACT = "model.skops"
METADATA = "metadata.json"
VOCABULARIES = "vocabularies.json"
# Types skops does not trust by default that our pipeline holds; anything else refuses to load.
TRUSTED_TYPES = frozenset({"ml.features.OccurrenceTfidf"})


class ArtefactError(Exception):
    """An artefact that is missing, altered since it was registered, or holds untrusted types."""


def _skops():
    """skops.io, imported where a model is written or read, not with this module: its import scans
    every loaded module (over a second in a Django process), and every web worker, Celery worker and
    manage.py command imports this module through the send path, most of them never reading a model."""
    import skops.io

    return skops.io


def version_dir(name: str, version: int) -> Path:
    return Path(settings.ML_MODELS_DIR) / name / str(version)


def code_version() -> str:
    try:
        out = subprocess.run(  # nosec B603 B607 - a fixed git command; a missing git only leaves the revision unknown
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _vectorizers(pipeline):
    return [vectorizer for _, vectorizer in pipeline.named_steps["features"].transformer_list]


def _split_vocabularies(pipeline) -> bytes:
    """Take the fitted vocabularies out of the pipeline, as JSON lists of terms in index order.

    skops writes a dict entry by entry with its type beside each: 40 MB and seconds to load for the
    SMS model's vocabularies, against 1 MB as lists. (Older TfidfVectorizers also keep every term
    min_df dropped in `stop_words_`, which scoring never reads.)"""
    lists = []
    for vectorizer in _vectorizers(pipeline):
        terms = [""] * len(vectorizer.vocabulary_)
        for term, index in vectorizer.vocabulary_.items():
            terms[index] = term
        lists.append(terms)
        del vectorizer.vocabulary_
        if hasattr(vectorizer, "stop_words_"):
            delattr(vectorizer, "stop_words_")
    return json.dumps(lists, ensure_ascii=False).encode()


def _join_vocabularies(pipeline, data: bytes):
    for vectorizer, terms in zip(_vectorizers(pipeline), json.loads(data), strict=True):
        vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
    return pipeline


def artefact_digest(model: bytes, vocabularies: bytes) -> str:
    """The registry's hash of a version: both files, in a fixed order."""
    return hashlib.sha256(hashlib.sha256(model).digest() + hashlib.sha256(vocabularies).digest()).hexdigest()


def write_artefact(name: str, version: int, pipeline, metadata: dict) -> str:
    """Write the version's folder whole (a temporary folder renamed into place); its digest."""
    final = version_dir(name, version)
    temporary = final.with_name(f"{version}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    vocabularies = _split_vocabularies(pipeline)
    sio = _skops()
    try:
        model = sio.dumps(pipeline)
    finally:
        _join_vocabularies(pipeline, vocabularies)  # the caller's pipeline stays usable
    (temporary / ARTEFACT).write_bytes(model)
    (temporary / VOCABULARIES).write_bytes(vocabularies)
    digest = artefact_digest(model, vocabularies)
    (temporary / METADATA).write_text(json.dumps({**metadata, "sha256": digest}, indent=2, sort_keys=True))
    if final.exists():  # a folder left by a run whose row never committed
        shutil.rmtree(final)
    temporary.rename(final)
    return digest


def load_pipeline(row: ModelVersion):
    folder = version_dir(row.name, row.version)
    try:
        model, vocabularies = (folder / ARTEFACT).read_bytes(), (folder / VOCABULARIES).read_bytes()
    except OSError as exc:
        raise ArtefactError(f"{row}: cannot read the artefact: {exc}") from None
    if artefact_digest(model, vocabularies) != row.sha256:
        raise ArtefactError(f"{row}: the artefact's hash does not match the registry")
    sio = _skops()
    untrusted = set(sio.get_untrusted_types(data=model)) - TRUSTED_TYPES
    if untrusted:
        raise ArtefactError(f"{row}: untrusted types in the artefact: {sorted(untrusted)}")
    return _join_vocabularies(sio.loads(model, trusted=sorted(TRUSTED_TYPES)), vocabularies)


def read_metadata(row: ModelVersion) -> dict:
    path = version_dir(row.name, row.version) / METADATA
    return json.loads(path.read_text()) if path.exists() else {}


class Loaded:
    """The process's scorers, one per model name, refreshed when the active version changes."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock  # seconds, for the reload period (tests move it by hand)
        self._lock = threading.Lock()
        self._scorers = {}  # name -> (version pk, sha256, LinearScorer or None)
        self._checked = {}  # name -> monotonic time of the last look at the registry
        self.errors = {}  # name -> why the active version could not be loaded
        self._joint = (None, None)  # (the scorers it was compiled from, JointScorer)
        self._joint_answer = None  # (names, monotonic time it holds until, its answer)

    def scorer(self, name: str):
        """(ModelVersion-ish tuple (pk, version), LinearScorer), or (None, None) with no usable model."""
        now, every = self.clock(), ml_settings().reload_seconds
        if name not in self._checked or now - self._checked[name] >= every:
            self._refresh(name)
            self._checked[name] = now
        entry = self._scorers.get(name)
        if not entry or entry[3] is None:
            return None, None
        return entry[2], entry[3]

    def joint(self, names):
        """({name: version}, JointScorer) for the usable models among `names`, compiled together
        once per combination of loaded versions; ({}, None) with none. Until one of the names is due
        for its next look at the registry, the same answer without a look at each (the send path's
        case): a promotion elsewhere is scored within ML_RELOAD_SECONDS, as with no such answer."""
        now, remembered = self.clock(), self._joint_answer
        if remembered is not None and remembered[0] == names and now < remembered[1]:
            return remembered[2]
        answer = self._compile(names)
        every = ml_settings().reload_seconds
        due = min((self._checked.get(name, now) + every for name in names), default=now)
        self._joint_answer = (names, due, answer)
        return answer

    def _compile(self, names):
        found = [(name, *self.scorer(name)) for name in names]
        found = tuple((name, version, scorer) for name, version, scorer in found if scorer is not None)
        if not found:
            return {}, None
        compiled_from, joint = self._joint
        if compiled_from != found:
            joint = JointScorer([scorer for _, _, scorer in found])
            self._joint = (found, joint)
        return {name: version for name, version, _ in found}, joint

    def _refresh(self, name):
        try:
            row = ModelVersion.objects.filter(name=name, status=ModelVersion.Status.ACTIVE).first()
        except Exception as exc:  # no database at hand: keep what is loaded
            log.warning("ml: could not read the registry for %s: %s", name, exc)
            return
        if row is None:
            self._scorers.pop(name, None)
            self.errors.pop(name, None)
            return
        current = self._scorers.get(name)
        if current and current[0] == row.pk and current[1] == row.sha256:
            return
        with self._lock:
            try:
                scorer = LinearScorer(load_pipeline(row))
                self.errors.pop(name, None)
            except Exception as exc:  # a send never fails because of the model
                log.error("ml: %s could not be loaded, scoring falls back to allow: %s", row, exc)
                self.errors[name] = str(exc)
                scorer = None
            self._scorers[name] = (row.pk, row.sha256, row.version, scorer)

    def forget(self):
        """Drop every loaded model (tests; a promotion in this process)."""
        with self._lock:
            self._scorers.clear()
            self._checked.clear()
            self.errors.clear()
            self._joint = (None, None)
            self._joint_answer = None


loaded = Loaded()


def next_version(name: str) -> int:
    last = ModelVersion.objects.filter(name=name).order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def stamp() -> str:
    return timezone.now().isoformat()
