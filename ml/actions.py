"""Every write of the ml app: labels, training runs, promotion and rollback.

`check_*` validates; `do_*` writes in one transaction. Training itself (minutes of CPU) runs before
the transaction that registers its result, so no lock is held while a model fits.
"""

import csv
import io
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chatsite.api_errors import ApiError
from ml import datasets, registry, training
from ml.models import KINDS, Label, ModelVersion, RegistryEvent
from ml.pipeline import LinearScorer, params_of

log = logging.getLogger(__name__)

Status = ModelVersion.Status


def check_kind(kind) -> str:
    if kind not in KINDS:
        raise ApiError("invalid", f"The model is one of: {', '.join(KINDS)}.", 400)
    return kind


# --- labels ---


def check_label(kind, text, label) -> None:
    check_kind(kind)
    if not isinstance(text, str) or not text.strip():
        raise ApiError("invalid", "A label needs the text it labels.", 400)
    if label not in (0, 1):
        raise ApiError("invalid", "A label is 0 or 1.", 400)


def do_record_label(kind, text, label, source, *, message_id=None, moderator_id=None, reason="") -> Label:
    """One decision. A later decision on the same message replaces the earlier one (a dismissed
    report, then a delete for spam: the delete is what the moderators meant last)."""
    with transaction.atomic():
        check_label(kind, text, label)
        fields = {"text": text, "label": label, "source": source, "moderator_id": moderator_id, "reason": reason[:500]}
        if message_id is None:
            return Label.objects.create(kind=kind, **fields)
        row, _ = Label.objects.update_or_create(
            kind=kind, message_id=message_id, defaults={**fields, "created_at": timezone.now()}
        )
        return row


def parse_labels_csv(data: str) -> list[tuple[str, int]]:
    """`text,label` rows (a header first), label 1 meaning spam or abusive."""
    reader = csv.DictReader(io.StringIO(data))
    if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
        raise ApiError("invalid", "The file's header must name the columns text and label.", 400)
    rows = []
    for number, row in enumerate(reader, start=2):
        label = (row["label"] or "").strip()
        if label not in ("0", "1") or not (row["text"] or "").strip():
            raise ApiError("invalid", f"Line {number}: text must be set and label be 0 or 1.", 400)
        rows.append((row["text"], int(label)))
    return rows


def do_import_labels(kind, data: str) -> int:
    with transaction.atomic():
        check_kind(kind)
        rows = parse_labels_csv(data)
        Label.objects.bulk_create(
            Label(kind=kind, text=text, label=label, source=Label.Source.IMPORT) for text, label in rows
        )
    return len(rows)


# --- training and the gate ---


def _active(kind):
    return ModelVersion.objects.filter(name=kind, status=Status.ACTIVE).first()


def _evaluate_active(active, valid):
    """The active model's metrics on this run's validation split; None if it cannot be loaded."""
    if active is None:
        return None, None
    try:
        scorer = LinearScorer(registry.load_pipeline(active))
    except Exception as exc:
        log.error("ml: the active %s cannot be loaded; the gate treats it as absent: %s", active, exc)
        return None, None
    scores = training.scores_of(scorer, valid.texts)
    return training.metrics(valid.labels, scores), scores


