"""Explanations: why a patient got each item, and why not a code they did not get.

Both are read off the rule descriptions (:mod:`lmtx.dsl`) and the facts of
one evaluation, never off a second copy of the logic:

- :func:`explanation` pairs every recommendation, alert and prognosis note
  (and the LM status, the applicability and the phase) with the rule firing
  that produced it: the rule's description, the facts it matched, the input
  records it rests on (its *findings*, with their dates), what had to be
  absent, and the statements it rests on with the document's reference
  numbers.
- :func:`why_not` takes an output code and, for every rule able to emit it,
  checks the rule's conditions one by one against the evaluation's facts:
  which held, which did not (the closest facts and the tests they fail),
  which could not be checked. For an unmet condition on an input fact it
  names the input fields that would change it; for one on a derived fact,
  the rules that could derive it, checked the same way, down to a depth
  limit.

Both answers have a JSON form (``to_dict``: the engine's detail) and a text
form (``to_text``: short sentences in clinical words). The package's modules
follow what they do: ``_answers`` (the two functions and the two answers),
``_data`` (the parts of an answer), ``_origins`` (the facts of one evaluation
and where they come from), ``_conditions`` (checking conditions as the engine
does), ``_words`` (records and conditions in words) and ``_text`` (the text
form, which reads the answers without importing them).
"""

from lmtx.explain._answers import Explanation, WhyNot, explanation, why_not
from lmtx.explain._conditions import DEFAULT_DEPTH
from lmtx.explain._data import (
    ConditionCheck,
    ExplainedItem,
    FactRef,
    Finding,
    NearMiss,
    Reason,
    RuleCheck,
    StatementRef,
)

__all__ = [
    "DEFAULT_DEPTH",
    "ConditionCheck",
    "ExplainedItem",
    "Explanation",
    "FactRef",
    "Finding",
    "NearMiss",
    "Reason",
    "RuleCheck",
    "StatementRef",
    "WhyNot",
    "explanation",
    "why_not",
]
