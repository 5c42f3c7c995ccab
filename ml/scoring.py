"""Scoring on the send path: `score(text, context) -> Scores` and `check_message(text, context)`.

Both run in process on every send, so they never raise and never touch the network: a model that
is missing or fails to load scores None, and None always allows. The active versions are read
from the registry at most every ML_RELOAD_SECONDS per process.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from ml.config import ml_settings
from ml.models import KINDS
from ml.registry import loaded

ALLOW, HOLD, REJECT = "allow", "hold", "reject"


@dataclass(frozen=True)
class Context:
    """What a decision may use besides the text. Today the models score the text alone; the
    account's age chooses the thresholds (new accounts get the stricter ones)."""

    account_age_days: float | None = None
    message_count: int | None = None
    conversation_kind: str | None = None  # direct, group or channel

    @classmethod
    def for_user(cls, user, conversation_kind=None, message_count=None):
        joined = getattr(user, "date_joined", None)
        age = (timezone.now() - joined) / timedelta(days=1) if joined else None
        return cls(account_age_days=age, message_count=message_count, conversation_kind=conversation_kind)

    @property
    def is_new_account(self) -> bool:
        return self.account_age_days is not None and self.account_age_days < ml_settings().new_account_days


@dataclass(frozen=True)
class Scores:
    spam: float | None = None
    abuse: float | None = None
    versions: dict = field(default_factory=dict)  # name -> version that scored

    def get(self, kind):
        return getattr(self, kind)

    def as_dict(self) -> dict:
        return {"spam": self.spam, "abuse": self.abuse, "versions": self.versions}


@dataclass(frozen=True)
class Verdict:
    outcome: str  # allow, hold or reject
    code: str  # "" when allowed; else spam_suspected / abuse_suspected
    scores: Scores

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOW


def score(text: str, context: Context | None = None) -> Scores:
    values = {}
    try:
        versions, joint = loaded.joint(KINDS)
        if joint is not None:
            # Every active model in one pass over the text (ml.joint).
            values = {kind: round(p, 4) for kind, p in zip(versions, joint.scores(text), strict=True)}
    except Exception:  # never let a model break a send
        values, versions = {}, {}
    return Scores(spam=values.get("spam"), abuse=values.get("abuse"), versions=versions)


def thresholds(context: Context | None) -> dict:
    """{kind: (hold, reject)} for this sender."""
    config = ml_settings()
    return config.new_thresholds if context is not None and context.is_new_account else config.thresholds


def decide(scores: Scores, context: Context | None = None) -> Verdict:
    outcome, code = ALLOW, ""
    for kind, (hold, reject) in thresholds(context).items():
        value = scores.get(kind)
        if value is None:
            continue
        if value >= reject:
            return Verdict(REJECT, f"{kind}_suspected", scores)
        if value >= hold and outcome == ALLOW:
            outcome, code = HOLD, f"{kind}_suspected"
    return Verdict(outcome, code, scores)


def check_message(text: str, context: Context | None = None) -> Verdict:
    """The send path's question: allow, hold for review, or reject, with the scores to store."""
    if not ml_settings().scoring:
        return Verdict(ALLOW, "", Scores())
    return decide(score(text, context), context)


def explain(text: str, kind: str = "spam", top: int = 5) -> list[tuple[str, float]]:
    """The n-grams that weighed most toward `kind` for this text ("why flagged")."""
    _, scorer = loaded.scorer(kind)
    return scorer.explain(text, top) if scorer else []


class ModelsDegraded(Exception):
    """An active model could not be loaded: its sends are allowed unscored."""


def status() -> dict:
    """For /readyz: which models score, and which are degraded (active but not loadable)."""
    out = {}
    for kind in KINDS:
        version, scorer = loaded.scorer(kind)
        if scorer is not None:
            out[kind] = {"state": "ok", "version": version}
        elif kind in loaded.errors:
            out[kind] = {"state": "degraded", "error": loaded.errors[kind]}
        else:
            out[kind] = {"state": "absent"}
    return out


def probe() -> None:
    """/readyz's check (registered in MlConfig.ready): raises while an active model is degraded.
    It loads the active models if this process has not yet, which warms a new pod before its first
    send."""
    degraded = {kind: state["error"] for kind, state in status().items() if state["state"] == "degraded"}
    if degraded:
        raise ModelsDegraded("; ".join(f"{kind}: {error}" for kind, error in degraded.items()))
