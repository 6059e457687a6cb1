"""What the answer says about how an unnamed interaction question was read."""

from __future__ import annotations

from typing import Any

from assistant.narrate.blocks import Paragraph


def interaction_choice_paragraph(choice: Any) -> Paragraph:
    """ "You did not say which interaction; I took it to be time by treatment, ..." """
    time, factor = choice.variables
    if choice.rule == "time_and_factor":
        why = (f"the model's only time-like predictor ({time}) and its only factor "
               f"({factor})")
    else:
        why = f"the groups of {factor} changing over {time}, the model's time-like predictor"
    return Paragraph(f"I took the question to be about the {time} by {factor} interaction: "
                     f"{why}.")
