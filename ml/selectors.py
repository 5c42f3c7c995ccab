"""Reads of the ml app shared by the admin, the commands and the tasks."""

from ml.models import Label, ModelVersion


def active_version(kind):
    return ModelVersion.objects.filter(name=kind, status=ModelVersion.Status.ACTIVE).first()


def new_labels_since_active(kind) -> int:
    """Labels recorded since the active version was trained (all of them with no active version)."""
    active = active_version(kind)
    total = Label.objects.filter(kind=kind).count()
    return total - (active.labels_seen if active else 0)


def label_counts(kind) -> dict:
    rows = Label.objects.filter(kind=kind)
    return {"total": rows.count(), "positive": rows.filter(label=1).count()}
