"""The abuse model's seed set, written and labelled by this project (no labelled toxicity data
ships in any package we may install).

It is small and made from templates: insults, threats and harassment aimed at a person (1), and
ordinary chat with hard negatives (0): violent words about things ("kill the process"), slang
praise ("this track is sick"), profanity that insults nobody, and quoting abuse to report it. It
teaches the model the shape of abuse, not its whole vocabulary; moderators' decisions do the rest.
Its held-out scores are optimistic: variants of one template fall on both sides of a split.
"""

import itertools
import random

SOURCE = "chatsite abuse seed set (ml/seed_abuse.py), written and labelled by the project"
SEED = 17

TARGETS = ["you", "u", "ur mom", "you and your friends", "everyone in this group"]
INSULTS = ["idiot", "moron", "loser", "pathetic waste of space", "worthless piece of trash", "stupid clown", "freak"]
ABUSIVE = [
    "{t} are a {i}",
    "shut up {i}",
    "nobody wants {t} here, {i}",
    "go die {i}",
    "i will kill {t}",
    "i know where {t} live and i will hurt {t}",
    "{t} should kill yourself",
    "kys {i}",
    "{t} are so ugly and {i}",
    "get lost {i}, {t} disgust me",
    "i hope {t} get hit by a bus",
    "what a {i}, {t} make me sick",
    "{t} are the dumbest {i} alive",
    "watch your back {i}",
    "everyone hates {t}, {i}",
    "i'll find {t} and beat {t} up",
]
THINGS = ["the process", "that job", "the build", "the server", "this bug", "the old branch", "the cron task"]
BENIGN = [
    "can you kill {x}? it is stuck",
    "i had to kill {x} again",
    "we should shoot a message to the team about {x}",
    "this track is sick",
    "that goal was sick, what a finish",
    "the demo absolutely killed it today",
    "you killed it on stage, congrats!",
    "damn, {x} is slow today",
    "hell yeah, {x} finally works",
    "i'm dying of laughter at that meme",
    "someone called me a {i} in another chat, reporting it",
    "he wrote '{t} are a {i}' to me, can a moderator look?",
    "please stop calling people {i}, it is not ok",
    "my code is a stupid mess, sorry",
    "i feel like such an idiot, forgot the meeting",
    "the villain in the movie threatens to kill everyone, great plot",
    "lunch at noon? {t} pick the place",
    "thanks for the help with {x}",
    "can {t} review my pull request when you have time",
    "i hate mondays",
    "that bug is killing me",
    "going to hit the gym then {x}",
    "beat the deadline by an hour",
    "we crushed the other team 3-0",
    "the game's final boss is brutal",
]


# The same sentence as people type it: a word before, an emoji or a laugh after.
PREFIXES = ["", "lol ", "honestly ", "ok ", "hey, ", "omg "]
SUFFIXES = ["", " :)", " lol", "!", "..."]


def _fill(templates, label, rng, limit):
    rows = set()
    for template in templates:
        for t, i, x, before, after in itertools.product(TARGETS, INSULTS, THINGS, PREFIXES, SUFFIXES):
            rows.add(before + template.format(t=t, i=i, x=x) + after)
    rows = sorted(rows)
    rng.shuffle(rows)
    return [(text, label) for text in rows[:limit]]


def examples(per_class: int = 450) -> tuple[list[str], list[int]]:
    """(texts, labels): `per_class` of each class, the same every time."""
    rng = random.Random(SEED)  # nosec B311 - a seeded generator of training text, not security
    rows = _fill(ABUSIVE, 1, rng, per_class) + _fill(BENIGN, 0, rng, per_class)
    rng.shuffle(rows)
    texts, labels = zip(*rows, strict=True)
    return list(texts), list(labels)
