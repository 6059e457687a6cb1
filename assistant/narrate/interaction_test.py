"""What the answer says about how an unnamed interaction question was read."""

from __future__ import annotations

from typing import Any

from assistant.narrate.blocks import Paragraph


def interaction_choice_paragraph(choice: Any) -> Paragraph:
    """ "You did not say which interaction; I took it to be time by treatment, ..." """
    time, factor = choice.variables
    if choice.rule in ("cross_level_slope", "cross_level"):
        level1 = (f"{time}, the level-1 predictor with a random slope" if choice.rule ==
                  "cross_level_slope" else f"{time}, the predictor that varies within groups")
        return Paragraph(
            f"I took the cross-level interaction to be {time} by {factor}: {level1}, by "
            f"{factor}, the predictor that is constant within each group. It asks whether "
            f"the effect of {time} changes with {factor}.")
    if choice.rule == "time_and_factor":
        why = (f"the model's only time-like predictor ({time}) and its only factor "
               f"({factor})")
    else:
        why = f"the groups of {factor} changing over {time}, the model's time-like predictor"
    return Paragraph(f"I took the question to be about the {time} by {factor} interaction: "
                     f"{why}.")
