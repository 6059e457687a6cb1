"""Words for a refit that would repeat the model it starts from, so nothing was fitted."""

from __future__ import annotations

from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.fit import DDF_WORDS, METHOD_WORDS
from assistant.narrate.numbers import join_words, level_percent
from assistant.step_results import RefitUnchanged


def _setting_words(name: str, value: object) -> str:
    if name == "method":
        return f"fitted by {METHOD_WORDS.get(str(value), str(value))}"
    if name == "ddf":
        return f"tested with {DDF_WORDS.get(str(value), str(value))}"
    if name == "optimizer":
        return f"optimized with {value}"
    if name == "level":
        return f"fitted with {level_percent(value)} confidence intervals"
    return f"limited to {value} iterations"


def refit_unchanged_blocks(result: RefitUnchanged) -> list[Block]:
    """One sentence: the model already has what the refit asked for; nothing changed."""
    title = result.model.title
    already = join_words([_setting_words(k, v) for k, v in result.named.items()])
    return [
        Paragraph(
            f"{title} is already {already}, so I refitted nothing: a refit would give "
            "the same model, and the session's models are unchanged."
        )
    ]
