"""A small labelled spam data set, made here, so that no test needs the network or a download."""

import random

from ml.datasets import Dataset

SPAM = [
    "WIN a FREE {prize}! Text {word} to {num} now",
    "Congratulations! You have been selected for a {amount} cash prize. Call {num} to claim",
    "URGENT: your account is locked, verify at http://{site}.example/login",
    "Cheap {prize} for sale, click http://{site}.example and get {amount} off",
    "You won a {prize}!!! reply {word} to {num} txt stop to end",
    "Earn {amount} a week from home, no experience, call {num}",
    "Claim your free {prize} voucher today at www.{site}.example",
    "Limited offer: {amount} bonus credit, text {word} to {num}",
]
HAM = [
    "are we still on for {meal} at {time}?",
    "running late, see you at the {place}",
    "can you send me the notes from {meal}?",
    "thanks for yesterday, the {place} was great",
    "i'll call you after {meal}, ok?",
    "did you finish the report for {name}?",
    "{name} says hi, see you at {time}",
    "let's meet at the {place} around {time}",
]
FILL = {
    "prize": ["iPhone", "holiday", "gift card", "laptop", "cruise", "TV"],
    "word": ["WIN", "CLAIM", "YES", "GO", "PRIZE"],
    "num": ["80086", "87121", "09061701461", "62468"],
    "amount": ["£1000", "$500", "£250", "$2000"],
    "site": ["prizes", "winnow", "claimit", "fastcash"],
    "meal": ["lunch", "dinner", "breakfast", "coffee"],
    "time": ["noon", "6pm", "7:30", "half past eight"],
    "place": ["station", "office", "park", "cafe", "library"],
    "name": ["Sam", "Priya", "Tom", "Ana", "Lee"],
}


def _one(template, rng):
    return template.format(**{key: rng.choice(values) for key, values in FILL.items()})


def spam_dataset(n=400, seed=1, spam_share=0.3) -> Dataset:
    rng = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        is_spam = rng.random() < spam_share
        texts.append(_one(rng.choice(SPAM if is_spam else HAM), rng))
        labels.append(int(is_spam))
    data = Dataset()
    data.add(texts, labels, {"name": f"generated spam set (seed {seed})", "sha256": ""})
    return data


# A send the spam model trained on spam_dataset() scores high: held under the `holding` fixture.
HELD_TEXT = "WIN a FREE iPhone! Text WIN to 80086 now to claim your prize"
