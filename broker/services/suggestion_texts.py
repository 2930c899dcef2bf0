"""The texts the code suggester learns from: labelled records, code descriptions, background.

``BACKGROUND`` is the "none of these codes" class: a text nearer to these than to any development
record or code description gets no confident code (see ``broker.matching.labels``). They span
everyday topics far from development cooperation, in the four languages of the evaluation set;
the off-topic examples that the tests and ``broker eval-suggest`` check are not among them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from broker.config import REPO_ROOT
from broker.ranking.embedding.text import embedding_text
from broker.reference import get_reference

DEMO_DIR = REPO_ROOT / "data" / "demo"


@dataclass(frozen=True)
class LabelledRecord:
    """A text with the codes its author gave it."""

    title: str
    description: str
    codes: dict[str, tuple[str, ...]]  # kind -> codes; a kind may be missing or empty

    @property
    def text(self) -> str:
        return embedding_text(self.title, self.description)


@cache
def demo_pool() -> tuple[LabelledRecord, ...]:
    """The demo offers and requests with their author-given codes (offers have no outcomes)."""
    records = []
    for name in ("offers", "requests"):
        for row in json.loads((DEMO_DIR / f"{name}.json").read_text(encoding="utf-8")):
            codes = {
                "sectors": tuple(row.get("sectors", ())),
                "sdgs": tuple(str(g) for g in row.get("sdgs", ())),
                "modalities": tuple(row.get("modalities", ())),
                "outcomes": tuple(row.get("desired_outcomes", ())),
            }
            records.append(LabelledRecord(row["title"], row["description"], codes))
    return tuple(records)


def reference_texts() -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Per code list: (codes, display names, texts to embed)."""
    ref = get_reference()
    return {
        "sectors": (
            [s.code for s in ref.sectors],
            [s.name for s in ref.sectors],
            [embedding_text(s.name, s.description or "") for s in ref.sectors],
        ),
        "sdgs": (
            [g.code for g in ref.sdgs],
            [g.name for g in ref.sdgs],
            [embedding_text(g.name, " ".join(t.text for t in g.targets)) for g in ref.sdgs],
        ),
        "sdg_targets": (
            [t.code for g in ref.sdgs for t in g.targets],
            [t.text for g in ref.sdgs for t in g.targets],
            [t.text for g in ref.sdgs for t in g.targets],
        ),
        "modalities": (
            [m.code for m in ref.modalities],
            [m.name for m in ref.modalities],
            [embedding_text(m.name, m.description) for m in ref.modalities],
        ),
        "outcomes": (
            [o.code for o in ref.outcomes],
            [o.name for o in ref.outcomes],
            [embedding_text(o.name, o.description) for o in ref.outcomes],
        ),
    }


BACKGROUND: tuple[str, ...] = (
    "A recipe for lemon tart with a buttery crust",
    "How to bake sourdough bread at home",
    "Best pizza toppings ranked by our readers",
    "Grilling steak: how long on each side",
    "Cocktail ideas for a summer party",
    "The league's top scorer signed a new contract",
    "Highlights of last night's basketball game",
    "Tips to improve your tennis serve",
    "Marathon training plan for beginners",
    "Formula One race results and championship standings",
    "A review of the latest superhero movie",
    "Top ten songs of the year",
    "The plot of a popular fantasy television series",
    "Celebrity gossip from the red carpet",
    "Learning to play the piano as an adult",
    "Choosing a new smartphone camera",
    "Video game walkthrough for the final boss",
    "How to build a gaming computer",
    "Black holes and the expansion of the universe",
    "Launching a rocket to the International Space Station",
    "Dinosaur fossils found in a desert quarry",
    "Caring for houseplants in winter",
    "Decorating a small apartment on a budget",
    "Knitting a wool scarf step by step",
    "Planning a honeymoon on a tropical beach",
    "Packing tips for a ski holiday",
    "Restoring a classic sports car engine",
    "Fashion trends for the autumn season",
    "Choosing a wedding dress",
    "Training a puppy to sit and stay",
    "Horoscope for the week ahead",
    "Writing a mystery novel with a surprise ending",
    "Origami cranes folded from paper",
    "Receta de tortilla de patatas tradicional",
    "Resultados del partido de fútbol del domingo",
    "Los mejores destinos de playa para las vacaciones",
    "Recette de la tarte aux pommes de grand-mère",
    "Le match de rugby de samedi soir",
    "Critique du dernier film de science-fiction",
    "Receita de feijoada para o fim de semana",
    "Os melhores jogos de videogame do ano",
    "Dicas para treinar um gato",
)
