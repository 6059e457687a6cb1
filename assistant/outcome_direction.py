"""Which way an outcome gets worse, guessed from its name, for questions asked in words of
better and worse ("which subject deteriorates fastest?", "which patients improved most?").

Nothing in the data says whether a higher value is good: a longer reaction time, more
pain or more symptoms is worse, a higher test score is better. The guess reads the
outcome's name; an outcome it does not recognise is taken as higher-is-better, and every
answer that uses the guess says which reading it took and how to ask for the other.
"""

from __future__ import annotations

import re

#: Words in an outcome's name that mark a measure where higher is worse.
_HIGHER_IS_WORSE = re.compile(
    r"(pain|reaction|latency|\brt\b|response_?time|errors?|mistakes?|symptoms?|severity|"
    r"anxiety|depress|stress|fatigue|distress|disability|craving|burden|mortality|risk|"
    r"cost|duration|time_to|relapse|tumou?r|lesion|viral|cholesterol|blood_?pressure|"
    r"\bbp\b|sbp|dbp|hba1c|glucose|bmi|weight_?gain|worry|tired|sleepiness)",
    re.IGNORECASE,
)


def higher_is_worse(outcome: str) -> bool | None:
    """True when the outcome's name marks a measure where higher is worse (pain, reaction
    time, errors, symptoms, ...); None when the name does not say."""
    return True if _HIGHER_IS_WORSE.search(outcome.replace(" ", "_")) else None