def do_train(kind, *, data: datasets.Dataset | None = None, params=None, actor=None, promote=True):
    """Train a candidate on bootstrap data plus every label, evaluate it on the held-out split beside
    the active model, register it, and promote it if it passes the gate.
    Returns (ModelVersion, promoted, report)."""
    check_kind(kind)
    data = training.with_labels(data if data is not None else datasets.bootstrap(kind), kind)
    train, valid = training.split(data)
    if len(set(train.labels)) < 2 or len(set(valid.labels)) < 2:
        raise ApiError("invalid", "Training needs both classes in the training and the validation split.", 400)
    model = training.fit(train, params)
    scorer = LinearScorer(model)
    scores = training.scores_of(scorer, valid.texts)
    candidate_metrics = training.metrics(valid.labels, scores)
    recent = [i for i, origin in enumerate(valid.origins) if origin != "bootstrap"]
    if recent:
        candidate_metrics["decisions"] = {"n": len(recent), "agree": _agreement(valid, scores, recent)}
    active = _active(kind)
    active_metrics, active_scores = _evaluate_active(active, valid)
    passed, why = training.gate(candidate_metrics, active_metrics, settings.ML_PROMOTE_TOLERANCE)
    passed = passed and promote
    report = {
        "model": kind,
        "train_rows": len(train),
        "validation_rows": len(valid),
        "candidate": candidate_metrics,
        "active": active_metrics and {"version": active.version, **active_metrics},
        "gate": {"passed": passed, "why": why if promote else "promotion not asked"},
        "pr_curve": training.pr_curve(valid.labels, scores),
        "top_terms": scorer.top_terms,
        "changed_most": (
            training.biggest_changes(valid.texts, valid.labels, active_scores, scores) if active_scores else []
        ),
    }
    version = registry.next_version(kind)
    metadata = {
        "name": kind,
        "version": version,
        "data_sources": data.sources,
        "params": params_of(params),
        "metrics": candidate_metrics,
        "code_version": registry.code_version(),
        "trained_at": registry.stamp(),
    }
    digest = registry.write_artefact(kind, version, model, metadata)
    (registry.version_dir(kind, version) / "report.json").write_text(training.report_json(report))
    with transaction.atomic():
        row = ModelVersion.objects.create(
            name=kind,
            version=version,
            sha256=digest,
            metrics={**candidate_metrics, "gate": report["gate"]},
            params=metadata["params"],
            data_sources=data.sources,
            code_version=metadata["code_version"],
            labels_seen=Label.objects.filter(kind=kind).count(),
        )
        RegistryEvent.objects.create(name=kind, action="trained", version=version, actor=actor, reason=why)
        if passed:
            _make_active(row, actor, f"gate passed: {why}", RegistryEvent.Action.PROMOTED)
        elif promote:
            row.status = Status.REJECTED
            row.save(update_fields=["status"])
            RegistryEvent.objects.create(
                name=kind, action=RegistryEvent.Action.REFUSED, version=version, actor=actor, reason=why
            )
    transaction.on_commit(registry.loaded.forget)
    return row, passed, report


def _agreement(valid, scores, indexes) -> float:
    hits = sum(1 for i in indexes if (scores[i] >= training.THRESHOLD) == bool(valid.labels[i]))
    return round(hits / len(indexes), 4)


def _make_active(row, actor, reason, action):
    current = ModelVersion.objects.select_for_update().filter(name=row.name, status=Status.ACTIVE).first()
    previous = None
    if current is not None and current.pk != row.pk:
        previous = current.version
        current.status = Status.RETIRED
        current.save(update_fields=["status"])
    row.status, row.promoted_at = Status.ACTIVE, timezone.now()
    row.save(update_fields=["status", "promoted_at"])
    RegistryEvent.objects.create(
        name=row.name, action=action, version=row.version, previous_version=previous, actor=actor, reason=reason
    )


def check_rollback(kind, to_version=None) -> ModelVersion:
    check_kind(kind)
    current = _active(kind)
    if to_version is None:
        below = ModelVersion.objects.filter(name=kind, status=Status.RETIRED)
        if current is not None:
            below = below.filter(version__lt=current.version)
        target = below.order_by("-version").first()
        if target is None:
            raise ApiError("not_found", f"No earlier {kind} version to roll back to.", 404)
    else:
        target = ModelVersion.objects.filter(name=kind, version=to_version).first()
        if target is None:
            raise ApiError("not_found", f"{kind} v{to_version} does not exist.", 404)
    if target.status == Status.ACTIVE:
        raise ApiError("already_active", f"{target} is already active.", 409)
    try:
        registry.load_pipeline(target)
    except registry.ArtefactError as exc:
        raise ApiError("invalid", f"Cannot roll back to {target}: {exc}", 409) from None
    return target


def do_rollback(kind, to_version=None, *, actor=None, reason="rollback") -> ModelVersion:
    """Make an earlier version active again (the newest retired one below the active, unless named)."""
    with transaction.atomic():
        target = check_rollback(kind, to_version)
        _make_active(target, actor, reason, RegistryEvent.Action.ROLLED_BACK)
    transaction.on_commit(registry.loaded.forget)
    return target
