"""The sandbox's made-up Instagram world: a candle maker's posts, and the people who react, in English and French.

Everything is a pure function of the account's seed and anchor time, so a second collection sees the
same ids (and stores nothing twice), and a collection days later sees the comments that "arrived" since.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

HISTORY_DAYS = 27
TRICKLE_EVERY = timedelta(hours=3)  # after the anchor, a new comment every 3 hours or so
MAX_TRICKLE = 24 * 8  # about 3 months of trickle; enough for any demo

POSTS = [
    (
        "Autumn collection is here: amber, fig and cedar 🍂 #candles",
        "Nouvelle collection d'automne : ambre, figue et cèdre",
    ),
    (
        "Behind the scenes: pouring 200 candles by hand this morning",
        "Dans l'atelier : 200 bougies coulées à la main ce matin",
    ),
    (
        "Our refill service is live. Bring back your jar, get 15% off ♻️",
        "Le service de recharge est lancé : -15 % avec votre pot",
    ),
    ("Gift boxes for the holidays 🎁 three candles, one ribbon", "Coffrets cadeaux pour les fêtes 🎁"),
    ("New scent: Paris after the rain. Notes of iris and wet stone", "Nouveau parfum : Paris après la pluie"),
    ("Workshop dates for November: make your own candle with us", "Ateliers de novembre : fabriquez votre bougie"),
    ("Customer photo of the week 💛 thank you @claire.interiors", "La photo client de la semaine 💛"),
    (
        "Last pieces of the summer collection, 30% off this weekend",
        "Dernières pièces de la collection d'été, -30 % ce week-end",
    ),
]
FIRST = {
    "en": [
        "emma",
        "olivia",
        "jake",
        "mia",
        "noah",
        "ava",
        "liam",
        "grace",
        "ella",
        "sam",
        "ruby",
        "leo",
        "zoe",
        "max",
        "amelia",
        "harry",
        "chloe",
        "isla",
        "jack",
        "lily",
    ],
    "fr": [
        "camille",
        "lea",
        "manon",
        "chloe",
        "ines",
        "louise",
        "jade",
        "hugo",
        "lucas",
        "theo",
        "clara",
        "zoe",
        "sarah",
        "julie",
        "marie",
        "antoine",
        "pauline",
        "mathilde",
        "elise",
        "margaux",
    ],
}
LAST = {
    "en": ["smith", "brown", "taylor", "wilson", "evans", "walker", "wright", "hughes", "green", "hall"],
    "fr": ["martin", "bernard", "dubois", "moreau", "laurent", "simon", "michel", "lefebvre", "roux", "fournier"],
}
SUFFIX = ["", "_", ".home", ".studio", "_deco", ".bakes", "_photo", "88", ".style", "_paris", ".life", "_art"]
CASUAL = {
    "en": [
        "Love this 😍",
        "So pretty!",
        "Beautiful colours",
        "Obsessed 🔥",
        "This is gorgeous",
        "Amazing work 👏",
        "The packaging is so cute",
        "Need this in my living room",
        "Wow",
        "My favourite shop ✨",
        "Stunning",
        "So cosy 🕯️",
        "This made my day",
        "Perfect for autumn",
    ],
    "fr": [
        "Trop beau 😍",
        "Magnifique !",
        "J'adore",
        "Superbe travail 👏",
        "Trop joli",
        "Ça sent bon d'ici ✨",
        "Sublime",
        "Quelle belle couleur",
        "Mon atelier préféré",
        "Trop mignon",
        "Je fonds 😍",
        "Très réussi",
    ],
}
INTENT = {
    "en": [
        "How much is the large one?",
        "Do you ship to Canada?",
        "Where can I buy this?",
        "Is the amber one still in stock?",
        "Link please!",
        "I want two for Christmas, how do I order?",
        "DM me the price please",
        "What sizes do you have?",
        "Interested! Sending you a message",
        "Do you deliver to London?",
        "Price for the gift box?",
    ],
    "fr": [
        "C'est combien ?",
        "Vous livrez en Belgique ?",
        "Où acheter ?",
        "Je veux commander la grande",
        "Prix en mp svp",
        "Elle est encore dispo ?",
        "Le lien svp",
        "Intéressée ! Je vous écris en mp",
        "Vous avez la livraison à Lyon ?",
        "Quel est le prix du coffret ?",
    ],
}
QUESTION = {
    "en": ["Is it soy wax?", "How long does it burn?", "Is the jar reusable?"],
    "fr": ["C'est de la cire de soja ?", "Elle dure combien d'heures ?", "Le pot est réutilisable ?"],
}
REPLY = {
    "en": ["Same question!", "Me too 🙋", "Following", "Yes please"],
    "fr": ["Même question !", "Moi aussi 🙋", "Je suis ça", "Pareil"],
}
MENTION = {
    "en": [
        "Just got my @{a} candle and my flat smells amazing ✨",
        "Best gift ever, from @{a} 🎁",
        "Sunday mood with @{a} 🕯️",
    ],
    "fr": [
        "Ma bougie @{a} est arrivée, ça sent divinement bon ✨",
        "Cadeau parfait de chez @{a} 🎁",
        "Dimanche cocooning avec @{a} 🕯️",
    ],
}
MESSAGE = {
    "en": [
        "Hi! I saw your post about the amber candle, is it still available?",
        "Hello, can I order 3 for a wedding? What would the price be?",
        "Thanks for the reply! What's the shipping cost to London?",
        "Great, I'd like to order the gift box",
    ],
    "fr": [
        "Bonjour, est-ce que la bougie ambre est encore disponible ?",
        "Coucou ! Je voudrais en commander deux pour Noël, c'est combien ?",
        "Merci ! Combien pour la livraison à Lyon ?",
        "Parfait, je veux commander le coffret",
    ],
}
OPT_OUT = {"en": ["stop", "not interested"], "fr": ["Arrêtez svp", "pas intéressé"]}


@dataclass
class Person:
    id: str
    username: str
    lang: str
    kind: str  # hot, warm, casual or opt_out


@dataclass
class Item:
    """One interaction of the world: comment, reply, mention or message."""

    id: str
    kind: str
    person: Person
    text: str
    at: datetime
    media_id: str | None = None
    parent_id: str | None = None


@dataclass
class Post:
    id: str
    caption: str
    at: datetime
    permalink: str
    comments: list[Item] = field(default_factory=list)  # top-level, oldest first
    replies: dict[str, list[Item]] = field(default_factory=dict)


@dataclass
class World:
    posts: list[Post]
    mentions: list[Item]
    messages: list[Item]
    people: list[Person]


def _people(rng: random.Random, prefix: str) -> list[Person]:
    people, taken = [], set()
    plan = ["hot"] * 14 + ["warm"] * 40 + ["casual"] * 95 + ["opt_out"] * 3
    for n, kind in enumerate(plan):
        lang = "fr" if rng.random() < 0.5 else "en"
        while True:
            name = f"{rng.choice(FIRST[lang])}{rng.choice(['.', '_', ''])}{rng.choice(LAST[lang])}{rng.choice(SUFFIX)}"
            if name not in taken:
                taken.add(name)
                break
        people.append(Person(f"{prefix}-p{n:03d}", name, lang, kind))
    return people


def _at(rng: random.Random, anchor: datetime, lo_days: float, hi_days: float) -> datetime:
    # Daytime in Europe mostly: people comment between 7:00 and 23:00 UTC.
    day = anchor - timedelta(days=rng.uniform(lo_days, hi_days))
    return day.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)


def build(seed: str, account_username: str, anchor: datetime, now: datetime) -> World:
    """The world as seen at `now`: items after `now` do not exist yet."""
    rng = random.Random(seed)
    people = _people(rng, seed)
    posts = []
    for i, (en, fr) in enumerate(POSTS):
        at = _at(rng, anchor, HISTORY_DAYS - i * 3.4, HISTORY_DAYS - i * 3.4)
        media_id = f"{seed}-m{i}"
        caption = f"{en}\n\n{fr}"
        posts.append(Post(media_id, caption, min(at, anchor), f"https://www.instagram.com/p/{media_id}/"))
    mentions, messages = [], []
    counter = 0

    def add_comment(person: Person, text: str, post: Post, at: datetime) -> Item:
        nonlocal counter
        counter += 1
        item = Item(
            f"{seed}-c{counter:05d}", "comment", person, text, max(at, post.at + timedelta(minutes=5)), media_id=post.id
        )
        post.comments.append(item)
        return item

    for person in people:
        lang = person.lang
        if person.kind == "hot":
            for _ in range(rng.randint(2, 3)):
                post = rng.choice(posts[-4:])
                add_comment(person, rng.choice(INTENT[lang]), post, _at(rng, anchor, 0.1, 5))
            for text in rng.sample(MESSAGE[lang], rng.randint(1, 3)):
                counter += 1
                messages.append(Item(f"{seed}-dm{counter:05d}", "message", person, text, _at(rng, anchor, 0.05, 4)))
        elif person.kind == "warm":
            post = rng.choice(posts)
            pool = INTENT[lang] if rng.random() < 0.6 else QUESTION[lang]
            add_comment(person, rng.choice(pool), post, _at(rng, anchor, 0, (anchor - post.at).days + 0.5))
            add_comment(person, rng.choice(CASUAL[lang]), rng.choice(posts), _at(rng, anchor, 0.5, HISTORY_DAYS))
            if rng.random() < 0.3:
                counter += 1
                messages.append(
                    Item(
                        f"{seed}-dm{counter:05d}", "message", person, rng.choice(MESSAGE[lang]), _at(rng, anchor, 1, 14)
                    )
                )
        elif person.kind == "casual":
            for _ in range(rng.randint(1, 4)):
                post = rng.choice(posts)
                add_comment(person, rng.choice(CASUAL[lang]), post, _at(rng, anchor, 0, (anchor - post.at).days + 0.5))
        else:
            add_comment(person, rng.choice(CASUAL[lang]), rng.choice(posts), _at(rng, anchor, 3, 20))
            counter += 1
            messages.append(
                Item(f"{seed}-dm{counter:05d}", "message", person, rng.choice(OPT_OUT[lang]), _at(rng, anchor, 1, 10))
            )
        if person.kind in ("hot", "warm") and rng.random() < 0.45:
            counter += 1
            text = rng.choice(MENTION[lang]).format(a=account_username)
            mentions.append(
                Item(
                    f"{seed}-mn{counter:05d}",
                    "mention",
                    person,
                    text,
                    _at(rng, anchor, 0.2, 20),
                    media_id=f"{seed}-their-{counter}",
                )
            )
    for post in posts:  # a few people answer each other under the questions
        for comment in [c for c in post.comments if c.text in INTENT[c.person.lang]][:3]:
            replier = rng.choice(people)
            counter += 1
            reply = Item(
                f"{seed}-r{counter:05d}",
                "reply",
                replier,
                rng.choice(REPLY[replier.lang]),
                comment.at + timedelta(minutes=rng.randint(5, 600)),
                media_id=post.id,
                parent_id=comment.id,
            )
            post.replies.setdefault(comment.id, []).append(reply)
    for k in range(1, MAX_TRICKLE + 1):  # the world keeps living after the demo was made
        at = anchor + TRICKLE_EVERY * k
        if at > now:
            break
        trng = random.Random(f"{seed}:{k}")
        person = trng.choice([p for p in people if p.kind != "opt_out"])
        pool = INTENT if trng.random() < 0.3 else CASUAL
        post = posts[-1 - trng.randint(0, 2)]
        counter_id = f"{seed}-t{k:05d}"
        post.comments.append(Item(counter_id, "comment", person, trng.choice(pool[person.lang]), at, media_id=post.id))
    visible = _visible(posts, now)
    return World(visible, [m for m in mentions if m.at <= now], [m for m in messages if m.at <= now], people)


def _visible(posts: list[Post], now: datetime) -> list[Post]:
    for post in posts:
        post.comments = sorted((c for c in post.comments if c.at <= now), key=lambda c: (c.at, c.id))
        post.replies = {k: sorted((r for r in v if r.at <= now), key=lambda r: r.at) for k, v in post.replies.items()}
    return [p for p in posts if p.at <= now]
